// Top level exports: build the static run report
export { buildReport } from './build-report';
export type { ReportOptions } from './build-report';
// The run-directory convention
export { readRunDir, writeRunFile } from './run-dir';
export type { RunDir, RunInfo, History, MetricsFile, ComputeRows, GatesFile } from './run-dir';
// Pieces
export { trainingCurvesSpec, umapSpec, comparisonSpec, gatesSpec, renderSvg } from './charts';
export type { VlSpec } from './charts';
export { umapFromParquet } from './umap';
export type { UmapPoint } from './umap';
export { PUBLISHED, publishedFor } from './published';
export type { PublishedNumber } from './published';
export { findChromium, screenshotPage, dumpDom, pngStats } from './chromium';
