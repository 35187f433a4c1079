package dev.rollguard.flag.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.flag.api.ActionRequests;
import dev.rollguard.flag.api.CleanText;
import dev.rollguard.flag.api.FlagRequest;
import dev.rollguard.flag.api.PreviewRequest;
import dev.rollguard.flag.api.SegmentRequest;
import dev.rollguard.flag.api.TextRules;
import dev.rollguard.flag.api.TokenRequest;
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
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every text field of every request body carries {@link CleanText}, and every object of an admin body refuses fields
 * it does not know: the bodies are found from the JAX-RS resources of this package, so a field or an endpoint added
 * later cannot be forgotten. Also the text rule itself.
 */
class RequestBodiesTest {

    @Test
    void everyTextFieldOfEveryRequestBodyIsChecked() throws Exception {
        Set<Class<?>> bodies = new HashSet<>();
        for (Class<?> resource : resources()) {
            for (Method method : resource.getDeclaredMethods()) {
                if (!isResourceMethod(method)) {
                    continue;
                }
                for (Parameter parameter : method.getParameters()) {
                    if (isBody(parameter) && parameter.getType().isRecord()) {
                        bodies.add(parameter.getType());
                    }
                }
            }
        }
        assertThat(bodies)
                .contains(
                        FlagRequest.class,
                        ActionRequests.KillRequest.class,
                        ActionRequests.StageRequest.class,
                        TokenRequest.class,
                        SegmentRequest.class,
                        PreviewRequest.class);

        List<String> unchecked = new ArrayList<>();
        for (Class<?> body : bodies) {
            collectUnchecked(body, body.getSimpleName(), unchecked, new HashSet<>());
        }
        assertThat(unchecked).isEmpty();
    }

    /**
     * Every object of every admin body is a request record that {@link StrictRequestFields} holds to its own fields;
     * the PATCH body (a tree) is checked by {@link FlagMergePatch}. OFREP bodies are read as trees, never as records,
     * so they stay open to fields a later protocol adds.
     */
    @Test
    void everyObjectOfEveryAdminBodyRefusesUnknownFields() throws Exception {
        Set<Class<?>> records = new HashSet<>();
        List<String> lenient = new ArrayList<>();
        List<String> strictOfrep = new ArrayList<>();
        for (Class<?> resource : resources()) {
            String path = resource.getAnnotation(Path.class).value();
            for (Method method : resource.getDeclaredMethods()) {
                if (!isResourceMethod(method)) {
                    continue;
                }
                for (Parameter parameter : method.getParameters()) {
                    if (!isBody(parameter)) {
                        continue;
                    }
                    Class<?> type = parameter.getType();
                    if (path.startsWith("/ofrep/")) {
                        if (StrictRequestFields.isRequest(type)) {
                            strictOfrep.add(method.toString());
                        }
                    } else if (type.isRecord()) {
                        collectRecords(type, records);
                    } else if (type != JsonNode.class) {
                        lenient.add(method + " reads " + type.getName());
                    }
                }
            }
        }
        assertThat(records).contains(FlagRequest.StageRequest.class, FlagRequest.ConstraintRequest.class);
        for (Class<?> record : records) {
            if (!StrictRequestFields.isRequest(record)) {
                lenient.add(record.getName());
            }
        }
        assertThat(lenient).isEmpty();
        assertThat(strictOfrep).isEmpty();
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

    @Test
    void controlCharactersAreFoundWhereverTheyAre() {
        assertThat(TextRules.problem("plain text, ünïcödé and 🚀", false)).isNull();
        assertThat(TextRules.problem((String) null, false)).isNull();
        assertThat(TextRules.problem("a\u0000b", true)).contains("U+0000 at position 1");
        assertThat(TextRules.problem("\u001b[31m", false)).contains("U+001B");
        assertThat(TextRules.problem("del\u007f", false)).contains("U+007F");
        assertThat(TextRules.problem("next line\u0085", true)).contains("U+0085");
        assertThat(TextRules.problem("tab\tand\r\nlines", true)).isNull();
        assertThat(TextRules.problem("tab\t", false)).contains("U+0009");
        assertThat(TextRules.problem("line\n", false)).contains("U+000A");
        assertThat(TextRules.problem("lone \ud83d surrogate", false)).contains("unpaired surrogate U+D83D");
        assertThat(TextRules.problem("\udc00", false)).contains("unpaired surrogate U+DC00");
        assertThat(TextRules.visible("a\u0000b")).isEqualTo("a\\u0000b");
    }

    @Test
    void jsonValuesAreCheckedInsideOut() throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        assertThat(TextRules.problem(json.readTree("{\"a\": [1, \"ok\", {\"b\": \"x\\ny\"}]}"), true))
                .isNull();
        assertThat(TextRules.problem(json.readTree("{\"a\": [1, {\"b\": \"x\\u0000\"}]}"), true))
                .contains("U+0000");
        assertThat(TextRules.problem(json.readTree("{\"a\\u0001\": 1}"), true)).contains("U+0001");
        assertThat(TextRules.problem(json.readTree("[\"\\u0002\"]"), true)).contains("U+0002");
    }

    private static void collectUnchecked(Class<?> record, String path, List<String> unchecked, Set<Class<?>> seen) {
        if (!seen.add(record)) {
            return;
        }
        for (RecordComponent component : record.getRecordComponents()) {
            String name = path + "." + component.getName();
            AnnotatedType type = component.getAccessor().getAnnotatedReturnType();
            checkType(type, component.getAccessor().isAnnotationPresent(CleanText.class), name, unchecked, seen);
        }
    }

    private static void checkType(
            AnnotatedType type, boolean annotated, String name, List<String> unchecked, Set<Class<?>> seen) {
        boolean checked = annotated || type.isAnnotationPresent(CleanText.class);
        Class<?> raw = raw(type);
        if ((raw == String.class || JsonNode.class.isAssignableFrom(raw)) && !checked) {
            unchecked.add(name);
        }
        if (raw.isRecord()) {
            collectUnchecked(raw, name, unchecked, seen);
        }
        if (type instanceof AnnotatedParameterizedType parameterized) {
            AnnotatedType[] arguments = parameterized.getAnnotatedActualTypeArguments();
            for (int i = 0; i < arguments.length; i++) {
                checkType(arguments[i], false, name + "<" + i + ">", unchecked, seen);
            }
        }
    }

    private static Class<?> raw(AnnotatedType type) {
        java.lang.reflect.Type t = type.getType();
        if (t instanceof java.lang.reflect.ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        return t instanceof Class<?> c ? c : Object.class;
    }

    private static boolean isResourceMethod(Method method) {
        return Stream.of(method.getAnnotations())
                .anyMatch(a -> a.annotationType().isAnnotationPresent(HttpMethod.class));
    }

    private static boolean isBody(Parameter parameter) {
        for (Annotation annotation : parameter.getAnnotations()) {
            Class<? extends Annotation> type = annotation.annotationType();
            if (type == PathParam.class
                    || type == QueryParam.class
                    || type == HeaderParam.class
                    || type == CookieParam.class
                    || type == FormParam.class
                    || type == MatrixParam.class
                    || type == Context.class) {
                return false;
            }
        }
        return true;
    }

    /** The JAX-RS resource classes of the package, from the compiled classes beside this one's subject. */
    private static List<Class<?>> resources() throws Exception {
        java.nio.file.Path dir = Paths.get(FlagResource.class
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation()
                        .toURI())
                .resolve(FlagResource.class.getPackageName().replace('.', '/'));
        List<Class<?>> resources = new ArrayList<>();
        try (Stream<java.nio.file.Path> files = Files.list(dir)) {
            for (java.nio.file.Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (name.endsWith(".class") && !name.contains("$")) {
                    Class<?> type = Class.forName(
                            FlagResource.class.getPackageName() + "." + name.substring(0, name.length() - 6));
                    if (type.isAnnotationPresent(Path.class)) {
                        resources.add(type);
                    }
                }
            }
        }
        assertThat(resources).contains(FlagResource.class, KillSwitchResource.class, TokenResource.class);
        return resources;
    }
}
