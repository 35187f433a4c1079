package dev.rollguard.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.infra.HeadlessChromium;
import dev.rollguard.infra.ServiceStack;
import dev.rollguard.infra.SharedInfra;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.ClientMoment;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.CohortComparison;
import dev.rollguard.schemas.event.MetricEvidence;
import dev.rollguard.schemas.event.RolloutAction;
import dev.rollguard.schemas.event.RolloutActionEvent;
import dev.rollguard.schemas.event.RolloutOutcome;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.Severity;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.guard.GuardMetrics;
import dev.rollguard.schemas.serde.AvroCodec;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real browser (Debian's headless Chromium) against the real stack: the four packaged services on a
 * real broker and PostgreSQL, and the console's own packaged application. An operator signs in, creates a flag (and
 * sees the flag-service's validation errors next to the field), finds it, kills it with a reason, watches windows
 * and an alert arrive without reloading, opens the evidence of the guard's automatic rollback, and drives a rollout
 * with promote, pause, resume, abort and retry (the flag-service's refusals shown) while its timeline follows live.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    private static final String FLAG = "checkout.new-flow-" + RUN;
    private static final String GUARDED = "checkout.guarded-" + RUN;
    private static final String JUDGED = "checkout.judged-" + RUN;
    private static final String ROLLOUT = "checkout.rollout-" + RUN;
    private static final String TARGETED = "checkout.targeted-" + RUN;
    private static final String SEGMENT = "beta-" + RUN;
    private static final String KILL_REASON = "EU checkout errors, investigating " + RUN;
    private static final String OPERATOR = "Ana Lima";

    private static ServiceStack stack;
    private static PackagedConsole console;
    private static String consoleUrl;
    private static WebDriver driver;
    private static WebDriverWait wait;
    private static KafkaProducer<String, byte[]> producer;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static Instant windowsFrom;

    @BeforeAll
    static void start() throws IOException {
        Map<String, List<String>> properties = new HashMap<>();
        properties.put(
                "metrics-ingest",
                new ArrayList<>(
                        List.of("kafka-streams.state.dir=" + SharedInfra.freshDirectory("console-it-streams"))));
        System.setProperty("rollguard.root", snapshotOfThePackagedServices().toString());
        stack = ServiceStack.start(properties);
        console = PackagedConsole.start(
                "console",
                stack.url("flag-service"),
                stack.url("metrics-ingest"),
                stack.url("alert-service"),
                stack.url("rollback-service"));
        consoleUrl = console.url();
        producer = new KafkaProducer<>(producerProperties());
        driver = chromium();
        // The live sections are swapped in place: an element found in one poll may be replaced before it is read.
        wait = new WebDriverWait(driver, WAIT);
        wait.ignoring(StaleElementReferenceException.class);
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
        if (producer != null) {
            producer.close();
        }
        if (console != null) {
            console.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    /** What the page's scripts logged (errors included), to read next to a failure. */
    @AfterEach
    void printBrowserLog() {
        driver.manage().logs().get(LogType.BROWSER).forEach(entry -> System.out.println("browser: " + entry));
    }

    @Test
    @Order(1)
    void signInKeepsTheTokenOnTheServer() {
        driver.get(consoleUrl + "/flags");
        wait.until(ExpectedConditions.urlContains("/login"));
        screenshot("01-sign-in");

        signIn("not-a-token");
        assertThat(text(By.id("login-error"))).contains("does not know this token");

        type(By.id("operator"), OPERATOR);
        signIn(ServiceStack.ADMIN_TOKEN);
        wait.until(ExpectedConditions.urlContains("/flags"));
        assertThat(text(By.tagName("h1"))).isEqualTo("Flags");
        assertThat(text(By.id("operator"))).isEqualTo(OPERATOR);
        assertThat(driver.getCurrentUrl()).doesNotContain(ServiceStack.ADMIN_TOKEN);
        Cookie session = driver.manage().getCookieNamed("rollguard_session");
        assertThat(session).isNotNull();
        assertThat(session.isHttpOnly()).isTrue();
        assertThat(session.getSameSite()).isEqualTo("Strict");
        assertThat(session.getValue()).doesNotContain(ServiceStack.ADMIN_TOKEN);
        assertThat((String) js("return document.cookie")).doesNotContain("rollguard_session");

        // Keyboard: the first Tab reaches the skip link.
        driver.findElement(By.tagName("body")).sendKeys(Keys.TAB);
        assertThat(driver.switchTo().activeElement().getText()).isEqualTo("Skip to content");
    }

    @Test
    @Order(2)
    void createAFlagWithTheServicesValidationShownInline() {
        driver.get(consoleUrl + "/flags/new");
        type(By.id("key"), FLAG);
        type(By.id("description"), "The new checkout flow");
        type(By.id("owner"), "payments-team");
        type(By.id("rolloutPercentage"), "150");
        type(By.id("stages"), "internal 0 0\ncanary 5 0\nhalf 50 0\nall 100");
        driver.findElement(By.id("enabled")).click();
        submit(By.cssSelector("form.flag-form"));

        // The flag-service's 400 violation, next to the field it names, with the input kept.
        WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("rolloutPercentage-error")));
        assertThat(error.getText()).containsIgnoringCase("100");
        assertThat(driver.findElement(By.id("rolloutPercentage")).getAttribute("aria-invalid"))
                .isEqualTo("true");
        assertThat(driver.findElement(By.id("rolloutPercentage")).getDomProperty("value"))
                .isEqualTo("150");
        screenshot("02-create-flag-validation");

        type(By.id("rolloutPercentage"), "0");
        submit(By.cssSelector("form.flag-form"));
        wait.until(ExpectedConditions.urlContains("/flags/" + FLAG));
        assertThat(text(By.cssSelector(".notice"))).isEqualTo("Flag created.");

        // Edit: the form comes back filled in, and the change is saved with the version it was read at.
        driver.findElement(By.linkText("Edit")).click();
        assertThat(driver.findElement(By.id("stages")).getDomProperty("value")).contains("half 50 0");
        type(By.id("description"), "The new checkout flow, one page");
        submit(By.cssSelector("form.flag-form"));
        wait.until(ExpectedConditions.urlContains("notice=saved"));
        assertThat(text(By.cssSelector("main"))).contains("The new checkout flow, one page");

        // Listed, and found by the search box (htmx swaps the rows without a reload).
        driver.get(consoleUrl + "/flags");
        js("window.__sameDocument = true");
        type(By.id("q"), "new-flow-" + RUN);
        wait.until(d -> d.findElements(By.cssSelector("#flag-rows tr")).size() == 1
                && !d.findElements(By.cssSelector("#flag-rows tr[data-flag='" + FLAG + "']"))
                        .isEmpty());
        assertThat((Boolean) js("return window.__sameDocument === true")).isTrue();
        WebElement row = driver.findElement(By.cssSelector("#flag-rows tr[data-flag='" + FLAG + "']"));
        assertThat(row.getText()).contains("ON").contains("not started").contains("KILL");
        driver.findElement(By.id("q")).clear();
        driver.get(consoleUrl + "/flags");
        screenshot("03-flags");
    }

    @Test
    @Order(3)
    void killAFlagWithAReasonAndSeeItsStateAndAudit() {
        driver.get(consoleUrl + "/flags/" + FLAG);
        driver.findElement(By.id("kill")).click();
        wait.until(ExpectedConditions.urlContains("/flags/" + FLAG + "/kill"));
        assertThat(text(By.id("effect"))).contains("Every client gets the off value of " + FLAG);
        screenshot("04-confirm-kill");
        type(By.id("reason"), KILL_REASON);
        submit(By.cssSelector("main form"));

        wait.until(ExpectedConditions.urlContains("notice=kill"));
        assertThat(text(By.id("flag-state"))).isEqualTo("KILLED");
        assertThat(text(By.id("kill-reason"))).isEqualTo(KILL_REASON);
        WebElement newest = driver.findElement(By.cssSelector("#audit-rows tr.audit-row"));
        assertThat(newest.getAttribute("data-action")).isEqualToIgnoringCase("KILL");
        assertThat(newest.findElement(By.cssSelector(".reason")).getText()).isEqualTo(KILL_REASON);
        assertThat(newest.getText()).contains("killed: false → true");
        // The flag-service recorded the person signed in (X-Rollguard-Actor), the token's name beside it.
        assertThat(newest.findElement(By.cssSelector("td[data-label='By']")).getText())
                .startsWith(OPERATOR);

        // A write without this session's CSRF token, or from another site, changes nothing.
        String cookie = "rollguard_session="
                + driver.manage().getCookieNamed("rollguard_session").getValue();
        assertThat(post("/flags/" + FLAG + "/unkill", "reason=forged", cookie, null))
                .isEqualTo(403);
        assertThat(post("/flags/" + FLAG + "/unkill", "reason=forged", cookie, "https://evil.example"))
                .isEqualTo(403);
        driver.navigate().refresh();
        assertThat(text(By.id("flag-state"))).isEqualTo("KILLED");
        screenshot("05-flag-killed-audit");
    }

    @Test
    @Order(4)
    void stageMovesSayWhatTheyWillDoFirst() {
        // A killed flag does not move along its plan: the flag-service refuses and the console says why.
        driver.get(consoleUrl + "/flags/" + FLAG);
        driver.findElement(By.linkText("Advance…")).click();
        type(By.id("reason"), "start the internal stage");
        submit(By.cssSelector("main form"));
        assertThat(text(By.id("confirm-error"))).contains("refused").contains("is killed");

        // With its kill lifted (and a reason), it moves.
        driver.get(consoleUrl + "/flags/" + FLAG);
        driver.findElement(By.id("unkill")).click();
        type(By.id("reason"), "fixed in 4.2.1");
        submit(By.cssSelector("main form"));
        wait.until(ExpectedConditions.urlContains("notice=unkill"));
        driver.findElement(By.linkText("Advance…")).click();
        assertThat(text(By.id("effect"))).contains("to stage 1 internal: 0 % of users get the change");
        type(By.id("reason"), "start the internal stage");
        submit(By.cssSelector("main form"));
        wait.until(ExpectedConditions.urlContains("notice=advance"));
        assertThat(text(By.cssSelector(".summary"))).contains("1/4 internal");

        new Select(driver.findElement(By.id("set-stage"))).selectByVisibleText("3. half (50 %)");
        submit(By.cssSelector("form.inline"));
        assertThat(text(By.id("effect"))).contains("from 1/4 internal (0 %) to stage 3 half: 50 % of users");
        type(By.id("reason"), "jump to half");
        submit(By.cssSelector("main form"));
        wait.until(ExpectedConditions.urlContains("notice=set"));
        assertThat(text(By.cssSelector(".summary"))).contains("3/4 half").contains("50 %");
        assertThat(text(By.cssSelector(".timeline li[aria-current='step'] .stage-name")))
                .isEqualTo("half");

        driver.findElement(By.linkText("Revert…")).click();
        assertThat(text(By.id("effect"))).contains("back from 3/4 half (50 %) to stage 2 canary");
        type(By.id("reason"), "too fast");
        submit(By.cssSelector("main form"));
        wait.until(ExpectedConditions.urlContains("notice=revert"));
        assertThat(text(By.cssSelector(".summary"))).contains("2/4 canary");

        // Killed again: the read-only session at the end finds it so.
        driver.findElement(By.id("kill")).click();
        type(By.id("reason"), KILL_REASON);
        submit(By.cssSelector("main form"));
        wait.until(ExpectedConditions.urlContains("notice=kill"));
    }

    @Test
    @Order(5)
    void windowsArriveOnTheChartsWithoutReloading() throws Exception {
        createGuardedFlag(GUARDED);
        driver.get(consoleUrl + "/flags/" + GUARDED);
        wait.until(ExpectedConditions.attributeToBe(By.id("live"), "data-connected", "true"));
        js("window.__sameDocument = true");

        // The last window closes about now, as if metrics-ingest had just emitted it.
        windowsFrom = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(40);
        for (int i = 0; i < 3; i++) {
            sendWindows(i);
        }
        awaitConsoleRead("windows", 6);
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("window-status"), "3 windows"));
        sendWindows(3);
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("window-status"), "4 windows"));
        assertThat((Boolean) js("return window.__sameDocument === true")).isTrue();
        // Both cohorts are plotted on each chart.
        Long treatmentPoints = (Long) js("return Chart.getChart('chart-errorRate').data.datasets[0].data.length");
        Long controlPoints = (Long) js("return Chart.getChart('chart-errorRate').data.datasets[1].data.length");
        assertThat(treatmentPoints).isEqualTo(4);
        assertThat(controlPoints).isEqualTo(4);
    }

    @Test
    @Order(6)
    void aCriticalAlertAppearsLiveAndTheRollbackShowsItsEvidence() throws Exception {
        driver.get(consoleUrl + "/alerts");
        js("window.__sameDocument = true");
        // The page is subscribed before the alert is sent.
        wait.until(ExpectedConditions.attributeToBe(By.id("recent-alerts"), "data-connected", "true"));

        String alertId = "console-it-" + RUN;
        sendAlert(alertId);

        awaitConsoleRead("alerts", 1);
        By row = By.cssSelector("#recent-alerts tr[data-alert='" + alertId + "']");
        wait.until(ExpectedConditions.visibilityOfElementLocated(row));
        assertThat((Boolean) js("return window.__sameDocument === true")).isTrue();
        assertThat(driver.findElement(row).getText())
                .contains("FIRING")
                .contains("CRITICAL")
                .contains("treatment worse than control")
                .contains(GUARDED);
        screenshot("06-alerts-live");

        // The rollback-service acted on it: the history lists the action, its evidence says why.
        driver.get(consoleUrl + "/rollbacks?flag=" + GUARDED);
        By action = By.cssSelector("tr.rollback-row[data-id^='fp-" + alertId + ":']");
        await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() -> {
            driver.navigate().refresh();
            return !driver.findElements(action).isEmpty();
        });
        screenshot("07-rollbacks");
        driver.findElement(action)
                .findElement(By.cssSelector("a.evidence-link"))
                .click();
        wait.until(ExpectedConditions.urlContains("/rollbacks/evidence"));
        assertThat(text(By.cssSelector(".outcome"))).isEqualTo("APPLIED");
        assertThat(text(By.cssSelector(".ev-rule"))).contains("treatment worse than control");
        assertThat(text(By.cssSelector(".ev-observed"))).contains("errorRate = 12.0 %");
        assertThat(text(By.cssSelector(".ev-threshold"))).contains("5.0 %");
        assertThat(text(By.cssSelector(".ev-treatment"))).contains("over 480 events");
        assertThat(text(By.cssSelector(".ev-control"))).contains("over 9520 events");
        assertThat(text(By.cssSelector(".steps"))).contains("alert fired").contains("flag changed");
        assertThat(driver.findElement(By.xpath("//ol[@class='steps']/li[span='flag changed']"))
                        .getAttribute("class"))
                .doesNotContain("missing");
        screenshot("08-rollback-evidence");

        // The flag's page: killed by the guard, with the alert and the action on the charts' time axis.
        driver.manage().window().setSize(new Dimension(1366, 2600));
        driver.get(consoleUrl + "/flags/" + GUARDED);
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("window-status"), "4 windows"));
        assertThat(text(By.id("flag-state"))).isEqualTo("KILLED");
        assertThat(driver.findElements(By.cssSelector("article.evidence"))).isNotEmpty();
        screenshot("09-flag-live-charts");
        driver.manage().window().setSize(new Dimension(1366, 1000));
    }

    @Test
    @Order(8)
    void theGlobalKillSwitchIsConfirmedAndShown() {
        driver.get(consoleUrl + "/flags");
        driver.findElement(By.linkText("Kill everything…")).click();
        assertThat(text(By.id("effect"))).contains("Every flag in this environment serves its off value");
        type(By.id("reason"), "incident 42");
        submit(By.cssSelector("main form"));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector(".global"), "Global kill switch is ON"));
        assertThat(text(By.cssSelector(".global"))).contains("incident 42");
        screenshot("12-global-kill-switch");

        driver.findElement(By.linkText("Turn off…")).click();
        type(By.id("reason"), "incident 42 resolved");
        submit(By.cssSelector("main form"));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector(".global"), "Global kill switch is off."));
    }

    @Test
    @Order(9)
    void aServiceTokenSignsInReadOnly() {
        driver.get(consoleUrl + "/flags");
        driver.findElement(By.cssSelector("form.signout button")).click();
        wait.until(ExpectedConditions.urlContains("/login"));
        driver.get(consoleUrl + "/flags");
        wait.until(ExpectedConditions.urlContains("/login"));

        signIn(ServiceStack.SERVICE_TOKEN);
        wait.until(ExpectedConditions.urlContains("/flags"));
        assertThat(text(By.cssSelector(".who"))).isEqualTo("read-only");
        assertThat(driver.findElements(By.linkText("New flag"))).isEmpty();
        driver.get(consoleUrl + "/flags/" + FLAG);
        assertThat(text(By.id("flag-state"))).isEqualTo("KILLED");
        assertThat(driver.findElements(By.id("unkill"))).isEmpty();
        driver.get(consoleUrl + "/flags/" + FLAG + "/unkill");
        assertThat(text(By.tagName("h1"))).isEqualTo("Not allowed");
    }

    @Test
    @Order(7)
    void healthReportAndPhoneWidth() {
        driver.get(consoleUrl + "/health-report");
        assertThat(text(By.tagName("h1"))).isEqualTo("Health report");
        assertThat(driver.findElements(By.id("report"))).isNotEmpty();
        screenshot("10-health-report");

        driver.manage().window().setSize(new Dimension(390, 844));
        driver.get(consoleUrl + "/flags");
        Long overflow = (Long) js("return document.documentElement.scrollWidth - window.innerWidth");
        assertThat(overflow).as("horizontal overflow at phone width").isLessThanOrEqualTo(0);
        assertThat(driver.findElement(By.cssSelector("#flag-rows tr[data-flag='" + FLAG + "']"))
                        .isDisplayed())
                .isTrue();
        screenshot("11-flags-phone");
        driver.manage().window().setSize(new Dimension(1366, 1000));
    }

    // --- the stack -------------------------------------------------------------------------------------------

    @Test
    @Order(10)
    void theFlagPageShowsTheGuardsVerdictWhenItsWindowsAreJudged() throws Exception {
        driver.get(consoleUrl + "/flags");
        driver.findElement(By.cssSelector("form.signout button")).click();
        wait.until(ExpectedConditions.urlContains("/login"));
        signIn(ServiceStack.ADMIN_TOKEN);
        wait.until(ExpectedConditions.urlContains("/flags"));
        createGuardedFlag(JUDGED);
        driver.get(consoleUrl + "/flags/" + JUDGED);
        wait.until(ExpectedConditions.attributeToBe(By.id("live"), "data-connected", "true"));
        assertThat(driver.findElement(By.id("guard")).getAttribute("data-status"))
                .as(text(By.id("guard")))
                .isEqualTo("NONE");
        js("window.__sameDocument = true");

        // The real alert-service judges the stage from the windows' client moments: too few clients to judge yet.
        sendJudgedWindows(Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(10));
        wait.until(ExpectedConditions.attributeToBe(By.id("guard"), "data-status", "INSUFFICIENT_DATA"));
        assertThat((Boolean) js("return window.__sameDocument === true")).isTrue();
        assertThat(text(By.id("guard-status"))).isEqualTo("INSUFFICIENT DATA");
        assertThat(driver.findElement(By.id("guard-status")).getAttribute("class"))
                .contains("guard-insufficient")
                .doesNotContain("healthy");
        WebElement failure =
                driver.findElement(By.cssSelector("#guard tr.guard-metric[data-status=INSUFFICIENT_DATA]"));
        assertThat(failure.getText()).contains("5 vs 5", "100 vs 100");
        assertThat(text(By.id("guard-summary"))).startsWith("INSUFFICIENT_DATA");
        screenshot("13-flag-guard-verdict");

        driver.findElement(By.linkText("Guard")).click();
        wait.until(ExpectedConditions.urlContains("/guard"));
        assertThat(text(By.cssSelector("#guard-rows tr[data-flag='" + JUDGED + "']")))
                .contains(JUDGED, "INSUFFICIENT DATA");
        screenshot("14-guard-overview");
    }

    @Test
    @Order(11)
    void rolloutControlsAreRefusedOrAppliedAndTheTimelineFollowsLive() throws Exception {
        flagService(
                "POST",
                "/api/flags",
                """
                {"key": "%s", "description": "Rolled out stage by stage", "enabled": true, "rolloutPercentage": 0,
                 "stages": [{"name": "internal", "percentage": 0, "minSoakSeconds": 0, "promotion": "manual"},
                            {"name": "canary", "percentage": 10, "minSoakSeconds": 3600, "minClientsPerCohort": 50,
                             "promotion": "auto"},
                            {"name": "half", "percentage": 50, "minSoakSeconds": 0, "minClientsPerCohort": 50,
                             "promotion": "auto"},
                            {"name": "all", "percentage": 100, "minSoakSeconds": 0, "promotion": "manual"}],
                 "currentStage": 0}
                """
                        .formatted(ROLLOUT),
                201);
        driver.get(consoleUrl + "/flags/" + ROLLOUT);
        assertThat(driver.findElement(By.id("rollout")).getAttribute("data-phase"))
                .isEqualTo("PROGRESSING");
        assertThat(text(By.cssSelector("#rollout .timeline li[aria-current='step'] .stage-name")))
                .isEqualTo("internal");
        assertThat(text(By.cssSelector("#rollout li[data-status='PENDING'] .stage-rules")))
                .contains("soak ≥ 3600 s", "≥ 50 clients per cohort", "auto");
        // Whatever the rollback-service says of promotions (no promoter yet: 404), the timeline is the flag-service's.
        assertThat(driver.findElements(By.cssSelector("#promoter-error, #promoter-none, #promoter")))
                .isNotEmpty();
        assertThat(text(By.id("rollout-outlook"))).contains("stage 1. internal (0 %) is manual");
        assertThat(driver.findElement(By.id("rollout-resume")).isEnabled()).isFalse();
        assertThat(text(By.id("rollout-resume-why"))).isEqualTo("Resume: not paused: nothing to resume");

        // Promote: internal has no soak, canary's is an hour.
        rolloutControl("promote", "internal looks fine");
        wait.until(ExpectedConditions.urlContains("notice=promote"));
        assertThat(text(By.cssSelector("#rollout .timeline li[aria-current='step'] .stage-name")))
                .isEqualTo("canary");
        assertThat(text(By.id("rollout-soak"))).contains("of 3600 s").contains("s left");

        driver.findElement(By.id("rollout-promote")).click();
        assertThat(text(By.id("effect"))).contains("soak has").contains("refuses unless you skip it");
        type(By.id("reason"), "canary is clean");
        submit(By.cssSelector("main form"));
        assertThat(text(By.id("confirm-error")))
                .startsWith("The flag-service refused: stage 'canary' soaks until")
                .endsWith("(SOAK_NOT_ELAPSED)");
        assertThat(driver.findElement(By.id("reason")).getDomProperty("value")).isEqualTo("canary is clean");
        screenshot("16-rollout-refusal");
        driver.findElement(By.id("skipSoak")).click();
        submit(By.cssSelector("main form"));
        wait.until(ExpectedConditions.urlContains("notice=promote"));
        assertThat(text(By.cssSelector("#rollout .timeline li[aria-current='step'] .stage-name")))
                .isEqualTo("half");

        // Paused: promote is disabled and says why; sent anyway, the flag-service refuses and the page says so.
        rolloutControl("pause", "looking at p95");
        wait.until(ExpectedConditions.urlContains("notice=pause"));
        assertThat(driver.findElement(By.id("rollout")).getAttribute("data-phase"))
                .isEqualTo("PAUSED");
        assertThat(driver.findElement(By.id("rollout-promote")).isEnabled()).isFalse();
        assertThat(text(By.id("rollout-promote-why"))).isEqualTo("Promote: paused (looking at p95): resume it first");
        assertThat(text(By.id("rollout-outlook"))).contains("the rollout is paused (looking at p95)");
        driver.get(consoleUrl + "/flags/" + ROLLOUT + "/rollout/promote");
        type(By.id("reason"), "go on");
        submit(By.cssSelector("main form"));
        assertThat(text(By.id("confirm-error"))).contains("is paused").endsWith("(PAUSED)");

        driver.get(consoleUrl + "/flags/" + ROLLOUT);
        rolloutControl("resume", "p95 explained");
        wait.until(ExpectedConditions.urlContains("notice=resume"));
        assertThat(driver.findElement(By.id("rollout")).getAttribute("data-phase"))
                .isEqualTo("PROGRESSING");

        // Abort, then retry after a fix: back at the stage it stopped at.
        rolloutControl("abort", "wrong build shipped");
        wait.until(ExpectedConditions.urlContains("notice=abort"));
        assertThat(driver.findElement(By.id("rollout")).getAttribute("data-phase"))
                .isEqualTo("ABORTED");
        assertThat(text(By.cssSelector("#rollout li[data-status='STOPPED'] .stage-name")))
                .isEqualTo("half");
        rolloutControl("retry", "fixed build deployed");
        wait.until(ExpectedConditions.urlContains("notice=retry"));
        assertThat(driver.findElement(By.id("rollout")).getAttribute("data-phase"))
                .isEqualTo("PROGRESSING");
        assertThat(text(By.cssSelector("#rollout .timeline li[aria-current='step'] .stage-name")))
                .isEqualTo("half");

        // A killed flag comes back with retry too (the runbook's way to re-enable it after a fix).
        driver.findElement(By.id("kill")).click();
        type(By.id("reason"), "errors in EU");
        submit(By.cssSelector("main form"));
        wait.until(ExpectedConditions.urlContains("notice=kill"));
        assertThat(text(By.id("rollout-outlook"))).contains("the flag is killed (errors in EU)");
        rolloutControl("retry", "EU fix deployed");
        wait.until(ExpectedConditions.urlContains("notice=retry"));
        assertThat(text(By.id("flag-state"))).isEqualTo("ON");
        assertThat(driver.findElement(By.cssSelector("#audit-rows tr.audit-row"))
                        .getAttribute("data-action"))
                .isEqualToIgnoringCase("RETRY");

        // Live: the guard pauses the flag and the promoter's step arrives while the page is open, no reload.
        wait.until(ExpectedConditions.attributeToBe(By.id("live"), "data-connected", "true"));
        js("window.__sameDocument = true");
        flagService("POST", "/api/flags/" + ROLLOUT + "/rollout/pause", "{\"reason\": \"guard: p95 regression\"}", 200);
        wait.until(ExpectedConditions.attributeToBe(By.id("rollout"), "data-phase", "PAUSED"));
        assertThat(text(By.id("rollout-stopped"))).isEqualTo("paused (guard: p95 regression)");
        sendRolloutStep(ROLLOUT);
        awaitConsoleRead("rollouts", 1);
        By step = By.cssSelector("#rollout-steps article.rollout-step[data-action='PROMOTE']");
        wait.until(ExpectedConditions.visibilityOfElementLocated(step));
        assertThat((Boolean) js("return window.__sameDocument === true")).isTrue();
        assertThat(driver.findElement(step).getText())
                .contains("canary (10 %) → half (50 %)")
                .contains("HEALTHY at 99 % confidence")
                .contains("64 treated, 580 control; 50 needed in each")
                .contains("failure");
        driver.manage().window().setSize(new Dimension(1366, 2200));
        js("document.getElementById('rollout').scrollIntoView()");
        screenshot("15-flag-rollout");
        driver.manage().window().setSize(new Dimension(1366, 1000));
    }

    @Test
    @Order(12)
    void targetingRulesAreEditedPreviewedAndGuardedByTheRealFlagService() throws Exception {
        flagService(
                "POST",
                "/api/flags",
                """
                {"key": "%s", "description": "Targeted by platform and version", "enabled": true, "type": "STRING",
                 "variants": {"off": "grey", "blue": "#00f"}, "treatmentVariant": "blue", "offVariant": "off",
                 "rolloutPercentage": 0}
                """
                        .formatted(TARGETED),
                201);
        driver.get(consoleUrl + "/flags/" + TARGETED);
        driver.findElement(By.id("add-rule")).click();
        wait.until(ExpectedConditions.urlContains("/rules/new"));
        type(By.id("rule-id"), "ios-new-app");
        type(By.id("c0-attribute"), "platform");
        new Select(driver.findElement(By.id("c0-operator"))).selectByValue("IN");
        type(By.id("c0-values"), "IOS");
        type(By.id("c1-attribute"), "appVersion");
        new Select(driver.findElement(By.id("c1-operator"))).selectByValue("SEMVER_GTE");
        type(By.id("c1-values"), "4.2");
        driver.findElement(By.id("save-rule")).click();

        // The flag-service's own INVALID_TARGETING, next to the constraint it names.
        WebElement problem = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("constraint-1-error")));
        assertThat(problem.getText())
                .startsWith("values: ")
                .contains("ios-new-app")
                .contains("4.2");
        assertThat(driver.findElements(By.id("constraint-0-error"))).isEmpty();
        type(By.id("c1-values"), "4.2.0");
        driver.findElement(By.id("save-rule")).click();
        wait.until(ExpectedConditions.urlContains("notice=rule-added"));
        assertThat(text(By.cssSelector("#rule-rows tr[data-rule='ios-new-app']")))
                .contains("platform in [IOS]", "appVersion semver >= 4.2.0", "100 % of matching subjects");

        // Who matches: the flag-service evaluates the sample context with the saved rule, answered without a reload.
        js("window.__sameDocument = true");
        type(By.id("targetingKey"), "user-" + RUN);
        type(By.id("a0-name"), "platform");
        type(By.id("a0-value"), "IOS");
        type(By.id("a1-name"), "appVersion");
        type(By.id("a1-value"), "4.3.0");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("preview-rule"), "rule 1 ios-new-app"));
        assertThat(text(By.id("preview-variant"))).isEqualTo("blue");
        assertThat(text(By.id("preview-reason"))).isEqualTo("TARGETING_MATCH");
        type(By.id("a1-value"), "4.1.9");
        wait.until(ExpectedConditions.textToBe(By.id("preview-rule"), "none: no rule matched"));
        assertThat(text(By.id("preview-variant"))).isEqualTo("off");
        assertThat((Boolean) js("return window.__sameDocument === true")).isTrue();

        // A segment the rule uses cannot be deleted: the flag-service's 409 names the flag.
        flagService(
                "POST",
                "/api/segments",
                """
                {"key": "%s", "description": "Beta testers",
                 "constraints": [{"attribute": "email", "operator": "STR_ENDS_WITH", "values": ["@example.com"],
                                  "negate": false, "caseInsensitive": true}]}
                """
                        .formatted(SEGMENT),
                201);
        driver.findElement(By.id("edit-rule-ios-new-app")).click();
        type(By.id("rule-segments"), SEGMENT);
        driver.findElement(By.id("save-rule")).click();
        wait.until(ExpectedConditions.urlContains("notice=rule-saved"));
        assertThat(text(By.cssSelector("#rule-rows tr[data-rule='ios-new-app']")))
                .contains("in segment " + SEGMENT);
        driver.findElement(By.linkText("Segments")).click();
        driver.findElement(By.id("delete-segment-" + SEGMENT)).click();
        driver.findElement(By.id("confirm-delete")).click();
        assertThat(text(By.id("confirm-error"))).contains(TARGETED).endsWith("(SEGMENT_IN_USE)");
        assertThat(text(By.id("used-by"))).isEqualTo(TARGETED);
    }

    /**
     * Hard links to the four packaged applications, taken once: the services' target folders may be rebuilt while
     * this test runs (the reactor, or someone packaging a service), and a half-written quarkus-app does not start.
     */
    private static Path snapshotOfThePackagedServices() throws IOException {
        Path root = Path.of(System.getProperty("rollguard.root", ".."))
                .toAbsolutePath()
                .normalize();
        Path snapshot = Path.of("target", "packaged-services").toAbsolutePath();
        for (String service : List.of("flag-service", "metrics-ingest", "alert-service", "rollback-service")) {
            Path from = root.resolve(service).resolve("target/quarkus-app");
            Path to = snapshot.resolve(service).resolve("target/quarkus-app");
            if (Files.exists(to)) {
                try (var old = Files.walk(to)) {
                    old.sorted(java.util.Comparator.reverseOrder())
                            .forEach(p -> p.toFile().delete());
                }
            }
            try (var files = Files.walk(from)) {
                for (Path file : files.toList()) {
                    Path target = to.resolve(from.relativize(file).toString());
                    if (Files.isDirectory(file)) {
                        Files.createDirectories(target);
                    } else {
                        Files.createLink(target, file);
                    }
                }
            }
        }
        return snapshot;
    }

    private static WebDriver chromium() {
        return HeadlessChromium.start("console-it-chromium", "1366x1000", false);
    }

    private static Properties producerProperties() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfra.kafkaBootstrap());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        return props;
    }

    private static void createGuardedFlag(String key) throws Exception {
        String body =
                """
                {"key": "%s", "description": "Guarded by the rollback-service", "enabled": true,
                 "rolloutPercentage": 5,
                 "stages": [{"name": "internal", "percentage": 0}, {"name": "canary", "percentage": 5},
                            {"name": "all", "percentage": 100}],
                 "currentStage": 1,
                 "guardPolicy": {"action": "KILL", "dryRun": false, "cooldownSeconds": 0}}
                """
                        .formatted(key);
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create(stack.url("flag-service") + "/api/flags"))
                        .header("Authorization", "Bearer " + ServiceStack.ADMIN_TOKEN)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    }

    /** One 10-second window for each cohort of the guarded flag, as metrics-ingest would emit it. */
    private static void sendWindows(int index) throws Exception {
        AvroCodec<WindowMetricsEvent> codec = AvroCodec.of(WindowMetricsEvent.class);
        Instant start = windowsFrom.plusSeconds(10L * index);
        for (Cohort cohort : Cohort.values()) {
            boolean treated = cohort == Cohort.TREATMENT;
            // Treatment a little worse than control, but within the default regression rule's 2-point margin: the
            // alert-service must not fire on these, the alert of this test is the one sent by sendAlert.
            long events = treated ? 240 : 2400;
            long failures = treated ? 3 + index : 30;
            WindowMetricsEvent window = WindowMetricsEvent.newBuilder()
                    .setScopeType(ScopeType.FLAG_COHORT)
                    .setScopeKey("flag:" + GUARDED)
                    .setFlagKey(GUARDED)
                    .setCohort(cohort)
                    .setWindowKind(WindowKind.TUMBLING)
                    .setWindowStart(start)
                    .setWindowEnd(start.plusSeconds(10))
                    .setEmittedAt(Instant.now())
                    .setEventCount(events)
                    .setSuccessCount(events - failures)
                    .setFailureCount(failures)
                    .setSuccessRate((events - failures) / (double) events)
                    .setErrorRate(failures / (double) events)
                    .setDurationP95Ms(treated ? 180.0 + 10 * index : 175.0)
                    .setPendingMutationsMax(treated ? 3L : 2L)
                    .build();
            producer.send(new ProducerRecord<>(Topics.METRICS_WINDOWS, window.getScopeKey(), codec.encode(window)))
                    .get(10, TimeUnit.SECONDS);
        }
    }

    /**
     * One window per cohort of the judged flag, both cohorts alike, carrying the client-level sums of the guard's
     * failure metric for stage version 1: five clients each, too few for the guard to judge.
     */
    private static void sendJudgedWindows(Instant start) throws Exception {
        AvroCodec<WindowMetricsEvent> codec = AvroCodec.of(WindowMetricsEvent.class);
        for (Cohort cohort : Cohort.values()) {
            ClientMoment failures = ClientMoment.newBuilder()
                    .setStageVersion(1)
                    .setMetric(GuardMetrics.FAILURE)
                    .setClients(5)
                    .setSumY(1)
                    .setSumX(100)
                    .setSumYY(1)
                    .setSumXX(2000)
                    .setSumXY(20)
                    .build();
            WindowMetricsEvent window = WindowMetricsEvent.newBuilder()
                    .setScopeType(ScopeType.FLAG_COHORT)
                    .setScopeKey("flag:" + JUDGED)
                    .setFlagKey(JUDGED)
                    .setCohort(cohort)
                    .setWindowKind(WindowKind.TUMBLING)
                    .setWindowStart(start)
                    .setWindowEnd(start.plusSeconds(10))
                    .setEmittedAt(Instant.now())
                    .setEventCount(100)
                    .setSuccessCount(99)
                    .setFailureCount(1)
                    .setSuccessRate(0.99)
                    .setErrorRate(0.01)
                    .setDurationP95Ms(175.0)
                    .setPendingMutationsMax(2L)
                    .setClientMoments(List.of(failures))
                    .build();
            producer.send(new ProducerRecord<>(Topics.METRICS_WINDOWS, window.getScopeKey(), codec.encode(window)))
                    .get(10, TimeUnit.SECONDS);
        }
    }

    /** A firing critical comparative alert on the guarded flag's treatment cohort, as the alert-service sends it. */
    private static void sendAlert(String alertId) throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        AlertEvent alert = AlertEvent.newBuilder()
                .setAlertId(alertId)
                .setFingerprint("fp-" + alertId)
                .setStatus(AlertStatus.FIRING)
                .setSeverity(Severity.CRITICAL)
                .setRuleId("treatment-regression")
                .setRuleName("treatment worse than control")
                .setMetric("errorRate")
                .setComparator("WORSE_THAN_CONTROL")
                .setThreshold(0.05)
                .setObservedValue(0.12)
                .setSampleSize(480L)
                .setScopeType(ScopeType.FLAG_COHORT)
                .setScopeKey("flag:" + GUARDED)
                .setFlagKey(GUARDED)
                .setCohort(Cohort.TREATMENT)
                .setWindowStart(now.minusSeconds(10))
                .setWindowEnd(now)
                .setFirstBreachAt(now.minusSeconds(8))
                .setWindowClosedAt(now.minusMillis(500))
                .setStartsAt(now)
                .setEmittedAt(now)
                .setComparison(CohortComparison.newBuilder()
                        .setTreatmentValue(0.12)
                        .setControlValue(0.0126)
                        .setTreatmentSamples(480L)
                        .setControlSamples(9520L)
                        .setPValue(1e-9)
                        .setMethod("two-proportion-z")
                        .build())
                .build();
        producer.send(new ProducerRecord<>(
                        Topics.ALERTS,
                        alert.getFingerprint(),
                        AvroCodec.of(AlertEvent.class).encode(alert)))
                .get(10, TimeUnit.SECONDS);
    }

    private static void rolloutControl(String action, String reason) {
        driver.findElement(By.id("rollout-" + action)).click();
        wait.until(ExpectedConditions.urlContains("/rollout/" + action));
        type(By.id("reason"), reason);
        submit(By.cssSelector("main form"));
    }

    private static void flagService(String method, String path, String body, int expected) throws Exception {
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create(stack.url("flag-service") + path))
                        .header("Authorization", "Bearer " + ServiceStack.ADMIN_TOKEN)
                        .header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(expected);
    }

    /** A promotion by the promoter, as the rollback-service publishes it on the rollouts topic. */
    private static void sendRolloutStep(String flag) throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        RolloutActionEvent step = RolloutActionEvent.newBuilder()
                .setActionId(flag + ":9:PROMOTE")
                .setFlagKey(flag)
                .setAction(RolloutAction.PROMOTE)
                .setOutcome(RolloutOutcome.APPLIED)
                .setReason("canary healthy: soak over, 64 vs 580 clients, no regression at 99 %")
                .setFromStage(1)
                .setFromStageName("canary")
                .setFromPercentage(10.0)
                .setToStage(2)
                .setToStageName("half")
                .setToPercentage(50.0)
                .setStageVersion(9)
                .setMinSoakSeconds(3600)
                .setSecondsInStage(3620)
                .setMinClientsPerCohort(50)
                .setTreatedClients(64)
                .setControlClients(580)
                .setVerdict("HEALTHY")
                .setConfidence(0.99)
                .setMetrics(List.of(MetricEvidence.newBuilder()
                        .setMetric("failure")
                        .setStatus("NON_INFERIOR")
                        .setTreated(0.011)
                        .setControl(0.012)
                        .setRelativeEffect(-0.08)
                        .setEffectLower(-0.3)
                        .setEffectUpper(0.05)
                        .setTreatedClients(64)
                        .setControlClients(580)
                        .build()))
                .setDecidedAt(now)
                .setFlagChangedAt(now)
                .build();
        producer.send(new ProducerRecord<>(
                        Topics.ROLLOUTS,
                        flag,
                        AvroCodec.of(RolloutActionEvent.class).encode(step)))
                .get(10, TimeUnit.SECONDS);
    }

    /** The console has read at least {@code count} records of a channel (its own counter on /q/metrics). */
    private static void awaitConsoleRead(String channel, int count) {
        String series = "rollguard_console_records_total{channel=\"" + channel + "\"}";
        await().atMost(WAIT).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            String metrics = HTTP.send(
                            HttpRequest.newBuilder(URI.create(consoleUrl + "/q/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            double read = metrics.lines()
                    .filter(l -> l.startsWith(series))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                    .sum();
            assertThat(read).as(series).isGreaterThanOrEqualTo(count);
        });
    }

    // --- the browser -----------------------------------------------------------------------------------------

    private static void signIn(String token) {
        type(By.id("token"), token);
        submit(By.cssSelector("main form"));
    }

    private static void type(By field, String text) {
        WebElement element = wait.until(ExpectedConditions.elementToBeClickable(field));
        element.clear();
        element.sendKeys(text);
    }

    private static void submit(By form) {
        WebElement element = driver.findElement(form);
        element.findElement(By.cssSelector("button[type=submit]")).click();
    }

    private static String text(By by) {
        return wait.until(ExpectedConditions.visibilityOfElementLocated(by))
                .getText()
                .strip();
    }

    private static Object js(String script) {
        return ((JavascriptExecutor) driver).executeScript(script);
    }

    private static int post(String path, String form, String cookie, String origin) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(consoleUrl + path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Cookie", cookie)
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (origin != null) {
            request.header("Origin", origin);
        }
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Saves the page to target/screenshots and to the committed console/screenshots the README shows. */
    private static void screenshot(String name) {
        try {
            File png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
            Path target = Path.of("target", "screenshots", name + ".png");
            Files.createDirectories(target.getParent());
            Files.copy(png.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
            String committed = System.getProperty("screenshots.dir");
            if (committed != null) {
                Path copy = Path.of(committed, name + ".png");
                Files.createDirectories(copy.getParent());
                Files.copy(png.toPath(), copy, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
