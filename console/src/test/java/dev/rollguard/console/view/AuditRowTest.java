package dev.rollguard.console.view;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class AuditRowTest {

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void showsTheFieldsThatChangedAndHidesTheBookkeeping() throws Exception {
        AuditRow entry = AuditRow.of(
                json.readTree(
                        """
                {"id": 7, "flagKey": "checkout", "action": "KILL", "actor": "admin", "reason": "errors",
                 "at": "2026-01-31T12:00:00Z",
                 "before": {"killed": false, "killReason": null, "version": 3, "updatedAt": "2026-01-31T11:00:00Z",
                            "stages": [{"name": "a"}]},
                 "after": {"killed": true, "killReason": "errors", "version": 4, "updatedAt": "2026-01-31T12:00:00Z",
                           "stages": [{"name": "a"}]}}
                """));

        assertThat(entry.changes())
                .containsExactly(
                        new AuditRow.Change("killed", "false", "true"),
                        new AuditRow.Change("killReason", "", "errors"));
        assertThat(entry.at()).hasToString("2026-01-31T12:00:00Z");
    }

    @Test
    void aCreationShowsEveryFieldAsNew() throws Exception {
        AuditRow entry = AuditRow.of(
                json.readTree(
                        """
                {"id": 1, "action": "CREATE", "before": null, "after": {"key": "checkout", "enabled": true}}
                """));

        assertThat(entry.changes())
                .containsExactly(
                        new AuditRow.Change("key", "", "checkout"), new AuditRow.Change("enabled", "", "true"));
    }
}
