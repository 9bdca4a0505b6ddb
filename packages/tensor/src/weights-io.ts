/** Weights on disk in the TF.js format: weights.bin + weights.json (a TF.js weights manifest),
 * written atomically (temp + rename). */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { CfmError } from '@cfm/core';

export function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** writes `${prefix}.bin` and `${prefix}.json` into dir */
export async function saveWeights(dir: string, tensors: tf.NamedTensorMap, prefix = 'weights'): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const { data, specs } = await tf.io.encodeWeights(tensors);
  writeAtomic(join(dir, `${prefix}.bin`), new Uint8Array(data));
  const manifest = [{ paths: [`${prefix}.bin`], weights: specs }];
  writeAtomic(join(dir, `${prefix}.json`), JSON.stringify(manifest));
}

/** reads what saveWeights wrote; caller disposes the tensors */
export function loadWeights(dir: string, prefix = 'weights'): tf.NamedTensorMap {
  const json = join(dir, `${prefix}.json`);
  const bin = join(dir, `${prefix}.bin`);
  if (!existsSync(json) || !existsSync(bin)) throw new CfmError('CFM_E_FILE', 'weights missing', { file: existsSync(json) ? bin : json });
  const manifest = JSON.parse(readFileSync(json, 'utf8')) as Array<{ weights: tf.io.WeightsManifestEntry[] }>;
  const buf = readFileSync(bin);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  try {
    return tf.io.decodeWeights(
      ab,
      manifest.flatMap((g) => g.weights),
    );
  } catch (e) {
    throw new CfmError('CFM_E_ARTIFACT', `cannot decode weights: ${(e as Error).message}`, { file: bin });
  }
}

/** replace dir by a fully written temp dir (crash-safe: the old dir stays until the new one is complete) */
export function replaceDir(tmpDir: string, dir: string): void {
  const old = `${dir}.old-${process.pid}`;
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmpDir, dir);
  rmSync(old, { recursive: true, force: true });
}
