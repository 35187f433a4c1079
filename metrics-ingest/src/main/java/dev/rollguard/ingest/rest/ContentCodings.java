package dev.rollguard.ingest.rest;

import dev.rollguard.http.error.ApiException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The content codings {@code POST /api/telemetry} takes (RFC 9110 8.4): {@code gzip} (or its old name {@code
 * x-gzip}), {@code deflate} (the zlib format, as browsers' CompressionStream writes it) and {@code identity}; any other
 * is 415. The body is inflated here, by the JDK's zlib, rather than by the HTTP layer ({@code
 * quarkus.http.enable-decompression}, which would inflate every path of the service), so that the body limit counts
 * the decoded bytes as they come: a small body that inflates to gigabytes is refused once it passes the limit. The
 * JDK's {@code GZIPInputStream} and {@code InflaterInputStream} silently drop bytes after the compressed data, so the
 * formats' framing is read here with an {@link Inflater}: a body with anything left over is not what its coding says.
 */
final class ContentCodings {

    /** What a 415 names as accepted. */
    static final String ACCEPTED = "gzip, deflate or identity";

    private static final int BUFFER = 16 * 1024;

    private ContentCodings() {}

    /**
     * The body as the client wrote it before applying the coding its {@code Content-Encoding} header lines name (each
     * line as the HTTP layer gives it; repeated lines are one list, RFC 9110 5.3).
     */
    static byte[] decode(byte[] body, List<String> contentEncoding, long limit) {
        String coding = coding(contentEncoding);
        if (coding == null) {
            return body;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        decode(body, coding, limit, out);
        return out.toByteArray();
    }

    /**
     * Inflates {@code body}, written in {@code coding} ({@code gzip} or {@code deflate}), into {@code sink}, at most
     * {@code limit} bytes: 413 before writing the bytes that would pass it.
     */
    static void decode(byte[] body, String coding, long limit, OutputStream sink) {
        try {
            if (coding.equals("deflate")) {
                zlib(body, limit, sink);
            } else {
                gzip(body, limit, sink);
            }
        } catch (DataFormatException e) {
            throw notValid(coding);
        } catch (IOException e) {
            throw ApiException.invalid("body", "cannot be read");
        }
    }

    /**
     * The one coding to undo, {@code gzip} or {@code deflate}, or null for none; 415 for any other, and for more than
     * one, which no telemetry client applies. Empty list elements are ignored (RFC 9110 5.6.1).
     */
    static String coding(List<String> headerLines) {
        if (headerLines == null) {
            return null;
        }
        List<String> codings = headerLines.stream()
                .flatMap(line -> java.util.Arrays.stream(line.split(",")))
                .map(c -> c.strip().toLowerCase(Locale.ROOT))
                .filter(c -> !c.isEmpty() && !c.equals("identity"))
                .toList();
        if (codings.isEmpty()) {
            return null;
        }
        if (codings.size() == 1) {
            switch (codings.get(0)) {
                case "gzip", "x-gzip" -> {
                    return "gzip";
                }
                case "deflate" -> {
                    return "deflate";
                }
                default -> {}
            }
        }
        throw new ApiException(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                "Content-Encoding '" + shown(String.join(", ", headerLines)) + "' is not accepted: send the body as "
                        + ACCEPTED + " (one coding at most)");
    }

    /** The zlib format (RFC 1950): one stream, nothing after it. */
    private static void zlib(byte[] body, long limit, OutputStream sink) throws DataFormatException, IOException {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(body);
            inflate(inflater, limit, 0, "deflate", sink, null);
            if (!inflater.finished()) {
                throw notValid("deflate");
            }
            if (inflater.getRemaining() > 0) {
                throw leftOver("deflate");
            }
        } finally {
            inflater.end();
        }
    }

    /**
     * The gzip format (RFC 1952): one member or several one after the other (the format allows it, and their data is
     * read as one), each with its checksum and length checked; anything after the last member that is not another is
     * refused.
     */
    private static void gzip(byte[] body, long limit, OutputStream sink) throws DataFormatException, IOException {
        long total = 0;
        int at = 0;
        do {
            if (at > 0 && !(body.length - at >= 2 && (body[at] & 0xff) == 0x1f && (body[at + 1] & 0xff) == 0x8b)) {
                throw leftOver("gzip");
            }
            at = afterHeader(body, at);
            Inflater inflater = new Inflater(true);
            CRC32 crc = new CRC32();
            long member;
            try {
                inflater.setInput(body, at, body.length - at);
                member = inflate(inflater, limit, total, "gzip", sink, crc);
                if (!inflater.finished()) {
                    throw notValid("gzip");
                }
                at = body.length - inflater.getRemaining();
            } finally {
                inflater.end();
            }
            if (body.length - at < 8
                    || littleEndian(body, at, 4) != crc.getValue()
                    || littleEndian(body, at + 4, 4) != (member & 0xffffffffL)) {
                throw notValid("gzip");
            }
            at += 8;
            total += member;
        } while (at < body.length);
    }

    /** Where a gzip member's deflate data starts, after the header that begins at {@code at}. */
    private static int afterHeader(byte[] b, int at) {
        if (b.length - at < 10 || (b[at] & 0xff) != 0x1f || (b[at + 1] & 0xff) != 0x8b || b[at + 2] != 8) {
            throw notValid("gzip");
        }
        int flags = b[at + 3] & 0xff;
        long p = at + 10L;
        if ((flags & 4) != 0) { // FEXTRA
            p = p + 2 + (p + 2 <= b.length ? littleEndian(b, (int) p, 2) : 0);
        }
        for (int text : new int[] {8, 16}) { // FNAME, FCOMMENT: zero-terminated
            if ((flags & text) != 0) {
                while (p < b.length && b[(int) p] != 0) {
                    p++;
                }
                p++;
            }
        }
        if ((flags & 2) != 0) { // FHCRC: the low 16 bits of the header's CRC-32
            if (p + 2 > b.length) {
                throw notValid("gzip");
            }
            CRC32 crc = new CRC32();
            crc.update(b, at, (int) p - at);
            if ((crc.getValue() & 0xffff) != littleEndian(b, (int) p, 2)) {
                throw notValid("gzip");
            }
            p += 2;
        }
        if (p > b.length) {
            throw notValid("gzip");
        }
        return (int) p;
    }

    /**
     * Inflates what {@code inflater} holds until its stream ends or its input does, into {@code sink}; the bytes it
     * gave. 413 once {@code before} plus them would pass {@code limit}, before those bytes are written.
     */
    private static long inflate(Inflater inflater, long limit, long before, String coding, OutputStream sink, CRC32 crc)
            throws DataFormatException, IOException {
        byte[] buffer = new byte[BUFFER];
        long inflated = 0;
        while (!inflater.finished()) {
            int n = inflater.inflate(buffer);
            if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                break; // cut short, or a preset dictionary, which no telemetry client uses: refused by the caller
            }
            inflated += n;
            if (before + inflated > limit) {
                throw new ApiException(
                        413,
                        "PAYLOAD_TOO_LARGE",
                        "request bodies are limited to " + limit + " bytes once decoded (Content-Encoding: " + coding
                                + ")");
            }
            sink.write(buffer, 0, n);
            if (crc != null) {
                crc.update(buffer, 0, n);
            }
        }
        return inflated;
    }

    private static long littleEndian(byte[] b, int at, int bytes) {
        long value = 0;
        for (int i = bytes - 1; i >= 0; i--) {
            value = value << 8 | (b[at + i] & 0xff);
        }
        return value;
    }

    private static ApiException notValid(String coding) {
        return ApiException.invalid("body", "is not valid " + coding + " data (Content-Encoding: " + coding + ")");
    }

    private static ApiException leftOver(String coding) {
        return ApiException.invalid(
                "body", "has bytes after its " + coding + " data ends (Content-Encoding: " + coding + ")");
    }

    /** A header value as it can be shown in a message: printable ASCII, at most 40 characters. */
    private static String shown(String value) {
        String printable = value.strip().replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() > 40 ? printable.substring(0, 40) + "..." : printable;
    }
}
