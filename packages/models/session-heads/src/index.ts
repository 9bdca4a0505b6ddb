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
// Downstream experiments (Tables 2–4 analogue)
export { sessionHeadsSuite, SESSION_HEADS_SUITE } from './downstream/suite';
export { runBench, formatTable, gain } from './downstream/bench';
export type { BenchOptions, BenchTable } from './downstream/bench';
export { runTask, pretrain, corpusAttributes, COMBOS } from './downstream/experiment';
export { CoCounts, nextItemQueries } from './downstream/candidates';
export type { Query } from './downstream/candidates';
export { loadAdapterCorpus, simulatorCorpus } from './downstream/corpus';
export type { SessionCorpus, SearchEvent } from './downstream/corpus';
export { loadCoveoSearches } from './downstream/coveo';
export type { CoveoSearch } from './downstream/coveo';
