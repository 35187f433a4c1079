package dev.rollguard.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.infra.TopicPlan;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * What the manifests must satisfy, each check returning the violations it found (empty when all is well), so that a
 * test can assert both that the real manifests pass and that a broken copy fails.
 */
final class Checks {

    /** Built-in API versions the manifests may use: the current, non-deprecated ones. */
    static final Set<String> BUILT_IN_API_VERSIONS = Set.of(
            "v1",
            "apps/v1",
            "policy/v1",
            "autoscaling/v2",
            "rbac.authorization.k8s.io/v1",
            "batch/v1",
            "networking.k8s.io/v1");

    /** Custom resources the manifests may use, by "apiVersion kind", with the operator that serves them. */
    static final Map<String, String> CUSTOM_KINDS = Map.of(
            "kafka.strimzi.io/v1 Kafka", "Strimzi",
            "kafka.strimzi.io/v1 KafkaNodePool", "Strimzi",
            "kafka.strimzi.io/v1 KafkaTopic", "Strimzi",
            "monitoring.coreos.com/v1 ServiceMonitor", "Prometheus Operator",
            "monitoring.coreos.com/v1 PodMonitor", "Prometheus Operator",
            "monitoring.coreos.com/v1 PrometheusRule", "Prometheus Operator",
            "postgresql.cnpg.io/v1 Cluster", "CloudNativePG",
            "postgresql.cnpg.io/v1 Database", "CloudNativePG");

    /**
     * Typed models of the custom resources that have one on Maven Central: the Prometheus Operator's (registered by
     * fabric8's openshift-model-monitoring) and Strimzi's. CloudNativePG publishes none; its resources are checked
     * by kind only.
     */
    static final KubernetesSerialization CUSTOM_MODELS = new KubernetesSerialization();

    static {
        CUSTOM_MODELS.registerKubernetesResource("kafka.strimzi.io/v1", "Kafka", Kafka.class);
        CUSTOM_MODELS.registerKubernetesResource("kafka.strimzi.io/v1", "KafkaNodePool", KafkaNodePool.class);
        CUSTOM_MODELS.registerKubernetesResource("kafka.strimzi.io/v1", "KafkaTopic", KafkaTopic.class);
    }

    /** Names that hold secrets: such variables may only come from a Secret reference. */
    /**
     * Readiness checks other than {@code ready}: the flag-service must keep serving evaluations from its snapshot
     * while PostgreSQL is down, so its pods stay in the Service on the {@code evaluation} health group.
     */
    static final Map<String, String> READINESS_CHECK = Map.of("flag-service", "group/evaluation");

    static final Pattern SECRET_NAME = Pattern.compile("(?i).*(TOKEN|PASSWORD|SECRET|CREDENTIAL|PRIVATE_KEY).*");

    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

    /** The console's service URLs (ConsoleConfig.Services) and the Service each must name. */
    static final Map<String, String> CONSOLE_SERVICE_URLS = Map.of(
            "CONSOLE_SERVICES_FLAG_SERVICE", "flag-service",
            "CONSOLE_SERVICES_METRICS_INGEST", "metrics-ingest",
            "CONSOLE_SERVICES_ALERT_SERVICE", "alert-service",
            "CONSOLE_SERVICES_ROLLBACK_SERVICE", "rollback-service");

    private static final Pattern CITED_FILE = Pattern.compile(
            "(?<![\\w<>/.-])([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.*-]+)*\\.(?:md|ya?ml|json|sh|properties|java))\\b");

    private Checks() {}

    // --- kinds and API versions --------------------------------------------------------------------------------

    static List<String> kindsAndApiVersions(Manifests m) {
        List<String> violations = new ArrayList<>();
        for (HasMetadata r : m.resources()) {
            String id = id(r);
            String name = r.getMetadata() == null ? null : r.getMetadata().getName();
            if (name == null || !DNS_SUBDOMAIN.matcher(name).matches()) {
                violations.add(id + ": metadata.name '" + name + "' is not a valid Kubernetes name");
            }
            if (r instanceof GenericKubernetesResource) {
                String key = r.getApiVersion() + " " + r.getKind();
                if (!CUSTOM_KINDS.containsKey(key)) {
                    violations.add(id + ": " + key + " is neither a Kubernetes kind nor a known custom resource");
                } else {
                    KubernetesResource typed;
                    try {
                        typed = CUSTOM_MODELS.unmarshal(Manifests.SERIALIZATION.asJson(r), KubernetesResource.class);
                    } catch (RuntimeException e) {
                        violations.add(
                                id + ": does not fit the " + CUSTOM_KINDS.get(key) + " model: " + e.getMessage());
                        continue;
                    }
                    if (!(typed instanceof GenericKubernetesResource)) {
                        for (String path : unknownFields(typed)) {
                            violations.add(id + ": unknown field " + path);
                        }
                    }
                }
            } else if (!BUILT_IN_API_VERSIONS.contains(r.getApiVersion())) {
                violations.add(id + ": apiVersion " + r.getApiVersion() + " is deprecated or removed");
            } else {
                for (String path : unknownFields(r)) {
                    violations.add(id + ": unknown field " + path);
                }
            }
        }
        return violations;
    }

    /**
     * Fields the fabric8 model did not recognise (it keeps them as "additional properties"): a misspelt field such
     * as {@code readinesProbe} would otherwise be silently dropped by the API server.
     */
    static List<String> unknownFields(Object model) {
        List<String> found = new ArrayList<>();
        walk(model, "", found, new IdentityHashMap<>());
        return found;
    }

    private static void walk(Object node, String path, List<String> found, IdentityHashMap<Object, Boolean> seen) {
        if (node == null || seen.put(node, Boolean.TRUE) != null) {
            return;
        }
        if (node instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                walk(item, path + "[" + i++ + "]", found, seen);
            }
            return;
        }
        String type = node.getClass().getName();
        if (!type.startsWith("io.fabric8.kubernetes.api.model")
                && !type.startsWith("io.fabric8.openshift.api.model")
                && !type.startsWith("io.strimzi.api")) {
            return;
        }
        for (Method getter : node.getClass().getMethods()) {
            if (getter.getParameterCount() != 0
                    || Modifier.isStatic(getter.getModifiers())
                    || !getter.getName().startsWith("get")
                    || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            Object value;
            try {
                value = getter.invoke(node);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            String field = Character.toLowerCase(getter.getName().charAt(3))
                    + getter.getName().substring(4);
            if (field.equals("additionalProperties") && value instanceof Map<?, ?> extra) {
                extra.keySet().forEach(key -> found.add(path + "." + key));
            } else if (value instanceof Map<?, ?> map) {
                map.forEach((key, item) -> walk(item, path + "." + field + "." + key, found, seen));
            } else {
                walk(value, path + "." + field, found, seen);
            }
        }
    }

    // --- probes and ports --------------------------------------------------------------------------------------

    static List<String> probesAndPorts(Manifests m, Repo.ServiceConfig config) {
        List<String> violations = new ArrayList<>();
        String s = config.name();
        Optional<Container> found = container(m, s);
        if (found.isEmpty()) {
            return List.of(s + ": no Deployment with a container named " + s);
        }
        Container c = found.get();
        Map<String, Integer> named = new LinkedHashMap<>();
        for (ContainerPort port : c.getPorts()) {
            named.put(port.getName(), port.getContainerPort());
        }
        if (!named.containsValue(config.httpPort())) {
            violations.add(s + ": container ports " + named + " do not include quarkus.http.port " + config.httpPort());
        }
        Map<String, Probe> probes = new LinkedHashMap<>();
        probes.put("started", c.getStartupProbe());
        probes.put("live", c.getLivenessProbe());
        probes.put("ready", c.getReadinessProbe());
        probes.forEach((check, probe) -> {
            String expected = config.healthRoot() + "/"
                    + (check.equals("ready") ? READINESS_CHECK.getOrDefault(s, check) : check);
            HTTPGetAction get = probe == null ? null : probe.getHttpGet();
            if (get == null) {
                violations.add(s + ": no HTTP probe on " + expected);
                return;
            }
            if (!expected.equals(get.getPath())) {
                violations.add(s + ": probe on " + get.getPath() + " instead of " + expected);
            }
            Integer port = port(get.getPort(), named);
            if (!Objects.equals(port, config.httpPort())) {
                violations.add(
                        s + ": probe on " + expected + " uses port " + get.getPort() + ", not " + config.httpPort());
            }
        });
        Optional<Service> service = m.service(s);
        if (service.isEmpty()) {
            violations.add(s + ": no Service");
        } else {
            for (ServicePort port : service.get().getSpec().getPorts()) {
                if (!Objects.equals(port(port.getTargetPort(), named), config.httpPort())) {
                    violations.add(s + ": Service targetPort " + port.getTargetPort() + " is not quarkus.http.port "
                            + config.httpPort());
                }
            }
            Map<String, String> podLabels = podLabels(m, s);
            if (!podLabels
                    .entrySet()
                    .containsAll(service.get().getSpec().getSelector().entrySet())) {
                violations.add(s + ": Service selector does not select the Deployment's pods");
            }
        }
        return violations;
    }

    private static Integer port(IntOrString port, Map<String, Integer> named) {
        if (port == null) {
            return null;
        }
        return port.getIntVal() != null ? port.getIntVal() : named.get(port.getStrVal());
    }

    // --- configuration ------------------------------------------------------------------------------------------

    /** The environment variables a service needs: contracts.md, its application.properties and its datasource. */
    static Set<String> requiredEnvironment(Repo.ServiceConfig config) {
        Set<String> required = new LinkedHashSet<>();
        required.add("KAFKA_BOOTSTRAP_SERVERS");
        if (config.database()) {
            required.addAll(List.of(
                    "QUARKUS_DATASOURCE_REACTIVE_URL",
                    "QUARKUS_DATASOURCE_JDBC_URL",
                    "QUARKUS_DATASOURCE_USERNAME",
                    "QUARKUS_DATASOURCE_PASSWORD"));
        }
        required.addAll(Repo.contractTokens(config.name()));
        required.addAll(config.environmentReferences());
        if (config.name().equals("console")) {
            // The services it shows (ConsoleConfig, defaults on 127.0.0.1), and the key every replica seals
            // sessions with: without it each replica refuses the others' sessions.
            required.addAll(CONSOLE_SERVICE_URLS.keySet());
            required.add("CONSOLE_SESSION_SECRET");
        }
        return required;
    }

    /** How each variable reaches the container: "configmap", "secret", "value" or "field". */
    static Map<String, String> environment(Manifests m, Container c, List<String> violations, String s) {
        Map<String, String> sources = new LinkedHashMap<>();
        for (EnvFromSource from : c.getEnvFrom()) {
            if (from.getConfigMapRef() != null) {
                String name = from.getConfigMapRef().getName();
                Optional<ConfigMap> map = m.configMap(name);
                if (map.isEmpty()) {
                    violations.add(s + ": envFrom names ConfigMap " + name + ", which is not in the manifests");
                } else if (map.get().getData() != null) {
                    map.get().getData().keySet().forEach(key -> sources.put(key, "configmap " + name));
                }
            }
            if (from.getSecretRef() != null) {
                violations.add(
                        s + ": envFrom a whole Secret (" + from.getSecretRef().getName()
                                + "); reference each secret key instead, so the needed keys are visible");
            }
        }
        for (EnvVar env : c.getEnv()) {
            String how;
            if (env.getValueFrom() == null) {
                how = "value";
            } else if (env.getValueFrom().getSecretKeyRef() != null) {
                how = "secret";
            } else if (env.getValueFrom().getConfigMapKeyRef() != null) {
                how = "configmap";
            } else {
                how = "field";
            }
            sources.put(env.getName(), how);
        }
        return sources;
    }

    static List<String> configuration(Manifests m, Repo.ServiceConfig config) {
        List<String> violations = new ArrayList<>();
        String s = config.name();
        Optional<Container> c = container(m, s);
        if (c.isEmpty()) {
            return List.of(s + ": no Deployment with a container named " + s);
        }
        Map<String, String> provided = environment(m, c.get(), violations, s);
        for (String variable : requiredEnvironment(config)) {
            String how = provided.get(variable);
            if (how == null) {
                violations.add(s + ": " + variable + " is needed but neither in its ConfigMaps nor a Secret reference");
            } else if (SECRET_NAME.matcher(variable).matches() && !how.equals("secret")) {
                violations.add(s + ": " + variable + " comes from " + how + "; secrets only by Secret reference");
            }
        }
        return violations;
    }

    // --- secrets ------------------------------------------------------------------------------------------------

    static List<String> noLiteralSecrets(Manifests m) {
        List<String> violations = new ArrayList<>();
        for (Secret secret : m.all(Secret.class)) {
            if (!secret.getData().isEmpty() || !secret.getStringData().isEmpty()) {
                violations.add(id(secret) + ": a Secret with values in the repository");
            }
        }
        for (Deployment d : m.all(Deployment.class)) {
            PodSpec pod = d.getSpec().getTemplate().getSpec();
            List<Container> containers = new ArrayList<>(pod.getContainers());
            containers.addAll(pod.getInitContainers());
            for (Container c : containers) {
                for (EnvVar env : c.getEnv()) {
                    if (SECRET_NAME.matcher(env.getName()).matches() && env.getValue() != null) {
                        violations.add(id(d) + ": " + env.getName() + " has a literal value");
                    }
                }
            }
        }
        for (ConfigMap map : m.all(ConfigMap.class)) {
            if (map.getData() != null) {
                map.getData().forEach((key, value) -> {
                    if (SECRET_NAME.matcher(key).matches()) {
                        violations.add(id(map) + ": " + key + " is a secret in a ConfigMap");
                    }
                    if (value != null && value.matches("(?s).*://[^/\\s:@]+:[^/\\s@]+@.*")) {
                        violations.add(id(map) + ": " + key + " carries a password in a URL");
                    }
                });
            }
        }
        return violations;
    }

    // --- security -----------------------------------------------------------------------------------------------

    static List<String> security(Manifests m, String s) {
        List<String> violations = new ArrayList<>();
        Optional<Deployment> d = m.deployment(s);
        if (d.isEmpty()) {
            return List.of(s + ": no Deployment");
        }
        PodSpec pod = d.get().getSpec().getTemplate().getSpec();
        Container c = container(m, s).orElseThrow();
        Boolean podNonRoot = pod.getSecurityContext() == null
                ? null
                : pod.getSecurityContext().getRunAsNonRoot();
        Boolean containerNonRoot =
                c.getSecurityContext() == null ? null : c.getSecurityContext().getRunAsNonRoot();
        if (!Boolean.TRUE.equals(containerNonRoot != null ? containerNonRoot : podNonRoot)) {
            violations.add(s + ": not runAsNonRoot");
        }
        if (c.getSecurityContext() == null
                || !Boolean.TRUE.equals(c.getSecurityContext().getReadOnlyRootFilesystem())) {
            violations.add(s + ": root filesystem is not read-only");
        }
        if (c.getSecurityContext() == null
                || !Boolean.FALSE.equals(c.getSecurityContext().getAllowPrivilegeEscalation())) {
            violations.add(s + ": allowPrivilegeEscalation is not false");
        }
        Map<String, Volume> volumes = new LinkedHashMap<>();
        pod.getVolumes().forEach(v -> volumes.put(v.getName(), v));
        Map<String, String> emptyDirMounts = new LinkedHashMap<>();
        for (VolumeMount mount : c.getVolumeMounts()) {
            Volume volume = volumes.get(mount.getName());
            if (volume == null) {
                violations.add(s + ": mount " + mount.getMountPath() + " names no volume");
            } else if (volume.getEmptyDir() != null && !Boolean.TRUE.equals(mount.getReadOnly())) {
                emptyDirMounts.put(mount.getMountPath(), mount.getName());
            }
        }
        if (!emptyDirMounts.containsKey("/tmp")) {
            violations.add(s + ": /tmp is not a writable emptyDir (the root filesystem is read-only)");
        }
        return violations;
    }

    /** Paths a service writes to, named by its configuration, must be on a writable emptyDir. */
    static List<String> writablePaths(Manifests m, String s, String variable) {
        Optional<Container> c = container(m, s);
        if (c.isEmpty()) {
            return List.of(s + ": no Deployment");
        }
        List<String> violations = new ArrayList<>();
        String path = value(m, c.get(), variable);
        if (path == null) {
            return List.of(s + ": " + variable + " is not set");
        }
        PodSpec pod = m.deployment(s).orElseThrow().getSpec().getTemplate().getSpec();
        boolean onEmptyDir = c.get().getVolumeMounts().stream()
                .filter(mount -> !Boolean.TRUE.equals(mount.getReadOnly()))
                .filter(mount -> pod.getVolumes().stream()
                        .anyMatch(v -> v.getName().equals(mount.getName()) && v.getEmptyDir() != null))
                .anyMatch(mount -> mount.getMountPath().equals(path));
        if (!onEmptyDir) {
            violations.add(s + ": " + variable + "=" + path + " has no emptyDir volume mounted on it");
        }
        return violations;
    }

    // --- profiles -----------------------------------------------------------------------------------------------

    /** A service runs the prod profile with the kubernetes one on top (its JSON logs), as QUARKUS_PROFILE says. */
    static List<String> kubernetesProfile(Manifests m, Repo.ServiceConfig config) {
        String s = config.name();
        Optional<Container> c = container(m, s);
        if (c.isEmpty()) {
            return List.of(s + ": no Deployment");
        }
        String profile = value(m, c.get(), "QUARKUS_PROFILE");
        List<String> profiles =
                profile == null ? List.of() : List.of(profile.replace(" ", "").split(","));
        if (!profiles.contains("prod") || !profiles.contains("kubernetes")) {
            return List.of(s + ": QUARKUS_PROFILE is " + profile + ", not prod with kubernetes on top (JSON logs)");
        }
        return List.of();
    }

    // --- graceful shutdown --------------------------------------------------------------------------------------

    static List<String> gracefulShutdown(Manifests m, Repo.ServiceConfig config) {
        String s = config.name();
        Optional<Container> c = container(m, s);
        if (c.isEmpty()) {
            return List.of(s + ": no Deployment");
        }
        Optional<Duration> timeout = Optional.ofNullable(value(m, c.get(), "QUARKUS_SHUTDOWN_TIMEOUT"))
                .map(Repo::duration)
                .or(config::shutdownTimeout);
        Duration delay = Optional.ofNullable(value(m, c.get(), "QUARKUS_SHUTDOWN_DELAY"))
                .map(Repo::duration)
                .or(config::shutdownDelay)
                .orElse(Duration.ZERO);
        if (timeout.isEmpty()) {
            return List.of(s + ": quarkus.shutdown.timeout is not configured: shutdown would not wait for work");
        }
        Long grace =
                m.deployment(s).orElseThrow().getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
        long graceSeconds = grace == null ? 30 : grace;
        Duration needed = timeout.get().plus(delay);
        if (graceSeconds <= needed.toSeconds()) {
            return List.of(s + ": terminationGracePeriodSeconds " + graceSeconds
                    + " is not above shutdown delay + timeout (" + needed.toSeconds() + " s)");
        }
        return List.of();
    }

    // --- resources, disruption, scaling -------------------------------------------------------------------------

    static List<String> resources(Manifests m, String s) {
        Optional<Container> c = container(m, s);
        if (c.isEmpty()) {
            return List.of(s + ": no Deployment");
        }
        List<String> violations = new ArrayList<>();
        var requirements = c.get().getResources();
        for (String resource : List.of("cpu", "memory")) {
            Quantity request =
                    requirements == null ? null : requirements.getRequests().get(resource);
            Quantity limit =
                    requirements == null ? null : requirements.getLimits().get(resource);
            if (request == null || limit == null) {
                violations.add(s + ": no " + resource + " request and limit");
            } else if (request.getNumericalAmount().compareTo(limit.getNumericalAmount()) > 0) {
                violations.add(s + ": " + resource + " request " + request + " above limit " + limit);
            }
        }
        return violations;
    }

    static List<String> disruptionBudget(Manifests m, String s) {
        Map<String, String> labels = podLabels(m, s);
        boolean covered = m.all(PodDisruptionBudget.class).stream()
                .map(pdb -> pdb.getSpec().getSelector().getMatchLabels())
                .anyMatch(selector -> !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet()));
        return covered ? List.of() : List.of(s + ": no PodDisruptionBudget selects its pods");
    }

    static List<String> spreadAcrossNodes(Manifests m, String s) {
        Optional<Deployment> d = m.deployment(s);
        if (d.isEmpty()) {
            return List.of(s + ": no Deployment");
        }
        Map<String, String> labels = podLabels(m, s);
        boolean spread = d.get().getSpec().getTemplate().getSpec().getTopologySpreadConstraints().stream()
                .anyMatch(c -> "kubernetes.io/hostname".equals(c.getTopologyKey())
                        && c.getLabelSelector() != null
                        && labels.entrySet()
                                .containsAll(
                                        c.getLabelSelector().getMatchLabels().entrySet())
                        && c.getMatchLabelKeys().contains("app.kubernetes.io/name"));
        return spread ? List.of() : List.of(s + ": replicas are not spread across nodes");
    }

    static List<String> autoscaler(Manifests m, String s) {
        List<String> violations = new ArrayList<>();
        Optional<HorizontalPodAutoscaler> hpa = m.all(HorizontalPodAutoscaler.class).stream()
                .filter(h -> "Deployment".equals(h.getSpec().getScaleTargetRef().getKind())
                        && s.equals(h.getSpec().getScaleTargetRef().getName()))
                .findFirst();
        if (hpa.isEmpty()) {
            return List.of(s + ": no HorizontalPodAutoscaler");
        }
        Integer min = hpa.get().getSpec().getMinReplicas();
        if (min == null || min < 1 || hpa.get().getSpec().getMaxReplicas() < min) {
            violations.add(s + ": HorizontalPodAutoscaler replicas " + min + ".."
                    + hpa.get().getSpec().getMaxReplicas());
        }
        return violations;
    }

    // --- monitoring ---------------------------------------------------------------------------------------------

    static List<String> serviceMonitor(Manifests m, Repo.ServiceConfig config) {
        String s = config.name();
        Map<String, String> serviceLabels =
                m.service(s).map(svc -> svc.getMetadata().getLabels()).orElse(Map.of());
        for (GenericKubernetesResource monitor : m.custom("ServiceMonitor")) {
            Map<String, Object> spec = monitor.get("spec");
            @SuppressWarnings("unchecked")
            Map<String, String> match =
                    (Map<String, String>) ((Map<String, Object>) spec.get("selector")).get("matchLabels");
            if (match == null || match.isEmpty() || !serviceLabels.entrySet().containsAll(match.entrySet())) {
                continue;
            }
            List<String> violations = new ArrayList<>();
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> endpoints = (List<Map<String, Object>>) spec.get("endpoints");
            for (Map<String, Object> endpoint : endpoints) {
                if (!config.metricsPath().equals(endpoint.get("path"))) {
                    violations.add(s + ": ServiceMonitor scrapes " + endpoint.get("path") + ", metrics are at "
                            + config.metricsPath());
                }
                Object target = endpoint.get("targetPort");
                if (target != null
                        && !String.valueOf(config.httpPort()).equals(String.valueOf(target))
                        && !"http".equals(target)) {
                    violations.add(s + ": ServiceMonitor targetPort " + target + " is not " + config.httpPort());
                }
            }
            return violations;
        }
        return List.of(s + ": no ServiceMonitor selects its Service");
    }

    // --- images -------------------------------------------------------------------------------------------------

    /**
     * Every Deployment runs an image this repository builds, under the name and tag the images get: {@code
     * <registry>/<deployment>:<tag>} with a Dockerfile in module {@code <deployment>}.
     */
    static List<String> images(Manifests m, Set<String> built, String registry, String tag) {
        List<String> violations = new ArrayList<>();
        for (Deployment d : m.all(Deployment.class)) {
            String name = d.getMetadata().getName();
            if (!built.contains(name)) {
                violations.add(
                        id(d) + ": no image of that name is built here (modules with a Dockerfile: " + built + ")");
                continue;
            }
            for (Container c : d.getSpec().getTemplate().getSpec().getContainers()) {
                String expected = registry + "/" + name + ":" + tag;
                if (!expected.equals(c.getImage())) {
                    violations.add(id(d) + ": image " + c.getImage() + ", but the image built is " + expected);
                }
            }
        }
        return violations;
    }

    // --- the console ---------------------------------------------------------------------------------------------

    /** The console reaches each service through that service's Service, on the Service's port. */
    static List<String> consoleReachesTheServices(Manifests m) {
        Optional<Container> c = container(m, "console");
        if (c.isEmpty()) {
            return List.of("console: no Deployment");
        }
        List<String> violations = new ArrayList<>();
        CONSOLE_SERVICE_URLS.forEach((variable, service) -> {
            String url = value(m, c.get(), variable);
            Optional<Service> target = m.service(service);
            if (url == null) {
                violations.add("console: " + variable + " is not set");
            } else if (target.isEmpty()) {
                violations.add("console: " + variable + " points at " + url + ", but there is no Service " + service);
            } else {
                java.net.URI uri = java.net.URI.create(url);
                int port = uri.getPort() == -1 ? 80 : uri.getPort();
                boolean served =
                        target.get().getSpec().getPorts().stream().anyMatch(p -> Objects.equals(p.getPort(), port));
                if (!service.equals(uri.getHost()) || !served) {
                    violations.add("console: " + variable + " is " + url + ", not the Service " + service
                            + " on one of its ports");
                }
            }
        });
        return violations;
    }

    // --- disruption ---------------------------------------------------------------------------------------------

    /**
     * Every PodDisruptionBudget lets a node drain evict one pod of the Deployment it covers, at the replica count
     * that Deployment runs with (its autoscaler's minimum where it has one): {@code minAvailable} below the replicas,
     * or a {@code maxUnavailable} of at least one.
     */
    static List<String> budgetsAllowDrains(Manifests m) {
        List<String> violations = new ArrayList<>();
        for (PodDisruptionBudget pdb : m.all(PodDisruptionBudget.class)) {
            Map<String, String> selector = pdb.getSpec().getSelector().getMatchLabels();
            for (Deployment d : m.all(Deployment.class)) {
                Map<String, String> labels =
                        d.getSpec().getTemplate().getMetadata().getLabels();
                if (selector == null || selector.isEmpty() || !labels.entrySet().containsAll(selector.entrySet())) {
                    continue;
                }
                String name = d.getMetadata().getName();
                int replicas = m.all(HorizontalPodAutoscaler.class).stream()
                        .filter(h -> name.equals(h.getSpec().getScaleTargetRef().getName()))
                        .map(h -> h.getSpec().getMinReplicas() == null
                                ? 1
                                : h.getSpec().getMinReplicas())
                        .findFirst()
                        .orElse(
                                d.getSpec().getReplicas() == null
                                        ? 1
                                        : d.getSpec().getReplicas());
                IntOrString min = pdb.getSpec().getMinAvailable();
                IntOrString max = pdb.getSpec().getMaxUnavailable();
                int evictable;
                if (min != null) {
                    evictable = replicas - pods(min, replicas);
                } else if (max != null) {
                    evictable = pods(max, replicas);
                } else {
                    evictable = replicas;
                }
                if (evictable < 1) {
                    violations.add(id(pdb) + ": allows no eviction of " + name + " at " + replicas
                            + " replica(s) (minAvailable " + min + ", maxUnavailable " + max
                            + "): every node drain would hang");
                }
            }
        }
        return violations;
    }

    /** A PDB count: an integer, or a percentage of the replicas (rounded up, as the disruption controller does). */
    private static int pods(IntOrString value, int replicas) {
        if (value.getIntVal() != null) {
            return value.getIntVal();
        }
        double share = Double.parseDouble(value.getStrVal().replace("%", "")) / 100 * replicas;
        return (int) Math.ceil(share);
    }

    // --- documentation -------------------------------------------------------------------------------------------

    /**
     * Files a README cites that exist neither beside it nor from the repository root: paths (with a slash) ending in
     * .md, .yaml, .yml, .json, .sh, .properties or .java, and bare document names ({@code DESIGN.md}). Paths with a
     * placeholder ({@code <service>/...}) or a glob are not resolved, nor are build outputs ({@code target/...}); bare
     * names of other files ({@code application.properties}) name a kind of file, not one file.
     */
    static List<String> missingCitedFiles(Path readme, Path root) {
        List<String> missing = new ArrayList<>();
        String text = String.join("\n", Repo.lines(readme));
        var matcher = CITED_FILE.matcher(text);
        Set<String> seen = new LinkedHashSet<>();
        while (matcher.find()) {
            String cited = matcher.group(1);
            boolean buildOutput = cited.startsWith("target/") || cited.contains("/target/");
            if (buildOutput
                    || cited.contains("*")
                    || (!cited.contains("/") && !cited.endsWith(".md"))
                    || !seen.add(cited)) {
                continue;
            }
            boolean found = Files.exists(readme.getParent().resolve(cited)) || Files.exists(root.resolve(cited));
            if (!found) {
                missing.add(root.relativize(readme) + " cites " + cited + ", which does not exist");
            }
        }
        return missing;
    }

    // --- generated manifests up to date ------------------------------------------------------------------------

    /**
     * The generated Deployment still carries what quarkus/*.properties ask for (resources, replicas, ConfigMaps,
     * secret references, startup budget): a settings change without a regeneration fails here, and so does a secret
     * reference added to the generated file by hand, which the next regeneration would drop.
     */
    static List<String> generatedMatchesSettings(Manifests generated, String s, Map<String, String> settings) {
        List<String> violations = new ArrayList<>();
        Optional<Container> found = container(generated, s);
        if (found.isEmpty()) {
            return List.of(s + ": no generated Deployment");
        }
        Container c = found.get();
        String stale = s + ": base/" + s + "/kubernetes.yml is stale (run deploy/k8s/generate.sh " + s + "): ";
        for (String kind : List.of("requests", "limits")) {
            for (String resource : List.of("cpu", "memory")) {
                String wanted = settings.get("quarkus.kubernetes.resources." + kind + "." + resource);
                Map<String, Quantity> actual = kind.equals("requests")
                        ? c.getResources().getRequests()
                        : c.getResources().getLimits();
                String have =
                        actual.containsKey(resource) ? actual.get(resource).toString() : null;
                if (!Objects.equals(wanted, have)) {
                    violations.add(stale + resource + " " + kind + " " + have + ", settings say " + wanted);
                }
            }
        }
        String replicas = settings.get("quarkus.kubernetes.replicas");
        Integer have = generated.deployment(s).orElseThrow().getSpec().getReplicas();
        if (replicas != null && !replicas.equals(String.valueOf(have))) {
            violations.add(stale + "replicas " + have + ", settings say " + replicas);
        }
        Set<String> configMaps = new LinkedHashSet<>(List.of(
                settings.getOrDefault("quarkus.kubernetes.env.configmaps", "").split(",")));
        Set<String> referenced = new LinkedHashSet<>();
        c.getEnvFrom().forEach(from -> referenced.add(from.getConfigMapRef().getName()));
        if (!referenced.equals(configMaps)) {
            violations.add(stale + "envFrom " + referenced + ", settings say " + configMaps);
        }
        settings.forEach((key, value) -> {
            var m = Pattern.compile("quarkus\\.kubernetes\\.env\\.mapping\\.(.+)\\.from-secret")
                    .matcher(key);
            if (m.matches()) {
                String variable = m.group(1).toUpperCase().replace('-', '_');
                String secretKey = settings.get("quarkus.kubernetes.env.mapping." + m.group(1) + ".with-key");
                boolean present = c.getEnv().stream()
                        .anyMatch(env -> env.getName().equals(variable)
                                && env.getValueFrom() != null
                                && env.getValueFrom().getSecretKeyRef() != null
                                && env.getValueFrom()
                                        .getSecretKeyRef()
                                        .getName()
                                        .equals(value)
                                && env.getValueFrom().getSecretKeyRef().getKey().equals(secretKey));
                if (!present) {
                    violations.add(stale + variable + " from Secret " + value + " key " + secretKey + " is missing");
                }
            }
        });
        // The other way round: a secret reference in the generated file that no setting produces was written by
        // hand, and the next regeneration would drop it.
        c.getEnv().stream()
                .filter(env -> env.getValueFrom() != null && env.getValueFrom().getSecretKeyRef() != null)
                .forEach(env -> {
                    String mapping = "quarkus.kubernetes.env.mapping."
                            + env.getName().toLowerCase().replace('_', '-');
                    var ref = env.getValueFrom().getSecretKeyRef();
                    if (!ref.getName().equals(settings.get(mapping + ".from-secret"))
                            || !ref.getKey().equals(settings.get(mapping + ".with-key"))) {
                        violations.add(s + ": base/" + s + "/kubernetes.yml has " + env.getName() + " from Secret "
                                + ref.getName() + " key " + ref.getKey()
                                + " that quarkus/*.properties do not produce (regenerating would drop it): add "
                                + mapping + ".from-secret / .with-key");
                    }
                });
        String threshold = settings.get("quarkus.kubernetes.startup-probe.failure-threshold");
        Probe startup = c.getStartupProbe();
        if (threshold != null
                && (startup == null || !threshold.equals(String.valueOf(startup.getFailureThreshold())))) {
            violations.add(stale + "startup probe failureThreshold differs from " + threshold);
        }
        return violations;
    }

    // --- Kafka topics -------------------------------------------------------------------------------------------

    /**
     * The KafkaTopic resources against the topics the code creates locally (embedded-infra's TopicPlan): every
     * planned topic declared with the same cleanup and retention; with {@code production}, 3 replicas and
     * min.insync.replicas 2. The telemetry topics are co-partitioned and bound the replicas of metrics-ingest.
     */
    static List<String> topics(Manifests m, boolean production) {
        List<String> violations = new ArrayList<>();
        Map<String, GenericKubernetesResource> declared = new LinkedHashMap<>();
        for (GenericKubernetesResource topic : m.custom("KafkaTopic")) {
            Map<String, Object> spec = topic.get("spec");
            String name = String.valueOf(
                    spec.getOrDefault("topicName", topic.getMetadata().getName()));
            declared.put(name, topic);
            int replicas = ((Number) spec.get("replicas")).intValue();
            Map<?, ?> config = (Map<?, ?>) spec.getOrDefault("config", Map.<String, Object>of());
            Object minIsr = config.get("min.insync.replicas");
            if (production && (replicas < 3 || minIsr == null || Integer.parseInt(String.valueOf(minIsr)) != 2)) {
                violations.add(name + ": replicas " + replicas + ", min.insync.replicas " + minIsr
                        + " (production needs 3 and 2)");
            }
            if (minIsr != null && Integer.parseInt(String.valueOf(minIsr)) > replicas) {
                violations.add(name + ": min.insync.replicas " + minIsr + " above replicas " + replicas);
            }
        }
        for (NewTopic planned : TopicPlan.all(1)) {
            GenericKubernetesResource topic = declared.get(planned.name());
            if (topic == null) {
                violations.add(planned.name() + ": in TopicPlan but no KafkaTopic declares it");
                continue;
            }
            Map<String, Object> topicSpec = topic.get("spec");
            Map<?, ?> config = (Map<?, ?>) topicSpec.getOrDefault("config", Map.of());
            planned.configs().forEach((key, value) -> {
                if (!value.equals(String.valueOf(config.get(key)))) {
                    violations.add(planned.name() + ": " + key + " is " + config.get(key) + ", TopicPlan has " + value);
                }
            });
        }
        int sync = partitions(declared.get("telemetry.sync"));
        int upload = partitions(declared.get("telemetry.upload"));
        if (sync != upload) {
            violations.add("telemetry.sync has " + sync + " partitions, telemetry.upload " + upload
                    + ": metrics-ingest needs them co-partitioned");
        }
        Integer ingestReplicas = m.deployment("metrics-ingest")
                .map(d -> d.getSpec().getReplicas())
                .orElse(null);
        if (ingestReplicas != null && ingestReplicas > Math.min(sync, upload)) {
            violations.add("metrics-ingest has " + ingestReplicas + " replicas for " + Math.min(sync, upload)
                    + " input partitions: the extra replicas would stay idle");
        }
        return violations;
    }

    private static int partitions(GenericKubernetesResource topic) {
        return topic == null ? 0 : ((Number) ((Map<?, ?>) topic.get("spec")).get("partitions")).intValue();
    }

    // --- metric names -------------------------------------------------------------------------------------------

    private static final Pattern PROMETHEUS_ROLLGUARD_NAME = Pattern.compile("\\brollguard_[a-z0-9_]+");
    private static final Pattern PROMETHEUS_SUFFIX = Pattern.compile("(_seconds)?(_total|_bucket|_count|_sum|_max)?$");

    /**
     * Rollguard metric names used in PromQL expressions that no service registers (as a Micrometer meter in its
     * code) and that are not in {@code pending}, the list of meters known to be missing.
     */
    static List<String> unknownMetrics(Collection<String> expressions, Set<String> meters, Set<String> pending) {
        Set<String> known = new LinkedHashSet<>();
        meters.forEach(meter -> known.add(Repo.prometheusName(meter)));
        pending.forEach(meter -> known.add(Repo.prometheusName(meter)));
        List<String> violations = new ArrayList<>();
        for (String expression : expressions) {
            var matcher = PROMETHEUS_ROLLGUARD_NAME.matcher(expression);
            while (matcher.find()) {
                String name = matcher.group();
                String base = PROMETHEUS_SUFFIX.matcher(name).replaceFirst("");
                if (!known.contains(name) && !known.contains(base)) {
                    violations.add(name + " is exposed by no service (and not listed as pending)");
                }
            }
        }
        return violations;
    }

    // --- files ----------------------------------------------------------------------------------------------------

    static List<Path> yamlFiles(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(f -> f.toString().matches(".*\\.ya?ml$"))
                    .filter(f -> !root.relativize(f).toString().startsWith("target"))
                    .filter(f -> !f.toString().contains("/target/"))
                    .map(Path::normalize)
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * YAML files under {@code k8s} that no kustomization of {@code entryPoints} uses (never applied, never tested),
     * and used files that do not parse as Kubernetes objects.
     */
    static List<String> filesOutsideKustomizations(Path k8s, List<String> entryPoints) {
        Set<Path> used = new LinkedHashSet<>();
        Set<Path> patches = new LinkedHashSet<>();
        entryPoints.forEach(dir -> collect(k8s.resolve(dir), used, patches));
        List<String> violations = new ArrayList<>();
        for (Path file : yamlFiles(k8s)) {
            if (!used.contains(file) && !patches.contains(file)) {
                violations.add(k8s.relativize(file) + ": used by no kustomization, so never applied nor tested");
            } else if (used.contains(file) && !file.getFileName().toString().equals("kustomization.yaml")) {
                try {
                    Yaml.documents(file).forEach(Manifests::parse);
                } catch (RuntimeException e) {
                    violations.add(k8s.relativize(file) + ": " + e.getMessage());
                }
            }
        }
        return violations;
    }

    private static void collect(Path dir, Set<Path> used, Set<Path> patches) {
        Path kustomization = dir.resolve("kustomization.yaml").normalize();
        used.add(kustomization);
        JsonNode k = Yaml.documents(kustomization).get(0);
        for (JsonNode entry : k.path("resources")) {
            Path path = dir.resolve(entry.asText()).normalize();
            if (Files.isDirectory(path)) {
                collect(path, used, patches);
            } else {
                used.add(path);
            }
        }
        k.path("patches")
                .forEach(p -> patches.add(dir.resolve(p.path("path").asText()).normalize()));
    }

    /** Secret resources in any YAML file under {@code root}: secrets are created in the cluster, never committed. */
    static List<String> secretFiles(Path root) {
        List<String> violations = new ArrayList<>();
        for (Path file : yamlFiles(root)) {
            if (Yaml.tree(file).isArray()) {
                continue;
            }
            Yaml.documents(file).stream()
                    .filter(d -> "Secret".equals(d.path("kind").asText()))
                    .forEach(d -> violations.add(root.relativize(file) + ": Secret "
                            + d.path("metadata").path("name").asText()));
        }
        return violations;
    }

    // --- helpers ------------------------------------------------------------------------------------------------

    static Optional<Container> container(Manifests m, String s) {
        return m.deployment(s).flatMap(d -> d.getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> s.equals(c.getName()))
                .findFirst());
    }

    static Map<String, String> podLabels(Manifests m, String s) {
        return m.deployment(s)
                .map(d -> d.getSpec().getTemplate().getMetadata().getLabels())
                .orElse(Map.of());
    }

    /** The value a container gets for a variable from a literal or one of its ConfigMaps; null when none. */
    static String value(Manifests m, Container c, String variable) {
        for (EnvVar env : c.getEnv()) {
            if (env.getName().equals(variable) && env.getValue() != null) {
                return env.getValue();
            }
        }
        String found = null;
        for (EnvFromSource from : c.getEnvFrom()) {
            if (from.getConfigMapRef() != null) {
                found = m.configMap(from.getConfigMapRef().getName())
                        .map(ConfigMap::getData)
                        .map(data -> data.get(variable))
                        .orElse(found);
            }
        }
        return found;
    }

    static String id(HasMetadata r) {
        return r.getKind() + "/"
                + (r.getMetadata() == null ? "?" : r.getMetadata().getName());
    }

    static <T> List<String> each(Collection<T> items, Function<T, List<String>> check) {
        return items.stream().flatMap(item -> check.apply(item).stream()).toList();
    }
}
