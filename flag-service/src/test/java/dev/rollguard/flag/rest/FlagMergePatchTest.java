package dev.rollguard.flag.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.http.error.ApiException;
import org.junit.jupiter.api.Test;

/** RFC 7396 on a flag's fields, and what a PATCH may not name. */
class FlagMergePatchTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void nullRemovesAMemberAndAnythingElseReplacesIt() throws Exception {
        ObjectNode flag = object("{\"description\":\"old\",\"enabled\":false,\"allowList\":[\"a\",\"b\"]}");

        FlagMergePatch.mergePatch(flag, JSON.readTree("{\"description\":null,\"enabled\":true,\"allowList\":[\"c\"]}"));

        assertThat(flag).isEqualTo(object("{\"enabled\":true,\"allowList\":[\"c\"]}"));
    }

    @Test
    void objectsMergeMemberByMemberExceptVariantsWhichAreReplacedWhole() throws Exception {
        ObjectNode flag = object("{\"guardPolicy\":{\"action\":\"KILL\",\"dryRun\":false},"
                + "\"variants\":{\"on\":true,\"off\":false}}");

        FlagMergePatch.mergePatch(
                flag, JSON.readTree("{\"guardPolicy\":{\"dryRun\":true},\"variants\":{\"blue\":\"b\"}}"));

        assertThat(flag)
                .isEqualTo(object(
                        "{\"guardPolicy\":{\"action\":\"KILL\",\"dryRun\":true},\"variants\":{\"blue\":\"b\"}}"));
    }

    @Test
    void aPatchIsAnObjectOfWritableFields() throws Exception {
        FlagMergePatch patches = new FlagMergePatch(JSON, null);

        assertThat(refusal(patches, "[1]").violations().get(0).field()).isEqualTo("body");
        assertThat(refusal(patches, "null").violations().get(0).field()).isEqualTo("body");
        ApiException killed = refusal(patches, "{\"description\":\"x\",\"killed\":true}");
        assertThat(killed.status()).isEqualTo(400);
        assertThat(killed.code()).isEqualTo("VALIDATION_FAILED");
        assertThat(killed.violations().get(0).field()).isEqualTo("killed");
        assertThat(refusal(patches, "{\"version\":3}").violations().get(0).field())
                .isEqualTo("version");
        assertThat(patches.edit(JSON.readTree("{\"description\":\"x\",\"rolloutPercentage\":5}")))
                .isNotNull();
    }

    private static ApiException refusal(FlagMergePatch patches, String patch) throws Exception {
        JsonNode body = JSON.readTree(patch);
        return catchThrowableOfType(ApiException.class, () -> patches.edit(body.isNull() ? null : body));
    }

    private static ObjectNode object(String json) throws Exception {
        return (ObjectNode) JSON.readTree(json);
    }
}
