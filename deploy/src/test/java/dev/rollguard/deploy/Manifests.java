package dev.rollguard.deploy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A set of manifests parsed with the fabric8 Kubernetes model; custom resources as GenericKubernetesResource. */
record Manifests(String origin, List<HasMetadata> resources) {

    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    /** The output of the kustomization in {@code dir}, as {@code kubectl kustomize} would build it. */
    static Manifests kustomize(Path dir) {
        return of(Repo.K8S.relativize(dir).toString(), Kustomize.build(dir));
    }

    static Manifests of(String origin, List<ObjectNode> documents) {
        List<HasMetadata> resources = new ArrayList<>();
        for (ObjectNode document : documents) {
            resources.add(parse(document));
        }
        return new Manifests(origin, resources);
    }

    static HasMetadata parse(ObjectNode document) {
        // Custom resources stay generic here (Checks.kindsAndApiVersions checks them against their typed models).
        if (Checks.CUSTOM_KINDS.containsKey(document.path("apiVersion").asText() + " "
                + document.path("kind").asText())) {
            return SERIALIZATION.unmarshal(document.toString(), GenericKubernetesResource.class);
        }
        KubernetesResource resource = SERIALIZATION.unmarshal(document.toString(), KubernetesResource.class);
        if (!(resource instanceof HasMetadata hasMetadata)) {
            throw new IllegalArgumentException("not a Kubernetes object: " + document.path("kind"));
        }
        return hasMetadata;
    }

    /** A deep copy, for tests that break one thing on purpose. */
    Manifests copy() {
        List<HasMetadata> copies = new ArrayList<>();
        for (HasMetadata resource : resources) {
            copies.add(SERIALIZATION.clone(resource));
        }
        return new Manifests(origin, copies);
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return resources.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
        return all(type).stream()
                .filter(r -> name.equals(r.getMetadata().getName()))
                .findFirst();
    }

    Optional<Deployment> deployment(String name) {
        return find(Deployment.class, name);
    }

    Optional<Service> service(String name) {
        return find(Service.class, name);
    }

    Optional<ConfigMap> configMap(String name) {
        return find(ConfigMap.class, name);
    }

    /** Custom resources of one kind. */
    List<GenericKubernetesResource> custom(String kind) {
        return all(GenericKubernetesResource.class).stream()
                .filter(r -> kind.equals(r.getKind()))
                .toList();
    }

    @Override
    public String toString() {
        return origin;
    }
}
