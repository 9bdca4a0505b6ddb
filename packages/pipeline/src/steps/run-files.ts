/** The model folder ("runDir") every step after training writes into (docs/pipeline.md): one JSON file per
 * step, so steps that run at the same time never write the same file. */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { CfmError, runtimeOptions } from '@cfm/core';
import { backendInfo } from '@cfm/tensor';

export const RUN_FILES = {
  run: 'run.json',
  train: 'train.json',
  eval: 'eval.json',
  benchmarks: 'benchmarks.json',
  export: 'export.json',
  gate: 'gate.json',
  promote: 'promote.json',
  experts: 'experts.json',
} as const;
export type RunFile = keyof typeof RUN_FILES;

/** What run.json records about one trained model. */
export interface RunInfo {
  runId: string;
  /** family id in the run */
  family: string;
  /** registry name */
  name: string;
  seed: number;
  dataset: string;
  dataHash: string;
  preparedDir: string;
  split: string;
  config: Record<string, unknown>;
  configHash: string;
  preset: string | null;
  artifactHash: string;
  backend: string;
  codeVersion: string;
  createdAt: string;
}

export function writeRunFile(runDir: string, file: RunFile, value: unknown): void {
  mkdirSync(runDir, { recursive: true });
  const path = join(runDir, RUN_FILES[file]);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 1) + '\n');
  renameSync(tmp, path);
}

export function readRunFile<T>(runDir: string, file: RunFile): T | undefined {
  const path = join(runDir, RUN_FILES[file]);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new CfmError('CFM_E_FILE', `not valid JSON (${(e as Error).message.split('\n')[0]})`, { file: path });
  }
}

/** run.json of a model folder, or a clear error naming the folder */
export function readRunInfo(runDir: string): RunInfo {
  const info = readRunFile<RunInfo>(runDir, 'run');
  if (!info)
    throw new CfmError('CFM_E_FILE', 'not a model folder (no run.json): train first (cfm train / cfm run)', {
      file: join(runDir, RUN_FILES.run),
    });
  return info;
}

export function backendName(): string {
  return backendInfo()?.name ?? 'unknown';
}

/** CFM_CODE_VERSION, else the commit the running code was loaded from, with '+dirty' when the work tree had uncommitted
 * changes: read once, when this module is loaded (a long run keeps the code it started with, whatever is committed meanwhile) */
export function codeVersion(): string {
  return runtimeOptions().CFM_CODE_VERSION ?? LOADED_FROM;
}

function readCodeVersion(): string {
  try {
    const git = (args: string[]) =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], cwd: __dirname }).trim();
    const head = git(['rev-parse', 'HEAD']);
    return git(['status', '--porcelain', '--untracked-files=no']) ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

const LOADED_FROM = readCodeVersion();

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memGiB: number;
  /** 1, 5 and 15 minute load averages */
  loadavg: number[];
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    memGiB: +(totalmem() / 2 ** 30).toFixed(1),
    loadavg: loadavg().map((x) => +x.toFixed(2)),
  };
}
