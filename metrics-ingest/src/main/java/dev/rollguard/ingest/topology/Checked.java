package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.domain.Violation;
import org.apache.avro.specific.SpecificRecord;

/** A decoded telemetry event with the rule it breaks, if any. */
record Checked(SpecificRecord event, Violation violation) {

    boolean valid() {
        return violation == null;
    }
}
