package dev.rollguard.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The tokens of a stack (docs/contracts.md): admin, service, client and producer bearer tokens, the token alerts are
 * posted in with, and the key that signs the change stream URLs. A null one is not passed to the services.
 */
public record Tokens(
        String admin, String service, String client, String producer, String inbound, String streamSecret) {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** Four random bearer tokens named after {@code prefix} (e.g. "e2e"), without inbound token or stream key. */
    public static Tokens random(String prefix) {
        return new Tokens(
                prefix + "-admin-" + UUID.randomUUID(),
                prefix + "-service-" + UUID.randomUUID(),
                prefix + "-client-" + UUID.randomUUID(),
                prefix + "-producer-" + UUID.randomUUID(),
                null,
                null);
    }

    /**
     * The local stack's tokens from {@code file} ({@code ROLLGUARD_*=value} lines), creating it (owner-only) or adding
     * what an older file lacks, as {@code bin/rollguard up} always has.
     */
    public static Tokens loadOrCreate(Path file) {
        try {
            Map<String, String> values = new LinkedHashMap<>();
            if (Files.exists(file)) {
                for (String line : Files.readAllLines(file)) {
                    int equals = line.indexOf('=');
                    if (equals > 0 && !line.startsWith("#")) {
                        values.put(
                                line.substring(0, equals).trim(),
                                line.substring(equals + 1).trim());
                    }
                }
            }
            StringBuilder added = new StringBuilder();
            for (String kind : new String[] {"ADMIN", "SERVICE", "CLIENT", "PRODUCER", "INBOUND"}) {
                String key = "ROLLGUARD_" + kind + "_TOKEN";
                if (!values.containsKey(key)) {
                    values.put(key, "rg_" + kind.toLowerCase(java.util.Locale.ROOT) + "_" + hex(24));
                    added.append(key).append('=').append(values.get(key)).append('\n');
                }
            }
            if (!values.containsKey("ROLLGUARD_STREAM_TOKEN_SECRET")) {
                values.put("ROLLGUARD_STREAM_TOKEN_SECRET", hex(32));
                added.append("ROLLGUARD_STREAM_TOKEN_SECRET=")
                        .append(values.get("ROLLGUARD_STREAM_TOKEN_SECRET"))
                        .append('\n');
            }
            if (!added.isEmpty()) {
                if (!Files.exists(file)) {
                    Files.createDirectories(file.toAbsolutePath().getParent());
                    Files.createFile(
                            file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                }
                Files.writeString(file, added, java.nio.file.StandardOpenOption.APPEND);
            }
            return new Tokens(
                    values.get("ROLLGUARD_ADMIN_TOKEN"),
                    values.get("ROLLGUARD_SERVICE_TOKEN"),
                    values.get("ROLLGUARD_CLIENT_TOKEN"),
                    values.get("ROLLGUARD_PRODUCER_TOKEN"),
                    values.get("ROLLGUARD_INBOUND_TOKEN"),
                    values.get("ROLLGUARD_STREAM_TOKEN_SECRET"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The variables a service reads its tokens from: the four bearer tokens for every service, the stream key for the
     * flag-service (which signs the URLs), the inbound token for the alert-service (which takes alerts in).
     */
    public Map<String, String> environment(String service) {
        Map<String, String> env = new LinkedHashMap<>();
        put(env, "ROLLGUARD_ADMIN_TOKEN", admin);
        put(env, "ROLLGUARD_SERVICE_TOKEN", this.service);
        put(env, "ROLLGUARD_CLIENT_TOKEN", client);
        put(env, "ROLLGUARD_PRODUCER_TOKEN", producer);
        if (service.equals("flag-service")) {
            put(env, "ROLLGUARD_STREAM_TOKEN_SECRET", streamSecret);
        }
        if (service.equals("alert-service")) {
            put(env, "ROLLGUARD_INBOUND_TOKEN", inbound);
        }
        return env;
    }

    private static void put(Map<String, String> env, String key, String value) {
        if (value != null) {
            env.put(key, value);
        }
    }

    private static String hex(int bytes) {
        byte[] random = new byte[bytes];
        RANDOM.nextBytes(random);
        return HexFormat.of().formatHex(random);
    }
}
