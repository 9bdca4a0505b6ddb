import { CfmError } from '@cfm/core';
import { getFamily } from '@cfm/models';
import type { PipelineSteps } from '../step-context';
import { prepareStep } from './prepare';
import { evaluateStep, exportStep, partitionStep, trainStep } from './model';
import type { FamilyLookup } from './model';
import { compareStep, promoteStep } from './registry';


/** The real steps: @cfm/simulator + @cfm/data (prepare), @cfm/models + @cfm/tensor (train, evaluate),
 * @cfm/export (Parquet outputs, champion registry). */
export function realSteps(opts: { families?: FamilyLookup } = {}): PipelineSteps {
  const families = opts.families ?? getFamily;
  return {
    prepare: prepareStep,
    train: (i, d, c) => trainStep(families, i, d, c),
    evaluate: (i, c) => evaluateStep(families, i, c),
    benchmark: async (i) => {
      throw new CfmError('CFM_E_CONFIG', `downstream benchmarks are not implemented yet (asked for ${i.tasks.join(', ')})`, { field: 'benchmarks' });
    },
    compare: compareStep,
    exportOutputs: (i, o, c) => exportStep(families, i, o, c),
    promote: promoteStep,
    exportPartition: (i, o, c) => partitionStep(families, i, o, c),
  };
}
export { prepareStep, prepareConfig, contractFiles } from './prepare';
export { registryFile, USE_CASE } from './registry';
export type { FamilyLookup } from './model';
