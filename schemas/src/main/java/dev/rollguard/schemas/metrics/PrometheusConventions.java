package dev.rollguard.schemas.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Makes every meter of a Rollguard service (its own and those of Micrometer's, Vert.x' and Netty's binders) valid
 * Prometheus exposition that {@code promtool check metrics} accepts: a help text without double quotes (Micrometer's
 * {@code process.cpu.usage} says {@code The "recent cpu usage" ...}, which the OpenMetrics output escapes as {@code \"},
 * an escape the Prometheus text format does not have), a help text where a binder gives none, and snake_case label
 * names (the reactive PostgreSQL client tags {@code clientName}, {@code clientType}). Long task timers are left out:
 * the Prometheus registry writes one as a summary whose samples ({@code _active_count}, {@code _duration_sum}) are
 * not a summary's suffixes, so Prometheus reads them as families without help or type (Vert.x' {@code
 * http.server.connections} is the only one; Rollguard's own meters use none).
 *
 * <p>A CDI bean (this jar carries {@code META-INF/beans.xml}), so the Micrometer extension of every Quarkus
 * application that depends on {@code schemas} applies it to all its registries.
 */
@Singleton
public class PrometheusConventions implements MeterFilter {

    private static final Pattern WORD_START = Pattern.compile("([a-z0-9])([A-Z])");
    private static final Pattern ACRONYM = Pattern.compile("([A-Z]+)([A-Z][a-z])");

    @Override
    public MeterFilterReply accept(Meter.Id id) {
        return id.getType() == Meter.Type.LONG_TASK_TIMER ? MeterFilterReply.DENY : MeterFilterReply.NEUTRAL;
    }

    @Override
    public Meter.Id map(Meter.Id id) {
        String description = help(id.getName(), id.getDescription());
        List<Tag> tags = new ArrayList<>();
        boolean renamed = false;
        for (Tag tag : id.getTagsAsIterable()) {
            String key = snakeCase(tag.getKey());
            renamed |= !key.equals(tag.getKey());
            tags.add(Tag.of(key, tag.getValue()));
        }
        if (!renamed && description.equals(id.getDescription())) {
            return id;
        }
        return new Meter.Id(id.getName(), Tags.of(tags), id.getBaseUnit(), description, id.getType());
    }

    /** The help text: the meter's description without double quotes, or one made from its name. */
    static String help(String name, String description) {
        if (description == null || description.isBlank()) {
            return name.replace('.', ' ').replace('_', ' ');
        }
        return description.replace('"', '\'');
    }

    /** {@code clientName} -> {@code client_name}, {@code HTTPStatus} -> {@code http_status}; snake_case stays. */
    static String snakeCase(String key) {
        return ACRONYM.matcher(WORD_START.matcher(key).replaceAll("$1_$2"))
                .replaceAll("$1_$2")
                .toLowerCase(Locale.ROOT);
    }
}
