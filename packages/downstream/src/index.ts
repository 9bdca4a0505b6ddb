// Top level exports: downstream tasks, heads and the ShopperBERT suite
export { customerDisjointSplit, labelTask, profileTasks, targetingTask, nextItemTask } from './tasks';
export type { Split, ClassificationTask, RecommendationTask, DownstreamTask } from './tasks';
export { embedExamples, frozenEncoder, frozenSource, encoderSource } from './sources';
export type { Examples, UserSource } from './sources';
export { trainClassifier, classificationMetrics, UMLP_HIDDEN, part } from './umlp';
export type { HeadOptions } from './umlp';
export { Recommender, trainRecommender, evaluateRecommender } from './recommend';
export type { RecOptions } from './recommend';
export { timeIt, withSpeedup, formatBytes } from './compute';
export type { CostRow } from './compute';
export { umap2d, umapPicture } from './umap';
export { pretrainShopperBert, VARIANTS } from './pretrain';
export { runShopperBertSuite, suiteLines } from './suite';
export type { SuiteOptions } from './suite';
// The fine-tuning API lives in @cfm/tensor (one implementation); re-exported here
export { fineTune, encodeExamples, FineTuned } from '@cfm/tensor';
export type { Encoder, FineTuneExamples, FineTuneOptions } from '@cfm/tensor';
