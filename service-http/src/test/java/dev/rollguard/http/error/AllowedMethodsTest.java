package dev.rollguard.http.error;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class AllowedMethodsTest {

    @Test
    void aTemplateMatchesThePathsItServesAndNoOthers() {
        Pattern flag = AllowedMethods.pattern("/api/flags", "{key}");
        assertThat(flag.matcher("/api/flags/checkout-v2").matches()).isTrue();
        assertThat(flag.matcher("/api/flags/checkout-v2/").matches()).isTrue();
        assertThat(flag.matcher("/api/flags").matches()).isFalse();
        assertThat(flag.matcher("/api/flags/a/kill").matches()).isFalse();

        Pattern root = AllowedMethods.pattern("/api/flags/", "");
        assertThat(root.matcher("/api/flags").matches()).isTrue();
        assertThat(root.matcher("/api/flags/x").matches()).isFalse();

        Pattern own = AllowedMethods.pattern("/api", "/items/{id: [0-9]+}/{name}");
        assertThat(own.matcher("/api/items/12/x").matches()).isTrue();
        assertThat(own.matcher("/api/items/ab/x").matches()).isFalse();

        assertThat(AllowedMethods.pattern("/q.x", "").matcher("/qax").matches()).isFalse();
    }
}
