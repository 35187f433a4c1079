package dev.rollguard.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * Every service reads a request body as one JSON value with each key once. Jackson would otherwise read the first
 * value and ignore what follows it ({@code {...} xyz}, {@code {...} {...}}), and keep the last of a repeated key
 * ({@code {"enabled": false, "enabled": true}}): either way the service would act on a body the client may not have
 * meant. Both fail as the JSON is read; each service answers that failure 400 in its own words (docs/contracts.md).
 *
 * <p>The rule is on the service's {@link ObjectMapper}, so it holds for every body the REST layer reads and every body
 * a resource reads itself with the injected mapper. It also holds for what else a service reads with that mapper
 * (another service's answers, JSON it stored): Rollguard writes those itself, one value with each key once. Type
 * coercion is left to each service (the flag-service refuses it).
 */
@Singleton
public class StrictJsonSyntax implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    }

    /**
     * Whether a failure is this rule's refusal of content after the value: Jackson reports it as a mismatched input
     * (of the mapping, not the syntax) and says so only in its message, which has read "Trailing token ..." since
     * Jackson 2.9 added the feature. A repeated key fails as a syntax error ({@code StreamReadException}).
     */
    public static boolean contentAfterValue(JsonProcessingException failure) {
        return failure instanceof MismatchedInputException
                && failure.getOriginalMessage() != null
                && failure.getOriginalMessage().startsWith("Trailing token");
    }
}
