package dev.rollguard.alert.config;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnectOptions;
import jakarta.inject.Singleton;
import java.util.ArrayList;

/**
 * The PostgreSQL pool, as Quarkus would build it but without the pool's connection timeout. In Vert.x 4.5 a query run
 * on the pool itself ({@code pool.preparedQuery(..).execute(..)}, the readiness check's {@code SELECT 1}) arms that
 * timer and, when getting a connection fails (the database is down), fails the query at once but never cancels the
 * timer: when it fires, the timer fails the completed promise again and Vert.x logs {@code IllegalStateException:
 * Result is already complete}, one line per query, retry and probe of the outage (eclipse-vertx/vertx-sql-client
 * issue 1706). Without the timer a query still fails as soon as no connection can be made; what is lost is only the
 * bound on waiting for a free connection while every one is busy.
 */
@Singleton
public class PostgresPoolCreator implements PgPoolCreator {

    @Override
    public Pool create(Input input) {
        PoolOptions options = new PoolOptions(input.poolOptions()).setConnectionTimeout(0);
        return PgBuilder.pool()
                .with(options)
                .connectingTo(new ArrayList<SqlConnectOptions>(input.pgConnectOptionsList()))
                .using(input.vertx())
                .build();
    }
}
