package dev.rollguard.alert.rest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.rollguard.alert.api.RuleRequest;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

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
        mapper.addHandler(new RefuseUnknownFields());
    }

    /** Whether a body of {@code type} must name only its own fields: a request record of the API. */
    static boolean isRequest(Class<?> type) {
        return type.isRecord()
                && type.getPackageName().equals(API_PACKAGE)
                && type.getSimpleName().endsWith("Request");
    }

    /** The fields of a request record, in the order it declares them. */
    static List<String> fields(Class<?> type) {
        return Arrays.stream(type.getRecordComponents())
                .map(RecordComponent::getName)
                .toList();
    }

    /** What a violation says of a field its object does not have. */
    static String unknownField(Collection<?> known) {
        return known == null || known.isEmpty()
                ? "unknown field"
                : "unknown field; known: " + known.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }

    private static final class RefuseUnknownFields extends DeserializationProblemHandler {

        @Override
        public boolean handleUnknownProperty(
                DeserializationContext context,
                JsonParser parser,
                JsonDeserializer<?> deserializer,
                Object beanOrClass,
                String propertyName)
                throws IOException {
            Class<?> type = beanOrClass instanceof Class<?> c ? c : beanOrClass.getClass();
            if (!isRequest(type)) {
                return false;
            }
            throw UnrecognizedPropertyException.from(
                    parser, beanOrClass, propertyName, List.<Object>copyOf(fields(type)));
        }
    }
}
