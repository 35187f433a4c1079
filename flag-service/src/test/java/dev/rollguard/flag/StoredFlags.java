package dev.rollguard.flag;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.flag.service.FlagSnapshot;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.serde.AvroCodec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;

/** Flags as the database holds them from earlier versions of the service, which the API would no longer write. */
final class StoredFlags {

    private static final AvroCodec<FlagChangedEvent> CODEC = AvroCodec.of(FlagChangedEvent.class);

    private StoredFlags() {}

    /**
     * Writes {@code valueJson} into variant {@code variant} of flag {@code key} as the next version, in its row and in
     * the {@code snapshot}, as a restart would load it from the database.
     */
    static void setVariant(FlagSnapshot snapshot, String key, String variant, String valueJson) throws Exception {
        FlagChangedEvent held = snapshot.current().flags().get(key);
        long version = held.getVersion() + 1;
        try (Connection db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "");
                PreparedStatement update = db.prepareStatement("UPDATE flags SET variants = jsonb_set(variants::jsonb,"
                        + " ARRAY[?], ?::jsonb)::text, version = ? WHERE flag_key = ?")) {
            update.setString(1, variant);
            update.setString(2, valueJson);
            update.setLong(3, version);
            update.setString(4, key);
            assertThat(update.executeUpdate()).isEqualTo(1);
        }
        // A copy through the codec, which reads with the record's own class loader (Avro's builders would not here).
        FlagChangedEvent stored = CODEC.decode(CODEC.encode(held));
        stored.setVersion(version);
        stored.setVariants(stored.getVariants().stream()
                .map(v -> v.getName().equals(variant) ? new FlagVariant(variant, valueJson) : v)
                .toList());
        assertThat(snapshot.apply(stored)).isTrue();
    }
}
