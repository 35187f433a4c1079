package dev.rollguard.ingest.rest;

import dev.rollguard.http.error.ApiException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;
import java.util.zip.ZipException;

/**
 * The content codings {@code POST /api/telemetry} takes (RFC 9110 8.4): {@code gzip} (or its old name {@code
 * x-gzip}), {@code deflate} (the zlib format, as browsers' CompressionStream writes it) and {@code identity}; any other
 * is 415. The body is inflated here, by the JDK's zlib streams, rather than by the HTTP layer ({@code
 * quarkus.http.enable-decompression}, which would inflate every path of the service), so that the body limit counts
 * the decoded bytes as they come: a small body that inflates to gigabytes is refused once it passes the limit, with
 * at most the limit held in memory.
 */
final class ContentCodings {

    /** What a 415 names as accepted. */
    static final String ACCEPTED = "gzip, deflate or identity";

    private ContentCodings() {}

    /** The body as the client wrote it before applying the coding its {@code Content-Encoding} names. */
    static byte[] decode(byte[] body, String contentEncoding, long limit) {
        String coding = coding(contentEncoding);
        if (coding == null) {
            return body;
        }
        try (InputStream decoded = coding.equals("deflate")
                ? new InflaterInputStream(new ByteArrayInputStream(body))
                : new GZIPInputStream(new ByteArrayInputStream(body))) {
            return readAtMost(decoded, limit, coding);
        } catch (ZipException | EOFException e) {
            throw ApiException.invalid("body", "is not valid " + coding + " data (Content-Encoding: " + coding + ")");
        } catch (IOException e) {
            throw ApiException.invalid("body", "cannot be read");
        }
    }

    /**
     * The one coding to undo, {@code gzip} or {@code deflate}, or null for none; 415 for any other, and for more than
     * one, which no telemetry client applies.
     */
    private static String coding(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        List<String> codings = Arrays.stream(header.split(","))
                .map(c -> c.strip().toLowerCase(Locale.ROOT))
                .filter(c -> !c.equals("identity"))
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
                "Content-Encoding '" + shown(header) + "' is not accepted: send the body as " + ACCEPTED
                        + " (one coding at most)");
    }

    private static byte[] readAtMost(InputStream in, long limit, String coding) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[16 * 1024];
        long total = 0;
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            total += n;
            if (total > limit) {
                throw new ApiException(
                        413,
                        "PAYLOAD_TOO_LARGE",
                        "request bodies are limited to " + limit + " bytes once decoded (Content-Encoding: " + coding
                                + ")");
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    /** A header value as it can be shown in a message: printable ASCII, at most 40 characters. */
    private static String shown(String value) {
        String printable = value.strip().replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() > 40 ? printable.substring(0, 40) + "..." : printable;
    }
}
