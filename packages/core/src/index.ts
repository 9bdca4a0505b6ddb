// Data contract
export { EVENT_TYPES, EventType, Event, Item, User, PAD, MASK, CLS, OOV, RESERVED_IDS, RESERVED_TOKENS } from './schemas';
export type {
  Vocabulary,
  Vocabularies,
  CustomerSequences,
  EvalSet,
  PreparedDataset,
  SequenceBatch,
  FitOptions,
  FitReport,
  ArtifactManifest,
  CustomerModel,
  ModelFamily,
  TaskOutput,
} from './model';
// Padded batches (CustomerSequences -> SequenceBatch)
export { padBatch } from './batch';
export type { PadOptions } from './batch';
// Errors
export { CfmError, isCfmError, formatLocation, ERROR_CODES } from './errors';
export type { ErrorCode, ErrorLocation } from './errors';
// Utilities
export { createRng } from './rng';
export type { Rng } from './rng';
export { silentProgress, lineProgress, etaSeconds, formatDuration, formatInfo } from './progress';
export type { ProgressReporter, ProgressEvent } from './progress';
export { canonicalJson, sha256, configHash } from './hash';
export { withFolderLock, removeLeftovers } from './folder-lock';
export type { FolderLockOptions, LockOwner } from './folder-lock';
export { loadNativeAddon, nativeAddonPath, nativeAddonRemedy } from './native-addon';
export type { NativeAddon, NativeAddonSpec } from './native-addon';
// Runtime options (CFM_* environment variables, docs/runtime.md)
export { runtimeOptions, resetRuntimeOptions, parseRuntimeOptions, RuntimeOptionsSchema, BACKENDS } from './runtime';
export type { RuntimeOptions, RuntimeVariable } from './runtime';
