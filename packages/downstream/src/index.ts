// Top level exports: the benchmark runner (any family), downstream tasks and heads (the ShopperBERT paper suite is in
// @cfm/benchmarks)
export { runBenchmarks } from './benchmarks';
export type { RunBenchmarksOptions } from './benchmarks';
export { taskSplit, summarize } from './bench-common';
export { labelRule, labelRuleTask } from './label-rule';
export { asEncoder } from './finetune-bench';
export { xgboostClassifier, xgboostMissing } from './xgb';
export { customerDisjointSplit, labelTask, profileTasks, targetingTask, nextItemTask, mostCommonValue, purchaseEvents } from './tasks';
export type { Split, ClassificationTask, RecommendationTask, DownstreamTask } from './tasks';
export { embedExamples, examplesBatch, frozenEncoder, frozenSource, encoderSource } from './sources';
export type { Examples, UserSource } from './sources';
export { trainClassifier, classificationMetrics, probabilityMetrics, f1Threshold, UMLP_HIDDEN, part } from './umlp';
export type { HeadOptions } from './umlp';
export { Recommender, trainRecommender, evaluateRecommender } from './recommend';
export type { RecOptions } from './recommend';
export { timeIt, medianMs, withSpeedup, formatBytes, scoreOnce } from './compute';
export type { CostRow } from './compute';
// The fine-tuning API lives in @cfm/tensor (one implementation); re-exported here
export { fineTune, encodeExamples, FineTuned } from '@cfm/tensor';
export type { Encoder, FineTuneExamples, FineTuneOptions } from '@cfm/tensor';
