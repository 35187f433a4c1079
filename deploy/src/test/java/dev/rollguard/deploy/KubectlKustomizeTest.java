package dev.rollguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The test's own {@link Kustomize} builds exactly what {@code kubectl kustomize} builds. Runs where kubectl is on the
 * PATH (skipped elsewhere: the build machines need nothing but Java).
 */
class KubectlKustomizeTest {

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/dev", "overlays/prod", "examples"})
    void theTestsKustomizeAgreesWithKubectl(String dir) throws Exception {
        Path kubectl = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(p -> Path.of(p, "kubectl"))
                .filter(Files::isExecutable)
                .findFirst()
                .orElse(null);
        assumeTrue(kubectl != null, "kubectl is not installed");
        Path output = Files.createTempFile("kustomize", ".yaml");
        try {
            Process process = new ProcessBuilder(
                            kubectl.toString(),
                            "kustomize",
                            Repo.K8S.resolve(dir).toString())
                    .redirectOutput(output.toFile())
                    .redirectErrorStream(false)
                    .start();
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue())
                    .as(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                    .isZero();
            Map<String, JsonNode> expected = byId(Yaml.documents(output));
            Map<String, JsonNode> actual = byId(Kustomize.build(Repo.K8S.resolve(dir)));
            assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
            actual.forEach((id, resource) -> assertThat(resource).as(id).isEqualTo(expected.get(id)));
        } finally {
            Files.deleteIfExists(output);
        }
    }

    private static Map<String, JsonNode> byId(List<ObjectNode> resources) throws IOException {
        Map<String, JsonNode> byId = new TreeMap<>();
        for (ObjectNode r : resources) {
            // Compare values, not YAML spellings: 1 and "1" differ, key order does not.
            JsonNode normal = Yaml.MAPPER.readTree(Yaml.MAPPER.writeValueAsString(r));
            byId.put(
                    r.path("kind").asText() + "/"
                            + r.path("metadata").path("name").asText(),
                    normal);
        }
        return byId;
    }
}
