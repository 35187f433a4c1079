package dev.rollguard.alert.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.alert.api.RuleRequest;
import dev.rollguard.http.RequestFields;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * The request bodies of the API name only fields it knows. Jackson would otherwise drop a field it does not know, so a
 * rule with {@code "keepFiringFor": 300} would be stored without it, and a silence matcher {@code {"name": "severity",
 * "value": "critical", "isequal": false}} would silence the critical alerts instead of all the others. A body that
 * names another field fails as it is read, and {@link ValidationMappers} answers 400 naming it.
 *
 * <p>Only the request records of the {@code api} package are held to this. The default rule pack is read into them
 * too, so a typo there fails the start, as an invalid rule there does. {@code POST /api/alerts/inbound} reads its body
 * as a tree: Alertmanager and other senders add fields freely. JSON the service stored (silence and webhook matchers,
 * rule state, notification groups) is read as before, so an instance of an older release can read a field a newer one
 * wrote. Hence a handler for these types, not {@code quarkus.jackson.fail-on-unknown-properties}, which would hold
 * every type the mapper reads.
 */
@Singleton
public class StrictRequestFields implements ObjectMapperCustomizer {

    private static final String API_PACKAGE = RuleRequest.class.getPackageName();

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.addHandler(RequestFields.refusingUnknown(StrictRequestFields::isRequest));
    }

    /** Whether a body of {@code type} must name only its own fields: a request record of the API. */
    static boolean isRequest(Class<?> type) {
        return RequestFields.isRequest(type, API_PACKAGE);
    }
}
