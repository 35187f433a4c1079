package dev.rollguard.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.infra.HeadlessChromium;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
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
 * The targeting editor in a real browser (Debian's headless Chromium) against the console's packaged application,
 * with the flag-service's targeting API played by {@link ServiceStub} in the shapes of the targeting contract: a flag
 * whose rules it keeps between requests (merge patch with If-Match, a {@code 400 INVALID_TARGETING} for a malformed
 * semantic version), the "who matches" preview, and a segment whose deletion it refuses with {@code 409
 * SEGMENT_IN_USE}. An operator adds a rule with two constraints (the 400 shown next to the constraint, then the rule
 * listed), previews a sample context without a reload, is refused the deletion of a segment in use, and previews
 * variant weights as typed (a refused weight shown next to its field) before saving them.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleTargetingBrowserIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TOKEN = "targeting-browser-admin";
    private static final String FLAG = "checkout.targeted";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SEMVER = Pattern.compile("\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?");

    private static ServiceStub flagService;
    private static ObjectNode flag;
    private static JsonNode lastPreview;
    private static PackagedConsole console;
    private static String consoleUrl;
    private static WebDriver driver;
    private static WebDriverWait wait;

    @BeforeAll
    static void start() throws IOException {
        flagService = ServiceStub.start();
        playTheFlagService();
        console = PackagedConsole.start(
                "console-targeting", flagService.url(), flagService.url(), flagService.url(), flagService.url());
        consoleUrl = console.url();
        driver = chromium();
        // The live sections are swapped in place: an element found in one poll may be replaced before it is read.
        wait = new WebDriverWait(driver, WAIT);
        wait.ignoring(StaleElementReferenceException.class);
        driver.get(consoleUrl + "/login");
        type(By.id("token"), TOKEN);
        driver.findElement(By.cssSelector("main form button[type=submit]")).click();
        wait.until(ExpectedConditions.urlContains("/flags"));
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
        if (console != null) {
            console.close();
        }
        if (flagService != null) {
            flagService.close();
        }
    }

    @AfterEach
    void printBrowserLog() {
        driver.manage().logs().get(LogType.BROWSER).forEach(entry -> System.out.println("browser: " + entry));
    }

    @Test
    @Order(1)
    void aRuleWithTwoConstraintsIsRefusedNextToTheConstraintThenAddedAndListed() {
        driver.get(consoleUrl + "/flags/" + FLAG);
        assertThat(text(By.id("no-rules"))).contains("No rules");
        driver.findElement(By.id("add-rule")).click();
        wait.until(ExpectedConditions.urlContains("/rules/new"));

        type(By.id("rule-id"), "ios-new-app");
        type(By.id("rule-description"), "iOS 4.2 and up");
        type(By.id("c0-attribute"), "platform");
        new Select(driver.findElement(By.id("c0-operator"))).selectByValue("IN");
        type(By.id("c0-values"), "IOS");
        type(By.id("c1-attribute"), "appVersion");
        new Select(driver.findElement(By.id("c1-operator"))).selectByValue("SEMVER_GTE");
        type(By.id("c1-values"), "4.2");
        type(By.id("rule-share"), "25");
        driver.findElement(By.id("save-rule")).click();

        // The flag-service's 400 next to the constraint it names, the input kept.
        WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("constraint-1-error")));
        assertThat(error.getText()).isEqualTo("values: rule ios-new-app: '4.2' is not a semantic version");
        assertThat(driver.findElement(By.id("c1-values")).getDomAttribute("aria-invalid"))
                .isEqualTo("true");
        assertThat(driver.findElements(By.id("constraint-0-error"))).isEmpty();
        assertThat(driver.findElement(By.id("c1-values")).getDomProperty("value"))
                .isEqualTo("4.2");
        assertThat(text(By.id("rule-error"))).contains("INVALID_TARGETING");
        screenshot("17-rule-invalid-targeting");

        type(By.id("c1-values"), "4.2.0");
        driver.findElement(By.id("save-rule")).click();
        wait.until(ExpectedConditions.urlContains("notice=rule-added"));
        WebElement row = driver.findElement(By.cssSelector("#rule-rows tr[data-rule='ios-new-app']"));
        assertThat(row.getText())
                .contains("ios-new-app", "iOS 4.2 and up", "platform in [IOS]", "appVersion semver >= 4.2.0")
                .contains("25 % of matching subjects get the treatment");
        assertThat(flag.get("rules")).hasSize(1);
        assertThat(flag.at("/rules/0/constraints")).hasSize(2);
    }

    @Test
    @Order(2)
    void theDraftOfAnEditIsPreviewedLiveBeforeItIsSaved() {
        aSampleContextOn("/flags/" + FLAG + "/rules/ios-new-app/edit", "user-7", "ANDROID");
        type(By.id("c0-values"), "ANDROID");

        // No click: the answer follows the typing.
        wait.until(ExpectedConditions.textToBe(By.id("preview-variant"), "blue"));
        assertThat((Boolean) js("return window.__sameDocument === true")).isTrue();
        assertThat(text(By.id("preview-reason"))).isEqualTo("SPLIT");
        assertThat(text(By.id("preview-rule")))
                .isEqualTo("rule 1 ios-new-app: platform in [ANDROID] and appVersion" + " semver >= 4.2.0");
        assertThat(text(By.id("preview-result"))).contains("With the rule as drafted here: nothing is saved.");
        // What the flag-service was asked: the typed context and the draft, and nothing saved.
        assertThat(lastPreview.at("/context").toString())
                .isEqualTo("{\"targetingKey\":\"user-7\",\"platform\":\"ANDROID\"}");
        assertThat(lastPreview.at("/rules/0/constraints/0/values/0").asText()).isEqualTo("ANDROID");
        assertThat(flag.at("/rules/0/constraints/0/values/0").asText()).isEqualTo("IOS");
        screenshot("18-rule-draft-preview");
    }

    @Test
    @Order(3)
    void theFlagPagePreviewAnswersASampleContextWithoutAReload() {
        aSampleContextOn("/flags/" + FLAG, "user-8", "IOS");
        type(By.id("a1-name"), "appVersion");
        type(By.id("a1-value"), "4.3.1");

        wait.until(d -> lastPreview != null
                && lastPreview.at("/context/appVersion").asText().equals("4.3.1"));
        wait.until(ExpectedConditions.textToBe(By.id("preview-variant"), "blue"));
        assertThat((Boolean) js("return window.__sameDocument === true")).isTrue();
        assertThat(text(By.id("preview-rule")))
                .isEqualTo("rule 1 ios-new-app: platform in [IOS] and appVersion semver >= 4.2.0");
        assertThat(text(By.id("preview-treated"))).isEqualTo("yes (the treatment)");
        assertThat(lastPreview.has("rules")).as("the saved rules, no draft").isFalse();
        js("document.getElementById('targeting').scrollIntoView()");
        screenshot("19-flag-targeting-preview");

        // Another context that no rule matches: the flag's rollout decides.
        type(By.id("a0-value"), "WEB");
        wait.until(ExpectedConditions.textToBe(By.id("preview-reason"), "DEFAULT"));
        assertThat(text(By.id("preview-rule"))).isEqualTo("none: no rule matched");
    }

    @Test
    @Order(4)
    void aSegmentInUseIsNotDeletedAndThePageNamesItsFlags() {
        driver.get(consoleUrl + "/flags");
        driver.findElement(By.linkText("Segments")).click();
        wait.until(ExpectedConditions.urlContains("/segments"));
        assertThat(text(By.cssSelector("#segment-rows tr[data-segment='beta-testers']")))
                .contains("email ends with \"@example.com\" (ignoring case)");
        driver.findElement(By.id("delete-segment-beta-testers")).click();
        wait.until(ExpectedConditions.urlContains("/segments/beta-testers/delete"));
        driver.findElement(By.id("confirm-delete")).click();

        assertThat(text(By.id("confirm-error")))
                .isEqualTo("The flag-service refused: segment 'beta-testers' is used by flags " + FLAG
                        + ": remove it from their rules first (SEGMENT_IN_USE)");
        assertThat(driver.findElement(By.cssSelector("#used-by a")).getDomProperty("href"))
                .endsWith("/flags/" + FLAG + "#targeting");
        screenshot("20-segment-in-use");
    }

    @Test
    @Order(5)
    void theWeightsAsTypedArePreviewedLiveAndSavedOnlyBySave() {
        aSampleContextOn("/flags/" + FLAG + "/weights", "user-9", "WEB");
        type(By.id("w0-weight"), "30");
        type(By.id("w1-weight"), "70");

        // No click: the answer follows the typing, with the weights as typed (the stub's bucket is 42).
        wait.until(ExpectedConditions.textToBe(By.id("preview-variant"), "green"));
        assertThat(text(By.id("preview-reason"))).isEqualTo("SPLIT");
        assertThat(text(By.id("preview-rule"))).isEqualTo("none: no rule matched");
        assertThat(text(By.id("preview-result"))).contains("With the weights as typed here: nothing is saved.");
        assertThat(lastPreview.at("/variantWeights").toString())
                .isEqualTo("[{\"variant\":\"blue\",\"weight\":30},{\"variant\":\"green\",\"weight\":70}]");
        assertThat(lastPreview.has("rules")).isFalse();
        assertThat(flag.get("variantWeights")).as("nothing saved").isEmpty();

        // A negative weight: the flag-service's problem next to its field, then the sum it leaves.
        type(By.id("w0-weight"), "-10");
        wait.until(
                ExpectedConditions.textToBe(By.id("w0-error"), "weight 0: must be within 0 and 100 %, was -10.00 %"));
        assertThat(text(By.id("preview-problems"))).contains("the weights sum to 60.00 %, not 100 %");
        assertThat(driver.findElements(By.id("preview-variant"))).isEmpty();
        screenshot("21-weights-draft-refused");

        type(By.id("w0-weight"), "50");
        type(By.id("w1-weight"), "50");
        wait.until(ExpectedConditions.textToBe(By.id("preview-variant"), "blue"));
        wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("w0-error")));
        assertThat((Boolean) js("return window.__sameDocument === true")).isTrue();
        assertThat(flag.get("variantWeights")).as("nothing saved").isEmpty();
        screenshot("22-weights-draft-preview");

        driver.findElement(By.id("save-weights")).click();
        wait.until(ExpectedConditions.urlContains("notice=weights-saved"));
        assertThat(flag.get("variantWeights").toString())
                .isEqualTo("[{\"variant\":\"blue\",\"weight\":50},{\"variant\":\"green\",\"weight\":50}]");
    }

    // --- the flag-service, as the targeting contract shapes it ----------------------------------------------

    private static void playTheFlagService() throws IOException {
        flag = (ObjectNode) JSON.readTree(
                """
                {"key": "%s", "description": "Checkout, targeted", "enabled": true, "killed": false,
                 "archived": false, "paused": false, "type": "STRING", "rolloutPercentage": 10, "version": 1,
                 "variants": {"off": "grey", "blue": "#00f", "green": "#0f0"}, "treatmentVariant": "blue",
                 "offVariant": "off", "stages": [], "currentStage": null, "rules": [],
                 "variantWeights": [], "updatedBy": "ana"}
                """
                        .formatted(FLAG));
        flagService.handle(
                "/api/flags", request -> answer(200, JSON.createArrayNode().add(flag)));
        flagService.handle("/api/audit", request -> answer(200, JSON.createArrayNode()));
        flagService.handle(
                "/api/kill-switch",
                request -> answer(200, JSON.createObjectNode().put("killed", false)));
        flagService.handle("/api/flags/" + FLAG, ConsoleTargetingBrowserIT::flagRequest);
        flagService.handle("/api/flags/" + FLAG + "/preview", ConsoleTargetingBrowserIT::preview);
        String segment =
                """
                {"key": "beta-testers", "description": "People who asked for it",
                 "constraints": [{"attribute": "email", "operator": "STR_ENDS_WITH", "values": ["@example.com"],
                                  "negate": false, "caseInsensitive": true}]}
                """;
        flagService.handle("/api/segments", request -> new ServiceStub.Answer(200, "[" + segment + "]"));
        flagService.handle(
                "/api/segments/beta-testers",
                request -> request.method().equals("DELETE")
                        ? new ServiceStub.Answer(
                                409,
                                "{\"code\": \"SEGMENT_IN_USE\", \"message\": \"segment 'beta-testers' is used by flags "
                                        + FLAG + ": remove it from their rules first\"}")
                        : new ServiceStub.Answer(200, segment));
    }

    /** GET the flag; PATCH its rules with If-Match, refusing a semver constraint whose value is not a version. */
    private static synchronized ServiceStub.Answer flagRequest(ServiceStub.Seen request) {
        if (!request.method().equals("PATCH")) {
            return answer(200, flag);
        }
        if (!("\"" + flag.get("version").asLong() + "\"").equals(request.ifMatch())) {
            return new ServiceStub.Answer(412, "{\"code\": \"PRECONDITION_FAILED\", \"message\": \"stale version\"}");
        }
        JsonNode patch = read(request.body());
        ArrayNode problems = JSON.createArrayNode();
        JsonNode rules = patch.path("rules");
        for (int r = 0; r < rules.size(); r++) {
            JsonNode constraints = rules.get(r).path("constraints");
            for (int c = 0; c < constraints.size(); c++) {
                JsonNode constraint = constraints.get(c);
                String value = constraint.path("values").path(0).asText();
                if (constraint.path("operator").asText().startsWith("SEMVER_")
                        && !SEMVER.matcher(value).matches()) {
                    problems.addObject()
                            .put("path", "rules[" + r + "].constraints[" + c + "].values")
                            .put(
                                    "message",
                                    "rule " + rules.get(r).path("id").asText() + ": '" + value
                                            + "' is not a semantic version");
                }
            }
        }
        if (!problems.isEmpty()) {
            return invalidTargeting(problems);
        }
        flag.setAll((ObjectNode) patch);
        flag.put("version", flag.get("version").asLong() + 1);
        return answer(200, flag);
    }

    /**
     * The preview: the first of the given (draft) or stored rules whose {@code IN} constraint holds for the context's
     * platform decides (the only kind of match these tests need); else the flag's rollout, DEFAULT.
     */
    private static synchronized ServiceStub.Answer preview(ServiceStub.Seen request) {
        lastPreview = read(request.body());
        JsonNode rules = lastPreview.has("rules") ? lastPreview.get("rules") : flag.get("rules");
        String platform = lastPreview.at("/context/platform").asText("");
        for (JsonNode rule : rules) {
            JsonNode first = rule.path("constraints").path(0);
            boolean in = first.path("operator").asText().equals("IN")
                    && List.of(JSON.convertValue(first.path("values"), String[].class))
                            .contains(platform);
            if (in) {
                return answer(
                        200,
                        JSON.createObjectNode()
                                .put("variant", "blue")
                                .put("value", "#00f")
                                .put("reason", "SPLIT")
                                .put("ruleId", rule.path("id").asText())
                                .put("treated", true));
            }
        }
        if (lastPreview.has("variantWeights")) {
            return split(lastPreview.get("variantWeights"));
        }
        return served("off", "grey", "DEFAULT", false);
    }

    /**
     * Draft weights, judged as the flag-service does (each within 0 and 100 %, the sum 100 %), then split at a fixed
     * bucket of 42 %: the first variant whose running total passes it.
     */
    private static ServiceStub.Answer split(JsonNode weights) {
        ArrayNode problems = JSON.createArrayNode();
        double total = 0;
        for (int k = 0; k < weights.size(); k++) {
            double weight = weights.get(k).path("weight").asDouble();
            if (weight < 0 || weight > 100) {
                problems.addObject()
                        .put("path", "variantWeights[" + k + "].weight")
                        .put(
                                "message",
                                String.format(
                                        Locale.ROOT, "weight %d: must be within 0 and 100 %%, was %.2f %%", k, weight));
            }
            total += weight;
        }
        if (!weights.isEmpty() && total != 100) {
            problems.addObject()
                    .put("path", "variantWeights")
                    .put("message", String.format(Locale.ROOT, "the weights sum to %.2f %%, not 100 %%", total));
        }
        if (!problems.isEmpty()) {
            return invalidTargeting(problems);
        }
        double running = 0;
        for (JsonNode weight : weights) {
            running += weight.path("weight").asDouble();
            if (running > 42) {
                String variant = weight.path("variant").asText();
                return served(variant, flag.at("/variants/" + variant).asText(), "SPLIT", true);
            }
        }
        // No weights: the treated subjects get the treatment variant.
        return served("blue", "#00f", "SPLIT", true);
    }

    /** The flag-service's {@code 400 INVALID_TARGETING} with its problems. */
    private static ServiceStub.Answer invalidTargeting(ArrayNode problems) {
        ObjectNode refusal = JSON.createObjectNode()
                .put("code", "INVALID_TARGETING")
                .put("message", problems.size() + " targeting problem(s)");
        refusal.set("problems", problems);
        return answer(400, refusal);
    }

    /** A preview's answer that no rule decided. */
    private static ServiceStub.Answer served(String variant, String value, String reason, boolean treated) {
        ObjectNode answer = JSON.createObjectNode()
                .put("variant", variant)
                .put("value", value)
                .put("reason", reason)
                .put("treated", treated);
        answer.putNull("ruleId");
        return answer(200, answer);
    }

    private static ServiceStub.Answer answer(int status, JsonNode body) {
        return new ServiceStub.Answer(status, body.toString());
    }

    private static JsonNode read(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // --- the console and the browser -------------------------------------------------------------------------

    private static WebDriver chromium() {
        return HeadlessChromium.start("console-targeting-it-chromium", "1366x1000", false);
    }

    /** Opens a page with a preview, marks the document (a reload would lose the mark) and types a sample context. */
    private static void aSampleContextOn(String path, String targetingKey, String platform) {
        driver.get(consoleUrl + path);
        js("window.__sameDocument = true");
        type(By.id("targetingKey"), targetingKey);
        type(By.id("a0-name"), "platform");
        type(By.id("a0-value"), platform);
    }

    private static void type(By field, String text) {
        WebElement element = wait.until(ExpectedConditions.elementToBeClickable(field));
        element.clear();
        element.sendKeys(text);
    }

    private static String text(By by) {
        return wait.until(ExpectedConditions.visibilityOfElementLocated(by))
                .getText()
                .strip();
    }

    private static Object js(String script) {
        return ((JavascriptExecutor) driver).executeScript(script);
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
            throw new UncheckedIOException(e);
        }
    }
}
