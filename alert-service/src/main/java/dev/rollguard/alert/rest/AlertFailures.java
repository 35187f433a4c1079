package dev.rollguard.alert.rest;

import com.fasterxml.jackson.core.JsonParseException;
import dev.rollguard.http.error.ApiException;
import dev.rollguard.http.error.DatabaseFailures;
import dev.rollguard.http.error.KnownFailures;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.WebApplicationException;

/**
 * What the alert-service answers beyond the common error contract: a request the HTTP layer refused as bad (a body
 * cut short, for one) is {@code VALIDATION_FAILED}, like every other 400 of this API; its database unreachable is 503.
 */
@ApplicationScoped
public class AlertFailures implements KnownFailures {

    @Override
    public ApiException recognise(Throwable failure) {
        if (failure instanceof WebApplicationException web && web.getResponse().getStatus() == 400) {
            for (Throwable cause = web.getCause(); cause != null; cause = cause.getCause()) {
                if (cause instanceof JsonParseException json) {
                    // Not JSON, content after the value or a key given twice: what the body's reader said, located.
                    return ValidationMappers.notJson(json);
                }
            }
            return new ApiException(400, "VALIDATION_FAILED", "Bad Request");
        }
        if (DatabaseFailures.unavailable(failure)) {
            Log.warnf("database unavailable while serving a request: %s", DatabaseFailures.summary(failure));
            return new ApiException(503, "UNAVAILABLE", "the alert database is unavailable; retry the request later");
        }
        return null;
    }
}
