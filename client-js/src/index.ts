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
