package dev.rollguard.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The request bodies of a service's API name only the fields their records declare. Jackson drops a field it does not
 * know, so a misspelled field would be answered 2xx and change nothing; a service registers {@link
 * #refusingUnknown} for its request records, and the body fails as it is read. Only those records: JSON a service
 * stored and bodies other parties send (OFREP, inbound alerts) are read as before, which is why this is a handler and
 * not {@code quarkus.jackson.fail-on-unknown-properties}, which would hold every type the mapper reads.
 */
public final class RequestFields {

    private RequestFields() {}

    /** Whether {@code type} is a request record of the API package {@code apiPackage}: a record named {@code *Request}. */
    public static boolean isRequest(Class<?> type, String apiPackage) {
        return type.isRecord()
                && type.getPackageName().equals(apiPackage)
                && type.getSimpleName().endsWith("Request");
    }

    /** The fields of a record, in the order it declares them. */
    public static List<String> fields(Class<?> type) {
        return Arrays.stream(type.getRecordComponents())
                .map(RecordComponent::getName)
                .toList();
    }

    /** What a violation says of a field its object does not have, naming the ones it has. */
    public static String unknownField(Collection<?> known) {
        return known == null || known.isEmpty()
                ? "unknown field"
                : "unknown field; known: " + known.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }

    /**
     * A handler that fails the read of a body of a type {@code strict} holds to its fields when it names another
     * field ({@link UnrecognizedPropertyException}, carrying the known fields); any other type is left to Jackson.
     */
    public static DeserializationProblemHandler refusingUnknown(Predicate<Class<?>> strict) {
        return new DeserializationProblemHandler() {
            @Override
            public boolean handleUnknownProperty(
                    DeserializationContext context,
                    JsonParser parser,
                    JsonDeserializer<?> deserializer,
                    Object beanOrClass,
                    String propertyName)
                    throws IOException {
                Class<?> type = beanOrClass instanceof Class<?> c ? c : beanOrClass.getClass();
                if (!strict.test(type)) {
                    return false;
                }
                throw UnrecognizedPropertyException.from(
                        parser, beanOrClass, propertyName, List.<Object>copyOf(fields(type)));
            }
        };
    }
}
