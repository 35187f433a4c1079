package dev.rollguard.http.error;

import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.spi.Bean;
import jakarta.enterprise.inject.spi.CDI;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Path;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The methods a path is served with, for the {@code Allow} header every 405 carries (RFC 9110 §15.5.6). The HTTP
 * layer's {@link jakarta.ws.rs.NotAllowedException} carries none, so they are read from the resource classes' JAX-RS
 * annotations: each resource method's template ({@code /api/flags/{key}}) becomes a pattern, and a path gets the
 * methods of every template it matches, HEAD beside GET (which answers it) and OPTIONS (which the HTTP layer answers).
 */
final class AllowedMethods {

    private record Template(Pattern pattern, String method) {}

    private static final Pattern PARAMETER =
            Pattern.compile("\\{\\s*\\w[\\w.-]*\\s*(?::\\s*((?:[^{}]|\\{[^{}]*})*))?}");

    private static volatile List<Template> templates;

    private AllowedMethods() {}

    /** The methods {@code path} is served with, in alphabetical order; empty when none is known. */
    static Set<String> of(String path) {
        Set<String> allowed = new TreeSet<>();
        for (Template template : templates()) {
            if (template.pattern().matcher(path).matches()) {
                allowed.add(template.method());
            }
        }
        if (allowed.contains(HttpMethod.GET)) {
            allowed.add(HttpMethod.HEAD);
        }
        if (!allowed.isEmpty()) {
            allowed.add(HttpMethod.OPTIONS);
        }
        return allowed;
    }

    private static List<Template> templates() {
        List<Template> known = templates;
        if (known == null) {
            known = read();
            templates = known;
        }
        return known;
    }

    /** The resource methods of the application's resource classes, which Quarkus REST makes beans. */
    private static List<Template> read() {
        List<Template> read = new ArrayList<>();
        try {
            for (Bean<?> bean : CDI.current().getBeanManager().getBeans(Object.class, Any.Literal.INSTANCE)) {
                Class<?> type = bean.getBeanClass();
                Path root = type.getAnnotation(Path.class);
                if (root == null) {
                    continue;
                }
                for (Method method : type.getMethods()) {
                    String httpMethod = httpMethod(method);
                    if (httpMethod == null) {
                        continue;
                    }
                    Path sub = method.getAnnotation(Path.class);
                    read.add(new Template(pattern(root.value(), sub == null ? "" : sub.value()), httpMethod));
                }
            }
        } catch (IllegalStateException e) {
            // No container (a plain unit test): no method is known, and a 405 goes without Allow.
            return List.of();
        }
        return List.copyOf(read);
    }

    private static String httpMethod(Method method) {
        for (Annotation annotation : method.getAnnotations()) {
            HttpMethod http = annotation.annotationType().getAnnotation(HttpMethod.class);
            if (http != null) {
                return http.value();
            }
        }
        return null;
    }

    /** A template's pattern: literal text as it is, {@code {name}} one segment, {@code {name: regex}} its regex. */
    static Pattern pattern(String root, String sub) {
        String template = "/" + strip(root) + (strip(sub).isEmpty() ? "" : "/" + strip(sub));
        StringBuilder regex = new StringBuilder();
        Matcher parameter = PARAMETER.matcher(template);
        int at = 0;
        while (parameter.find()) {
            regex.append(Pattern.quote(template.substring(at, parameter.start())));
            String own = parameter.group(1);
            regex.append('(').append(own == null ? "[^/]+" : own.strip()).append(')');
            at = parameter.end();
        }
        regex.append(Pattern.quote(template.substring(at))).append("/?");
        return Pattern.compile(regex.toString());
    }

    private static String strip(String segment) {
        String stripped = segment.strip();
        while (stripped.startsWith("/")) {
            stripped = stripped.substring(1);
        }
        while (stripped.endsWith("/")) {
            stripped = stripped.substring(0, stripped.length() - 1);
        }
        return stripped;
    }
}
