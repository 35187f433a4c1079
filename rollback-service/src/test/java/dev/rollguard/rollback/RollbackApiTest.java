package dev.rollguard.rollback;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.rollback.domain.Decision;
import dev.rollguard.rollback.domain.RollbackRecord;
import dev.rollguard.rollback.mapping.RollbackMapper;
import dev.rollguard.rollback.repository.RollbackRepository;
import dev.rollguard.rollback.testing.Alerts;
import dev.rollguard.rollback.testing.Api;
import dev.rollguard.rollback.testing.FakeFlagService;
import dev.rollguard.rollback.testing.FakeFlagServiceResource;
import dev.rollguard.rollback.testing.InjectFakeFlagService;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.RollbackOutcome;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The history API: admin only, JSON errors, filters, pages. */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.DATABASE, value = "rollguard_rollbacks"))
@QuarkusTestResource(FakeFlagServiceResource.class)
class RollbackApiTest {

    @InjectFakeFlagService
    FakeFlagService flagService;

    @Inject
    RollbackRepository repository;

    /** Stores an action of {@code flag} with this outcome and creation time, as the guard does. */
    private String store(String flag, RollbackOutcome outcome, Instant createdAt) {
        AlertEvent alert = Alerts.critical(flag).build();
        RollbackRecord record = RollbackMapper.newRecord(
                alert,
                Alerts.actionId(alert),
                flag,
                new Decision(GuardAction.NOTIFY_ONLY, outcome, false, outcome + " on " + flag + "."),
                1L,
                createdAt);
        assertThat(repository.insert(record, null).await().atMost(Duration.ofSeconds(5)))
                .isTrue();
        return record.id();
    }

    private static List<String> page(String flag, String outcome, int limit, String before) {
        var request = Api.asAdmin().queryParam("flag", flag).queryParam("outcome", outcome);
        if (before != null) {
            request.queryParam("before", before);
        }
        return request.queryParam("limit", limit)
                .get("/api/rollbacks")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("id", String.class);
    }

    @Test
    void pagesWalkTheFilteredHistoryOnceInOrderAndLeaveOutWhatIsStoredMeanwhile() {
        String flag = "flag-" + UUID.randomUUID();
        Instant base = Instant.now().minus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.MILLIS);
        // Seven notified actions, three of them created at the same instant (the order breaks the tie by id), and
        // actions the filter leaves out between them.
        List<String> notified = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            Instant createdAt = i < 3 ? base : base.plusSeconds(i);
            notified.add(store(flag, RollbackOutcome.NOTIFIED, createdAt));
            store(flag, RollbackOutcome.SKIPPED_COOLDOWN, createdAt.plusMillis(500));
        }
        store("flag-" + UUID.randomUUID(), RollbackOutcome.NOTIFIED, base.plusSeconds(3));
        List<String> expected =
                new ArrayList<>(List.of(notified.get(6), notified.get(5), notified.get(4), notified.get(3)));
        expected.addAll(notified.subList(0, 3).stream()
                .sorted(Comparator.reverseOrder())
                .toList());

        List<String> first = page(flag, "NOTIFIED", 3, null);
        String later = store(flag, RollbackOutcome.NOTIFIED, Instant.now());
        List<String> second = page(flag, "NOTIFIED", 3, first.get(2));
        List<String> third = page(flag, "NOTIFIED", 3, second.get(2));

        assertThat(first).hasSize(3);
        assertThat(second).hasSize(3);
        List<String> walked = new ArrayList<>(first);
        walked.addAll(second);
        walked.addAll(third);
        assertThat(walked)
                .as("every action once, newest first, ties by id descending")
                .isEqualTo(expected);
        assertThat(walked).doesNotContain(later);
        assertThat(page(flag, "NOTIFIED", 3, third.get(third.size() - 1))).isEmpty();
        assertThat(page(flag, "NOTIFIED", 3, null)).startsWith(later);
    }

    @Test
    void aCursorThatNamesNoActionIsRefused() {
        Api.asAdmin()
                .queryParam("before", "no-such-action:0")
                .get("/api/rollbacks")
                .then()
                .statusCode(400)
                .contentType(containsString("application/json"))
                .body("code", equalTo("INVALID_CURSOR"))
                .body("message", containsString("no-such-action:0"))
                .body(not(containsString("Exception")));
        Api.asAdmin()
                .queryParam("flag", "any-flag")
                .queryParam("before", "")
                .get("/api/rollbacks")
                .then()
                .statusCode(400)
                .body("code", equalTo("INVALID_CURSOR"));
    }

    @Test
    void historyNeedsTheAdminToken() {
        given().get("/api/rollbacks")
                .then()
                .statusCode(401)
                .contentType(containsString("application/json"))
                .body("code", equalTo("UNAUTHENTICATED"));
        given().header("Authorization", "Bearer not-a-token")
                .get("/api/rollbacks")
                .then()
                .statusCode(401)
                .body("code", equalTo("UNAUTHENTICATED"));
        given().header("Authorization", "Bearer " + FakeFlagService.SERVICE_TOKEN)
                .get("/api/rollbacks/anything")
                .then()
                .statusCode(403)
                .body("code", equalTo("FORBIDDEN"));
        given().header("Authorization", "Bearer " + FakeFlagService.CLIENT_TOKEN)
                .get("/api/rollbacks")
                .then()
                .statusCode(403)
                .body("code", equalTo("FORBIDDEN"));
    }

    @Test
    void unknownActionIsAJsonNotFound() {
        Api.asAdmin()
                .get("/api/rollbacks/{id}", "no-such-fingerprint:0")
                .then()
                .statusCode(404)
                .contentType(containsString("application/json"))
                .body("code", equalTo("NOT_FOUND"))
                .body(not(containsString("Exception")));
    }

    @Test
    void badQueryParametersAreValidationErrors() {
        Api.asAdmin()
                .queryParam("limit", 0)
                .get("/api/rollbacks")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations[0].field", equalTo("limit"));
        Api.asAdmin()
                .queryParam("flag", "f".repeat(201))
                .get("/api/rollbacks")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations[0].field", equalTo("flag"));
        Api.asAdmin()
                .queryParam("outcome", "EXPLODED")
                .get("/api/rollbacks")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations[0].field", equalTo("outcome"));
        Api.asAdmin()
                .queryParam("limit", "many")
                .get("/api/rollbacks")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations[0].field", equalTo("limit"));
    }

    @Test
    void historyIsFilteredByFlagAndOutcomeNewestFirst() {
        String flag = "flag-" + UUID.randomUUID();
        String other = "flag-" + UUID.randomUUID();
        flagService.define(flag, "KILL");
        flagService.define(other, "KILL");
        AlertEvent first = Alerts.critical(flag).build();
        AlertEvent second = Alerts.critical(flag).setRuleId("crash-rate").build();
        AlertEvent elsewhere = Alerts.critical(other).build();

        Alerts.send(first, second, elsewhere);
        // The flag's two alerts are handled one after the other, beside the other flag's: wait for all three.
        await().atMost(Duration.ofSeconds(20)).until(() -> Stream.of(first, second, elsewhere)
                .allMatch(alert -> Api.doneOutcome(Alerts.actionId(alert)) != null));

        JsonPath all = Api.asAdmin()
                .queryParam("flag", flag)
                .get("/api/rollbacks")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(all.getList("id", String.class)).containsExactly(Alerts.actionId(second), Alerts.actionId(first));
        assertThat(all.getList("flagKey", String.class)).containsOnly(flag);
        assertThat(all.getList("outcome", String.class)).containsExactly("SKIPPED_ALREADY_OFF", "APPLIED");

        List<String> applied = Api.asAdmin()
                .queryParam("flag", flag)
                .queryParam("outcome", "APPLIED")
                .get("/api/rollbacks")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("id", String.class);
        assertThat(applied).containsExactly(Alerts.actionId(first));

        assertThat(Api.asAdmin()
                        .queryParam("limit", 1)
                        .get("/api/rollbacks")
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath()
                        .getList("id"))
                .hasSize(1);
    }
}
