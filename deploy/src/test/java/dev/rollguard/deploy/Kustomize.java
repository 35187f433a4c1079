package dev.rollguard.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The subset of Kustomize that deploy/k8s uses, so the test can check what {@code kubectl apply -k} would apply
 * without a kustomize binary: {@code resources} (files and kustomization directories), {@code patches} (strategic
 * merge patches and JSON 6902 patches, with an optional {@code target} of kind and name regex), {@code images}
 * ({@code newName}/{@code newTag}) and {@code namespace}. Any other field fails the build rather than being ignored,
 * so the assembled output never silently differs from kustomize's. {@link KubectlKustomizeTest} compares the two
 * where kubectl is installed.
 */
final class Kustomize {

    private static final Set<String> SUPPORTED =
            Set.of("apiVersion", "kind", "namespace", "resources", "patches", "images");
    private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace", "ClusterRole", "ClusterRoleBinding");

    private Kustomize() {}

    /** The resources of the kustomization in {@code dir}, patched and transformed. */
    static List<ObjectNode> build(Path dir) {
        Path file = dir.resolve("kustomization.yaml");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no kustomization.yaml in " + dir);
        }
        JsonNode k = Yaml.documents(file).get(0);
        k.fieldNames().forEachRemaining(field -> {
            if (!SUPPORTED.contains(field)) {
                throw new IllegalArgumentException(
                        file + ": field '" + field + "' is not supported by the test's Kustomize");
            }
        });
        List<ObjectNode> resources = new ArrayList<>();
        for (JsonNode entry : k.path("resources")) {
            Path path = dir.resolve(entry.asText()).normalize();
            if (Files.isDirectory(path)) {
                resources.addAll(build(path));
            } else {
                resources.addAll(Yaml.documents(path));
            }
        }
        for (JsonNode patch : k.path("patches")) {
            applyPatch(file, dir.resolve(patch.path("path").asText()), patch.path("target"), resources);
        }
        for (JsonNode image : k.path("images")) {
            setImage(image, resources);
        }
        if (k.hasNonNull("namespace")) {
            String namespace = k.get("namespace").asText();
            for (ObjectNode resource : resources) {
                if (!CLUSTER_SCOPED.contains(resource.path("kind").asText())) {
                    ((ObjectNode) resource.get("metadata")).put("namespace", namespace);
                }
            }
        }
        return resources;
    }

    private static void applyPatch(Path kustomization, Path patchFile, JsonNode target, List<ObjectNode> resources) {
        List<ObjectNode> docs = new ArrayList<>();
        JsonNode patch = Yaml.tree(patchFile);
        String kind = target.path("kind").asText(null);
        String name = target.path("name").asText(null);
        if (!patch.isArray()) {
            kind = kind != null ? kind : patch.path("kind").asText();
            name = name != null ? name : patch.path("metadata").path("name").asText();
        } else if (kind == null && name == null) {
            throw new IllegalArgumentException(kustomization + ": JSON patch " + patchFile + " needs a target");
        }
        for (ObjectNode resource : resources) {
            if (matches(resource, kind, name)) {
                docs.add(resource);
            }
        }
        if (docs.isEmpty()) {
            throw new IllegalArgumentException(kustomization + ": patch " + patchFile + " matches no resource");
        }
        for (ObjectNode resource : docs) {
            if (patch.isArray()) {
                for (JsonNode op : patch) {
                    jsonPatch(resource, op, patchFile);
                }
            } else {
                ObjectNode smp = patch.deepCopy();
                smp.remove("apiVersion");
                smp.remove("kind");
                ObjectNode metadata = (ObjectNode) smp.get("metadata");
                if (metadata != null) {
                    metadata.remove("name");
                }
                merge(resource, smp);
            }
        }
    }

    private static boolean matches(ObjectNode resource, String kind, String name) {
        boolean kindMatches = kind == null || kind.equals(resource.path("kind").asText());
        boolean nameMatches = name == null
                || Pattern.compile("^(?:" + name + ")$")
                        .matcher(resource.path("metadata").path("name").asText())
                        .matches();
        return kindMatches && nameMatches;
    }

    /** Strategic merge, as kustomize applies it to these resources: lists of named items merge by name. */
    static void merge(ObjectNode into, ObjectNode patch) {
        Iterator<Map.Entry<String, JsonNode>> fields = patch.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode existing = into.get(field.getKey());
            JsonNode value = field.getValue();
            if (value.isNull()) {
                into.remove(field.getKey());
            } else if (existing instanceof ObjectNode target && value instanceof ObjectNode source) {
                merge(target, source);
            } else if (existing instanceof ArrayNode target
                    && value instanceof ArrayNode source
                    && named(target, source)) {
                for (JsonNode item : source) {
                    ObjectNode same = null;
                    for (JsonNode candidate : target) {
                        if (candidate.get("name").equals(item.get("name"))) {
                            same = (ObjectNode) candidate;
                        }
                    }
                    if (same != null) {
                        merge(same, (ObjectNode) item);
                    } else {
                        target.add(item.deepCopy());
                    }
                }
            } else {
                into.set(field.getKey(), value.deepCopy());
            }
        }
    }

    private static boolean named(ArrayNode a, ArrayNode b) {
        for (ArrayNode list : List.of(a, b)) {
            for (JsonNode item : list) {
                if (!item.isObject() || !item.hasNonNull("name")) {
                    return false;
                }
            }
        }
        return true;
    }

    private static void jsonPatch(ObjectNode resource, JsonNode op, Path file) {
        String operation = op.path("op").asText();
        String pointer = op.path("path").asText();
        int slash = pointer.lastIndexOf('/');
        JsonNode parent = resource.at(pointer.substring(0, slash));
        String last = pointer.substring(slash + 1).replace("~1", "/").replace("~0", "~");
        if (parent.isMissingNode()) {
            throw new IllegalArgumentException(file + ": no " + pointer.substring(0, slash) + " in "
                    + resource.path("metadata").path("name").asText());
        }
        switch (operation) {
            case "add", "replace" -> {
                JsonNode value = op.get("value").deepCopy();
                if (parent instanceof ArrayNode array) {
                    if (last.equals("-")) {
                        array.add(value);
                    } else if (operation.equals("add")) {
                        array.insert(Integer.parseInt(last), value);
                    } else {
                        array.set(Integer.parseInt(last), value);
                    }
                } else {
                    if (operation.equals("replace") && !parent.has(last)) {
                        throw new IllegalArgumentException(file + ": replace of missing " + pointer);
                    }
                    ((ObjectNode) parent).set(last, value);
                }
            }
            case "remove" -> {
                if (parent instanceof ArrayNode array) {
                    array.remove(Integer.parseInt(last));
                } else if (((ObjectNode) parent).remove(last) == null) {
                    throw new IllegalArgumentException(file + ": remove of missing " + pointer);
                }
            }
            default -> throw new IllegalArgumentException(file + ": JSON patch op '" + operation + "' not supported");
        }
    }

    private static void setImage(JsonNode image, List<ObjectNode> resources) {
        String name = image.path("name").asText();
        for (ObjectNode resource : resources) {
            JsonNode spec = resource.path("spec").path("template").path("spec");
            for (String list : List.of("containers", "initContainers")) {
                for (JsonNode container : spec.path(list)) {
                    String current = container.path("image").asText();
                    int tagAt = current.lastIndexOf(':') > current.lastIndexOf('/') ? current.lastIndexOf(':') : -1;
                    String repository = tagAt < 0 ? current : current.substring(0, tagAt);
                    String tag = tagAt < 0 ? "" : current.substring(tagAt);
                    if (repository.equals(name)) {
                        String newRepository = image.path("newName").asText(repository);
                        String newTag = image.hasNonNull("newTag")
                                ? ":" + image.get("newTag").asText()
                                : tag;
                        ((ObjectNode) container).put("image", newRepository + newTag);
                    }
                }
            }
        }
    }
}
