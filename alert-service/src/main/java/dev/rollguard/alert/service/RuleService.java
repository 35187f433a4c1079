package dev.rollguard.alert.service;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.alert.api.RuleRequest;
import dev.rollguard.alert.api.RuleResponse;
import dev.rollguard.alert.mapping.RuleMapper;
import dev.rollguard.alert.repository.RuleEntity;
import dev.rollguard.alert.repository.RulePackEntity;
import dev.rollguard.alert.repository.RulePackRepository;
import dev.rollguard.alert.repository.RuleRepository;
import dev.rollguard.http.conditional.ExpectedVersion;
import dev.rollguard.http.error.ApiException;
import dev.rollguard.http.error.SqlStates;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Rule CRUD, the default rule pack, and keeping the evaluator's {@link RuleBook} in step with the table. */
@ApplicationScoped
public class RuleService {

    public static final String DEFAULT_PACK = "default";
    static final String DEFAULT_PACK_RESOURCE = "rules/default-pack.json";

    private final RuleRepository rules;
    private final RulePackRepository packs;
    private final RuleBook ruleBook;
    private final RuleEvaluationService evaluation;
    private final Validator validator;
    private final ObjectMapper json;

    public RuleService(
            RuleRepository rules,
            RulePackRepository packs,
            RuleBook ruleBook,
            RuleEvaluationService evaluation,
            Validator validator,
            ObjectMapper json) {
        this.rules = rules;
        this.packs = packs;
        this.ruleBook = ruleBook;
        this.evaluation = evaluation;
        this.validator = validator;
        this.json = json;
    }

    public Uni<List<RuleResponse>> list() {
        return Panache.withSession(() -> rules.listAll(io.quarkus.panache.common.Sort.by("id")))
                .map(list -> list.stream().map(RuleMapper::toResponse).toList());
    }

    public Uni<RuleResponse> get(String id) {
        return Panache.withSession(() -> rules.findById(id)).map(entity -> {
            if (entity == null) {
                throw ApiException.notFound("rule " + id);
            }
            return RuleMapper.toResponse(entity);
        });
    }

    public Uni<RuleResponse> create(RuleRequest request) {
        RuleValidator.validate(request);
        String id = request.id() != null ? request.id() : UUID.randomUUID().toString();
        return Panache.withTransaction(() -> rules.findById(id).chain(existing -> {
                    if (existing != null) {
                        throw new ApiException(409, "RULE_EXISTS", "a rule with id " + id + " exists");
                    }
                    RuleEntity entity = new RuleEntity();
                    entity.id = id;
                    RuleMapper.apply(request, entity);
                    entity.version = 1;
                    // As the table keeps it (microseconds): the rule book's copy, read back, equals this one.
                    entity.createdAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
                    entity.updatedAt = entity.createdAt;
                    return rules.persist(entity);
                }))
                // Two requests for one id at once both find none; the table's key refuses the second.
                .onFailure(SqlStates::uniqueViolation)
                .transform(e -> new ApiException(409, "RULE_EXISTS", "a rule with id " + id + " exists"))
                .map(RuleMapper::toResponse)
                .call(this::refresh);
    }

    /** Replaces a rule, if it is at a version {@code expected} allows (412 otherwise; 404 when there is none). */
    public Uni<RuleResponse> update(String id, ExpectedVersion expected, RuleRequest request) {
        if (request.id() != null && !request.id().equals(id)) {
            throw new ValidationFailedException(
                    List.of(new ValidationFailedException.Violation("id", "must be absent or equal " + id)));
        }
        RuleValidator.validate(request);
        return Panache.withTransaction(
                        () -> rules.findById(id, LockModeType.PESSIMISTIC_WRITE).map(entity -> {
                            if (entity == null) {
                                throw ApiException.notFound("rule " + id);
                            }
                            expected.require("rule", id, entity.version);
                            RuleMapper.apply(request, entity);
                            entity.version++;
                            entity.updatedAt = Instant.now();
                            return entity;
                        }))
                // The rule as it was (this instance's copy) resolves its announced alerts when the change alters them.
                .call(this::sync)
                .call(entity -> entity.enabled
                        ? Uni.createFrom().voidItem()
                        : evaluation.retire(RuleMapper.toDefinition(entity)).replaceWithVoid())
                .map(RuleMapper::toResponse);
    }

    /**
     * Deletes a rule, if it is at a version {@code expected} allows (412 otherwise; 404 when there is none); its firing
     * alerts are resolved.
     */
    public Uni<Void> delete(String id, ExpectedVersion expected) {
        return Panache.withTransaction(
                        () -> rules.findById(id, LockModeType.PESSIMISTIC_WRITE).chain(entity -> {
                            if (entity == null) {
                                throw ApiException.notFound("rule " + id);
                            }
                            expected.require("rule", id, entity.version);
                            return rules.delete(entity).replaceWith(RuleMapper.toDefinition(entity));
                        }))
                .call(this::refresh)
                .call(evaluation::retire)
                .replaceWithVoid();
    }

    /**
     * Loads the default pack when it was never loaded: on the first start only, so rules deleted since stay
     * deleted. The pack goes through the same validation as the API.
     */
    public Uni<Integer> loadDefaultPackOnFirstStart() {
        List<RuleRequest> pack = defaultPack();
        return Panache.withTransaction(() -> packs.findById(DEFAULT_PACK).chain(loaded -> {
            if (loaded != null) {
                return Uni.createFrom().item(0);
            }
            Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
            List<RuleEntity> entities = pack.stream()
                    .map(request -> {
                        RuleEntity entity = new RuleEntity();
                        entity.id = request.id();
                        RuleMapper.apply(request, entity);
                        entity.version = 1;
                        entity.createdAt = now;
                        entity.updatedAt = now;
                        return entity;
                    })
                    .toList();
            RulePackEntity marker = new RulePackEntity();
            marker.name = DEFAULT_PACK;
            marker.loadedAt = now;
            return rules.persist(entities)
                    .chain(() -> packs.persist(marker))
                    .invoke(() -> Log.infof("loaded the default rule pack: %d rules", entities.size()))
                    .replaceWith(entities.size());
        }));
    }

    /** The default pack, validated like API input. */
    public List<RuleRequest> defaultPack() {
        try (InputStream in =
                Thread.currentThread().getContextClassLoader().getResourceAsStream(DEFAULT_PACK_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(DEFAULT_PACK_RESOURCE + " is missing");
            }
            List<RuleRequest> pack = json.readValue(in, new TypeReference<List<RuleRequest>>() {});
            for (RuleRequest rule : pack) {
                Set<ConstraintViolation<RuleRequest>> violations = validator.validate(rule);
                if (!violations.isEmpty()) {
                    throw new IllegalStateException("default rule " + rule.id() + " is invalid: " + violations);
                }
                RuleValidator.validate(rule);
            }
            return pack;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads the rules again, for changes made here or through another instance, then has the evaluator reconcile the
     * states it holds with them ({@link RuleEvaluationService#reconcile}): every pending or firing state of a rule
     * deleted or disabled since ends ("rule retired"), and every one judged under a definition that raises other
     * alerts than the rule as it is now ends ("rule changed"). What the states themselves record decides, not what
     * changed between two reads, so a resolution whose write was dropped (a rebalance, a database outage) is made by
     * the next read, here or on the partition's next owner.
     */
    public Uni<Void> sync() {
        return refresh().chain(evaluation::reconcile).replaceWithVoid();
    }

    /** Reloads the evaluator's rules from the table. */
    public Uni<Void> refresh() {
        // Read when subscribed, in the subscriber's context: a sync built ahead reads the table as it is when it runs.
        return Uni.createFrom()
                .deferred(() -> {
                    // Taken before the read: a state loaded before it was written under a rule this read sees.
                    Instant readAt = Instant.now();
                    return Panache.withSession(() -> rules.listAll())
                            .invoke(list -> ruleBook.replace(
                                    list.stream().map(RuleMapper::toDefinition).toList(), readAt));
                })
                .replaceWithVoid();
    }
}
