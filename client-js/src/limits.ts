/**
 * What metrics-ingest accepts in one event, as far as this client applies it: the values of the schemas module's
 * `TelemetryLimits` (the Java copy metrics-ingest and the Java client use) and of its `FlagKeys`.
 * `test/limits.test.ts` reads those files and fails when a value or rule here differs from them.
 */

/** Longest flag key and variant of an exposure, in characters. */
export const MAX_KEY_LENGTH = 128;

/** Longest error message, in characters (longer ones are cut). */
export const MAX_ERROR_MESSAGE_LENGTH = 2048;

/** Most flag exposures on one event (metrics-ingest refuses more with `TOO_MANY_EXPOSURES`). */
export const MAX_EXPOSURES = 64;

/** Most context attributes on one event (metrics-ingest refuses more with `OVERSIZED_FIELD`). */
export const MAX_CONTEXT_ATTRIBUTES = 32;

/** Longest context attribute name. */
export const MAX_CONTEXT_NAME_LENGTH = 64;

/** Longest context attribute value. */
export const MAX_CONTEXT_VALUE_LENGTH = 256;

/** Attributes the event carries in fields of its own; its context may not restate them (`RESERVED_CONTEXT_NAMES`). */
export const RESERVED_CONTEXT_NAMES: readonly string[] = ['targetingKey', 'platform', 'appVersion'];

/** What a context attribute name is made of (`TelemetryLimits.CONTEXT_NAME`). */
export const CONTEXT_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_.-]*$';

/** A key a flag can have (`FlagKeys.PATTERN`): lower-case letters and digits, separated by single dots or dashes. */
export const FLAG_KEY_PATTERN = '^[a-z0-9]+([.-][a-z0-9]+)*$';

const CONTEXT_NAME = new RegExp(CONTEXT_NAME_PATTERN);
const FLAG_KEY = new RegExp(FLAG_KEY_PATTERN);

/**
 * Why metrics-ingest refuses a context attribute, in the order `TelemetryLimits.contextRefusal` checks (the constants
 * of the schemas' `ContextRefusal`), then `INVALID_VALUE`, this client's own: a value that is neither a string, a
 * finite number nor a boolean, which metrics-ingest refuses as it reads the JSON.
 */
export type ContextRefusal =
  | 'EMPTY_NAME'
  | 'NAME_TOO_LONG'
  | 'MALFORMED_NAME'
  | 'RESERVED_NAME'
  | 'MISSING_VALUE'
  | 'VALUE_TOO_LONG'
  | 'REFUSED_CHARACTER'
  | 'INVALID_VALUE';

/** Why, in words, about the attribute. */
export const CONTEXT_REFUSAL_REASONS: Readonly<Record<ContextRefusal, string>> = {
  EMPTY_NAME: 'an attribute name is empty',
  NAME_TOO_LONG: `its name is longer than ${MAX_CONTEXT_NAME_LENGTH} characters`,
  MALFORMED_NAME: "its name must start with a letter or '_' and hold only letters, digits, '_', '.' and '-'",
  RESERVED_NAME: "it is carried by the event's own field (targetingKey is the userId, else the clientId)",
  MISSING_VALUE: 'it has no value',
  VALUE_TOO_LONG: `its value is longer than ${MAX_CONTEXT_VALUE_LENGTH} characters`,
  REFUSED_CHARACTER: 'its value holds a control character or an unpaired surrogate',
  INVALID_VALUE: 'its value is not a string, a finite number or a boolean',
};

/**
 * Why metrics-ingest refuses the context attribute `name` = `value`, the first rule it breaks, or null when it accepts
 * it (`TelemetryLimits.contextRefusal`, and the JSON reader's types). How many attributes an event may carry
 * ({@link MAX_CONTEXT_ATTRIBUTES}) is checked apart.
 */
export function contextRefusal(name: string, value: unknown): ContextRefusal | null {
  if (typeof name !== 'string' || name === '') return 'EMPTY_NAME';
  if (name.length > MAX_CONTEXT_NAME_LENGTH) return 'NAME_TOO_LONG';
  if (!CONTEXT_NAME.test(name)) return 'MALFORMED_NAME';
  if (RESERVED_CONTEXT_NAMES.includes(name)) return 'RESERVED_NAME';
  if (value === null || value === undefined) return 'MISSING_VALUE';
  if (typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : 'INVALID_VALUE';
  if (typeof value !== 'string') return 'INVALID_VALUE';
  if (value.length > MAX_CONTEXT_VALUE_LENGTH) return 'VALUE_TOO_LONG';
  return firstRefusedCharacter(value, false) >= 0 ? 'REFUSED_CHARACTER' : null;
}

/** Whether `key` is a key a flag can have (`FlagKeys.isFlagKey`; its length is checked apart). */
export function isFlagKey(key: unknown): boolean {
  return typeof key === 'string' && FLAG_KEY.test(key);
}

/** Whether an exposure's flag key or variant is accepted: not blank, at most {@link MAX_KEY_LENGTH} characters. */
export function isExposureKey(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '' && value.length <= MAX_KEY_LENGTH;
}

/** Why metrics-ingest refuses an exposure (and with it the whole event): the first part that is wrong. */
export type ExposureRefusal = 'FLAG_KEY' | 'VARIANT' | 'FLAG_VERSION' | 'TREATED';

/**
 * Why metrics-ingest refuses the exposure, or null when it accepts it as it is (`TelemetryLimits.isAcceptedExposure`):
 * a flag key a flag can have, a variant that is not blank, not too long and holds no refused character, a flag
 * version that is a whole number not below zero when there is one, and `treated` a boolean when there is one.
 */
export function exposureRefusal(exposure: {
  flagKey?: unknown;
  variant?: unknown;
  flagVersion?: unknown;
  treated?: unknown;
}): ExposureRefusal | null {
  if (!isExposureKey(exposure.flagKey) || !isFlagKey(exposure.flagKey)) return 'FLAG_KEY';
  if (!isExposureKey(exposure.variant) || firstRefusedCharacter(exposure.variant as string, false) >= 0) {
    return 'VARIANT';
  }
  const version = exposure.flagVersion;
  if (version !== undefined && version !== null && !(Number.isSafeInteger(version) && (version as number) >= 0)) {
    return 'FLAG_VERSION';
  }
  if (exposure.treated !== undefined && exposure.treated !== null && typeof exposure.treated !== 'boolean') {
    return 'TREATED';
  }
  return null;
}

/** Whether metrics-ingest accepts the exposure as it is (`TelemetryLimits.isAcceptedExposure`). */
export function isAcceptedExposure(exposure: Parameters<typeof exposureRefusal>[0]): boolean {
  return exposureRefusal(exposure) === null;
}

/**
 * Index of the first character of `text` that no telemetry text may hold, or -1 (`TelemetryLimits
 * .firstRefusedCharacter`): a control character (U+0000-U+001F, U+007F-U+009F) or an unpaired surrogate. Free text
 * (an error message) may keep TAB and LF. A loop, not a regular expression with lookbehind (Safari before 16.4
 * cannot parse one).
 */
export function firstRefusedCharacter(text: string, freeText: boolean): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) continue;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
      if (freeText && (c === 0x09 || c === 0x0a)) continue;
      return i;
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return i;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return i;
  }
  return -1;
}
