package dev.rollguard.flag.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.flag.config.FlagServiceConfig;
import dev.rollguard.schemas.event.EvaluatedKeysEvent;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagValueType;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.GuardPolicy;
import dev.rollguard.schemas.keys.KeyDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class EvaluatedKeyRecorderTest {

    private static final long SLICE = Duration.ofMinutes(10).toMillis();
    /** 12:00:00 on some day: a slice boundary. */
    private static final long T0 = 1_764_676_800_000L;

    private final AtomicLong now = new AtomicLong(T0 + 1_000);
    private final EvaluatedKeyRecorder recorder = new EvaluatedKeyRecorder(config(true), now::get);

    private static final FlagChangedEvent ROLLOUT = flag("rollout", 1_000, true, false);
    private static final FlagChangedEvent EVERYONE = flag("everyone", 10_000, true, false);
    private static final FlagChangedEvent NOBODY = flag("nobody", 0, true, false);
    private static final FlagChangedEvent KILLED = flag("killed", 1_000, true, true);
    private static final FlagChangedEvent OTHER_ROLLOUT = flag("other-rollout", 5_000, true, false);

    private static final FlagSnapshot.State STATE = state(ROLLOUT, EVERYONE, NOBODY, KILLED, OTHER_ROLLOUT);

    @Test
    void onlyFlagsUnderRolloutRecordTheirKeys() {
        recorder.record(STATE, "rollout", "alice@example.com");
        recorder.record(STATE, "everyone", "alice@example.com");
        recorder.record(STATE, "nobody", "alice@example.com");
        recorder.record(STATE, "killed", "alice@example.com");
        recorder.record(STATE, "no-such-flag", "alice@example.com");
        recorder.record(STATE, "other-rollout", null);

        List<EvaluatedKeyRecorder.Changed> changed = recorder.changed();
        assertThat(changed).extracting(c -> c.event().getFlagKey()).containsExactly("rollout");
        EvaluatedKeysEvent event = changed.get(0).event();
        assertThat(digest(event).mightContain("alice@example.com")).isTrue();
        assertThat(digest(event).mightContain("user-1")).isFalse();
        assertThat(event.getKeys()).isEqualTo(1);
        assertThat(event.getSliceStart()).isEqualTo(Instant.ofEpochMilli(T0));
        assertThat(event.getSliceEnd()).isEqualTo(Instant.ofEpochMilli(T0 + SLICE));
        assertThat(event.getFirstKeyAt()).isEqualTo(Instant.ofEpochMilli(T0 + 1_000));
        assertThat(changed.get(0).key()).isEqualTo("rollout|" + recorder.instanceId() + "|" + T0);
    }

    @Test
    void aBulkEvaluationRecordsTheKeyForEveryFlagUnderRollout() {
        recorder.recordAll(STATE, "bob@example.com");
        assertThat(recorder.changed())
                .extracting(c -> c.event().getFlagKey())
                .containsExactlyInAnyOrder("rollout", "other-rollout");
    }

    @Test
    void underTheGlobalKillNothingIsRecorded() {
        FlagChangedEvent global = flag("*", 0, true, true);
        FlagSnapshot.State killed = new FlagSnapshot.State(STATE.flags(), Map.of(), global, "r", Instant.EPOCH);
        recorder.recordAll(killed, "bob@example.com");
        recorder.record(killed, "rollout", "bob@example.com");
        assertThat(recorder.changed()).isEmpty();
    }

    @Test
    void aSliceIsPublishedAgainOnlyWhenItTookANewKeyAndALastTimeAfterItEnds() {
        recorder.record(STATE, "rollout", "alice@example.com");
        assertThat(recorder.changed()).hasSize(1);
        recorder.record(STATE, "rollout", "alice@example.com");
        assertThat(recorder.changed()).as("the same key again changes nothing").isEmpty();

        recorder.record(STATE, "rollout", "carol@example.com");
        now.set(T0 + SLICE + 5);
        recorder.record(STATE, "rollout", "dave@example.com");
        List<EvaluatedKeyRecorder.Changed> changed = recorder.changed();
        assertThat(changed)
                .extracting(c -> c.event().getSliceStart().toEpochMilli())
                .containsExactly(T0, T0 + SLICE);
        assertThat(digest(changed.get(0).event()).mightContain("carol@example.com"))
                .isTrue();
        assertThat(digest(changed.get(1).event()).mightContain("dave@example.com"))
                .isTrue();
        assertThat(digest(changed.get(1).event()).mightContain("carol@example.com"))
                .isFalse();

        now.set(T0 + 2 * SLICE + 5);
        assertThat(recorder.changed()).as("the ended slice had nothing new").isEmpty();
        recorder.record(STATE, "rollout", "erin@example.com");
        assertThat(recorder.changed())
                .extracting(c -> c.event().getSliceStart().toEpochMilli())
                .containsExactly(T0 + 2 * SLICE);
    }

    @Test
    void aSliceWhosePublicationFailedIsPublishedAgain() {
        recorder.record(STATE, "rollout", "alice@example.com");
        EvaluatedKeyRecorder.Changed first = recorder.changed().get(0);
        recorder.failed(first.slice());
        assertThat(recorder.changed())
                .extracting(EvaluatedKeyRecorder.Changed::key)
                .containsExactly(first.key());

        recorder.record(STATE, "rollout", "carol@example.com");
        now.set(T0 + SLICE + 1);
        recorder.record(STATE, "rollout", "bob@example.com");
        List<EvaluatedKeyRecorder.Changed> both = recorder.changed();
        assertThat(both).as("the ended slice and the new one").hasSize(2);
        both.forEach(c -> recorder.failed(c.slice()));
        assertThat(recorder.changed())
                .extracting(EvaluatedKeyRecorder.Changed::key)
                .hasSize(2);
        assertThat(recorder.changed()).isEmpty();
    }

    @Test
    void switchedOffItRecordsNothing() {
        EvaluatedKeyRecorder off = new EvaluatedKeyRecorder(config(false), now::get);
        off.recordAll(STATE, "bob@example.com");
        off.record(STATE, "rollout", "bob@example.com");
        assertThat(off.changed()).isEmpty();
    }

    private static KeyDigest digest(EvaluatedKeysEvent event) {
        byte[] bits = new byte[event.getBits().remaining()];
        event.getBits().duplicate().get(bits);
        return KeyDigest.of(bits, event.getHashFunctions(), event.getKeys());
    }

    private static FlagSnapshot.State state(FlagChangedEvent... flags) {
        Map<String, FlagChangedEvent> byKey = new java.util.HashMap<>();
        for (FlagChangedEvent flag : flags) {
            byKey.put(flag.getFlagKey(), flag);
        }
        return new FlagSnapshot.State(Map.copyOf(byKey), Map.of(), null, "r", Instant.EPOCH);
    }

    private static FlagChangedEvent flag(String key, int basisPoints, boolean enabled, boolean killed) {
        return FlagChangedEvent.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setFlagKey(key)
                .setVersion(1)
                .setChangeType(FlagChangeType.CREATED)
                .setChangedAt(Instant.ofEpochMilli(T0))
                .setActor("test")
                .setEnabled(enabled)
                .setKilled(killed)
                .setValueType(FlagValueType.BOOLEAN)
                .setVariants(List.of(
                        FlagVariant.newBuilder()
                                .setName("on")
                                .setValueJson("true")
                                .build(),
                        FlagVariant.newBuilder()
                                .setName("off")
                                .setValueJson("false")
                                .build()))
                .setTreatmentVariant("on")
                .setOffVariant("off")
                .setRolloutBasisPoints(basisPoints)
                .setGuardPolicy(
                        GuardPolicy.newBuilder().setAction(GuardAction.KILL).build())
                .build();
    }

    private static FlagServiceConfig.EvaluatedKeys config(boolean enabled) {
        return new FlagServiceConfig.EvaluatedKeys() {
            @Override
            public boolean enabled() {
                return enabled;
            }

            @Override
            public Duration slice() {
                return Duration.ofMillis(SLICE);
            }

            @Override
            public long capacity() {
                return 1_000;
            }

            @Override
            public double falsePositiveRate() {
                return 0.01;
            }

            @Override
            public Duration publishInterval() {
                return Duration.ofSeconds(15);
            }
        };
    }
}
