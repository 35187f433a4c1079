package dev.rollguard.flag.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.rollguard.http.error.ApiException;
import dev.rollguard.http.error.DatabaseFailures;
import dev.rollguard.http.error.ErrorBody;
import dev.rollguard.http.error.KnownFailures;
import dev.rollguard.http.error.SqlStates;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.WebApplicationException;

/**
 * What the flag-service answers beyond the common error contract: a body Jackson could not read (400), its database
 * unreachable (503, evaluation still works), a transaction PostgreSQL aborted for a concurrent one (409).
 */
@ApplicationScoped
public class FlagFailures implements KnownFailures {

    @Override
    public ApiException recognise(Throwable failure) {
        if (failure instanceof WebApplicationException && failure.getCause() instanceof JsonProcessingException json) {
            ErrorBody body = JsonErrors.describe(json);
            return body == null ? null : new ApiException(400, body.code(), body.message(), body.violations());
        }
        if (DatabaseFailures.unavailable(failure)) {
            Log.warnf("database unavailable: %s", failure.toString());
            return new ApiException(
                    503,
                    "UNAVAILABLE",
                    "the flag database is unavailable: changes cannot be saved now (evaluation still works)");
        }
        if (SqlStates.concurrentChange(failure)) {
            Log.infof("change refused by a concurrent one: %s", failure.toString());
            return ApiException.conflict(
                    "CONCURRENT_CHANGE",
                    "another change of the same flags or segments ran at the same time: send it again");
        }
        return null;
    }
}
