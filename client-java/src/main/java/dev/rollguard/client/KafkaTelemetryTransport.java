package dev.rollguard.client;

import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Produces each event to {@code telemetry.sync} or {@code telemetry.upload} in the schemas' Avro encoding, keyed by
 * client id (so one client's events stay in order on one partition), acknowledged by every in-sync replica, with
 * the idempotent producer. A batch is delivered when every record of it is acknowledged; a record the broker refuses
 * for good (too large, not authorized) is a rejection, a retriable failure fails the batch for a retry (records
 * already acknowledged then arrive twice, and metrics-ingest counts them once by event id).
 */
public final class KafkaTelemetryTransport implements TelemetryTransport {

    private final Producer<String, byte[]> producer;
    private final String syncTopic;
    private final String uploadTopic;
    private final Duration timeout;

    /**
     * @param producerConfig at least {@code bootstrap.servers}, plus the app's security settings; serializers, acks
     *     and idempotence are set here
     * @param timeout how long a batch may wait for its acknowledgements before it counts as failed (and is retried)
     */
    public KafkaTelemetryTransport(Map<String, Object> producerConfig, Duration timeout) {
        this(producerConfig, timeout, Topics.TELEMETRY_SYNC, Topics.TELEMETRY_UPLOAD);
    }

    /** With other topic names than the default ones (a prefixed deployment). */
    public KafkaTelemetryTransport(
            Map<String, Object> producerConfig, Duration timeout, String syncTopic, String uploadTopic) {
        Properties props = new Properties();
        props.putAll(producerConfig);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // A send must not block the client's sender thread longer than a batch may take.
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout.toMillis());
        int delivery = (int) Math.max(timeout.toMillis(), 1_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, delivery);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, delivery + 5);
        props.put(ProducerConfig.LINGER_MS_CONFIG, Math.min(5, delivery / 2));
        this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        this.syncTopic = syncTopic;
        this.uploadTopic = uploadTopic;
        this.timeout = timeout;
    }

    @Override
    public List<Rejection> send(List<SpecificRecord> events) {
        List<Future<RecordMetadata>> sent = new ArrayList<>(events.size());
        try {
            for (SpecificRecord event : events) {
                sent.add(producer.send(record(event)));
            }
        } catch (RuntimeException e) {
            throw failure(e);
        }
        List<Rejection> rejections = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int i = 0; i < sent.size(); i++) {
            try {
                sent.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                TelemetryTransportException failure = failure(e.getCause());
                if (failure.retryable()) {
                    throw failure;
                }
                rejections.add(new Rejection(i, failure.code(), failure.getMessage()));
            } catch (TimeoutException e) {
                throw new TelemetryTransportException(
                        "TIMEOUT", "the broker did not acknowledge the batch within " + timeout, true, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TelemetryTransportException("INTERRUPTED", "interrupted while sending", true, e);
            }
        }
        return rejections;
    }

    private ProducerRecord<String, byte[]> record(SpecificRecord event) {
        if (event instanceof SyncEvent sync) {
            return new ProducerRecord<>(
                    syncTopic, sync.getClientId(), AvroCodec.of(SyncEvent.class).encode(sync));
        }
        UploadEvent upload = (UploadEvent) event;
        return new ProducerRecord<>(
                uploadTopic,
                upload.getClientId(),
                AvroCodec.of(UploadEvent.class).encode(upload));
    }

    private static TelemetryTransportException failure(Throwable cause) {
        // The broker's timeouts, unavailability and leader changes are retriable; a record too large or a topic not
        // authorized is not.
        boolean retryable = cause instanceof RetriableException;
        return new TelemetryTransportException(
                retryable ? "UNREACHABLE" : "REFUSED",
                "the broker did not take the event: " + cause.getMessage(),
                retryable,
                cause);
    }

    @Override
    public void close() {
        producer.close(timeout);
    }
}
