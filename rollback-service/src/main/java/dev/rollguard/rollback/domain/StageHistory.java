package dev.rollguard.rollback.domain;

/**
 * Steps the promoter already took in the stage being judged.
 *
 * @param extended its one extension was granted
 * @param stopped it was held or reverted once: after an operator resumes it, it waits for its evidence without a
 *     deadline (promote by hand to go on sooner)
 */
public record StageHistory(boolean extended, boolean stopped) {

    public static final StageHistory NONE = new StageHistory(false, false);
}
