package dev.rollguard.flag.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.flag.api.FlagRequest;
import dev.rollguard.http.RequestFields;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * The request bodies of the admin API name only fields it knows. Jackson would otherwise drop a field it does not know,
 * so {@code "rolloutPercent": 50} or {@code "allowlist": [...]} would be answered 200 and change nothing. A body that
 * names another field fails as it is read, and {@link ValidationMappers} answers 400 naming it.
 *
 * <p>Only the request records of the {@code api} package are held to this. The OFREP endpoints read their body as a
 * tree, so a provider may send what a later protocol adds. JSON the service stored (stages, rules, constraints) is
 * read as before, so an instance of an older release can read a field a newer one wrote. Hence a handler for these
 * types, not {@code quarkus.jackson.fail-on-unknown-properties}, which would hold every type the mapper reads.
 */
@Singleton
public class StrictRequestFields implements ObjectMapperCustomizer {

    private static final String API_PACKAGE = FlagRequest.class.getPackageName();

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.addHandler(RequestFields.refusingUnknown(StrictRequestFields::isRequest));
    }

    /** Whether a body of {@code type} must name only its own fields: a request record of the API. */
    static boolean isRequest(Class<?> type) {
        return RequestFields.isRequest(type, API_PACKAGE);
    }
}
