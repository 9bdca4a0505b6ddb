import { describe, expect, it } from 'vitest';
import { pairedTTest, pairedTest, signTest, summarizeSeeds, wilcoxonTest } from './stats';
import { binomialHalfCdf, normalCdf, studentTCdf, studentTQuantile } from './distributions';

// closed forms of the t CDF for 1 and 3 degrees of freedom, independent of the incomplete beta
const tCdf1 = (t: number) => 0.5 + Math.atan(t) / Math.PI;
const tCdf3 = (t: number) => 0.5 + (t / Math.sqrt(3) / (1 + (t * t) / 3) + Math.atan(t / Math.sqrt(3))) / Math.PI;

describe('distributions', () => {
  it('matches the closed-form t CDF and the textbook 97.5 % quantiles', () => {
    for (const t of [-3, -0.4, 0, 0.7, 2.5, 10]) {
      expect(studentTCdf(t, 1)).toBeCloseTo(tCdf1(t), 10);
      expect(studentTCdf(t, 3)).toBeCloseTo(tCdf3(t), 10);
    }
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062, 3);
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.7764, 3);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.2281, 3);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.0423, 3);
  });
  it('normal and binomial CDFs', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(binomialHalfCdf(0, 5)).toBeCloseTo(1 / 32, 12);
    expect(binomialHalfCdf(2, 4)).toBeCloseTo(11 / 16, 12);
    expect(binomialHalfCdf(5000, 10000)).toBeGreaterThan(0.5);
  });
});

describe('summarizeSeeds', () => {
  it('mean, sample std and 95 % t-interval', () => {
    const s = summarizeSeeds([1, 2, 3, 4, 5]);
    expect(s.mean).toBe(3);
    expect(s.std).toBeCloseTo(Math.sqrt(2.5), 12);
    const half = (2.776445 * Math.sqrt(2.5)) / Math.sqrt(5);
    expect(s.ci95[0]).toBeCloseTo(3 - half, 4);
    expect(s.ci95[1]).toBeCloseTo(3 + half, 4);
    expect(summarizeSeeds([0.3]).std).toBeNaN();
    expect(() => summarizeSeeds([])).toThrow(/CFM_E_CONFIG/);
  });
});

describe('paired tests', () => {
  it('t-test p-value equals the closed form for df = 3', () => {
    const r = pairedTTest([1, 2, 3, 4], [0, 0, 0, 0]);
    const t = 2.5 / (Math.sqrt(5 / 3) / 2);
    expect(r.statistic).toBeCloseTo(t, 12);
    expect(r.pValue).toBeCloseTo(2 * (1 - tCdf3(t)), 10);
  });
  it('Wilcoxon exact for small untied samples, normal with tie correction otherwise', () => {
    const exact = wilcoxonTest([1, 2, 3, 4, 5], [0, 0, 0, 0, 0]);
    expect(exact).toMatchObject({ method: 'exact', statistic: 15 });
    expect(exact.pValue).toBeCloseTo(2 / 32, 12);
    // |d| ranks: 1→1, 2,2→2.5, 3..9→4..10; W+ = 52.5, mu = 27.5, var = 96.25 − 6/48
    const d = [1, 2, -2, 3, 4, 5, 6, 7, 8, 9];
    const r = wilcoxonTest(
      d,
      d.map(() => 0),
    );
    expect(r).toMatchObject({ method: 'normal', statistic: 52.5, n: 10 });
    expect(r.pValue).toBeCloseTo(2 * (1 - normalCdf((52.5 - 27.5 - 0.5) / Math.sqrt(96.125))), 10);
    expect(r.pValue).toBeCloseTo(0.01246, 3);
  });
  it('sign test is an exact binomial and drops zero differences', () => {
    const r = signTest([1, 1, 1, 1, 1, 0], [0, 0, 0, 0, 0, 0]);
    expect(r.n).toBe(5);
    expect(r.pValue).toBeCloseTo(2 / 32, 12);
    expect(pairedTest([1, 0], [0, 1], 'sign').pValue).toBe(1);
  });
  it('finds a small consistent improvement significant on 20k rows and identical models not', () => {
    const a = Float64Array.from({ length: 20000 }, (_, i) => ((i * 7919) % 101) / 101);
    const b = a.map((x, i) => x - (i % 3 === 0 ? 0.01 : 0));
    expect(pairedTest(a, b, 'wilcoxon').pValue).toBeLessThan(1e-6);
    expect(pairedTest(a, a, 't').pValue).toBe(1);
  });
});
