package dev.rollguard.flag.service;

import dev.rollguard.flag.api.FlagResponse;
import dev.rollguard.flag.api.GlobalSwitchResponse;
import dev.rollguard.flag.api.RolloutResponse;
import dev.rollguard.flag.domain.SegmentEntity;
import dev.rollguard.flag.mapping.FlagMapper;
import dev.rollguard.flag.repository.FlagRepository;
import dev.rollguard.flag.repository.GlobalSwitchRepository;
import dev.rollguard.flag.repository.SegmentRepository;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Flags, their rollout plans and the global kill switch as the database holds them. */
@ApplicationScoped
public class FlagQueries {

    private final FlagRepository flags;
    private final SegmentRepository segments;
    private final GlobalSwitchRepository globals;
    private final FlagMapper mapper;

    public FlagQueries(
            FlagRepository flags, SegmentRepository segments, GlobalSwitchRepository globals, FlagMapper mapper) {
        this.flags = flags;
        this.segments = segments;
        this.globals = globals;
        this.mapper = mapper;
    }

    public Uni<FlagResponse> get(String key) {
        return Panache.withSession(() -> flags.findById(key)).map(flag -> {
            if (flag == null) {
                throw FlagErrors.notFound(key);
            }
            return mapper.toResponse(flag);
        });
    }

    public Uni<List<FlagResponse>> list(boolean includeArchived) {
        return Panache.withSession(() -> flags.list(includeArchived))
                .map(list -> list.stream().map(mapper::toResponse).toList());
    }

    public Uni<GlobalSwitchResponse> globalSwitch() {
        return Panache.withSession(globals::get).map(mapper::toResponse);
    }

    /** The flag's rollout plan and where it stands, at the time of asking. */
    public Uni<RolloutResponse> rollout(String key) {
        return Panache.withSession(() -> flags.findById(key)).map(flag -> {
            if (flag == null) {
                throw FlagErrors.notFound(key);
            }
            return RolloutResponse.of(mapper.toResponse(flag), Timestamps.now());
        });
    }

    /** Every flag and the global switch as events, to fill the snapshot at start. */
    public Uni<List<FlagChangedEvent>> currentStates() {
        return Panache.withSession(() -> flags.listAll()
                .chain(all -> segments.listAll().chain(defined -> globals.get().map(global -> {
                    Map<String, SegmentEntity> byKey = new HashMap<>();
                    defined.forEach(segment -> byKey.put(segment.key, segment));
                    List<FlagChangedEvent> events = new ArrayList<>();
                    all.forEach(f -> events.add(mapper.withSegments(
                            mapper.toEvent(f, FlagChangeType.OTHER, UUID.randomUUID(), f.updatedAt, f.updatedBy, null),
                            byKey)));
                    events.add(mapper.toEvent(global, UUID.randomUUID(), global.updatedBy));
                    return events;
                }))));
    }
}
