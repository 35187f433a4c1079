package dev.rollguard.console.client;

/**
 * The operator's name as it goes out in {@value ServiceClient#ACTOR_HEADER}. A header carries printable ASCII safely
 * (the services decode header bytes as ISO-8859-1, and the HTTP client refuses characters above U+00FF), so a name of
 * printable ASCII without a backslash is sent as it is. Any other name is sent escaped: a backslash as {@code \\} and
 * every character outside printable ASCII as {@code \}{@code uXXXX} (its UTF-16 code unit, upper-case hex; a character
 * beyond U+FFFF as its two surrogates), as Java and JSON write them. "Łukasz 李" goes out, and is recorded in the
 * audit, as {@code \}{@code u0141ukasz \}{@code u674E}. A backslash in the sent value always starts an escape, so no
 * two names are sent the same way.
 */
public final class ActorName {

    /** The longest value the services take in the header. */
    public static final int MAX_LENGTH = 200;

    private ActorName() {}

    /** The header value for {@code name} (one line: control characters are refused at sign-in). */
    public static String encode(String name) {
        if (name.chars().allMatch(c -> c >= 0x20 && c < 0x7f && c != '\\')) {
            return name;
        }
        StringBuilder sent = new StringBuilder(name.length() + 16);
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '\\') {
                sent.append("\\\\");
            } else if (c >= 0x20 && c < 0x7f) {
                sent.append(c);
            } else {
                sent.append(String.format("\\u%04X", (int) c));
            }
        }
        return sent.toString();
    }

    /**
     * Why the services could not take {@code name} as an actor, or null when they can: one line, and at most
     * {@value #MAX_LENGTH} characters once encoded.
     */
    public static String problem(String name) {
        if (name.chars().anyMatch(Character::isISOControl)) {
            return "Your name must be one line of at most " + MAX_LENGTH + " characters.";
        }
        int sent = encode(name).length();
        if (name.length() > MAX_LENGTH) {
            return "Your name must be one line of at most " + MAX_LENGTH + " characters.";
        }
        if (sent > MAX_LENGTH) {
            return "Your name is too long to be sent to the services: they take at most " + MAX_LENGTH
                    + " characters, and each character outside plain ASCII is sent as a 6-character escape"
                    + " (\\uXXXX), which makes yours " + sent + ".";
        }
        return null;
    }
}
