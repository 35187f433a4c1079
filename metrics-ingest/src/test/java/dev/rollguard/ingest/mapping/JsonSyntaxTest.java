package dev.rollguard.ingest.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.http.StrictJsonSyntax;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Each failure of the JSON reader the build uses, in the product's words: {@link JsonSyntax} tells most of them apart
 * by the start of the reader's message, so an upgrade that rewords one fails here rather than in front of a client.
 */
class JsonSyntaxTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static {
        new StrictJsonSyntax().customize(JSON);
    }

    private static String describe(byte[] body) {
        JsonProcessingException failure =
                catchThrowableOfType(JsonProcessingException.class, () -> JSON.readTree(body));
        assertThat(failure).as("the body fails to read").isNotNull();
        return JsonSyntax.describe(failure, 1000);
    }

    private static String describe(String body) {
        return describe(body.getBytes(StandardCharsets.UTF_8));
    }

    /** The body is checked as UTF-8 before the parser, which reads more than UTF-8, sees it. */
    @Test
    void aBodyThatIsNotUtf8IsToldApartBeforeParsing() {
        assertThat(JsonSyntax.notUtf8("{\"x\": \"caf\u00e9 \ud83d\ude00\"}".getBytes(StandardCharsets.UTF_8)))
                .isNull();
        assertThat(JsonSyntax.notUtf8(new byte[0])).isNull();
        assertThat(JsonSyntax.notUtf8("{}".getBytes(StandardCharsets.UTF_16LE)))
                .startsWith("is not valid JSON: it is not UTF-8 (a zero byte");
        assertThat(JsonSyntax.notUtf8(new byte[] {'{', '\n', '"', (byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}))
                .isEqualTo("is not valid JSON: it is not valid UTF-8 (line 2, column 2)");
        assertThat(JsonSyntax.notUtf8(new byte[] {'"', (byte) 0xc3}))
                .isEqualTo("is not valid JSON: it is not valid UTF-8 (line 1, column 2)");
    }

    @Test
    void eachFailureIsSaidInTheProductsWords() {
        assertThat(describe("{\"events\":["))
                .isEqualTo("is not valid JSON: the body ends before the JSON does (line 1, column 12)");
        assertThat(describe("{\"events\": \"abc")).startsWith("is not valid JSON: the body ends before the JSON does");
        assertThat(describe("{\"events\": [x]}")).isEqualTo("is not valid JSON (line 1, column 13)");
        assertThat(describe("{\n\"events\": [tru]}")).isEqualTo("is not valid JSON (line 2, column 12)");
        assertThat(describe("[".repeat(1001) + "]".repeat(1001)))
                .isEqualTo("is not valid JSON: it is nested deeper than 1000 levels");
        assertThat(describe(new byte[] {'"', 'c', 'a', 'f', (byte) 0xe9, '"'}))
                .startsWith("is not valid JSON: it is not valid UTF-8 (line 1, column ");
        assertThat(describe(new byte[] {'"', (byte) 0xff, '"'}))
                .startsWith("is not valid JSON: it is not valid UTF-8 (line 1, column ");
        assertThat(describe("{\"x\": \"a\u001fb\"}"))
                .isEqualTo("is not valid JSON: a string holds the control character U+001F, which JSON requires escaped"
                        + " (line 1, column 9)");
        assertThat(describe("{\"x\": 1\u0001}"))
                .isEqualTo("is not valid JSON: the control character U+0001 outside a string (line 1, column 9)");
        assertThat(describe("{\"x\": 1, \"x\": 2}"))
                .isEqualTo("is not valid JSON: the key 'x' appears twice (line 1, column 13)");
        assertThat(describe("{\"a\\u0000b\": 1, \"a\\u0000b\": 2}"))
                .startsWith("is not valid JSON: the key 'a\\u0000b' appears twice");
        assertThat(describe("{\"x\": 1} {}")).startsWith("is not valid JSON: more content follows its value (line 1");
        assertThat(describe("1" + "0".repeat(1200)))
                .startsWith("is not valid JSON: a number, string or key is longer than the service reads");
    }
}
