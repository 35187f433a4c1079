package dev.rollguard.rollback;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.rollback.testing.FakeFlagServiceResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The rollback-service's JSON mapper holds every body it reads to the rule of every service (service-http's
 * StrictJsonSyntax): one JSON value, each key once. Its HTTP API reads no request body (every write method is a JSON
 * 405, {@link ErrorContractTest}), so the rule shows in the mapper that a body endpoint would read with, and that
 * reads the steps it stores.
 */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.DATABASE, value = "rollguard_rollbacks"))
@QuarkusTestResource(FakeFlagServiceResource.class)
class StrictJsonTest {

    @Inject
    ObjectMapper json;

    @Test
    void contentAfterTheValueIsRefused() {
        assertThatThrownBy(() -> json.readValue("{\"flag\": \"checkout\"} xyz", Map.class))
                .isInstanceOf(JsonProcessingException.class);
        assertThatThrownBy(() -> json.readTree("{\"flag\": \"checkout\"} {\"flag\": \"search\"}"))
                .isInstanceOf(JsonProcessingException.class);
    }

    @Test
    void aRepeatedKeyIsRefused() {
        assertThatThrownBy(() -> json.readValue("{\"flag\": \"checkout\", \"flag\": \"search\"}", JsonNode.class))
                .isInstanceOf(JsonProcessingException.class)
                .hasMessageContaining("Duplicate field 'flag'");
    }
}
