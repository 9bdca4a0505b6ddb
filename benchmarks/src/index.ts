// Paper experiments, run by scripts/bench (npm run bench:quality -- session-heads | dmt | shopperbert-paper); not part
// of the pipeline.
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
// ShopperBERT: the paper suite (pre-training variants, frozen and fine-tuned downstream tasks, UMAP picture)
export { runShopperBertSuite, suiteLines } from './shopperbert/suite';
export type { SuiteOptions } from './shopperbert/suite';
export { pretrainShopperBert, VARIANTS } from './shopperbert/pretrain';
export { umap2d, umapPicture } from './shopperbert/umap';
// DMT: the GBDT baseline on the dense features
export { gbdtBaseline } from './dmt/gbdt-baseline';
