import { getFamily } from '@cfm/models';
import type { PipelineSteps } from '../step-context';
import { prepareStep } from './prepare';
import { trainStep } from './train';
import type { FamilyLookup } from './train';
import { evaluateStep } from './evaluate';
import { benchmarkStep } from './benchmark';
import { exportStep, partitionStep } from './export';
import { compareStep, promoteStep } from './registry';
import { reportStep } from './report';

/** The real steps: @cfm/simulator + @cfm/data (prepare), @cfm/models + @cfm/tensor (train, evaluate),
 * @cfm/downstream (benchmarks), @cfm/export (Parquet outputs), @cfm/registry (champion registry), @cfm/report. */
export function realSteps(opts: { families?: FamilyLookup } = {}): PipelineSteps {
  const families = opts.families ?? getFamily;
  return {
    prepare: prepareStep,
    train: (i, d, c) => trainStep(families, i, d, c),
    evaluate: (i, c) => evaluateStep(families, i, c),
    benchmark: (i, c) => benchmarkStep(families, i, c),
    compare: compareStep,
    exportOutputs: (i, c) => exportStep(families, i, c),
    promote: promoteStep,
    exportPartition: (i, o, c) => partitionStep(families, i, o, c),
    report: reportStep,
  };
}
export { prepareStep, prepareConfig, contractFiles, describeSplit, preparedFolder } from './prepare';
export { registryFile, USE_CASE, useCaseOf } from './registry';
export { protocolLabel } from './evaluate';
export { readRunInfo, readRunFile, writeRunFile, RUN_FILES } from './run-files';
export type { RunInfo, RunFile } from './run-files';
export type { FamilyLookup } from './train';
