package dev.rollguard.alert.domain;

import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.Severity;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.SortedMap;
import java.util.UUID;

/** Stable identities of alerts, derived from what they are about so that re-evaluation yields the same ids. */
public final class Fingerprints {

    private Fingerprints() {}

    /** 32 hex digits of SHA-256 over rule id, scope key and severity. */
    public static String of(String ruleId, String scopeKey, Severity severity) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] digest =
                    sha.digest((ruleId + '\u0000' + scopeKey + '\u0000' + severity).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    /**
     * 32 hex digits of SHA-256 over the labels of an alert received from outside, in label order: like Alertmanager's
     * own fingerprint, the labels are the alert's identity, so the same alert sent by both members of an HA pair, or
     * by a webhook and the generic shape, is one alert. Annotations and the sender are not part of it.
     */
    public static String external(SortedMap<String, String> labels) {
        StringBuilder text = new StringBuilder("external");
        // A label name may hold '=' (UTF-8 names): written as U+0001, which no name or value holds, so {a=b: c} and
        // {a: b=c} stay two alerts, and a name without '=' keeps the fingerprint it always had.
        labels.forEach((name, value) -> text.append('\u0000')
                .append(name.replace('=', '\u0001'))
                .append('=')
                .append(value));
        try {
            byte[] digest =
                    MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    /**
     * Id of one transition of an alert: the same transition evaluated twice (a redelivered window) gets the same id,
     * which subscribers use to deduplicate.
     */
    public static String alertId(String fingerprint, AlertStatus status, Instant startsAt) {
        String name = fingerprint + '|' + status + '|' + startsAt.toEpochMilli();
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    }
}
