import { MAX_EXPOSURES } from './limits.js';

/** One flag value served to a subject, in the shape of the schemas' FlagExposure. */
export interface FlagExposure {
  flagKey: string;
  variant: string;
  /** True when the variant is the flag's treatment; left out, metrics-ingest derives it from the variant. */
  treated?: boolean;
  /** The flag's version that produced the value, when the provider said it (Rollguard's OFREP does). */
  flagVersion?: number;
}

/**
 * The last variant of each flag served to each subject (targeting key), for the telemetry client to attach to that
 * subject's events. Bounded: the least recently served subjects are forgotten first.
 */
export class Exposures {
  private readonly bySubject = new Map<string, Map<string, FlagExposure>>();

  constructor(private readonly maxSubjects = 1000) {
    if (!(maxSubjects >= 1)) {
      throw new RangeError('maxSubjects must be at least 1');
    }
  }

  /** Records that `subject` was served `variant` of `flagKey`. */
  record(subject: string, flagKey: string, variant: string, flagVersion?: number): void {
    let flags = this.bySubject.get(subject);
    if (flags) {
      this.bySubject.delete(subject); // re-inserted below: the map's order is the recency order
    } else {
      flags = new Map();
    }
    const exposure: FlagExposure = { flagKey, variant };
    if (flagVersion !== undefined) {
      exposure.flagVersion = flagVersion;
    }
    flags.delete(flagKey); // re-inserted: a subject's map is in the order its flags were last served
    flags.set(flagKey, exposure);
    this.bySubject.set(subject, flags);
    while (this.bySubject.size > this.maxSubjects) {
      const oldest = this.bySubject.keys().next().value as string;
      this.bySubject.delete(oldest);
    }
  }

  /** Forgets what `subject` was served of `flagKey` (the evaluation failed: the app got its default value). */
  forget(subject: string, flagKey: string): void {
    const flags = this.bySubject.get(subject);
    if (flags) {
      flags.delete(flagKey);
      if (flags.size === 0) {
        this.bySubject.delete(subject);
      }
    }
  }

  /**
   * The exposures of one subject, at most `limit` (metrics-ingest takes `MAX_EXPOSURES` per event): the flags served
   * to it most recently, so a flag the app starts evaluating is never the one left out.
   */
  of(subject: string, limit = MAX_EXPOSURES): FlagExposure[] {
    const flags = this.bySubject.get(subject);
    if (!flags || limit <= 0) return [];
    return [...flags.values()].slice(-limit).map((e) => ({ ...e }));
  }

  /** How many subjects have exposures. */
  get size(): number {
    return this.bySubject.size;
  }

  clear(): void {
    this.bySubject.clear();
  }
}
