package dev.rollguard.ingest.api;

import java.util.List;

/**
 * The answer to a telemetry batch ({@code POST /api/telemetry}): how many events were accepted (acknowledged by the
 * broker) and each refused one, by its position in the batch.
 */
public record IntakeResponse(int accepted, List<Rejected> rejected) {

    public IntakeResponse {
        rejected = List.copyOf(rejected);
    }

    /** One refused event: its index in the batch, the reason's code and the reason. */
    public record Rejected(int index, String code, String reason) {}
}
