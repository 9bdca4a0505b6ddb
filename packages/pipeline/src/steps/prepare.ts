import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CfmError } from '@cfm/core';
import type { RunSpec } from '@cfm/contracts';
import { prepareFromSources } from '@cfm/data';
import type { ContractSources, PrepareConfigInput } from '@cfm/data';
import { writeSimulation } from '@cfm/simulator';
import type { StepContext } from '../step-context';

const dayMs = (iso: string) => Date.parse(`${iso}T00:00:00Z`);

/** The data-prep options of @cfm/data from a run spec. */
export function prepareConfig(spec: RunSpec): PrepareConfigInput {
  const s = spec.split;
  const cutoffsMs: [number, number] | undefined =
    s.kind === 'temporal' && s.validFrom && s.testFrom ? [dayMs(s.validFrom), dayMs(s.testFrom)] : undefined;
  return { split: s.kind, cutoffsMs, seed: spec.seed, maxSeqLen: spec.maxLen };
}

/** Contract files of a folder: events.* (csv | parquet | jsonl), items.csv, users.csv. */
export function contractFiles(dir: string): ContractSources {
  if (!existsSync(dir)) throw new CfmError('CFM_E_FILE', 'data folder does not exist', { file: dir });
  const names = readdirSync(dir);
  const events = names.filter((n) => /^events(\.|_).*\.(csv|parquet|jsonl)$/.test(n) || /^events\.(csv|parquet|jsonl)$/.test(n)).map((n) => join(dir, n));
  if (!events.length) throw new CfmError('CFM_E_FILE', 'no events.csv / events.parquet / events.jsonl in the folder', { file: dir });
  const opt = (n: string) => (names.includes(n) ? join(dir, n) : undefined);
  return { events, items: opt('items.csv'), users: opt('users.csv') };
}

/** ingest → validate → vocab → split → sequences, all inside @cfm/data's prepare; the simulator
 * first writes contract files when the run uses it. */
export async function prepareStep(spec: RunSpec, outDir: string, ctx: StepContext): Promise<{ dataHash: string; counts: Record<string, number> }> {
  const d = spec.dataset;
  let sources: ContractSources;
  let name: string;
  if (d.source === 'simulator') {
    const simDir = join(outDir, 'simulated');
    ctx.progress.log(`simulating ${d.customers} customers × ${d.days} days into ${simDir}`);
    writeSimulation(
      {
        seed: spec.seed, customers: d.customers, items: d.items, days: d.days, startDate: d.startDate, brands: Math.max(5, Math.round(d.items / 20)),
        // a category tree whose leaves the catalogue can fill (at least ~2 items per leaf)
        categoryTree: d.items >= 768 ? [8, 4, 4, 3] : d.items >= 192 ? [8, 4, 3] : [4, 3, 2],
        outputs: { impressions: false, queries: false, incentives: false, itemText: false },
      },
      simDir,
      ctx.progress,
    );
    sources = contractFiles(simDir);
    name = `simulator-${d.customers}x${d.days}`;
  } else if (d.source === 'files') {
    sources = contractFiles(d.path);
    name = d.path.split('/').filter(Boolean).pop() ?? 'files';
  } else {
    sources = await datasetSources(spec, d.name, join(outDir, 'source'), d.maxCustomers);
    name = d.name;
  }
  ctx.heartbeat({ stage: 'prepare', dataset: name });
  const m = await prepareFromSources({ dataset: name, sources, out: outDir, config: prepareConfig(spec), progress: ctx.progress });
  const counts: Record<string, number> = { ...m.counts };
  for (const [part, c] of Object.entries(m.splits)) counts[`${part}Customers`] = c.customers;
  return { dataHash: m.dataHash, counts };
}

/** A public dataset through its @cfm/datasets adapter, written as contract files. */
async function datasetSources(spec: RunSpec, name: string, outDir: string, maxCustomers?: number): Promise<ContractSources> {
  const datasets = (await import('@cfm/datasets')) as unknown as Record<string, unknown>;
  const write = datasets.writeContractFiles as
    | ((o: { name: string; dataDir: string; out: string; maxCustomers?: number }) => Promise<ContractSources>)
    | undefined;
  if (!write) throw new CfmError('CFM_E_DATASET', `dataset adapters are not available in this build (asked for "${name}")`, { field: 'dataset.name' });
  return write({ name, dataDir: spec.dataDir, out: outDir, maxCustomers });
}
