package dev.rollguard.flag.rest;

import dev.rollguard.flag.api.TextRules;
import dev.rollguard.http.error.ErrorBody;
import dev.rollguard.http.error.ErrorMappers;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Checks the text of every admin API request outside its body, for every endpoint alike: the {@code
 * Idempotency-Key} and {@code X-Rollguard-Actor} headers (stored in the audit and idempotency tables: one line, at
 * most {@value TextRules#MAX_NAME} characters), path parameters (flag keys and token names looked up in the
 * database: one line) and query parameters (filters, and the reason of a DELETE, which may span lines). Bodies are
 * checked by {@link CleanText} on their records. The evaluation endpoints store and log nothing of a request, so
 * they are left as they are.
 */
public class RequestTextFilter {

    static final List<String> STORED_HEADERS = List.of(FlagResource.IDEMPOTENCY_KEY, CallerHolder.ACTOR_HEADER);

    // After AuthFilter: a caller without a valid token learns nothing about the request's content.
    @ServerRequestFilter(priority = Priorities.USER + 100)
    public Response check(ContainerRequestContext request, ResourceInfo info) {
        Method method = info.getResourceMethod();
        Access access = method == null ? null : method.getAnnotation(Access.class);
        if (access == null || access.rateLimited()) {
            return null;
        }
        List<ErrorBody.Violation> characters = new ArrayList<>();
        List<ErrorBody.Violation> lengths = new ArrayList<>();
        for (String header : STORED_HEADERS) {
            String value = request.getHeaderString(header);
            if (!check(header, value, false, characters)
                    && value != null
                    && value.strip().length() > TextRules.MAX_NAME) {
                lengths.add(new ErrorBody.Violation(header, "must be at most " + TextRules.MAX_NAME + " characters"));
            }
        }
        checkAll(request.getUriInfo().getPathParameters(), false, characters);
        checkAll(request.getUriInfo().getQueryParameters(), true, characters);
        if (characters.isEmpty() && lengths.isEmpty()) {
            return null;
        }
        return ErrorMappers.json(400, ValidationMappers.invalid(characters, lengths));
    }

    private static void checkAll(
            MultivaluedMap<String, String> parameters, boolean multiline, List<ErrorBody.Violation> violations) {
        for (Map.Entry<String, List<String>> parameter : parameters.entrySet()) {
            String name = TextRules.visible(parameter.getKey());
            if (check(name, parameter.getKey(), false, violations)) {
                continue;
            }
            for (String value : parameter.getValue()) {
                check(name, value, multiline, violations);
            }
        }
    }

    /** Adds the violation of {@code value}, if any; true when there was one. */
    private static boolean check(String field, String value, boolean multiline, List<ErrorBody.Violation> violations) {
        String problem = TextRules.problem(value, multiline);
        if (problem == null) {
            return false;
        }
        violations.add(new ErrorBody.Violation(field, problem));
        return true;
    }
}
