import { describe, expect, it } from 'vitest';
import { parseOverrides, resolveRunConfig } from './index';

describe('resolveRunConfig', () => {
  it('layers paper defaults < dataset preset < overrides into one frozen, explicit config', () => {
    const r = resolveRunConfig('bert4rec', 's3rec-beauty', { lr: 0.001 });
    expect(r.preset).toBe('beauty');
    expect(r.config).toMatchObject({ maxLen: 50, maskProb: 0.6, lr: 0.001, dModel: 64, epochs: 20, seed: 0 });
    expect(Object.isFrozen(r.config)).toBe(true);
    const ml = resolveRunConfig('bert4rec', 'movielens-1m', { maskProb: 0.3 });
    expect(ml.config).toMatchObject({ maxLen: 200, maskProb: 0.3 });
    expect(resolveRunConfig('bert4rec', 'simulator', {}).preset).toBeNull();
    expect(resolveRunConfig('bert4rec', 'simulator', {}).hash).not.toBe(r.hash);
  });
  it('is idempotent: resolving the resolved config gives the same config and hash', () => {
    const r = resolveRunConfig('mcm', 's3rec-beauty', { variant: 'MCM_Single', dModel: 32 });
    const again = resolveRunConfig('mcm', 'other', { ...r.config });
    expect(again.config).toEqual(r.config);
    expect(again.hash).toBe(r.hash);
  });
  it('rejects unknown keys at every depth, naming the field', () => {
    expect(() => resolveRunConfig('bert4rec', 'x', { dmodel: 64 })).toThrow('[CFM_E_CONFIG] field "config.dmodel": unknown key "dmodel"');
    expect(() =>
      resolveRunConfig(
        'dmt',
        'x',
        { behaviours: [{ name: 'click', types: ['click'], maxLen: 5, windowDays: 7, extra: 1 }] },
        { field: 'families.0.config' },
      ),
    ).toThrow('field "families.0.config.behaviours.0.extra": unknown key "extra"');
    expect(() => resolveRunConfig('session-heads', 'x', { hiden: 3 })).toThrow(/unknown key "hiden"/);
    expect(() => resolveRunConfig('bert4rec', 'x', { epochs: 0 })).toThrow(/field "config.epochs"/);
    expect(() => resolveRunConfig('nope', 'x', {})).toThrow(/unknown model family "nope"/);
  });
});

describe('parseOverrides', () => {
  it('parses numbers, booleans and JSON, and refuses malformed or repeated pairs', () => {
    expect(parseOverrides(['lr=0.001', 'augment=true', 'tasks=["item","brand"]', 'variant=MCM_Final'])).toEqual({
      lr: 0.001,
      augment: true,
      tasks: ['item', 'brand'],
      variant: 'MCM_Final',
    });
    expect(() => parseOverrides(['lr'])).toThrow(/expected key=value/);
    expect(() => parseOverrides(['lr=1', 'lr=2'])).toThrow(/given twice/);
    expect(() => parseOverrides(['tasks=[1,'])).toThrow(/not valid JSON/);
  });
});

describe('SASRec run config', () => {
  it('resolves SASRec with the Beauty and ML-1m presets, and rejects unknown keys', () => {
    const r = resolveRunConfig('sasrec', 's3rec-beauty', {});
    expect(r.preset).toBe('beauty');
    expect(r.config).toMatchObject({ dModel: 50, nHeads: 1, nLayers: 2, maxLen: 50, dropout: 0.5, lr: 0.001, batchSize: 128 });
    expect(resolveRunConfig('sasrec', 'movielens-1m', { epochs: 3 }).config).toMatchObject({ maxLen: 200, dropout: 0.2, epochs: 3 });
    expect(() => resolveRunConfig('sasrec', 's3rec-beauty', { maskProb: 0.2 })).toThrow(
      '[CFM_E_CONFIG] field "config.maskProb": unknown key "maskProb"',
    );
    expect(() => resolveRunConfig('sasrec', 's3rec-beauty', { dModel: 50, nHeads: 3 })).toThrow(/field "config.nHeads"/);
  });
});
