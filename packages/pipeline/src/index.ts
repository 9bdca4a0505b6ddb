export { RunConfig, resolveRunConfig, loadRunConfig } from './config';
export { cachedStep, cacheFile, writeFileAtomic } from './cache';
export type { CacheEntry } from './cache';
export type { PipelineSteps, StepContext } from './steps';
export { createActivities, appendLedger, readLedger, backfillDir } from './activities';
export type { ActivityDeps } from './activities';
export { runPipeline, formatSummary } from './runner';
export type { RunOptions } from './runner';
