package dev.rollguard.flag.repository;

import dev.rollguard.flag.domain.ApiToken;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.UUID;

@ApplicationScoped
public class TokenRepository implements PanacheRepositoryBase<ApiToken, UUID> {

    public Uni<ApiToken> findByName(String name) {
        return find("name", name).firstResult();
    }

    public Uni<List<ApiToken>> active() {
        return list("revokedAt is null");
    }
}
