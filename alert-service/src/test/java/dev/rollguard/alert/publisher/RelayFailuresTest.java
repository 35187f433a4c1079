package dev.rollguard.alert.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.Test;

/** Which failures of a relayed transition dead-letter it, and which leave it to the poll to send again. */
class RelayFailuresTest {

    @Test
    void theRecordsOwnFailuresArePermanent() {
        assertThat(List.<Throwable>of(
                        new RecordTooLargeException("The message is 2000123 bytes when serialized"),
                        new SerializationException("cannot serialize for alerts")))
                .allMatch(RelayFailures::permanent);
    }

    @Test
    void whatAnyRecordWouldMeetIsTransient() {
        assertThat(List.<Throwable>of(
                        new TimeoutException("Expiring 1 record(s) for alerts-0"),
                        new NotLeaderOrFollowerException("not leader"),
                        new UnknownTopicOrPartitionException("alerts"),
                        new CorruptRecordException("corrupt request"),
                        new TopicAuthorizationException("alerts"),
                        new AuthorizationException("denied"),
                        new ProducerFencedException("fenced"),
                        new OutOfOrderSequenceException("out of order"),
                        new InvalidTimestampException("clock"),
                        // What every record of a batch of several gets, whatever the broker's error was.
                        new InvalidRecordException("This record has failed the validation on broker"),
                        new RecordBatchTooLargeException("batch"),
                        new KafkaException("part of a batch which had one or more invalid records"),
                        new IllegalStateException("not sent: the service is stopping")))
                .noneMatch(RelayFailures::permanent);
    }

    @Test
    void aRecordFailedUnsentBehindAnUnsendableOneIsNotItselfUnsendable() {
        Throwable behind = new IllegalStateException(
                "not sent: an earlier transition of its alert was not acknowledged", new RecordTooLargeException());

        assertThat(RelayFailures.permanent(behind)).isFalse();
        assertThat(RelayFailures.permanent(null)).isFalse();
    }

    @Test
    void theReasonSaysWhatRefusedTheRecordAndWhy() {
        assertThat(RelayFailures.reason(new RecordTooLargeException("The message is 2000123 bytes")))
                .isEqualTo("refused by Kafka (RecordTooLargeException): The message is 2000123 bytes");
        assertThat(RelayFailures.cause(new RecordTooLargeException("x"))).isEqualTo("refused");
        assertThat(RelayFailures.reason(new SerializationException("bad union")))
                .isEqualTo("cannot be serialized (SerializationException): bad union");
        assertThat(RelayFailures.cause(new SerializationException("bad union"))).isEqualTo("unserializable");
    }
}
