package dev.rollguard.alert.mapping;

import dev.rollguard.alert.domain.ComparisonResult;
import dev.rollguard.alert.domain.Observation;
import dev.rollguard.alert.domain.TwoProportionComparison;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;
import org.apache.avro.LogicalType;
import org.apache.avro.Schema;

/**
 * The figures of a window that rules can watch, read by field name from the WindowMetricsEvent schema: every numeric
 * field that is not a timestamp is a metric, so figures added to the schema later are watchable without a change
 * here.
 */
public final class WindowFigures {

    /** Proportions a comparative rule can test: how to count the bad events and the events behind each. */
    private record Proportion(ToLongFunction<WindowMetricsEvent> bad, ToLongFunction<WindowMetricsEvent> total) {}

    private static final Map<String, Integer> POSITIONS = metricPositions();

    private static final Map<String, Proportion> PROPORTIONS = Map.of(
            "errorRate",
            new Proportion(WindowMetricsEvent::getFailureCount, WindowMetricsEvent::getEventCount),
            "successRate",
            new Proportion(WindowMetricsEvent::getFailureCount, WindowMetricsEvent::getEventCount),
            "syncSuccessRate",
            new Proportion(WindowMetricsEvent::getSyncFailureCount, WindowMetricsEvent::getSyncCount),
            "uploadFailureRate",
            new Proportion(WindowMetricsEvent::getUploadFailureCount, WindowMetricsEvent::getUploadCount));

    private WindowFigures() {}

    /** Names of the figures rules may watch. */
    public static Set<String> metrics() {
        return POSITIONS.keySet();
    }

    /** Figures a comparative (treatment against control) rule may watch. */
    public static Set<String> proportionMetrics() {
        return PROPORTIONS.keySet();
    }

    public static boolean isMetric(String name) {
        return POSITIONS.containsKey(name);
    }

    /** The figure, or null when the window has none. */
    public static Double value(WindowMetricsEvent window, String metric) {
        Integer position = POSITIONS.get(metric);
        if (position == null) {
            return null;
        }
        Object value = window.get(position);
        return value instanceof Number number ? number.doubleValue() : null;
    }

    /** Events behind the figure: syncs for sync figures, uploads for upload figures, else all events. */
    public static long sampleSize(WindowMetricsEvent window, String metric) {
        Proportion proportion = PROPORTIONS.get(metric);
        if (proportion != null) {
            return proportion.total().applyAsLong(window);
        }
        if (metric.startsWith("sync")) {
            return window.getSyncCount();
        }
        if (metric.startsWith("upload")) {
            return window.getUploadCount();
        }
        return window.getEventCount();
    }

    /** What one window says about a threshold rule's figure. */
    public static Observation observation(WindowMetricsEvent window, String metric) {
        return new Observation(
                window.getWindowStart(),
                window.getWindowEnd(),
                window.getEmittedAt(),
                window.getFirstEventTime(),
                value(window, metric),
                sampleSize(window, metric),
                null);
    }

    /**
     * What the two cohort windows of one flag and interval say about a comparative rule's figure: the value is how
     * much worse the treatment is (difference of bad-event proportions), with the test as evidence. The value is null
     * (no data) when a cohort has no event.
     */
    public static Observation comparison(WindowMetricsEvent treatment, WindowMetricsEvent control, String metric) {
        Proportion proportion = PROPORTIONS.get(metric);
        if (proportion == null) {
            throw new IllegalArgumentException(metric + " is not a proportion");
        }
        long treatmentTotal = proportion.total().applyAsLong(treatment);
        long controlTotal = proportion.total().applyAsLong(control);
        Instant closedAt = later(treatment.getEmittedAt(), control.getEmittedAt());
        Instant firstEvent = earlier(treatment.getFirstEventTime(), control.getFirstEventTime());
        if (treatmentTotal <= 0 || controlTotal <= 0) {
            return new Observation(
                    treatment.getWindowStart(),
                    treatment.getWindowEnd(),
                    closedAt,
                    firstEvent,
                    null,
                    Math.min(treatmentTotal, controlTotal),
                    null);
        }
        Double treatmentValue = value(treatment, metric);
        Double controlValue = value(control, metric);
        ComparisonResult result = TwoProportionComparison.compare(
                proportion.bad().applyAsLong(treatment),
                treatmentTotal,
                proportion.bad().applyAsLong(control),
                controlTotal,
                treatmentValue != null ? treatmentValue : Double.NaN,
                controlValue != null ? controlValue : Double.NaN);
        return new Observation(
                treatment.getWindowStart(),
                treatment.getWindowEnd(),
                closedAt,
                firstEvent,
                result.difference(),
                Math.min(treatmentTotal, controlTotal),
                result);
    }

    private static Instant later(Instant a, Instant b) {
        return a == null ? b : b == null || a.isAfter(b) ? a : b;
    }

    private static Instant earlier(Instant a, Instant b) {
        return a == null ? b : b == null || a.isBefore(b) ? a : b;
    }

    private static Map<String, Integer> metricPositions() {
        Map<String, Integer> positions = new LinkedHashMap<>();
        for (Schema.Field field : WindowMetricsEvent.getClassSchema().getFields()) {
            Schema schema = field.schema();
            if (schema.getType() == Schema.Type.UNION) {
                schema = schema.getTypes().stream()
                        .filter(s -> s.getType() != Schema.Type.NULL)
                        .findFirst()
                        .orElse(schema);
            }
            LogicalType logical = schema.getLogicalType();
            boolean numeric =
                    switch (schema.getType()) {
                        case INT, LONG, FLOAT, DOUBLE -> true;
                        default -> false;
                    };
            if (numeric && logical == null) {
                positions.put(field.name(), field.pos());
            }
        }
        return Collections.unmodifiableMap(positions);
    }
}
