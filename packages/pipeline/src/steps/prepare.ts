import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CfmError } from '@cfm/core';
import type { RunSpec } from '@cfm/contracts';
import { prepareFromSources, readManifest } from '@cfm/data';
import { writeContractFiles } from '@cfm/datasets';
import type { ContractSources, PrepareConfigInput, PreparedManifest } from '@cfm/data';
import { writeSimulation } from '@cfm/simulator';
import type { PrepareResult, StepContext } from '../step-context';

const dayMs = (iso: string) => Date.parse(`${iso}T00:00:00Z`);

/** The data-prep options of @cfm/data from a run spec. */
export function prepareConfig(spec: RunSpec): PrepareConfigInput {
  const s = spec.prepare.split;
  const cutoffsMs: [number, number] | undefined =
    s.kind === 'temporal' && s.validFrom && s.testFrom ? [dayMs(s.validFrom), dayMs(s.testFrom)] : undefined;
  return { split: s.kind, cutoffsMs, seed: spec.seed, maxSeqLen: spec.prepare.maxSeqLen };
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The split a prepared folder really has, stated in eval tables: method and, for temporal, the cut-off dates. */
export function describeSplit(m: Pick<PreparedManifest, 'split' | 'cutoffsMs'>): string {
  if (m.split === 'loo') return 'leave-one-out';
  if (m.split === 'customer') return 'customer-disjoint';
  return m.cutoffsMs ? `temporal (valid from ${isoDay(m.cutoffsMs[0])}, test from ${isoDay(m.cutoffsMs[1])})` : 'temporal';
}

export function resultOf(m: PreparedManifest): PrepareResult {
  const counts: Record<string, number> = { ...m.counts };
  for (const [part, c] of Object.entries(m.splits)) counts[`${part}Customers`] = c.customers;
  return {
    dataHash: m.dataHash,
    prepareHash: m.configHash,
    dataset: m.dataset,
    split: describeSplit(m),
    maxSeqLen: m.config.maxSeqLen,
    counts,
  };
}

/** A folder `cfm prepare` wrote, used as it is. */
export async function preparedFolder(dir: string): Promise<PrepareResult> {
  return resultOf(await readManifest(dir));
}

/** Contract files of a folder: events.* (csv | parquet | jsonl), items.csv, users.csv. */
export function contractFiles(dir: string): ContractSources {
  if (!existsSync(dir)) throw new CfmError('CFM_E_FILE', 'data folder does not exist', { file: dir });
  const names = readdirSync(dir);
  const events = names
    .filter((n) => /^events(\.|_).*\.(csv|parquet|jsonl)$/.test(n) || /^events\.(csv|parquet|jsonl)$/.test(n))
    .map((n) => join(dir, n));
  if (!events.length) throw new CfmError('CFM_E_FILE', 'no events.csv / events.parquet / events.jsonl in the folder', { file: dir });
  const opt = (n: string) => (names.includes(n) ? join(dir, n) : undefined);
  return { events, items: opt('items.csv'), users: opt('users.csv') };
}

/** The run's contract files: the simulator writes them into `workDir`/simulated, a public dataset's adapter into
 * `workDir`/source; a files folder is used as it is. */
export async function contractSources(
  spec: RunSpec,
  workDir: string,
  ctx: StepContext,
): Promise<{ sources: ContractSources; name: string }> {
  const d = spec.dataset;
  if (d.source === 'simulator') {
    const simDir = join(workDir, 'simulated');
    ctx.progress.log(`simulating ${d.customers} customers × ${d.days} days into ${simDir}`);
    writeSimulation(
      {
        seed: spec.seed,
        customers: d.customers,
        items: d.items,
        days: d.days,
        startDate: d.startDate,
        brands: Math.max(5, Math.round(d.items / 20)),
        // a category tree whose leaves the catalogue can fill (at least ~2 items per leaf)
        categoryTree: d.items >= 768 ? [8, 4, 4, 3] : d.items >= 192 ? [8, 4, 3] : [4, 3, 2],
        outputs: { impressions: false, queries: false, incentives: false, itemText: false },
      },
      simDir,
      ctx.progress,
    );
    return { sources: contractFiles(simDir), name: spec.datasetName };
  }
  if (d.source === 'files') return { sources: contractFiles(d.path), name: spec.datasetName };
  if (d.source === 'prepared')
    throw new CfmError('CFM_E_CONFIG', 'a prepared folder has no contract files to read', { field: 'dataset.source' });
  return { sources: await datasetSources(spec, d.name, join(workDir, 'source'), d.maxCustomers), name: d.name };
}

/** ingest → validate → vocab → split → sequences, all inside @cfm/data's prepare; the simulator
 * first writes contract files when the run uses it. */
export async function prepareStep(spec: RunSpec, outDir: string, ctx: StepContext): Promise<PrepareResult> {
  if (spec.dataset.source === 'prepared') return preparedFolder(spec.dataset.path);
  const { sources, name } = await contractSources(spec, outDir, ctx);
  ctx.heartbeat({ stage: 'prepare', dataset: name });
  const m = await prepareFromSources({ dataset: name, sources, out: outDir, config: prepareConfig(spec), progress: ctx.progress });
  return resultOf(m);
}

/** A public dataset through its @cfm/datasets adapter, written as contract files. */
function datasetSources(spec: RunSpec, name: string, outDir: string, maxCustomers?: number): Promise<ContractSources> {
  return writeContractFiles({ name, dataDir: spec.dataDir, out: outDir, maxCustomers });
}
