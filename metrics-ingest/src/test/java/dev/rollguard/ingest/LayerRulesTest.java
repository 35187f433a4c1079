package dev.rollguard.ingest;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleName;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layers of the metrics-ingest point one way: {@code rest} uses the service layer and the {@code api} records, nothing
 * below {@code rest} uses {@code rest}; a publisher does not call back into a service; no two packages use each other.
 */
class LayerRulesTest {

    private static final String BASE = "dev.rollguard.ingest";

    private static JavaClasses production;

    @BeforeAll
    static void importClasses() {
        production = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(BASE);
        // Guards against rules that pass because there was nothing to check.
        assertThat(production.stream().filter(c -> c.getPackageName().equals(BASE + ".rest")))
                .isNotEmpty();
    }

    @Test
    void nothingOutsideRestUsesRest() {
        noClasses()
                .that()
                .resideOutsideOfPackage(BASE + ".rest..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage(BASE + ".rest..")
                .because("HTTP is the outermost layer: request and response records live in api")
                .check(production);
    }

    @Test
    void publishersDoNotUseServices() {
        noClasses()
                .that()
                .resideInAPackage(BASE + ".publisher..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage(BASE + ".service..")
                .because("a service calls a publisher, never the reverse; what both need lives in domain")
                .check(production);
    }

    @Test
    void packagesAreFreeOfCycles() {
        slices().matching(BASE + ".(*)..")
                .should()
                .beFreeOfCycles()
                // The one cycle left: the health report and the remote-window reader query the topology's stores and
                // settings while the topology uses service beans (FlagDirectory, TelemetryValidator, CohortGauges).
                // Allowed by name so that any new cycle fails.
                .ignoreDependency(
                        resideInAnyPackage(BASE + ".service..")
                                .and(simpleName("HealthReportService").or(simpleName("RemoteWindowsClient"))),
                        resideInAnyPackage(BASE + ".topology.."))
                .check(production);
    }
}
