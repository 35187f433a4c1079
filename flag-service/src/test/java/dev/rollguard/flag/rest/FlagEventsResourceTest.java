package dev.rollguard.flag.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.flag.service.FlagSnapshot;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagValueType;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.GuardPolicy;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import jakarta.ws.rs.sse.OutboundSseEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jboss.resteasy.reactive.server.jaxrs.SseImpl;
import org.junit.jupiter.api.Test;

/** What one change stream sends from the moment it opens. */
class FlagEventsResourceTest {

    private boolean armed;

    @Test
    void aChangeAppliedWhileTheStreamOpensIsSentOnIt() {
        // The change lands at the moment the stream reads the revision it opens at: the window between that read and
        // the subscription to the changes, made reachable.
        FlagSnapshot snapshot = new FlagSnapshot(new ObjectMapper()) {
            @Override
            public State current() {
                if (armed) {
                    armed = false;
                    apply(flag("landed-at-connect", 1));
                }
                return super.current();
            }
        };
        snapshot.apply(flag("before", 1));
        String before = snapshot.current().revision();
        armed = true;

        AssertSubscriber<OutboundSseEvent> stream = FlagEventsResource.stream(
                        snapshot,
                        SseImpl.INSTANCE,
                        Duration.ofHours(1),
                        Uni.createFrom().nothing())
                .subscribe()
                .withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
        String after = snapshot.current().revision();
        assertThat(after).isNotEqualTo(before);

        // The change is sent, and the stream says it opened at the new revision (a re-fetch that finds what it holds).
        List<OutboundSseEvent> events = stream.getItems();
        assertThat(events)
                .filteredOn(event -> event.getComment() == null)
                .extracting(OutboundSseEvent::getId)
                .containsExactly(after);
        assertThat(events)
                .filteredOn(event ->
                        event.getComment() != null && event.getComment().startsWith("connected"))
                .extracting(OutboundSseEvent::getComment)
                .containsExactly("connected " + after);

        snapshot.apply(flag("later", 1));
        assertThat(stream.getItems())
                .filteredOn(event -> event.getComment() == null)
                .extracting(OutboundSseEvent::getId)
                .containsExactly(after, snapshot.current().revision());
        stream.cancel();
    }

    private static FlagChangedEvent flag(String key, long version) {
        return FlagChangedEvent.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setFlagKey(key)
                .setVersion(version)
                .setChangeType(FlagChangeType.CREATED)
                .setChangedAt(Instant.parse("2026-12-03T00:00:00Z"))
                .setActor("test")
                .setEnabled(true)
                .setKilled(false)
                .setArchived(false)
                .setValueType(FlagValueType.BOOLEAN)
                .setVariants(List.of(
                        FlagVariant.newBuilder()
                                .setName("on")
                                .setValueJson("true")
                                .build(),
                        FlagVariant.newBuilder()
                                .setName("off")
                                .setValueJson("false")
                                .build()))
                .setTreatmentVariant("on")
                .setOffVariant("off")
                .setRolloutBasisPoints(1_000)
                .setGuardPolicy(
                        GuardPolicy.newBuilder().setAction(GuardAction.KILL).build())
                .build();
    }
}
