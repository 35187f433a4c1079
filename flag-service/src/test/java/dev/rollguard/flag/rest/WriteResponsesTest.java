package dev.rollguard.flag.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.flag.domain.WriteOutcome;
import dev.rollguard.flag.service.WriteResult;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.junit.jupiter.api.Test;

/** The status, body and ETag of a write's answer, as first given and as replayed for an Idempotency-Key. */
class WriteResponsesTest {

    @Test
    void eachOutcomeAnswersItsStatus() {
        assertThat(WriteResponses.status(WriteOutcome.CREATED)).isEqualTo(201);
        assertThat(WriteResponses.status(WriteOutcome.UPDATED)).isEqualTo(200);
        assertThat(WriteResponses.status(WriteOutcome.UNCHANGED)).isEqualTo(200);
        assertThat(WriteResponses.status(WriteOutcome.DELETED)).isEqualTo(204);
    }

    @Test
    void aCreationAnswersTheJsonWithItsVersionAsETag() {
        Response response = WriteResponses.respond(new WriteResult(WriteOutcome.CREATED, "{\"key\":\"a\"}", 1L))
                .build();

        assertThat(response.getStatus()).isEqualTo(201);
        assertThat(response.getEntity()).isEqualTo("{\"key\":\"a\"}");
        assertThat(response.getMediaType()).isEqualTo(MediaType.APPLICATION_JSON_TYPE);
        assertThat(response.getHeaderString(HttpHeaders.ETAG)).isEqualTo("\"1\"");
    }

    @Test
    void nothingChangedAnswers200WithTheCurrentVersion() {
        Response response = WriteResponses.respond(new WriteResult(WriteOutcome.UNCHANGED, "{}", 7L))
                .build();

        assertThat(response.getStatus()).isEqualTo(200);
        assertThat(response.getHeaderString(HttpHeaders.ETAG)).isEqualTo("\"7\"");
    }

    @Test
    void aDeletionAnswers204WithoutBodyOrETag() {
        Response response = WriteResponses.respond(new WriteResult(WriteOutcome.DELETED, "null", null))
                .build();

        assertThat(response.getStatus()).isEqualTo(204);
        assertThat(response.hasEntity()).isFalse();
        assertThat(response.getHeaderString(HttpHeaders.ETAG)).isNull();
    }

    @Test
    void noVersionNoETag() {
        Response response = WriteResponses.respond(new WriteResult(WriteOutcome.UPDATED, "{}", null))
                .build();

        assertThat(response.getStatus()).isEqualTo(200);
        assertThat(response.getHeaderString(HttpHeaders.ETAG)).isNull();
    }
}
