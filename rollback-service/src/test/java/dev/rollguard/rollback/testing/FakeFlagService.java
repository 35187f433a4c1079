package dev.rollguard.rollback.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small real HTTP server on a loopback port implementing the parts of the flag-service contract
 * (docs/contracts.md) the rollback-service uses: GET a flag, list flags, kill, revert a stage, pause, promote (with
 * the flag-service's refusals for a service token), and OFREP evaluation; and, for the promoter, the alert-service's
 * {@code GET /api/guard} with verdicts a test sets, and for the guard its {@code GET /api/alerts?fingerprint=} (every
 * alert's latest transition a firing one unless a test ended it). It
 * checks tokens, honours {@code Idempotency-Key} (the same key with the same request answers the first response and
 * changes nothing, with another request it is refused 422 {@code IDEMPOTENCY_KEY_REUSED}; a key over 200 characters is
 * refused, as the real one refuses it),
 * writes one audit entry per effective change, records every call, and can be made to answer 503, to fail the changes of one flag, to lose the
 * answer of an applied change, or be stopped and started again on the same port.
 *
 * <p>The real flag-service is covered by the whole-stack end-to-end test.
 */
public final class FakeFlagService implements AutoCloseable {

    public static final String SERVICE_TOKEN = "test-service-token";
    public static final String CLIENT_TOKEN = "test-client-token";

    private static final Pattern FLAG_PATH =
            Pattern.compile("^/api/flags/([^/]+)(?:/(kill|stage|pause|rollout/promote))?$");
    /** Longest reason the flag-service accepts on a write. */
    private static final int MAX_REASON = 2000;
    /** Longest Idempotency-Key the flag-service accepts (its audit and idempotency tables hold VARCHAR(200)). */
    private static final int MAX_IDEMPOTENCY_KEY = 200;

    /** Like the real service's snapshot refresh, a kill reaches evaluations a moment after it is committed. */
    private static final long VISIBILITY_DELAY_MILLIS = 30;

    private static final Pattern OFREP_PATH = Pattern.compile("^/ofrep/v1/evaluate/flags/([^/]+)$");

    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, Flag> flags = new ConcurrentHashMap<>();
    private final Map<String, Answered> answered = new ConcurrentHashMap<>();
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final List<AuditEntry> audit = new CopyOnWriteArrayList<>();
    private final Set<String> loseNextAnswer = ConcurrentHashMap.newKeySet();
    private final Map<String, Stored> refuseNextChange = new ConcurrentHashMap<>();
    private final Map<String, String> verdicts = new ConcurrentHashMap<>();
    /** Fingerprints of the alerts that resolved at the alert-service ({@link #endAlert}). */
    private final Set<String> endedAlerts = ConcurrentHashMap.newKeySet();
    /** Fingerprints the alert-service never had ({@link #alertUnknown}). */
    private final Set<String> unknownAlerts = ConcurrentHashMap.newKeySet();
    /** The status {@code GET /api/alerts} fails with, 0 when it answers. */
    private volatile int alertsFailure;

    private volatile boolean unavailable;

    /** Per flag, the status every change of it is answered with ({@link #failChanges}). */
    private final Map<String, Integer> failingChanges = new ConcurrentHashMap<>();

    private volatile boolean misrouted;
    private HttpServer server;
    private ExecutorService executor;
    private int port;

    private FakeFlagService() {}

    /** Starts on a free loopback port. */
    public static FakeFlagService start() {
        FakeFlagService fake = new FakeFlagService();
        fake.listen(0);
        return fake;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** A call the rollback-service made. */
    /** One call as received; {@code requestId} and {@code traceparent} are its X-Request-Id and traceparent headers. */
    public record Call(
            String method,
            String path,
            String flagKey,
            String idempotencyKey,
            String body,
            String requestId,
            String traceparent) {
        public boolean isWrite() {
            return "POST".equals(method) && path.startsWith("/api/");
        }
    }

    /** One effective change of a flag, as the flag-service's audit log would hold it. */
    public record AuditEntry(String flagKey, String action, String reason, String idempotencyKey, long versionAfter) {}

    private record Stored(int status, String body) {}

    /**
     * The first answer under an Idempotency-Key and the request it answered (method, path and body; null: any request,
     * as for a key stored before the flag-service kept requests).
     */
    private record Answered(Stored answer, String request) {}

    private static final class Flag {
        final String key;
        final String policyAction;
        final boolean dryRun;
        final long cooldownSeconds;
        final int stageCount;
        boolean enabled = true;
        boolean killed;
        boolean paused;
        Integer currentStage;
        /** A rollout plan with modes and minimums ({@link #definePlan}); null for the plain stages of define. */
        List<PlanStage> plan;

        Instant stageEnteredAt;
        Long stageVersion;
        long deadlineSeconds = 86_400;
        long extensionSeconds = 86_400;
        String then = "hold";
        long version = 1;
        Instant updatedAt = Instant.now();
        Instant killedAt;

        Flag(
                String key,
                String policyAction,
                boolean dryRun,
                long cooldownSeconds,
                int stageCount,
                Integer currentStage) {
            this.key = key;
            this.policyAction = policyAction;
            this.dryRun = dryRun;
            this.cooldownSeconds = cooldownSeconds;
            this.stageCount = stageCount;
            this.currentStage = currentStage;
        }
    }

    /**
     * Defines an enabled flag with a guard policy and a rollout plan of {@code stageCount} stages; a flag at a stage
     * entered it at its version 1 ({@code stageVersion}).
     */
    public void define(
            String key, String action, boolean dryRun, long cooldownSeconds, int stageCount, Integer currentStage) {
        Flag flag = new Flag(key, action, dryRun, cooldownSeconds, stageCount, currentStage);
        flag.stageVersion = currentStage == null ? null : flag.version;
        flags.put(key, flag);
    }

    /** Moves the flag back one stage as an operator would: a new version, which begins the stage it moves to. */
    public synchronized void revertAsAnOperator(String key) {
        Flag flag = flags.get(key);
        flag.currentStage = flag.currentStage - 1;
        flag.version++;
        flag.stageVersion = flag.version;
        flag.updatedAt = Instant.now();
    }

    /**
     * A change within the flag's stage (its allow-list edited, say): a new version of the flag, its stage unchanged.
     * Returns that version.
     */
    public synchronized long editWithinStage(String key) {
        Flag flag = flags.get(key);
        flag.version++;
        flag.updatedAt = Instant.now();
        return flag.version;
    }

    /** One stage of a plan defined with {@link #definePlan}. */
    public record PlanStage(
            String name, double percentage, long minSoakSeconds, long minClientsPerCohort, boolean auto) {}

    /**
     * Defines an enabled flag on a rollout plan, at {@code currentStage} since {@code stageEnteredAt}; the stage began
     * at the flag's version 1.
     */
    public void definePlan(
            String key,
            List<PlanStage> stages,
            int currentStage,
            Instant stageEnteredAt,
            long deadlineSeconds,
            long extensionSeconds,
            String then) {
        Flag flag = new Flag(key, "KILL", false, 0, stages.size(), currentStage);
        flag.plan = List.copyOf(stages);
        flag.stageEnteredAt = stageEnteredAt;
        flag.stageVersion = flag.version;
        flag.deadlineSeconds = deadlineSeconds;
        flag.extensionSeconds = extensionSeconds;
        flag.then = then;
        flags.put(key, flag);
    }

    /** Per flag, the stageVersion its last revert request named (empty: none). */
    private final Map<String, Optional<Long>> revertStageVersions = new ConcurrentHashMap<>();

    /** Flags whose stage another party moves just before their next revert request arrives. */
    private final Set<String> stageMovedBeforeNextChange = ConcurrentHashMap.newKeySet();

    /** The stageVersion the last revert request of {@code key} named; null before any revert. */
    public Optional<Long> revertStageVersion(String key) {
        return revertStageVersions.get(key);
    }

    /** Before the next revert request of {@code key} is handled, another party moves the flag to another stage. */
    public void moveStageBeforeNextRevert(String key) {
        stageMovedBeforeNextChange.add(key);
    }

    /** The version that began the flag's current stage. */
    public Long stageVersion(String key) {
        return flags.get(key).stageVersion;
    }

    /** Pauses or resumes a flag as an operator would (a new version, the same stage). */
    public synchronized void setPaused(String key, boolean paused) {
        Flag flag = flags.get(key);
        flag.paused = paused;
        flag.version++;
    }

    /**
     * Makes the alert-service's {@code GET /api/alerts?fingerprint=&view=history} answer a resolution as the latest
     * transition of this fingerprint. Every other fingerprint's latest is a firing one.
     */
    public void endAlert(String fingerprint) {
        endedAlerts.add(fingerprint);
    }

    /** Makes the alert-service's {@code GET /api/alerts} know no transition of this fingerprint. */
    public void alertUnknown(String fingerprint) {
        unknownAlerts.add(fingerprint);
    }

    /** Makes the alert-service's {@code GET /api/alerts} fail with this status (0: answer again). */
    public void failAlerts(int status) {
        alertsFailure = status;
    }

    private Stored activeAlerts(String token, String query) {
        if (!SERVICE_TOKEN.equals(token)) {
            return new Stored(401, error("UNAUTHENTICATED", "service token required"));
        }
        if (alertsFailure != 0) {
            return new Stored(alertsFailure, error("INTERNAL", "alert-service failed"));
        }
        String fingerprint = "";
        for (String parameter : query == null ? new String[0] : query.split("&")) {
            if (parameter.startsWith("fingerprint=")) {
                fingerprint = java.net.URLDecoder.decode(
                        parameter.substring("fingerprint=".length()), StandardCharsets.UTF_8);
            }
        }
        if (unknownAlerts.contains(fingerprint)) {
            return new Stored(200, "[]");
        }
        return new Stored(
                200,
                json.createArrayNode()
                        .add(json.createObjectNode()
                                .put("fingerprint", fingerprint)
                                .put("status", endedAlerts.contains(fingerprint) ? "RESOLVED" : "FIRING"))
                        .toString());
    }

    /** What the alert-service's {@code GET /api/guard} answers for this flag: one verdict object as JSON. */
    public void setVerdict(String key, String verdictJson) {
        verdicts.put(key, verdictJson);
    }

    /** Defines an enabled flag at stage 2 of 4 with the given action, no dry run and no cooldown. */
    public void define(String key, String action) {
        define(key, action, false, 0, 4, 2);
    }

    /** Defines a flag someone already killed. */
    public void defineKilled(String key, String action) {
        define(key, action);
        Flag flag = flags.get(key);
        flag.killed = true;
        flag.killedAt = Instant.now();
    }

    /** Kills the flag as if a call with this idempotency key had reached the flag-service (before a crash). */
    public void killAsIfCalled(String key, String idempotencyKey, String reason) {
        Stored stored = change(flags.get(key), "kill", reason, idempotencyKey, json.createObjectNode());
        answered.put(SERVICE_TOKEN + " " + idempotencyKey, new Answered(stored, null));
    }

    public boolean isKilled(String key) {
        return flags.get(key).killed;
    }

    public Integer currentStage(String key) {
        return flags.get(key).currentStage;
    }

    public boolean isPaused(String key) {
        return flags.get(key).paused;
    }

    /** While true, every request is answered 503 UNAVAILABLE. */
    public void setUnavailable(boolean unavailable) {
        this.unavailable = unavailable;
    }

    /**
     * Until {@link #acceptChanges}, every change of this flag (kill, stage, pause, promote) is answered with {@code
     * status} and changes nothing, while its reads and every other flag are answered as usual: a flag-service failing
     * for one flag alone.
     */
    public void failChanges(String flagKey, int status) {
        failingChanges.put(flagKey, status);
    }

    /** Ends {@link #failChanges} for this flag. */
    public void acceptChanges(String flagKey) {
        failingChanges.remove(flagKey);
    }

    /**
     * While true, every request is answered 404 with a page that is not the flag-service's JSON error, as a proxy or
     * an ingress in front of the wrong path answers.
     */
    public void setMisrouted(boolean misrouted) {
        this.misrouted = misrouted;
    }

    /**
     * The next write to this flag is refused with {@code status} and the error {@code code}, and changes nothing: a
     * refusal for a reason of the flag's own (its plan edited, say) between the guard's read and its write.
     */
    public void refuseNextChange(String flagKey, int status, String code) {
        refuseNextChange.put(flagKey, new Stored(status, error(code, "refused for the test")));
    }

    /** The next write to this flag is applied but its answer is lost (503), as if the connection broke. */
    public void loseNextAnswer(String flagKey) {
        loseNextAnswer.add(flagKey);
    }

    public List<Call> calls(String flagKey) {
        return calls.stream().filter(c -> flagKey.equals(c.flagKey())).toList();
    }

    public List<Call> writes(String flagKey) {
        return calls(flagKey).stream().filter(Call::isWrite).toList();
    }

    public List<AuditEntry> audit(String flagKey) {
        return audit.stream().filter(a -> flagKey.equals(a.flagKey())).toList();
    }

    /** Stops listening: connections are refused until {@link #restart()}. */
    public synchronized void stop() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
            server = null;
        }
    }

    /** Listens again on the same port. */
    public synchronized void restart() {
        if (server == null) {
            listen(port);
        }
    }

    @Override
    public void close() {
        stop();
    }

    private synchronized void listen(int onPort) {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort), 50);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        executor = Executors.newFixedThreadPool(4);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        // remember the chosen port so that restart() comes back where the service expects it
        port = server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String idempotencyKey = exchange.getRequestHeaders().getFirst("Idempotency-Key");
            String token = token(exchange.getRequestHeaders().getFirst("Authorization"));
            Matcher flagPath = FLAG_PATH.matcher(path);
            Matcher ofrepPath = OFREP_PATH.matcher(path);
            String flagKey = flagPath.matches() ? flagPath.group(1) : ofrepPath.matches() ? ofrepPath.group(1) : null;
            calls.add(new Call(
                    exchange.getRequestMethod(),
                    path,
                    flagKey,
                    idempotencyKey,
                    body,
                    exchange.getRequestHeaders().getFirst("X-Request-Id"),
                    exchange.getRequestHeaders().getFirst("traceparent")));
            if (unavailable) {
                send(exchange, new Stored(503, error("UNAVAILABLE", "flag-service is unavailable")));
                return;
            }
            if (misrouted) {
                send(exchange, new Stored(404, "<html><body>404 Not Found</body></html>"));
                return;
            }
            Integer changeFailure = flagPath.matches() && "POST".equals(exchange.getRequestMethod())
                    ? failingChanges.get(flagKey)
                    : null;
            if (changeFailure != null) {
                send(exchange, new Stored(changeFailure, error("INTERNAL", "the change of " + flagKey + " failed")));
                return;
            }
            if ("/api/flags".equals(path) && "GET".equals(exchange.getRequestMethod())) {
                send(exchange, list(token));
            } else if ("/api/guard".equals(path) && "GET".equals(exchange.getRequestMethod())) {
                send(exchange, guard(token));
            } else if ("/api/alerts".equals(path) && "GET".equals(exchange.getRequestMethod())) {
                send(exchange, activeAlerts(token, exchange.getRequestURI().getQuery()));
            } else if (flagPath.matches() && flagPath.group(2) == null && "GET".equals(exchange.getRequestMethod())) {
                send(exchange, get(token, flagKey));
            } else if (flagPath.matches() && "POST".equals(exchange.getRequestMethod())) {
                send(exchange, write(token, flagKey, path, flagPath.group(2), idempotencyKey, body));
            } else if (ofrepPath.matches() && "POST".equals(exchange.getRequestMethod())) {
                send(exchange, evaluate(token, flagKey));
            } else {
                send(exchange, new Stored(404, error("NOT_FOUND", "no such endpoint")));
            }
        }
    }

    private Stored get(String token, String key) {
        if (!SERVICE_TOKEN.equals(token)) {
            return new Stored(401, error("UNAUTHENTICATED", "service token required"));
        }
        Flag flag = flags.get(key);
        return flag == null
                ? new Stored(404, error("FLAG_NOT_FOUND", "no flag " + key))
                : new Stored(200, flagJson(flag));
    }

    private Stored list(String token) {
        if (!SERVICE_TOKEN.equals(token)) {
            return new Stored(401, error("UNAUTHENTICATED", "service token required"));
        }
        return new Stored(
                200,
                "["
                        + String.join(
                                ",", flags.values().stream().map(this::flagJson).toList()) + "]");
    }

    private Stored guard(String token) {
        if (!SERVICE_TOKEN.equals(token)) {
            return new Stored(401, error("UNAUTHENTICATED", "unknown token"));
        }
        return new Stored(200, "[" + String.join(",", verdicts.values()) + "]");
    }

    /**
     * As the flag-service: a move tied to a version ({@code stageVersion}) is refused once the flag has entered another
     * stage since that version, or is not at it yet.
     */
    private static boolean enteredAnotherStage(Flag flag, JsonNode request) {
        if (!request.hasNonNull("stageVersion")) {
            return false;
        }
        long tied = request.get("stageVersion").asLong();
        return flag.stageVersion == null || flag.stageVersion > tied || tied > flag.version;
    }

    private Stored promote(Flag flag, JsonNode request) {
        if (flag.killed) {
            return new Stored(409, error("KILLED", "flag '" + flag.key + "' is killed"));
        }
        if (flag.paused) {
            return new Stored(409, error("PAUSED", "flag '" + flag.key + "' is paused: resume it"));
        }
        if (enteredAnotherStage(flag, request)) {
            return new Stored(409, error("STAGE_CHANGED", "its stage began at " + flag.stageVersion));
        }
        PlanStage stage = flag.plan.get(flag.currentStage);
        if (!stage.auto()) {
            return new Stored(409, error("MANUAL_STAGE", "stage '" + stage.name() + "' is promoted by hand"));
        }
        if (flag.currentStage + 1 >= flag.plan.size()) {
            return new Stored(409, error("LAST_STAGE", "at its last stage"));
        }
        if (Instant.now().isBefore(flag.stageEnteredAt.plusSeconds(stage.minSoakSeconds()))) {
            return new Stored(409, error("SOAK_NOT_ELAPSED", "stage '" + stage.name() + "' soaks"));
        }
        flag.currentStage = flag.currentStage + 1;
        flag.stageEnteredAt = Instant.now();
        flag.stageVersion = flag.version + 1;
        return null;
    }

    private synchronized Stored write(
            String token, String key, String path, String operation, String idempotencyKey, String body)
            throws IOException {
        if (!SERVICE_TOKEN.equals(token)) {
            return new Stored(401, error("UNAUTHENTICATED", "service token required"));
        }
        if (idempotencyKey != null && idempotencyKey.strip().length() > MAX_IDEMPOTENCY_KEY) {
            return new Stored(
                    400,
                    error(
                            "VALIDATION_FAILED",
                            "Idempotency-Key: must be at most " + MAX_IDEMPOTENCY_KEY + " characters"));
        }
        String storeKey = token + " " + idempotencyKey;
        String sent = "POST " + path + " " + body;
        if (idempotencyKey != null && answered.containsKey(storeKey)) {
            Answered first = answered.get(storeKey);
            if (first.request() != null && !first.request().equals(sent)) {
                return new Stored(
                        422,
                        error(
                                "IDEMPOTENCY_KEY_REUSED",
                                "Idempotency-Key " + idempotencyKey + " was first sent with another request"));
            }
            return first.answer();
        }
        Stored refusal = refuseNextChange.remove(key);
        if (refusal != null) {
            return refusal;
        }
        Flag flag = flags.get(key);
        JsonNode request = json.readTree(body.isEmpty() ? "{}" : body);
        if (request.path("reason").asText("").length() > MAX_REASON) {
            return new Stored(400, error("VALIDATION_FAILED", "reason: size must be between 0 and " + MAX_REASON));
        }
        Stored result = flag == null
                ? new Stored(404, error("FLAG_NOT_FOUND", "no flag " + key))
                : change(flag, operation, request.path("reason").asText(""), idempotencyKey, request);
        if (idempotencyKey != null) {
            answered.put(storeKey, new Answered(result, sent));
        }
        if (flag != null && loseNextAnswer.remove(key)) {
            return new Stored(503, error("UNAVAILABLE", "answer lost"));
        }
        return result;
    }

    private synchronized Stored change(
            Flag flag, String operation, String reason, String idempotencyKey, JsonNode request) {
        switch (operation) {
            case "kill" -> {
                if (flag.killed) {
                    return new Stored(200, flagJson(flag));
                }
                flag.killed = true;
                flag.killedAt = Instant.now();
            }
            case "stage" -> {
                if (!"revert".equals(request.path("action").asText())) {
                    return new Stored(403, error("FORBIDDEN", "service tokens may only revert"));
                }
                revertStageVersions.put(
                        flag.key,
                        request.hasNonNull("stageVersion")
                                ? Optional.of(request.get("stageVersion").asLong())
                                : Optional.empty());
                if (stageMovedBeforeNextChange.remove(flag.key)) {
                    // Someone else moved the flag to another stage between the decision and this request.
                    flag.version++;
                    flag.stageVersion = flag.version;
                }
                if (enteredAnotherStage(flag, request)) {
                    return new Stored(409, error("STAGE_CHANGED", "its stage began at " + flag.stageVersion));
                }
                if (flag.currentStage == null || flag.currentStage == 0) {
                    return new Stored(409, error("NO_STAGE", "no earlier stage"));
                }
                flag.currentStage = flag.currentStage - 1;
                flag.stageEnteredAt = Instant.now();
                flag.stageVersion = flag.version + 1;
            }
            case "rollout/promote" -> {
                Stored refused = promote(flag, request);
                if (refused != null) {
                    return refused;
                }
            }
            case "pause" -> {
                if (flag.paused) {
                    return new Stored(200, flagJson(flag));
                }
                flag.paused = true;
            }
            default -> {
                return new Stored(404, error("NOT_FOUND", "no such endpoint"));
            }
        }
        flag.version++;
        flag.updatedAt = Instant.now();
        audit.add(new AuditEntry(flag.key, operation, reason, idempotencyKey, flag.version));
        return new Stored(200, flagJson(flag));
    }

    private Stored evaluate(String token, String key) {
        if (!CLIENT_TOKEN.equals(token)) {
            return new Stored(401, error("UNAUTHENTICATED", "client token required"));
        }
        Flag flag = flags.get(key);
        if (flag == null) {
            return new Stored(404, "{\"key\":\"" + key + "\",\"errorCode\":\"FLAG_NOT_FOUND\"}");
        }
        boolean off = flag.killed && Instant.now().isAfter(flag.killedAt.plusMillis(VISIBILITY_DELAY_MILLIS));
        ObjectNode answer = json.createObjectNode().put("key", key);
        if (off) {
            answer.put("value", false).put("variant", "off").put("reason", "DISABLED");
        } else {
            answer.put("value", true).put("variant", "on").put("reason", "TARGETING_MATCH");
        }
        return new Stored(200, answer.toString());
    }

    private String flagJson(Flag flag) {
        ObjectNode node = json.createObjectNode()
                .put("key", flag.key)
                .put("description", "test flag")
                .put("owner", "tests")
                .put("type", "BOOLEAN")
                .put("enabled", flag.enabled)
                .put("killed", flag.killed)
                .put("archived", false)
                .put("rolloutPercentage", 10.0)
                .put("treatmentVariant", "on")
                .put("offVariant", "off")
                .put("paused", flag.paused)
                .put("version", flag.version)
                .put("createdAt", "2026-01-01T00:00:00Z")
                .put("updatedAt", flag.updatedAt.toString())
                .put("updatedBy", "tests");
        if (flag.currentStage == null) {
            node.putNull("currentStage");
        } else {
            node.put("currentStage", flag.currentStage);
        }
        var stages = node.putArray("stages");
        if (flag.plan != null) {
            for (PlanStage stage : flag.plan) {
                stages.addObject()
                        .put("name", stage.name())
                        .put("percentage", stage.percentage())
                        .put("minSoakSeconds", stage.minSoakSeconds())
                        .put("minClientsPerCohort", stage.minClientsPerCohort())
                        .put("promotion", stage.auto() ? "auto" : "manual");
            }
            node.put("stageEnteredAt", flag.stageEnteredAt.toString());
            node.put("stageVersion", flag.stageVersion);
            node.putObject("onMinimumsNotMet")
                    .put("deadlineSeconds", flag.deadlineSeconds)
                    .put("extensionSeconds", flag.extensionSeconds)
                    .put("then", flag.then);
        } else {
            for (int i = 0; i < flag.stageCount; i++) {
                stages.addObject()
                        .put("name", "stage-" + i)
                        .put("percentage", 5.0 * (i + 1))
                        .put("minSoakSeconds", 60);
            }
            if (flag.stageVersion != null) {
                node.put("stageVersion", flag.stageVersion);
            }
        }
        node.putObject("guardPolicy")
                .put("action", flag.policyAction)
                .put("dryRun", flag.dryRun)
                .put("cooldownSeconds", flag.cooldownSeconds);
        return node.toString();
    }

    private String error(String code, String message) {
        return json.createObjectNode().put("code", code).put("message", message).toString();
    }

    private static String token(String authorization) {
        return authorization != null && authorization.startsWith("Bearer ") ? authorization.substring(7) : null;
    }

    private static void send(HttpExchange exchange, Stored stored) throws IOException {
        byte[] bytes = stored.body().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(stored.status(), bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
