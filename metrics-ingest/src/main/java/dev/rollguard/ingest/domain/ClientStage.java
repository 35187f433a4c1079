package dev.rollguard.ingest.domain;

import dev.rollguard.schemas.guard.GuardMetrics;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * One client's cumulative numerators and denominators of the guard metrics ({@link GuardMetrics}) since its flag's
 * rollout stage began, in one cohort: what turns each of its events into increments of the client-level sums
 * ({@link ClientMoments}). About 330 bytes a client, cohort and flag under rollout.
 */
public final class ClientStage {

    private static final List<Double> DURATIONS = GuardMetrics.SYNC_DURATION_LADDER_MS;
    private static final List<Double> THROUGHPUTS = GuardMetrics.UPLOAD_THROUGHPUT_LADDER_BYTES_PER_SECOND;

    /** Numerators and denominators of the ratio metrics. */
    private final double[] y = new double[GuardMetrics.RATIOS.size()];

    private final double[] x = new double[GuardMetrics.RATIOS.size()];
    /** Syncs slower than each rung, and syncs. */
    private final int[] slowSyncs = new int[GuardMetrics.RUNGS];

    private int syncs;
    /** Uploads with a throughput below each rung, and uploads with a duration. */
    private final int[] slowUploads = new int[GuardMetrics.RUNGS];

    private int timedUploads;
    /** Event time of the client's latest event in this stage. */
    private long lastSeen = Long.MIN_VALUE;

    public long lastSeen() {
        return lastSeen;
    }

    /** Counts one event of the client and adds what it changes to {@code sums} (a stage of {@link ClientMoments}). */
    public void add(Observation o, double[] sums) {
        lastSeen = Math.max(lastSeen, o.eventTime());
        boolean sync = o.kind() == TelemetryKind.SYNC;
        double failed = o.success() ? 0 : 1;
        ratio(sums, 0, failed, 1);
        if (sync) {
            ratio(sums, 1, failed, 1);
        } else {
            ratio(sums, 2, failed, 1);
        }
        ratio(sums, 3, o.quotaExceeded() ? 1 : 0, 1);
        if (o.pendingMutations() >= 0) {
            ratio(sums, 4, o.pendingMutations(), 1);
        }
        if (o.failedMutations() >= 0) {
            ratio(sums, 5, o.failedMutations(), 1);
        }
        if (o.syncQueueLength() >= 0) {
            ratio(sums, 6, o.syncQueueLength(), 1);
        }
        double pct = o.storageUsedPct();
        if (pct >= 0) {
            ratio(sums, 7, pct, 1);
        }
        if (sync) {
            long d = o.durationMs();
            for (int k = 0; k < GuardMetrics.RUNGS; k++) {
                int slow = d > DURATIONS.get(k) ? 1 : 0;
                ClientMoments.add(sums, GuardMetrics.SYNC_DURATION_FIRST + k, slowSyncs[k], syncs, slow, 1);
                slowSyncs[k] += slow;
            }
            syncs++;
        } else if (o.durationMs() > 0) {
            double throughput = o.bytes() * 1000.0 / o.durationMs();
            for (int k = 0; k < GuardMetrics.RUNGS; k++) {
                int slow = throughput < THROUGHPUTS.get(k) ? 1 : 0;
                ClientMoments.add(
                        sums, GuardMetrics.UPLOAD_THROUGHPUT_FIRST + k, slowUploads[k], timedUploads, slow, 1);
                slowUploads[k] += slow;
            }
            timedUploads++;
        }
    }

    /**
     * Takes the client out of {@code sums} (a stage of {@link ClientMoments}): subtracts what all its events added,
     * which is {@code (1, Y, X, Y^2, X^2, XY)} of its cumulative {@code (Y, X)} for each metric it counts in, so the
     * sums become exactly those of the other clients. For a client dropped from the sample ({@code ClientSampling}).
     */
    public void retract(double[] sums) {
        for (int m = 0; m < y.length; m++) {
            ClientMoments.retract(sums, m, y[m], x[m]);
        }
        for (int k = 0; k < GuardMetrics.RUNGS; k++) {
            ClientMoments.retract(sums, GuardMetrics.SYNC_DURATION_FIRST + k, slowSyncs[k], syncs);
            ClientMoments.retract(sums, GuardMetrics.UPLOAD_THROUGHPUT_FIRST + k, slowUploads[k], timedUploads);
        }
    }

    private void ratio(double[] sums, int metric, double dy, double dx) {
        ClientMoments.add(sums, metric, y[metric], x[metric], dy, dx);
        y[metric] += dy;
        x[metric] += dx;
    }

    public byte[] toBytes() {
        ByteBuffer out = ByteBuffer.allocate(8 + 16 * y.length + 4 * (2 * GuardMetrics.RUNGS + 2));
        out.putLong(lastSeen);
        for (int i = 0; i < y.length; i++) {
            out.putDouble(y[i]).putDouble(x[i]);
        }
        for (int k = 0; k < GuardMetrics.RUNGS; k++) {
            out.putInt(slowSyncs[k]).putInt(slowUploads[k]);
        }
        out.putInt(syncs).putInt(timedUploads);
        return out.array();
    }

    public static ClientStage fromBytes(byte[] data) {
        ByteBuffer in = ByteBuffer.wrap(data);
        ClientStage c = new ClientStage();
        c.lastSeen = in.getLong();
        for (int i = 0; i < c.y.length; i++) {
            c.y[i] = in.getDouble();
            c.x[i] = in.getDouble();
        }
        for (int k = 0; k < GuardMetrics.RUNGS; k++) {
            c.slowSyncs[k] = in.getInt();
            c.slowUploads[k] = in.getInt();
        }
        c.syncs = in.getInt();
        c.timedUploads = in.getInt();
        return c;
    }
}
