package dev.rollguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each check of {@link ManifestTest} reports the mistake it exists for: the assembled base, broken on purpose in
 * one place, fails it with a message that names the problem.
 */
class ChecksCanFailTest {

    static final Manifests BASE = Manifests.kustomize(Repo.K8S.resolve("base"));
    static final Repo.ServiceConfig FLAG_SERVICE = Repo.service("flag-service");

    static Manifests broken() {
        return BASE.copy();
    }

    static Deployment deployment(Manifests m, String name) {
        return m.deployment(name).orElseThrow();
    }

    static Container container(Manifests m, String name) {
        return Checks.container(m, name).orElseThrow();
    }

    static Manifests with(Manifests m, String yaml) {
        List<HasMetadata> resources = new ArrayList<>(m.resources());
        try {
            resources.add(Manifests.parse((ObjectNode) Yaml.MAPPER.readTree(yaml)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Manifests(m.origin(), resources);
    }

    static Manifests without(Manifests m, Class<?> type) {
        return new Manifests(
                m.origin(),
                m.resources().stream().filter(r -> !type.isInstance(r)).toList());
    }

    @Test
    void theRealBasePassesEveryCheckTheBrokenCopiesFail() {
        assertThat(Checks.kindsAndApiVersions(BASE)).isEmpty();
        assertThat(Checks.probesAndPorts(BASE, FLAG_SERVICE)).isEmpty();
        assertThat(Checks.configuration(BASE, FLAG_SERVICE)).isEmpty();
        assertThat(Checks.security(BASE, "flag-service")).isEmpty();
        assertThat(Checks.gracefulShutdown(BASE, FLAG_SERVICE)).isEmpty();
    }

    @Test
    void theNewChecksPassOnTheRealBase() {
        assertThat(Checks.budgetsAllowDrains(BASE)).isEmpty();
        assertThat(Checks.consoleReachesTheServices(BASE)).isEmpty();
        assertThat(Checks.images(BASE, Repo.modulesWithDockerfile(), Repo.IMAGE_REGISTRY, "0.1.0"))
                .isEmpty();
    }

    @Test
    void aBudgetThatForbidsEveryEvictionFails() {
        Manifests m = broken();
        // One replica of the rollback-service under the base's minAvailable: 1, as the dev overlay had it.
        deployment(m, "rollback-service").getSpec().setReplicas(1);
        // A percentage that keeps every console pod.
        m.find(PodDisruptionBudget.class, "console").orElseThrow().getSpec().setMaxUnavailable(new IntOrString("0%"));

        assertThat(Checks.budgetsAllowDrains(m))
                .anySatisfy(
                        v -> assertThat(v).contains("PodDisruptionBudget/rollback-service", "1 replica(s)", "drain"))
                .anySatisfy(v -> assertThat(v).contains("PodDisruptionBudget/console", "allows no eviction"))
                .hasSize(2);
    }

    @Test
    void anImageOfAnotherNameOrTagOrOneNotBuiltHereFails() {
        Manifests m = broken();
        container(m, "console").setImage("ghcr.io/rollguard/console:latest");
        container(m, "alert-service").setImage("docker.io/acme/alert-service:0.1.0");

        assertThat(Checks.images(
                        m,
                        Set.of("flag-service", "metrics-ingest", "alert-service", "console"),
                        Repo.IMAGE_REGISTRY,
                        "0.1.0"))
                .anySatisfy(v -> assertThat(v)
                        .contains("Deployment/console", "console:latest", "ghcr.io/rollguard/console:0.1.0"))
                .anySatisfy(v -> assertThat(v).contains("Deployment/alert-service", "docker.io/acme"))
                .anySatisfy(v ->
                        assertThat(v).contains("Deployment/rollback-service", "no image of that name is built here"))
                .hasSize(3);
    }

    @Test
    void aConsolePointedAtNoServiceOrTheWrongPortFails() {
        Manifests m = broken();
        ConfigMap config = m.configMap("console-config").orElseThrow();
        config.getData().put("CONSOLE_SERVICES_FLAG_SERVICE", "http://flag-service:8081");
        config.getData().put("CONSOLE_SERVICES_ALERT_SERVICE", "http://alerts");
        config.getData().remove("CONSOLE_SERVICES_ROLLBACK_SERVICE");

        assertThat(Checks.consoleReachesTheServices(m))
                .anySatisfy(v -> assertThat(v).contains("CONSOLE_SERVICES_FLAG_SERVICE", "http://flag-service:8081"))
                .anySatisfy(v -> assertThat(v).contains("CONSOLE_SERVICES_ALERT_SERVICE", "http://alerts"))
                .anySatisfy(v -> assertThat(v).contains("CONSOLE_SERVICES_ROLLBACK_SERVICE is not set"))
                .hasSize(3);
        assertThat(Checks.configuration(m, Repo.service("console")))
                .anySatisfy(v -> assertThat(v).contains("CONSOLE_SERVICES_ROLLBACK_SERVICE is needed"));
        container(m, "console").getEnv().removeIf(e -> e.getName().equals("CONSOLE_SESSION_SECRET"));
        assertThat(Checks.configuration(m, Repo.service("console")))
                .anySatisfy(v -> assertThat(v).contains("CONSOLE_SESSION_SECRET is needed"));
    }

    @Test
    void aReadmeCitingAMissingFileFails(@TempDir Path dir) throws IOException {
        Path readme = dir.resolve("README.md");
        Files.writeString(
                readme,
                "See DESIGN.md and docs/contracts.md, base/<service>/kubernetes.yml, the services' application.properties,"
                        + " the build's target/kubernetes/kubernetes.yml and deploy/k8s/base/nothing.yaml.\n");

        assertThat(Checks.missingCitedFiles(readme, Repo.ROOT))
                .containsExactlyInAnyOrder(
                        Repo.ROOT.relativize(readme) + " cites DESIGN.md, which does not exist",
                        Repo.ROOT.relativize(readme) + " cites deploy/k8s/base/nothing.yaml, which does not exist");
    }

    @Test
    void aRuleFilePromtoolCannotLoadFails(@TempDir Path dir) throws IOException {
        Path rules = dir.resolve("broken.rules.yaml");
        Files.writeString(
                rules,
                """
                groups:
                  - name: broken
                    rules:
                      - alert: Broken
                        expr: sum(rate(http_server_requests_seconds_count[5m]) by (job)
                """);

        dev.rollguard.infra.Promtool.Result check = dev.rollguard.infra.Promtool.checkRules(rules);

        assertThat(check.ok()).isFalse();
        assertThat(check.output()).contains("FAILED");
    }

    @Test
    void aDeprecatedApiVersionAnUnknownKindOrAMisspeltFieldFails() {
        Manifests m = with(
                broken(),
                """
                apiVersion: policy/v1beta1
                kind: PodDisruptionBudget
                metadata: {name: old}
                spec: {minAvailable: 1}
                """);
        m = with(
                m,
                """
                apiVersion: example.com/v1
                kind: Widget
                metadata: {name: widget}
                """);
        m = with(
                m,
                """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: typo}
                datta: {A: b}
                """);
        m = with(
                m,
                """
                apiVersion: kafka.strimzi.io/v1
                kind: KafkaTopic
                metadata: {name: typo-topic, labels: {strimzi.io/cluster: rollguard}}
                spec: {topicName: typo, partitons: 3, replicas: 3}
                """);
        m = with(
                m,
                """
                apiVersion: monitoring.coreos.com/v1
                kind: ServiceMonitor
                metadata: {name: typo-monitor}
                spec:
                  selector: {matchLabels: {app: x}}
                  endpoints: [{paht: /q/metrics, port: http}]
                """);
        assertThat(Checks.kindsAndApiVersions(m))
                .anySatisfy(v -> assertThat(v).contains("KafkaTopic/typo-topic", "unknown field", "partitons"))
                .anySatisfy(v -> assertThat(v).contains("ServiceMonitor/typo-monitor", "unknown field", "paht"))
                .anySatisfy(v -> assertThat(v).contains("PodDisruptionBudget/old", "policy/v1beta1"))
                .anySatisfy(v -> assertThat(v).contains("example.com/v1 Widget"))
                .anySatisfy(v -> assertThat(v).contains("ConfigMap/typo", "unknown field", "datta"));
    }

    @Test
    void aProbeOnAnotherPathOrPortFails() {
        Manifests m = broken();
        container(m, "flag-service").getReadinessProbe().getHttpGet().setPath("/health");
        container(m, "flag-service").getLivenessProbe().getHttpGet().setPort(new IntOrString(8080));
        assertThat(Checks.probesAndPorts(m, FLAG_SERVICE))
                .anySatisfy(v -> assertThat(v).contains("/health", "/q/health/group/evaluation"))
                .anySatisfy(v -> assertThat(v).contains("/q/health/live", "8080"));
    }

    @Test
    void aContainerPortOtherThanTheConfiguredHttpPortFails() {
        Manifests m = broken();
        container(m, "flag-service").getPorts().get(0).setContainerPort(8080);
        assertThat(Checks.probesAndPorts(m, FLAG_SERVICE))
                .anySatisfy(v -> assertThat(v).contains("do not include quarkus.http.port 8081"));
    }

    @Test
    void aMissingVariableOrASecretFromAConfigMapFails() {
        Manifests m = broken();
        Container c = container(m, "flag-service");
        c.getEnv().removeIf(e -> e.getName().equals("ROLLGUARD_ADMIN_TOKEN"));
        c.getEnv().removeIf(e -> e.getName().equals("QUARKUS_DATASOURCE_PASSWORD"));
        m.configMap("flag-service-config").orElseThrow().getData().put("QUARKUS_DATASOURCE_PASSWORD", "x");
        m.configMap("flag-service-config").orElseThrow().getData().remove("QUARKUS_DATASOURCE_JDBC_URL");
        assertThat(Checks.configuration(m, FLAG_SERVICE))
                .anySatisfy(v -> assertThat(v).contains("ROLLGUARD_ADMIN_TOKEN is needed"))
                .anySatisfy(v -> assertThat(v).contains("QUARKUS_DATASOURCE_JDBC_URL is needed"))
                .anySatisfy(v -> assertThat(v).contains("QUARKUS_DATASOURCE_PASSWORD comes from configmap"));
    }

    @Test
    void anEnvFromAMissingConfigMapFails() {
        Manifests m = without(broken(), ConfigMap.class);
        assertThat(Checks.configuration(m, FLAG_SERVICE))
                .anySatisfy(v -> assertThat(v).contains("ConfigMap rollguard-config, which is not in the manifests"))
                .anySatisfy(v -> assertThat(v).contains("KAFKA_BOOTSTRAP_SERVERS is needed"));
    }

    @Test
    void literalSecretValuesFail() {
        Manifests m = broken();
        container(m, "rollback-service").getEnv().add(new EnvVar("ROLLGUARD_SERVICE_TOKEN", "rg_service_123", null));
        m.configMap("rollguard-config").orElseThrow().getData().put("DB_PASSWORD", "postgres");
        m.configMap("alert-service-config")
                .orElseThrow()
                .getData()
                .put("QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://rollguard:hunter2@pg:5432/rollguard_alerts");
        List<HasMetadata> resources = new ArrayList<>(m.resources());
        resources.add(new SecretBuilder()
                .withNewMetadata()
                .withName("rollguard-tokens")
                .endMetadata()
                .withStringData(Map.of("admin-token", "rg_admin_123"))
                .build());
        assertThat(Checks.noLiteralSecrets(new Manifests("broken", resources)))
                .anySatisfy(v -> assertThat(v).contains("Secret/rollguard-tokens", "values in the repository"))
                .anySatisfy(
                        v -> assertThat(v).contains("rollback-service", "ROLLGUARD_SERVICE_TOKEN has a literal value"))
                .anySatisfy(v -> assertThat(v).contains("DB_PASSWORD is a secret in a ConfigMap"))
                .anySatisfy(v -> assertThat(v).contains("password in a URL"));
    }

    @Test
    void aWritableRootFilesystemRootUserOrMissingTmpFails() {
        Manifests m = broken();
        Container c = container(m, "flag-service");
        c.getSecurityContext().setReadOnlyRootFilesystem(false);
        c.getSecurityContext().setRunAsNonRoot(null);
        deployment(m, "flag-service")
                .getSpec()
                .getTemplate()
                .getSpec()
                .getSecurityContext()
                .setRunAsNonRoot(false);
        c.getVolumeMounts().removeIf(mount -> mount.getMountPath().equals("/tmp"));
        assertThat(Checks.security(m, "flag-service"))
                .anySatisfy(v -> assertThat(v).contains("not read-only"))
                .anySatisfy(v -> assertThat(v).contains("not runAsNonRoot"))
                .anySatisfy(v -> assertThat(v).contains("/tmp is not a writable emptyDir"));
    }

    @Test
    void aStreamsStateDirOutsideTheEmptyDirFails() {
        Manifests m = broken();
        m.configMap("metrics-ingest-config").orElseThrow().getData().put("KAFKA_STREAMS_STATE_DIR", "/var/lib/streams");
        assertThat(Checks.writablePaths(m, "metrics-ingest", "KAFKA_STREAMS_STATE_DIR"))
                .singleElement()
                .satisfies(v -> assertThat(v).contains("/var/lib/streams has no emptyDir"));
    }

    @Test
    void aServiceWithoutTheKubernetesProfileFails() {
        Manifests m = broken();
        m.configMap("rollguard-config").orElseThrow().getData().put("QUARKUS_PROFILE", "prod");
        assertThat(Checks.kubernetesProfile(m, FLAG_SERVICE)).singleElement().satisfies(v -> assertThat(v)
                .contains("QUARKUS_PROFILE is prod, not prod with kubernetes"));
    }

    @Test
    void aGracePeriodNotAboveShutdownDelayPlusTimeoutFails() {
        Manifests m = broken();
        deployment(m, "flag-service").getSpec().getTemplate().getSpec().setTerminationGracePeriodSeconds(35L);
        assertThat(Checks.gracefulShutdown(m, FLAG_SERVICE)).singleElement().satisfies(v -> assertThat(v)
                .contains("terminationGracePeriodSeconds 35", "35 s"));

        Manifests noTimeout = broken();
        noTimeout.configMap("rollguard-config").orElseThrow().getData().remove("QUARKUS_SHUTDOWN_TIMEOUT");
        Repo.ServiceConfig unconfigured = new Repo.ServiceConfig(
                "flag-service",
                8081,
                "/q/health",
                "/q/metrics",
                true,
                java.util.Optional.empty(),
                java.util.Optional.empty(),
                Set.of());
        assertThat(Checks.gracefulShutdown(noTimeout, unconfigured))
                .singleElement()
                .satisfies(v -> assertThat(v).contains("quarkus.shutdown.timeout is not configured"));
    }

    @Test
    void missingResourcesBudgetOrAutoscalerFail() {
        Manifests m = broken();
        container(m, "alert-service").getResources().getLimits().clear();
        assertThat(Checks.resources(m, "alert-service"))
                .anySatisfy(v -> assertThat(v).contains("no memory request and limit"));
        assertThat(Checks.disruptionBudget(without(m, PodDisruptionBudget.class), "alert-service"))
                .anySatisfy(v -> assertThat(v).contains("no PodDisruptionBudget"));
        assertThat(Checks.autoscaler(without(m, HorizontalPodAutoscaler.class), "flag-service"))
                .anySatisfy(v -> assertThat(v).contains("no HorizontalPodAutoscaler"));
        deployment(m, "rollback-service")
                .getSpec()
                .getTemplate()
                .getSpec()
                .getTopologySpreadConstraints()
                .clear();
        assertThat(Checks.spreadAcrossNodes(m, "rollback-service"))
                .anySatisfy(v -> assertThat(v).contains("not spread across nodes"));
    }

    @Test
    void aServiceMonitorOnAnotherPathFails() {
        Manifests m = broken();
        GenericKubernetesResource monitor = m.custom("ServiceMonitor").stream()
                .filter(r -> r.getMetadata().getName().equals("flag-service"))
                .findFirst()
                .orElseThrow();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> endpoints =
                (List<Map<String, Object>>) ((Map<String, Object>) monitor.get("spec")).get("endpoints");
        endpoints.get(0).put("path", "/metrics");
        assertThat(Checks.serviceMonitor(m, FLAG_SERVICE))
                .anySatisfy(v -> assertThat(v).contains("scrapes /metrics", "/q/metrics"));
    }

    @Test
    void topicsThatDriftFromTheTopicPlanFail() {
        Manifests m = broken();
        GenericKubernetesResource changes = ManifestTest.topic(m, "flags.changes");
        @SuppressWarnings("unchecked")
        Map<String, Object> config = (Map<String, Object>) ((Map<String, Object>) changes.get("spec")).get("config");
        config.put("cleanup.policy", "delete");
        GenericKubernetesResource upload = ManifestTest.topic(m, "telemetry.upload");
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = (Map<String, Object>) upload.get("spec");
        spec.put("partitions", 6);
        spec.put("replicas", 1);
        deployment(m, "metrics-ingest").getSpec().setReplicas(8);
        Manifests withoutAlerts = new Manifests(
                "broken",
                m.resources().stream()
                        .filter(r -> !r.getMetadata().getName().equals("alerts"))
                        .toList());
        assertThat(Checks.topics(withoutAlerts, true))
                .anySatisfy(v -> assertThat(v).contains("flags.changes: cleanup.policy is delete"))
                .anySatisfy(v -> assertThat(v).contains("telemetry.upload: replicas 1"))
                .anySatisfy(v -> assertThat(v).contains("co-partitioned"))
                .anySatisfy(v -> assertThat(v).contains("metrics-ingest has 8 replicas for 6 input partitions"))
                .anySatisfy(v -> assertThat(v).contains("alerts: in TopicPlan but no KafkaTopic"));
    }

    @Test
    void settingsChangedWithoutRegeneratingFail() {
        Manifests generated =
                Manifests.of("generated", Yaml.documents(Repo.K8S.resolve("base/alert-service/kubernetes.yml")));
        Map<String, String> settings = new java.util.LinkedHashMap<>(Repo.generationSettings("alert-service"));
        assertThat(Checks.generatedMatchesSettings(generated, "alert-service", settings))
                .isEmpty();
        settings.put("quarkus.kubernetes.resources.limits.memory", "2Gi");
        settings.put("quarkus.kubernetes.replicas", "3");
        settings.put("quarkus.kubernetes.env.mapping.rollguard-client-token.from-secret", "rollguard-tokens");
        settings.put("quarkus.kubernetes.env.mapping.rollguard-client-token.with-key", "client-token");
        assertThat(Checks.generatedMatchesSettings(generated, "alert-service", settings))
                .anySatisfy(v -> assertThat(v).contains("is stale", "memory limits 640Mi, settings say 2Gi"))
                .anySatisfy(v -> assertThat(v).contains("replicas 2, settings say 3"))
                .anySatisfy(v -> assertThat(v).contains("ROLLGUARD_CLIENT_TOKEN from Secret rollguard-tokens"));
    }

    @Test
    void aSecretReferenceWrittenIntoTheGeneratedFileByHandFails() {
        Manifests generated =
                Manifests.of("generated", Yaml.documents(Repo.K8S.resolve("base/alert-service/kubernetes.yml")));
        Map<String, String> settings = new java.util.LinkedHashMap<>(Repo.generationSettings("alert-service"));
        settings.remove("quarkus.kubernetes.env.mapping.rollguard-inbound-token.from-secret");
        settings.remove("quarkus.kubernetes.env.mapping.rollguard-inbound-token.with-key");
        assertThat(Checks.generatedMatchesSettings(generated, "alert-service", settings))
                .singleElement()
                .satisfies(v -> assertThat(v)
                        .contains("ROLLGUARD_INBOUND_TOKEN from Secret rollguard-tokens key inbound-token")
                        .contains("regenerating would drop it"));
    }

    @Test
    void aMetricNoServiceExposesFails() {
        assertThat(Checks.unknownMetrics(
                        List.of(
                                "sum(rate(rollguard_alert_webhook_deliveries_total[5m]))",
                                "rollguard_made_up_seconds_count > 1",
                                "rollguard_outbox_pending > 0"),
                        Set.of("rollguard.alert.webhook.deliveries"),
                        Set.of()))
                .containsExactly(
                        "rollguard_made_up_seconds_count is exposed by no service (and not listed as pending)",
                        "rollguard_outbox_pending is exposed by no service (and not listed as pending)");
    }

    @Test
    void anOrphanFileAnUnparsableManifestOrACommittedSecretFails(@TempDir Path k8s) throws IOException {
        Files.createDirectories(k8s.resolve("base"));
        Files.writeString(k8s.resolve("base/kustomization.yaml"), "resources: [app.yaml, broken.yaml]\n");
        Files.writeString(
                k8s.resolve("base/app.yaml"),
                """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: app}
                """);
        Files.writeString(
                k8s.resolve("base/broken.yaml"),
                """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: broken}
                data: [not, a, map]
                """);
        Files.writeString(
                k8s.resolve("base/forgotten.yaml"),
                """
                apiVersion: v1
                kind: Secret
                metadata: {name: db}
                stringData: {password: hunter2}
                """);
        assertThat(Checks.filesOutsideKustomizations(k8s, List.of("base")))
                .anySatisfy(v -> assertThat(v).startsWith("base/forgotten.yaml: used by no kustomization"))
                .anySatisfy(v -> assertThat(v).startsWith("base/broken.yaml: "))
                .hasSize(2);
        assertThat(Checks.secretFiles(k8s)).containsExactly("base/forgotten.yaml: Secret db");
    }

    @Test
    void kustomizeRefusesWhatItCannotAssembleFaithfully(@TempDir Path dir) throws IOException {
        Files.writeString(
                dir.resolve("cm.yaml"),
                """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: a}
                data: {X: "1"}
                """);
        Files.writeString(
                dir.resolve("kustomization.yaml"),
                """
                resources: [cm.yaml]
                commonLabels: {a: b}
                """);
        assertThatThrownBy(() -> Kustomize.build(dir)).hasMessageContaining("'commonLabels' is not supported");

        Files.writeString(
                dir.resolve("patch.yaml"),
                """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: other}
                data: {X: "2"}
                """);
        Files.writeString(
                dir.resolve("kustomization.yaml"),
                """
                resources: [cm.yaml]
                patches: [{path: patch.yaml}]
                """);
        assertThatThrownBy(() -> Kustomize.build(dir)).hasMessageContaining("matches no resource");
    }
}
