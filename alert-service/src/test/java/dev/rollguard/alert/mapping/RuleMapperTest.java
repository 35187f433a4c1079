package dev.rollguard.alert.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.alert.domain.RuleDefinition;
import dev.rollguard.alert.repository.RuleEntity;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RuleMapperTest {

    @Test
    void theEvaluatorsDefinitionCarriesTheRulesVersionAndCreationTime() {
        // The two together tell a rule from one deleted before it with the same id (both start at version 1).
        RuleEntity entity = new RuleEntity();
        entity.id = "slow";
        entity.name = "Slow syncs";
        entity.metric = "durationMaxMs";
        entity.comparator = "GT";
        entity.criticalThreshold = 5000.0;
        entity.criticalForSeconds = 0L;
        entity.noDataPolicy = "KEEP_STATE";
        entity.scopeTypes = "GLOBAL";
        entity.confidence = 0.99;
        entity.enabled = true;
        entity.labels = Map.of();
        entity.annotations = Map.of();
        entity.version = 1;
        entity.createdAt = Instant.parse("2026-12-05T08:00:00.123456Z");

        RuleDefinition definition = RuleMapper.toDefinition(entity);

        assertThat(definition.version()).isEqualTo(1);
        assertThat(definition.createdAt()).isEqualTo(entity.createdAt);
    }
}
