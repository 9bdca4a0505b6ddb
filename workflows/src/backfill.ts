import { continueAsNew, defineQuery, executeChild, setHandler, workflowInfo } from '@temporalio/workflow';
import { partitionDates, partitionKey } from '@cfm/contracts';
import type { BackfillInput, BackfillProgress, BackfillResult, PartitionWorkflowInput, PartitionWorkflowResult } from '@cfm/contracts';
import { cpuActivities } from './activities';
import type { ActivityTimeouts } from './activities';

export const backfillProgressQuery = defineQuery<BackfillProgress>('progress');

/** Counters carried across continue-as-new. `before`: partitions exported before this backfill started (skipped). */
type Carried = { exported: number; skipped: number; runs: number; before?: number };

/** Recomputes embeddings and scores as of each date partition in from..to, one child workflow per
 * partition, at most `concurrency` at a time. Partitions already exported are skipped (asked once
 * up front, and again inside the export activity), so a re-run or a resume exports each exactly once.
 * After `partitionsPerRun` partitions it continues as new to keep the history short. */
export async function backfillWorkflow(
  input: BackfillInput & { timeouts?: ActivityTimeouts },
  carried: Carried = { exported: 0, skipped: 0, runs: 1 },
): Promise<BackfillResult> {
  const cpu = cpuActivities(input.timeouts);
  const count = Math.max(1, input.shards ?? 1);
  // every (date, customer shard) is a partition of its own
  const units = partitionDates(input.from, input.to, input.everyDays).flatMap((asOf) =>
    Array.from({ length: count }, (_, index) => ({ asOf, shard: count > 1 ? { index, count } : undefined })),
  );
  const dates = units.map((u) => partitionKey(u.asOf, u.shard));
  const already = new Set(await cpu.exportedPartitions({ workDir: input.workDir, family: input.family }));
  const todo = units.filter((u) => !already.has(partitionKey(u.asOf, u.shard)));
  // partitions done before this backfill count as skipped once; those exported by its earlier runs are already in carried.exported
  const before = carried.before ?? dates.length - todo.length;
  const batch = todo.slice(0, Math.max(1, input.partitionsPerRun));
  const progress: BackfillProgress = {
    total: dates.length,
    exported: carried.exported,
    skipped: before + carried.skipped,
    running: [],
    carriedOver: carried.runs - 1,
  };
  setHandler(backfillProgressQuery, () => ({ ...progress, running: [...progress.running] }));

  const parentId = workflowInfo().workflowId;
  const queue = [...batch];
  const worker = async () => {
    for (let unit = queue.shift(); unit !== undefined; unit = queue.shift()) {
      const key = partitionKey(unit.asOf, unit.shard);
      progress.running.push(key);
      const args: PartitionWorkflowInput & { timeouts?: ActivityTimeouts } = {
        workDir: input.workDir,
        preparedDir: input.preparedDir,
        artifactDir: input.artifactDir,
        family: input.family,
        asOf: unit.asOf,
        topK: input.topK,
        timeouts: input.timeouts,
        ...(unit.shard ? { shard: unit.shard } : {}),
      };
      const out = await executeChild(partitionWorkflow, { workflowId: `${parentId}/${key}`, args: [args] });
      progress.running = progress.running.filter((d) => d !== key);
      if (out.skipped) {
        progress.skipped++;
        carried.skipped++;
      } else {
        progress.exported++;
        carried.exported++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(input.concurrency, batch.length)) }, worker));
  if (todo.length > batch.length) {
    await continueAsNew<typeof backfillWorkflow>(input, { ...carried, before, runs: carried.runs + 1 });
  }
  return { partitions: dates.length, exported: carried.exported, skipped: before + carried.skipped, runs: carried.runs };
}

/** One partition: embeddings + top-k scores as of `asOf` (only events strictly before it). */
export async function partitionWorkflow(input: PartitionWorkflowInput & { timeouts?: ActivityTimeouts }): Promise<PartitionWorkflowResult> {
  const { timeouts, ...args } = input;
  return cpuActivities(timeouts).exportPartition(args);
}
