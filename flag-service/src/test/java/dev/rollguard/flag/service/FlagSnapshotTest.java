package dev.rollguard.flag.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagValueType;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.GuardPolicy;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class FlagSnapshotTest {

    private final FlagSnapshot snapshot = new FlagSnapshot(new ObjectMapper());

    @Test
    void aBulkEvaluationServesTheFlagsNotArchivedInKeyOrder() {
        snapshot.applyAll(List.of(
                flag("zebra", 1, false), flag("apple", 1, false), flag("mango", 1, true), flag("kiwi", 1, false)));

        assertThat(snapshot.current().served())
                .extracting(FlagChangedEvent::getFlagKey)
                .containsExactly("apple", "kiwi", "zebra");
    }

    @Test
    void eachChangeGivesTheServedFlagsOfItsOwnState() {
        snapshot.applyAll(List.of(flag("b", 1, false), flag("a", 1, false)));
        FlagSnapshot.State before = snapshot.current();

        snapshot.apply(flag("a", 2, true));
        snapshot.apply(flag("c", 1, false));

        assertThat(snapshot.current().served())
                .extracting(FlagChangedEvent::getFlagKey)
                .containsExactly("b", "c");
        assertThat(before.served()).extracting(FlagChangedEvent::getFlagKey).containsExactly("a", "b");
        // An older version changes nothing, the served list included.
        FlagSnapshot.State current = snapshot.current();
        assertThat(snapshot.apply(flag("a", 1, false))).isFalse();
        assertThat(snapshot.current()).isSameAs(current);
    }

    private static FlagChangedEvent flag(String key, long version, boolean archived) {
        return FlagChangedEvent.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setFlagKey(key)
                .setVersion(version)
                .setChangeType(FlagChangeType.CREATED)
                .setChangedAt(Instant.parse("2026-12-03T00:00:00Z"))
                .setActor("test")
                .setEnabled(true)
                .setKilled(false)
                .setArchived(archived)
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
                .setRolloutBasisPoints(1_000)
                .setGuardPolicy(
                        GuardPolicy.newBuilder().setAction(GuardAction.KILL).build())
                .build();
    }
}
