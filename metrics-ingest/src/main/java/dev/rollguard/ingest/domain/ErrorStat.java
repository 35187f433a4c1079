package dev.rollguard.ingest.domain;

/** How often an error code was seen in a window, and the latest message that came with it. */
public record ErrorStat(long count, String lastMessage, long lastTime) {

    ErrorStat plus(ErrorStat other) {
        boolean otherIsNewer = other.lastTime >= lastTime;
        return new ErrorStat(
                count + other.count,
                otherIsNewer && other.lastMessage != null ? other.lastMessage : lastMessage,
                Math.max(lastTime, other.lastTime));
    }
}
