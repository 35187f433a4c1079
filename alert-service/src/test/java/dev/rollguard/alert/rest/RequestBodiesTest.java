package dev.rollguard.alert.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.alert.api.RuleRequest;
import dev.rollguard.alert.api.SilenceRequest;
import dev.rollguard.alert.api.WebhookRequest;
import dev.rollguard.http.RequestFields;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.MatrixParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedParameterizedType;
import java.lang.reflect.AnnotatedType;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.jboss.resteasy.reactive.RestCookie;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.RestHeader;
import org.jboss.resteasy.reactive.RestMatrix;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;
import org.junit.jupiter.api.Test;

/**
 * Every object of every request body is a request record that {@link StrictRequestFields} holds to its own fields,
 * and the inbound alerts' body is read as text, so their senders may add fields. The bodies are found from the JAX-RS
 * resources of this package, so a body or an endpoint added later cannot be left lenient unseen.
 */
class RequestBodiesTest {

    @Test
    void everyObjectOfEveryBodyRefusesUnknownFieldsButTheInboundAlerts() throws Exception {
        Set<Class<?>> records = new HashSet<>();
        List<String> lenient = new ArrayList<>();
        List<String> inbound = new ArrayList<>();
        for (Class<?> resource : resources()) {
            for (Method method : resource.getDeclaredMethods()) {
                if (!isResourceMethod(method)) {
                    continue;
                }
                for (Parameter parameter : method.getParameters()) {
                    if (!isBody(parameter)) {
                        continue;
                    }
                    Class<?> type = parameter.getType();
                    if (resource == InboundAlertResource.class) {
                        inbound.add(type.getName());
                    } else if (type.isRecord()) {
                        collectRecords(type, records);
                    } else {
                        lenient.add(method + " reads " + type.getName());
                    }
                }
            }
        }
        assertThat(records)
                .contains(
                        RuleRequest.class,
                        RuleRequest.LevelRequest.class,
                        RuleRequest.ScopeRequest.class,
                        WebhookRequest.class,
                        SilenceRequest.class,
                        SilenceRequest.MatcherRequest.class);
        for (Class<?> record : records) {
            if (!StrictRequestFields.isRequest(record)) {
                lenient.add(record.getName());
            }
        }
        assertThat(lenient).isEmpty();
        assertThat(inbound).containsExactly(String.class.getName());
    }

    @Test
    void aViolationNamesTheFieldsItsObjectHas() {
        assertThat(RequestFields.unknownField(RequestFields.fields(RuleRequest.LevelRequest.class)))
                .isEqualTo("unknown field; known: threshold, forSeconds");
        assertThat(RequestFields.unknownField(List.of())).isEqualTo("unknown field");
        assertThat(StrictRequestFields.isRequest(RuleRequest.class)).isTrue();
        assertThat(StrictRequestFields.isRequest(dev.rollguard.alert.domain.silence.Matcher.class))
                .isFalse();
        assertThat(StrictRequestFields.isRequest(dev.rollguard.alert.api.RuleResponse.class))
                .isFalse();
    }

    private static void collectRecords(Class<?> record, Set<Class<?>> seen) {
        if (!seen.add(record)) {
            return;
        }
        for (RecordComponent component : record.getRecordComponents()) {
            collectRecords(component.getAccessor().getAnnotatedReturnType(), seen);
        }
    }

    private static void collectRecords(AnnotatedType type, Set<Class<?>> seen) {
        if (raw(type).isRecord()) {
            collectRecords(raw(type), seen);
        }
        if (type instanceof AnnotatedParameterizedType parameterized) {
            for (AnnotatedType argument : parameterized.getAnnotatedActualTypeArguments()) {
                collectRecords(argument, seen);
            }
        }
    }

    private static Class<?> raw(AnnotatedType type) {
        Type t = type.getType();
        if (t instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        return t instanceof Class<?> c ? c : Object.class;
    }

    private static boolean isResourceMethod(Method method) {
        return Stream.of(method.getAnnotations())
                .anyMatch(a -> a.annotationType().isAnnotationPresent(HttpMethod.class));
    }

    private static final Set<Class<? extends Annotation>> NOT_BODY = Set.of(
            PathParam.class,
            QueryParam.class,
            HeaderParam.class,
            CookieParam.class,
            FormParam.class,
            MatrixParam.class,
            BeanParam.class,
            Context.class,
            RestPath.class,
            RestQuery.class,
            RestHeader.class,
            RestCookie.class,
            RestForm.class,
            RestMatrix.class);

    private static boolean isBody(Parameter parameter) {
        return Stream.of(parameter.getAnnotations()).noneMatch(a -> NOT_BODY.contains(a.annotationType()));
    }

    /** The JAX-RS resource classes of the package, from the compiled classes beside this one's subject. */
    private static List<Class<?>> resources() throws Exception {
        java.nio.file.Path dir = Paths.get(RuleResource.class
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation()
                        .toURI())
                .resolve(RuleResource.class.getPackageName().replace('.', '/'));
        List<Class<?>> resources = new ArrayList<>();
        try (Stream<java.nio.file.Path> files = Files.list(dir)) {
            for (java.nio.file.Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (name.endsWith(".class") && !name.contains("$")) {
                    Class<?> type = Class.forName(
                            RuleResource.class.getPackageName() + "." + name.substring(0, name.length() - 6));
                    if (type.isAnnotationPresent(Path.class)) {
                        resources.add(type);
                    }
                }
            }
        }
        assertThat(resources)
                .contains(
                        RuleResource.class,
                        WebhookResource.class,
                        SilenceResource.class,
                        InboundAlertResource.class,
                        AlertResource.class,
                        GuardResource.class);
        return resources;
    }
}
