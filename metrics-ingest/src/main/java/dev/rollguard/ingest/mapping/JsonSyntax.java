package dev.rollguard.ingest.mapping;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import dev.rollguard.http.StrictJsonSyntax;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Says why a body is not JSON the service can read, in the product's words and with where the reader stopped: "is
 * not valid JSON: the body ends before the JSON does (line 1, column 12)". The parser's own message names its
 * classes, its limits' getters and the tokens it met, which tell a client's author nothing to act on. Jackson gives
 * most of these failures no type of their own, so they are told apart by the start of its message, as {@link
 * StrictJsonSyntax} does; {@code JsonSyntaxTest} holds each wording to the parser the build uses.
 */
public final class JsonSyntax {

    private static final Pattern CONTROL_CHARACTER = Pattern.compile("\\(CTRL-CHAR, code (\\d+)\\)");

    private JsonSyntax() {}

    /**
     * What is wrong with the body, "is not valid JSON[: why] (line l, column c)", for a reader allowing {@code
     * maxNestingDepth} levels of arrays and objects.
     */
    public static String describe(JsonProcessingException failure, int maxNestingDepth) {
        String why = why(failure, maxNestingDepth);
        return "is not valid JSON" + (why == null ? "" : ": " + why) + where(failure.getLocation());
    }

    /**
     * Why {@code body} is not UTF-8, "is not valid JSON: it is not valid UTF-8 (line l, column c)", or null when it is.
     * The contract is UTF-8 JSON, but the parser also reads UTF-16 and UTF-32 (which it finds by zero bytes among the
     * first four), lets a few bytes that are not UTF-8 through (a code point above U+10FFFF) and reports others in
     * several ways (a string that ends early, an unreadable body), so the body is checked by the JDK's decoder first.
     */
    public static String notUtf8(byte[] body) {
        for (int i = 0; i < Math.min(4, body.length); i++) {
            if (body[i] == 0) {
                return "is not valid JSON: it is not UTF-8 (a zero byte among its first four, as in UTF-16 or UTF-32)";
            }
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(body);
        CharBuffer out = CharBuffer.allocate(8 * 1024);
        int line = 1;
        int column = 1;
        while (true) {
            CoderResult result = decoder.decode(in, out, true);
            out.flip();
            while (out.hasRemaining()) {
                if (out.get() == '\n') {
                    line++;
                    column = 1;
                } else {
                    column++;
                }
            }
            out.clear();
            if (result.isError()) {
                return "is not valid JSON: it is not valid UTF-8" + " (line %d, column %d)".formatted(line, column);
            }
            if (result.isUnderflow()) {
                return null;
            }
        }
    }

    private static String why(JsonProcessingException failure, int maxNestingDepth) {
        if (failure instanceof JsonEOFException) {
            return "the body ends before the JSON does";
        }
        if (StrictJsonSyntax.contentAfterValue(failure)) {
            return "more content follows its value";
        }
        String message = String.valueOf(failure.getOriginalMessage());
        if (failure instanceof StreamConstraintsException) {
            return message.contains("nesting depth")
                    ? "it is nested deeper than " + maxNestingDepth + " levels"
                    : "a number, string or key is longer than the service reads";
        }
        if (message.startsWith("Duplicate field '") && message.endsWith("'")) {
            return "the key '" + visible(message.substring("Duplicate field '".length(), message.length() - 1))
                    + "' appears twice";
        }
        if (message.startsWith("Invalid UTF-8")) {
            return "it is not valid UTF-8";
        }
        Matcher control = CONTROL_CHARACTER.matcher(message);
        if (control.find()) {
            String character = "U+%04X".formatted(Integer.parseInt(control.group(1)));
            return message.startsWith("Illegal unquoted character")
                    ? "a string holds the control character " + character + ", which JSON requires escaped"
                    : "the control character " + character + " outside a string";
        }
        // An unexpected character or word: where it is says more than the parser's dump of what it expected.
        return null;
    }

    private static String where(JsonLocation at) {
        return at == null || at.getLineNr() < 1
                ? ""
                : " (line %d, column %d)".formatted(at.getLineNr(), at.getColumnNr());
    }

    /** A key as it can be shown: control characters as {@code \\uXXXX}, at most 100 characters. */
    private static String visible(String key) {
        StringBuilder out = new StringBuilder();
        key.codePoints().limit(100).forEach(c -> {
            if (Character.isISOControl(c)) {
                out.append("\\u%04X".formatted(c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return key.codePointCount(0, key.length()) > 100 ? out + "..." : out.toString();
    }
}
