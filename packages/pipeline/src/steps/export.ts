/** The export steps: embeddings and every task's top-k scores of all customers (the model folder's exports/),
 * and the point-in-time partitions of a backfill. */
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { ExportInput, PartitionInput } from '@cfm/contracts';
import { loadPrepared } from '@cfm/data';
import { allCustomers, writeModelOutputs } from '@cfm/export/model';
import type { StepContext } from '../step-context';
import { writeRunFile } from './run-files';
import type { FamilyLookup } from './train';

export async function exportStep(families: FamilyLookup, input: ExportInput, ctx: StepContext) {
  const t0 = Date.now();
  const [data, model] = await Promise.all([loadPrepared(input.preparedDir), families(input.name).load(input.artifactDir)]);
  try {
    // every customer with their whole known history (train, plus the valid / test history and target)
    const sequences = allCustomers(data);
    const rows = Array.from({ length: sequences.customerIds.length }, (_, i) => i);
    const asOf = new Date().toISOString().slice(0, 10);
    const r = await writeModelOutputs({
      model,
      data,
      sequences,
      rows,
      outDir: join(input.runDir, 'exports'),
      family: input.name,
      modelVersion: basename(input.runDir),
      asOf,
      topK: input.topK,
      progress: ctx.progress,
      heartbeat: (d) => ctx.heartbeat(d),
      signal: ctx.signal,
    });
    // every customer of the prepared data accounted for: those in no sequence (all events fell out in prepare) are said
    const users = Number((data.manifest.counts as { users?: number } | undefined)?.users ?? rows.length);
    if (users > rows.length)
      ctx.progress.log(`warning: ${users - rows.length} of the prepared data's ${users} customers are in no sequence and are not exported`);
    const out = { files: r.files, rows: r.rows, tasks: r.tasks, seconds: (Date.now() - t0) / 1000 };
    writeRunFile(input.runDir, 'export', {
      artifactHash: input.artifactHash,
      asOf,
      customers: { prepared: users, exported: rows.length, inNoSequence: users - rows.length },
      ...out,
    });
    return out;
  } finally {
    model.dispose();
  }
}

/** Point-in-time: each customer's history is cut at the first event at or after `asOf`; customers with no
 * event before it are left out (their count is returned). */
export async function partitionStep(families: FamilyLookup, input: PartitionInput, outDir: string, ctx: StepContext) {
  const [data, model] = await Promise.all([loadPrepared(input.preparedDir), families(input.family).load(input.artifactDir)]);
  try {
    const cut = Date.parse(`${input.asOf}T00:00:00Z`) / 1000;
    const sequences = allCustomers(data);
    const { offsets, times, customerIds } = sequences;
    const ends = new Int32Array(customerIds.length);
    const rows: number[] = [];
    for (let c = 0; c < customerIds.length; c++) {
      if (input.shard && input.shard.count > 1 && customerShard(customerIds[c], input.shard.count) !== input.shard.index) continue;
      let e = offsets[c];
      while (e < offsets[c + 1] && times[e] < cut) e++;
      ends[c] = e;
      if (e > offsets[c]) rows.push(c);
    }
    const r = await writeModelOutputs({
      model,
      data,
      sequences,
      rows,
      ends: Int32Array.from(rows, (c) => ends[c]),
      outDir,
      family: input.family,
      modelVersion: versionOf(input.artifactDir),
      asOf: input.asOf,
      topK: input.topK,
      progress: ctx.progress,
      heartbeat: (d) => ctx.heartbeat({ asOf: input.asOf, ...(d as object) }),
      signal: ctx.signal,
    });
    return { files: r.files, customers: rows.length };
  } finally {
    model.dispose();
  }
}

/** a model's version: its folder's name (the artifact sits in <runDir>/model) */
const versionOf = (artifactDir: string) => (basename(artifactDir) === 'model' ? basename(dirname(artifactDir)) : basename(artifactDir));

/** a customer's shard of `count`: a stable hash of the id (the same on every worker, whatever the data's order) */
export function customerShard(id: string, count: number): number {
  return parseInt(createHash('sha1').update(id).digest('hex').slice(0, 8), 16) % count;
}
