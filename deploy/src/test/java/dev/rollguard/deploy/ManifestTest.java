package dev.rollguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.infra.Promtool;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks deploy/k8s without a cluster: every manifest parses with the Kubernetes model, and the base and each
 * overlay, assembled as {@code kubectl apply -k} would apply them, fit the services' own configuration.
 */
class ManifestTest {

    /**
     * Meters the PrometheusRule and the dashboard use that no service registers yet (deploy/k8s/README.md,
     * "Metrics"): rules and panels on them stay empty until the service adds them.
     */
    static final Set<String> PENDING_METERS = Set.of();

    /** The four services and the console, with what each one's application.properties says. */
    static final List<Repo.ServiceConfig> SERVICES =
            Repo.DEPLOYED.stream().map(Repo::service).toList();

    static Stream<Manifests> variants() {
        return Stream.of("base", "overlays/dev", "overlays/prod")
                .map(dir -> Manifests.kustomize(Repo.K8S.resolve(dir)));
    }

    static Stream<Manifests> productionVariants() {
        return variants().filter(m -> !m.origin().equals("overlays/dev"));
    }

    @Test
    void everyManifestFileIsPartOfAKustomizationAndParses() {
        assertThat(Checks.yamlFiles(Repo.K8S)).as("YAML files under deploy/k8s").hasSizeGreaterThan(20);
        assertThat(Checks.filesOutsideKustomizations(
                        Repo.K8S, List.of("base", "overlays/dev", "overlays/prod", "examples")))
                .isEmpty();
    }

    @Test
    void generatedManifestsAreUpToDateWithTheirSettings() {
        for (String s : Repo.SERVICES) {
            Manifests generated = Manifests.of(
                    s, Yaml.documents(Repo.K8S.resolve("base").resolve(s).resolve("kubernetes.yml")));
            assertThat(Checks.generatedMatchesSettings(generated, s, Repo.generationSettings(s)))
                    .as(s)
                    .isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void kindsAndApiVersionsAreServedByKubernetesOrTheNamedOperators(Manifests m) {
        assertThat(m.resources()).hasSizeGreaterThan(20);
        assertThat(Checks.kindsAndApiVersions(m)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void probesAndPortsPointAtTheServicesHealthEndpointsAndHttpPort(Manifests m) {
        assertThat(Checks.each(SERVICES, s -> Checks.probesAndPorts(m, s))).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void everyVariableAServiceNeedsComesFromItsConfigMapsOrASecretReference(Manifests m) {
        assertThat(Checks.each(SERVICES, s -> Checks.configuration(m, s))).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void noSecretValueIsInTheManifests(Manifests m) {
        assertThat(Checks.noLiteralSecrets(m)).isEmpty();
    }

    @Test
    void noSecretResourceIsAnywhereUnderDeploy() {
        assertThat(Checks.secretFiles(Repo.ROOT.resolve("deploy"))).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void servicesRunAsNonRootOnAReadOnlyRootFilesystem(Manifests m) {
        assertThat(Checks.each(Repo.DEPLOYED, s -> Checks.security(m, s))).isEmpty();
        assertThat(Checks.writablePaths(m, "metrics-ingest", "KAFKA_STREAMS_STATE_DIR"))
                .isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void everyServiceRunsTheKubernetesProfileOnTopOfProd(Manifests m) {
        assertThat(Checks.each(SERVICES, s -> Checks.kubernetesProfile(m, s))).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void terminationGracePeriodIsAboveShutdownDelayPlusTimeout(Manifests m) {
        assertThat(Checks.each(SERVICES, s -> Checks.gracefulShutdown(m, s))).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void everyServiceHasResourceRequestsAndLimitsAndADisruptionBudget(Manifests m) {
        assertThat(Checks.each(Repo.DEPLOYED, s -> Checks.resources(m, s))).isEmpty();
        assertThat(Checks.each(Repo.DEPLOYED, s -> Checks.disruptionBudget(m, s)))
                .isEmpty();
        assertThat(Checks.each(Repo.DEPLOYED, s -> Checks.spreadAcrossNodes(m, s)))
                .isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void disruptionBudgetsLetANodeDrainEvictAPod(Manifests m) {
        assertThat(m.all(io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class))
                .hasSize(Repo.DEPLOYED.size());
        assertThat(Checks.budgetsAllowDrains(m)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void everyDeploymentRunsTheImageThisRepositoryBuildsUnderItsNameAndTag(Manifests m) {
        assertThat(m.all(Deployment.class)).hasSize(Repo.DEPLOYED.size());
        assertThat(Checks.images(
                        m,
                        Repo.modulesWithDockerfile(),
                        Repo.IMAGE_REGISTRY,
                        Repo.rootPomProperty("rollguard.image.tag")))
                .isEmpty();
    }

    @Test
    void theOverlaysTagEveryImageWithTheTagTheImagesGet() throws IOException {
        String tag = Repo.rootPomProperty("rollguard.image.tag");
        for (String overlay : List.of("overlays/dev", "overlays/prod")) {
            JsonNode kustomization = Yaml.MAPPER.readTree(
                    Repo.K8S.resolve(overlay).resolve("kustomization.yaml").toFile());
            assertThat(kustomization.path("images").findValuesAsText("name"))
                    .as(overlay)
                    .containsExactlyInAnyOrderElementsOf(Repo.DEPLOYED.stream()
                            .map(s -> Repo.IMAGE_REGISTRY + "/" + s)
                            .toList());
            assertThat(kustomization.path("images").findValuesAsText("newTag"))
                    .as(overlay)
                    .containsOnly(tag);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void theConsoleRunsTwoReplicasThatShareSessionsAndReachesTheServices(Manifests m) {
        assertThat(Checks.consoleReachesTheServices(m)).isEmpty();
        Deployment console = m.deployment("console").orElseThrow();
        assertThat(console.getSpec().getReplicas())
                .as("replicas")
                .isEqualTo(m.origin().equals("overlays/dev") ? 1 : 2);
        assertThat(console.getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getEnv())
                .as("every replica seals sessions with the same key, from the Secret")
                .anySatisfy(e -> {
                    assertThat(e.getName()).isEqualTo("CONSOLE_SESSION_SECRET");
                    assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("rollguard-console");
                });
        boolean https = !m.all(io.fabric8.kubernetes.api.model.networking.v1.Ingress.class)
                .isEmpty();
        assertThat(Checks.value(
                        m,
                        console.getSpec()
                                .getTemplate()
                                .getSpec()
                                .getContainers()
                                .get(0),
                        "CONSOLE_SESSION_SECURE_COOKIE"))
                .as("a Secure cookie exactly where the console is served over HTTPS")
                .isEqualTo(String.valueOf(https));
        assertThat(https).isEqualTo(m.origin().equals("overlays/prod"));
        // Notifications link to the console: where an Ingress publishes it, at its host; never the service's default,
        // localhost, outside the port-forwarded dev overlay.
        String links = Checks.value(
                m,
                m.deployment("alert-service")
                        .orElseThrow()
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0),
                "ALERT_SERVICE_WEBHOOKS_CONSOLE_URL");
        assertThat(links).as("alert-service's console URL").isNotBlank();
        for (var ingress : m.all(io.fabric8.kubernetes.api.model.networking.v1.Ingress.class)) {
            assertThat(links)
                    .as("alert-service's console URL against the console Ingress")
                    .isEqualTo("https://" + ingress.getSpec().getRules().get(0).getHost());
        }
        if (!m.origin().equals("overlays/dev")) {
            assertThat(links).as("alert-service's console URL").doesNotContain("localhost");
        }
    }

    @Test
    void theReadmesCiteOnlyFilesThatExist() {
        assertThat(Checks.missingCitedFiles(Repo.K8S.resolve("README.md"), Repo.ROOT))
                .isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void flagServiceIsScaledByItsAutoscalerAlone(Manifests m) {
        assertThat(Checks.autoscaler(m, "flag-service")).isEmpty();
        // The raw manifest: the fabric8 model reads an absent replica count as its default, 1.
        ObjectNode deployment = Kustomize.build(Repo.K8S.resolve(m.origin())).stream()
                .filter(r -> r.path("kind").asText().equals("Deployment"))
                .filter(r -> r.path("metadata").path("name").asText().equals("flag-service"))
                .findFirst()
                .orElseThrow();
        assertThat(deployment.path("spec").has("replicas"))
                .as("a fixed replica count would reset the autoscaler's on every apply")
                .isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void everyServiceIsScrapedOnItsMetricsPath(Manifests m) {
        assertThat(Checks.each(SERVICES, s -> Checks.serviceMonitor(m, s))).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("productionVariants")
    void topicsMatchTheTopicPlanWithProductionReplication(Manifests m) {
        assertThat(m.custom("KafkaTopic")).isNotEmpty();
        assertThat(Checks.topics(m, true)).isEmpty();
        assertThat(topic(m, "flags.changes").get("spec").toString()).contains("cleanup.policy=compact");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void kafkaStreamsInternalTopicsAreReplicatedLikeTheDeclaredTopics(Manifests m) {
        // Unset, Kafka Streams creates its changelogs with the broker's default.replication.factor (1 on stock Kafka).
        var container = m.deployment("metrics-ingest")
                .orElseThrow()
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);
        Set<Integer> declared = new java.util.TreeSet<>();
        m.custom("KafkaTopic")
                .forEach(t -> declared.add(((Number) ((Map<?, ?>) t.get("spec")).get("replicas")).intValue()));
        assertThat(declared).as("replicas of the KafkaTopics").hasSize(1);
        assertThat(Checks.value(m, container, "KAFKA_STREAMS_REPLICATION_FACTOR"))
                .as("metrics-ingest's KAFKA_STREAMS_REPLICATION_FACTOR")
                .isEqualTo(String.valueOf(declared.iterator().next()));
        int instances = m.deployment("metrics-ingest").orElseThrow().getSpec().getReplicas();
        int standbys = Integer.parseInt(Checks.value(m, container, "KAFKA_STREAMS_NUM_STANDBY_REPLICAS"));
        assertThat(standbys)
                .as("standby replicas of each task, at %d instances", instances)
                .isLessThan(instances);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void metricsIngestMemoryPartsFitItsLimit(Manifests m) {
        // The heap, RocksDB's shared cache and the rest of the process each need their share of the limit; glibc's
        // arenas (one per thread up to eight per core of the node, not of the pod) would otherwise grow the rest
        // without bound (metrics-ingest/README.md, "Memory").
        var container = m.deployment("metrics-ingest")
                .orElseThrow()
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);
        Map<String, String> config =
                m.configMap("metrics-ingest-config").orElseThrow().getData();
        double limit = container
                .getResources()
                .getLimits()
                .get("memory")
                .getNumericalAmount()
                .doubleValue();
        double heap = limit * Integer.parseInt(config.get("JAVA_MAX_MEM_RATIO")) / 100;
        double rocksDb = Long.parseLong(config.get("METRICS_INGEST_ROCKSDB_MEMORY_BYTES"));
        assertThat(limit - heap - rocksDb)
                .as("bytes of the limit left for the rest of the process")
                .isGreaterThanOrEqualTo(512.0 * 1024 * 1024);
        assertThat(config).as("metrics-ingest-config").containsKey("MALLOC_ARENA_MAX");
        assertThat(Integer.parseInt(config.get("MALLOC_ARENA_MAX")))
                .as("glibc arenas")
                .isBetween(1, 4);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void metricsIngestStateIsBoundedAndRequestedOnNodeDisk(Manifests m) {
        // Without a request the kubelet evicts this pod first under disk pressure; without a limit it can fill the
        // node.
        var pod = m.deployment("metrics-ingest")
                .orElseThrow()
                .getSpec()
                .getTemplate()
                .getSpec();
        var state = pod.getVolumes().stream()
                .filter(v -> v.getName().equals("streams-state"))
                .findFirst()
                .orElseThrow();
        var request = pod.getContainers().get(0).getResources().getRequests().get("ephemeral-storage");
        assertThat(state.getEmptyDir().getSizeLimit())
                .as("sizeLimit of the state volume")
                .isNotNull();
        assertThat(request).as("ephemeral-storage request").isNotNull();
        assertThat(request.getNumericalAmount())
                .as("ephemeral-storage request within the state volume's sizeLimit")
                .isLessThanOrEqualTo(state.getEmptyDir().getSizeLimit().getNumericalAmount());
    }

    @Test
    void theOverlaysLabelTheMonitoringObjectsForKubePrometheusStack() {
        // Its Prometheus selects ServiceMonitors, PodMonitors and PrometheusRules by release: <Helm release>.
        for (String overlay : List.of("overlays/dev", "overlays/prod")) {
            Manifests m = Manifests.kustomize(Repo.K8S.resolve(overlay));
            assertThat(m.resources().stream()
                            .filter(r -> Set.of("ServiceMonitor", "PodMonitor", "PrometheusRule")
                                    .contains(r.getKind()))
                            .toList())
                    .as(overlay)
                    .hasSizeGreaterThanOrEqualTo(6)
                    .allSatisfy(r -> assertThat(r.getMetadata().getLabels())
                            .as(overlay + " " + Checks.id(r))
                            .containsEntry("release", "kube-prometheus-stack"));
        }
    }

    @Test
    void theDevOverlayRunsOnASingleBroker() {
        Manifests dev = Manifests.kustomize(Repo.K8S.resolve("overlays/dev"));
        assertThat(Checks.topics(dev, false)).isEmpty();
        assertThat(dev.custom("KafkaNodePool")).singleElement().satisfies(pool -> assertThat(
                        ((Number) ((Map<?, ?>) pool.get("spec")).get("replicas")).intValue())
                .isEqualTo(1));
        assertThat(dev.resources())
                .allSatisfy(r -> assertThat(r.getMetadata().getNamespace()).isEqualTo("rollguard-dev"));
        assertThat(dev.all(Deployment.class)).allSatisfy(d -> assertThat(d.getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getImage())
                .endsWith(":0.1.0"));
    }

    @Test
    void theExamplesAreMarkedAsExamples() {
        for (String file : List.of(
                "examples/kafka/kafka.yaml", "examples/postgres/postgres.yaml", "examples/kustomization.yaml")) {
            assertThat(Repo.lines(Repo.K8S.resolve(file)).get(0)).as(file).contains("EXAMPLE");
        }
        Manifests examples = Manifests.kustomize(Repo.K8S.resolve("examples"));
        assertThat(examples.custom("Kafka")).hasSize(1);
        assertThat(examples.custom("Database").stream()
                        .map(d -> String.valueOf(((Map<?, ?>) d.get("spec")).get("name"))))
                .containsExactlyInAnyOrder("rollguard_alerts", "rollguard_rollbacks");
        assertThat(examples.custom("Cluster").get(0).get("spec").toString()).contains("database=rollguard_flags");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void prometheusRuleUsesMetricsTheServicesExpose(Manifests m) {
        List<String> expressions = new ArrayList<>();
        for (GenericKubernetesResource rule : m.custom("PrometheusRule")) {
            for (Object group : (List<?>) ((Map<?, ?>) rule.get("spec")).get("groups")) {
                for (Object r : (List<?>) ((Map<?, ?>) group).get("rules")) {
                    expressions.add(String.valueOf(((Map<?, ?>) r).get("expr")));
                }
            }
        }
        assertThat(String.join("\n", expressions))
                .contains(
                        "kafka_consumergroup_lag",
                        "dlq",
                        "outbox",
                        "webhook",
                        "kube_deployment_status_replicas_available",
                        // Evidence that did not reach its window: late telemetry, and records Kafka Streams dropped
                        // (the name Micrometer's KafkaStreamsMetrics binder gives dropped-records-total).
                        "rollguard_ingest_late_events_total",
                        "kafka_stream_task_dropped_records_total",
                        // An alert transition the relay gave up on never reaches the rollback-service.
                        "rollguard_alert_relay_dead_letters_total");
        assertThat(Checks.unknownMetrics(expressions, Repo.meterNames(), PENDING_METERS))
                .isEmpty();
    }

    @Test
    void dashboardComparesCohortsPerFlagAnnotatesAlertsAndShowsLateAndDroppedTelemetry() throws IOException {
        JsonNode dashboard = new ObjectMapper()
                .readTree(Repo.K8S.resolve("grafana/rollguard-flags.json").toFile());
        List<String> expressions = new ArrayList<>();
        dashboard.findValues("expr").forEach(e -> expressions.add(e.asText()));
        assertThat(dashboard.findValuesAsText("name")).contains("flag");
        assertThat(dashboard.path("panels").findValuesAsText("repeat")).contains("flag");
        assertThat(expressions)
                .anySatisfy(e -> assertThat(e).contains("success", "$flag", "cohort"))
                .anySatisfy(e -> assertThat(e).contains("error", "$flag", "cohort"))
                .anySatisfy(e -> assertThat(e).contains("p95", "$flag", "cohort"))
                .anySatisfy(e -> assertThat(e).contains("rollguard_ingest_late_events_total"))
                .anySatisfy(e -> assertThat(e).contains("kafka_stream_task_dropped_records_total"));
        assertThat(dashboard.path("annotations").path("list").findValuesAsText("expr"))
                .anySatisfy(e -> assertThat(e).contains("rollguard_alert_transitions_total"))
                .anySatisfy(e -> assertThat(e).contains("rollguard_rollback_actions_total"))
                .anySatisfy(e -> assertThat(e).contains("rollguard_rollout_steps_total"))
                .as("annotations select the flag by a label their counters carry")
                .allSatisfy(e -> assertThat(e).contains("flag=~\"$flag\""));
        assertThat(Checks.unknownMetrics(
                        dashboard.path("annotations").path("list").findValuesAsText("expr"),
                        Repo.meterNames(),
                        PENDING_METERS))
                .isEmpty();
        assertThat(Checks.unknownMetrics(expressions, Repo.meterNames(), PENDING_METERS))
                .isEmpty();
    }

    @Test
    void theAlertingRulesPassPromtoolCheckRules(@TempDir Path dir) throws IOException {
        List<GenericKubernetesResource> rules =
                Manifests.kustomize(Repo.K8S.resolve("base")).custom("PrometheusRule");
        assertThat(rules).isNotEmpty();
        List<Path> files = new ArrayList<>();
        for (GenericKubernetesResource rule : rules) {
            // The PrometheusRule's spec is a Prometheus rule file: what the operator hands to Prometheus.
            Path file = dir.resolve(rule.getMetadata().getName() + ".rules.yaml");
            Yaml.MAPPER.writeValue(file.toFile(), Map.of("groups", ((Map<?, ?>) rule.get("spec")).get("groups")));
            files.add(file);
        }

        Promtool.Result check = Promtool.checkRules(files.toArray(Path[]::new));
        Promtool.keep(
                "prometheus-rules",
                String.join(
                        "\n---\n",
                        files.stream()
                                .map(f -> String.join("\n", Repo.lines(f)))
                                .toList()),
                check);

        assertThat(check.ok()).as("promtool check rules: %s", check.output()).isTrue();
        assertThat(check.output()).contains("SUCCESS").doesNotContain("WARNING", "FAILED");
    }

    @Test
    void theContractsTableIsReadable() {
        assertThat(Repo.contractTokens("flag-service"))
                .contains("ROLLGUARD_ADMIN_TOKEN", "ROLLGUARD_SERVICE_TOKEN", "ROLLGUARD_CLIENT_TOKEN");
        assertThat(Repo.contractTokens("metrics-ingest")).contains("ROLLGUARD_PRODUCER_TOKEN");
        assertThat(Repo.meterNames()).isNotEmpty();
    }

    static GenericKubernetesResource topic(Manifests m, String name) {
        return m.custom("KafkaTopic").stream()
                .filter(t -> name.equals(((Map<?, ?>) t.get("spec")).get("topicName")))
                .findFirst()
                .orElseThrow();
    }
}
