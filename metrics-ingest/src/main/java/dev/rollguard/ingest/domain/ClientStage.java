package dev.rollguard.ingest.domain;

import dev.rollguard.schemas.guard.GuardMetrics;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.utils.ByteUtils;

/**
 * One client's cumulative numerators and denominators of the guard metrics ({@link GuardMetrics}) since its flag's
 * rollout stage began, in one cohort: what turns each of its events into increments of the client-level sums
 * ({@link ClientMoments}). About 40 bytes encoded ({@link #toBytes}) for a client with a few events.
 */
public final class ClientStage {

    /** The ladders as primitive arrays: read for every rung of every event of every cohort. */
    private static final double[] DURATIONS = primitive(GuardMetrics.SYNC_DURATION_LADDER_MS);

    private static final double[] THROUGHPUTS = primitive(GuardMetrics.UPLOAD_THROUGHPUT_LADDER_BYTES_PER_SECOND);

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
                int slow = d > DURATIONS[k] ? 1 : 0;
                ClientMoments.add(sums, GuardMetrics.SYNC_DURATION_FIRST + k, slowSyncs[k], syncs, slow, 1);
                slowSyncs[k] += slow;
            }
            syncs++;
        } else if (o.durationMs() > 0) {
            double throughput = o.bytes() * 1000.0 / o.durationMs();
            for (int k = 0; k < GuardMetrics.RUNGS; k++) {
                int slow = throughput < THROUGHPUTS[k] ? 1 : 0;
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

    /** First byte of the compact encoding; the fixed-width encoding of earlier versions starts with {@code lastSeen}. */
    private static final byte COMPACT = 1;
    /** The most bytes {@link #toBytes} writes. */
    public static final int MAX_ENCODED_LENGTH =
            1 + 10 + 18 * GuardMetrics.RATIOS.size() + 2 * (5 + 5 * GuardMetrics.RUNGS) + 10;

    /** Length of the fixed-width encoding of earlier versions, still read back from their changelogs. */
    static final int FIXED_LENGTH = 8 + 16 * GuardMetrics.RATIOS.size() + 4 * (2 * GuardMetrics.RUNGS + 2);

    /**
     * The compact encoding: variable-length integers for the counts, and for the numerators and denominators when
     * they are whole numbers (all but the mean storage use, usually); a ladder's counts up to its last non-zero rung
     * only. About 40 bytes for a client with a few events, against {@value #FIXED_LENGTH} bytes fixed-width: every
     * change of a client's state is a changelog record, so this is most of the guard's write volume.
     */
    public byte[] toBytes() {
        ByteBuffer out = ByteBuffer.allocate(MAX_ENCODED_LENGTH);
        writeTo(out);
        return Arrays.copyOf(out.array(), out.position());
    }

    /** Writes the compact encoding ({@link #toBytes}) into {@code out}, which has {@link #MAX_ENCODED_LENGTH} left. */
    public void writeTo(ByteBuffer out) {
        out.put(COMPACT);
        ByteUtils.writeVarlong(lastSeen, out);
        for (int i = 0; i < y.length; i++) {
            writeNumber(y[i], out);
            writeNumber(x[i], out);
        }
        writeLadder(slowSyncs, out);
        writeLadder(slowUploads, out);
        ByteUtils.writeUnsignedVarint(syncs, out);
        ByteUtils.writeUnsignedVarint(timedUploads, out);
    }

    /** A state with the same figures, changed on its own from now on. */
    public ClientStage copy() {
        ClientStage c = new ClientStage();
        System.arraycopy(y, 0, c.y, 0, y.length);
        System.arraycopy(x, 0, c.x, 0, x.length);
        System.arraycopy(slowSyncs, 0, c.slowSyncs, 0, slowSyncs.length);
        System.arraycopy(slowUploads, 0, c.slowUploads, 0, slowUploads.length);
        c.syncs = syncs;
        c.timedUploads = timedUploads;
        c.lastSeen = lastSeen;
        return c;
    }

    /**
     * Whether {@code other} holds the same figures, so that it encodes to the same bytes: a client's states in the
     * cohorts it entered together usually do, and its record then holds one of them ({@code ClientStageStore}).
     */
    public boolean sameAs(ClientStage other) {
        return lastSeen == other.lastSeen
                && syncs == other.syncs
                && timedUploads == other.timedUploads
                && Arrays.equals(y, other.y)
                && Arrays.equals(x, other.x)
                && Arrays.equals(slowSyncs, other.slowSyncs)
                && Arrays.equals(slowUploads, other.slowUploads);
    }

    public static ClientStage fromBytes(byte[] data) {
        ByteBuffer in = ByteBuffer.wrap(data);
        if (data.length == FIXED_LENGTH && data[0] != COMPACT) {
            return fromFixedWidth(in);
        }
        in.get();
        ClientStage c = new ClientStage();
        c.lastSeen = ByteUtils.readVarlong(in);
        for (int i = 0; i < c.y.length; i++) {
            c.y[i] = readNumber(in);
            c.x[i] = readNumber(in);
        }
        readLadder(c.slowSyncs, in);
        readLadder(c.slowUploads, in);
        c.syncs = ByteUtils.readUnsignedVarint(in);
        c.timedUploads = ByteUtils.readUnsignedVarint(in);
        return c;
    }

    /** The fixed-width encoding of earlier versions (a changelog written by them is read back after an upgrade). */
    private static ClientStage fromFixedWidth(ByteBuffer in) {
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

    /** The largest magnitude written as a whole number: every integer up to it is exact in a double. */
    private static final double WHOLE_LIMIT = 0x1p52;

    /** A whole number as a zigzag varlong of twice its value; any other as the varlong 1 and the 8-byte double. */
    private static void writeNumber(double v, ByteBuffer out) {
        if (v == Math.rint(v) && Math.abs(v) < WHOLE_LIMIT) {
            ByteUtils.writeVarlong(((long) v) << 1, out);
        } else {
            ByteUtils.writeVarlong(1, out);
            out.putDouble(v);
        }
    }

    private static double readNumber(ByteBuffer in) {
        long tagged = ByteUtils.readVarlong(in);
        return (tagged & 1) == 0 ? (double) (tagged >> 1) : in.getDouble();
    }

    /** How many rungs up to the last non-zero one, then their counts. */
    private static void writeLadder(int[] counts, ByteBuffer out) {
        int n = counts.length;
        while (n > 0 && counts[n - 1] == 0) {
            n--;
        }
        ByteUtils.writeUnsignedVarint(n, out);
        for (int k = 0; k < n; k++) {
            ByteUtils.writeUnsignedVarint(counts[k], out);
        }
    }

    private static void readLadder(int[] counts, ByteBuffer in) {
        int n = ByteUtils.readUnsignedVarint(in);
        for (int k = 0; k < n; k++) {
            counts[k] = ByteUtils.readUnsignedVarint(in);
        }
    }

    private static double[] primitive(List<Double> ladder) {
        return ladder.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** The fixed-width encoding of earlier versions (tests: a changelog they wrote must still be read). */
    byte[] toFixedWidth() {
        ByteBuffer out = ByteBuffer.allocate(FIXED_LENGTH);
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
}
