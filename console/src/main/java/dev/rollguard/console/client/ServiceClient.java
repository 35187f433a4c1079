package dev.rollguard.console.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.rollguard.console.config.ConsoleConfig;
import dev.rollguard.console.session.OperatorSession;
import io.quarkus.logging.Log;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * Calls the services' documented REST APIs with the operator's token and hands back their answers unchanged: the
 * console adds no rules of its own, it shows what the services say (status, JSON error, violations). Blocking, for
 * the worker threads that render pages. A page that reads from several services starts its reads together
 * ({@link #reads()}) and waits for all of them until one deadline, {@code console.services.page-deadline}; the health
 * report, which metrics-ingest builds by asking its peers, waits until a deadline of its own, {@code
 * console.services.health-report-deadline} ({@link #reads(Duration)}). Built at start, so that a timeout or deadline
 * that is not positive stops the console there rather than failing every page.
 */
@Startup
@ApplicationScoped
public class ServiceClient {

    /** The services the console talks to. */
    public enum Service {
        FLAG("flag-service"),
        INGEST("metrics-ingest"),
        ALERT("alert-service"),
        ROLLBACK("rollback-service");

        final String label;

        Service(String label) {
            this.label = label;
        }
    }

    /** Who a write is made for (flag-service, alert-service): recorded as the audit row's actor. */
    public static final String ACTOR_HEADER = "X-Rollguard-Actor";

    private final ConsoleConfig config;
    private final ObjectMapper json;
    private final HttpClient http;

    public ServiceClient(ConsoleConfig config, ObjectMapper json) {
        requirePositive(config.services());
        this.config = config;
        this.json = json;
        this.http = HttpClient.newBuilder()
                .connectTimeout(config.services().timeout())
                .build();
    }

    /**
     * A deadline of zero would answer every page "no answer within 0 s" without asking anyone, and the JDK client
     * refuses a connect timeout of zero with a message that names no setting.
     */
    static void requirePositive(ConsoleConfig.Services services) {
        Map<String, Duration> durations = new LinkedHashMap<>();
        durations.put("timeout", services.timeout());
        durations.put("page-deadline", services.pageDeadline());
        durations.put("health-report-deadline", services.healthReportDeadline());
        durations.forEach((name, value) -> {
            if (value.isZero() || value.isNegative()) {
                throw new IllegalArgumentException(
                        "console.services." + name + " must be longer than zero, but is " + value);
            }
        });
    }

    public ApiResult get(Service service, String pathAndQuery, String token) {
        return json(service, pathAndQuery, send(service, "GET", pathAndQuery, token, null, Map.of(), false));
    }

    /**
     * A read's 2xx answer as the console asked for it, JSON by its Content-Type and its body, else {@link
     * ApiResult#unexpected}: a gateway or proxy in front of a service may answer 200 with its own text or page, which
     * must not be read as the service's list or object (an empty list drawn as "Nothing is firing").
     */
    private static ApiResult json(Service service, String pathAndQuery, ApiResult result) {
        if (!result.ok() || result.json()) {
            return result;
        }
        String why = result.described() + (result.jsonType() ? " whose body is not JSON" : ", not JSON");
        Log.warnf("GET %s%s answered %s", service.label, pathAndQuery, why);
        return ApiResult.unexpected(service.label, why);
    }

    /**
     * {@code result} when it is not a 2xx or its body has the shape {@code what} names, else {@link
     * ApiResult#unexpected} ("HTTP 200 that is not a flag"): JSON of another shape (a gateway's own JSON) is no more
     * the service's answer than a page is.
     */
    public static ApiResult shaped(Service service, ApiResult result, String what, Predicate<JsonNode> shape) {
        if (!result.ok() || shape.test(result.body())) {
            return result;
        }
        Log.warnf("%s answered HTTP %d that is not %s", service.label, result.status(), what);
        return ApiResult.unexpected(service.label, "HTTP " + result.status() + " that is not " + what);
    }

    /**
     * A write with an Idempotency-Key: the one in {@code headers} (a confirmation form carries the key made when it
     * was shown, so the form submitted twice changes the flag once), else a new one. It names the signed-in operator
     * in {@value #ACTOR_HEADER} (unless {@code headers} names someone), so the service's audit records the person,
     * not only the token. A write that went out and got no answer is {@link ApiResult#noAnswer}: it may have been
     * applied.
     */
    public ApiResult write(
            Service service,
            String method,
            String path,
            OperatorSession session,
            Object body,
            Map<String, String> headers) {
        Map<String, String> all = new HashMap<>(headers);
        all.putIfAbsent("Idempotency-Key", "console-" + UUID.randomUUID());
        if (session.operator() != null && !session.operator().isEmpty()) {
            all.putIfAbsent(ACTOR_HEADER, session.operator());
        }
        // Any name goes out: printable ASCII as it is, any other escaped (ActorName), never refused by the header.
        all.computeIfPresent(ACTOR_HEADER, (header, name) -> ActorName.encode(name));
        return send(service, method, path, session.token(), body, all, true);
    }

    /** The reads of one page: each starts at once, and all of them share one deadline. */
    public Reads reads() {
        return new Reads(config.services().pageDeadline(), config.services().timeout());
    }

    /**
     * Reads that share a deadline of their own rather than the page's, for an answer that a service builds by asking
     * others (metrics-ingest's health report) and so may take longer: each request may take until that deadline too.
     */
    public Reads reads(Duration deadline) {
        return new Reads(deadline, deadline);
    }

    /**
     * Reads started together. {@link Reads#get} sends a request and returns at once; {@link Pending#await} waits for
     * its answer no later than their deadline (the page's, unless given one of their own). A service that has not
     * answered by then is unavailable for this page, said as such ("no answer within 5 s"), never as an empty list.
     */
    public final class Reads {

        /** How long the reads may take, as said to the operator ("no answer within 5 s"). */
        private final Duration allowed;

        private final Instant deadline;
        /** The most one request may take, even when the deadline is further away. */
        private final Duration callTimeout;

        Reads(Duration allowed, Duration callTimeout) {
            this.allowed = allowed;
            this.deadline = Instant.now().plus(allowed);
            this.callTimeout = callTimeout;
        }

        public Pending get(Service service, String pathAndQuery, String token) {
            return start(service, pathAndQuery, token, Map.of());
        }

        public Pending getText(Service service, String pathAndQuery, String token) {
            return start(service, pathAndQuery, token, Map.of("Accept", "text/plain"));
        }

        private Pending start(Service service, String pathAndQuery, String token, Map<String, String> headers) {
            Duration left = Duration.between(Instant.now(), deadline);
            if (left.isNegative() || left.isZero()) {
                return new Pending(service, null, CompletableFuture.completedFuture(late(service)));
            }
            boolean deadlineFirst = left.compareTo(callTimeout) <= 0;
            HttpRequest request;
            try {
                request =
                        request(service, "GET", pathAndQuery, token, null, headers, deadlineFirst ? left : callTimeout);
            } catch (IllegalArgumentException e) {
                return new Pending(
                        service, null, CompletableFuture.completedFuture(notSent(service, "GET", pathAndQuery, e)));
            }
            CompletableFuture<HttpResponse<String>> sent =
                    http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
            // A text read (the health report) judges its answer itself; any other read asks for JSON.
            boolean text = headers.containsKey("Accept");
            CompletableFuture<ApiResult> answer = sent.thenApply(ServiceClient.this::result)
                    .thenApply(result -> text ? result : json(service, pathAndQuery, result))
                    .exceptionally(e -> {
                        Throwable cause = unwrap(e);
                        if (cause instanceof CancellationException) {
                            // Given up at the deadline: the page has said so already.
                            return late(service);
                        }
                        // A connect timeout (console.services.timeout, shorter than a health report's deadline) is
                        // a service that cannot be reached, not one that was too slow to answer.
                        if (deadlineFirst
                                && cause instanceof HttpTimeoutException
                                && !(cause instanceof HttpConnectTimeoutException)) {
                            return late(service);
                        }
                        return failed(service, "GET", pathAndQuery, cause, false);
                    });
            return new Pending(service, sent, answer);
        }

        private ApiResult late(Service service) {
            return ApiResult.unavailable(service.label, "no answer within " + seconds(allowed));
        }

        /** A read started with {@link #get}. */
        public final class Pending {

            private final Service service;
            /** The request in flight; null when none was sent. */
            private final CompletableFuture<HttpResponse<String>> sent;

            private final CompletableFuture<ApiResult> answer;

            Pending(
                    Service service,
                    CompletableFuture<HttpResponse<String>> sent,
                    CompletableFuture<ApiResult> answer) {
                this.service = service;
                this.sent = sent;
                this.answer = answer;
            }

            /**
             * The answer as it comes, for a read that no page waits for: it completes by the deadline at the latest,
             * unavailable ("no answer within 5 s") when the service has not answered in full by then, and the request
             * is cancelled then, which closes its connection. The request's own timeout cannot promise this: it ends
             * when the response headers come, and a body that stalls after them would leave the answer pending, and
             * the connection open, for as long as the service keeps it so.
             */
            public CompletableFuture<ApiResult> answer() {
                long left = Duration.between(Instant.now(), deadline).toMillis();
                CompletableFuture.delayedExecutor(Math.max(left, 0), TimeUnit.MILLISECONDS)
                        .execute(this::giveUp);
                return answer;
            }

            /**
             * Ends the wait: cancels the request still in flight (the JDK client then closes its connection, so a
             * stalled service holds nothing of the console's) and answers unavailable; nothing once answered.
             */
            private void giveUp() {
                if (sent != null && !sent.isDone()) {
                    Log.warnf("%s gave no answer within %s", service.label, seconds(allowed));
                    sent.cancel(true);
                }
                answer.complete(late(service));
            }

            /** The service's answer, or unavailable when it has not come by the deadline. */
            public ApiResult await() {
                long left = Duration.between(Instant.now(), deadline).toMillis();
                try {
                    return answer.get(Math.max(left, 0), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    giveUp();
                    return late(service);
                } catch (ExecutionException | CancellationException e) {
                    return ApiResult.unavailable(service.label, why(unwrap(e)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return ApiResult.unavailable(service.label, "interrupted");
                }
            }
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static Throwable unwrap(Throwable e) {
        return (e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null
                ? e.getCause()
                : e;
    }

    /**
     * Why a request got no answer, in the operator's words: the page shows it, so it names what happened on the
     * connection, never a Java class (the log keeps the exception).
     */
    private String why(Throwable e) {
        Duration timeout = config.services().timeout();
        if (e instanceof HttpConnectTimeoutException) {
            return "no connection within " + seconds(timeout);
        }
        if (e instanceof ConnectException) {
            return "could not connect";
        }
        if (e instanceof HttpTimeoutException) {
            return "timed out after " + seconds(timeout);
        }
        if (e instanceof IOException) {
            return "the connection closed before an answer";
        }
        return "the request failed";
    }

    private HttpRequest request(
            Service service,
            String method,
            String pathAndQuery,
            String token,
            Object body,
            Map<String, String> headers,
            Duration timeout) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base(service) + pathAndQuery))
                .timeout(timeout)
                .header("Authorization", "Bearer " + token);
        if (!headers.containsKey("Accept")) {
            request.header("Accept", "application/json");
        }
        headers.forEach(request::header);
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            String contentType = "PATCH".equals(method) ? "application/merge-patch+json" : "application/json";
            try {
                request.header("Content-Type", contentType)
                        .method(method, HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)));
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("a request body the console made is not JSON", e);
            }
        }
        return request.build();
    }

    private ApiResult result(HttpResponse<String> response) {
        return new ApiResult(
                response.statusCode(),
                parse(response.body()),
                response.body(),
                response.headers().firstValue("ETag").orElse(null),
                response.headers().firstValue("Content-Type").orElse(null));
    }

    /**
     * A request the console could not build (a header value or address the HTTP client refuses): nothing was sent, so
     * nothing was applied; the page says so instead of failing.
     */
    private ApiResult notSent(Service service, String method, String pathAndQuery, IllegalArgumentException e) {
        Log.warnf("%s %s%s not sent: %s", method, service.label, pathAndQuery, e.toString());
        return ApiResult.notSent(service.label, e.getMessage());
    }

    private ApiResult failed(Service service, String method, String pathAndQuery, Throwable e, boolean write) {
        Log.warnf("%s %s%s failed: %s", method, service.label, pathAndQuery, e.toString());
        // No connection means nothing was sent: a write that could not connect was not applied.
        if (e instanceof ConnectException || e instanceof HttpConnectTimeoutException || !(e instanceof IOException)) {
            return ApiResult.unavailable(service.label, why(e));
        }
        return write ? ApiResult.noAnswer(service.label, why(e)) : ApiResult.unavailable(service.label, why(e));
    }

    private ApiResult send(
            Service service,
            String method,
            String pathAndQuery,
            String token,
            Object body,
            Map<String, String> headers,
            boolean write) {
        HttpRequest request;
        try {
            request = request(
                    service,
                    method,
                    pathAndQuery,
                    token,
                    body,
                    headers,
                    config.services().timeout());
        } catch (IllegalArgumentException e) {
            return notSent(service, method, pathAndQuery, e);
        }
        try {
            return result(http.send(request, HttpResponse.BodyHandlers.ofString()));
        } catch (IOException e) {
            return failed(service, method, pathAndQuery, e, write);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ApiResult.unavailable(service.label, "interrupted");
        }
    }

    private JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return MissingNode.getInstance();
        }
        try {
            return json.readTree(body);
        } catch (JsonProcessingException notJson) {
            return MissingNode.getInstance();
        }
    }

    private String base(Service service) {
        String url =
                switch (service) {
                    case FLAG -> config.services().flagService();
                    case INGEST -> config.services().metricsIngest();
                    case ALERT -> config.services().alertService();
                    case ROLLBACK -> config.services().rollbackService();
                };
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    /** A path segment or query value, encoded. */
    public static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
