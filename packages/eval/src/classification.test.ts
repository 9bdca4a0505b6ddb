import { describe, expect, it } from 'vitest';
import { accuracy, argmaxRows, auc, bestF1Threshold, f1, groupedAuc, logLoss, macroF1, relaImpr } from './classification';

describe('classification metrics', () => {
  it('AUC of a hand-counted example, with ties counted half', () => {
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(auc([0.5, 0.5], [1, 0])).toBe(0.5);
    expect(auc([0.5, 0.5, 0.2], [1, 0, 0])).toBe(0.75);
    expect(auc([1, 2], [1, 1])).toBeNaN();
  });
  it('grouped AUC weights groups by size or equally and skips one-class groups', () => {
    const scores = [0.9, 0.1, 0.2, 0.8, 0.5, 0.3, 0.4];
    const labels = [1, 0, 1, 0, 0, 0, 0];
    const groups = ['a', 'a', 'b', 'b', 'b', 'c', 'c'];
    expect(groupedAuc(scores, labels, groups)).toEqual({ gauc: 0.4, groups: 2, skipped: 1 });
    expect(groupedAuc(scores, labels, groups, 'uniform').gauc).toBe(0.5);
  });
  it('RelaImpr reproduces DMT Table 1 (DIN over DNN, click: 16.78 %)', () => {
    expect(relaImpr(0.6322, 0.6132)).toBeCloseTo(0.1678, 4);
    expect(relaImpr(0.6093, 0.6093)).toBe(0);
  });
  it('F1, macro F1, accuracy and argmax on hand-computed cases', () => {
    expect(f1([0.9, 0.6, 0.4, 0.2], [1, 0, 1, 0])).toBe(0.5);
    expect(f1([0.1, 0.2], [1, 1])).toBe(0);
    // by hand: t=0.9 → 2·1/(1+2) = 0.667; t=0.6 → 2·1/(2+2) = 0.5; t=0.4 → 2·2/(3+2) = 0.8; t=0.2 → 2·2/(4+2) = 0.667
    const b = bestF1Threshold([0.9, 0.6, 0.4, 0.2], [1, 0, 1, 0]);
    expect(b).toEqual({ threshold: 0.4, f1: 0.8 });
    expect(f1([0.9, 0.6, 0.4, 0.2], [1, 0, 1, 0], b.threshold)).toBeCloseTo(0.8, 12);
    // tied scores are one decision; no positives → no threshold
    expect(bestF1Threshold([0.5, 0.5, 0.1], [1, 0, 0])).toEqual({ threshold: 0.5, f1: 2 / 3 });
    expect(bestF1Threshold([0.3, 0.2], [0, 0])).toEqual({ threshold: Number.POSITIVE_INFINITY, f1: 0 });
    expect(accuracy([1, 0, 2], [1, 1, 2])).toBeCloseTo(2 / 3, 12);
    // class 0: tp0 fp0 fn1 → 0; class 1: tp1 fp1 fn0 → 2/3; class 2: tp1 → 1
    expect(macroF1([1, 1, 2], [1, 0, 2], 3)).toBeCloseTo((0 + 2 / 3 + 1) / 3, 12);
    expect(Array.from(argmaxRows(Float32Array.from([0.1, 0.7, 0.2, 0.5, 0.4, 0.1]), 3))).toEqual([1, 0]);
    expect(logLoss([0.5, 0.5], [1, 0])).toBeCloseTo(Math.LN2, 12);
  });
  it('rejects mismatched lengths', () => {
    expect(() => auc([1, 2], [1])).toThrow(/CFM_E_CONFIG/);
  });
});
