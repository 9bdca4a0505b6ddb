/** The closing step of a run: summary.json (spec, models, commit, machine and its load, seconds) and the
 * run's HTML report (@cfm/report) in the workDir. */
import { join } from 'node:path';
import type { ReportInput } from '@cfm/contracts';
import { buildReport } from '@cfm/report';
import type { StepContext } from '../step-context';
import { backendName, codeVersion, machineInfo } from './run-files';
import { writeFileAtomic } from '../files';

export async function reportStep(input: ReportInput, ctx: StepContext): Promise<{ summaryFile: string; reportFile: string }> {
  const summaryFile = join(input.workDir, 'summary.json');
  const finishedAt = new Date().toISOString();
  const summary = {
    runName: input.spec.name,
    createdAt: input.startedAt,
    finishedAt,
    seconds: (Date.parse(finishedAt) - Date.parse(input.startedAt)) / 1000,
    commit: codeVersion(),
    machine: machineInfo(),
    backend: backendName(),
    spec: input.spec,
    models: input.models,
    targets: input.spec.targets,
  };
  writeFileAtomic(summaryFile, JSON.stringify(summary, null, 1) + '\n');
  const r = await buildReport(input.workDir, { progress: ctx.progress });
  ctx.progress.log(`report: ${r.path}`);
  return { summaryFile, reportFile: r.path };
}
