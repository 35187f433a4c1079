package dev.rollguard.ingest.service;

import static dev.rollguard.ingest.TelemetryFixtures.exposure;
import static dev.rollguard.ingest.TelemetryFixtures.flag;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.ingest.domain.CohortAssignment;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.Constraint;
import dev.rollguard.schemas.event.ConstraintOperator;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.Segment;
import dev.rollguard.schemas.event.TargetingRule;
import dev.rollguard.schemas.event.VariantWeight;
import dev.rollguard.schemas.targeting.Evaluation;
import dev.rollguard.schemas.targeting.EvaluationContext;
import dev.rollguard.schemas.targeting.FlagEvaluator;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Cohorts of events without exposures come from the evaluation context the telemetry carries (targeting key,
 * platform, app version, context attributes); a flag with weighted variants has a treated cohort per variant.
 */
class CohortAssignerTest {

    static final Instant T = Instant.parse("2026-03-01T00:00:00Z");
    static final long EVENT_TIME = T.plusSeconds(60).toEpochMilli();

    private final FlagDirectory directory = new FlagDirectory(8);
    private final CohortAssigner assigner = new CohortAssigner(directory);

    private static Constraint constraint(String attribute, ConstraintOperator operator, String... values) {
        return Constraint.newBuilder()
                .setAttribute(attribute)
                .setOperator(operator)
                .setValues(List.of(values))
                .build();
    }

    /** A rule serving the treatment ('on') to every subject whose context matches all of {@code constraints}. */
    private static TargetingRule serveOn(String id, Constraint... constraints) {
        return TargetingRule.newBuilder()
                .setId(id)
                .setConstraints(List.of(constraints))
                .setVariant("on")
                .build();
    }

    /** A flag at 0 % whose only treated subjects are those its rules serve 'on'. */
    private void ruleFlag(String key, TargetingRule... rules) {
        directory.apply(flag(key, 1, T, 0).setRules(List.of(rules)).build());
    }

    private static CohortAssigner.Subject subject(
            String user, Platform platform, String appVersion, Map<String, String> context) {
        return new CohortAssigner.Subject(user, "client-" + user, platform, appVersion, context);
    }

    private CohortAssigner.Result assign(CohortAssigner.Subject subject) {
        return assigner.assign(List.of(), subject, EVENT_TIME);
    }

    private static Cohort cohortOf(CohortAssigner.Result result, String flagKey) {
        return result.assignments().stream()
                .filter(a -> a.flagKey().equals(flagKey))
                .map(CohortAssignment::cohort)
                .findFirst()
                .orElse(null);
    }

    @Test
    void aRuleOnThePlatformDecidesTheCohort() {
        ruleFlag("ios-only", serveOn("ios", constraint("platform", ConstraintOperator.IN, "IOS")));

        CohortAssigner.Result ios = assign(subject("u1", Platform.IOS, null, Map.of()));
        CohortAssigner.Result android = assign(subject("u1", Platform.ANDROID, null, Map.of()));

        assertThat(cohortOf(ios, "ios-only")).isEqualTo(Cohort.TREATMENT);
        assertThat(cohortOf(android, "ios-only")).isEqualTo(Cohort.CONTROL);
        assertThat(ios.missingAttributes()).isEmpty();
        assertThat(android.missingAttributes()).isEmpty();
    }

    @Test
    void aRuleOnTheAppVersionComparesSemanticVersions() {
        ruleFlag("new-app", serveOn("recent", constraint("appVersion", ConstraintOperator.SEMVER_GTE, "4.2.0")));

        assertThat(cohortOf(assign(subject("u1", Platform.WEB, "4.10.0", Map.of())), "new-app"))
                .as("4.10.0 is after 4.2.0 as versions, though not as text")
                .isEqualTo(Cohort.TREATMENT);
        assertThat(cohortOf(assign(subject("u1", Platform.WEB, "4.1.9", Map.of())), "new-app"))
                .isEqualTo(Cohort.CONTROL);
    }

    @Test
    void aRuleOnAContextAttributeReadsTheEventsContext() {
        ruleFlag("france", serveOn("fr", constraint("country", ConstraintOperator.IN, "FR", "BE")));

        CohortAssigner.Result french = assign(subject("u1", Platform.WEB, "1.0.0", Map.of("country", "FR")));
        CohortAssigner.Result german = assign(subject("u1", Platform.WEB, "1.0.0", Map.of("country", "DE")));

        assertThat(cohortOf(french, "france")).isEqualTo(Cohort.TREATMENT);
        assertThat(cohortOf(german, "france")).isEqualTo(Cohort.CONTROL);
        assertThat(french.missingAttributes()).isEmpty();
        assertThat(german.missingAttributes())
                .as("present with another value is not missing")
                .isEmpty();
    }

    @Test
    void aMissingAttributeStillGetsTheEvaluatorsCohortAndIsNamedWithItsFlag() {
        ruleFlag(
                "targeted",
                serveOn("fr", constraint("country", ConstraintOperator.IN, "FR")),
                serveOn("recent", constraint("appVersion", ConstraintOperator.SEMVER_GTE, "4.2.0")));

        CohortAssigner.Result result = assign(subject("u1", Platform.WEB, null, Map.of()));

        assertThat(cohortOf(result, "targeted"))
                .as("no rule can match without the attributes: the flag's own rollout (0 %) decides")
                .isEqualTo(Cohort.CONTROL);
        assertThat(result.missingAttributes())
                .containsExactlyInAnyOrder(
                        new CohortAssigner.MissingAttribute("targeted", "country"),
                        new CohortAssigner.MissingAttribute("targeted", "appVersion"));
    }

    @Test
    void attributesReadThroughASegmentCountToo() {
        Segment staff = Segment.newBuilder()
                .setKey("staff")
                .setConstraints(List.of(constraint("accountType", ConstraintOperator.IN, "staff")))
                .build();
        TargetingRule rule = TargetingRule.newBuilder()
                .setId("staff-first")
                .setSegments(List.of("staff"))
                .setVariant("on")
                .build();
        directory.apply(flag("staff-flag", 1, T, 0)
                .setSegments(List.of(staff))
                .setRules(List.of(rule))
                .build());

        assertThat(cohortOf(assign(subject("u1", Platform.WEB, null, Map.of("accountType", "staff"))), "staff-flag"))
                .isEqualTo(Cohort.TREATMENT);
        assertThat(assign(subject("u1", Platform.WEB, null, Map.of())).missingAttributes())
                .containsExactly(new CohortAssigner.MissingAttribute("staff-flag", "accountType"));
    }

    @Test
    void aFlagWithoutRulesNeedsNoAttribute() {
        directory.apply(flag("plain", 1, T, 5_000).build());

        CohortAssigner.Result result = assign(subject("u1", Platform.WEB, null, Map.of()));

        assertThat(result.assignments()).hasSize(1);
        assertThat(result.assignments().get(0).variant()).isNull();
        assertThat(result.missingAttributes()).isEmpty();
    }

    /** A flag at 50 % whose treatment is split evenly between the variants blue and green. */
    private static FlagChangedEvent weighted(String key) {
        return flag(key, 1, T, 5_000)
                .setVariants(List.of(variant("off"), variant("blue"), variant("green")))
                .setTreatmentVariant("blue")
                .setOffVariant("off")
                .setVariantWeights(List.of(
                        VariantWeight.newBuilder()
                                .setVariant("blue")
                                .setWeight(5_000)
                                .build(),
                        VariantWeight.newBuilder()
                                .setVariant("green")
                                .setWeight(5_000)
                                .build()))
                .build();
    }

    private static FlagVariant variant(String name) {
        return FlagVariant.newBuilder()
                .setName(name)
                .setValueJson("\"" + name + "\"")
                .build();
    }

    @Test
    void eachWeightedVariantIsItsOwnTreatedCohortAsTheEvaluatorServesIt() {
        FlagChangedEvent flag = weighted("colours");
        directory.apply(flag);

        Map<String, Long> cohorts = new HashMap<>();
        for (int i = 0; i < 2_000; i++) {
            String user = "user-" + i;
            CohortAssignment assignment = assign(subject(user, Platform.WEB, null, Map.of()))
                    .assignments()
                    .get(0);
            Evaluation served = FlagEvaluator.evaluate(flag, EvaluationContext.of(user), k -> null, false);
            assertThat(assignment.cohort()).isEqualTo(served.treated() ? Cohort.TREATMENT : Cohort.CONTROL);
            assertThat(assignment.variant()).isEqualTo(served.treated() ? served.variant() : null);
            cohorts.merge(assignment.scopeKey(), 1L, Long::sum);
        }

        assertThat(cohorts)
                .containsOnlyKeys(
                        "flag:colours:control", "flag:colours:treatment:blue", "flag:colours:treatment:green");
        // Half the users are treated, split evenly between the two variants.
        assertThat(cohorts.get("flag:colours:control")).isBetween(900L, 1_100L);
        assertThat(cohorts.get("flag:colours:treatment:blue")).isBetween(400L, 600L);
        assertThat(cohorts.get("flag:colours:treatment:green")).isBetween(400L, 600L);
    }

    @Test
    void anExposureNamesTheVariantCohortOfAWeightedFlag() {
        directory.apply(weighted("colours"));

        CohortAssigner.Result result = assigner.assign(
                List.of(exposure("colours", "green", null)), CohortAssigner.Subject.of("u1", "c1"), EVENT_TIME);
        CohortAssigner.Result control = assigner.assign(
                List.of(exposure("colours", "off", null)), CohortAssigner.Subject.of("u1", "c1"), EVENT_TIME);
        CohortAssigner.Result unknown = assigner.assign(
                List.of(exposure("colours", "purple", true)), CohortAssigner.Subject.of("u1", "c1"), EVENT_TIME);

        assertThat(result.assignments())
                .containsExactly(new CohortAssignment("colours", Cohort.TREATMENT, true, "green"));
        assertThat(result.assignments().get(0).scopeKey()).isEqualTo("flag:colours:treatment:green");
        assertThat(control.assignments()).containsExactly(new CohortAssignment("colours", Cohort.CONTROL, true));
        assertThat(unknown.assignments())
                .as("a treated variant the flag does not have opens no cohort")
                .isEmpty();
        assertThat(unknown.unresolvedExposures()).isEqualTo(1);
    }

    @Test
    void flagsNotKnownYetGetCohortsFromTreatedExposuresButOnlySoManyAtOnce() {
        CohortAssigner.Subject subject = CohortAssigner.Subject.of("u1", "c1");
        for (int i = 0; i < CohortAssigner.MAX_UNKNOWN_FLAGS; i++) {
            CohortAssigner.Result kept =
                    assigner.assign(List.of(exposure("new-" + i, "on", true)), subject, EVENT_TIME + i);
            assertThat(kept.assignments()).containsExactly(new CohortAssignment("new-" + i, Cohort.TREATMENT, true));
        }

        CohortAssigner.Result past = assigner.assign(
                List.of(exposure("random-key", "on", true), exposure("new-0", "off", false)), subject, EVENT_TIME);
        assertThat(past.assignments())
                .as("a flag already given its place keeps it; one more is counted, not scoped")
                .containsExactly(new CohortAssignment("new-0", Cohort.CONTROL, true));
        assertThat(past.unresolvedExposures()).isEqualTo(1);

        // new-0 was seen again at EVENT_TIME; every other one frees its place once held for the hold time.
        long later = EVENT_TIME + CohortAssigner.UNKNOWN_FLAG_HOLD_MS + CohortAssigner.MAX_UNKNOWN_FLAGS;
        CohortAssigner.Result freed = assigner.assign(List.of(exposure("random-key", "on", true)), subject, later);
        assertThat(freed.assignments()).containsExactly(new CohortAssignment("random-key", Cohort.TREATMENT, true));

        directory.apply(flag("known-now", 1, T, 50).build());
        assertThat(assigner.assign(List.of(exposure("known-now", "on", true)), subject, later)
                        .assignments())
                .as("a flag the directory knows takes no place")
                .containsExactly(new CohortAssignment("known-now", Cohort.TREATMENT, true));
    }

    @Test
    void countsEveryMissingAttributeAndWarnsOncePerFlagAndAttributePerInterval() {
        AtomicLong now = new AtomicLong(1_000);
        MissingContextAttributes missing = new MissingContextAttributes(Duration.ofMinutes(5), now::get);

        assertThat(missing.record("f", "country")).as("the first event warns").isTrue();
        assertThat(missing.record("f", "country")).isFalse();
        assertThat(missing.record("f", "appVersion"))
                .as("another attribute warns on its own")
                .isTrue();
        now.addAndGet(Duration.ofMinutes(5).toNanos());
        assertThat(missing.record("f", "country"))
                .as("a new interval warns again")
                .isTrue();

        assertThat(missing.counts()).containsExactly(Map.entry("f/appVersion", 1L), Map.entry("f/country", 3L));
    }

    @Test
    void theSubjectsContextHoldsPlatformAppVersionAndTheContextMap() {
        CohortAssigner.Subject subject = subject("u1", Platform.IOS, "4.2.0", Map.of("country", "FR"));

        EvaluationContext context = subject.evaluationContext();

        assertThat(context.targetingKey()).isEqualTo("u1");
        assertThat(context.attributes())
                .containsExactlyInAnyOrderEntriesOf(Map.of("platform", "IOS", "appVersion", "4.2.0", "country", "FR"));
        assertThat(new CohortAssigner.Subject(null, "c1", Platform.WEB, null, null)
                        .evaluationContext()
                        .targetingKey())
                .as("without a user the client is the subject")
                .isEqualTo("c1");
        assertThat(Set.of("platform", "appVersion", "country", "targetingKey")).allMatch(subject::has);
        assertThat(subject.has("accountType")).isFalse();
        assertThat(CohortAssigner.Subject.of("u1", "c1").has("platform"))
                .as("an event without a platform field lacks it")
                .isFalse();
    }
}
