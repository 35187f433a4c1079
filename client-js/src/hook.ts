import type { EvaluationDetails, FlagValue, Hook, HookContext } from '@openfeature/web-sdk';
import type { Exposures } from './exposures.js';
import { exposureRefusal, type ExposureRefusal } from './limits.js';

/** What the console says once per reason an evaluation is not recorded. */
const NOT_RECORDED: Record<ExposureRefusal, string> = {
  FLAG_KEY:
    'its flag key is not one a Rollguard flag can have (lower-case letters and digits separated by single dots or ' +
    'dashes, at most 128 characters): a flag of another provider',
  VARIANT: 'its variant is longer than 128 characters or holds a control character',
  FLAG_VERSION: "its flag metadata's version is not a whole number",
  TREATED: 'its treated mark is not a boolean',
};

/**
 * An OpenFeature hook for `@openfeature/web-sdk`: every evaluation that served a variant is recorded under the
 * evaluation context's targeting key, with the flag's version from the flag metadata (`version`, which Rollguard's
 * OFREP endpoint sends). An evaluation that failed (the app got its default value) forgets that flag for the key.
 * Only exposures metrics-ingest accepts are recorded (one it refuses would have it refuse the whole event): a flag
 * whose key no Rollguard flag can have (another provider's `new_checkout`) or whose variant is too long is left out,
 * and the console says so once per reason.
 */
export class ExposureHook implements Hook {
  readonly name = 'rollguard-exposures';

  /** Reasons already said on the console. */
  private readonly warned = new Set<ExposureRefusal>();

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
    const flagVersion = typeof version === 'number' && Number.isInteger(version) && version >= 0 ? version : undefined;
    const refusal = exposureRefusal({ flagKey: details.flagKey, variant: details.variant, flagVersion });
    if (refusal !== null) {
      this.exposures.forget(subject, details.flagKey);
      if (!this.warned.has(refusal)) {
        this.warned.add(refusal);
        console.warn(
          `Rollguard exposures: the evaluation of '${details.flagKey.slice(0, 128)}' is not recorded, as ` +
            `metrics-ingest would refuse every event carrying it: ${NOT_RECORDED[refusal]}. Further evaluations ` +
            'left out for this reason are not said.',
        );
      }
      return;
    }
    this.exposures.record(subject, details.flagKey, details.variant, flagVersion);
  }

  error(hookContext: Readonly<HookContext<FlagValue>>): void {
    const subject = hookContext.context.targetingKey;
    if (subject) {
      this.exposures.forget(subject, hookContext.flagKey);
    }
  }
}
