package dev.rollguard.alert.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.alert.domain.grouping.GroupPolicy;
import dev.rollguard.alert.domain.notify.ActionNotice;
import dev.rollguard.alert.domain.notify.NotificationTopic;
import dev.rollguard.alert.domain.notify.ReceiverKind;
import dev.rollguard.alert.domain.silence.Matcher;
import dev.rollguard.alert.mapping.Notification;
import dev.rollguard.alert.service.WebhookRegistry.Receiver;
import dev.rollguard.schemas.event.Severity;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Where each kind of receiver is sent what, what it subscribes to, and what the API shows of its secrets. */
class ReceiverTest {

    private static final GroupPolicy GROUPING =
            new GroupPolicy(List.of(), Duration.ZERO, Duration.ofMinutes(1), Duration.ofHours(4));

    private static Receiver receiver(ReceiverKind kind, String url, Set<NotificationTopic> events) {
        return routed(kind, url, events, EnumSet.of(Severity.CRITICAL), List.of());
    }

    private static Receiver routed(
            ReceiverKind kind, String url, Set<NotificationTopic> events, Set<Severity> severities, List<Matcher> on) {
        return new Receiver("id", "name", url, "secret", severities, GROUPING, kind, events, "key", on);
    }

    private static Receiver routedOn(Matcher... matchers) {
        return routed(
                ReceiverKind.GENERIC,
                "http://h",
                EnumSet.of(NotificationTopic.ALERTS),
                EnumSet.noneOf(Severity.class),
                List.of(matchers));
    }

    private static final Map<String, String> CHECKOUT_GUARD = Map.of(
            "alertname", "Checkout errors",
            "rule_id", "checkout-errors",
            "severity", "critical",
            "scope_type", "FLAG",
            "flag", "new-checkout");
    private static final Map<String, String> TABLE_LATENCY = Map.of(
            "alertname", "Slow orders",
            "rule_id", "orders-latency",
            "severity", "warning",
            "scope_type", "TABLE",
            "table", "orders");

    @Test
    void eachKindIsPostedToItsEndpoint() {
        Set<NotificationTopic> alerts = EnumSet.of(NotificationTopic.ALERTS);
        assertThat(receiver(ReceiverKind.GENERIC, "http://h/hook", alerts).target(null))
                .isEqualTo("http://h/hook");
        assertThat(receiver(ReceiverKind.SLACK, "https://hooks.slack.com/services/T/B/X", alerts)
                        .target(null))
                .isEqualTo("https://hooks.slack.com/services/T/B/X");
        Receiver pd = receiver(ReceiverKind.PAGERDUTY, "https://events.pagerduty.com/", alerts);
        assertThat(pd.target(null)).isEqualTo("https://events.pagerduty.com/v2/enqueue");
        assertThat(pd.target(Notification.CHANGE_ENDPOINT)).isEqualTo("https://events.pagerduty.com/v2/change/enqueue");
        assertThat(receiver(ReceiverKind.ALERTMANAGER, "http://am:9093", alerts).target(null))
                .isEqualTo("http://am:9093/api/v2/alerts");
    }

    @Test
    void subscriptionsChooseAlertsActionsOrBoth() {
        Receiver alertsOnly = receiver(ReceiverKind.GENERIC, "http://h", EnumSet.of(NotificationTopic.ALERTS));
        assertThat(alertsOnly.wants(Severity.CRITICAL, Map.of())).isTrue();
        assertThat(alertsOnly.wants(Severity.WARNING, Map.of())).isFalse();
        assertThat(alertsOnly.wantsActions()).isFalse();
        Receiver actionsOnly = receiver(ReceiverKind.SLACK, "http://h", EnumSet.of(NotificationTopic.ACTIONS));
        assertThat(actionsOnly.wants(Severity.CRITICAL, Map.of())).isFalse();
        assertThat(actionsOnly.wantsActions()).isTrue();
        Receiver am = receiver(ReceiverKind.ALERTMANAGER, "http://h", EnumSet.allOf(NotificationTopic.class));
        assertThat(am.wantsActions()).isFalse();
    }

    @Test
    void noMatchersRouteEveryAlertOfItsSeverities() {
        Receiver all = routedOn();
        assertThat(all.wants(Severity.CRITICAL, CHECKOUT_GUARD)).isTrue();
        assertThat(all.wants(Severity.WARNING, TABLE_LATENCY)).isTrue();
    }

    @Test
    void matchersRouteOnSeverityRuleFlagAndScopeType() {
        assertThat(routedOn(new Matcher("severity", "critical", false, true)).wants(Severity.CRITICAL, CHECKOUT_GUARD))
                .isTrue();
        assertThat(routedOn(new Matcher("severity", "critical", false, true)).wants(Severity.WARNING, TABLE_LATENCY))
                .isFalse();
        Receiver checkoutTeam =
                routedOn(new Matcher("flag", "new-.*", true, true), new Matcher("scope_type", "FLAG", false, true));
        assertThat(checkoutTeam.wants(Severity.CRITICAL, CHECKOUT_GUARD)).isTrue();
        assertThat(checkoutTeam.wants(Severity.WARNING, TABLE_LATENCY)).isFalse();
        // Every matcher must match: the right flag on another scope type is not routed.
        Map<String, String> otherScope = new HashMap<>(CHECKOUT_GUARD);
        otherScope.put("scope_type", "COHORT");
        assertThat(checkoutTeam.wants(Severity.CRITICAL, otherScope)).isFalse();
        Receiver notOrders = routedOn(new Matcher("rule_id", "orders-.*", true, false));
        assertThat(notOrders.wants(Severity.CRITICAL, CHECKOUT_GUARD)).isTrue();
        assertThat(notOrders.wants(Severity.WARNING, TABLE_LATENCY)).isFalse();
    }

    @Test
    void anAbsentLabelMatchesAsEmpty() {
        // As in silences: flag!="" routes only flag-scoped alerts; a regex must match the whole value.
        Receiver flagsOnly = routedOn(new Matcher("flag", "", false, false));
        assertThat(flagsOnly.wants(Severity.CRITICAL, CHECKOUT_GUARD)).isTrue();
        assertThat(flagsOnly.wants(Severity.WARNING, TABLE_LATENCY)).isFalse();
        assertThat(routedOn(new Matcher("rule_id", "checkout", true, true)).wants(Severity.CRITICAL, CHECKOUT_GUARD))
                .isFalse();
    }

    @Test
    void matchersNarrowButNeverWidenTheSeveritiesAndTopics() {
        Receiver criticalOnly = routed(
                ReceiverKind.GENERIC,
                "http://h",
                EnumSet.of(NotificationTopic.ALERTS),
                EnumSet.of(Severity.CRITICAL),
                List.of(new Matcher("rule_id", "orders-latency", false, true)));
        assertThat(criticalOnly.wants(Severity.WARNING, TABLE_LATENCY)).isFalse();
        Receiver actionsOnly = routed(
                ReceiverKind.SLACK,
                "http://h",
                EnumSet.of(NotificationTopic.ACTIONS),
                EnumSet.noneOf(Severity.class),
                List.of(new Matcher("flag", "new-checkout", false, true)));
        assertThat(actionsOnly.wants(Severity.CRITICAL, CHECKOUT_GUARD)).isFalse();
    }

    @Test
    void routingKeysAreShownByTheirLastFourCharactersOnly() {
        assertThat(WebhookService.mask("R0123456789abcdef0123456789abcd")).isEqualTo("****abcd");
        assertThat(WebhookService.mask("short")).isEqualTo("****");
        assertThat(WebhookService.mask(null)).isNull();
    }

    @Test
    void actionsWithoutAUsableIdAreRefused() {
        assertThat(ActionNotifier.invalid(action("a:1"))).isNull();
        assertThat(ActionNotifier.invalid(action(" "))).isEqualTo("invalid action: actionId is empty");
        assertThat(ActionNotifier.invalid(action("x".repeat(301))))
                .isEqualTo("invalid action: actionId is longer than 300 characters");
    }

    private static ActionNotice action(String id) {
        return new ActionNotice("rollbacks", id, "f", "KILL", "APPLIED", false, "r", "e", Instant.EPOCH, Map.of());
    }
}
