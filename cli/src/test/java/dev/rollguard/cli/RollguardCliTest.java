package dev.rollguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * What every command of the CLI promises, against a {@link ServiceStub}: {@code --help} on each command and subcommand
 * (exit 0), global options anywhere on the line, exit 2 for usage mistakes and 1 for failures, errors as
 * {@code {"code","message"}} under {@code -o json}; and the {@code rollouts} command.
 */
class RollguardCliTest {

    private static final String ROLLBACKS =
            """
            [{"flagKey": "X", "action": "KILL", "outcome": "APPLIED", "ruleName": "crash rate",
              "alertReceivedAt": "2026-01-01T10:00:01Z", "firstBreachAt": "2026-01-01T10:00:00Z",
              "flagChangedAt": "2026-01-01T10:00:02Z", "observedValue": 0.3, "threshold": 0.05}]
            """;

    private static final String ROLLOUT_STEPS =
            """
            [{"id": 8, "actionId": "checkout:7:PROMOTE", "flagKey": "checkout", "action": "PROMOTE",
              "outcome": "APPLIED", "reason": "healthy at 10%: non-inferior on 2 metrics",
              "fromStage": 1, "fromStageName": "10%", "fromPercentage": 10.0,
              "toStage": 2, "toStageName": "50%", "toPercentage": 50.0, "stageVersion": 7,
              "minSoakSeconds": 3600, "secondsInStage": 3720, "minClientsPerCohort": 200,
              "treatedClients": 250, "controlClients": 240, "verdict": "HEALTHY", "confidence": 0.95,
              "metrics": [], "dryRun": false, "decidedAt": 1767265200000, "createdAt": "2026-01-01T11:00:00.100Z"},
             {"id": 7, "actionId": "checkout:7:EXTEND", "flagKey": "checkout", "action": "EXTEND",
              "outcome": "APPLIED", "reason": "120 treated clients of 200 by the deadline",
              "fromStage": 1, "fromStageName": "10%", "fromPercentage": 10.0,
              "toStage": 1, "toStageName": "10%", "toPercentage": 10.0, "stageVersion": 7,
              "minClientsPerCohort": 200, "treatedClients": 120, "controlClients": 130, "verdict": null,
              "confidence": null, "decidedAt": "2026-01-01T10:30:00Z"}]
            """;

    private final ServiceStub stub = new ServiceStub();

    @AfterEach
    void stop() {
        stub.close();
    }

    /** Every command and subcommand, as the words that name it on the command line. */
    static Stream<String> commands() {
        CommandLine root = new CommandLine(new RollguardCli(
                new RollguardApi(RollguardApi.Endpoints.fromEnvironment(java.util.Map.of())),
                new PrintStream(PrintStream.nullOutputStream()),
                new RollguardCli.Screen(false, Clock.systemUTC(), pause -> false)));
        List<String> names = new ArrayList<>();
        collect(root, "", names);
        return names.stream();
    }

    private static void collect(CommandLine command, String prefix, List<String> names) {
        command.getSubcommands().forEach((name, sub) -> {
            names.add((prefix + " " + name).strip());
            collect(sub, prefix + " " + name, names);
        });
    }

    @Test
    void theCommandsAreAllThere() {
        assertThat(commands())
                .contains(
                        "flags",
                        "flag",
                        "kill",
                        "unkill",
                        "stage",
                        "kill-switch",
                        "alerts",
                        "guard",
                        "rollbacks",
                        "rollouts",
                        "report",
                        "audit",
                        "rollout",
                        "rollout get",
                        "rollout promote",
                        "rollout pause",
                        "rollout resume",
                        "rollout abort",
                        "rollout retry",
                        "rules",
                        "rules get",
                        "rules set",
                        "rules preview",
                        "segment",
                        "segment list",
                        "segment get",
                        "segment put",
                        "segment delete");
    }

    @ParameterizedTest
    @MethodSource("commands")
    void everyCommandAndSubcommandHasHelp(String command) {
        for (String help : List.of("--help", "-h")) {
            List<String> line = new ArrayList<>(List.of(command.split(" ")));
            line.add(help);

            ServiceStub.Result result = stub.run(line.toArray(String[]::new));

            assertThat(result.exitCode()).as(command + " " + help).isZero();
            assertThat(result.out()).startsWith("Usage: bin/rollguard " + command + " ");
            assertThat(result.out()).contains("-o, --output=table|json").contains("-h, --help");
            assertThat(result.err()).isEmpty();
        }
        assertThat(stub.requests).isEmpty();
    }

    @Test
    void liftingTheGlobalKillSwitchSendsItsReasonWhereTheFlagServiceReadsIt() {
        stub.answer("DELETE /api/kill-switch", 200, "{\"killed\": false}");

        ServiceStub.Result result = stub.run("kill-switch", "off", "--reason", "INC-1234 over");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(stub.requests).singleElement().satisfies(request -> {
            assertThat(request.method()).isEqualTo("DELETE");
            assertThat(request.query()).isEqualTo("reason=INC-1234+over");
            assertThat(request.body()).isEmpty();
        });
    }

    @Test
    void theHealthReportOfAnUnreachableServiceIsOneLineNamingIt() {
        RollguardApi api = new RollguardApi(new RollguardApi.Endpoints(
                stub.url(), "http://127.0.0.1:1", stub.url(), stub.url(), "admin-token", null, null));

        ServiceStub.Result result = ServiceStub.run(
                api, ServiceStub.screen(java.time.Clock.systemUTC(), false), "report", "--flag", "checkout");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).contains("cannot reach http://127.0.0.1:1/").doesNotContain("ConnectException");
    }

    @Test
    void theTopLevelHelpListsTheCommandsAndExitCodes() {
        ServiceStub.Result result = stub.run("--help");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out())
                .contains("rollouts")
                .contains("rollbacks")
                .contains("Exit codes: 0 done, 1 a call failed, 2 a usage mistake");
    }

    @Test
    void globalOptionsMayComeAnywhereOnTheLine() throws IOException {
        stub.answer("GET /api/rollbacks", 200, ROLLBACKS);
        List<List<String>> lines = List.of(
                List.of("-o", "json", "rollbacks", "--flag", "X"),
                List.of("rollbacks", "--flag", "X", "-o", "json"),
                List.of("rollbacks", "-o", "json", "--flag", "X"),
                List.of("--output=json", "rollbacks", "--flag", "X"),
                List.of("rollbacks", "--flag", "X", "-oJSON"));

        for (List<String> line : lines) {
            ServiceStub.Result result = stub.run(line.toArray(String[]::new));

            assertThat(result.exitCode()).as(line.toString()).isZero();
            JsonNode printed = RollguardApi.JSON.readTree(result.out());
            assertThat(printed.isArray()).as(line.toString()).isTrue();
            assertThat(printed.get(0).path("action").asText()).isEqualTo("KILL");
        }
        assertThat(stub.requests).hasSize(lines.size()).allSatisfy(r -> assertThat(r.query())
                .isEqualTo("flag=X"));

        ServiceStub.Result table = stub.run("rollbacks", "--flag", "X");
        assertThat(table.out()).startsWith("WHEN").contains("crash rate").contains("2 s");
    }

    @Test
    void globalOptionsReachSubcommandsOfSubcommands() throws IOException {
        stub.answer("GET /api/flags/checkout/rollout", 200, "{\"key\": \"checkout\", \"phase\": \"NO_PLAN\"}");

        ServiceStub.Result result = stub.run("-o", "json", "rollout", "get", "checkout");

        assertThat(result.exitCode()).isZero();
        assertThat(RollguardApi.JSON.readTree(result.out()).path("phase").asText())
                .isEqualTo("NO_PLAN");
    }

    @Test
    void usageMistakesExitTwoAndSendNothing() {
        List<List<String>> mistakes = List.of(
                List.of(),
                List.of("bogus"),
                List.of("flags", "--bogus"),
                List.of("flag"),
                List.of("-o", "xml", "flags"),
                List.of("flags", "-o"),
                List.of("stage", "checkout", "sideways"),
                List.of("stage", "checkout", "set"),
                List.of("kill", "checkout"),
                List.of("kill-switch", "maybe", "--reason", "r"),
                List.of("kill-switch", "on"),
                List.of("rollouts", "--limit", "0"),
                List.of("rollouts", "--limit", "many"),
                List.of("rollout"),
                List.of("rollout", "rewind", "checkout"),
                List.of("rollout", "get", "checkout", "--interval", "0"),
                List.of("rollout", "resume", "checkout"));

        for (List<String> line : mistakes) {
            ServiceStub.Result result = stub.run(line.toArray(String[]::new));

            assertThat(result.exitCode()).as(line.toString()).isEqualTo(2);
            assertThat(result.out()).as(line.toString()).isEmpty();
            assertThat(result.err()).as(line.toString()).isNotBlank();
        }
        assertThat(stub.requests).isEmpty();
    }

    @Test
    void failuresExitOneWithTheServicesCodeAndMessage() {
        stub.answer(
                "POST /api/flags/checkout/kill",
                409,
                "{\"code\":\"ALREADY_KILLED\",\"message\":\"flag 'checkout' is already killed\"}");

        ServiceStub.Result refused = stub.run("kill", "checkout", "--reason", "INC-1");
        ServiceStub.Result missing = stub.run("flag", "nope");

        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err())
                .isEqualTo("error: killing checkout failed (409 ALREADY_KILLED): flag 'checkout' is already killed\n");
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err()).contains("404 NOT_FOUND");
        assertThat(refused.out()).isEmpty();
    }

    @Test
    void anUnreachableServiceExitsOne() {
        ServiceStub.Result result = unreachable("flags");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).startsWith("error: cannot reach http://127.0.0.1:1/");
    }

    @Test
    void underJsonOutputErrorsAreJsonWithACodeAndAMessage() throws IOException {
        stub.answer(
                "POST /api/flags/checkout/rollout/promote",
                409,
                "{\"code\":\"KILLED\",\"message\":\"flag 'checkout' is killed: cannot promote\"}");

        JsonNode refused = error(stub.run("-o", "json", "rollout", "promote", "checkout"), 1);
        JsonNode mistake = error(stub.run("rollout", "resume", "checkout", "-o", "json"), 2);
        JsonNode unknown = error(stub.run("--output=json", "bogus"), 2);
        JsonNode ownCheck = error(stub.run("-o", "json", "stage", "checkout", "sideways"), 2);
        JsonNode badFormat = error(stub.run("-o", "json", "flags", "--output", "xml"), 2);
        JsonNode down = error(unreachable("flags", "-o", "json"), 1);

        assertThat(refused.path("code").asText()).isEqualTo("KILLED");
        assertThat(refused.path("message").asText())
                .isEqualTo("promoted checkout failed (409 KILLED): flag 'checkout' is killed: cannot promote");
        assertThat(mistake.path("code").asText()).isEqualTo("USAGE");
        assertThat(mistake.path("message").asText()).contains("--reason");
        assertThat(unknown.path("code").asText()).isEqualTo("USAGE");
        assertThat(unknown.path("message").asText()).contains("bogus");
        assertThat(ownCheck.path("code").asText()).isEqualTo("USAGE");
        assertThat(ownCheck.path("message").asText()).isEqualTo("stage takes next, back or set N; got sideways");
        assertThat(badFormat.path("code").asText()).isEqualTo("USAGE");
        assertThat(down.path("code").asText()).isEqualTo("UNREACHABLE");
        assertThat(down.path("message").asText()).contains("cannot reach http://127.0.0.1:1/");
    }

    @Test
    void rolloutsListsThePromotersStepsWithTheirEvidence() throws IOException {
        stub.answer("GET /api/rollouts", 200, ROLLOUT_STEPS);

        ServiceStub.Result table = stub.run("rollouts", "--flag", "checkout", "--limit", "2");
        ServiceStub.Result json = stub.run("rollouts", "-o", "json");

        assertThat(table.exitCode()).isZero();
        List<String> lines = table.out().lines().toList();
        assertThat(lines.get(0))
                .matches("WHEN\\s+FLAG\\s+ACTION\\s+OUTCOME\\s+STAGE\\s+ROLLOUT\\s+CLIENTS\\s+VERDICT\\s+REASON");
        assertThat(lines.get(1))
                .matches("2026-01-01T11:00:00Z\\s+checkout\\s+PROMOTE\\s+APPLIED\\s+10% -> 50%\\s+10 % -> 50 %"
                        + "\\s+250/240 of 200\\s+HEALTHY 95 %\\s+healthy at 10%: non-inferior on 2 metrics");
        assertThat(lines.get(2))
                .matches("2026-01-01T10:30:00Z\\s+checkout\\s+EXTEND\\s+APPLIED\\s+10%\\s+10 %\\s+120/130 of 200"
                        + "\\s+-\\s+120 treated clients of 200 by the deadline");
        assertThat(stub.requests.get(0).query()).isEqualTo("flag=checkout&limit=2");
        assertThat(stub.requests.get(1).query()).isNull();
        assertThat(RollguardApi.JSON.readTree(json.out()).get(0).path("id").asInt())
                .isEqualTo(8);
    }

    @Test
    void rolloutsFailsWhenTheRollbackServiceCannotBeRead() {
        ServiceStub.Result result = stub.run("rollouts");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).contains("listing rollout steps failed (404 NOT_FOUND)");
    }

    private ServiceStub.Result unreachable(String... args) {
        String nowhere = "http://127.0.0.1:1";
        RollguardApi api = new RollguardApi(
                new RollguardApi.Endpoints(nowhere, nowhere, nowhere, nowhere, "admin-token", null, null));
        return ServiceStub.run(api, ServiceStub.screen(Clock.systemUTC(), false), args);
    }

    /** The one JSON error a failed command printed on stderr, with nothing on stdout. */
    private static JsonNode error(ServiceStub.Result result, int exitCode) {
        assertThat(result.exitCode()).isEqualTo(exitCode);
        assertThat(result.out()).isEmpty();
        assertThat(result.err().lines()).hasSize(1);
        try {
            return RollguardApi.JSON.readTree(result.err());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
