package dev.rollguard.ingest.domain;

import dev.rollguard.schemas.guard.GuardMetrics;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a window adds to the client-level sums of the guard metrics ({@link GuardMetrics}), per rollout stage of the
 * scope's flag: for each metric, the increments of the number of clients and of {@code sum Y_i}, {@code sum X_i},
 * {@code sum Y_i^2}, {@code sum X_i^2} and {@code sum X_i Y_i} over the cohort's clients, where {@code (Y_i, X_i)}
 * is client i's cumulative numerator and denominator since the stage began ({@link ClientStage}). Increments add, so
 * windows (and partials of several tasks) merge by addition.
 */
public final class ClientMoments {

    /** Numbers per metric: clients, sumY, sumX, sumYY, sumXX, sumXY. */
    public static final int WIDTH = 6;

    private final Map<Long, double[]> stages = new TreeMap<>();

    /** The increments of a stage, created empty; index {@code metric * WIDTH + part}. */
    double[] stage(long stageVersion) {
        return stages.computeIfAbsent(stageVersion, v -> new double[GuardMetrics.COUNT * WIDTH]);
    }

    /** Adds a client's change of {@code (Y, X)} by {@code (y, x)} to a metric of a stage. */
    static void add(double[] sums, int metric, double oldY, double oldX, double y, double x) {
        int at = metric * WIDTH;
        if (oldX == 0 && x > 0) {
            sums[at] += 1;
        }
        sums[at + 1] += y;
        sums[at + 2] += x;
        sums[at + 3] += 2 * oldY * y + y * y;
        sums[at + 4] += 2 * oldX * x + x * x;
        sums[at + 5] += oldX * y + x * oldY + x * y;
    }

    /**
     * Subtracts a client's whole contribution {@code (1, y, x, y^2, x^2, xy)} to a metric of a stage, where {@code (y,
     * x)} is its cumulative numerator and denominator: the exact opposite of every {@link #add} of that client, since
     * each part is a sum over clients of a function of the client's own figures.
     */
    static void retract(double[] sums, int metric, double y, double x) {
        if (x <= 0) {
            return;
        }
        int at = metric * WIDTH;
        sums[at] -= 1;
        sums[at + 1] -= y;
        sums[at + 2] -= x;
        sums[at + 3] -= y * y;
        sums[at + 4] -= x * x;
        sums[at + 5] -= x * y;
    }

    public boolean isEmpty() {
        return stages.isEmpty();
    }

    /** The stages and their increments (read-only use). */
    public Map<Long, double[]> stages() {
        return stages;
    }

    public void merge(ClientMoments other) {
        other.stages.forEach((version, sums) -> {
            double[] mine = stage(version);
            for (int i = 0; i < sums.length; i++) {
                mine[i] += sums[i];
            }
        });
    }

    /** The number of bytes {@link #write} takes. */
    public int encodedSize() {
        int size = Integer.BYTES;
        for (double[] sums : stages.values()) {
            size += Long.BYTES + Short.BYTES + used(sums) * (Short.BYTES + WIDTH * Long.BYTES);
        }
        return size;
    }

    /**
     * Writes the stages sparsely: only the metrics with a non-zero part; {@code out} has {@link #encodedSize} room.
     * Doubles are written as {@link Double#doubleToLongBits} (a NaN as the canonical one), the bytes {@link
     * java.io.DataOutput#writeDouble} wrote before.
     */
    public void write(ByteBuffer out) {
        out.putInt(stages.size());
        for (var stage : stages.entrySet()) {
            out.putLong(stage.getKey());
            double[] sums = stage.getValue();
            out.putShort((short) used(sums));
            for (int m = 0; m < GuardMetrics.COUNT; m++) {
                if (!zero(sums, m)) {
                    out.putShort((short) m);
                    for (int p = m * WIDTH; p < (m + 1) * WIDTH; p++) {
                        out.putLong(Double.doubleToLongBits(sums[p]));
                    }
                }
            }
        }
    }

    /** Reads what {@link #write} wrote, from the position of {@code in} on. */
    public static ClientMoments read(ByteBuffer in) {
        ClientMoments moments = new ClientMoments();
        int count = in.getInt();
        for (int s = 0; s < count; s++) {
            double[] sums = moments.stage(in.getLong());
            int used = in.getShort();
            for (int i = 0; i < used; i++) {
                int m = in.getShort();
                for (int p = m * WIDTH; p < (m + 1) * WIDTH; p++) {
                    sums[p] = Double.longBitsToDouble(in.getLong());
                }
            }
        }
        return moments;
    }

    /** The number of metrics with a non-zero part. */
    private static int used(double[] sums) {
        int used = 0;
        for (int m = 0; m < GuardMetrics.COUNT; m++) {
            if (!zero(sums, m)) {
                used++;
            }
        }
        return used;
    }

    /** Whether every part of metric {@code m} is zero. */
    public static boolean zero(double[] sums, int m) {
        for (int p = 0; p < WIDTH; p++) {
            if (sums[m * WIDTH + p] != 0) {
                return false;
            }
        }
        return true;
    }
}
