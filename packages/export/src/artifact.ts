import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { z } from 'zod';
import { CfmError, runtimeOptions, sha256, type ArtifactManifest, type CustomerModel } from '@cfm/core';
import { writeAtomic } from './atomic';

export const MANIFEST_FILE = 'manifest.json';

/** What a run knows about an artifact beyond what the model's own save() writes. */
export const Provenance = z.object({
  dataset: z.string().optional().describe('dataset name, e.g. s3rec-beauty'),
  dataHash: z.string().optional().describe('hash of the prepared data the model was trained on'),
  cutoffs: z.record(z.string(), z.string()).optional().describe('split cut-off dates, e.g. { valid: 2019-01-01 }'),
  metrics: z.record(z.string(), z.number()).optional(),
  metricsProtocol: z.string().optional().describe('how the metrics were computed, e.g. "loo, full ranking"'),
  codeVersion: z.string().optional().describe('git commit of the code that trained the model'),
  runId: z.string().optional(),
});
export type Provenance = z.infer<typeof Provenance>;

/** The manifest as written by saveArtifact: the model's manifest + provenance, files re-hashed. */
export const ExportManifest = Provenance.extend({
  family: z.string().min(1),
  config: z.unknown(),
  configHash: z.string().min(1),
  vocabHash: z.string().min(1),
  seed: z.number(),
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex digest')),
  createdAt: z.string(),
});
export type ExportManifest = z.infer<typeof ExportManifest>;

/** sha256 of every file under dir (recursive, '/'-separated relative paths), manifest.json excluded. */
export function hashFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const rel = relative(dir, p).split(sep).join('/');
        if (rel !== MANIFEST_FILE) out[rel] = sha256(readFileSync(p));
      }
    }
  };
  walk(dir);
  return out;
}

/** The git commit of the working tree (CFM_CODE_VERSION overrides; 'unknown' outside git). */
export function codeVersion(): string {
  const pinned = runtimeOptions().CFM_CODE_VERSION;
  if (pinned) return pinned;
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** Merge provenance into the manifest in dir and re-hash every file. */
export function finalizeArtifact(dir: string, manifest: ArtifactManifest, provenance: Provenance = {}): ExportManifest {
  const full = ExportManifest.parse({
    codeVersion: codeVersion(),
    ...manifest,
    ...provenance,
    metrics: { ...manifest.metrics, ...provenance.metrics },
    files: hashFiles(dir),
  });
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(full, null, 2) + '\n');
  return full;
}

/** model.save into a temp directory, add provenance and file hashes, then rename to dir (atomic). */
export function saveArtifact(model: CustomerModel, dir: string, provenance: Provenance = {}): Promise<ExportManifest> {
  return writeAtomic(dir, async (tmp) => finalizeArtifact(tmp, await model.save(tmp), provenance));
}

export function readManifest(dir: string): ExportManifest {
  const file = join(dir, MANIFEST_FILE);
  if (!existsSync(file)) throw new CfmError('CFM_E_ARTIFACT', 'no manifest.json in the artifact directory', { file });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CfmError('CFM_E_ARTIFACT', `manifest is not valid JSON (${(e as Error).message})`, { file });
  }
  const parsed = ExportManifest.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CfmError('CFM_E_ARTIFACT', issue.message, { file, field: issue.path.join('.') });
  }
  return parsed.data;
}

export interface VerifyOptions {
  /** the vocabulary hash of the data the model will be applied to */
  vocabHash?: string;
}

/** Check every file against its sha256 in the manifest, refuse missing or unlisted files, and
 * refuse a vocabulary that is not the one the model was trained with. */
export function verifyArtifact(dir: string, opts: VerifyOptions = {}): ExportManifest {
  const manifest = readManifest(dir);
  const actual = hashFiles(dir);
  for (const [rel, expected] of Object.entries(manifest.files)) {
    const file = join(dir, rel);
    if (!(rel in actual)) throw new CfmError('CFM_E_ARTIFACT', 'file listed in the manifest is missing', { file });
    if (actual[rel] !== expected) {
      throw new CfmError(
        'CFM_E_ARTIFACT',
        `sha256 ${actual[rel].slice(0, 12)}… does not match the manifest (${expected.slice(0, 12)}…): file changed after export`,
        { file },
      );
    }
  }
  for (const rel of Object.keys(actual)) {
    if (!(rel in manifest.files)) throw new CfmError('CFM_E_ARTIFACT', 'file not listed in the manifest', { file: join(dir, rel) });
  }
  if (opts.vocabHash !== undefined && opts.vocabHash !== manifest.vocabHash) {
    throw new CfmError('CFM_E_VOCAB_MISMATCH', `data vocabulary ${opts.vocabHash} is not the model's vocabulary ${manifest.vocabHash}`, {
      file: join(dir, MANIFEST_FILE),
      field: 'vocabHash',
    });
  }
  return manifest;
}
