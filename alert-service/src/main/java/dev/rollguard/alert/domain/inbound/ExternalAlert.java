package dev.rollguard.alert.domain.inbound;

import java.time.Instant;
import java.util.Map;
import java.util.SortedMap;

/**
 * One alert received from outside Rollguard (an Alertmanager's webhook, or any tool posting the documented generic
 * shape), as read from the request.
 *
 * @param index its position in the request, so answers and errors can name it
 * @param firing whether the sender says it fires (false: resolved)
 * @param labels its identifying labels; together they are the alert's identity
 * @param startsAt when the sender says it started, null when not given
 * @param endsAt when it ended; while it fires, when it stops firing unless the sender sends it again (a time ahead,
 *     as Prometheus gives); null when not given, or a firing alert's time that has passed (an Alertmanager's
 *     webhook gives the zero time)
 * @param source who sent it: the request's {@code source}, the Alertmanager's {@code externalURL}, else the alert's
 *     {@code generatorURL}; shown in the evidence of what Rollguard does about it
 */
public record ExternalAlert(
        int index,
        boolean firing,
        SortedMap<String, String> labels,
        Map<String, String> annotations,
        Instant startsAt,
        Instant endsAt,
        String generatorUrl,
        String source) {

    /** The label naming the flag an alert blames; the shorter {@link #FLAG_ALIAS} is read when it is absent. */
    public static final String FLAG_LABEL = "rollguard_flag";

    public static final String FLAG_ALIAS = "flag";

    /** The flag the alert names, or null. */
    public String flagKey() {
        String flag = labels.get(FLAG_LABEL);
        if (flag == null || flag.isBlank()) {
            flag = labels.get(FLAG_ALIAS);
        }
        return flag == null || flag.isBlank() ? null : flag.strip();
    }

    /** The alert's name ({@code alertname}), which every Prometheus alert has. */
    public String name() {
        return labels.getOrDefault("alertname", "");
    }
}
