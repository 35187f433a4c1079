package dev.rollguard.rollback.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The flag-service's commit time is read whichever way its JSON writes an instant. */
class FlagMapperTest {

    private static final Instant AT = Instant.parse("2026-11-22T06:00:00.123Z");

    @Test
    void readsIsoInstantsOffsetsAndEpochMillis() {
        assertThat(FlagMapper.parseInstant("2026-11-22T06:00:00.123Z")).isEqualTo(AT);
        assertThat(FlagMapper.parseInstant("2026-11-22T07:00:00.123+01:00")).isEqualTo(AT);
        assertThat(FlagMapper.parseInstant(Long.toString(AT.toEpochMilli()))).isEqualTo(AT);
    }

    @Test
    void unreadableOrMissingIsNull() {
        assertThat(FlagMapper.parseInstant(null)).isNull();
        assertThat(FlagMapper.parseInstant(" ")).isNull();
        assertThat(FlagMapper.parseInstant("yesterday")).isNull();
    }
}
