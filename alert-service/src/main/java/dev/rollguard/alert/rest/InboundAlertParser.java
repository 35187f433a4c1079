package dev.rollguard.alert.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.rollguard.alert.api.CleanText;
import dev.rollguard.alert.domain.inbound.ExternalAlert;
import dev.rollguard.alert.domain.inbound.InboundOutcome;
import dev.rollguard.alert.domain.inbound.InboundOutcome.Kind;
import dev.rollguard.alert.service.ValidationFailedException;
import dev.rollguard.alert.service.ValidationFailedException.Violation;
import dev.rollguard.http.error.ApiException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Reads the bodies {@code POST /api/alerts/inbound} takes: an Alertmanager webhook body (version 4: {@code
 * {"version": "4", "externalURL", "alerts": [...]}}), the generic shape (the same object with only {@code alerts},
 * and optionally {@code source}), or a bare array of alerts as posted to Alertmanager's {@code /api/v2/alerts}. Each
 * alert: {@code labels} (required, with {@code alertname}), {@code annotations}, {@code status} ({@code firing} or
 * {@code resolved}; without it an alert whose {@code endsAt} has passed is resolved), {@code startsAt}, {@code
 * endsAt} (RFC 3339; Alertmanager's {@code 0001-01-01T00:00:00Z} means none), {@code generatorURL}. Every other
 * field (Alertmanager's {@code fingerprint}, {@code groupLabels}, ...) is ignored. Only a body whose envelope cannot
 * be read (no array of alerts, too many, a bad {@code version} or {@code externalURL}) is refused whole, naming each
 * field; an alert that does not fit is rejected on its own ({@link Kind#REJECTED}, naming its fields) and the others
 * are taken: Alertmanager does not retry a 4xx, and would lose the good alerts of the group with the bad one.
 */
final class InboundAlertParser {

    static final int MAX_ALERTS = 1000;
    private static final int MAX_LABELS = 64;
    private static final int MAX_LABEL_NAME = 100;

    /** The alerts of a body that can be read, and the outcomes of those that cannot, in request order. */
    record Parsed(List<ExternalAlert> alerts, List<InboundOutcome> rejected) {}

    /** The envelope's faults (the whole body is refused), then each alert's in turn. */
    private final List<Violation> violations = new ArrayList<>();

    private final Instant now;
    private String refusedCharacter;
    private List<Violation> current = violations;

    private InboundAlertParser(Instant now) {
        this.now = now;
    }

    /**
     * The alerts of a body and the rejected ones, or a {@link ValidationFailedException} / 400 {@code
     * INVALID_CHARACTER} naming the fields of an envelope that cannot be read.
     */
    static Parsed parse(JsonNode body, Instant now) {
        InboundAlertParser parser = new InboundAlertParser(now);
        Parsed alerts = parser.body(body);
        if (parser.refusedCharacter != null) {
            throw new ApiException(400, "INVALID_CHARACTER", parser.refusedCharacter);
        }
        if (!parser.violations.isEmpty()) {
            throw new ValidationFailedException(parser.violations);
        }
        return alerts;
    }

    private Parsed body(JsonNode body) {
        Parsed none = new Parsed(List.of(), List.of());
        if (body == null || body.isNull() || body.isMissingNode()) {
            violations.add(new Violation("body", "must be an Alertmanager webhook body or an array of alerts"));
            return none;
        }
        JsonNode alerts;
        String source = null;
        if (body.isArray()) {
            alerts = body;
        } else if (body.isObject()) {
            JsonNode version = body.get("version");
            if (version != null && !version.isNull() && !"4".equals(version.asText())) {
                violations.add(new Violation(
                        "version", "must be \"4\" (the Alertmanager webhook version this endpoint reads)"));
            }
            source = text(body, "source", "source", 500, false);
            String externalUrl = text(body, "externalURL", "externalURL", 2000, false);
            if (source == null) {
                source = externalUrl;
            }
            alerts = body.get("alerts");
            if (alerts == null || !alerts.isArray()) {
                violations.add(new Violation("alerts", "must be an array of alerts"));
                return none;
            }
        } else {
            violations.add(new Violation("body", "must be an Alertmanager webhook body or an array of alerts"));
            return none;
        }
        if (alerts.isEmpty()) {
            violations.add(new Violation("alerts", "must hold at least one alert"));
        }
        if (alerts.size() > MAX_ALERTS) {
            violations.add(new Violation("alerts", "must hold at most " + MAX_ALERTS + " alerts"));
            return none;
        }
        if (!violations.isEmpty() || refusedCharacter != null) {
            return none;
        }
        List<ExternalAlert> parsed = new ArrayList<>(alerts.size());
        List<InboundOutcome> rejected = new ArrayList<>();
        for (int i = 0; i < alerts.size(); i++) {
            current = new ArrayList<>();
            ExternalAlert alert = alert(alerts.get(i), i, source);
            if (alert != null) {
                parsed.add(alert);
            } else {
                String reason = current.stream()
                        .map(v -> v.field() + ": " + v.message())
                        .collect(Collectors.joining("; "));
                rejected.add(new InboundOutcome(i, Kind.REJECTED, null, null, null, reason));
            }
        }
        current = violations;
        return new Parsed(parsed, rejected);
    }

    private ExternalAlert alert(JsonNode alert, int index, String requestSource) {
        String at = "alerts[" + index + "]";
        if (!alert.isObject()) {
            current.add(new Violation(at, "must be an object"));
            return null;
        }
        int before = current.size();
        SortedMap<String, String> labels = new TreeMap<>();
        JsonNode labelNode = alert.get("labels");
        if (labelNode == null || !labelNode.isObject() || labelNode.isEmpty()) {
            current.add(new Violation(at + ".labels", "must be an object of label names to texts"));
        } else {
            if (labelNode.size() > MAX_LABELS) {
                current.add(new Violation(at + ".labels", "must hold at most " + MAX_LABELS + " labels"));
            }
            labelNode.fields().forEachRemaining(entry -> {
                String field = at + ".labels[" + JsonMessages.printable(entry.getKey()) + "]";
                // Any UTF-8 name, as Prometheus 3 and recent Alertmanagers take them (service.name), control
                // characters aside.
                if (entry.getKey().isEmpty()) {
                    current.add(new Violation(field + " (key)", "must not be empty"));
                    return;
                }
                if (checked(new TextNode(entry.getKey()), field + " (key)", MAX_LABEL_NAME, false) == null) {
                    return;
                }
                String value = checked(entry.getValue(), field, 1000, false);
                if (value != null) {
                    labels.put(entry.getKey(), value);
                }
            });
            String name = labels.get("alertname");
            if (name == null || name.isBlank()) {
                current.add(new Violation(at + ".labels[alertname]", "is required"));
            } else if (name.length() > 200) {
                current.add(new Violation(at + ".labels[alertname]", "must be at most 200 characters"));
            }
            for (String flagLabel : List.of(ExternalAlert.FLAG_LABEL, ExternalAlert.FLAG_ALIAS)) {
                String flag = labels.get(flagLabel);
                if (flag != null && flag.strip().length() > 200) {
                    current.add(new Violation(at + ".labels[" + flagLabel + "]", "must be at most 200 characters"));
                }
            }
        }
        Map<String, String> annotations = new LinkedHashMap<>();
        JsonNode annotationNode = alert.get("annotations");
        if (annotationNode != null && !annotationNode.isNull()) {
            if (!annotationNode.isObject()) {
                current.add(new Violation(at + ".annotations", "must be an object of names to texts"));
            } else {
                if (annotationNode.size() > MAX_LABELS) {
                    current.add(new Violation(at + ".annotations", "must hold at most " + MAX_LABELS + " annotations"));
                }
                Iterator<Map.Entry<String, JsonNode>> fields = annotationNode.fields();
                while (fields.hasNext()) {
                    Map.Entry<String, JsonNode> entry = fields.next();
                    String field = at + ".annotations[" + JsonMessages.printable(entry.getKey()) + "]";
                    checked(new TextNode(entry.getKey()), field + " (key)", 100, false);
                    String value = checked(crAsLf(entry.getValue()), field, 10_000, true);
                    if (value != null) {
                        annotations.put(entry.getKey(), value);
                    }
                }
            }
        }
        Instant startsAt = time(alert, "startsAt", at);
        Instant endsAt = time(alert, "endsAt", at);
        String generatorUrl = text(alert, "generatorURL", at + ".generatorURL", 2000, false);
        Boolean firing = null;
        String status = text(alert, "status", at + ".status", 20, false);
        if (status != null) {
            switch (status.toLowerCase(Locale.ROOT)) {
                case "firing" -> firing = true;
                case "resolved" -> firing = false;
                default -> current.add(new Violation(at + ".status", "must be firing or resolved"));
            }
        }
        if (current.size() > before) {
            return null;
        }
        if (firing == null) {
            firing = endsAt == null || endsAt.isAfter(now);
        }
        String source =
                requestSource != null ? requestSource : generatorUrl != null ? generatorUrl : "an unnamed sender";
        Instant ends = firing ? (endsAt != null && endsAt.isAfter(now) ? endsAt : null) : endsAt;
        return new ExternalAlert(index, firing, labels, annotations, startsAt, ends, generatorUrl, source);
    }

    private String text(JsonNode parent, String name, String field, int max, boolean freeText) {
        JsonNode node = parent.get(name);
        if (node == null || node.isNull()) {
            return null;
        }
        String value = checked(node, field, max, freeText);
        return value == null || value.isBlank() ? null : value;
    }

    private String checked(JsonNode node, String field, int max, boolean freeText) {
        if (!node.isTextual()) {
            current.add(new Violation(field, "must be a string"));
            return null;
        }
        String value = node.asText();
        if (value.length() > max) {
            current.add(new Violation(field, "must be at most " + max + " characters"));
            return null;
        }
        int refused = CleanText.Check.firstRefused(value, freeText);
        if (refused >= 0) {
            String message = CleanText.Check.describe(value, refused, freeText);
            if (refusedCharacter == null && current == violations) {
                refusedCharacter = field + ": " + message;
            }
            current.add(new Violation(field, message));
            return null;
        }
        return value;
    }

    /** A CR (Windows line ends, or a lone one) in a description is a line break, as LF is. */
    private static JsonNode crAsLf(JsonNode node) {
        if (!node.isTextual() || node.asText().indexOf('\r') < 0) {
            return node;
        }
        return new TextNode(node.asText().replace("\r\n", "\n").replace('\r', '\n'));
    }

    private Instant time(JsonNode alert, String name, String at) {
        String value = text(alert, name, at + "." + name, 64, false);
        if (value == null) {
            return null;
        }
        try {
            Instant instant = OffsetDateTime.parse(value).toInstant();
            // Alertmanager's zero time: no time given.
            return instant.isBefore(Instant.parse("1970-01-02T00:00:00Z")) ? null : instant;
        } catch (DateTimeParseException e) {
            current.add(new Violation(at + "." + name, "must be an RFC 3339 time, e.g. 2026-03-02T09:15:00Z"));
            return null;
        }
    }
}
