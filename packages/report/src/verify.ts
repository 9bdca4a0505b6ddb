/** Verify an artifact folder: every file's sha256 recomputed from its bytes and compared with manifest.json. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { sha256 } from '@cfm/core';
import { readJson } from './layout';

export type FileStatus = 'ok' | 'mismatch' | 'missing' | 'unlisted';

export interface ArtifactCheck {
  /** manifest.json as written (undefined when absent) */
  manifest?: Record<string, unknown> & { files?: Record<string, string> };
  /** sha256 of manifest.json itself */
  manifestSha?: string;
  /** the artifact hash recomputed from the manifest (artifactHashOf) */
  contentHash?: string;
  files: Array<{ file: string; bytes?: number; sha256?: string; expected?: string; status: FileStatus }>;
  verified: boolean;
  /** one line per failure */
  problems: string[];
}

function walk(dir: string): string[] {
  const out: string[] = [];
  const go = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) go(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  go(dir);
  return out;
}

/** The artifact's content hash as run.json records it (the same formula as @cfm/tensor artifactHash:
 * family, config, vocabulary hash, seed and the files' sha256, not the creation time). */
export function artifactHashOf(m: Record<string, unknown>): string {
  return sha256(JSON.stringify({ family: m.family, config: m.config, vocabHash: m.vocabHash, seed: m.seed, files: m.files })).slice(0, 16);
}

/** Hash every file of `modelDir` (manifest.json excluded) and compare with the manifest's claims:
 * a changed file is 'mismatch', a listed file that is gone 'missing', a file the manifest does not list 'unlisted'. */
export function checkArtifact(modelDir: string | undefined, recordedHash?: string): ArtifactCheck {
  const mf = modelDir && join(modelDir, 'manifest.json');
  if (!modelDir || !mf || !existsSync(mf)) return { files: [], verified: false, problems: [`${mf ?? 'model/manifest.json'} is missing`] };
  const manifest = readJson<ArtifactCheck['manifest']>(mf)!;
  const claimed = manifest.files ?? {};
  const files: ArtifactCheck['files'] = [];
  for (const file of walk(modelDir).filter((f) => f !== 'manifest.json')) {
    const bytes = readFileSync(join(modelDir, file));
    const actual = sha256(bytes);
    const expected = claimed[file];
    files.push({
      file,
      bytes: bytes.length,
      sha256: actual,
      expected,
      status: expected === undefined ? 'unlisted' : expected === actual ? 'ok' : 'mismatch',
    });
  }
  for (const [file, expected] of Object.entries(claimed))
    if (!files.some((f) => f.file === file)) files.push({ file, expected, status: 'missing' });
  const problems = files.filter((f) => f.status !== 'ok').map((f) => `${join(modelDir, f.file)}: ${describe(f.status)}`);
  if (!Object.keys(claimed).length) problems.push(`${mf}: lists no files`);
  const contentHash = artifactHashOf(manifest);
  if (recordedHash && recordedHash !== contentHash)
    problems.push(`${join(modelDir, '..', 'run.json')}: artifactHash ${recordedHash} is not the artifact's (${contentHash} from ${mf})`);
  return { manifest, manifestSha: sha256(readFileSync(mf)), contentHash, files, verified: problems.length === 0, problems };
}

export function describe(status: FileStatus): string {
  return {
    ok: 'sha256 matches the manifest',
    mismatch: 'sha256 differs from the manifest',
    missing: 'listed in the manifest, file missing',
    unlisted: 'not listed in the manifest',
  }[status];
}
