package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.domain.ScopeKeys;
import dev.rollguard.ingest.domain.WindowAggregate;
import dev.rollguard.ingest.mapping.WindowMetricsMapper;
import dev.rollguard.ingest.service.FlagDirectory;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import java.util.Locale;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Publishes a closed window, keyed as docs/contracts.md says, stamped with the time it was emitted and, for a flag
 * cohort, with whether its stage compares populations ({@link PopulationComparison}).
 */
final class WindowEmitter implements Processor<Windowed<String>, WindowAggregate, String, WindowMetricsEvent> {

    private final WindowKind kind;
    private final String kindTag;
    private final FlagDirectory directory;
    private ProcessorContext<String, WindowMetricsEvent> context;

    WindowEmitter(WindowKind kind, FlagDirectory directory) {
        this.kind = kind;
        this.directory = directory;
        this.kindTag = kind.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public void init(ProcessorContext<String, WindowMetricsEvent> context) {
        this.context = context;
    }

    @Override
    public void process(Record<Windowed<String>, WindowAggregate> record) {
        if (record.value() == null) {
            return;
        }
        String scopeKey = record.key().key();
        if (!ScopeKeys.publishable(scopeKey)) {
            TopologyMetrics.windowUnpublishable(kindTag);
            return;
        }
        var window = record.key().window();
        WindowMetricsEvent event = WindowMetricsMapper.toEvent(
                scopeKey, kind, window.start(), window.end(), context.currentSystemTimeMs(), record.value());
        PopulationComparison.stamp(event, directory);
        TopologyMetrics.windowEmitted(kindTag);
        context.forward(new Record<>(ScopeKeys.recordKey(scopeKey), event, window.end(), new RecordHeaders()));
    }
}
