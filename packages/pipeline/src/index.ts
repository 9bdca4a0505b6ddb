export { RunConfig, resolveRunSpec, loadRunConfig, datasetNameOf, readPreparedManifest } from './config';
export type { ResolveOptions } from './config';
export { cachedStep, cacheFile, writeFileAtomic } from './cache';
export { openWorkspace, scratchDir, refName } from './workspace';
export type { Workspace } from './workspace';
export { live } from './liveness';
export type { Liveness } from './liveness';
export type { CacheEntry } from './cache';
export type { PipelineSteps, StepContext, PrepareResult, TrainResult, RegistryAt } from './step-context';
export { createActivities, appendLedger, readLedger, backfillDir, registryOf } from './activities';
export type { ActivityDeps } from './activities';
export { runPipeline, formatSummary } from './runner';
export type { RunOptions } from './runner';
export {
  realSteps,
  prepareStep,
  prepareConfig,
  contractFiles,
  describeSplit,
  preparedFolder,
  registryFile,
  USE_CASE,
  useCaseOf,
  protocolLabel,
  readRunInfo,
  readRunFile,
  writeRunFile,
  RUN_FILES,
} from './steps';
export { codeVersion } from './steps/run-files';
export type { FamilyLookup, RunInfo, RunFile } from './steps';
export { collectRun, resultsMarkdown, writeResultsPage } from './results';
export type { TargetCheck } from './results';
