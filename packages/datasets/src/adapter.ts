import type { ContractSources } from '@cfm/data';
import { DatasetFiles } from './raw-files';

/** The files of a dataset folder given as DatasetFiles or as a plain path (see DatasetAdapter.toContract). */
export const filesOf = (src: DatasetFiles | string): DatasetFiles => (typeof src === 'string' ? new DatasetFiles(src, src) : src);

/** Counts stated in a dataset's README (the acceptance test compares `cfm prepare` against them). */
export interface ExpectedCounts {
  users?: number;
  items?: number;
  /** accepted events (before de-duplication) */
  events?: number;
  /** input rows of the event files (accepted + quarantined) when the source has rows outside the contract */
  inputRows?: number;
}

/** Maps one public dataset onto the data contract. */
export interface DatasetAdapter {
  name: string;
  description: string;
  /** folder under the data directory */
  folder: string;
  /** the split its published numbers use */
  defaultSplit: 'temporal' | 'loo';
  expected?: ExpectedCounts;
  /**
   * write contract CSV files for the dataset under workDir, reading the folder only through `files` (each file checked
   * against the data directory; raw lines counted and refused lines quarantined: return `raw: files.raw`). A plain
   * folder path is read as `new DatasetFiles(folder, folder)`: its files must then lie inside that folder.
   */
  toContract(files: DatasetFiles | string, workDir: string): Promise<ContractSources>;
}
