package dev.rollguard.schemas.targeting;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.schemas.bucketing.Bucketing;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagValueType;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.GuardPolicy;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Every rule of the shared evaluation order, and the precedence between them. */
class FlagEvaluatorTest {

    private final Map<String, FlagChangedEvent> flags = new HashMap<>();

    @Test
    void theGlobalKillSwitchWinsOverEverything() {
        FlagChangedEvent flag = flag("f", 10_000, List.of("vip"), List.of());
        assertThat(evaluate(flag, "vip", true))
                .isEqualTo(new Evaluation("off", false, EvaluationReason.DISABLED, null));
    }

    @Test
    void aDisabledKilledOrArchivedFlagServesItsOffVariantEvenToTheAllowList() {
        FlagChangedEvent disabled = flag("f", 10_000, List.of("vip"), List.of());
        disabled.setEnabled(false);
        FlagChangedEvent killed = flag("g", 10_000, List.of("vip"), List.of());
        killed.setKilled(true);
        FlagChangedEvent archived = flag("h", 10_000, List.of("vip"), List.of());
        archived.setArchived(true);
        for (FlagChangedEvent flag : List.of(disabled, killed, archived)) {
            assertThat(evaluate(flag, "vip", false).reason()).isEqualTo(EvaluationReason.DISABLED);
            assertThat(evaluate(flag, "vip", false).variant()).isEqualTo("off");
        }
    }

    @Test
    void aParentOffForTheSubjectSwitchesTheChildOff() {
        FlagChangedEvent parent = flag("replication", 5000, List.of(), List.of());
        FlagChangedEvent child = flag("replication.table.entries", 10_000, List.of(), List.of());
        child.setParentKey("replication");
        String in = subject("replication", true, 5000);
        String out = subject("replication", false, 5000);

        assertThat(evaluate(child, in, false)).isEqualTo(new Evaluation("on", true, EvaluationReason.STATIC, null));
        assertThat(evaluate(child, out, false))
                .isEqualTo(new Evaluation("off", false, EvaluationReason.DISABLED, null));
        parent.setKilled(true);
        assertThat(evaluate(child, in, false).reason()).isEqualTo(EvaluationReason.DISABLED);
    }

    @Test
    void anUnknownParentCountsAsOffAndACycleIsAnError() {
        FlagChangedEvent orphan = flag("orphan", 10_000, List.of(), List.of());
        orphan.setParentKey("gone");
        assertThat(evaluate(orphan, "u", false).reason()).isEqualTo(EvaluationReason.DISABLED);

        FlagChangedEvent a = flag("a", 10_000, List.of(), List.of());
        FlagChangedEvent b = flag("b", 10_000, List.of(), List.of());
        a.setParentKey("b");
        b.setParentKey("a");
        Evaluation cycle = evaluate(a, "u", false);
        assertThat(cycle.reason()).isEqualTo(EvaluationReason.ERROR);
        assertThat(cycle.errorCode()).isEqualTo(Evaluation.GENERAL);
        assertThat(cycle.variant()).isEqualTo("off");
    }

    @Test
    void theDenyListWinsOverTheAllowList() {
        FlagChangedEvent flag = flag("f", 10_000, List.of("both", "allowed"), List.of("both"));
        assertThat(evaluate(flag, "both", false))
                .isEqualTo(new Evaluation("off", false, EvaluationReason.TARGETING_MATCH, null));
        assertThat(evaluate(flag, "allowed", false))
                .isEqualTo(new Evaluation("on", true, EvaluationReason.TARGETING_MATCH, null));
    }

    @Test
    void theAllowListIsTreatedAtZeroPercent() {
        FlagChangedEvent flag = flag("f", 0, List.of("internal"), List.of());
        assertThat(evaluate(flag, "internal", false).treated()).isTrue();
        assertThat(evaluate(flag, "customer", false))
                .isEqualTo(new Evaluation("off", false, EvaluationReason.DEFAULT, null));
    }

    @Test
    void fullRolloutIsStaticAndNeedsNoTargetingKey() {
        FlagChangedEvent flag = flag("f", 10_000, List.of(), List.of());
        assertThat(evaluate(flag, null, false)).isEqualTo(new Evaluation("on", true, EvaluationReason.STATIC, null));
        assertThat(evaluate(flag("g", 0, List.of(), List.of()), null, false).reason())
                .isEqualTo(EvaluationReason.DEFAULT);
    }

    @Test
    void aPartialRolloutSplitsByBucketAndNeedsATargetingKey() {
        FlagChangedEvent flag = flag("offline-recording", 1000, List.of(), List.of());
        for (int i = 0; i < 200; i++) {
            String subject = "user-" + i;
            Evaluation result = evaluate(flag, subject, false);
            assertThat(result.reason()).isEqualTo(EvaluationReason.SPLIT);
            assertThat(result.treated()).isEqualTo(Bucketing.inRollout("offline-recording", subject, 1000));
            assertThat(result.variant()).isEqualTo(result.treated() ? "on" : "off");
        }
        for (String anonymous : new String[] {null, "", "  "}) {
            assertThat(evaluate(flag, anonymous, false))
                    .isEqualTo(new Evaluation("off", false, EvaluationReason.ERROR, Evaluation.TARGETING_KEY_MISSING));
        }
    }

    @Test
    void raisingTheShareOnlyAddsSubjects() {
        FlagChangedEvent small = flag("ramp", 500, List.of(), List.of());
        FlagChangedEvent large = flag("ramp", 5000, List.of(), List.of());
        IntStream.range(0, 2000).mapToObj(i -> "s" + i).forEach(s -> {
            if (evaluate(small, s, false).treated()) {
                assertThat(evaluate(large, s, false).treated()).isTrue();
            }
        });
    }

    private Evaluation evaluate(FlagChangedEvent flag, String targetingKey, boolean globalKill) {
        return FlagEvaluator.evaluate(flag, targetingKey, flags::get, globalKill);
    }

    private FlagChangedEvent flag(String key, int basisPoints, List<String> allow, List<String> deny) {
        FlagChangedEvent flag = FlagChangedEvent.newBuilder()
                .setEventId("e-" + key)
                .setFlagKey(key)
                .setVersion(1)
                .setChangeType(FlagChangeType.UPDATED)
                .setChangedAt(Instant.parse("2026-01-01T00:00:00Z"))
                .setActor("test")
                .setEnabled(true)
                .setValueType(FlagValueType.BOOLEAN)
                .setVariants(List.of(new FlagVariant("on", "true"), new FlagVariant("off", "false")))
                .setTreatmentVariant("on")
                .setOffVariant("off")
                .setAllowList(allow)
                .setDenyList(deny)
                .setRolloutBasisPoints(basisPoints)
                .setGuardPolicy(new GuardPolicy(GuardAction.NOTIFY_ONLY, false, 300L))
                .build();
        flags.put(key, flag);
        return flag;
    }

    private static String subject(String flagKey, boolean inside, int basisPoints) {
        return IntStream.range(0, 10_000)
                .mapToObj(i -> "user-" + i)
                .filter(s -> Bucketing.inRollout(flagKey, s, basisPoints) == inside)
                .findFirst()
                .orElseThrow();
    }
}
