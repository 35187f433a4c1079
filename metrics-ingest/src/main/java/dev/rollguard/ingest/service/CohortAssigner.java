package dev.rollguard.ingest.service;

import dev.rollguard.ingest.domain.CohortAssignment;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.Segment;
import dev.rollguard.schemas.event.TargetingRule;
import dev.rollguard.schemas.targeting.BucketDraws;
import dev.rollguard.schemas.targeting.Evaluation;
import dev.rollguard.schemas.targeting.EvaluationContext;
import dev.rollguard.schemas.targeting.FlagEvaluator;
import dev.rollguard.schemas.targeting.Rollouts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jboss.logging.Logger;

/**
 * Assigns an event to a cohort per flag under rollout. Only a flag whose treatment can be compared with a control at
 * the event time ({@link Rollouts#underRollout}: on, not killed nor archived, a share strictly between 0 and 100 % or
 * an allow-list at 0 %, and the global kill switch off) gets cohort scopes: a disabled, killed, archived, 0 % or
 * 100 % flag costs nothing per event, so the cost of an event grows with the flags being rolled out, not with every
 * flag that exists.
 *
 * <p>When the client reported exposures, they decide the cohort: an exposure's {@code treated} if given, else whether
 * its variant is the treatment variant of the flag version it names (or of the version in force at the event time).
 * An exposure of a flag Rollguard does not know (yet) is kept when it says {@code treated}. Without exposures every
 * flag under rollout is evaluated for the event's subject with the shared {@link FlagEvaluator}, against the flag
 * version in force at the event time, so telemetry cohorts match what the flag-service served.
 *
 * <p>An exposure also tells whether the app evaluates with the key Rollguard assumes: the flag-service's evaluation
 * depends only on the targeting key and the flag versions, so when the event's subject, evaluated against the
 * exposure's flag version, lands in the other cohort than the exposure says, the app evaluated with another key
 * (an email, an anonymous id) than the {@code userId} it reports. Its events without exposures are then bucketed by
 * the wrong key; {@link Result#keyMismatches} names those flags.
 *
 * <p>The evaluation context of an event without exposures is what the telemetry carries: the targeting key (the
 * {@code userId}, else the {@code clientId}), {@code platform} (its symbol, e.g. {@code IOS}), {@code appVersion}
 * when given, and the event's {@code context} attributes. A flag whose targeting rules read an attribute the event
 * lacks still gets the cohort the evaluator gives (the rule does not match), but {@link Result#missingAttributes}
 * names the flag and attribute: the app must put that attribute in its telemetry for the cohorts to be what its
 * users were served.
 *
 * <p>A flag with weighted variants splits its treatment: each treated variant is its own cohort ({@link
 * CohortAssignment#variant}), compared with the control (the off variant) on its own. An exposure names the variant
 * served; the evaluator's variant decides without one.
 *
 * <p>When a flag draws some subjects by its bucket (a percentage), only the subjects drawn get its cohorts ({@link
 * BucketDraws}): a subject served by who it is (an allow- or deny-list, a rule with a fixed variant) is left out of
 * the comparison, counted in {@link Result#targeted}, and still counts in the table, platform and global windows. An
 * exposure is checked against the subject's own evaluation when the event carries what the flag's rules read; when
 * it does not (or the app evaluated with another key), the exposure's cohort stands.
 */
public final class CohortAssigner {

    // Not io.quarkus.logging.Log: this runs outside Quarkus too (architecture-tests' StreamThreadLoggingTest).
    private static final Logger LOG = Logger.getLogger(CohortAssigner.class);

    /** The evaluation context attribute of the event's platform. */
    public static final String PLATFORM = "platform";
    /** The evaluation context attribute of the event's app version. */
    public static final String APP_VERSION = "appVersion";
    /** The targeting key, readable as an attribute too; every event has one. */
    private static final String TARGETING_KEY = "targetingKey";

    private final FlagDirectory directory;
    /** Per flag: the version last looked at and the context attributes its rules read. */
    private final Map<String, RuleReads> reads = new HashMap<>();

    /**
     * The flag keys of the exposures of the event at hand, reused from event to event (an event reports up to 64,
     * and every exposure of every event passes here): an assigner serves one stream thread.
     */
    private final Set<String> seen = new HashSet<>();

    /**
     * Most flags the directory does not know that get cohort scopes at once, per assigner (input task): an exposure
     * that says {@code treated} is counted for a flag not known yet (created moments ago, its change still on its
     * way), but every such key makes windows of its own, so random keys must not make unbounded ones.
     */
    static final int MAX_UNKNOWN_FLAGS = 64;
    /** How long, in event time, an unknown flag keeps its place among them after its last exposure. */
    static final long UNKNOWN_FLAG_HOLD_MS = Duration.ofMinutes(10).toMillis();
    /** The unknown flags given cohort scopes, with the event time of their latest exposure. */
    private final Map<String, Long> unknownFlags = new HashMap<>();

    private record RuleReads(long version, Set<String> attributes) {}

    public CohortAssigner(FlagDirectory directory) {
        this.directory = directory;
    }

    /**
     * The cohorts of one event.
     *
     * @param unresolvedExposures exposures skipped because their flag is unknown and they did not say {@code treated}
     *     (or, for a flag with weighted variants, said {@code treated} of a variant that is not one of its treatments)
     * @param keyMismatches flags whose exposure names the other cohort than the event's subject evaluates to
     * @param missingAttributes flags evaluated for the event whose rules read a context attribute the event lacks
     * @param targeted flags that draw subjects by their bucket but did not draw the event's subject at the share they
     *     compare (it is on a list, a rule serves it a fixed variant, its parent flag is off for it, another share
     *     drew it, it could not be evaluated): left out of their cohorts
     */
    public record Result(
            List<CohortAssignment> assignments,
            int unresolvedExposures,
            List<String> keyMismatches,
            List<MissingAttribute> missingAttributes,
            List<String> targeted) {}

    /** A context attribute that a flag's rules read and an event without exposures did not carry. */
    public record MissingAttribute(String flagKey, String attribute) {}

    /** What the telemetry says about the event's subject, the evaluation context of an event without exposures. */
    public record Subject(
            String userId, String clientId, Platform platform, String appVersion, Map<String, String> context) {

        /** A subject known by its keys only. */
        public static Subject of(String userId, String clientId) {
            return new Subject(userId, clientId, null, null, Map.of());
        }

        /** The targeting key: the user, or the client when no user is signed in. */
        String targetingKey() {
            return userId == null || userId.isBlank() ? clientId : userId;
        }

        EvaluationContext evaluationContext() {
            Map<String, Object> attributes = new HashMap<>();
            if (context != null) {
                attributes.putAll(context);
            }
            if (platform != null) {
                attributes.put(PLATFORM, platform.name());
            }
            if (appVersion != null) {
                attributes.put(APP_VERSION, appVersion);
            }
            return new EvaluationContext(targetingKey(), attributes);
        }

        boolean has(String attribute) {
            return switch (attribute) {
                case PLATFORM -> platform != null;
                case APP_VERSION -> appVersion != null;
                case TARGETING_KEY -> true;
                default -> context != null && context.containsKey(attribute);
            };
        }
    }

    /** The event's cohorts; the subject is the user, or the client when no user is signed in. */
    public Result assign(List<FlagExposure> exposures, String userId, String clientId, long eventTime) {
        return assign(exposures, Subject.of(userId, clientId), eventTime);
    }

    /** The event's cohorts, evaluated (without exposures) with the subject's context attributes. */
    public Result assign(List<FlagExposure> exposures, Subject subject, long eventTime) {
        if (directory.globallyKilledAt(eventTime)) {
            // Every flag is off for everyone: nothing is being rolled out.
            return new Result(List.of(), 0, List.of(), List.of(), List.of());
        }
        if (exposures != null && !exposures.isEmpty()) {
            return fromExposures(exposures, subject, eventTime);
        }
        return evaluated(subject, eventTime);
    }

    /**
     * Whether a flag the directory does not know gets cohort scopes: it has a place among the {@link
     * #MAX_UNKNOWN_FLAGS}, or one frees up (held longer than {@link #UNKNOWN_FLAG_HOLD_MS} since its last exposure).
     */
    private boolean admitUnknown(String flagKey, long eventTime) {
        Long last = unknownFlags.get(flagKey);
        if (last == null && unknownFlags.size() >= MAX_UNKNOWN_FLAGS) {
            unknownFlags.values().removeIf(t -> t < eventTime - UNKNOWN_FLAG_HOLD_MS);
            if (unknownFlags.size() >= MAX_UNKNOWN_FLAGS) {
                return false;
            }
        }
        unknownFlags.put(flagKey, last == null ? eventTime : Math.max(last, eventTime));
        return true;
    }

    private Result fromExposures(List<FlagExposure> exposures, Subject subject, long eventTime) {
        int unresolved = 0;
        List<String> targeted = List.of();
        List<String> mismatches = List.of();
        List<CohortAssignment> result = new ArrayList<>(exposures.size());
        seen.clear();
        // Made once for the event, when a first exposure is compared with the subject's own evaluation.
        EvaluationContext context = null;
        for (FlagExposure exposure : exposures) {
            if (!seen.add(exposure.getFlagKey())) {
                continue;
            }
            if (directory.inForceNotUnderRollout(exposure.getFlagKey(), eventTime)) {
                continue;
            }
            FlagChangedEvent flag = exposure.getFlagVersion() == null
                    ? null
                    : directory.version(exposure.getFlagKey(), exposure.getFlagVersion());
            if (flag == null) {
                flag = directory.asOf(exposure.getFlagKey(), eventTime);
            }
            if (flag == null) {
                flag = directory.latest(exposure.getFlagKey());
            }
            Boolean treated = exposure.getTreated();
            if (flag == null && (treated == null || !admitUnknown(exposure.getFlagKey(), eventTime))) {
                unresolved++;
                continue;
            }
            if (treated == null) {
                treated = targeted(flag)
                        ? !exposure.getVariant().equals(flag.getOffVariant())
                        : exposure.getVariant().equals(flag.getTreatmentVariant());
            }
            String variant = null;
            if (treated && flag != null && weighted(flag)) {
                variant = exposure.getVariant();
                if (!treatedVariant(flag, variant)) {
                    unresolved++;
                    continue;
                }
            }
            // Whether the subject was drawn is decided from the subject alone, never from the cohort the exposure
            // names: a choice that depended on it would leave a population out of one cohort only.
            int share = flag == null ? BucketDraws.NONE : BucketDraws.share(flag);
            if (share != BucketDraws.NONE && BucketDraws.listed(flag, subject.targetingKey())) {
                targeted = with(targeted, exposure.getFlagKey());
                continue;
            }
            if (flag != null && comparable(flag, subject, eventTime)) {
                if (context == null) {
                    context = subject.evaluationContext();
                }
                Evaluation own = ownEvaluation(flag, context, eventTime);
                if (own != null && own.treated() != treated) {
                    // The app evaluated with another key: the cohort it served stands.
                    mismatches = with(mismatches, exposure.getFlagKey());
                }
                if (own != null && share != BucketDraws.NONE && !BucketDraws.drawn(flag, own, share)) {
                    targeted = with(targeted, exposure.getFlagKey());
                    continue;
                }
            }
            result.add(new CohortAssignment(
                    exposure.getFlagKey(), treated ? Cohort.TREATMENT : Cohort.CONTROL, true, variant));
        }
        return new Result(result, unresolved, mismatches, List.of(), targeted);
    }

    /** {@code list} with {@code flagKey} added; the empty list of an event with none is shared. */
    private static List<String> with(List<String> list, String flagKey) {
        List<String> grown = list.isEmpty() ? new ArrayList<>(2) : list;
        grown.add(flagKey);
        return grown;
    }

    /** Whether the flag splits its treatment among weighted variants, each its own treated cohort. */
    static boolean weighted(FlagChangedEvent flag) {
        return !flag.getVariantWeights().isEmpty();
    }

    /** Whether rules or weights may serve other variants than the treatment: then every variant but off is treated. */
    private static boolean targeted(FlagChangedEvent flag) {
        return weighted(flag) || !flag.getRules().isEmpty();
    }

    /** Whether {@code variant} is one of the flag's variants other than its off variant. */
    private static boolean treatedVariant(FlagChangedEvent flag, String variant) {
        if (variant.equals(flag.getOffVariant())) {
            return false;
        }
        for (FlagVariant v : flag.getVariants()) {
            if (v.getName().equals(variant)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the subject's own evaluation can be compared with an exposure of this flag version. Only a flag under
     * rollout splits subjects; without a subject nothing can be compared, nor when the rules of the flag or of a
     * parent it depends on read an attribute the event does not carry (the app may have served by it).
     */
    private boolean comparable(FlagChangedEvent flag, Subject subject, long eventTime) {
        String key = subject.targetingKey();
        if (key == null || key.isBlank() || !Rollouts.underRollout(flag)) {
            return false;
        }
        FlagChangedEvent current = flag;
        for (int depth = 0; current != null && depth <= FlagEvaluator.MAX_PARENT_DEPTH; depth++) {
            for (String attribute : ruleReads(current)) {
                if (!subject.has(attribute)) {
                    return false;
                }
            }
            current = current.getParentKey() == null ? null : directory.asOf(current.getParentKey(), eventTime);
        }
        return true;
    }

    /**
     * The subject (its evaluation {@code context}) evaluated against the exposure's flag version; null when the
     * evaluator cannot tell (an error, a flag state it cannot read).
     */
    private Evaluation ownEvaluation(FlagChangedEvent flag, EvaluationContext context, long eventTime) {
        try {
            Evaluation evaluation = FlagEvaluator.evaluate(flag, context, k -> directory.asOf(k, eventTime), false);
            return evaluation.errorCode() == null ? evaluation : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private Result evaluated(Subject subject, long eventTime) {
        List<CohortAssignment> result = new ArrayList<>();
        List<MissingAttribute> missing = List.of();
        List<String> targeted = List.of();
        EvaluationContext context = null;
        // Only the flags of which some known version is under rollout: any other costs the event nothing.
        for (String flagKey : directory.rolloutCandidates()) {
            FlagChangedEvent flag = directory.underRolloutAsOf(flagKey, eventTime);
            if (flag == null) {
                continue;
            }
            if (context == null) {
                context = subject.evaluationContext();
            }
            Evaluation evaluation;
            try {
                evaluation = FlagEvaluator.evaluate(flag, context, key -> directory.asOf(key, eventTime), false);
            } catch (RuntimeException e) {
                // A flag state the evaluator cannot read must not stop the pipeline; its windows miss this event.
                LOG.warnf("cannot evaluate flag %s version %d: %s", flagKey, flag.getVersion(), e.getMessage());
                continue;
            }
            for (String attribute : ruleReads(flag)) {
                if (!subject.has(attribute)) {
                    if (missing.isEmpty()) {
                        missing = new ArrayList<>(2);
                    }
                    missing.add(new MissingAttribute(flagKey, attribute));
                }
            }
            int share = BucketDraws.share(flag);
            if (share != BucketDraws.NONE && !BucketDraws.drawn(flag, evaluation, share)) {
                targeted = with(targeted, flagKey);
                continue;
            }
            boolean treated = evaluation.treated();
            result.add(new CohortAssignment(
                    flagKey,
                    treated ? Cohort.TREATMENT : Cohort.CONTROL,
                    false,
                    treated && weighted(flag) ? evaluation.variant() : null));
        }
        return new Result(result, 0, List.of(), missing, targeted);
    }

    /** The context attributes the rules of a flag read, directly or through their segments; cached per version. */
    private Set<String> ruleReads(FlagChangedEvent flag) {
        if (flag.getRules().isEmpty()) {
            return Set.of();
        }
        RuleReads known = reads.get(flag.getFlagKey());
        if (known != null && known.version() == flag.getVersion()) {
            return known.attributes();
        }
        Set<String> attributes = new TreeSet<>();
        Map<String, Segment> segments = new HashMap<>();
        flag.getSegments().forEach(segment -> segments.put(segment.getKey(), segment));
        for (TargetingRule rule : flag.getRules()) {
            rule.getConstraints().forEach(c -> attributes.add(c.getAttribute()));
            for (String key : rule.getSegments()) {
                Segment segment = segments.get(key);
                if (segment != null) {
                    segment.getConstraints().forEach(c -> attributes.add(c.getAttribute()));
                }
            }
        }
        attributes.remove(TARGETING_KEY);
        Set<String> frozen = Set.copyOf(attributes);
        reads.put(flag.getFlagKey(), new RuleReads(flag.getVersion(), frozen));
        return frozen;
    }
}
