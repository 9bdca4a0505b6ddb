import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evalFileName, modelFingerprint, storedSeeds, storeSeeds } from './eval-run';

describe('evalFileName', () => {
  it('keeps results of different protocol parameters apart', () => {
    const names = [
      evalFileName('sampled-uniform', 'test', 99, true),
      evalFileName('sampled-uniform', 'test', 100, true),
      evalFileName('sampled-pop', 'test', 100, true),
      evalFileName('full', 'test', 100, true),
      evalFileName('full', 'test', 100, false),
      evalFileName('full', 'valid', 100, true),
    ];
    expect(new Set(names).size).toBe(names.length);
    expect(evalFileName('full', 'test', 99, true)).toBe(evalFileName('full', 'test', 100, true));
  });
});

describe('stored results', () => {
  it('are reused only for the model they were computed with', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfm-eval-'));
    const model = join(dir, 'model');
    mkdirSync(model);
    writeFileSync(join(model, 'manifest.json'), '{"files":{"weights.bin":"aa"}}');
    const before = modelFingerprint(model);
    const out = join(dir, 'eval-full-test.json');
    // written the way evalRun writes it (a shadowed variable once stored the loaded model instead of its fingerprint)
    storeSeeds(out, { run: dir, protocol: 'full', split: 'test' }, before, { 0: { 'ndcg@10': 0.5 } });
    expect(JSON.parse(readFileSync(out, 'utf8')).model).toBe(before);
    expect(storedSeeds(out, before)).toEqual({ 0: { 'ndcg@10': 0.5 } });
    // training resumed and saved a new model: the stored numbers belong to the old one
    writeFileSync(join(model, 'manifest.json'), '{"files":{"weights.bin":"bb"}}');
    const after = modelFingerprint(model);
    expect(after).not.toBe(before);
    expect(storedSeeds(out, after)).toEqual({});
    // a file without a fingerprint (written before fingerprints existed) is not trusted
    writeFileSync(out, JSON.stringify({ perSeed: { 0: { 'ndcg@10': 0.5 } } }));
    expect(storedSeeds(out, after)).toEqual({});
    expect(storedSeeds(join(dir, 'missing.json'), after)).toEqual({});
  });
});
