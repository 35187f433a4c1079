package dev.rollguard.rollback.rest;

import dev.rollguard.http.error.ApiException;
import dev.rollguard.http.error.DatabaseFailures;
import dev.rollguard.http.error.KnownFailures;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;

/** What the rollback-service answers beyond the common error contract: its database unreachable (503, retry later). */
@ApplicationScoped
public class RollbackFailures implements KnownFailures {

    @Override
    public ApiException recognise(Throwable failure) {
        if (DatabaseFailures.unavailable(failure)) {
            Log.warnf("database unavailable while serving a request: %s", DatabaseFailures.summary(failure));
            return new ApiException(
                    503, "UNAVAILABLE", "The rollback history is unavailable (database down); retry later.");
        }
        return null;
    }
}
