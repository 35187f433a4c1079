package dev.rollguard.rollback.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The flag-service's commit time is read whichever way its JSON writes an instant. */
class FlagBodyMapperTest {

    private static final Instant AT = Instant.parse("2026-11-22T06:00:00.123Z");

    @Test
    void readsIsoInstantsOffsetsAndEpochMillis() {
        assertThat(FlagBodyMapper.parseInstant("2026-11-22T06:00:00.123Z")).isEqualTo(AT);
        assertThat(FlagBodyMapper.parseInstant("2026-11-22T07:00:00.123+01:00")).isEqualTo(AT);
        assertThat(FlagBodyMapper.parseInstant(Long.toString(AT.toEpochMilli())))
                .isEqualTo(AT);
    }

    @Test
    void unreadableOrMissingIsNull() {
        assertThat(FlagBodyMapper.parseInstant(null)).isNull();
        assertThat(FlagBodyMapper.parseInstant(" ")).isNull();
        assertThat(FlagBodyMapper.parseInstant("yesterday")).isNull();
    }
}
