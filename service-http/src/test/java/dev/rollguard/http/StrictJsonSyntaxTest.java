package dev.rollguard.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StrictJsonSyntaxTest {

    private final ObjectMapper json = customized();

    private static ObjectMapper customized() {
        ObjectMapper mapper = new ObjectMapper();
        new StrictJsonSyntax().customize(mapper);
        return mapper;
    }

    @Test
    void contentAfterTheValueIsRefused() {
        assertThatThrownBy(() -> json.readValue("{\"a\": 1} {\"a\": 2}", Map.class))
                .isInstanceOf(MismatchedInputException.class)
                .hasMessageStartingWith("Trailing token");
        assertThatThrownBy(() -> json.readTree("[1] 2")).isInstanceOf(MismatchedInputException.class);
        // Text that is no JSON token at all fails as a syntax error, read as a tree or into a type.
        assertThatThrownBy(() -> json.readTree("{\"a\": 1} xyz")).isInstanceOf(JsonParseException.class);
        assertThatThrownBy(() -> json.readerFor(Map.class).readValue("{\"a\": 1} xyz".getBytes()))
                .isInstanceOf(JsonParseException.class);
    }

    @Test
    void aRepeatedKeyIsRefusedAtAnyDepth() {
        assertThatThrownBy(() -> json.readValue("{\"enabled\": false, \"enabled\": true}", Map.class))
                .isInstanceOf(JsonParseException.class)
                .hasMessageContaining("Duplicate field 'enabled'");
        assertThatThrownBy(() -> json.readTree("{\"outer\": {\"k\": 1, \"k\": 1}}"))
                .isInstanceOf(JsonParseException.class)
                .hasMessageContaining("Duplicate field 'k'");
    }

    @Test
    void oneValueWithDistinctKeysIsRead() throws Exception {
        assertThat(json.readTree(" {\"a\": {\"k\": 1}, \"b\": {\"k\": 2}} \n")
                        .path("b")
                        .path("k")
                        .asInt())
                .isEqualTo(2);
        assertThat(json.readValue("[{\"k\": 1}, {\"k\": 1}]", Object.class))
                .asList()
                .hasSize(2);
    }
}
