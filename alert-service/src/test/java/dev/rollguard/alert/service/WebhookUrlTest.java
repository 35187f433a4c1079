package dev.rollguard.alert.service;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A subscription's URL is shown on reads as its scheme, host and port only (its path, query or credentials may be the
 * secret), and an update that gives that masked form back keeps the stored URL.
 */
class WebhookUrlTest {

    private static final String SLACK = "https://hooks.slack.com/services/T000/B000/XXXXSECRETPATH";

    @Test
    void aReadShowsTheSchemeHostAndPortOnly() {
        assertThat(WebhookService.maskUrl(SLACK)).isEqualTo("https://hooks.slack.com/\u2026");
        assertThat(WebhookService.maskUrl("http://user:pw@10.0.0.1:8080/?token=t"))
                .isEqualTo("http://10.0.0.1:8080/\u2026");
        assertThat(WebhookService.maskUrl("https://events.pagerduty.com")).isEqualTo("https://events.pagerduty.com");
        assertThat(WebhookService.maskUrl("not a url")).isEqualTo("****");
    }

    @Test
    void anUpdateGivingBackTheMaskedUrlKeepsTheStoredOne() {
        assertThat(WebhookService.urlToStore("https://hooks.slack.com/\u2026", SLACK))
                .isEqualTo(SLACK);
        assertThat(WebhookService.urlToStore("https://hooks.slack.com/services/T1/B1/NEW", SLACK))
                .isEqualTo("https://hooks.slack.com/services/T1/B1/NEW");
        assertThat(WebhookService.urlToStore(SLACK, SLACK)).isEqualTo(SLACK);
        // A URL with nothing after the host reads back as itself: giving it back changes nothing either way.
        assertThat(WebhookService.urlToStore("https://events.pagerduty.com", "https://events.pagerduty.com"))
                .isEqualTo("https://events.pagerduty.com");
        assertThat(WebhookService.urlToStore("https://other.example/\u2026", SLACK))
                .isEqualTo("https://other.example/\u2026");
    }
}
