import { describe, expect, it } from 'vitest';
import { CfmError, Event, createRng, isCfmError, configHash, formatDuration } from './index';

describe('core', () => {
  it('rejects an event with an empty customer id and names the field', () => {
    const r = Event.safeParse({ customerId: ' ', itemId: 'i', ts: 1, type: 'view' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].path).toEqual(['customerId']);
  });
  it('rejects an unknown event type', () => {
    expect(Event.safeParse({ customerId: 'c', itemId: 'i', ts: 1, type: 'teleport' }).success).toBe(false);
  });
  it('formats errors with file, row and field and brands them across realms', () => {
    const e = new CfmError('CFM_E_ROW_SCHEMA', 'expected integer', { file: 'a.csv', row: 7, field: 'ts' });
    expect(e.message).toBe('[CFM_E_ROW_SCHEMA] a.csv:7 field "ts": expected integer');
    expect(isCfmError(e)).toBe(true);
    expect(isCfmError(new Error('x'))).toBe(false);
  });
  it('gives the same random stream for the same seed and different ones for forks', () => {
    const a = createRng(42),
      b = createRng(42);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(createRng(42).fork('x').next()).not.toBe(xs[0]);
    const s = createRng(1).shuffle([1, 2, 3, 4, 5, 6]);
    expect([...s].sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });
  it('hashes configs independent of key order', () => {
    expect(configHash({ a: 1, b: { c: 2, d: 3 } })).toBe(configHash({ b: { d: 3, c: 2 }, a: 1 }));
    expect(configHash({ a: 1 })).not.toBe(configHash({ a: 2 }));
  });
  it('formats durations', () => {
    expect(formatDuration(65)).toBe('01:05');
    expect(formatDuration(3725)).toBe('1:02:05');
  });
});
