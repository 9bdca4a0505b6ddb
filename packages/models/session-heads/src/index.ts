// Top level exports
export { sessionHeads } from './family';
export { SessionHeadsModel, NEXT_ITEM, PURCHASE_ITEM, taskNames } from './model';
export { SessionHeadsConfig } from './config';
export { ScidState, scidBatch, scidNames, SCID_STATS } from './scid';
export { buildSessions, sessionsFromSequences, chronologicalSplit, subset, sessionCount, sessionLength, endsInPurchase } from './sessions';
export type { SessionSet } from './sessions';
export { attributeMatrix, cooccurrenceVectors, categoryMeans, standardize } from './attributes';
export type { Attribute, ItemAttributes } from './attributes';
export type { AttributeSpec, StepPredictions } from './model-types';
export { makeBatch, SessionSampler } from './batches';
export type { SessionBatch } from './batches';
