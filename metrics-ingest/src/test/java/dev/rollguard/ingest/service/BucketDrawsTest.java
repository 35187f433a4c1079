package dev.rollguard.ingest.service;

import static dev.rollguard.ingest.TelemetryFixtures.exposure;
import static dev.rollguard.ingest.TelemetryFixtures.flag;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.ingest.domain.CohortAssignment;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.Constraint;
import dev.rollguard.schemas.event.ConstraintOperator;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.Segment;
import dev.rollguard.schemas.event.TargetingRule;
import dev.rollguard.schemas.event.VariantWeight;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Only the subjects a flag's bucket drew are compared when it draws some: a subject served by who it is (allow- or
 * deny-list, a rule with a fixed variant, a parent off for it, a rule of another share) is another population, and
 * counting it in a cohort reports the difference between populations as the flag's effect.
 */
class BucketDrawsTest {

    static final Instant T = Instant.parse("2026-03-01T00:00:00Z");
    static final long EVENT_TIME = T.plusSeconds(60).toEpochMilli();

    private final FlagDirectory directory = new FlagDirectory(8);
    private final CohortAssigner assigner = new CohortAssigner(directory);

    private static CohortAssigner.Subject user(String user, Platform platform, Map<String, String> context) {
        return new CohortAssigner.Subject(user, "client-" + user, platform, "1.0.0", context);
    }

    private static CohortAssigner.Subject user(String user) {
        return user(user, Platform.WEB, Map.of());
    }

    private CohortAssigner.Result evaluated(CohortAssigner.Subject subject) {
        return assigner.assign(List.of(), subject, EVENT_TIME);
    }

    private CohortAssigner.Result exposed(CohortAssigner.Subject subject, FlagExposure exposure) {
        return assigner.assign(List.of(exposure), subject, EVENT_TIME);
    }

    private static Cohort cohortOf(CohortAssigner.Result result, String flagKey) {
        return result.assignments().stream()
                .filter(a -> a.flagKey().equals(flagKey))
                .map(CohortAssignment::cohort)
                .findFirst()
                .orElse(null);
    }

    private static Constraint platformIs(String platform) {
        return Constraint.newBuilder()
                .setAttribute("platform")
                .setOperator(ConstraintOperator.IN)
                .setValues(List.of(platform))
                .build();
    }

    private static TargetingRule rule(String id, String variant, int basisPoints, Constraint constraint) {
        return TargetingRule.newBuilder()
                .setId(id)
                .setConstraints(List.of(constraint))
                .setVariant(variant)
                .setRolloutBasisPoints(basisPoints)
                .build();
    }

    private static List<String> staff(int n) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            keys.add("staff-" + i);
        }
        return keys;
    }

    @Test
    void anAllowListedSubjectOfAPercentageStageIsLeftOutOfTheComparison() {
        directory.apply(flag("f", 1, T, 1000).setAllowList(staff(3)).build());

        CohortAssigner.Result staff = evaluated(user("staff-1"));
        assertThat(cohortOf(staff, "f")).isNull();
        assertThat(staff.targeted()).containsExactly("f");

        // Customers are drawn by the bucket into both cohorts.
        int treated = 0;
        int control = 0;
        for (int i = 0; i < 2000; i++) {
            CohortAssigner.Result r = evaluated(user("customer-" + i));
            assertThat(r.targeted()).isEmpty();
            if (cohortOf(r, "f") == Cohort.TREATMENT) {
                treated++;
            } else if (cohortOf(r, "f") == Cohort.CONTROL) {
                control++;
            }
        }
        assertThat(treated + control).isEqualTo(2000);
        assertThat(treated).isBetween(140, 260);
    }

    @Test
    void anAllowListedSubjectsExposureIsLeftOutToo() {
        directory.apply(flag("f", 1, T, 1000).setAllowList(staff(3)).build());

        CohortAssigner.Result staff = exposed(user("staff-2"), exposure("f", "on", true));
        assertThat(cohortOf(staff, "f")).isNull();
        assertThat(staff.targeted()).containsExactly("f");

        String drawn = firstUser(r -> cohortOf(evaluated(user(r)), "f") == Cohort.TREATMENT);
        CohortAssigner.Result customer = exposed(user(drawn), exposure("f", "on", true));
        assertThat(cohortOf(customer, "f")).isEqualTo(Cohort.TREATMENT);
        assertThat(customer.targeted()).isEmpty();
    }

    @Test
    void aDenyListedSubjectIsNotTheControl() {
        directory.apply(flag("f", 1, T, 5000).setDenyList(List.of("blocked")).build());

        CohortAssigner.Result blocked = evaluated(user("blocked"));

        assertThat(cohortOf(blocked, "f")).isNull();
        assertThat(blocked.targeted()).containsExactly("f");
    }

    @Test
    void aStageOfTheAllowListAloneComparesPopulations() {
        directory.apply(flag("f", 1, T, 0).setAllowList(staff(3)).build());

        assertThat(cohortOf(evaluated(user("staff-0")), "f"))
                .as("nobody is drawn: the allow-list is the only treatment there is")
                .isEqualTo(Cohort.TREATMENT);
        assertThat(cohortOf(evaluated(user("customer-1")), "f")).isEqualTo(Cohort.CONTROL);
        assertThat(evaluated(user("customer-1")).targeted()).isEmpty();
    }

    @Test
    void aRuleWithAFixedVariantBesideAPercentageIsLeftOut() {
        directory.apply(flag("f", 1, T, 1000)
                .setRules(List.of(rule("ios", "on", 10000, platformIs("IOS"))))
                .build());

        CohortAssigner.Result ios = evaluated(user("u1", Platform.IOS, Map.of()));
        assertThat(cohortOf(ios, "f")).isNull();
        assertThat(ios.targeted()).containsExactly("f");
        assertThat(cohortOf(evaluated(user("u1", Platform.ANDROID, Map.of())), "f"))
                .isIn(Cohort.TREATMENT, Cohort.CONTROL);
    }

    @Test
    void aRuleSplittingAtAnotherShareThanTheFlagIsLeftOutWhileOneAtTheSameShareIsPooled() {
        directory.apply(flag("f", 1, T, 1000)
                .setRules(List.of(
                        rule("ios-half", null, 5000, platformIs("IOS")),
                        rule("android-tenth", null, 1000, platformIs("ANDROID"))))
                .build());

        for (int i = 0; i < 50; i++) {
            assertThat(cohortOf(evaluated(user("u" + i, Platform.IOS, Map.of())), "f"))
                    .as("drawn at 50 %, not at the flag's 10 %")
                    .isNull();
            assertThat(cohortOf(evaluated(user("u" + i, Platform.ANDROID, Map.of())), "f"))
                    .as("drawn at the same 10 % as the web")
                    .isNotNull();
            assertThat(cohortOf(evaluated(user("u" + i, Platform.WEB, Map.of())), "f"))
                    .isNotNull();
        }
    }

    @Test
    void aRuleThatSplitsIsComparedWhenTheFlagsOwnShareDrawsNobody() {
        directory.apply(flag("f", 1, T, 0)
                .setRules(List.of(rule("ios-half", null, 5000, platformIs("IOS"))))
                .build());

        int treated = 0;
        for (int i = 0; i < 200; i++) {
            Cohort ios = cohortOf(evaluated(user("u" + i, Platform.IOS, Map.of())), "f");
            assertThat(ios).isNotNull();
            treated += ios == Cohort.TREATMENT ? 1 : 0;
            assertThat(cohortOf(evaluated(user("u" + i, Platform.WEB, Map.of())), "f"))
                    .as("the web is never drawn: another population than the iOS users drawn")
                    .isNull();
        }
        assertThat(treated).isBetween(70, 130);
    }

    @Test
    void subjectsOutsideTheParentsRolloutAreLeftOut() {
        directory.apply(flag("parent", 1, T, 5000).build());
        directory.apply(flag("child", 1, T, 5000).setParentKey("parent").build());
        FlagChangedEvent parent = directory.latest("parent");

        int outside = 0;
        int compared = 0;
        for (int i = 0; i < 400; i++) {
            CohortAssigner.Result r = evaluated(user("u" + i));
            boolean inParent = cohortOf(r, "parent") == Cohort.TREATMENT;
            if (inParent) {
                assertThat(cohortOf(r, "child")).isNotNull();
                compared++;
            } else {
                assertThat(cohortOf(r, "child")).isNull();
                outside++;
            }
        }
        assertThat(parent.getRolloutBasisPoints()).isEqualTo(5000);
        assertThat(outside).isBetween(150, 250);
        assertThat(compared).isBetween(150, 250);
    }

    @Test
    void anExposureStandsWhenTheEventLacksWhatTheRulesRead() {
        Constraint country = Constraint.newBuilder()
                .setAttribute("country")
                .setOperator(ConstraintOperator.IN)
                .setValues(List.of("FR"))
                .build();
        directory.apply(flag("f", 1, T, 1000)
                .setRules(List.of(rule("fr", "on", 10000, country)))
                .build());

        CohortAssigner.Result unknownCountry = exposed(user("u1"), exposure("f", "on", true));
        assertThat(cohortOf(unknownCountry, "f"))
                .as("served by the rule or drawn: nothing tells, the app's word stands")
                .isEqualTo(Cohort.TREATMENT);

        CohortAssigner.Result french =
                exposed(user("u1", Platform.WEB, Map.of("country", "FR")), exposure("f", "on", true));
        assertThat(cohortOf(french, "f")).isNull();
        assertThat(french.targeted()).containsExactly("f");
    }

    @Test
    void aRuleMatchingEveryoneStandsForTheFlagsOwnShare() {
        Segment everyone = Segment.newBuilder().setKey("everyone").build();
        directory.apply(flag("f", 1, T, 0)
                .setSegments(List.of(everyone))
                .setRules(List.of(
                        rule("ios-half", null, 5000, platformIs("IOS")),
                        TargetingRule.newBuilder()
                                .setId("rest")
                                .setSegments(List.of("everyone"))
                                .setRolloutBasisPoints(1000)
                                .build()))
                .build());

        for (int i = 0; i < 50; i++) {
            assertThat(cohortOf(evaluated(user("u" + i, Platform.IOS, Map.of())), "f"))
                    .as("drawn at 50 %, not at the 10 % everyone else is drawn at")
                    .isNull();
            assertThat(cohortOf(evaluated(user("u" + i, Platform.WEB, Map.of())), "f"))
                    .as("a rule whose segment has no constraint is the flag's default")
                    .isNotNull();
        }
    }

    @Test
    void aWeightedFlagAtEveryoneHasNoDrawnControlSoItComparesPopulations() {
        directory.apply(flag("f", 1, T, 10000)
                .setVariants(
                        List.of(variant("off", "false"), variant("blue", "\"blue\""), variant("green", "\"green\"")))
                .setTreatmentVariant("blue")
                .setVariantWeights(List.of(
                        VariantWeight.newBuilder()
                                .setVariant("blue")
                                .setWeight(50)
                                .build(),
                        VariantWeight.newBuilder()
                                .setVariant("green")
                                .setWeight(50)
                                .build()))
                .setDenyList(List.of("blocked"))
                .build());

        assertThat(cohortOf(evaluated(user("blocked")), "f"))
                .as("every subject the weights draw is treated: the deny-list is the only control there is")
                .isEqualTo(Cohort.CONTROL);
        assertThat(cohortOf(evaluated(user("someone")), "f")).isEqualTo(Cohort.TREATMENT);
    }

    @Test
    void aListedSubjectIsLeftOutEvenWhenItsEventLacksWhatTheRulesRead() {
        directory.apply(flag("f", 1, T, 1000)
                .setAllowList(staff(3))
                .setRules(List.of(rule("fr", "on", 10000, country("FR"))))
                .build());

        CohortAssigner.Result staff = exposed(user("staff-0"), exposure("f", "on", true));

        assertThat(cohortOf(staff, "f")).isNull();
        assertThat(staff.targeted()).containsExactly("f");
    }

    @Test
    void whetherAnExposureIsLeftOutDoesNotDependOnTheCohortItNames() {
        directory.apply(flag("f", 1, T, 1000).setAllowList(staff(3)).build());

        // The app evaluated with another key than the userId: its own draw put the staff member on either side.
        CohortAssigner.Result treated = exposed(user("staff-1"), exposure("f", "on", true));
        CohortAssigner.Result control = exposed(user("staff-1"), exposure("f", "off", false));

        assertThat(cohortOf(treated, "f")).isNull();
        assertThat(cohortOf(control, "f")).isNull();

        // A subject outside the rollout with a key the app did not use: a mismatch, kept as served, either way.
        directory.apply(flag("g", 1, T, 5000).build());
        String out = firstUser(r -> cohortOf(evaluated(user(r)), "g") == Cohort.CONTROL);
        CohortAssigner.Result mismatch = exposed(user(out), exposure("g", "on", true));
        assertThat(cohortOf(mismatch, "g")).isEqualTo(Cohort.TREATMENT);
        assertThat(mismatch.keyMismatches()).containsExactly("g");
    }

    @Test
    void anExposureStandsWhenTheEventLacksWhatAParentsRulesRead() {
        directory.apply(flag("parent", 1, T, 0)
                .setRules(List.of(rule("nz", "on", 10000, country("NZ"))))
                .build());
        directory.apply(flag("child", 1, T, 1000).setParentKey("parent").build());

        CohortAssigner.Result control = exposed(user("u1"), exposure("child", "off", false));
        CohortAssigner.Result treated = exposed(user("u2"), exposure("child", "on", true));

        assertThat(cohortOf(control, "child"))
                .as("without the country the parent's answer is unknown: the app's word stands")
                .isEqualTo(Cohort.CONTROL);
        assertThat(cohortOf(treated, "child")).isEqualTo(Cohort.TREATMENT);
        assertThat(treated.keyMismatches()).isEmpty();
    }

    private static Constraint country(String value) {
        return Constraint.newBuilder()
                .setAttribute("country")
                .setOperator(ConstraintOperator.IN)
                .setValues(List.of(value))
                .build();
    }

    private static FlagVariant variant(String name, String json) {
        return FlagVariant.newBuilder().setName(name).setValueJson(json).build();
    }

    /**
     * The defect this closes: staff on the allow-list fail five times as often as customers whatever the flag, and
     * the flag does nothing. With staff counted as treated, the treated cohort of a 10 % stage fails half again as
     * often as the control (a false regression); drawn subjects alone show the flag as it is.
     */
    @Test
    void aHealthyFlagLooksHealthyWhenItsStaffFailMoreOftenThanItsCustomers() {
        List<String> staff = staff(1000);
        directory.apply(flag("f", 1, T, 1000).setAllowList(staff).build());
        double[] failures = new double[2];
        double[] events = new double[2];
        double staffFailure = 0.10;
        double customerFailure = 0.02;
        for (String key : staff) {
            count(evaluated(user(key)), staffFailure, failures, events);
        }
        for (int i = 0; i < 40_000; i++) {
            count(evaluated(user("customer-" + i)), customerFailure, failures, events);
        }
        double treatedRate = failures[0] / events[0];
        double controlRate = failures[1] / events[1];

        assertThat(treatedRate).isCloseTo(controlRate, org.assertj.core.data.Offset.offset(1e-9));
        // Without leaving staff out: 1 000 staff at 10 % beside about 4 000 drawn customers at 2 %.
        double mixed = (1000 * staffFailure + events[0] * customerFailure) / (1000 + events[0]);
        assertThat(mixed / controlRate)
                .as("what the treated cohort showed before")
                .isGreaterThan(1.5);
    }

    /** Expected failures per subject (no sampling noise), by cohort: [treatment, control]. */
    private static void count(CohortAssigner.Result r, double failureRate, double[] failures, double[] events) {
        Cohort cohort = cohortOf(r, "f");
        if (cohort == null) {
            return;
        }
        int i = cohort == Cohort.TREATMENT ? 0 : 1;
        failures[i] += failureRate;
        events[i]++;
    }

    private static String firstUser(java.util.function.Predicate<String> wanted) {
        for (int i = 0; ; i++) {
            if (wanted.test("customer-" + i)) {
                return "customer-" + i;
            }
        }
    }
}
