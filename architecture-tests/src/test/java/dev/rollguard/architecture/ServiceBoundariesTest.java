package dev.rollguard.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each service, and the console, is deployed alone: it may use the shared modules (schemas: events, serde, bucketing,
 * evaluation; service-http: request tracing, bearer tokens, the error contract), never another service's classes.
 */
class ServiceBoundariesTest {

    /** Base package of each service module and of the console. */
    static final Map<String, String> SERVICES = Map.of(
            "flag-service", "dev.rollguard.flag",
            "metrics-ingest", "dev.rollguard.ingest",
            "alert-service", "dev.rollguard.alert",
            "rollback-service", "dev.rollguard.rollback",
            "console", "dev.rollguard.console");

    static final List<String> SHARED = List.of("dev.rollguard.schemas", "dev.rollguard.http", "dev.rollguard.infra");

    private static JavaClasses production;

    @BeforeAll
    static void importClasses() {
        production = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.rollguard");
    }

    @Test
    void everyServiceIsOnTheClassPath() {
        // Guards against a rule that passes because there was nothing to check.
        SERVICES.forEach((module, pkg) -> assertThat(
                        production.stream().filter(c -> c.getPackageName().startsWith(pkg)))
                .as("classes of %s in %s", module, pkg)
                .isNotEmpty());
    }

    @Test
    void everySharedModuleIsOnTheClassPath() {
        SHARED.forEach(pkg -> assertThat(
                        production.stream().filter(c -> c.getPackageName().startsWith(pkg)))
                .as("classes in %s", pkg)
                .isNotEmpty());
    }

    @Test
    void noServiceDependsOnAnotherService() {
        SERVICES.values().forEach(pkg -> {
            String[] others = SERVICES.values().stream()
                    .filter(other -> !other.equals(pkg))
                    .map(other -> other + "..")
                    .toArray(String[]::new);
            isolation(pkg, others).check(production);
        });
    }

    @Test
    void sharedModulesDependOnNoService() {
        String[] services = SERVICES.values().stream().map(pkg -> pkg + "..").toArray(String[]::new);
        SHARED.forEach(pkg -> isolation(pkg, services).check(production));
    }

    @Test
    void theRuleReportsAViolation() {
        JavaClasses fixture = new ClassFileImporter().importPackages("dev.rollguard.architecture.fixture");
        String alpha = "dev.rollguard.architecture.fixture.alpha";
        String beta = "dev.rollguard.architecture.fixture.beta";

        EvaluationResult result = isolation(alpha, beta + "..").evaluate(fixture);

        assertThat(result.hasViolation()).isTrue();
        assertThat(result.getFailureReport().getDetails())
                .anySatisfy(line -> assertThat(line).contains("AlphaUsesBeta").contains("BetaService"));
        assertThat(isolation(beta, alpha + "..").evaluate(fixture).hasViolation())
                .isFalse();
    }

    static ArchRule isolation(String pkg, String... forbidden) {
        return noClasses()
                .that()
                .resideInAPackage(pkg + "..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(forbidden)
                .because("services share only what lives in the shared modules");
    }
}
