/** Model artifacts: weights in the TF.js format + extra JSON files + manifest.json (ArtifactManifest
 * from @cfm/core, with the sha256 of every file). Written to a temp dir and renamed into place. */
import type * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CfmError, configHash, sha256, type ArtifactManifest } from '@cfm/core';
import { loadWeights, replaceDir, saveWeights, writeAtomic } from './weights-io';

export interface ArtifactInput {
  family: string;
  config: unknown;
  vocabHash: string;
  seed: number;
  metrics?: Record<string, number>;
  /** extra JSON files (name → value), e.g. dims.json */
  extra?: Record<string, unknown>;
}

export async function saveArtifact(dir: string, a: ArtifactInput, weights: tf.NamedTensorMap): Promise<ArtifactManifest> {
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  await saveWeights(tmp, weights);
  for (const [name, value] of Object.entries(a.extra ?? {})) writeAtomic(join(tmp, name), JSON.stringify(value, null, 1));
  const files = Object.fromEntries(
    readdirSync(tmp)
      .sort()
      .map((f) => [f, sha256(readFileSync(join(tmp, f)))]),
  );
  const manifest: ArtifactManifest = {
    family: a.family,
    config: a.config,
    configHash: configHash(a.config),
    vocabHash: a.vocabHash,
    seed: a.seed,
    metrics: a.metrics,
    files,
    createdAt: new Date().toISOString(),
  };
  writeAtomic(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 1));
  replaceDir(tmp, dir);
  return manifest;
}

export interface LoadedArtifact {
  manifest: ArtifactManifest;
  weights: tf.NamedTensorMap;
  extra(name: string): unknown;
}

/** reads and verifies (sha256 of every listed file) an artifact; caller disposes `weights` */
export function loadArtifact(dir: string, family?: string): LoadedArtifact {
  const { manifest } = verifiedManifest(dir, family);
  return {
    manifest,
    weights: loadWeights(dir),
    extra: (name) => JSON.parse(readFileSync(join(dir, name), 'utf8')),
  };
}

function verifiedManifest(dir: string, family?: string): { manifest: ArtifactManifest } {
  const mf = join(dir, 'manifest.json');
  if (!existsSync(mf)) throw new CfmError('CFM_E_FILE', 'not a model artifact (no manifest.json)', { file: mf });
  const manifest = JSON.parse(readFileSync(mf, 'utf8')) as ArtifactManifest;
  if (family && manifest.family !== family)
    throw new CfmError('CFM_E_ARTIFACT', `artifact is family "${manifest.family}", expected "${family}"`, { file: mf, field: 'family' });
  for (const [f, hash] of Object.entries(manifest.files)) {
    const p = join(dir, f);
    if (!existsSync(p)) throw new CfmError('CFM_E_ARTIFACT', 'file listed in manifest is missing', { file: p });
    if (sha256(readFileSync(p)) !== hash) throw new CfmError('CFM_E_ARTIFACT', 'sha256 does not match the manifest', { file: p });
  }
  return { manifest };
}

/** The content hash of a saved artifact (sha256, 16 hex): family, config, vocabulary and every file's sha256 as
 * the manifest lists them, each file verified first. Two artifacts with the same weights and config have the same
 * hash whatever their folder or creation time. */
export function artifactHash(dir: string): string {
  const { manifest } = verifiedManifest(dir);
  return sha256(
    JSON.stringify({
      family: manifest.family,
      config: manifest.config,
      vocabHash: manifest.vocabHash,
      seed: manifest.seed,
      files: manifest.files,
    }),
  ).slice(0, 16);
}
