package dev.rollguard.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.Test;

class BodyLimitTest {

    @Test
    void aBodyOfExactlyTheLimitIsReadWhole() throws IOException {
        try (InputStream in = new BodyLimit.Bounded(new ByteArrayInputStream(new byte[100]), 100)) {
            assertThat(in.readAllBytes()).hasSize(100);
        }
    }

    @Test
    void theFirstByteOverTheLimitFailsWith413() throws IOException {
        try (InputStream in = new BodyLimit.Bounded(new ByteArrayInputStream(new byte[101]), 100)) {
            assertThat(in.readNBytes(100)).hasSize(100);
            assertThatThrownBy(in::read).isInstanceOf(BodyLimit.TooLarge.class).satisfies(e -> assertThat(
                            ((BodyLimit.TooLarge) e).getResponse().getStatus())
                    .isEqualTo(413));
        }
        try (InputStream in = new BodyLimit.Bounded(new ByteArrayInputStream(new byte[101]), 100)) {
            assertThatThrownBy(() -> in.read(new byte[200], 0, 200)).isInstanceOf(BodyLimit.TooLarge.class);
        }
    }

    @Test
    void aBodyOverTheLimitIsRecognisedThroughTheReadersWrapping() {
        BodyLimit.TooLarge tooLarge = new BodyLimit.TooLarge(100);
        assertThat(BodyLimit.exceeded(tooLarge)).isTrue();
        assertThat(BodyLimit.exceeded(new UncheckedIOException(new IOException("reading the body", tooLarge))))
                .isTrue();
        assertThat(BodyLimit.exceeded(new IOException("connection reset"))).isFalse();
        assertThat(BodyLimit.exceeded(null)).isFalse();
    }

    @Test
    void theRefusalIsTheJsonErrorOfTheApiNamingTheLimit() throws IOException {
        JsonNode body = new ObjectMapper().readTree(BodyLimit.body(1_048_576));
        assertThat(body.path("code").asText()).isEqualTo("PAYLOAD_TOO_LARGE");
        assertThat(body.path("message").asText()).isEqualTo("request bodies are limited to 1048576 bytes");
        assertThat(body.size()).isEqualTo(2);
    }
}
