package dev.rollguard.ingest.topology;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The event ids a dedup store saw between two commits, as one changelog record: a format byte followed by each id
 * (its length in four bytes, its bytes) with its event time (eight bytes); numbers big-endian. A record per commit
 * instead of one per id: a task's commit writes one record where it wrote hundreds.
 *
 * <p>Its key is unique to the batch and laid out as the window store of earlier versions laid out its keys, so that an
 * instance of an earlier version reading the changelog (during a rolling upgrade, or after a rollback) takes a batch
 * for one more id, with a sane time, and goes on deduplicating: {@code ~}, the store's random base (eight bytes), then
 * where that store expects them the batch's latest event time (eight bytes) and a sequence number (four bytes).
 */
final class DedupBatch {

    /** The first byte of every batch key; the keys of earlier versions' records start with the id. */
    private static final byte KEY_MARK = '~';

    private static final byte FORMAT = 1;

    /** An id and its event time, read from a batch. */
    @FunctionalInterface
    interface IdSink {
        void accept(byte[] id, long time);
    }

    private byte[] bytes = new byte[1024];
    private int size;
    private int ids;
    private long latest = Long.MIN_VALUE;

    /** Adds an id seen at {@code time}. */
    void add(byte[] id, long time) {
        if (size == 0) {
            bytes[size++] = FORMAT;
        }
        int needed = size + Integer.BYTES + id.length + Long.BYTES;
        if (needed > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(needed, bytes.length * 2));
        }
        writeInt(bytes, size, id.length);
        size += Integer.BYTES;
        System.arraycopy(id, 0, bytes, size, id.length);
        size += id.length;
        DedupIds.writeLong(bytes, size, time);
        size += Long.BYTES;
        ids++;
        latest = Math.max(latest, time);
    }

    /** The encoded size so far. */
    int size() {
        return size;
    }

    /** How many ids are in the batch. */
    int ids() {
        return ids;
    }

    /** The key of this batch as batch number {@code sequence} of a store whose batch keys start with {@code base}. */
    byte[] key(long base, int sequence) {
        byte[] key = new byte[1 + Long.BYTES + Long.BYTES + Integer.BYTES];
        key[0] = KEY_MARK;
        DedupIds.writeLong(key, 1, base);
        DedupIds.writeLong(key, 1 + Long.BYTES, latest);
        writeInt(key, 1 + 2 * Long.BYTES, sequence);
        return key;
    }

    /** The encoded batch, emptied for the next one. */
    byte[] take() {
        byte[] value = Arrays.copyOf(bytes, size);
        size = 0;
        ids = 0;
        latest = Long.MIN_VALUE;
        return value;
    }

    static boolean isBatch(byte[] key) {
        return key.length > 0 && key[0] == KEY_MARK;
    }

    /** Reads every id of a batch into {@code sink}. */
    static void read(byte[] value, IdSink sink) {
        if (value.length == 0 || value[0] != FORMAT) {
            throw new IllegalStateException("a dedup batch of an unknown format ("
                    + (value.length == 0 ? "empty" : "format " + value[0]) + ")");
        }
        int at = 1;
        while (at < value.length) {
            int length = readInt(value, at);
            at += Integer.BYTES;
            byte[] id = Arrays.copyOfRange(value, at, at + length);
            at += length;
            sink.accept(id, DedupIds.readLong(value, at));
            at += Long.BYTES;
        }
    }

    private static void writeInt(byte[] bytes, int at, int value) {
        bytes[at] = (byte) (value >>> 24);
        bytes[at + 1] = (byte) (value >>> 16);
        bytes[at + 2] = (byte) (value >>> 8);
        bytes[at + 3] = (byte) value;
    }

    private static int readInt(byte[] bytes, int at) {
        return ((bytes[at] & 0xFF) << 24)
                | ((bytes[at + 1] & 0xFF) << 16)
                | ((bytes[at + 2] & 0xFF) << 8)
                | (bytes[at + 3] & 0xFF);
    }

    /** The bytes of an event id of one kind ({@code s} for syncs, {@code u} for uploads), as earlier versions keyed it. */
    static byte[] id(char kind, String eventId) {
        int length = eventId.length();
        byte[] id = new byte[length + 2];
        id[0] = (byte) kind;
        id[1] = ':';
        for (int i = 0; i < length; i++) {
            char c = eventId.charAt(i);
            if (c >= 0x80) {
                return (kind + ":" + eventId).getBytes(StandardCharsets.UTF_8);
            }
            id[i + 2] = (byte) c;
        }
        return id;
    }
}
