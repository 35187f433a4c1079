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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
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
    void closeDeliversWhatIsQueuedOrGivesItUpWithinItsTimeout() throws Exception {
        client = builder().linger(Duration.ofMinutes(1)).batchSize(100).build();
        client.send(sync("queued"));
        client.close();
        assertThat(ids(transport.delivered)).containsExactly("queued");
        assertThat(transport.closed).isTrue();
        assertThatThrownBy(() -> client.send(sync("late"))).isInstanceOf(IllegalStateException.class);

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
    }

    @Test
    void settingsOutsideTheirRangeAreRefused() {
        assertThatThrownBy(() -> TelemetryClient.builder(transport, " ")).hasMessageContaining("clientId");
        assertThatThrownBy(() -> builder().batchSize(1_001)).hasMessageContaining("1 to 1000");
        assertThatThrownBy(() -> builder().batchSize(10).maxQueuedEvents(5).build())
                .hasMessageContaining("at least one batch");
        assertThatThrownBy(() -> builder().backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .hasMessageContaining("shorter");
    }
}
