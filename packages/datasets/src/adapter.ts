import type { ContractSources } from '@cfm/data';

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
  /** write contract CSV files for the dataset under workDir */
  toContract(folder: string, workDir: string): Promise<ContractSources>;
}
