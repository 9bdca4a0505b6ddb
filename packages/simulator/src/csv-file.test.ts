import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { packStrings, TextFile } from './csv-file';
import { sha256 } from '@cfm/core';

const dir = mkdtempSync(join(tmpdir(), 'cfm-sim-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('encodes integers up to 2^53 digit by digit exactly like String(n)', () => {
  const xs = [
    0,
    7,
    10,
    99,
    100,
    12_345_678,
    99_999_999,
    100_000_000,
    100_000_001,
    1_673_436_335_180,
    1_000_000_000_000,
    Number.MAX_SAFE_INTEGER,
  ];
  const f = new TextFile(join(dir, 'ints.txt'), null, true);
  for (const x of xs) {
    f.room(32);
    f.int(x);
    f.endLine();
  }
  const stats = f.close();
  const text = readFileSync(join(dir, 'ints.txt'), 'utf8');
  expect(text).toBe(xs.join('\n') + '\n');
  expect(stats).toEqual({ rows: xs.length, bytes: text.length, sha256: sha256(text) });
});

it('flushes across the 1 MB buffer boundary and leaves no temp file after close', () => {
  const words = packStrings(['alpha', 'b', '']);
  const f = new TextFile(join(dir, 'big.csv'), 'a,b', false);
  for (let i = 0; i < 200_000; i++) {
    f.room(64);
    f.packed(words, i % 3);
    f.comma();
    f.int(i);
    f.endLine();
  }
  f.line('last,row');
  f.close();
  const lines = readFileSync(join(dir, 'big.csv'), 'utf8').trimEnd().split('\n');
  expect(lines.length).toBe(200_002);
  expect(lines[123_457]).toBe(`${['alpha', 'b', ''][123_456 % 3]},123456`);
  expect(lines.at(-1)).toBe('last,row');
  expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
});

it('removes the partial file on abort', () => {
  const f = new TextFile(join(dir, 'aborted.csv'), 'x', false);
  f.line('1');
  f.abort();
  expect(readdirSync(dir).filter((n) => n.startsWith('aborted'))).toEqual([]);
});
