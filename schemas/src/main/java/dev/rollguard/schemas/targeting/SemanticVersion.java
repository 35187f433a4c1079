package dev.rollguard.schemas.targeting;

/**
 * A version parsed by Semantic Versioning 2.0.0 (semver.org): {@code MAJOR.MINOR.PATCH}, an optional pre-release
 * ({@code -alpha.1}) and optional build metadata ({@code +build.5}), which precedence ignores. Numeric identifiers
 * have no leading zeros and no size limit (compared by length, then digit by digit).
 */
final class SemanticVersion implements Comparable<SemanticVersion> {

    private static final String[] NO_PRE_RELEASE = new String[0];

    private final String major;
    private final String minor;
    private final String patch;
    private final String[] preRelease;

    private SemanticVersion(String major, String minor, String patch, String[] preRelease) {
        this.major = major;
        this.minor = minor;
        this.patch = patch;
        this.preRelease = preRelease;
    }

    /** The version, or null when {@code text} is not a valid semantic version. */
    static SemanticVersion parse(String text) {
        if (text == null || text.isEmpty() || text.length() > 256) {
            return null;
        }
        int end = text.length();
        int plus = text.indexOf('+');
        if (plus >= 0) {
            if (!identifiers(text, plus + 1, end, false)) {
                return null;
            }
            end = plus;
        }
        int dash = text.indexOf('-');
        String[] preRelease = NO_PRE_RELEASE;
        int coreEnd = end;
        if (dash >= 0 && dash < end) {
            if (!identifiers(text, dash + 1, end, true)) {
                return null;
            }
            preRelease = text.substring(dash + 1, end).split("\\.", -1);
            coreEnd = dash;
        }
        int firstDot = text.indexOf('.');
        if (firstDot < 0 || firstDot >= coreEnd) {
            return null;
        }
        int secondDot = text.indexOf('.', firstDot + 1);
        if (secondDot < 0 || secondDot >= coreEnd) {
            return null;
        }
        if (!numeric(text, 0, firstDot)
                || !numeric(text, firstDot + 1, secondDot)
                || !numeric(text, secondDot + 1, coreEnd)) {
            return null;
        }
        return new SemanticVersion(
                text.substring(0, firstDot),
                text.substring(firstDot + 1, secondDot),
                text.substring(secondDot + 1, coreEnd),
                preRelease);
    }

    /** A numeric identifier: digits, no leading zero unless it is "0". */
    private static boolean numeric(String text, int from, int to) {
        if (from >= to || (text.charAt(from) == '0' && to - from > 1)) {
            return false;
        }
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /** Dot-separated non-empty identifiers of [0-9A-Za-z-]; pre-release numeric ones without leading zeros. */
    private static boolean identifiers(String text, int from, int to, boolean preRelease) {
        int start = from;
        for (int i = from; i <= to; i++) {
            if (i == to || text.charAt(i) == '.') {
                if (i == start) {
                    return false;
                }
                if (preRelease && allDigits(text, start, i) && !numeric(text, start, i)) {
                    return false;
                }
                start = i + 1;
            } else if (!identifierChar(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean identifierChar(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
    }

    private static boolean allDigits(String text, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static boolean allDigits(String text) {
        return allDigits(text, 0, text.length());
    }

    /** Numeric identifiers without leading zeros: the longer is larger, else digit by digit. */
    private static int compareNumbers(String a, String b) {
        return a.length() != b.length() ? Integer.compare(a.length(), b.length()) : a.compareTo(b);
    }

    /** Semantic Versioning 2.0.0 precedence (section 11); build metadata plays no part. */
    @Override
    public int compareTo(SemanticVersion other) {
        int c = compareNumbers(major, other.major);
        if (c == 0) {
            c = compareNumbers(minor, other.minor);
        }
        if (c == 0) {
            c = compareNumbers(patch, other.patch);
        }
        if (c != 0) {
            return c;
        }
        // A pre-release version has lower precedence than the normal version.
        if (preRelease.length == 0 || other.preRelease.length == 0) {
            return Integer.compare(other.preRelease.length == 0 ? 0 : 1, preRelease.length == 0 ? 0 : 1);
        }
        int shared = Math.min(preRelease.length, other.preRelease.length);
        for (int i = 0; i < shared; i++) {
            String a = preRelease[i];
            String b = other.preRelease[i];
            boolean aNumeric = allDigits(a);
            boolean bNumeric = allDigits(b);
            if (aNumeric && bNumeric) {
                c = compareNumbers(a, b);
            } else if (aNumeric != bNumeric) {
                // Numeric identifiers have lower precedence than alphanumeric ones.
                c = aNumeric ? -1 : 1;
            } else {
                c = a.compareTo(b);
            }
            if (c != 0) {
                return Integer.signum(c);
            }
        }
        // A larger set of pre-release fields has higher precedence when all preceding ones are equal.
        return Integer.compare(preRelease.length, other.preRelease.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SemanticVersion other && compareTo(other) == 0;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(major, minor, patch, java.util.Arrays.hashCode(preRelease));
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patch + (preRelease.length == 0 ? "" : "-" + String.join(".", preRelease));
    }
}
