import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256 } from '@cfm/core';
import { savingModel } from './testing';
import { readManifest, saveArtifact, verifyArtifact } from './artifact';

const root = mkdtempSync(join(tmpdir(), 'cfm-artifact-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('model artifact', () => {
  it('records provenance and the sha256 of every file, and verifies clean', async () => {
    const dir = join(root, 'a');
    const weights = Uint8Array.from([1, 2, 3, 4]);
    const m = await saveArtifact(savingModel(weights), dir, {
      dataHash: 'd1',
      cutoffs: { test: '2019-01-01' },
      metrics: { 'ndcg@10': 0.3 },
      metricsProtocol: 'loo, full ranking',
    });
    expect(m.files['weights/weights.bin']).toBe(sha256(weights));
    expect(Object.keys(m.files).sort()).toEqual(['model.json', 'weights/weights.bin']);
    expect(m.metrics).toEqual({ loss: 1, 'ndcg@10': 0.3 });
    expect(m.codeVersion).toMatch(/^[0-9a-f]{40}$|^unknown$/);
    expect(verifyArtifact(dir, { vocabHash: 'vocab-aaaa' }).dataHash).toBe('d1');
    expect(readManifest(dir).cutoffs).toEqual({ test: '2019-01-01' });
  });

  it('refuses a tampered weights file and names it', async () => {
    const dir = join(root, 'b');
    await saveArtifact(savingModel(Uint8Array.from([9, 9])), dir);
    appendFileSync(join(dir, 'weights', 'weights.bin'), Uint8Array.from([0]));
    expect(() => verifyArtifact(dir)).toThrow(/\[CFM_E_ARTIFACT\] .*weights\.bin: sha256 .* does not match/);
  });

  it('refuses a missing file, an unlisted file and a broken manifest', async () => {
    const dir = join(root, 'c');
    await saveArtifact(savingModel(Uint8Array.from([1])), dir);
    writeFileSync(join(dir, 'extra.bin'), 'x');
    expect(() => verifyArtifact(dir)).toThrow(/extra\.bin: file not listed/);
    rmSync(join(dir, 'extra.bin'));
    rmSync(join(dir, 'model.json'));
    expect(() => verifyArtifact(dir)).toThrow(/model\.json: file listed in the manifest is missing/);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, files: { 'model.json': 'zz' } }));
    expect(() => verifyArtifact(dir)).toThrow(/CFM_E_ARTIFACT.*field "files.model.json"/);
  });

  it("refuses a vocabulary that is not the model's", async () => {
    const dir = join(root, 'd');
    await saveArtifact(savingModel(Uint8Array.from([1])), dir);
    expect(() => verifyArtifact(dir, { vocabHash: 'vocab-bbbb' })).toThrow(/\[CFM_E_VOCAB_MISMATCH\].*vocab-bbbb.*vocab-aaaa/);
  });

  it('keeps the previous artifact when save fails midway', async () => {
    const dir = join(root, 'e');
    await saveArtifact(savingModel(Uint8Array.from([5])), dir);
    const broken = savingModel(Uint8Array.from([6]));
    broken.save = () => Promise.reject(new Error('disk full'));
    await expect(saveArtifact(broken, dir)).rejects.toThrow('disk full');
    expect(verifyArtifact(dir).files['weights/weights.bin']).toBe(sha256(Uint8Array.from([5])));
  });
});
