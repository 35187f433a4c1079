package dev.rollguard.flag.service;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** The time of a change, to the millisecond: what the database keeps, so a read answers what the write answered. */
final class Timestamps {

    private Timestamps() {}

    static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS);
    }
}
