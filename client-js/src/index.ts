export { Exposures } from './exposures.js';
export type { FlagExposure } from './exposures.js';
export { ExposureHook } from './hook.js';
export { KeyMismatchError, TelemetryClient } from './telemetry.js';
export type {
  EventFields,
  Platform,
  SyncFields,
  SyncKind,
  TelemetryEvent,
  TelemetryListener,
  TelemetryOptions,
  TelemetryStats,
  UploadFields,
} from './telemetry.js';
// What metrics-ingest accepts in an event, for an app to check a context or an exposure before it sends one.
export {
  CONTEXT_NAME_PATTERN,
  CONTEXT_REFUSAL_REASONS,
  FLAG_KEY_PATTERN,
  MAX_CONTEXT_ATTRIBUTES,
  MAX_CONTEXT_NAME_LENGTH,
  MAX_CONTEXT_VALUE_LENGTH,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_EXPOSURES,
  MAX_KEY_LENGTH,
  RESERVED_CONTEXT_NAMES,
  contextRefusal,
  exposureRefusal,
  isAcceptedExposure,
  isFlagKey,
} from './limits.js';
export type { ContextRefusal, ExposureRefusal } from './limits.js';
