package dev.rollguard.flag;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code flag-service.public-url} fixes where the advertised change stream is, whatever the request says. */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
@TestProfile(PublicUrlTest.PublicUrlProfile.class)
class PublicUrlTest {

    public static class PublicUrlProfile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("flag-service.public-url", "https://flags.example.com/rollguard");
        }
    }

    @Test
    void theStreamUrlIsBuiltOnTheConfiguredPublicUrl() {
        for (String forwardedHost : new String[] {null, "elsewhere.example.com"}) {
            var request = Api.client().body("{\"context\":{\"targetingKey\":\"u1\"}}");
            if (forwardedHost != null) {
                request = request.header("X-Forwarded-Proto", "http").header("X-Forwarded-Host", forwardedHost);
            }
            String url = request.post("/ofrep/v1/evaluate/flags")
                    .then()
                    .statusCode(200)
                    .extract()
                    .path("eventStreams[0].url");

            assertThat(url).startsWith("https://flags.example.com/rollguard/ofrep/v1/events?token=v2.");
        }
    }
}
