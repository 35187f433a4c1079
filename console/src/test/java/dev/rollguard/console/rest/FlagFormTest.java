package dev.rollguard.console.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.ws.rs.core.MultivaluedHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FlagFormTest {

    private final ObjectMapper json = new ObjectMapper();

    private static FlagForm form(Map<String, String> values) {
        MultivaluedHashMap<String, String> params = new MultivaluedHashMap<>();
        values.forEach(params::putSingle);
        return FlagForm.of(params);
    }

    @Test
    void theFormBecomesTheFlagServicesRequest() {
        FlagForm form = form(Map.of(
                "key", " checkout.v2 ",
                "enabled", "on",
                "rolloutPercentage", "12.5",
                "stages", "internal 0 600\n\ncanary 5\n",
                "allowList", "alice\n bob \n",
                "guardAction", "REVERT_STAGE",
                "guardCooldownSeconds", "60"));

        ObjectNode body = form.toRequest(json, true);

        assertThat(body).isNotNull();
        assertThat(body.get("key").asText()).isEqualTo("checkout.v2");
        assertThat(body.get("enabled").asBoolean()).isTrue();
        assertThat(body.get("rolloutPercentage").decimalValue()).isEqualByComparingTo("12.5");
        assertThat(body.get("stages")).hasSize(2);
        assertThat(body.at("/stages/0/minSoakSeconds").asLong()).isEqualTo(600);
        assertThat(body.at("/stages/1/name").asText()).isEqualTo("canary");
        assertThat(body.at("/stages/1/minSoakSeconds").isMissingNode()).isTrue();
        assertThat(body.get("allowList")).extracting(n -> n.asText()).containsExactly("alice", "bob");
        assertThat(body.at("/guardPolicy/action").asText()).isEqualTo("REVERT_STAGE");
        assertThat(body.at("/guardPolicy/cooldownSeconds").asLong()).isEqualTo(60);
    }

    @Test
    void inputThatIsNotEvenARequestIsShownNextToItsField() {
        FlagForm form = form(Map.of("key", "k", "rolloutPercentage", "ten", "stages", "canary", "variants", "[1, 2]"));

        assertThat(form.toRequest(json, true)).isNull();
        assertThat(form.error("rolloutPercentage")).isEqualTo("must be a number");
        assertThat(form.error("stages")).contains("line 1");
        assertThat(form.error("variants")).contains("JSON object");
        assertThat(form.value("rolloutPercentage")).isEqualTo("ten");
    }

    @Test
    void violationsFindTheirInputsAndTheRestGoesToTheWholeForm() {
        FlagForm form = form(Map.of("key", "k"));
        Map<String, String> violations = new LinkedHashMap<>();
        violations.put("rolloutPercentage", "must be less than or equal to 100");
        violations.put("stages[1].percentage", "must be at most 100");
        violations.put("guardPolicy.cooldownSeconds", "must be greater than or equal to 0");
        violations.put("body", "flag and parent form a cycle");

        String unplaced = form.addViolations(violations);

        assertThat(form.error("rolloutPercentage")).isEqualTo("must be less than or equal to 100");
        assertThat(form.error("stages")).isEqualTo("stages[1].percentage: must be at most 100");
        assertThat(form.error("guardCooldownSeconds")).contains("greater than or equal to 0");
        assertThat(unplaced).isEqualTo("body flag and parent form a cycle.");
    }
}
