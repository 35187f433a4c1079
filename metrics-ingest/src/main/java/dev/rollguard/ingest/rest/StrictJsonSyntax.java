package dev.rollguard.ingest.rest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * A request body is one JSON value with each key once, as the intake reads it with the service's mapper: Jackson
 * would otherwise ignore text after the value and keep the last of a repeated key, serving a batch the client may not
 * have meant. Either is answered 400 {@code VALIDATION_FAILED}, "is not valid JSON".
 */
@Singleton
public class StrictJsonSyntax implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    }
}
