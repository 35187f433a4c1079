package dev.rollguard.architecture;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The layers inside each service point one way: {@code rest} uses the service layer and the {@code api} records,
 * nothing below {@code rest} uses {@code rest}; the service layer speaks no HTTP (no JAX-RS type: a service returns a
 * domain result, the {@code rest} layer makes the status, the headers such as ETag and If-Match, and the body); a
 * publisher does not call back into a service; no two packages of a service use each other.
 */
class LayerRulesTest {

    private static JavaClasses production;

    @BeforeAll
    static void importClasses() {
        production = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.rollguard");
    }

    /** The classes of one service, with a guard against rules that pass because there was nothing to check. */
    private static JavaClasses service(String base) {
        JavaClasses classes = production.that(resideInAnyPackage(base + ".."));
        assertThat(classes.stream().filter(c -> c.getPackageName().equals(base + ".rest")))
                .as("classes in %s.rest", base)
                .isNotEmpty();
        return classes;
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"dev.rollguard.flag", "dev.rollguard.ingest", "dev.rollguard.alert", "dev.rollguard.rollback"})
    void nothingOutsideRestUsesRest(String base) {
        noClasses()
                .that()
                .resideOutsideOfPackage(base + ".rest..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage(base + ".rest..")
                .because("HTTP is the outermost layer: request and response records live in api")
                .check(service(base));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"dev.rollguard.flag", "dev.rollguard.ingest", "dev.rollguard.alert", "dev.rollguard.rollback"})
    void theServiceLayerSpeaksNoHttp(String base) {
        noHttpBelowRest(base).check(service(base));
    }

    @Test
    void theServiceLayerRuleReportsAViolation() {
        String base = "dev.rollguard.architecture.fixture.layers";
        JavaClasses fixture = new ClassFileImporter().importPackages(base);

        EvaluationResult result = noHttpBelowRest(base).evaluate(fixture);

        assertThat(result.hasViolation()).isTrue();
        assertThat(result.getFailureReport().getDetails())
                .anySatisfy(
                        line -> assertThat(line).contains("PreconditionService").contains("Response"))
                .noneSatisfy(line -> assertThat(line).contains("VersionCheck"));
    }

    static ArchRule noHttpBelowRest(String base) {
        return noClasses()
                .that()
                .resideInAnyPackage(base + ".service..", base + ".domain..", base + ".repository..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("jakarta.ws.rs..", "org.jboss.resteasy..")
                .because("a service returns a domain result or throws a domain exception; rest makes the HTTP answer");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"dev.rollguard.flag", "dev.rollguard.ingest", "dev.rollguard.alert", "dev.rollguard.rollback"})
    void publishersDoNotUseServices(String base) {
        noClasses()
                .that()
                .resideInAPackage(base + ".publisher..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage(base + ".service..")
                .because("a service calls a publisher, never the reverse; what both need lives in domain")
                .check(service(base));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"dev.rollguard.flag", "dev.rollguard.ingest", "dev.rollguard.alert", "dev.rollguard.rollback"})
    void packagesAreFreeOfCycles(String base) {
        slices().matching(base + ".(*)..").should().beFreeOfCycles().check(service(base));
    }
}
