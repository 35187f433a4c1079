package dev.rollguard.rollback;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.rollback.testing.Alerts;
import dev.rollguard.rollback.testing.Api;
import dev.rollguard.rollback.testing.FakeFlagService;
import dev.rollguard.rollback.testing.FakeFlagServiceResource;
import dev.rollguard.rollback.testing.InjectFakeFlagService;
import dev.rollguard.schemas.event.AlertEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The history API: admin only, JSON errors, filters. */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.DATABASE, value = "rollguard_rollbacks"))
@QuarkusTestResource(FakeFlagServiceResource.class)
class RollbackApiTest {

    @InjectFakeFlagService
    FakeFlagService flagService;

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
        await().atMost(Duration.ofSeconds(20)).until(() -> Api.doneOutcome(Alerts.actionId(elsewhere)) != null);

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
