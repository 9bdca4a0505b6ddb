import { describe, expect, it } from 'vitest';
import { evalFileName } from './eval-run';

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
