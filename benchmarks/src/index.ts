// Paper experiments, run by scripts/bench (npm run bench:quality -- session-heads | dmt); not part of the pipeline.
// Session heads: the downstream suite (Tables 2-4 analogue): corpora, candidates, SCID feature blocks, one XGBoost per
// feature combination
export { sessionHeadsSuite, SESSION_HEADS_SUITE } from './session-heads/suite';
export { runBench, formatTable, gain } from './session-heads/bench';
export type { BenchOptions, BenchTable } from './session-heads/bench';
export { runTask, pretrain, corpusAttributes, COMBOS } from './session-heads/experiment';
export { CoCounts, nextItemQueries } from './session-heads/candidates';
export type { Query } from './session-heads/candidates';
export { loadAdapterCorpus, simulatorCorpus } from './session-heads/corpus';
export type { SessionCorpus, SearchEvent } from './session-heads/corpus';
export { loadCoveoSearches } from './session-heads/coveo';
export type { CoveoSearch } from './session-heads/coveo';
// DMT: the GBDT baseline on the dense features
export { gbdtBaseline } from './dmt/gbdt-baseline';
