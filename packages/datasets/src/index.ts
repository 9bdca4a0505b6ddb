// Top level exports
export { prepareDataset, contractFolder } from './prepare-dataset';
export type { PrepareDatasetOptions } from './prepare-dataset';
export { adapters, getAdapter } from './registry';
export { writeContractFiles } from './contract-files';
export type { ContractFilesOptions } from './contract-files';
export type { DatasetAdapter, ExpectedCounts } from './adapter';
export { resolveDataDir, resolveInside, repoRoot } from './data-dir';
export { DatasetFiles, insideDataDir } from './raw-files';
export type { RawReadOptions, RawRow } from './raw-files';
export { CsvWriter, csvField, parseCsvLine, EVENT_HEADER, ITEM_HEADER, orderTs } from './contract-writer';
// Re-exported so consumers need one import
export { loadPrepared } from '@cfm/data';
export type { PreparedManifest, PrepareConfigInput } from '@cfm/data';
