package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.domain.Violation;
import org.apache.avro.specific.SpecificRecord;

/** A decoded telemetry event refused (invalid or late), on its way to the dead-letter topic. */
record Refused(SpecificRecord event, Violation violation) {}
