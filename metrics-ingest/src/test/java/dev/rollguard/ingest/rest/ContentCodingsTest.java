package dev.rollguard.ingest.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollguard.http.error.ApiException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/** Reading {@code Content-Encoding} and undoing it, without the HTTP layer. */
class ContentCodingsTest {

    static final byte[] PLAIN = "{\"events\": []}".getBytes(StandardCharsets.UTF_8);

    static byte[] gzip(byte[] plain) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream zipped = new GZIPOutputStream(out)) {
            zipped.write(plain);
        }
        return out.toByteArray();
    }

    static byte[] deflate(byte[] plain) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream zipped = new DeflaterOutputStream(out)) {
            zipped.write(plain);
        }
        return out.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    static int status(Runnable call) {
        try {
            call.run();
        } catch (ApiException e) {
            return e.status();
        }
        return 200;
    }

    @Test
    void everyHeaderLineCountsAsOneList() {
        assertThat(status(() -> ContentCodings.coding(List.of("gzip", "br")))).isEqualTo(415);
        assertThat(status(() -> ContentCodings.coding(List.of("gzip", "gzip")))).isEqualTo(415);
        assertThat(ContentCodings.coding(List.of("identity", "gzip"))).isEqualTo("gzip");
        assertThat(ContentCodings.coding(List.of("deflate", "identity"))).isEqualTo("deflate");
        assertThatThrownBy(() -> ContentCodings.coding(List.of("gzip", "br"))).hasMessageContaining("'gzip, br'");
    }

    @Test
    void emptyListElementsAreIgnoredWhereverTheyAre() {
        for (String header : List.of(",gzip", "gzip,", " , gzip , ,", "GZIP")) {
            assertThat(ContentCodings.coding(List.of(header))).as(header).isEqualTo("gzip");
        }
        assertThat(ContentCodings.coding(List.of(",", ""))).isNull();
        assertThat(ContentCodings.coding(List.of())).isNull();
    }

    @Test
    void bytesAfterTheCompressedDataAreRefused() throws IOException {
        byte[] garbage = "GARBAGE".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> ContentCodings.decode(concat(gzip(PLAIN), garbage), List.of("gzip"), 1 << 20))
                .isInstanceOf(ApiException.class)
                .hasMessageContaining("has bytes after its gzip data ends");
        assertThatThrownBy(() -> ContentCodings.decode(concat(deflate(PLAIN), garbage), List.of("deflate"), 1 << 20))
                .isInstanceOf(ApiException.class)
                .hasMessageContaining("has bytes after its deflate data ends");
        // A byte of a gzip header and no more is not another member.
        assertThatThrownBy(
                        () -> ContentCodings.decode(concat(gzip(PLAIN), new byte[] {0x1f}), List.of("gzip"), 1 << 20))
                .isInstanceOf(ApiException.class);
    }

    @Test
    void gzipMembersOneAfterTheOtherAreReadAsOne() throws IOException {
        byte[] half = "{\"events\": ".getBytes(StandardCharsets.UTF_8);
        byte[] rest = "[]}".getBytes(StandardCharsets.UTF_8);
        assertThat(ContentCodings.decode(concat(gzip(half), gzip(rest)), List.of("gzip"), 1 << 20))
                .isEqualTo(PLAIN);
        assertThat(ContentCodings.decode(gzip(PLAIN), List.of("x-gzip"), 1 << 20))
                .isEqualTo(PLAIN);
        assertThat(ContentCodings.decode(deflate(PLAIN), List.of("deflate"), 1 << 20))
                .isEqualTo(PLAIN);
        assertThat(ContentCodings.decode(PLAIN, List.of("identity"), 1 << 20)).isEqualTo(PLAIN);
    }

    @Test
    void aChecksumThatDoesNotMatchIsRefused() throws IOException {
        byte[] body = gzip(PLAIN);
        body[body.length - 5] ^= 1; // the CRC-32's last byte
        assertThatThrownBy(() -> ContentCodings.decode(body, List.of("gzip"), 1 << 20))
                .hasMessageContaining("is not valid gzip data");
    }

    /**
     * About 1 GB of zeros in about 1 MB of gzip (a thousand members of a megabyte each): refused having inflated no
     * more than the limit, which a decoder that inflates everything first and then compares would pass by far.
     */
    @Test
    void aBombIsRefusedBeforeMoreThanTheLimitIsInflated() throws IOException {
        byte[] member = gzip(new byte[1 << 20]);
        ByteArrayOutputStream bomb = new ByteArrayOutputStream();
        for (int i = 0; i < 1000; i++) {
            bomb.writeBytes(member);
        }
        long limit = 1 << 20;
        long[] inflated = {0};
        OutputStream counting = new OutputStream() {
            @Override
            public void write(int b) {
                inflated[0]++;
            }

            @Override
            public void write(byte[] b, int off, int len) {
                inflated[0] += len;
            }
        };
        assertThatThrownBy(() -> ContentCodings.decode(bomb.toByteArray(), "gzip", limit, counting))
                .isInstanceOf(ApiException.class)
                .hasMessageContaining("limited to " + limit + " bytes once decoded");
        assertThat(inflated[0]).isBetween(limit - 16 * 1024, limit);
    }
}
