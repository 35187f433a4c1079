package dev.rollguard.console.session;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The session cookie as the releases before the admin check read and wrote it, written out here on its own: the
 * {@code v1.} prefix, AES-256-GCM under a key derived with HMAC-SHA256 from the secret, a 12-byte IV before the
 * ciphertext, the fields one a line (six, or seven with the operator's name). The previous release accepts only
 * those two lengths.
 */
final class PreviousRelease {

    private PreviousRelease() {}

    /** The fields of a cookie, as the previous release decrypts them (any number of them). */
    static String[] open(String secret, String cookie) {
        try {
            byte[] sealed = Base64.getUrlDecoder().decode(cookie.substring(3));
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key(secret), new GCMParameterSpec(128, sealed, 0, 12));
            cipher.updateAAD("v1".getBytes(StandardCharsets.US_ASCII));
            byte[] plain = cipher.doFinal(sealed, 12, sealed.length - 12);
            return new String(plain, StandardCharsets.UTF_8).split("\n", -1);
        } catch (GeneralSecurityException e) {
            throw new AssertionError("the previous release cannot open this cookie", e);
        }
    }

    /** A cookie as the previous release sealed it: token, kind, canWrite, csrf, since, lastSeen[, operator]. */
    static String seal(String secret, Object... fields) {
        String plain = String.join(
                "\n", java.util.Arrays.stream(fields).map(String::valueOf).toList());
        try {
            byte[] iv = new byte[12];
            new SecureRandom().nextBytes(iv);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key(secret), new GCMParameterSpec(128, iv));
            cipher.updateAAD("v1".getBytes(StandardCharsets.US_ASCII));
            byte[] sealed = cipher.doFinal(plain.getBytes(StandardCharsets.UTF_8));
            byte[] value =
                    ByteBuffer.allocate(12 + sealed.length).put(iv).put(sealed).array();
            return "v1." + Base64.getUrlEncoder().withoutPadding().encodeToString(value);
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    private static SecretKeySpec key(String secret) throws GeneralSecurityException {
        Mac hmac = Mac.getInstance("HmacSHA256");
        hmac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return new SecretKeySpec(
                hmac.doFinal("rollguard console session v1".getBytes(StandardCharsets.US_ASCII)), "AES");
    }
}
