/** The sharded prep as activities (RunSpec.prepare.shards > 1), each on any cpu worker: the @cfm/data steps on the
 * folders of `<prepared>.sharded/` (common/, shard-<k>/ with stats/ and prepared/, global/). A local workDir is used in
 * place; with an object store each step fetches the subfolders it reads into its scratch copy and publishes the ones
 * it writes. The JSON the steps hand each other names folders by reference (the workDir's URI); each worker maps
 * them to its own scratch paths. */
import { join } from 'node:path';
import { renameSync, rmSync } from 'node:fs';
import { configHash } from '@cfm/core';
import type { CfmActivities, PrepareOutput, SplitDataOutput } from '@cfm/contracts';
import { mergeShards, mergeStats, prepareShard, relocatePrepared, shardStats, splitSources } from '@cfm/data';
import type { GlobalStats, ShardOutput, ShardStats, SplitResult } from '@cfm/data';
import { cachedStep, cacheFile, type CacheEntry } from './cache';
import { contractSources, prepareConfig, resultOf } from './steps/prepare';
import type { StepContext } from './step-context';
import type { Workspace } from './workspace';

type Sharded = Pick<CfmActivities, 'splitData' | 'shardStats' | 'mergeShardStats' | 'prepareShard' | 'mergeShards'>;

interface Deps {
  workspace: (workDir: string) => Workspace;
  run: <T>(activity: string, fn: (c: StepContext) => Promise<T>) => Promise<T>;
  done: <O extends { cached: boolean }>(ws: Workspace, step: string, out: O) => Promise<O>;
}

/** every string of `v` that starts with `from` starts with `to` instead (references ↔ this worker's paths) */
function rebase<T>(v: T, from: string, to: string): T {
  if (from === to) return v;
  const walk = (x: unknown): unknown => {
    if (typeof x === 'string') return x.startsWith(from) ? to + x.slice(from.length) : x;
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)]));
    return x;
  };
  return walk(v) as T;
}

export function shardedActivities(d: Deps): Sharded {
  const local = <T>(ws: Workspace, v: T) => rebase(v, ws.root, ws.local(ws.root));
  const ref = <T>(ws: Workspace, v: T) => rebase(v, ws.local(ws.root), ws.root);
  /** the subfolders of the split a step reads (fetched into the scratch copy in an object store) */
  const fetch = async (ws: Workspace, refs: string[]) => {
    for (const r of refs) if (!(await ws.fetch(r))) throw new Error(`${r} was not published: an earlier sharded step did not finish`);
  };
  const sub = (ws: Workspace, dir: string, ...parts: string[]) => (ws.remote ? [dir, ...parts].join('/') : join(dir, ...parts));
  const prepareInput = (spec: Parameters<Sharded['splitData']>[0]['spec']) => ({
    dataset: spec.dataset,
    prepare: spec.prepare,
    seed: spec.seed,
    dataDir: spec.dataDir,
  });
  return {
    async splitData({ spec }) {
      const ws = d.workspace(spec.workDir);
      const input = prepareInput(spec);
      const preparedDir = ws.at('prepared', configHash(input));
      // an earlier run prepared the same inputs: every later sharded step is skipped
      const earlier = await ws.readJson<CacheEntry<PrepareOutput>>(cacheFile(ws, 'prepare', input).file);
      if (earlier && (await ws.exists(ws.remote ? `${preparedDir}/.cfm-manifest.json` : join(preparedDir, 'manifest.json')))) {
        return { preparedDir, cached: { ...earlier.output, cached: true } };
      }
      return d.run('splitData', async (c) => {
        const splitRef = `${preparedDir}.sharded`;
        const dir = ws.local(splitRef);
        rmSync(dir, { recursive: true, force: true });
        const { sources, name } = await contractSources(spec, join(dir, 'sources'), c);
        const split = await splitSources({
          sources,
          n: spec.prepare.shards,
          out: join(dir, 'split'),
          config: prepareConfig(spec),
          progress: c.progress,
        });
        if (ws.remote) {
          await ws.publish(`${splitRef}/split/common`);
          for (let k = 0; k < split.n; k++) await ws.publish(`${splitRef}/split/shard-${k}`);
        }
        return { preparedDir, dataset: name, split: ref(ws, split) };
      });
    },
    shardStats: ({ workDir, split, shard }) =>
      d.run('shardStats', async (c) => {
        const ws = d.workspace(workDir);
        const s = split as SplitResult;
        await fetch(ws, [sub(ws, s.dir, 'common'), s.shards[shard]]);
        const l = local(ws, s);
        const stats = await shardStats(l.shards[shard], l, { progress: c.progress });
        await ws.publish(sub(ws, s.shards[shard], 'stats'));
        return ref(ws, stats);
      }),
    mergeShardStats: ({ workDir, split, stats }) =>
      d.run('mergeShardStats', async (c) => {
        const ws = d.workspace(workDir);
        const s = split as SplitResult;
        await fetch(ws, [sub(ws, s.dir, 'common'), ...s.shards.map((dir) => sub(ws, dir, 'stats'))]);
        const global = await mergeStats(local(ws, stats as ShardStats[]), local(ws, s), { progress: c.progress });
        await ws.publish(sub(ws, s.dir, 'global'));
        return ref(ws, global);
      }),
    prepareShard: ({ workDir, global, shard }) =>
      d.run('prepareShard', async (c) => {
        const ws = d.workspace(workDir);
        const g = global as GlobalStats;
        const dir = g.split.shards[shard];
        await fetch(ws, [sub(ws, g.split.dir, 'common'), sub(ws, g.split.dir, 'global'), dir, sub(ws, dir, 'stats')]);
        const out = await prepareShard(local(ws, dir), local(ws, g), { progress: c.progress });
        await ws.publish(sub(ws, dir, 'prepared'));
        return ref(ws, out);
      }),
    async mergeShards({ spec, split, global, shards }) {
      if (split.cached) return split.cached;
      const ws = d.workspace(spec.workDir);
      const { preparedDir } = split as Required<Pick<SplitDataOutput, 'preparedDir'>> & SplitDataOutput;
      return d.run('mergeShards', async (c) => {
        const out = await cachedStep(
          ws,
          'prepare',
          prepareInput(spec),
          async () => {
            const g = global as GlobalStats;
            await fetch(ws, [
              sub(ws, g.split.dir, 'common'),
              sub(ws, g.split.dir, 'global'),
              ...g.split.shards.flatMap((dir) => [sub(ws, dir, 'stats'), sub(ws, dir, 'prepared')]),
            ]);
            const target = ws.local(preparedDir);
            const partial = `${target}.partial`;
            rmSync(partial, { recursive: true, force: true });
            const m = await mergeShards({
              dataset: split.dataset ?? spec.datasetName,
              global: local(ws, g),
              shards: local(ws, shards as ShardOutput[]),
              out: partial,
              progress: c.progress,
            });
            rmSync(target, { recursive: true, force: true });
            renameSync(partial, target);
            await relocatePrepared(target);
            await ws.publish(preparedDir);
            // the split's folders are intermediate: removed once the prepared folder is complete (locally)
            if (!ws.remote) rmSync(`${preparedDir}.sharded`, { recursive: true, force: true });
            return { preparedDir, ...resultOf(m) };
          },
          (o) => [ws.remote ? `${o.preparedDir}/.cfm-manifest.json` : join(o.preparedDir, 'manifest.json')],
        );
        return d.done(ws, 'prepare', out);
      });
    },
  };
}
