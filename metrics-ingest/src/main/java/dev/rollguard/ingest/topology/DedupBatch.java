package dev.rollguard.ingest.topology;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The event ids a dedup store saw between two commits, as one changelog record: the key {@code ~<batch>}, unique to the
 * batch, and the value a format byte followed by each id (its length in two bytes, its bytes) with its event time
 * (eight bytes, big-endian). A record per commit instead of one per id: a task's commit writes one record where it
 * wrote hundreds.
 *
 * <p>Batch keys are never written twice, so compaction keeps every batch; the changelog's time retention (the horizon
 * and a day, as for the window store of earlier versions) is what deletes them.
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

    /** Adds an id seen at {@code time}. */
    void add(byte[] id, long time) {
        if (id.length > 0xFFFF) {
            throw new IllegalArgumentException("an event id of " + id.length + " bytes is too long for a dedup batch");
        }
        if (size == 0) {
            bytes[size++] = FORMAT;
        }
        int needed = size + 2 + id.length + Long.BYTES;
        if (needed > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(needed, bytes.length * 2));
        }
        bytes[size++] = (byte) (id.length >>> 8);
        bytes[size++] = (byte) id.length;
        System.arraycopy(id, 0, bytes, size, id.length);
        size += id.length;
        DedupIds.writeLong(bytes, size, time);
        size += Long.BYTES;
        ids++;
    }

    /** The encoded size so far. */
    int size() {
        return size;
    }

    /** How many ids are in the batch. */
    int ids() {
        return ids;
    }

    /** The encoded batch, emptied for the next one. */
    byte[] take() {
        byte[] value = Arrays.copyOf(bytes, size);
        size = 0;
        ids = 0;
        return value;
    }

    /** The key of batch number {@code sequence} of a store whose batches are numbered from {@code base}. */
    static String key(long base, long sequence) {
        return (char) KEY_MARK + Long.toHexString(base) + "-" + Long.toHexString(sequence);
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
            int length = ((value[at] & 0xFF) << 8) | (value[at + 1] & 0xFF);
            at += 2;
            byte[] id = Arrays.copyOfRange(value, at, at + length);
            at += length;
            sink.accept(id, DedupIds.readLong(value, at));
            at += Long.BYTES;
        }
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
