package dev.rollguard.deploy;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The checkout: where the manifests are, and what each service's own configuration and the contracts say. */
final class Repo {

    static final List<String> SERVICES = List.of("flag-service", "metrics-ingest", "alert-service", "rollback-service");

    /** What runs on Kubernetes: the four services and the console. */
    static final List<String> DEPLOYED =
            List.of("flag-service", "metrics-ingest", "alert-service", "rollback-service", "console");

    /** The registry and group of the images, as the manifests name them (root pom, jib profile). */
    static final String IMAGE_REGISTRY = "ghcr.io/rollguard";

    static final Path ROOT =
            Path.of(System.getProperty("rollguard.root", "..")).toAbsolutePath().normalize();
    static final Path K8S = ROOT.resolve("deploy/k8s");

    private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)(?::[^}]*)?}");
    private static final Pattern METER_NAME = Pattern.compile("\"(rollguard(?:\\.[a-z0-9_]+)+)\"");

    private Repo() {}

    /**
     * What a service's application.properties (production profile: lines without a %profile prefix) tells about
     * its deployment.
     */
    record ServiceConfig(
            String name,
            int httpPort,
            String healthRoot,
            String metricsPath,
            boolean database,
            Optional<Duration> shutdownTimeout,
            Optional<Duration> shutdownDelay,
            Set<String> environmentReferences) {}

    static ServiceConfig service(String name) {
        Path file = ROOT.resolve(name).resolve("src/main/resources/application.properties");
        Properties all = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            all.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> prod = new LinkedHashMap<>();
        all.stringPropertyNames().stream()
                .filter(key -> !key.startsWith("%"))
                .forEach(key -> prod.put(key, all.getProperty(key)));
        Set<String> references = new TreeSet<>();
        for (String value : prod.values()) {
            Matcher m = ENV_REFERENCE.matcher(value);
            while (m.find()) {
                references.add(m.group(1));
            }
        }
        String nonApplicationRoot = prod.getOrDefault("quarkus.http.non-application-root-path", "q");
        String q = "/" + nonApplicationRoot.replaceAll("^/+|/+$", "");
        String healthRoot = prod.getOrDefault("quarkus.smallrye-health.root-path", "health");
        return new ServiceConfig(
                name,
                Integer.parseInt(prod.getOrDefault("quarkus.http.port", "8080")),
                healthRoot.startsWith("/") ? healthRoot : q + "/" + healthRoot,
                prod.getOrDefault("quarkus.micrometer.export.prometheus.path", q + "/metrics"),
                prod.containsKey("quarkus.datasource.db-kind"),
                Optional.ofNullable(prod.get("quarkus.shutdown.timeout")).map(Repo::duration),
                Optional.ofNullable(prod.get("quarkus.shutdown.delay")).map(Repo::duration),
                references);
    }

    /** A property of the root pom.xml ({@code <name>value</name>}). */
    static String rootPomProperty(String name) {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</" + Pattern.quote(name) + ">")
                .matcher(String.join("\n", lines(ROOT.resolve("pom.xml"))));
        if (!m.find()) {
            throw new IllegalStateException("pom.xml has no property " + name);
        }
        return m.group(1).trim();
    }

    /** The modules that ship a container image: those with src/main/docker/Dockerfile.jvm. */
    static Set<String> modulesWithDockerfile() {
        try (Stream<Path> dirs = Files.list(ROOT)) {
            return dirs.filter(
                            d -> Files.isRegularFile(dockerfile(d.getFileName().toString())))
                    .map(d -> d.getFileName().toString())
                    .collect(java.util.stream.Collectors.toCollection(TreeSet::new));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path dockerfile(String module) {
        return ROOT.resolve(module).resolve("src/main/docker/Dockerfile.jvm");
    }

    /** The generation settings of a service: quarkus/common.properties overridden by quarkus/<service>.properties. */
    static Map<String, String> generationSettings(String service) {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String file : List.of("common", service)) {
            Properties p = new Properties();
            try (Reader reader = Files.newBufferedReader(K8S.resolve("quarkus").resolve(file + ".properties"))) {
                p.load(reader);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            p.stringPropertyNames().forEach(key -> settings.put(key, p.getProperty(key)));
        }
        return settings;
    }

    /**
     * The token variables docs/contracts.md says a service accepts or uses: the rows of its token table whose third
     * column names the service.
     */
    static Set<String> contractTokens(String service) {
        Set<String> tokens = new LinkedHashSet<>();
        Pattern row = Pattern.compile("^\\|\\s*`(ROLLGUARD_[A-Z_]+_TOKEN)`\\s*\\|[^|]*\\|([^|]*)\\|\\s*$");
        for (String line : lines(ROOT.resolve("docs/contracts.md"))) {
            Matcher m = row.matcher(line.trim());
            if (m.matches()
                    && Pattern.compile("\\b" + Pattern.quote(service) + "\\b")
                            .matcher(m.group(2))
                            .find()) {
                tokens.add(m.group(1));
            }
        }
        return tokens;
    }

    /** Every Micrometer meter name (a "rollguard.*" string literal) in the services' main sources. */
    static Set<String> meterNames() {
        Set<String> names = new TreeSet<>();
        for (String service : SERVICES) {
            try (Stream<Path> files = Files.walk(ROOT.resolve(service).resolve("src/main/java"))) {
                files.filter(f -> f.toString().endsWith(".java")).forEach(f -> {
                    Matcher m = METER_NAME.matcher(String.join("\n", lines(f)));
                    while (m.find()) {
                        names.add(m.group(1));
                    }
                });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return names;
    }

    /** Prometheus' name of a Micrometer meter: dots to underscores (suffixes such as _total come on top). */
    static String prometheusName(String meter) {
        return meter.replace('.', '_');
    }

    /** A Quarkus duration: "30s", "500ms", "2m", "1h", a number of seconds, or ISO-8601 ("PT30S"). */
    static Duration duration(String text) {
        String t = text.trim();
        if (t.startsWith("P") || t.startsWith("p")) {
            return Duration.parse(t);
        }
        Matcher m = Pattern.compile("(\\d+)(ms|s|m|h|d)?").matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration: " + text);
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2) == null ? "s" : m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofSeconds(n);
        };
    }

    static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
