package dev.rollguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The silence commands against a stand-in alert-service ({@link ServiceStub}): requests, output, exit codes. */
class SilenceCommandsTest {

    private static final String CREATED =
            """
            {"id": "5f0c", "matchers": [{"name": "table", "value": "orders", "isRegex": false, "isEqual": true},
                                        {"name": "flag", "value": "checkout-.*", "isRegex": true, "isEqual": false}],
             "startsAt": "2026-01-01T10:12:05Z", "endsAt": "2026-01-01T12:12:05Z", "createdBy": "ana",
             "comment": "migration", "createdAt": "2026-01-01T10:12:05Z", "expiredAt": null, "state": "ACTIVE"}
            """;

    private final ServiceStub stub = new ServiceStub();
    private final StringBuilder out = new StringBuilder();
    private final StringBuilder err = new StringBuilder();

    @AfterEach
    void stop() {
        stub.close();
    }

    @Test
    void addSendsTheMatchersAndTheEndAndPrintsTheSilence() throws IOException {
        stub.answer("POST /api/silences", 201, CREATED);

        int code = run(
                "silence",
                "add",
                "table=orders",
                "flag!~checkout-.*",
                "--for",
                "2h",
                "--author",
                "ana",
                "--comment",
                "migration");

        assertThat(code).isZero();
        JsonNode sent = RollguardApi.JSON.readTree(stub.requests.get(0).body());
        assertThat(sent.get("endsAt").asText()).isEqualTo("2026-01-01T12:12:05Z");
        assertThat(sent.get("createdBy").asText()).isEqualTo("ana");
        assertThat(sent.get("comment").asText()).isEqualTo("migration");
        assertThat(sent.get("matchers").get(0).toString())
                .isEqualTo("{\"name\":\"table\",\"value\":\"orders\",\"isRegex\":false,\"isEqual\":true}");
        assertThat(sent.get("matchers").get(1).toString())
                .isEqualTo("{\"name\":\"flag\",\"value\":\"checkout-.*\",\"isRegex\":true,\"isEqual\":false}");
        assertThat(out.toString())
                .isEqualTo(
                        "silence 5f0c: table=\"orders\" flag!~\"checkout-.*\" until 2026-01-01T12:12:05Z (active)\n");
    }

    @Test
    void listShowsEachSilenceWithItsAuthorAndComment() {
        stub.answer("GET /api/silences", 200, "[" + CREATED + "]");

        assertThat(run("silence", "list")).isZero();

        assertThat(out.toString())
                .contains("ID", "STATE", "MATCHERS", "BY", "COMMENT")
                .contains("5f0c", "ACTIVE", "table=\"orders\"", "ana", "migration");
    }

    @Test
    void expireEndsTheSilence() {
        stub.answer("DELETE /api/silences/5f0c", 204, "");

        assertThat(run("silence", "expire", "5f0c", "--actor", "ana")).isZero();

        assertThat(stub.requests.get(0).method()).isEqualTo("DELETE");
        assertThat(stub.requests.get(0).actor()).isEqualTo("ana");
        assertThat(out.toString()).isEqualTo("silence 5f0c ended\n");
        assertThat(run("silence", "expire", "nope")).isEqualTo(1);
        assertThat(err.toString()).contains("NOT_FOUND");
    }

    @Test
    void badMatchersAndDurationsAreUsageMistakes() {
        assertThat(run("silence", "add", "table", "--comment", "x", "--author", "ana"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("a matcher is name=value");
        assertThat(run("silence", "add", "table=orders", "--for", "soon", "--comment", "x", "--author", "ana"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("a duration is like 2h");
        assertThat(stub.requests).isEmpty();
    }

    private int run(String... args) {
        ServiceStub.Result result = stub.run(args);
        out.append(result.out());
        err.append(result.err());
        return result.exitCode();
    }
}
