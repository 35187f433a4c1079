package dev.rollguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The images, short of building them (no Docker engine on the build machines): each module that runs on Kubernetes
 * has a Dockerfile whose base is pinned, whose user is the non-root user the manifests run as, which copies the
 * complete Quarkus fast-jar that {@code package} writes, health-checks the service's own liveness endpoint and
 * exposes the port the manifests expect. The Jib profile builds from the same base.
 */
class DockerfileTest {

    /** A version tag of a release ({@code :1.21}, {@code :17.0.13_11-jre}) or a digest; never {@code latest}. */
    static final Pattern PINNED =
            Pattern.compile("[a-z0-9./-]+(:\\d+(\\.\\d+)+([-_][A-Za-z0-9._-]+)?|@sha256:[0-9a-f]{64})");

    static final List<String> FAST_JAR = List.of(
            "target/quarkus-app/lib/",
            "target/quarkus-app/*.jar",
            "target/quarkus-app/app/",
            "target/quarkus-app/quarkus/");

    static final Manifests BASE = Manifests.kustomize(Repo.K8S.resolve("base"));

    static Stream<String> deployed() {
        return Repo.DEPLOYED.stream();
    }

    @org.junit.jupiter.api.Test
    void exactlyTheDeployedModulesShipAnImage() {
        assertThat(Repo.modulesWithDockerfile()).containsExactlyInAnyOrderElementsOf(Repo.DEPLOYED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deployed")
    void theBaseImageIsPinnedAndTheJibProfileBuildsOnTheSame(String module) {
        Dockerfile dockerfile = Dockerfile.read(Repo.dockerfile(module));
        assertThat(dockerfile.all("FROM")).as("one stage").hasSize(1);
        String base = dockerfile.all("FROM").get(0);
        assertThat(base).as("FROM").matches(PINNED).doesNotContain(":latest");
        assertThat(Repo.rootPomProperty("quarkus.jib.base-jvm-image")).isEqualTo(base);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deployed")
    void itRunsAsTheNonRootUserOfTheManifests(String module) {
        String user = Dockerfile.read(Repo.dockerfile(module)).last("USER").orElse("root");
        assertThat(user).as("USER").matches("[1-9][0-9]*");
        Deployment deployment = BASE.deployment(module).orElseThrow();
        assertThat(deployment
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getSecurityContext()
                        .getRunAsUser())
                .as("runAsUser of the Deployment")
                .isEqualTo(Long.parseLong(user));
        assertThat(Repo.rootPomProperty("quarkus.jib.user")).isEqualTo(user);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deployed")
    void itCopiesTheWholeFastJarThatPackageWrites(String module) throws IOException {
        Dockerfile dockerfile = Dockerfile.read(Repo.dockerfile(module));
        assertThat(dockerfile.copySources()).containsExactlyInAnyOrderElementsOf(FAST_JAR);
        assertThat(String.join(" ", dockerfile.all("ENV"))).contains("JAVA_APP_JAR=\"/deployments/quarkus-run.jar\"");
        assertThat(dockerfile.last("ENTRYPOINT")).isPresent();

        Path moduleDir = Repo.ROOT.resolve(module);
        boolean packaged = Files.isRegularFile(moduleDir.resolve("target/quarkus-app/quarkus-run.jar"));
        // The full build (bin/rollguard test, CI) packages every module before this one; alone, it may not have.
        assumeTrue(packaged || System.getenv("CI") != null, module + " is not packaged: ./mvnw package -pl " + module);
        for (String source : dockerfile.copySources()) {
            assertThat(matches(moduleDir, source))
                    .as(module + ": COPY " + source)
                    .isNotEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deployed")
    void theHealthCheckProbesTheServicesLivenessEndpoint(String module) {
        Repo.ServiceConfig config = Repo.service(module);
        String check =
                Dockerfile.read(Repo.dockerfile(module)).last("HEALTHCHECK").orElse("");
        Matcher url =
                Pattern.compile("CMD .*http://127\\.0\\.0\\.1:(\\d+)(/\\S*)").matcher(check);
        assertThat(url.find())
                .as("HEALTHCHECK calls the service over HTTP: " + check)
                .isTrue();
        assertThat(Integer.parseInt(url.group(1))).isEqualTo(config.httpPort());
        assertThat(url.group(2)).isEqualTo(config.healthRoot() + "/live");
        Deployment deployment = BASE.deployment(module).orElseThrow();
        assertThat(deployment
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getLivenessProbe()
                        .getHttpGet()
                        .getPath())
                .isEqualTo(url.group(2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deployed")
    void itExposesThePortTheManifestsUse(String module) {
        String expose = Dockerfile.read(Repo.dockerfile(module)).last("EXPOSE").orElse("");
        assertThat(expose).isEqualTo(String.valueOf(Repo.service(module).httpPort()));
        List<Integer> containerPorts = BASE
                .deployment(module)
                .orElseThrow()
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getPorts()
                .stream()
                .map(ContainerPort::getContainerPort)
                .toList();
        assertThat(containerPorts).containsExactly(Integer.parseInt(expose));
    }

    /** The files a COPY source names in the module directory ({@code dir/} a directory, {@code *.jar} a glob). */
    static List<Path> matches(Path moduleDir, String source) {
        Path path = moduleDir.resolve(source);
        if (!source.contains("*")) {
            return Files.exists(path) ? List.of(path) : List.of();
        }
        try (DirectoryStream<Path> found =
                Files.newDirectoryStream(path.getParent(), path.getFileName().toString())) {
            List<Path> files = new java.util.ArrayList<>();
            found.forEach(files::add);
            return files;
        } catch (java.nio.file.NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
