// Top level exports
export { sasrec } from './family';
export { SasRecModel, NEXT_ITEM } from './model';
export { SasRecConfig, PRESETS } from './config';
export { NextItemSampler, windows } from './sampler';
export type { ShiftedBatch } from './sampler';
