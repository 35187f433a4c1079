package dev.rollguard.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** ROLLGUARD_TEST_INFRA: which servers the integration tests run on; embedded unless Testcontainers is asked for. */
class SharedInfraSelectionTest {

    @Test
    void theEmbeddedServersAreTheDefault() {
        assertThat(SharedInfra.kind(Map.of())).isEqualTo(SharedInfra.Kind.EMBEDDED);
        assertThat(SharedInfra.kind(Map.of(SharedInfra.INFRA_ENV, " "))).isEqualTo(SharedInfra.Kind.EMBEDDED);
        assertThat(SharedInfra.kind(Map.of(SharedInfra.INFRA_ENV, "embedded"))).isEqualTo(SharedInfra.Kind.EMBEDDED);
    }

    @Test
    void testcontainersIsSelectedByName() {
        assertThat(SharedInfra.kind(Map.of(SharedInfra.INFRA_ENV, "testcontainers")))
                .isEqualTo(SharedInfra.Kind.TESTCONTAINERS);
        assertThat(SharedInfra.kind(Map.of(SharedInfra.INFRA_ENV, "Testcontainers ")))
                .isEqualTo(SharedInfra.Kind.TESTCONTAINERS);
    }

    @Test
    void anythingElseIsRefusedWithTheChoices() {
        assertThatThrownBy(() -> SharedInfra.kind(Map.of(SharedInfra.INFRA_ENV, "docker")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ROLLGUARD_TEST_INFRA=docker")
                .hasMessageContaining("embedded (the default) or testcontainers");
    }

    @Test
    void thisRunUsesWhatItsEnvironmentSelects() {
        // The default run (bin/rollguard test, CI here) is embedded; the workflow for Docker hosts sets testcontainers.
        String selected = System.getenv(SharedInfra.INFRA_ENV);
        assertThat(SharedInfra.kind())
                .isEqualTo(
                        selected == null || selected.isBlank()
                                ? SharedInfra.Kind.EMBEDDED
                                : SharedInfra.Kind.valueOf(selected.strip().toUpperCase(java.util.Locale.ROOT)));
    }

    @Test
    void theContainersRunTheEmbeddedServersVersions() {
        assertThat(TestcontainersInfra.KAFKA_IMAGE)
                .isEqualTo("apache/kafka:" + org.apache.kafka.common.utils.AppInfoParser.getVersion());
        assertThat(TestcontainersInfra.POSTGRES_IMAGE).startsWith("postgres:14.");
    }

    @Test
    void withoutADockerEngineTheTestcontainersSelectionSaysSo() {
        assumeTrue(
                !org.testcontainers.DockerClientFactory.instance().isDockerAvailable(),
                "a Docker engine answers here: the testcontainers workflow runs the suite on it");
        assertThatThrownBy(TestcontainersInfra::kafkaBootstrap)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ROLLGUARD_TEST_INFRA=testcontainers needs a Docker engine");
        assertThatThrownBy(TestcontainersInfra::postgres)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("unset it to run on the embedded Kafka and PostgreSQL");
    }
}
