// Top level: build the static report of a whole run (workDir) or of one model folder
export { buildReport, MODEL_SECTIONS } from './build-report';
export type { ReportOptions, ReportResult, ReportSection } from './build-report';
// What the pipeline writes and how the report reads it
export { readModelFolder, readSummary, isWorkDir, isModelFolder, SOURCES } from './layout';
export type { ModelFolder, RunJson, TrainJson, SummaryJson, ExpertsFile } from './layout';
export { checkArtifact } from './verify';
export type { ArtifactCheck, FileStatus } from './verify';
// Pieces
export { trainingCurvesSpec, umapSpec, comparisonSpec, benchmarkSpec, gatesSpec, renderSvg } from './charts';
export type { VlSpec } from './charts';
export { umapFromParquet } from './umap';
export type { UmapPoint } from './umap';
export { PUBLISHED, publishedFor } from './published';
export type { PublishedNumber } from './published';
// The browser check
export { findChromium, screenshotPage, dumpDom, pngStats } from './chromium';
export { renderedSections, sectionsOfDom } from './browser';
export type { RenderedSection } from './browser';
