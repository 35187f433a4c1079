package dev.rollguard.architecture;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.conditions.ArchPredicates.are;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * metrics-ingest's topology runs on Kafka Streams' threads in hosts other than Quarkus too (the benchmarks run it in a
 * plain JVM). {@code io.quarkus.logging.Log} only works where Quarkus rewrote its calls at build time (and, by its own
 * check, wherever JUnit is on the class path, so no test of the topology could see it fail): a plain class of the
 * topology, service, mapping or domain package that logs through it stops the stream thread the first time it logs
 * in such a host. Those classes log through JBoss Logging directly; CDI beans, which only Quarkus builds, may use
 * {@code Log}.
 */
class StreamThreadLoggingTest {

    /** The packages whose classes the topology runs. */
    static final List<String> TOPOLOGY_PACKAGES = List.of(
            "dev.rollguard.ingest.topology..",
            "dev.rollguard.ingest.service..",
            "dev.rollguard.ingest.mapping..",
            "dev.rollguard.ingest.domain..");

    /** The scopes that make a class a CDI bean and that its subclasses inherit ({@code @Inherited}). */
    private static final List<String> INHERITED_SCOPES = List.of(
            "jakarta.enterprise.context.ApplicationScoped",
            "jakarta.enterprise.context.Dependent",
            "jakarta.enterprise.context.RequestScoped");

    /** A scope that makes a class a bean but is not inherited. */
    private static final String SINGLETON = "jakarta.inject.Singleton";

    /** Beans and the classes nested in them (their lambdas and inner classes): only Quarkus builds and runs them. */
    private static final DescribedPredicate<JavaClass> CDI_BEANS =
            DescribedPredicate.describe("CDI beans or nested in one", c -> isBean(outermost(c)));

    private static JavaClass outermost(JavaClass type) {
        JavaClass outer = type;
        while (outer.getEnclosingClass().isPresent()) {
            outer = outer.getEnclosingClass().get();
        }
        return outer;
    }

    private static boolean isBean(JavaClass type) {
        if (type.isAnnotatedWith(SINGLETON)) {
            return true;
        }
        // A subclass of a bean with an inherited scope is a bean of that scope too.
        for (JavaClass c = type; c != null; c = c.getRawSuperclass().orElse(null)) {
            if (INHERITED_SCOPES.stream().anyMatch(c::isAnnotatedWith)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void plainClassesOfTheTopologyDoNotLogThroughQuarkusLog() {
        JavaClasses ingest = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.rollguard.ingest");
        // Guards against a rule that passes because there was nothing to check.
        assertThat(ingest
                        .that(resideInAnyPackage(TOPOLOGY_PACKAGES.toArray(String[]::new)))
                        .that(DescribedPredicate.not(are(CDI_BEANS)))
                        .stream()
                        .map(JavaClass::getSimpleName))
                .contains("ClientStageStore", "CohortAssigner", "DeadLetterHandler");

        noQuarkusLogOutsideBeans(TOPOLOGY_PACKAGES).check(ingest);
    }

    @Test
    void theRuleReportsAPlainClassAndLeavesABeanAlone() {
        String base = "dev.rollguard.architecture.fixture.logging";
        JavaClasses fixture = new ClassFileImporter().importPackages(base);

        EvaluationResult result = noQuarkusLogOutsideBeans(List.of(base + "..")).evaluate(fixture);

        assertThat(result.hasViolation()).isTrue();
        assertThat(result.getFailureReport().getDetails())
                .anySatisfy(line -> assertThat(line).contains("PlainLogger").contains("io.quarkus.logging.Log"))
                // Neither the bean nor its nested class (BeanLogger$Step) nor its subclass (SubBeanLogger).
                .noneSatisfy(line -> assertThat(line).contains("BeanLogger"));
    }

    static ArchRule noQuarkusLogOutsideBeans(List<String> packages) {
        return noClasses()
                .that()
                .resideInAnyPackage(packages.toArray(String[]::new))
                .and(DescribedPredicate.not(are(CDI_BEANS)))
                .should()
                .dependOnClassesThat()
                .haveFullyQualifiedName("io.quarkus.logging.Log")
                .because("the topology runs outside Quarkus too (the benchmarks), where io.quarkus.logging.Log throws;"
                        + " log through org.jboss.logging.Logger");
    }
}
