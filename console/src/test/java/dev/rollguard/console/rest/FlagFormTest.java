package dev.rollguard.console.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.console.view.FlagView;
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

    private static final String PLAN_FLAG =
            """
            {"key": "checkout", "description": "old words", "owner": "team-a", "type": "BOOLEAN", "enabled": true,
             "rolloutPercentage": 10, "version": 7, "currentStage": 1, "stageVersion": 6,
             "guardPolicy": {"action": "KILL", "dryRun": false, "cooldownSeconds": 300},
             "stages": [
               {"name": "internal", "percentage": 0, "minSoakSeconds": 600, "minClientsPerCohort": 0,
                "promotion": "MANUAL", "tolerancePercent": null},
               {"name": "canary", "percentage": 10.0, "minSoakSeconds": 3600, "minClientsPerCohort": 100,
                "promotion": "AUTO", "tolerancePercent": 20},
               {"name": "all", "percentage": 100, "minSoakSeconds": 0, "minClientsPerCohort": 0,
                "promotion": "AUTO", "tolerancePercent": null}]}
            """;

    /** The edit page's form as the browser posts it back, with {@code changes} typed in. */
    private FlagForm edited(Map<String, String> changes) throws Exception {
        FlagForm shown = FlagForm.of(FlagView.of(json.readTree(PLAN_FLAG)));
        MultivaluedHashMap<String, String> params = new MultivaluedHashMap<>();
        FlagForm.FIELDS.forEach(field -> params.putSingle(field, shown.value(field)));
        params.putSingle("version", shown.version());
        params.putSingle("stagesBefore", shown.stagesBefore());
        changes.forEach(params::putSingle);
        return FlagForm.of(params);
    }

    @Test
    void anEditThatLeavesThePlanAloneDoesNotSendIt() throws Exception {
        ObjectNode body = edited(Map.of("description", "new words")).toRequest(json, false);

        assertThat(body.get("description").asText()).isEqualTo("new words");
        assertThat(body.has("stages")).isFalse();
        assertThat(body.has("currentStage")).isFalse();
    }

    @Test
    void theStagesBoxCarriesEveryFieldOfAStageBothWays() throws Exception {
        FlagForm form = edited(Map.of());
        assertThat(form.value("stages"))
                .isEqualTo("internal 0 600 manual clients=0\n"
                        + "canary 10 3600 auto clients=100 tolerance=20\n"
                        + "all 100 0 auto clients=0\n");

        String changed = form.value("stages").replace("all 100 0 auto", "all 100 60 auto");
        ObjectNode body = edited(Map.of("stages", changed)).toRequest(json, false);

        assertThat(body.get("stages")).hasSize(3);
        assertThat(body.at("/stages/0/promotion").asText()).isEqualTo("manual");
        assertThat(body.at("/stages/1/promotion").asText()).isEqualTo("auto");
        assertThat(body.at("/stages/1/minClientsPerCohort").asLong()).isEqualTo(100);
        assertThat(body.at("/stages/1/tolerancePercent").asInt()).isEqualTo(20);
        assertThat(body.at("/stages/1/minSoakSeconds").asLong()).isEqualTo(3600);
        assertThat(body.at("/stages/2/promotion").asText()).isEqualTo("auto");
        assertThat(body.at("/stages/2/minSoakSeconds").asLong()).isEqualTo(60);
        assertThat(body.at("/stages/2").has("tolerancePercent")).isFalse();
    }

    @Test
    void onlyFieldsTheFlagServiceDeclaresAreSentForAStage() throws Exception {
        ObjectNode body = edited(Map.of("stages", "canary 10 soak=60 MANUAL clients=5 tolerance=30%"))
                .toRequest(json, false);

        assertThat(body.at("/stages/0").fieldNames())
                .toIterable()
                .containsExactlyInAnyOrder(
                        "name", "percentage", "minSoakSeconds", "promotion", "minClientsPerCohort", "tolerancePercent");
        assertThat(body.at("/stages/0/tolerancePercent").asInt()).isEqualTo(30);
        FlagForm wrong = edited(Map.of("stages", "canary 10 sometimes"));
        assertThat(wrong.toRequest(json, false)).isNull();
        assertThat(wrong.error("stages")).contains("line 1").contains("'sometimes'");
    }

    @Test
    void aStageNameWithSpacesRoundTripsWithEveryField() throws Exception {
        String flag =
                """
                {"key": "checkout", "type": "BOOLEAN", "enabled": true, "rolloutPercentage": 5, "version": 3,
                 "currentStage": 0, "stageVersion": 2,
                 "stages": [
                   {"name": "early adopters", "percentage": 5, "minSoakSeconds": 1800, "minClientsPerCohort": 100,
                    "promotion": "AUTO", "tolerancePercent": 20},
                   {"name": "wave 2", "percentage": 50, "minSoakSeconds": null, "minClientsPerCohort": null,
                    "promotion": "MANUAL", "tolerancePercent": null},
                   {"name": "all  of   them", "percentage": 100, "minSoakSeconds": 0, "minClientsPerCohort": 0,
                    "promotion": "MANUAL", "tolerancePercent": null}]}
                """;
        FlagForm shown = FlagForm.of(FlagView.of(json.readTree(flag)));
        Map<String, String> errors = new LinkedHashMap<>();

        var stages = FlagForm.stages(json, shown.value("stages"), errors);

        assertThat(errors).isEmpty();
        assertThat(stages).hasSize(3);
        assertThat(stages.at("/0/name").asText()).isEqualTo("early adopters");
        assertThat(stages.at("/0/percentage").decimalValue()).isEqualByComparingTo("5");
        assertThat(stages.at("/0/minSoakSeconds").asLong()).isEqualTo(1800);
        assertThat(stages.at("/0/promotion").asText()).isEqualTo("auto");
        assertThat(stages.at("/0/minClientsPerCohort").asLong()).isEqualTo(100);
        assertThat(stages.at("/0/tolerancePercent").asInt()).isEqualTo(20);
        assertThat(stages.at("/1/name").asText()).isEqualTo("wave 2");
        assertThat(stages.at("/1/percentage").decimalValue()).isEqualByComparingTo("50");
        assertThat(stages.at("/1").has("minSoakSeconds")).isFalse();
        assertThat(stages.at("/1/promotion").asText()).isEqualTo("manual");
        assertThat(stages.at("/2/name").asText()).isEqualTo("all  of   them");
        assertThat(stages.at("/2/minSoakSeconds").asLong()).isZero();

        ObjectNode body = FlagForm.of(params(shown, Map.of("stages", shown.value("stages") + "last 100\n")))
                .toRequest(json, false);
        assertThat(body).isNotNull();
        assertThat(body.at("/stages/0/name").asText()).isEqualTo("early adopters");
        assertThat(body.get("stages")).hasSize(4);
    }

    private static MultivaluedHashMap<String, String> params(FlagForm shown, Map<String, String> changes) {
        MultivaluedHashMap<String, String> params = new MultivaluedHashMap<>();
        FlagForm.FIELDS.forEach(field -> params.putSingle(field, shown.value(field)));
        params.putSingle("version", shown.version());
        params.putSingle("stagesBefore", shown.stagesBefore());
        changes.forEach(params::putSingle);
        return params;
    }

    @Test
    void anEditFromAPageWithoutStagesBeforeLeavesThePlanAsStored() {
        // As the console before this one showed the edit page: the box in the short form, no stagesBefore field.
        FlagForm form = form(Map.of(
                "key", "checkout",
                "version", "7",
                "description", "new words",
                "stages", "internal 0 600\ncanary 10 3600\nall 100 0\n"));

        ObjectNode body = form.toRequest(json, false);

        assertThat(body).isNotNull();
        assertThat(body.get("description").asText()).isEqualTo("new words");
        assertThat(body.has("stages")).isFalse();
        assertThat(body.has("currentStage")).isFalse();
    }

    @Test
    void anEmptiedBoxTakesTheFlagOffItsPlan() throws Exception {
        ObjectNode body = edited(Map.of("stages", "none")).toRequest(json, false);

        assertThat(body.get("stages")).isEmpty();
        assertThat(body.get("currentStage").isNull()).isTrue();
    }

    @Test
    void aCreateWithAnEmptyBoxGetsTheDefaultPlanAndNoneGetsNoPlan() {
        ObjectNode blank = form(Map.of("key", "k", "stages", "  \n")).toRequest(json, true);
        ObjectNode none = form(Map.of("key", "k", "stages", "none")).toRequest(json, true);

        assertThat(blank.has("stages")).isFalse();
        assertThat(blank.has("description")).isFalse();
        assertThat(none.get("stages")).isEmpty();
    }

    @Test
    void anEditMayClearTheDescriptionAndTheOwner() throws Exception {
        ObjectNode body = edited(Map.of("description", " ", "owner", "")).toRequest(json, false);

        assertThat(body.get("description").isNull()).isTrue();
        assertThat(body.get("owner").isNull()).isTrue();
    }
}
