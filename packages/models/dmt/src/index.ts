// Top level exports
export { dmt, catalogueFromPrepared } from './family';
export { DmtModel } from './model';
export type { Predictions } from './model';
export { DmtConfig, VARIANTS, TASKS, BIAS_FEATURES } from './config';
export type { BiasFeature } from './config';
// Impression data
export { buildImpressionSet, catalogueFromItems, customerEvents, requestCount } from './impressions';
export type { ImpressionRow, ImpressionSet, Catalogue } from './impression-types';
export { pageViewImpressions, impressionsFromPrepared, sequenceEvents } from './page-views';
export type { PageViewOptions } from './page-views';
export { makeBatch, denseStats, denseColumns } from './batch';
export type { DmtBatch, DenseStats } from './batch';
// Evaluation
export { taskMetrics, relaImprPct, labelsOf } from './evaluate';
export type { TaskMetrics } from './evaluate';
