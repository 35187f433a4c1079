import { OpenFeature, StandardResolutionReasons, type Provider, type ResolutionDetails } from '@openfeature/web-sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExposureHook, Exposures } from '../src/index.js';

/** A provider that serves what the test says, as Rollguard's OFREP answer would (variant and flag version). */
function provider(flags: Record<string, ResolutionDetails<boolean>>): Provider {
  const resolve = (key: string, defaultValue: boolean): ResolutionDetails<boolean> =>
    flags[key] ?? { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode: 'FLAG_NOT_FOUND' as never };
  return {
    metadata: { name: 'scripted' },
    runsOn: 'client',
    resolveBooleanEvaluation: resolve,
    resolveStringEvaluation: () => {
      throw new Error('not used');
    },
    resolveNumberEvaluation: () => {
      throw new Error('not used');
    },
    resolveObjectEvaluation: () => {
      throw new Error('not used');
    },
  } as Provider;
}

describe('ExposureHook with the OpenFeature web SDK', () => {
  afterEach(async () => {
    OpenFeature.clearHooks();
    await OpenFeature.close();
  });

  it('records the variant and flag version served under the targeting key', async () => {
    const exposures = new Exposures();
    OpenFeature.addHooks(new ExposureHook(exposures));
    await OpenFeature.setContext({ targetingKey: 'alice' });
    await OpenFeature.setProviderAndWait(
      provider({
        'new-sync': { value: true, variant: 'on', reason: 'SPLIT', flagMetadata: { version: 7 } },
        'dark-mode': { value: false, variant: 'off', reason: 'DEFAULT' },
      }),
    );
    const client = OpenFeature.getClient();

    expect(client.getBooleanValue('new-sync', false)).toBe(true);
    expect(client.getBooleanValue('dark-mode', true)).toBe(false);

    expect(exposures.of('alice')).toEqual([
      { flagKey: 'new-sync', variant: 'on', flagVersion: 7 },
      { flagKey: 'dark-mode', variant: 'off' },
    ]);
    expect(exposures.of('bob')).toEqual([]);
  });

  it('forgets a flag whose evaluation failed, so its default value is not reported as a variant', async () => {
    const exposures = new Exposures();
    exposures.record('alice', 'gone', 'on', 3);
    OpenFeature.addHooks(new ExposureHook(exposures));
    await OpenFeature.setContext({ targetingKey: 'alice' });
    await OpenFeature.setProviderAndWait(provider({}));

    expect(OpenFeature.getClient().getBooleanValue('gone', false)).toBe(false);

    expect(exposures.of('alice')).toEqual([]);
  });

  it('records only exposures metrics-ingest accepts, warning once per reason', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const exposures = new Exposures();
      exposures.record('alice', 'new_checkout', 'on'); // recorded before, by hand: forgotten too
      OpenFeature.addHooks(new ExposureHook(exposures));
      await OpenFeature.setContext({ targetingKey: 'alice' });
      await OpenFeature.setProviderAndWait(
        provider({
          new_checkout: { value: true, variant: 'on', reason: 'STATIC' }, // another provider's flag
          NewBanner: { value: true, variant: 'on', reason: 'STATIC' },
          'long-variant': { value: true, variant: 'v'.repeat(129), reason: 'STATIC' },
          'new-sync': { value: true, variant: 'on', reason: 'SPLIT', flagMetadata: { version: 2 } },
        }),
      );
      const client = OpenFeature.getClient();

      for (const key of ['new_checkout', 'NewBanner', 'long-variant', 'new-sync', 'new_checkout']) {
        client.getBooleanValue(key, false);
      }

      expect(exposures.of('alice')).toEqual([{ flagKey: 'new-sync', variant: 'on', flagVersion: 2 }]);
      expect(warn).toHaveBeenCalledTimes(2); // the flag key, the variant
      expect(String(warn.mock.calls[0][0])).toContain("'new_checkout'");
    } finally {
      warn.mockRestore();
    }
  });

  it('records nothing without a targeting key', async () => {
    const exposures = new Exposures();
    OpenFeature.addHooks(new ExposureHook(exposures));
    await OpenFeature.setContext({});
    await OpenFeature.setProviderAndWait(provider({ f: { value: true, variant: 'on' } }));

    OpenFeature.getClient().getBooleanValue('f', false);

    expect(exposures.size).toBe(0);
  });
});

describe('Exposures', () => {
  it('keeps the most recently served subjects within its bound', () => {
    const exposures = new Exposures(2);
    exposures.record('a', 'f', 'on');
    exposures.record('b', 'f', 'off');
    exposures.record('a', 'g', 'on'); // a is now the most recent
    exposures.record('c', 'f', 'on');

    expect(exposures.size).toBe(2);
    expect(exposures.of('b')).toEqual([]);
    expect(exposures.of('a').map((e) => e.flagKey)).toEqual(['f', 'g']);
    expect(exposures.of('c')).toEqual([{ flagKey: 'f', variant: 'on' }]);
  });

  it('gives at most the number of exposures an event may carry, the flags served most recently', () => {
    const exposures = new Exposures();
    for (let i = 0; i < 70; i++) exposures.record('a', `flag-${i}`, 'on');
    // flag-0 is served again: it is among the most recent now.
    exposures.record('a', 'flag-0', 'off');
    const given = exposures.of('a').map((e) => e.flagKey);
    expect(given).toHaveLength(64);
    expect(given).toContain('flag-69');
    expect(given).toContain('flag-0');
    expect(given).not.toContain('flag-1');
    expect(given).not.toContain('flag-6');
    expect(given).toContain('flag-7');
    expect(exposures.of('a', 0)).toEqual([]);
  });
});
