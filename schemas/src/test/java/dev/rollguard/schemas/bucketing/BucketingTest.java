package dev.rollguard.schemas.bucketing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.commons.codec.digest.MurmurHash3;
import org.apache.commons.math3.stat.inference.ChiSquareTest;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class BucketingTest {

    private static final String VECTORS = "bucketing/test-vectors.json";
    private static final double SIGNIFICANCE = 0.001;

    static Stream<Named<JsonNode>> publishedVectors() throws IOException {
        List<Named<JsonNode>> vectors = new ArrayList<>();
        readVectors()
                .get("vectors")
                .forEach(v -> vectors.add(Named.of(
                        v.get("flagKey").asText() + ":" + v.get("targetingKey").asText(), v)));
        return vectors.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("publishedVectors")
    void reproducesThePublishedTestVector(JsonNode vector) {
        String flagKey = vector.get("flagKey").asText();
        String targetingKey = vector.get("targetingKey").asText();

        assertThat(Bucketing.hash(flagKey, targetingKey))
                .isEqualTo(vector.get("hash").asLong());
        assertThat(Bucketing.bucket(flagKey, targetingKey))
                .isEqualTo(vector.get("bucket").asInt());
        assertThat(Bucketing.variantHash(flagKey, targetingKey))
                .isEqualTo(vector.get("variantHash").asLong());
        assertThat(Bucketing.variantBucket(flagKey, targetingKey))
                .isEqualTo(vector.get("variantBucket").asInt());
        assertThat(vector.get("inRolloutAtBasisPoints").properties())
                .isNotEmpty()
                .allSatisfy(entry -> assertThat(
                                Bucketing.inRollout(flagKey, targetingKey, Integer.parseInt(entry.getKey())))
                        .as("in rollout at %s basis points", entry.getKey())
                        .isEqualTo(entry.getValue().asBoolean()));
    }

    @Test
    void publishedVectorsDescribeThisAlgorithmAndExerciseTheUnsignedHash() throws IOException {
        JsonNode file = readVectors();
        List<Long> hashes = new ArrayList<>();
        file.get("vectors").forEach(v -> hashes.add(v.get("hash").asLong()));

        assertThat(file.get("buckets").asInt()).isEqualTo(Bucketing.BUCKETS);
        assertThat(file.get("variantSeed").asInt()).isEqualTo(Bucketing.VARIANT_SEED);
        assertThat(hashes).hasSizeGreaterThanOrEqualTo(5);
        assertThat(hashes)
                .as("a hash with the top bit set, which a signed implementation would bucket differently")
                .anySatisfy(h -> assertThat(h).isGreaterThanOrEqualTo(1L << 31));
    }

    /**
     * Reference values of MurmurHash3_x86_32 published with the algorithm (SMHasher's verification set, as used by
     * Guava and most ports), independent of Rollguard. Bucketing always hashes {@code flagKey:targetingKey}, so these
     * inputs cannot be fed through it; they pin the library, and the next test pins Bucketing to the library.
     */
    @Test
    void libraryReproducesReferenceMurmurHash3Values() {
        assertThat(murmur3(utf8(""), 0)).isEqualTo(0);
        assertThat(murmur3(utf8("hello"), 0)).isEqualTo(0x248bfa47);
        assertThat(murmur3(utf8("The quick brown fox jumps over the lazy dog"), 0))
                .isEqualTo(0x2e4ff723);
        assertThat(murmur3(utf8(""), 1)).isEqualTo(0x514e28b7);
        assertThat(murmur3(utf8(""), 0xffffffff)).isEqualTo(0x81f16f39);
        assertThat(murmur3(bytes(0xff, 0xff, 0xff, 0xff), 0)).isEqualTo(0x76293b50);
        assertThat(murmur3(bytes(0x21, 0x43, 0x65, 0x87), 0)).isEqualTo(0xf55b516b);
        assertThat(murmur3(bytes(0x21, 0x43, 0x65), 0)).isEqualTo(0x7e4a8634);
        assertThat(murmur3(bytes(0x21, 0x43), 0)).isEqualTo(0xa0f7b07a);
        assertThat(murmur3(bytes(0x21), 0)).isEqualTo(0x72661cf4);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "user-1", "admin@example.com", "éàü-unicode", "日本語", "a:b"})
    void bucketingHashesTheUtf8OfFlagKeyColonTargetingKeyAsUnsigned(String targetingKey) {
        String flagKey = "offline-recording";
        long expected = Integer.toUnsignedLong(murmur3(utf8(flagKey + ":" + targetingKey), 0));

        assertThat(Bucketing.hash(flagKey, targetingKey)).isEqualTo(expected);
        assertThat(Bucketing.bucket(flagKey, targetingKey)).isEqualTo((int) (expected % Bucketing.BUCKETS));
        long variant = Integer.toUnsignedLong(murmur3(utf8(flagKey + ":" + targetingKey), Bucketing.VARIANT_SEED));
        assertThat(Bucketing.variantHash(flagKey, targetingKey)).isEqualTo(variant);
        assertThat(Bucketing.variantBucket(flagKey, targetingKey)).isEqualTo((int) (variant % Bucketing.BUCKETS));
    }

    /**
     * Keys of every kind hash as the UTF-8 of {@code flagKey:targetingKey}, in any order: ASCII ones, which are encoded
     * into a reused per-thread buffer, at, below and above its first and its largest length; non-ASCII ones in either
     * part (the first char past ASCII, lone surrogates, a pair), also at its end; a long key before a short one, so
     * that the short one reads nothing the long one left in the buffer; null keys, spelled "null". On a thread of its
     * own, so that its buffer starts at its first length whatever ran before.
     */
    @Test
    void keysOfEveryKindAndLengthHashAsTheirUtf8() throws InterruptedException {
        int first = Bucketing.FIRST_BUFFER_LENGTH;
        int room = Bucketing.BUFFERED_LENGTH;
        String flag = "offline-recording";
        List<String[]> pairs = new ArrayList<>();
        for (int length : new int[] {first - 1, first, first + 1, room - 1, room, room + 1, 2 * room, 40}) {
            pairs.add(new String[] {flag, "u".repeat(length - flag.length() - 1)});
            pairs.add(new String[] {flag, "u".repeat(length - flag.length() - 2) + "\u0080"});
            pairs.add(new String[] {"f".repeat(length - 2), "x"});
        }
        pairs.add(new String[] {"räumen", "user-1"});
        pairs.add(new String[] {"flag", "\u007f\u0000"});
        pairs.add(new String[] {"flag", "\u0080"});
        pairs.add(new String[] {"flag\u0080", "user"});
        pairs.add(new String[] {"flag", "lone-\ud800"});
        pairs.add(new String[] {"flag", "x\udc00y"});
        pairs.add(new String[] {"flag", "emoji-\ud83d\ude00"});
        pairs.add(new String[] {"", ""});
        pairs.add(new String[] {"a", "b"});
        pairs.add(new String[] {null, "user-1"});
        pairs.add(new String[] {"flag", null});
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread fresh = new Thread(() -> {
            try {
                for (String[] pair : pairs) {
                    byte[] utf8 = utf8(pair[0] + ":" + pair[1]);
                    assertThat(Bucketing.hash(pair[0], pair[1]))
                            .as("%s:%s", pair[0], pair[1])
                            .isEqualTo(Integer.toUnsignedLong(murmur3(utf8, 0)));
                    assertThat(Bucketing.variantHash(pair[0], pair[1]))
                            .isEqualTo(Integer.toUnsignedLong(murmur3(utf8, Bucketing.VARIANT_SEED)));
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        fresh.start();
        fresh.join();
        assertThat(failure.get()).isNull();
    }

    @Test
    void variantBucketsAreUniformlyDistributed() {
        int ids = 100_000;
        int bins = 100;
        long[] observed = new long[bins];
        for (String id : ids("client-", ids)) {
            observed[Bucketing.variantBucket("uniformity", id) / (Bucketing.BUCKETS / bins)]++;
        }
        double[] expected = new double[bins];
        Arrays.fill(expected, (double) ids / bins);

        assertThat(new ChiSquareTest().chiSquareTest(expected, observed))
                .as("chi-square p-value")
                .isGreaterThan(SIGNIFICANCE);
    }

    @Test
    void bucketsAreUniformlyDistributed() {
        int ids = 100_000;
        int bins = 100;
        long[] observed = new long[bins];
        for (String id : ids("client-", ids)) {
            observed[Bucketing.bucket("uniformity", id) / (Bucketing.BUCKETS / bins)]++;
        }
        double[] expected = new double[bins];
        Arrays.fill(expected, (double) ids / bins);

        double pValue = new ChiSquareTest().chiSquareTest(expected, observed);

        assertThat(pValue).as("chi-square p-value").isGreaterThan(SIGNIFICANCE);
        assertThat(Arrays.stream(observed).boxed().toList())
                .as("ids per bin of %d buckets", Bucketing.BUCKETS / bins)
                .allSatisfy(count -> assertThat((double) count).isCloseTo(expected[0], within(expected[0] * 0.10)));
    }

    @Test
    void raisingTheShareOnlyAddsSubjectsAndLoweringRemovesTheHighestBuckets() {
        List<String> ids = ids("user-", 10_000);
        int[] stages = {500, 1_000, 5_000, 10_000};
        List<Set<String>> inAtStage = new ArrayList<>();
        for (int basisPoints : stages) {
            inAtStage.add(ids.stream()
                    .filter(id -> Bucketing.inRollout("checkout-v2", id, basisPoints))
                    .collect(Collectors.toSet()));
        }

        assertThat(inAtStage.get(3)).as("everyone is in at 100 %").hasSize(ids.size());
        for (int i = 0; i + 1 < stages.length; i++) {
            Set<String> lower = inAtStage.get(i);
            Set<String> higher = inAtStage.get(i + 1);
            assertThat(higher).as("in at %d bp", stages[i + 1]).containsAll(lower);
            assertThat(higher.size()).as("in at %d bp", stages[i + 1]).isGreaterThan(lower.size());

            Set<String> removedByLowering = new HashSet<>(higher);
            removedByLowering.removeAll(lower);
            int highestKept = lower.stream()
                    .mapToInt(id -> Bucketing.bucket("checkout-v2", id))
                    .max()
                    .orElseThrow();
            int lowestRemoved = removedByLowering.stream()
                    .mapToInt(id -> Bucketing.bucket("checkout-v2", id))
                    .min()
                    .orElseThrow();
            assertThat(lowestRemoved)
                    .as("lowering %d -> %d bp removes only subjects above every kept one", stages[i + 1], stages[i])
                    .isGreaterThan(highestKept);
        }
    }

    @Test
    void oneBasisPointLetsInAboutOneSubjectInTenThousand() {
        int ids = 1_000_000;
        long atOneBasisPoint = 0;
        long atZero = 0;
        for (int i = 0; i < ids; i++) {
            String id = "device-" + i;
            atOneBasisPoint += Bucketing.inRollout("canary", id, 1) ? 1 : 0;
            atZero += Bucketing.inRollout("canary", id, 0) ? 1 : 0;
        }

        // expected 100, standard deviation 10: five of them either side
        assertThat(atOneBasisPoint).isBetween(50L, 150L);
        assertThat(atZero).isZero();
    }

    @Test
    void rolloutsOfDifferentFlagsAreIndependent() {
        List<String> ids = ids("user-", 100_000);

        long[][] halfAndHalf = contingency(ids, "new-checkout", 5_000, "offline-recording", 5_000);
        long[][] sameFlagTwice = contingency(ids, "new-checkout", 5_000, "new-checkout", 5_000);
        long[][] tenAndTen = contingency(ids, "new-checkout", 1_000, "offline-recording", 1_000);

        assertThat(new ChiSquareTest().chiSquareTest(halfAndHalf))
                .as("p-value of independence of two 50 % rollouts")
                .isGreaterThan(SIGNIFICANCE);
        assertThat(new ChiSquareTest().chiSquareTest(sameFlagTwice))
                .as("the test detects dependence: one flag against itself")
                .isLessThan(SIGNIFICANCE);
        // both in: expected 1 000 of 100 000 (1 %), standard deviation about 31
        assertThat(tenAndTen[1][1]).isBetween(850L, 1_150L);
    }

    @Test
    void rolloutShareMustBeWithinZeroAndTenThousandBasisPoints() {
        assertThatThrownBy(() -> Bucketing.inRollout("f", "u", -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> Bucketing.inRollout("f", "u", 10_001))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("10001");
        assertThat(Bucketing.inRollout("f", "u", 0)).isFalse();
        assertThat(Bucketing.inRollout("f", "u", 10_000)).isTrue();
    }

    @Test
    void percentagesConvertToBasisPointsAtHundredthOfAPercentResolution() {
        assertThat(Bucketing.basisPoints(12.5)).isEqualTo(1_250);
        assertThat(Bucketing.basisPoints(100)).isEqualTo(10_000);
        assertThat(Bucketing.basisPoints(0)).isZero();
        assertThat(Bucketing.basisPoints(0.01)).isEqualTo(1);
        assertThat(Bucketing.basisPoints(0.07))
                .as("0.07 * 100 is 7.000000000000001")
                .isEqualTo(7);
        assertThat(Bucketing.basisPoints(33.33)).isEqualTo(3_333);
        assertThat(Bucketing.percentage(1_250)).isEqualTo(12.5);
    }

    @ParameterizedTest
    @ValueSource(doubles = {12.345, 0.001, -0.01, 100.01, Double.NaN, Double.POSITIVE_INFINITY})
    void percentagesFinerThanAHundredthOrOutOfRangeAreRejected(double percentage) {
        assertThatThrownBy(() -> Bucketing.basisPoints(percentage)).isInstanceOf(IllegalArgumentException.class);
    }

    /** 2x2 table: rows in/out of flag A, columns in/out of flag B, index 1 meaning in. */
    private static long[][] contingency(
            List<String> ids, String flagA, int basisPointsA, String flagB, int basisPointsB) {
        long[][] counts = new long[2][2];
        for (String id : ids) {
            int a = Bucketing.inRollout(flagA, id, basisPointsA) ? 1 : 0;
            int b = Bucketing.inRollout(flagB, id, basisPointsB) ? 1 : 0;
            counts[a][b]++;
        }
        return counts;
    }

    private static List<String> ids(String prefix, int count) {
        return IntStream.range(0, count).mapToObj(i -> prefix + i).toList();
    }

    private static JsonNode readVectors() throws IOException {
        try (InputStream in = BucketingTest.class.getClassLoader().getResourceAsStream(VECTORS)) {
            assertThat(in).as("class path resource %s", VECTORS).isNotNull();
            return new ObjectMapper().readTree(in);
        }
    }

    private static int murmur3(byte[] data, int seed) {
        return MurmurHash3.hash32x86(data, 0, data.length, seed);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(int... values) {
        byte[] result = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = (byte) values[i];
        }
        return result;
    }
}
