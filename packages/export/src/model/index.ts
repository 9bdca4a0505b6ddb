// Library API for engineers (pulls in TF.js): loadModel(dir) → embed / score, point-in-time batch export
export { loadModel } from './load';
export type { LoadedModel, LoadModelOptions, EmbedOptions, EmbeddedBatch } from './load';
export { exportEmbeddings } from './export-embeddings';
export type { ExportEmbeddingsOptions, ExportEmbeddingsResult } from './export-embeddings';
export { allCustomers, fullSequences, asOfEnds, asOfSeconds, exportOrder, exportBatches } from './sequences';
export { writeModelOutputs, taskTokens } from './outputs';
export type { ModelOutputsOptions, ModelOutputsResult } from './outputs';
