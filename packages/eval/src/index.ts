// Ranking metrics (one target per row) and the full / sampled ranking protocols
export { RANK_METRICS, parseMetricKey, metricFromRanks, defaultMetricKeys, mean } from './metrics';
export type { RankMetric, RankMetricName } from './metrics';
export { rankOfTarget, rankRows, evaluateRanking, summarizeRanks, RankingAccumulator } from './ranking';
export type { Ties, RowExclusions, RankingInput, RankingOptions, RankingResult } from './ranking';
export { createNegativeSampler, sampleNegatives, buildSampledCandidates, gatherScores, itemPopularity } from './sampling';
export type { NegativeProtocol, NegativeSampler } from './sampling';
// Next-item ranking evaluation of any CustomerModel on a prepared split (the pipeline's evaluate step, validation)
export { rankEval, rankEvalMany, describeEval } from './rank-eval';
export type { ProtocolName, RankEvalOptions } from './rank-eval';
// Grouped metrics (many relevant per group: DMT Precision@K / MRR@K per request)
export { evaluateGroups, offsetsFromGroupIds } from './grouped';
export type { GroupedInput, GroupedResult } from './grouped';
// Classification
export { auc, groupedAuc, relaImpr, accuracy, f1, bestF1Threshold, macroF1, argmaxRows, logLoss } from './classification';
export type { GroupedAucResult } from './classification';
// Segments
export { historyLengths, coldHeavySegments, seenTargetSegments, coldItemSegment, pick, evaluateSegments } from './segments';
export type { Segment } from './segments';
// Seeds and significance
export { summarizeSeeds, pairedTest, pairedTTest, wilcoxonTest, signTest } from './stats';
export type { SeedSummary, PairedTestName, PairedTestResult } from './stats';
export { studentTCdf, studentTQuantile, normalCdf, incompleteBeta, binomialHalfCdf } from './distributions';
// Reports
export { formatReport, describeProtocol, summarizeRuns } from './report';
export type { Report, ReportRow, EvalProtocol, Comparison } from './report';
