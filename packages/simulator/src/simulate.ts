import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfmError, configHash, type Item, type ProgressReporter, type User, type Event } from '@cfm/core';
import { buildCatalog } from './catalog';
import { SimConfig, type SimConfigInput } from './config';
import type { FileStats } from './csv-file';
import { CsvSink } from './csv-sink';
import { createContext, generate } from './generate';
import { catalogItems, writeItems } from './items';
import { MemorySink, type Impression, type IncentiveOffer, type SearchQuery } from './memory-sink';
import { createRng } from '@cfm/core';
import { buildTruth, type Truth } from './truth';

/** Validate a config (defaults filled in); bad values raise CFM_E_CONFIG naming the field. */
export function parseSimConfig(input: SimConfigInput = {}, file = 'simulator config'): SimConfig {
  const r = SimConfig.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new CfmError('CFM_E_CONFIG', issue.message, { file, field: issue.path.join('.') });
  }
  const leaves = r.data.categoryTree.reduce((a, b) => a * b, 1);
  if (r.data.items < leaves)
    throw new CfmError(
      'CFM_E_CONFIG',
      `${r.data.items} items cannot fill ${leaves} leaf categories (categoryTree ${r.data.categoryTree.join('x')})`,
      { file, field: 'items' },
    );
  const ic = r.data.impressions;
  if (Math.ceil(ic.listLength / ic.pageSize) > 100)
    throw new CfmError('CFM_E_CONFIG', `listLength / pageSize gives ${Math.ceil(ic.listLength / ic.pageSize)} pages (max 100)`, {
      file,
      field: 'impressions.pageSize',
    });
  return r.data;
}

export interface Counts {
  customers: number;
  items: number;
  events: number;
  sessions: number;
  requests: number;
  queries: number;
  offers: number;
}

export interface Simulation {
  config: SimConfig;
  items: Item[];
  users: User[];
  events: Event[];
  impressions: Impression[];
  randomImpressions: Impression[];
  queries: SearchQuery[];
  incentives: IncentiveOffer[];
  truth: Truth;
  counts: Counts;
}

/** Small runs: everything in memory as arrays (same generator and stream as writeSimulation). */
export function simulate(input: SimConfigInput = {}): Simulation {
  const config = parseSimConfig(input);
  const cat = buildCatalog(config, createRng(config.seed).fork('catalog'));
  const sink = new MemorySink(cat);
  const { ctx, customers } = generate(createContext(config, sink, cat));
  return {
    config,
    items: catalogItems(cat, config),
    users: sink.users,
    events: sink.events,
    impressions: sink.impressions,
    randomImpressions: sink.randomImpressions,
    queries: sink.queries,
    incentives: sink.incentives,
    truth: buildTruth(config, cat, ctx.cal),
    counts: {
      customers,
      items: cat.itemLeaf.length,
      events: ctx.events,
      sessions: ctx.sessions,
      requests: ctx.requests,
      queries: ctx.queries,
      offers: ctx.offers,
    },
  };
}

export interface Manifest {
  generator: '@cfm/simulator';
  seed: number | string;
  configHash: string;
  config: SimConfig;
  tsUnit: 'epoch_ms_utc';
  counts: Counts;
  files: Record<string, FileStats>;
}

export interface WriteResult {
  manifest: Manifest;
  elapsedMs: number;
}

/**
 * Stream a simulation to `outDir` as contract files (items.csv, items_text.jsonl, users.csv, events.csv,
 * impressions.csv, impressions_random.csv, queries.csv, incentives.csv, truth.json, manifest.json).
 * Memory stays bounded: rows go to disk as they are generated.
 */
export function writeSimulation(input: SimConfigInput, outDir: string, progress?: ProgressReporter): WriteResult {
  const t0 = Date.now();
  const config = parseSimConfig(input);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new CfmError('CFM_E_FILE', `cannot create output folder: ${(e as Error).message}`, { file: outDir });
  }
  const cat = buildCatalog(config, createRng(config.seed).fork('catalog'));
  const itemFiles = writeItems(cat, config, outDir);
  const sink = new CsvSink(cat, config, outDir);
  let result;
  try {
    result = generate(createContext(config, sink, cat), progress);
  } catch (e) {
    sink.abort();
    throw e;
  }
  const { ctx, customers } = result;
  const files = { ...itemFiles, ...sink.close() };
  const truth = JSON.stringify(buildTruth(config, cat, ctx.cal), null, 1) + '\n';
  writeAtomic(join(outDir, 'truth.json'), truth);
  const manifest: Manifest = {
    generator: '@cfm/simulator',
    seed: config.seed,
    configHash: configHash(config),
    config,
    tsUnit: 'epoch_ms_utc',
    counts: {
      customers,
      items: cat.itemLeaf.length,
      events: ctx.events,
      sessions: ctx.sessions,
      requests: ctx.requests,
      queries: ctx.queries,
      offers: ctx.offers,
    },
    files: Object.fromEntries(Object.entries(files).sort(([a], [b]) => a.localeCompare(b))),
  };
  writeAtomic(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return { manifest, elapsedMs: Date.now() - t0 };
}

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}
