package dev.rollguard.ingest.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.ingest.domain.AggregateLimits;
import dev.rollguard.ingest.domain.WindowAggregate;
import dev.rollguard.ingest.service.FlagDirectory;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.kstream.internals.TimeWindow;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

/**
 * A closed window held under a scope key no window can be published under (aggregated by an earlier version from an
 * exposure of the flag key "a:b") is left out, not failing its task each time it is published.
 */
class WindowEmitterTest {

    @Test
    void aWindowOfAnUnpublishableScopeIsLeftOutAndTheNextOneIsPublished() {
        MockProcessorContext<String, WindowMetricsEvent> context = new MockProcessorContext<>();
        context.setCurrentSystemTimeMs(61_000);
        WindowEmitter emitter = new WindowEmitter(WindowKind.TUMBLING, new FlagDirectory(8));
        emitter.init(context);
        WindowAggregate aggregate = new WindowAggregate(new AggregateLimits(0.01, 64, 3, 2));

        for (String scope : new String[] {"flag:a:b:treatment", "flag:door-flag:treatment"}) {
            emitter.process(new Record<>(new Windowed<>(scope, new TimeWindow(0, 60_000)), aggregate, 60_000));
        }

        assertThat(context.forwarded())
                .extracting(f -> f.record().value().getScopeKey())
                .containsExactly("flag:door-flag:treatment");
        assertThat(context.forwarded().get(0).record().key()).isEqualTo("flag:door-flag");
    }
}
