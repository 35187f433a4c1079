package dev.rollguard.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.ImmutableContext;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.openfeature.sdk.providers.memory.Flag;
import dev.openfeature.sdk.providers.memory.InMemoryProvider;
import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import dev.rollguard.schemas.telemetry.TelemetryLimits;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.apache.avro.specific.SpecificRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TelemetryClientTest {

    static final Duration FLUSH = Duration.ofSeconds(20);

    final ScriptedTransport transport = new ScriptedTransport();
    final List<String> told = new CopyOnWriteArrayList<>();
    final TelemetryListener listener = new TelemetryListener() {
        @Override
        public void rejected(SpecificRecord event, String code, String reason) {
            told.add("rejected " + id(event) + " " + code);
        }

        @Override
        public void dropped(SpecificRecord event, String reason) {
            told.add("dropped " + id(event));
        }
    };
    TelemetryClient client;
    final CapturedLog log = new CapturedLog(TelemetryClient.class);

    TelemetryClient.Builder builder() {
        return TelemetryClient.builder(transport, "install-1")
                .listener(listener)
                .backoff(Duration.ofMillis(10), Duration.ofMillis(50))
                .linger(Duration.ofMillis(50));
    }

    @AfterEach
    void close() {
        if (client != null) {
            client.close();
        }
        log.close();
    }

    static SyncEvent.Builder sync(String id) {
        return SyncEvent.newBuilder().setEventId(id).setSuccess(true).setDurationMs(10);
    }

    static String id(SpecificRecord event) {
        return event instanceof SyncEvent s ? s.getEventId() : ((UploadEvent) event).getEventId();
    }

    static List<String> ids(List<? extends SpecificRecord> events) {
        return events.stream().map(TelemetryClientTest::id).toList();
    }

    @Test
    void anEventIsCompletedAndCarriesWhatTheHookRecordedForItsUser() throws Exception {
        Exposures exposures = new Exposures();
        OpenFeatureAPI api = OpenFeatureAPI.getInstance();
        api.setProviderAndWait(
                "telemetry-client-test",
                new InMemoryProvider(Map.of(
                        "new-sync",
                        Flag.builder()
                                .variant("on", true)
                                .variant("off", false)
                                .defaultVariant("on")
                                .build())));
        Client flags = api.getClient("telemetry-client-test");
        flags.addHooks(new ExposureHook(exposures));
        assertThat(flags.getBooleanValue("new-sync", false, new ImmutableContext("alice")))
                .isTrue();
        assertThat(flags.getBooleanValue("missing", false, new ImmutableContext("alice")))
                .isFalse();

        client = builder()
                .exposures(exposures)
                .platform(Platform.ANDROID)
                .appVersion("4.2.0")
                .build();
        client.send(SyncEvent.newBuilder().setUserId("alice").setSuccess(false).setDurationMs(5_200));
        client.send(UploadEvent.newBuilder()
                .setUserId("bob")
                .setSuccess(true)
                .setDurationMs(5)
                .setBytes(1));
        assertThat(client.flush(FLUSH)).isTrue();

        SyncEvent sent = (SyncEvent) transport.delivered.get(0);
        assertThat(sent.getEventId()).isNotBlank();
        assertThat(sent.getEventTime()).isNotNull();
        assertThat(sent.getClientId()).isEqualTo("install-1");
        assertThat(sent.getPlatform()).isEqualTo(Platform.ANDROID);
        assertThat(sent.getAppVersion()).isEqualTo("4.2.0");
        assertThat(sent.getExposures())
                .extracting(FlagExposure::getFlagKey, FlagExposure::getVariant)
                .as("the flag served to alice, not the one whose evaluation failed")
                .containsExactly(org.assertj.core.groups.Tuple.tuple("new-sync", "on"));
        UploadEvent other = (UploadEvent) transport.delivered.get(1);
        assertThat(other.getExposures()).as("bob was served nothing").isEmpty();
    }

    @Test
    void aBuilderTheAppKeepsAndSendsAgainIsLeftAsItWasAndEachSendIsAnEventOfItsOwn() throws Exception {
        Exposures exposures = new Exposures();
        exposures.record("alice", "new-sync", "on", 3L);
        exposures.record("bob", "new-sync", "off", 3L);
        SteppedClock wall = new SteppedClock(Instant.parse("2026-03-01T12:00:00Z"));
        client = builder().exposures(exposures).clock(wall).build();
        SyncEvent.Builder sync = SyncEvent.newBuilder().setSuccess(true).setDurationMs(10);
        UploadEvent.Builder upload =
                UploadEvent.newBuilder().setSuccess(true).setDurationMs(5).setBytes(1);

        client.send(sync.setUserId("alice"));
        client.send(upload.setUserId("alice"));
        wall.step(Duration.ofSeconds(30));
        client.send(sync.setUserId("bob"));
        client.send(upload.setUserId("bob"));
        assertThat(client.flush(FLUSH)).isTrue();

        assertThat(ids(transport.delivered)).hasSize(4).doesNotHaveDuplicates();
        SyncEvent alice = (SyncEvent) transport.delivered.get(0);
        SyncEvent bob = (SyncEvent) transport.delivered.get(2);
        assertThat(bob.getEventTime()).isEqualTo(alice.getEventTime().plusSeconds(30));
        assertThat(alice.getExposures()).extracting(FlagExposure::getVariant).containsExactly("on");
        assertThat(bob.getExposures())
                .as("bob's own exposures, not those filled in for alice's event")
                .extracting(FlagExposure::getVariant)
                .containsExactly("off");
        assertThat(((UploadEvent) transport.delivered.get(1)).getExposures())
                .extracting(FlagExposure::getVariant)
                .containsExactly("on");
        assertThat(((UploadEvent) transport.delivered.get(3)).getExposures())
                .extracting(FlagExposure::getVariant)
                .containsExactly("off");
        assertThat(sync.hasEventId() || sync.hasEventTime() || sync.hasClientId() || sync.hasExposures())
                .as("the app's builder is not filled in")
                .isFalse();
        assertThat(upload.hasEventId() || upload.hasEventTime() || upload.hasClientId() || upload.hasExposures())
                .isFalse();
    }

    @Test
    void evaluationsTheReceiverWouldRefuseAreNeitherRecordedNorAttached() throws Exception {
        Exposures exposures = new Exposures();
        OpenFeatureAPI api = OpenFeatureAPI.getInstance();
        api.setProviderAndWait(
                "telemetry-client-test-refused",
                new InMemoryProvider(Map.of(
                        "new_checkout", // another provider's flag: no Rollguard flag has this key
                        Flag.builder().variant("on", true).defaultVariant("on").build(),
                        "new-sync",
                        Flag.builder()
                                .variant("v".repeat(TelemetryLimits.MAX_KEY_LENGTH + 1), true)
                                .defaultVariant("v".repeat(TelemetryLimits.MAX_KEY_LENGTH + 1))
                                .build(),
                        "dark-mode",
                        Flag.builder().variant("on", true).defaultVariant("on").build())));
        Client flags = api.getClient("telemetry-client-test-refused");
        flags.addHooks(new ExposureHook(exposures));
        CapturedLog exposureLog = new CapturedLog(Exposures.class);
        try {
            exposures.record("alice", "new-sync", "on", 2L); // served before; the evaluation below replaces it
            for (String user : List.of("alice", "bob", "alice")) {
                for (String flag : List.of("new_checkout", "new-sync", "dark-mode")) {
                    assertThat(flags.getBooleanValue(flag, false, new ImmutableContext(user)))
                            .isTrue();
                }
            }
            exposures.record("carol", "dark-mode", "o\u0000n", 1L);
            exposures.record("carol", "new-sync", "on", -1L);

            client = builder().exposures(exposures).batchSize(10).build();
            client.send(sync("alice").setUserId("alice"));
            client.send(upload("bob").setUserId("bob"));
            client.send(sync("carol").setUserId("carol"));
            assertThat(client.flush(FLUSH)).isTrue();

            assertThat(((SyncEvent) transport.delivered.get(0)).getExposures())
                    .extracting(FlagExposure::getFlagKey, FlagExposure::getVariant)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("dark-mode", "on"));
            assertThat(((UploadEvent) transport.delivered.get(1)).getExposures())
                    .extracting(FlagExposure::getFlagKey)
                    .containsExactly("dark-mode");
            assertThat(((SyncEvent) transport.delivered.get(2)).getExposures())
                    .as("a negative version is left out, not the exposure")
                    .extracting(FlagExposure::getFlagKey, FlagExposure::getVariant, FlagExposure::getFlagVersion)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("new-sync", "on", null));
            assertThat(exposureLog.containing("'new_checkout'", "flag key no flag can have"))
                    .as("once for the reason, not per evaluation or event")
                    .hasSize(1);
            assertThat(exposureLog.containing("'new-sync'", "variant longer than 128"))
                    .hasSize(1);
            assertThat(exposureLog.containing("'dark-mode'", "control character"))
                    .hasSize(1);
            assertThat(exposureLog.containing("negative version -1")).hasSize(1);
            assertThat(exposureLog.warnings).hasSize(4);
        } finally {
            exposureLog.close();
        }
    }

    @Test
    void theClientsContextAttributesGoWithEveryEventUnderTheEventsOwn() throws Exception {
        client = builder()
                .context(Map.of("country", "FR", "accountType", "business"))
                .build();
        client.send(sync("with-defaults"));
        client.send(sync("own-country").setContext(Map.of("country", "DE")));
        client.send(UploadEvent.newBuilder()
                .setEventId("upload")
                .setSuccess(true)
                .setDurationMs(5)
                .setContext(Map.of("plan", "pro")));
        assertThat(client.flush(FLUSH)).isTrue();

        assertThat(((SyncEvent) transport.delivered.get(0)).getContext())
                .containsExactlyInAnyOrderEntriesOf(Map.of("country", "FR", "accountType", "business"));
        assertThat(((SyncEvent) transport.delivered.get(1)).getContext())
                .containsExactlyInAnyOrderEntriesOf(Map.of("country", "DE", "accountType", "business"));
        assertThat(((UploadEvent) transport.delivered.get(2)).getContext())
                .containsExactlyInAnyOrderEntriesOf(Map.of("country", "FR", "accountType", "business", "plan", "pro"));
    }

    @Test
    void anEventWhoseUserWasServedNothingWhileOtherKeysWereIsCountedToldAndStillSent() throws Exception {
        Exposures exposures = new Exposures();
        List<String> mismatches = new CopyOnWriteArrayList<>();
        client = builder()
                .exposures(exposures)
                .listener(new TelemetryListener() {
                    @Override
                    public void keyMismatch(String subject, int evaluatedSubjects) {
                        mismatches.add(subject + " " + evaluatedSubjects);
                    }
                })
                .build();
        client.send(sync("before").setUserId("u-1"));
        assertThat(client.stats().keyMismatches())
                .as("nothing evaluated yet: no key to compare with")
                .isZero();

        exposures.record("alice@example.com", "new-sync", "on", 3L); // the app evaluates with the email
        client.send(sync("by-id").setUserId("u-1"));
        client.send(sync("again").setUserId("u-1"));
        exposures.record("u-1", "new-sync", "on", 3L);
        client.send(sync("matching").setUserId("u-1"));
        client.send(sync("own")
                .setUserId("u-2")
                .setExposures(List.of(FlagExposure.newBuilder()
                        .setFlagKey("new-sync")
                        .setVariant("off")
                        .build())));
        assertThat(client.flush(FLUSH)).isTrue();

        assertThat(mismatches).containsExactly("u-1 1", "u-1 1");
        assertThat(client.stats().keyMismatches()).isEqualTo(2);
        assertThat(ids(transport.delivered))
                .as("under the default WARN every event is still sent")
                .containsExactly("before", "by-id", "again", "matching", "own");
        assertThat(((SyncEvent) transport.delivered.get(3)).getExposures()).hasSize(1);
    }

    @Test
    void underRefuseAnEventWhoseUserWasServedNothingIsNotQueued() throws Exception {
        Exposures exposures = new Exposures();
        exposures.record("alice@example.com", "new-sync", "on", 3L);
        client = builder()
                .exposures(exposures)
                .keyMismatch(TelemetryClient.KeyMismatch.REFUSE)
                .build();
        assertThatThrownBy(() -> client.send(sync("by-id").setUserId("u-1")))
                .isInstanceOf(TelemetryClient.KeyMismatchException.class)
                .hasMessageContaining("none of them this event's userId");
        client.send(sync("matching").setUserId("alice@example.com"));
        assertThat(client.flush(FLUSH)).isTrue();
        assertThat(ids(transport.delivered)).containsExactly("matching");
        assertThat(client.stats().keyMismatches()).isEqualTo(1);
    }

    @Test
    void underIgnoreNothingIsCounted() throws Exception {
        Exposures exposures = new Exposures();
        exposures.record("alice@example.com", "new-sync", "on", 3L);
        client = builder()
                .exposures(exposures)
                .keyMismatch(TelemetryClient.KeyMismatch.IGNORE)
                .build();
        client.send(sync("by-id").setUserId("u-1"));
        assertThat(client.flush(FLUSH)).isTrue();
        assertThat(ids(transport.delivered)).containsExactly("by-id");
        assertThat(client.stats().keyMismatches()).isZero();
    }

    @Test
    void eventsGoInBatchesOfTheBatchSizeInTheOrderSent() throws Exception {
        client = builder().batchSize(3).build();
        for (int i = 0; i < 7; i++) {
            client.send(sync("e" + i));
        }
        assertThat(client.flush(FLUSH)).isTrue();

        assertThat(ids(transport.delivered)).containsExactly("e0", "e1", "e2", "e3", "e4", "e5", "e6");
        assertThat(transport.attempts).allSatisfy(batch -> assertThat(batch).hasSizeLessThanOrEqualTo(3));
        assertThat(client.stats().sent()).isEqualTo(7);
    }

    @Test
    void aBatchThatFailedForAPassingReasonIsSentAgainWithTheSameEventsOnce() throws Exception {
        transport
                .then(ScriptedTransport.failing("UNAVAILABLE", true))
                .then(ScriptedTransport.failing("HTTP_503", true));
        client = builder().batchSize(10).build();
        client.send(sync("a"));
        client.send(sync("b"));
        assertThat(client.flush(FLUSH)).isTrue();

        assertThat(transport.attempts).hasSize(3);
        assertThat(transport.attempts)
                .allSatisfy(batch -> assertThat(ids(batch)).containsExactly("a", "b"));
        assertThat(ids(transport.delivered)).containsExactly("a", "b");
        TelemetryClient.Stats stats = client.stats();
        assertThat(stats.retries()).isEqualTo(2);
        assertThat(stats.sent()).isEqualTo(2);
        assertThat(stats.dropped()).isZero();
    }

    @Test
    void whileTheReceiverIsAwayTheQueueKeepsTheNewestEventsAndDeliversThemWhenItIsBack() throws Exception {
        transport.down();
        client = builder().batchSize(2).maxQueuedEvents(5).build();
        client.send(sync("e0"));
        client.send(sync("e1"));
        // The first batch is in flight (failing) before more events come.
        Awaitility.await().atMost(FLUSH).until(() -> !transport.attempts.isEmpty());
        for (int i = 2; i < 10; i++) {
            client.send(sync("e" + i));
        }
        assertThat(client.flush(Duration.ofMillis(200)))
                .as("nothing can be delivered yet")
                .isFalse();

        transport.up();
        assertThat(client.flush(FLUSH)).isTrue();
        // The batch in flight is kept; of the queue (3 places) the oldest events made way for the newest.
        assertThat(ids(transport.delivered)).containsExactly("e0", "e1", "e7", "e8", "e9");
        assertThat(told).containsExactly("dropped e2", "dropped e3", "dropped e4", "dropped e5", "dropped e6");
        assertThat(client.stats().dropped()).isEqualTo(5);
        assertThat(client.stats().retries()).isPositive();
        assertThat(log.containing("the offline queue holds 5 events", "the oldest is dropped"))
                .as("once, not per event dropped")
                .hasSize(1);
    }

    @Test
    void eventsRefusedForGoodAreToldAndNeverSentAgain() throws Exception {
        transport
                .then(batch -> List.of(new TelemetryTransport.Rejection(1, "INVALID_CHARACTER", "control character")))
                .then(ScriptedTransport.failing("UNAUTHENTICATED", false));
        client = builder().batchSize(3).build();
        client.send(sync("ok-1"));
        client.send(sync("bad"));
        client.send(sync("ok-2"));
        assertThat(client.flush(FLUSH)).isTrue();
        client.send(sync("token-1"));
        assertThat(client.flush(FLUSH)).isTrue();

        assertThat(ids(transport.delivered)).containsExactly("ok-1", "ok-2");
        assertThat(told).containsExactly("rejected bad INVALID_CHARACTER", "rejected token-1 UNAUTHENTICATED");
        assertThat(transport.attempts).hasSize(2);
        assertThat(client.stats().rejected()).isEqualTo(2);
    }

    @Test
    void eventsTheReceiverRefusesAreLoggedOncePerCodeNotOnlyToldToTheListener() throws Exception {
        transport.then(batch -> List.of(
                new TelemetryTransport.Rejection(0, "INVALID_CHARACTER", "userId contains the character U+0000"),
                new TelemetryTransport.Rejection(1, "INVALID_CHARACTER", "table contains the character U+0007"),
                new TelemetryTransport.Rejection(2, "FUTURE_TIMESTAMP", "eventTime is more than PT5M in the future")));
        client = builder().batchSize(4).build();
        for (String id : List.of("a", "b", "c", "d")) {
            client.send(sync(id));
        }
        assertThat(client.flush(FLUSH)).isTrue();

        assertThat(ids(transport.delivered)).containsExactly("d");
        assertThat(told)
                .containsExactly(
                        "rejected a INVALID_CHARACTER", "rejected b INVALID_CHARACTER", "rejected c FUTURE_TIMESTAMP");
        assertThat(log.containing("refused an event for good")).hasSize(2);
        assertThat(log.containing(
                        "refused an event for good", "INVALID_CHARACTER: userId contains the character U+0000"))
                .hasSize(1);
        assertThat(log.containing("refused an event for good", "FUTURE_TIMESTAMP: eventTime is more than"))
                .hasSize(1);
    }

    @Test
    void anEventWithoutAFieldItMustHaveIsRefusedAtOnceNotThrownAtTheApp() throws Exception {
        client = builder().build();
        client.send(SyncEvent.newBuilder().setEventId("no success").setDurationMs(5));
        client.send(SyncEvent.newBuilder().setEventId("no duration").setSuccess(true));
        client.send(UploadEvent.newBuilder().setEventId("upload without either").setBytes(1));
        client.send(sync("complete"));
        assertThat(client.flush(FLUSH)).isTrue();

        assertThat(ids(transport.delivered)).containsExactly("complete");
        assertThat(told)
                .containsExactly(
                        "rejected no success MISSING_FIELD",
                        "rejected no duration MISSING_FIELD",
                        "rejected upload without either MISSING_FIELD");
        assertThat(client.stats().rejected()).isEqualTo(3);
        assertThat(log.containing("MISSING_FIELD: success is not set")).hasSize(1);
        assertThat(log.containing("MISSING_FIELD")).as("once per code").hasSize(1);
    }

    @Test
    void closeDeliversWhatIsQueuedOrGivesItUpWithinItsTimeout() throws Exception {
        client = builder().linger(Duration.ofMinutes(1)).batchSize(100).build();
        client.send(sync("queued"));
        client.close();
        assertThat(ids(transport.delivered)).containsExactly("queued");
        assertThat(transport.closed).isTrue();
        // The app's threads still finishing during a graceful shutdown: counted and told, never thrown at.
        client.send(sync("late"));
        client.send(upload("later"));
        assertThat(told).containsExactly("dropped late", "dropped later");
        assertThat(client.stats().dropped()).isEqualTo(2);
        assertThat(client.stats().queued()).isZero();
        assertThat(log.containing("sent after the client closed")).hasSize(1);
        assertThat(ids(transport.delivered)).containsExactly("queued");

        ScriptedTransport away = new ScriptedTransport().down();
        List<String> dropped = new ArrayList<>();
        TelemetryClient leaving = TelemetryClient.builder(away, "install-2")
                .backoff(Duration.ofMillis(10), Duration.ofMillis(20))
                .closeTimeout(Duration.ofMillis(300))
                .listener(new TelemetryListener() {
                    @Override
                    public void dropped(SpecificRecord event, String reason) {
                        dropped.add(id(event));
                    }
                })
                .build();
        leaving.send(sync("lost-1"));
        leaving.send(sync("lost-2"));
        leaving.close();
        assertThat(dropped).containsExactly("lost-1", "lost-2");
        assertThat(leaving.stats().dropped()).isEqualTo(2);
        assertThat(log.containing("closed with 2 event(s) the receiver did not take"))
                .hasSize(1);
    }

    @Test
    void settingsOutsideTheirRangeAreRefused() {
        assertThatThrownBy(() -> TelemetryClient.builder(transport, " ")).hasMessageContaining("clientId");
        assertThatThrownBy(() -> TelemetryClient.builder(transport, "i".repeat(TelemetryLimits.MAX_ID_LENGTH + 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("clientId is longer than 256");
        assertThatThrownBy(() -> TelemetryClient.builder(transport, "install-1\n"))
                .hasMessageContaining("clientId holds the character U+000A at position 9");
        assertThatThrownBy(() -> builder().appVersion("4.2.0\u0000"))
                .hasMessageContaining("appVersion holds the character U+0000");
        assertThatThrownBy(() -> builder().appVersion("4".repeat(TelemetryLimits.MAX_ID_LENGTH + 1)))
                .hasMessageContaining("appVersion is longer than 256");
        assertThat(TelemetryClient.builder(transport, "i".repeat(TelemetryLimits.MAX_ID_LENGTH))
                        .appVersion("4".repeat(TelemetryLimits.MAX_ID_LENGTH)))
                .isNotNull();
        assertThatThrownBy(() -> builder().batchSize(1_001)).hasMessageContaining("1 to 1000");
        assertThatThrownBy(() -> builder().batchSize(10).maxQueuedEvents(5).build())
                .hasMessageContaining("at least one batch");
        assertThatThrownBy(() -> builder().backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .hasMessageContaining("shorter");
    }

    @Test
    void aListenerThatThrowsStopsNothing() throws Exception {
        transport.then(batch -> List.of(new TelemetryTransport.Rejection(0, "INVALID_CHARACTER", "control character")));
        client = builder()
                .batchSize(2)
                .listener(new TelemetryListener() {
                    @Override
                    public void rejected(SpecificRecord event, String code, String reason) {
                        throw new IllegalStateException("the app's listener is broken");
                    }
                })
                .build();
        client.send(sync("bad"));
        client.send(sync("ok"));
        assertThat(client.flush(FLUSH)).isTrue();
        client.send(sync("next"));
        assertThat(client.flush(FLUSH)).as("the sender still runs").isTrue();

        assertThat(ids(transport.delivered)).containsExactly("ok", "next");
        assertThat(client.stats().rejected()).isEqualTo(1);
        assertThat(log.containing("TelemetryListener threw from rejected")).hasSize(1);
    }

    @Test
    void aFailureTheTransportDidNotForeseeIsRetriedAndTheSenderGoesOn() throws Exception {
        List<String> retried = new CopyOnWriteArrayList<>();
        transport.then(ScriptedTransport.throwing(new IllegalArgumentException("invalid header value")));
        client = builder()
                .listener(new TelemetryListener() {
                    @Override
                    public void retrying(int events, String code, String message, long delayMillis) {
                        retried.add(events + " " + code + " " + message);
                    }
                })
                .build();
        client.send(sync("a"));
        assertThat(client.flush(FLUSH)).isTrue();
        client.send(sync("b"));
        assertThat(client.flush(FLUSH)).isTrue();

        assertThat(ids(transport.delivered)).containsExactly("a", "b");
        assertThat(transport.attempts).hasSize(3);
        assertThat(retried)
                .containsExactly("1 UNEXPECTED_FAILURE java.lang.IllegalArgumentException: invalid header value");
        assertThat(client.stats().retries()).isEqualTo(1);
        assertThat(log.containing("transport failed unexpectedly")).hasSize(1);
    }

    @Test
    void aBatchThatFailsUnexpectedlyEveryTimeIsRefusedSoLaterEventsGoOut() throws Exception {
        for (int i = 0; i < TelemetryClient.MAX_UNEXPECTED_ATTEMPTS; i++) {
            transport.then(ScriptedTransport.throwing(new IllegalStateException("cannot encode")));
        }
        client = builder().build();
        client.send(sync("stuck"));
        assertThat(client.flush(FLUSH)).isTrue();
        client.send(sync("next"));
        assertThat(client.flush(FLUSH)).isTrue();

        assertThat(ids(transport.delivered)).containsExactly("next");
        assertThat(transport.attempts).hasSize(TelemetryClient.MAX_UNEXPECTED_ATTEMPTS + 1);
        assertThat(told).containsExactly("rejected stuck UNEXPECTED_FAILURE");
        assertThat(client.stats().rejected()).isEqualTo(1);
    }

    @Test
    void aRejectionThatNamesNoEventOfTheBatchIsIgnored() throws Exception {
        transport.then(batch -> List.of(
                new TelemetryTransport.Rejection(7, "INVALID_CHARACTER", "out of the batch"),
                new TelemetryTransport.Rejection(-1, "INVALID_CHARACTER", "before the batch"),
                new TelemetryTransport.Rejection(1, "FUTURE_TIMESTAMP", "in it"),
                new TelemetryTransport.Rejection(1, "FUTURE_TIMESTAMP", "twice")));
        client = builder().batchSize(2).build();
        client.send(sync("a"));
        client.send(sync("b"));
        assertThat(client.flush(FLUSH)).isTrue();
        client.send(sync("c"));
        assertThat(client.flush(FLUSH)).isTrue();

        assertThat(ids(transport.delivered)).containsExactly("a", "c");
        assertThat(told).containsExactly("rejected b FUTURE_TIMESTAMP");
        assertThat(client.stats().sent()).isEqualTo(2);
        assertThat(client.stats().rejected()).isEqualTo(1);
    }

    @Test
    void aBatchRefusedAsAWholeIsLoggedOncePerCode() throws Exception {
        transport
                .then(ScriptedTransport.failing("UNAUTHENTICATED", false))
                .then(ScriptedTransport.failing("UNAUTHENTICATED", false))
                .then(ScriptedTransport.failing("NOT_FOUND", false));
        client = builder().build();
        for (String id : List.of("t-1", "t-2", "t-3", "t-4")) {
            client.send(sync(id));
            assertThat(client.flush(FLUSH)).isTrue();
        }

        assertThat(told)
                .containsExactly(
                        "rejected t-1 UNAUTHENTICATED", "rejected t-2 UNAUTHENTICATED", "rejected t-3 NOT_FOUND");
        assertThat(ids(transport.delivered)).containsExactly("t-4");
        assertThat(log.containing("refused a whole batch")).hasSize(2);
        assertThat(log.containing("refused a whole batch", "UNAUTHENTICATED: scripted UNAUTHENTICATED"))
                .hasSize(1);
        assertThat(log.containing("refused a whole batch", "NOT_FOUND")).hasSize(1);
    }

    @Test
    void theLingerFollowsTheMonotonicClockNotTheWallClock() throws Exception {
        SteppedClock wall = new SteppedClock(Instant.parse("2026-03-01T12:00:00Z"));
        client = builder()
                .clock(wall)
                .linger(Duration.ofMillis(100))
                .batchSize(100)
                .build();
        client.send(sync("before-the-step"));
        wall.step(Duration.ofSeconds(-60));

        // Without flush: only the linger sends the event. On the wall clock it would wait 60 s.
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> transport.delivered.size() == 1);
        assertThat(((SyncEvent) transport.delivered.get(0)).getEventTime())
                .as("event times still come from the client's clock")
                .isEqualTo(Instant.parse("2026-03-01T12:00:00Z"));
    }

    @Test
    void anErrorMessageIsMadeWhatTheReceiverAcceptsRatherThanRefused() throws Exception {
        client = builder().build();
        client.send(sync("controls")
                .setSuccess(false)
                .setErrorMessage("first\r\nsecond\rthird\u0000\u001B[31m\tfourth\nfifth \uD83D\uDE00 \uD83D"));
        String longMessage = "x".repeat(2_046) + "\uD83D\uDE00" + "y".repeat(3_000);
        client.send(UploadEvent.newBuilder()
                .setEventId("long")
                .setSuccess(false)
                .setDurationMs(5)
                .setErrorMessage(longMessage));
        client.send(sync("fine").setSuccess(false).setErrorMessage("disk full"));
        assertThat(client.flush(FLUSH)).isTrue();

        assertThat(((SyncEvent) transport.delivered.get(0)).getErrorMessage())
                .isEqualTo("first\nsecond\nthird  [31m\tfourth\nfifth \uD83D\uDE00 \uFFFD");
        String cut = ((UploadEvent) transport.delivered.get(1)).getErrorMessage();
        assertThat(cut)
                .as("2048 characters at most, and never half a surrogate pair")
                .hasSize(2_047)
                .isEqualTo("x".repeat(2_046) + "\u2026");
        assertThat(((SyncEvent) transport.delivered.get(2)).getErrorMessage()).isEqualTo("disk full");
    }

    @Test
    void anEventCarriesTheExposuresOfThe64FlagsEvaluatedMostRecentlyForItsUser() throws Exception {
        Exposures exposures = new Exposures();
        for (int i = 0; i < 100; i++) {
            exposures.record("alice", "flag-%03d".formatted(i), "on", 1L);
        }
        exposures.record("alice", "flag-000", "off", 2L); // evaluated again: the most recent now
        exposures.record("bob", "flag-000", "on", 1L);
        client = builder().exposures(exposures).build();
        client.send(sync("alice").setUserId("alice"));
        client.send(sync("bob").setUserId("bob"));
        assertThat(client.flush(FLUSH)).isTrue();

        List<String> expected = new ArrayList<>(List.of("flag-000"));
        IntStream.range(37, 100).forEach(i -> expected.add("flag-%03d".formatted(i)));
        assertThat(((SyncEvent) transport.delivered.get(0)).getExposures())
                .extracting(FlagExposure::getFlagKey)
                .containsExactlyElementsOf(expected);
        assertThat(((SyncEvent) transport.delivered.get(0))
                        .getExposures()
                        .get(0)
                        .getVariant())
                .isEqualTo("off");
        assertThat(((SyncEvent) transport.delivered.get(1)).getExposures()).hasSize(1);
    }

    @Test
    void contextAttributesTheReceiverWouldRefuseAreRefusedAtBuildAndLeftOutOfEvents() throws Exception {
        assertThatThrownBy(() -> builder().context(Map.of("targetingKey", "u-1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'targetingKey'");
        assertThatThrownBy(() -> builder().context(Map.of("account type", "pro")))
                .hasMessageContaining("must start with a letter");
        assertThatThrownBy(() -> builder().context(Map.of("country", "F".repeat(257))))
                .hasMessageContaining("longer than 256");
        assertThatThrownBy(() -> builder().context(Map.of("country", "FR\n")))
                .hasMessageContaining("control character");
        assertThatThrownBy(() -> builder().context(Map.of("c".repeat(65), "x"))).hasMessageContaining("longer than 64");
        Map<String, String> tooMany = new HashMap<>();
        IntStream.range(0, 33).forEach(i -> tooMany.put("a" + i, "v"));
        assertThatThrownBy(() -> builder().context(tooMany)).hasMessageContaining("33 attributes, at most 32");

        client = builder().context(Map.of("country", "FR", "plan", "free")).build();
        Map<String, String> own = new HashMap<>(Map.of(
                "plan", "pro",
                "country", "D\u0000E", // the app's value is bad: neither it nor the client's FR goes
                "platform", "WEB",
                "bad name", "x",
                "tier", "t".repeat(300)));
        client.send(sync("first").setContext(own));
        client.send(sync("second").setContext(own));
        Map<String, String> many = new HashMap<>();
        IntStream.range(0, 40).forEach(i -> many.put("attr%02d".formatted(i), "v"));
        client.send(sync("many").setContext(many));
        assertThat(client.flush(FLUSH)).isTrue();

        assertThat(ids(transport.delivered)).containsExactly("first", "second", "many");
        assertThat(((SyncEvent) transport.delivered.get(0)).getContext())
                .containsExactlyEntriesOf(Map.of("plan", "pro"));
        assertThat(((SyncEvent) transport.delivered.get(1)).getContext())
                .containsExactlyEntriesOf(Map.of("plan", "pro"));
        Map<String, String> capped = ((SyncEvent) transport.delivered.get(2)).getContext();
        assertThat(capped).hasSize(32).containsEntry("country", "FR").containsEntry("plan", "free");
        assertThat(capped.keySet()).contains("attr00", "attr29").doesNotContain("attr30", "attr39");
        assertThat(log.containing("context attribute 'country'")).hasSize(1);
        assertThat(log.containing("context attribute 'platform'")).hasSize(1);
        assertThat(log.containing("context attribute 'bad name'")).hasSize(1);
        assertThat(log.containing("context attribute 'tier'", "longer than 256"))
                .hasSize(1);
        assertThat(log.containing("more than 32 attributes")).hasSize(10);
    }

    @Test
    void exposuresAnEventSetsItselfAreCutTo64AndThoseTheReceiverWouldRefuseLeftOut() throws Exception {
        client = builder().build();
        List<FlagExposure> seventy = IntStream.range(0, 70)
                .mapToObj(i -> exposure("flag-%02d".formatted(i), "on", 1L))
                .toList();
        client.send(sync("seventy").setExposures(seventy));
        client.send(sync("seventy again").setExposures(seventy));
        client.send(sync("broken")
                .setExposures(List.of(
                        exposure("kept", "on", 3L),
                        exposure(" ", "on", 1L),
                        exposure("k".repeat(TelemetryLimits.MAX_KEY_LENGTH + 1), "on", null),
                        exposure("negative", "off", -1L),
                        exposure("a:b", "on", 1L),
                        exposure("Upper-Case", "on", 1L),
                        exposure("control", "o\u0000n", 1L),
                        exposure("surrogate", "o\uD83Dn", 1L),
                        exposure("longest", "v".repeat(TelemetryLimits.MAX_KEY_LENGTH), 0L))));
        assertThat(client.flush(FLUSH)).isTrue();

        assertThat(ids(transport.delivered)).containsExactly("seventy", "seventy again", "broken");
        assertThat(((SyncEvent) transport.delivered.get(0)).getExposures())
                .as("the first 64, in the order the app gave them")
                .containsExactlyElementsOf(seventy.subList(0, 64));
        assertThat(((SyncEvent) transport.delivered.get(1)).getExposures()).hasSize(64);
        assertThat(((SyncEvent) transport.delivered.get(2)).getExposures())
                .extracting(FlagExposure::getFlagKey)
                .containsExactly("kept", "longest");
        assertThat(log.containing("70 exposures", "the first 64 go")).hasSize(1);
        assertThat(log.containing("an exposure an event sets is left out")).hasSize(1);
        assertThat(client.stats().rejected()).isZero();
    }

    @Test
    void anEventWithANumberTheReceiverWouldRefuseIsRefusedAtOnceAndNeverSent() throws Exception {
        long maxDuration = TelemetryLimits.MAX_AGE.toMillis();
        client = builder().build();
        client.send(sync("negative duration").setDurationMs(-1));
        client.send(sync("longest duration").setDurationMs(maxDuration));
        client.send(sync("too long").setDurationMs(maxDuration + 1));
        client.send(sync("negative records").setRecordsSynced(-5));
        client.send(sync("negative queue").setSyncQueueLength(-1));
        client.send(sync("longest queue").setSyncQueueLength(TelemetryLimits.MAX_MUTATION_COUNT));
        client.send(sync("too many pending").setPendingMutations(TelemetryLimits.MAX_MUTATION_COUNT + 1));
        client.send(upload("largest upload").setBytes(TelemetryLimits.MAX_UPLOAD_BYTES));
        client.send(upload("too large").setBytes(TelemetryLimits.MAX_UPLOAD_BYTES + 1));
        client.send(upload("negative bytes").setBytes(-1));
        client.send(upload("negative storage").setStorageUsedBytes(-1L));
        assertThat(client.flush(FLUSH)).isTrue();

        assertThat(ids(transport.delivered)).containsExactly("longest duration", "longest queue", "largest upload");
        assertThat(told)
                .containsExactly(
                        "rejected negative duration NEGATIVE_VALUE",
                        "rejected too long OVERSIZED_FIELD",
                        "rejected negative records NEGATIVE_VALUE",
                        "rejected negative queue NEGATIVE_VALUE",
                        "rejected too many pending OVERSIZED_FIELD",
                        "rejected too large OVERSIZED_FIELD",
                        "rejected negative bytes NEGATIVE_VALUE",
                        "rejected negative storage NEGATIVE_VALUE");
        assertThat(client.stats()).isEqualTo(new TelemetryClient.Stats(3, 8, 0, 0, 0, 0));
        assertThat(log.containing("NEGATIVE_VALUE: durationMs must not be negative, was -1"))
                .hasSize(1);
        assertThat(log.containing("OVERSIZED_FIELD: durationMs must be at most " + maxDuration))
                .as("one warning per code: the later refusals go to the listener only")
                .hasSize(1);
        assertThat(log.containing("bytes must be at most")).isEmpty();
    }

    @Test
    void theMaxAgeAnOperatorRaisedOnTheReceiverLetsLongerDurationsThrough() throws Exception {
        long day = Duration.ofDays(1).toMillis();
        List<String> reasons = new CopyOnWriteArrayList<>();
        TelemetryListener reasonsOf = new TelemetryListener() {
            @Override
            public void rejected(SpecificRecord event, String code, String reason) {
                reasons.add(id(event) + " " + code + ": " + reason);
            }
        };
        client = builder().listener(reasonsOf).build();
        client.send(sync("eight days by default").setDurationMs(8 * day));
        assertThat(client.flush(FLUSH)).isTrue();
        client.close();
        client = builder().listener(reasonsOf).maxAge(Duration.ofDays(30)).build();
        client.send(sync("eight days").setDurationMs(8 * day));
        client.send(sync("thirty days").setDurationMs(30 * day));
        client.send(sync("past thirty days").setDurationMs(30 * day + 1));
        client.send(upload("upload past thirty days").setDurationMs(30 * day + 1));
        assertThat(client.flush(FLUSH)).isTrue();
        client.close();
        client = builder().listener(reasonsOf).maxAge(Duration.ofHours(36)).build();
        client.send(sync("two days").setDurationMs(2 * day));
        assertThat(client.flush(FLUSH)).isTrue();

        assertThat(ids(transport.delivered)).containsExactly("eight days", "thirty days");
        assertThat(reasons)
                .containsExactly(
                        "eight days by default OVERSIZED_FIELD: durationMs must be at most 604800000 (7 days, the"
                                + " oldest event metrics-ingest accepts), was 691200000",
                        "past thirty days OVERSIZED_FIELD: durationMs must be at most 2592000000 (30 days, the oldest"
                                + " event metrics-ingest accepts), was 2592000001",
                        "upload past thirty days OVERSIZED_FIELD: durationMs must be at most 2592000000 (30 days, the"
                                + " oldest event metrics-ingest accepts), was 2592000001",
                        "two days OVERSIZED_FIELD: durationMs must be at most 129600000 (PT36H, the oldest event"
                                + " metrics-ingest accepts), was 172800000");
    }

    @Test
    void theMaxAgeIsAPositiveDurationInMilliseconds() {
        assertThatThrownBy(() -> builder().maxAge(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder().maxAge(Duration.ZERO)).hasMessageContaining("maxAge must be positive");
        assertThatThrownBy(() -> builder().maxAge(Duration.ofDays(-1))).hasMessageContaining("maxAge must be positive");
        assertThatThrownBy(() -> builder().maxAge(Duration.ofNanos(999_999))).hasMessageContaining("at least 1 ms");
        assertThatThrownBy(() -> builder().maxAge(Duration.ofSeconds(Long.MAX_VALUE)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too long to count in milliseconds");
    }

    static UploadEvent.Builder upload(String id) {
        return UploadEvent.newBuilder().setEventId(id).setSuccess(true).setDurationMs(10);
    }

    static FlagExposure exposure(String flagKey, String variant, Long version) {
        return FlagExposure.newBuilder()
                .setFlagKey(flagKey)
                .setVariant(variant)
                .setFlagVersion(version)
                .build();
    }

    /** A wall clock the test sets back or forward. */
    static final class SteppedClock extends Clock {
        private volatile Instant now;

        SteppedClock(Instant now) {
            this.now = now;
        }

        void step(Duration by) {
            now = now.plus(by);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
