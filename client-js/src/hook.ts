import type { EvaluationDetails, FlagValue, Hook, HookContext } from '@openfeature/web-sdk';
import type { Exposures } from './exposures.js';

/**
 * An OpenFeature hook for `@openfeature/web-sdk`: every evaluation that served a variant is recorded under the
 * evaluation context's targeting key, with the flag's version from the flag metadata (`version`, which Rollguard's
 * OFREP endpoint sends). An evaluation that failed (the app got its default value) forgets that flag for the key.
 */
export class ExposureHook implements Hook {
  readonly name = 'rollguard-exposures';

  constructor(private readonly exposures: Exposures) {}

  after(hookContext: Readonly<HookContext<FlagValue>>, details: EvaluationDetails<FlagValue>): void {
    const subject = hookContext.context.targetingKey;
    if (!subject) {
      return;
    }
    if (details.errorCode || details.variant === undefined || details.variant === '') {
      this.exposures.forget(subject, details.flagKey);
      return;
    }
    const version = details.flagMetadata?.version;
    this.exposures.record(
      subject,
      details.flagKey,
      details.variant,
      typeof version === 'number' && Number.isInteger(version) && version >= 0 ? version : undefined,
    );
  }

  error(hookContext: Readonly<HookContext<FlagValue>>): void {
    const subject = hookContext.context.targetingKey;
    if (subject) {
      this.exposures.forget(subject, hookContext.flagKey);
    }
  }
}
