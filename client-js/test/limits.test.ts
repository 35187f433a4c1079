import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as limits from '../src/limits.js';

/** The Java copy of the limits, which metrics-ingest enforces. */
const JAVA = new URL(
  '../../schemas/src/main/java/dev/rollguard/schemas/telemetry/TelemetryLimits.java',
  import.meta.url,
);

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
    const ours = Object.entries(limits);

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
});
