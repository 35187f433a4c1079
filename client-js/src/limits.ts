/**
 * What metrics-ingest accepts in one event, as far as this client applies it: the values of the schemas module's
 * `TelemetryLimits` (the Java copy metrics-ingest and the Java client use). `test/limits.test.ts` reads that file and
 * fails when a value here differs from it.
 */

/** Longest error message, in characters (longer ones are cut). */
export const MAX_ERROR_MESSAGE_LENGTH = 2048;

/** Most flag exposures on one event (metrics-ingest refuses more with `TOO_MANY_EXPOSURES`). */
export const MAX_EXPOSURES = 64;
