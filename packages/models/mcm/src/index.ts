// Top level exports
export { mcm } from './family';
export { McmModel, taskName } from './model';
export { McmConfig, VARIANTS, PRESETS, MCM_FEATURES, MCM_TASKS } from './config';
// Building blocks
export { McmBackbone } from './backbone';
export type { McmDims } from './backbone';
export { TaskHead } from './heads';
export { McmSampler } from './samples';
export type { McmBatch, SamplerOptions } from './samples';
