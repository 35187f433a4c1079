import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as limits from '../src/limits.js';

/** The Java copy of the limits, which metrics-ingest enforces. */
const JAVA = new URL(
  '../../schemas/src/main/java/dev/rollguard/schemas/telemetry/TelemetryLimits.java',
  import.meta.url,
);
/** Why metrics-ingest refuses a context attribute, in the order it checks. */
const JAVA_REFUSALS = new URL(
  '../../schemas/src/main/java/dev/rollguard/schemas/telemetry/ContextRefusal.java',
  import.meta.url,
);
/** The flag key rule. */
const JAVA_FLAG_KEYS = new URL('../../schemas/src/main/java/dev/rollguard/schemas/keys/FlagKeys.java', import.meta.url);

/** The body of a Java method (from its signature to its closing brace at the same indent), whitespace collapsed. */
function javaMethod(source: string, signature: string): string {
  const start = source.indexOf(signature);
  expect(start, signature).toBeGreaterThanOrEqual(0);
  const end = source.indexOf('\n    }\n', start);
  return source.slice(start, end + 6).replace(/\s+/g, ' ').trim();
}

/** The `public static final int|long NAME = <literal>;` constants of a Java source, by name. */
function javaConstants(source: string): Map<string, number> {
  const constants = new Map<string, number>();
  const declaration = /public\s+static\s+final\s+(?:int|long)\s+([A-Z][A-Z0-9_]*)\s*=\s*([0-9][0-9_]*)L?\s*;/g;
  for (const [, name, value] of source.matchAll(declaration)) {
    constants.set(name, Number(value.replace(/_/g, '')));
  }
  return constants;
}

describe('the limits', () => {
  it('are the ones metrics-ingest enforces (schemas TelemetryLimits.java)', () => {
    const java = javaConstants(readFileSync(JAVA, 'utf8'));
    const ours = Object.entries(limits).filter(([, value]) => typeof value === 'number');

    expect(ours.length).toBeGreaterThan(0);
    for (const [name, value] of ours) {
      expect(java.has(name), `${name} is not a literal constant of TelemetryLimits.java`).toBe(true);
      expect(value, name).toBe(java.get(name));
    }
  });

  it('are read from the Java source as written there', () => {
    const java = javaConstants(`
      public static final int MAX_A = 2_048;
      public static final long MAX_B = 64L;
      private static final int HIDDEN = 1;
      public static final long MAX_SHIFTED = 1L << 40;`);

    expect([...java]).toEqual([
      ['MAX_A', 2048],
      ['MAX_B', 64],
    ]);
  });

  it('name the same reserved context attributes, attribute name rule and flag key rule as the Java source', () => {
    const java = readFileSync(JAVA, 'utf8');
    const reserved = /RESERVED_CONTEXT_NAMES\s*=\s*Set\.of\(([^)]*)\)/.exec(java);
    expect(reserved, 'RESERVED_CONTEXT_NAMES = Set.of(...)').not.toBeNull();
    const names = [...reserved![1].matchAll(/"([^"]*)"/g)].map((m) => m[1]);
    expect([...limits.RESERVED_CONTEXT_NAMES].sort()).toEqual(names.sort());

    // Java's matcher().matches() anchors the pattern; ours says so.
    const contextName = /Pattern\s+CONTEXT_NAME\s*=\s*Pattern\.compile\("([^"]*)"\)/.exec(java);
    expect(contextName, 'CONTEXT_NAME = Pattern.compile(...)').not.toBeNull();
    expect(limits.CONTEXT_NAME_PATTERN).toBe(`^${contextName![1]}$`);

    const flagKey = /String\s+PATTERN\s*=\s*"([^"]*)"/.exec(readFileSync(JAVA_FLAG_KEYS, 'utf8'));
    expect(flagKey, 'FlagKeys.PATTERN').not.toBeNull();
    expect(limits.FLAG_KEY_PATTERN).toBe(flagKey![1]);
  });

  it('refuse a context attribute for the reasons ContextRefusal.java names, in its order, then INVALID_VALUE', () => {
    const java = readFileSync(JAVA_REFUSALS, 'utf8');
    const constants = [...java.matchAll(/^\s{4}([A-Z][A-Z_]*)\(/gm)].map((m) => m[1]);
    expect(constants.length).toBeGreaterThan(0);
    expect(Object.keys(limits.CONTEXT_REFUSAL_REASONS)).toEqual([...constants, 'INVALID_VALUE']);
  });

  it('check a context attribute as TelemetryLimits.contextRefusal does', () => {
    // The Java rule, as these cases were written against; a change there fails here until they are looked at again.
    expect(javaMethod(readFileSync(JAVA, 'utf8'), 'public static ContextRefusal contextShapeRefusal(')).toBe(
      'public static ContextRefusal contextShapeRefusal(String name, String value) { if (name == null || ' +
        'name.isEmpty()) { return ContextRefusal.EMPTY_NAME; } if (name.length() > MAX_CONTEXT_NAME_LENGTH) { ' +
        'return ContextRefusal.NAME_TOO_LONG; } if (!isContextName(name)) { return ContextRefusal.MALFORMED_NAME; ' +
        '} if (RESERVED_CONTEXT_NAMES.contains(name)) { return ContextRefusal.RESERVED_NAME; } if (value == null) ' +
        '{ return ContextRefusal.MISSING_VALUE; } return value.length() > MAX_CONTEXT_VALUE_LENGTH ? ' +
        'ContextRefusal.VALUE_TOO_LONG : null; }',
    );
    const { contextRefusal, MAX_CONTEXT_NAME_LENGTH: name, MAX_CONTEXT_VALUE_LENGTH: value } = limits;
    expect(contextRefusal('country', 'FR')).toBeNull();
    expect(contextRefusal('seats', 12)).toBeNull();
    expect(contextRefusal('beta', false)).toBeNull();
    expect(contextRefusal('_a.b-c9', 'x'.repeat(value))).toBeNull();
    expect(contextRefusal('a'.repeat(name), 'x')).toBeNull();
    expect(contextRefusal('', 'x')).toBe('EMPTY_NAME');
    expect(contextRefusal('a'.repeat(name + 1), 'x')).toBe('NAME_TOO_LONG');
    expect(contextRefusal('9lives', 'x')).toBe('MALFORMED_NAME');
    expect(contextRefusal('account type', 'x')).toBe('MALFORMED_NAME');
    expect(contextRefusal('targetingKey', 'alice')).toBe('RESERVED_NAME');
    expect(contextRefusal('platform', 'WEB')).toBe('RESERVED_NAME');
    expect(contextRefusal('appVersion', '1.0')).toBe('RESERVED_NAME');
    expect(contextRefusal('country', null)).toBe('MISSING_VALUE');
    expect(contextRefusal('country', undefined)).toBe('MISSING_VALUE');
    expect(contextRefusal('country', 'x'.repeat(value + 1))).toBe('VALUE_TOO_LONG');
    expect(contextRefusal('country', 'F\u0000R')).toBe('REFUSED_CHARACTER');
    expect(contextRefusal('country', 'F\ud800R')).toBe('REFUSED_CHARACTER');
    expect(contextRefusal('country', '\ud83c\uddeb\ud83c\uddf7')).toBeNull(); // a flag emoji: pairs
    expect(contextRefusal('seats', Number.NaN)).toBe('INVALID_VALUE');
    expect(contextRefusal('tags', ['a'])).toBe('INVALID_VALUE');
    expect(contextRefusal('when', new Date())).toBe('INVALID_VALUE');
  });

  it('accept an exposure as TelemetryLimits.isAcceptedExposure does', () => {
    expect(javaMethod(readFileSync(JAVA, 'utf8'), 'public static boolean isAcceptedExposure(')).toBe(
      'public static boolean isAcceptedExposure(FlagExposure exposure) { return ' +
        'isExposureKey(exposure.getFlagKey()) && FlagKeys.isFlagKey(exposure.getFlagKey()) && ' +
        'isExposureKey(exposure.getVariant()) && (exposure.getFlagVersion() == null || exposure.getFlagVersion() ' +
        '>= 0); }',
    );
    const { isAcceptedExposure, exposureRefusal, MAX_KEY_LENGTH: max } = limits;
    expect(isAcceptedExposure({ flagKey: 'new-sync', variant: 'on', flagVersion: 3 })).toBe(true);
    expect(isAcceptedExposure({ flagKey: 'replication.table-entries', variant: 'treatment', flagVersion: 0 })).toBe(
      true,
    );
    expect(isAcceptedExposure({ flagKey: 'a'.repeat(max), variant: 'v'.repeat(max) })).toBe(true);
    expect(exposureRefusal({ flagKey: 'new_checkout', variant: 'on' })).toBe('FLAG_KEY');
    expect(exposureRefusal({ flagKey: 'NewCheckout', variant: 'on' })).toBe('FLAG_KEY');
    expect(exposureRefusal({ flagKey: 'a--b', variant: 'on' })).toBe('FLAG_KEY');
    expect(exposureRefusal({ flagKey: 'scope:key', variant: 'on' })).toBe('FLAG_KEY');
    expect(exposureRefusal({ flagKey: 'a'.repeat(max + 1), variant: 'on' })).toBe('FLAG_KEY');
    expect(exposureRefusal({ flagKey: 'f', variant: ' ' })).toBe('VARIANT');
    expect(exposureRefusal({ flagKey: 'f', variant: 'v'.repeat(max + 1) })).toBe('VARIANT');
    expect(exposureRefusal({ flagKey: 'f', variant: 'o\nn' })).toBe('VARIANT');
    expect(exposureRefusal({ flagKey: 'f', variant: 'on', flagVersion: -1 })).toBe('FLAG_VERSION');
    expect(exposureRefusal({ flagKey: 'f', variant: 'on', flagVersion: 1.5 })).toBe('FLAG_VERSION');
  });
});
