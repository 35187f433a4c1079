package dev.rollguard.alert.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.alert.domain.grouping.GroupPolicy;
import dev.rollguard.alert.domain.notify.ActionNotice;
import dev.rollguard.alert.domain.notify.NotificationTopic;
import dev.rollguard.alert.domain.notify.ReceiverKind;
import dev.rollguard.alert.mapping.Notification;
import dev.rollguard.alert.service.WebhookRegistry.Receiver;
import dev.rollguard.schemas.event.Severity;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Where each kind of receiver is sent what, what it subscribes to, and what the API shows of its secrets. */
class ReceiverTest {

    private static final GroupPolicy GROUPING =
            new GroupPolicy(List.of(), Duration.ZERO, Duration.ofMinutes(1), Duration.ofHours(4));

    private static Receiver receiver(ReceiverKind kind, String url, Set<NotificationTopic> events) {
        return new Receiver("id", "name", url, "secret", EnumSet.of(Severity.CRITICAL), GROUPING, kind, events, "key");
    }

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
        assertThat(alertsOnly.wants(Severity.CRITICAL)).isTrue();
        assertThat(alertsOnly.wants(Severity.WARNING)).isFalse();
        assertThat(alertsOnly.wantsActions()).isFalse();
        Receiver actionsOnly = receiver(ReceiverKind.SLACK, "http://h", EnumSet.of(NotificationTopic.ACTIONS));
        assertThat(actionsOnly.wants(Severity.CRITICAL)).isFalse();
        assertThat(actionsOnly.wantsActions()).isTrue();
        Receiver am = receiver(ReceiverKind.ALERTMANAGER, "http://h", EnumSet.allOf(NotificationTopic.class));
        assertThat(am.wantsActions()).isFalse();
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
