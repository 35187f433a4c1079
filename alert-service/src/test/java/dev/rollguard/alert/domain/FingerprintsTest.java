package dev.rollguard.alert.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class FingerprintsTest {

    @Test
    void anExternalAlertsLabelsAreItsIdentityEvenWhenANameHoldsAnEqualsSign() {
        String plain = Fingerprints.external(new TreeMap<>(Map.of("alertname", "A", "service.name", "checkout")));
        assertThat(plain).matches("[0-9a-f]{32}");
        assertThat(Fingerprints.external(new TreeMap<>(Map.of("service.name", "checkout", "alertname", "A"))))
                .isEqualTo(plain);
        // UTF-8 label names may hold '=': two different label sets are two alerts.
        assertThat(Fingerprints.external(new TreeMap<>(Map.of("a=b", "c"))))
                .isNotEqualTo(Fingerprints.external(new TreeMap<>(Map.of("a", "b=c"))));
    }
}
