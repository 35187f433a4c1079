import { describe, expect, it } from 'vitest';
import * as entry from '../src/index.js';
import {
  CONTEXT_REFUSAL_REASONS,
  MAX_CONTEXT_ATTRIBUTES,
  contextRefusal,
  exposureRefusal,
  isAcceptedExposure,
  type ContextRefusal,
  type ExposureRefusal,
} from '../src/index.js';
import * as limits from '../src/limits.js';

/** What an app checks before it sends: the checks and the limits metrics-ingest applies. */
const EXPORTED = [
  'CONTEXT_NAME_PATTERN',
  'CONTEXT_REFUSAL_REASONS',
  'FLAG_KEY_PATTERN',
  'MAX_CONTEXT_ATTRIBUTES',
  'MAX_CONTEXT_NAME_LENGTH',
  'MAX_CONTEXT_VALUE_LENGTH',
  'MAX_ERROR_MESSAGE_LENGTH',
  'MAX_EXPOSURES',
  'MAX_KEY_LENGTH',
  'RESERVED_CONTEXT_NAMES',
  'contextRefusal',
  'exposureRefusal',
  'isAcceptedExposure',
  'isFlagKey',
] as const;

describe("the package's entry point", () => {
  it('exports the checks of a context attribute and of an exposure, and the limits, as src/limits.ts has them', () => {
    for (const name of EXPORTED) {
      expect((entry as Record<string, unknown>)[name], name).toBeDefined();
      expect((entry as Record<string, unknown>)[name], name).toBe((limits as Record<string, unknown>)[name]);
    }
  });

  it('exports every numeric limit of src/limits.ts', () => {
    const numeric = Object.entries(limits).filter(([, value]) => typeof value === 'number');
    expect(numeric.length).toBeGreaterThan(0);
    for (const [name, value] of numeric) {
      expect((entry as Record<string, unknown>)[name], name).toBe(value);
    }
  });

  it('lets an app check an OpenFeature context and the exposures it means to send', () => {
    const context: Record<string, unknown> = { targetingKey: 'user-1', country: 'FR', plan: null, 'tier!': 'gold' };
    const refused: Record<string, ContextRefusal> = {};
    for (const [name, value] of Object.entries(context)) {
      const refusal = contextRefusal(name, value);
      if (refusal !== null) refused[name] = refusal;
    }
    expect(refused).toEqual({ targetingKey: 'RESERVED_NAME', plan: 'MISSING_VALUE', 'tier!': 'MALFORMED_NAME' });
    expect(CONTEXT_REFUSAL_REASONS[refused.plan]).toBe('it has no value');
    expect(Object.keys(context).length).toBeLessThanOrEqual(MAX_CONTEXT_ATTRIBUTES);

    const other: ExposureRefusal | null = exposureRefusal({ flagKey: 'new_checkout', variant: 'on' });
    expect(other).toBe('FLAG_KEY');
    expect(isAcceptedExposure({ flagKey: 'new-checkout', variant: 'on', flagVersion: 3 })).toBe(true);
    expect(isAcceptedExposure({ flagKey: 'new-checkout', variant: ' ' })).toBe(false);
  });
});
