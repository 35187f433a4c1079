package dev.rollguard.rollback.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.rollback.client.FlagServiceRejectedException;
import dev.rollguard.rollback.client.FlagServiceUnavailableException;
import io.vertx.pgclient.PgException;
import java.net.ConnectException;
import java.util.concurrent.CompletionException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

/** Outages are waited out; defects of the alert are not retried forever. */
class TransientFailuresTest {

    @Test
    void outagesOfTheFlagServiceDatabaseOrBrokerAreRetried() {
        assertThat(TransientFailures.isTransient(new FlagServiceUnavailableException("503")))
                .isTrue();
        assertThat(TransientFailures.isTransient(new CompletionException(new ConnectException("refused"))))
                .isTrue();
        assertThat(TransientFailures.isTransient(new PgException("connection lost", "FATAL", "08006", null)))
                .isTrue();
        assertThat(TransientFailures.isTransient(new PgException("shutting down", "FATAL", "57P01", null)))
                .isTrue();
        assertThat(TransientFailures.isTransient(new TimeoutException("send timed out")))
                .isTrue();
        assertThat(TransientFailures.cause(new FlagServiceUnavailableException("503")))
                .isEqualTo("flag_service");
        assertThat(TransientFailures.cause(new PgException("x", "FATAL", "08006", null)))
                .isEqualTo("database");
        assertThat(TransientFailures.cause(new TimeoutException("x"))).isEqualTo("kafka");
    }

    @Test
    void badDataAndDefectsAreNotRetried() {
        assertThat(TransientFailures.isTransient(new PgException("invalid byte sequence", "ERROR", "22021", null)))
                .isFalse();
        assertThat(TransientFailures.isTransient(new FlagServiceRejectedException(409, "NO_STAGE", "none")))
                .isFalse();
        assertThat(TransientFailures.isTransient(new IllegalStateException("bug")))
                .isFalse();
    }
}
