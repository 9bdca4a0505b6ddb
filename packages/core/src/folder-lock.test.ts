import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeLeftovers, withFolderLock } from './folder-lock';

const root = mkdtempSync(join(tmpdir(), 'cfm-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('withFolderLock', () => {
  it('lets one writer at a time into a folder: the second waits, or fails at once with wait: false', async () => {
    const dir = join(root, 'a');
    const order: string[] = [];
    let waited = false;
    const first = withFolderLock(dir, 'first', async () => {
      order.push('first in');
      await sleep(300);
      order.push('first out');
    });
    await sleep(20);
    await expect(withFolderLock(dir, 'x', async () => 1, { wait: false })).rejects.toThrow(
      /CFM_E_STATE.*another writer holds this folder \(first, pid \d+/,
    );
    const second = withFolderLock(
      dir,
      'second',
      async () => {
        order.push('second in');
      },
      { onWait: () => (waited = true) },
    );
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second in']);
    expect(waited).toBe(true);
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });
  it('releases the lock when the work fails', async () => {
    const dir = join(root, 'b');
    await expect(
      withFolderLock(dir, 'x', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await withFolderLock(dir, 'y', async () => 2, { wait: false })).toBe(2);
  });
  it('takes over the lock of a writer that died (its pid is gone)', async () => {
    const dir = join(root, 'c');
    const dead = await new Promise<number>((done) => {
      const p = spawn(process.execPath, ['-e', '0']);
      p.on('exit', () => done(p.pid!));
    });
    writeFileSync(`${dir}.lock`, JSON.stringify({ pid: dead, host: (await import('node:os')).hostname(), since: 'then', what: 'killed' }));
    expect(await withFolderLock(dir, 'z', async () => readFileSync(`${dir}.lock`, 'utf8'), { wait: false })).toMatch(
      `"pid":${process.pid}`,
    );
  });
  it('takes over a lock nobody touched for staleMs (another host)', async () => {
    const dir = join(root, 'd');
    writeFileSync(`${dir}.lock`, JSON.stringify({ pid: 1, host: 'elsewhere', since: 'then' }));
    await sleep(150);
    expect(await withFolderLock(dir, 'w', async () => 3, { wait: false, staleMs: 100 })).toBe(3);
  });

  it("removes the temp files of writers that died, and nobody else's", async () => {
    const dir = join(root, 'e');
    mkdirSync(dir);
    const dead = await new Promise<number>((done) => {
      const p = spawn(process.execPath, ['-e', '0']);
      p.on('exit', () => done(p.pid!));
    });
    const names = [
      `model.tmp-${dead}`,
      `.topk.parquet.tmp-${dead}-1700000000000-3`,
      `eval.json.${dead}.1700000000000.tmp`,
      `.x.old-${dead}-1-2`,
      `train.json.tmp-${process.pid}`,
      'run.json',
      'model',
      'notes.tmp',
    ];
    for (const n of names) {
      if (n === 'model' || n.startsWith('model.')) mkdirSync(join(dir, n));
      else writeFileSync(join(dir, n), 'x');
    }
    expect(removeLeftovers(dir).sort()).toEqual(names.slice(0, 4).sort());
    expect(readdirSync(dir).sort()).toEqual(names.slice(4).sort());
  });
});
