package dev.rollguard.ingest.service;

import static dev.rollguard.ingest.TelemetryFixtures.flag;
import static dev.rollguard.ingest.TelemetryFixtures.globalKill;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.targeting.IndexedList;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class FlagDirectoryTest {

    static final Instant T = Instant.parse("2026-03-01T00:00:00Z");

    @Test
    void theListsOfAVersionAreIndexedWhenItIsTaken() {
        FlagDirectory directory = new FlagDirectory(3);
        directory.apply(flag("f", 1, T, 1000)
                .setAllowList(java.util.List.of("staff-1", "staff-2"))
                .setDenyList(java.util.List.of("blocked"))
                .build());

        var held = directory.latest("f");
        assertThat(held.getAllowList()).isInstanceOf(IndexedList.class).containsExactly("staff-1", "staff-2");
        assertThat(held.getDenyList()).isInstanceOf(IndexedList.class).containsExactly("blocked");
    }

    @Test
    void findsTheVersionInForceAtATime() {
        FlagDirectory directory = new FlagDirectory(3);
        directory.apply(flag("f", 1, T, 0).build());
        directory.apply(flag("f", 3, T.plusSeconds(20), 10_000).build());
        directory.apply(flag("f", 2, T.plusSeconds(10), 5_000).build()); // out of order: still sorted by version
        assertThat(directory.asOf("f", T.minusSeconds(1).toEpochMilli()))
                .as("before its creation the flag did not exist")
                .isNull();
        assertThat(directory.asOf("f", T.plusSeconds(15).toEpochMilli()).getVersion())
                .isEqualTo(2);
        assertThat(directory.asOf("f", T.plusSeconds(99).toEpochMilli()).getVersion())
                .isEqualTo(3);
        assertThat(directory.version("f", 1).getVersion()).isEqualTo(1);

        directory.apply(flag("f", 4, T.plusSeconds(30), 0).build());
        assertThat(directory.version("f", 1))
                .as("only the configured number of versions is kept")
                .isNull();
        assertThat(directory.asOf("f", T.minusSeconds(1).toEpochMilli()).getVersion())
                .as("with the creation forgotten, the oldest known version stands in")
                .isEqualTo(2);
    }

    @Test
    void onlyFlagsWithAVersionUnderRolloutAreCandidatesAndANewVersionIsSeenAtOnce() {
        FlagDirectory directory = new FlagDirectory(2);
        directory.apply(flag("off", 1, T, 0).build());
        directory.apply(flag("full", 1, T, 10_000).build());
        directory.apply(flag("ramping", 1, T, 5_000).build());
        assertThat(directory.rolloutCandidates()).containsExactly("ramping");
        assertThat(directory.underRolloutAt(T.plusSeconds(1).toEpochMilli())).containsExactly("ramping");

        directory.apply(flag("off", 2, T.plusSeconds(10), 2_000).build());
        assertThat(directory.rolloutCandidates())
                .as("a version under rollout makes the flag a candidate at once")
                .containsExactlyInAnyOrder("off", "ramping");
        assertThat(directory.underRolloutAsOf("off", T.plusSeconds(5).toEpochMilli()))
                .as("before that version it was not under rollout")
                .isNull();
        assertThat(directory.inForceNotUnderRollout("off", T.plusSeconds(5).toEpochMilli()))
                .isTrue();
        assertThat(directory
                        .underRolloutAsOf("off", T.plusSeconds(15).toEpochMilli())
                        .getVersion())
                .isEqualTo(2);
        assertThat(directory.stageVersionAt("off", T.plusSeconds(15).toEpochMilli()))
                .isEqualTo(2);

        directory.apply(flag("ramping", 2, T.plusSeconds(10), 10_000).build());
        directory.apply(flag("ramping", 3, T.plusSeconds(20), 10_000).build());
        assertThat(directory.rolloutCandidates())
                .as("once no version kept is under rollout, the flag costs an event nothing")
                .containsExactly("off");
        assertThat(directory.inForceNotUnderRollout("unknown", T.toEpochMilli()))
                .isFalse();
    }

    @Test
    void knowsWhenTheGlobalKillSwitchWasOn() {
        FlagDirectory directory = new FlagDirectory(8);
        assertThat(directory.globallyKilledAt(T.toEpochMilli())).isFalse();
        directory.apply(globalKill(1, T.plusSeconds(10), true));
        directory.apply(globalKill(2, T.plusSeconds(20), false));
        assertThat(directory.globallyKilledAt(T.toEpochMilli())).isFalse();
        assertThat(directory.globallyKilledAt(T.plusSeconds(15).toEpochMilli())).isTrue();
        assertThat(directory.globallyKilledAt(T.plusSeconds(25).toEpochMilli())).isFalse();

        FlagDirectory afterCompaction = new FlagDirectory(8);
        afterCompaction.apply(flag("*", 7, T.plusSeconds(20), 0)
                .setChangeType(FlagChangeType.GLOBAL_UNKILLED)
                .build());
        assertThat(afterCompaction.globallyKilledAt(T.toEpochMilli()))
                .as("an unkill as the only known change means it was killed before")
                .isTrue();
        assertThat(directory.flagKeys()).isEmpty();
    }
}
