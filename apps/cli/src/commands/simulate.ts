import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { CfmError, formatDuration } from '@cfm/core';
import { parseSimConfig, writeSimulation, type SimConfigInput } from '@cfm/simulator';
import { cliProgress } from '../progress';

interface SimulateOptions {
  out: string;
  events?: string;
  customers?: string;
  items?: string;
  days?: string;
  seed?: string;
  config?: string;
  lean?: boolean;
}

function positiveInt(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CfmError('CFM_E_CONFIG', `expected a positive integer, got "${value}"`, { field });
  return n;
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('write a synthetic e-commerce data set (contract CSV + truth.json + manifest.json), deterministic by seed')
    .requiredOption('--out <dir>', 'output folder')
    .option('--events <n>', 'generate exactly n events (customers are added until reached)')
    .option('--customers <n>', 'number of customers (when --events is not given)')
    .option('--items <n>', 'catalogue size')
    .option('--days <n>', 'days simulated')
    .option('--seed <s>', 'random seed', '42')
    .option('--config <file>', 'YAML / JSON simulator config (flags override it)')
    .option('--lean', 'events, items and users only (no impressions, queries, incentives)')
    .action((opts: SimulateOptions) => {
      const base: SimConfigInput = opts.config ? readConfig(opts.config) : {};
      const seed = opts.seed !== undefined && /^-?\d+$/.test(opts.seed) ? Number(opts.seed) : opts.seed;
      const config: SimConfigInput = {
        ...base,
        seed,
        ...(opts.events ? { targetEvents: positiveInt(opts.events, '--events') } : {}),
        ...(opts.customers ? { customers: positiveInt(opts.customers, '--customers') } : {}),
        ...(opts.items ? { items: positiveInt(opts.items, '--items') } : {}),
        ...(opts.days ? { days: positiveInt(opts.days, '--days') } : {}),
        ...(opts.lean ? { outputs: { ...base.outputs, impressions: false, queries: false, incentives: false } } : {}),
      };
      const parsed = parseSimConfig(config, opts.config ?? 'command line');
      const { manifest, elapsedMs } = writeSimulation(parsed, opts.out, cliProgress());
      const c = manifest.counts;
      process.stdout.write(
        `wrote ${opts.out}: ${c.events} events, ${c.customers} customers, ${c.items} items, ${c.sessions} sessions, ` +
          `${c.requests} feed requests, ${c.queries} queries, ${c.offers} offers in ${formatDuration(elapsedMs / 1000)} ` +
          `(${Math.round((c.events / Math.max(1, elapsedMs)) * 1000)} events/s)\n`,
      );
    });
}

function readConfig(file: string): SimConfigInput {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CfmError('CFM_E_FILE', `cannot read: ${(e as Error).message}`, { file });
  }
  const value: unknown = parseYaml(text);
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new CfmError('CFM_E_CONFIG', 'expected a mapping', { file });
  return value as SimConfigInput;
}
