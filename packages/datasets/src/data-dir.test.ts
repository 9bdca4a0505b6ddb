import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCfmError, resetRuntimeOptions } from '@cfm/core';
import { parseCsvLine, prepareDataset, resolveDataDir, resolveInside } from './index';

const root = mkdtempSync(join(tmpdir(), 'cfm-datadir-'));
const dataDir = join(root, 'datasets');
mkdirSync(join(dataDir, 'shop'), { recursive: true });
mkdirSync(join(root, 'outside'));
symlinkSync(join(root, 'outside'), join(dataDir, 'link-out'));
// a file outside the data directory that looks like a password file
const SECRET = 'root:x:0:0:root:/root:/bin/bash';
writeFileSync(join(root, 'outside', 'passwd'), `${SECRET}\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n`);
const GOOD =
  'customer_id,item_id,ts,event_type\nc1,i1,2024-01-01T00:00:00Z,view\nc1,i2,2024-01-02T00:00:00Z,view\nc1,i3,2024-01-03T00:00:00Z,view\n';
afterAll(() => rmSync(root, { recursive: true, force: true }));

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return isCfmError(e) ? e.code : String(e);
  }
  return 'no error';
};

describe('data directory', () => {
  it('is CFM_DATA_DIR unless given', () => {
    const saved = process.env.CFM_DATA_DIR;
    process.env.CFM_DATA_DIR = dataDir;
    resetRuntimeOptions();
    try {
      expect(resolveDataDir()).toBe(realpathSync(dataDir));
      expect(resolveDataDir(join(dataDir, 'shop'))).toBe(realpathSync(join(dataDir, 'shop')));
    } finally {
      if (saved === undefined) delete process.env.CFM_DATA_DIR;
      else process.env.CFM_DATA_DIR = saved;
      resetRuntimeOptions();
    }
  });
  it('says to set CFM_DATA_DIR when the directory is missing', () => {
    expect(() => resolveDataDir(join(root, 'nope'))).toThrow(/set CFM_DATA_DIR/);
  });
  it.each([['../outside'], ['/etc'], ['link-out'], ['shop/../../outside']])('refuses %s, which escapes it', (p) => {
    expect(code(() => resolveInside(dataDir, p))).toBe('CFM_E_PATH_ESCAPE');
  });
  it('accepts a folder inside it', () => {
    expect(resolveInside(dataDir, 'shop')).toMatch(/datasets\/shop$/);
  });
  it('refuses path: datasets outside it before reading anything', async () => {
    const err = await prepareDataset({ dataset: 'path:../outside', out: join(root, 'o'), dataDir }).catch((e) => e);
    expect(err.code).toBe('CFM_E_PATH_ESCAPE');
  });
  it.each([
    ['a symlinked events file pointing outside it', 'leak-events', 'events.csv', join(root, 'outside', 'passwd')],
    ['a symlinked items file pointing outside it', 'leak-items', 'items.csv', join(root, 'outside', 'passwd')],
    ['a symlink to a system password file', 'leak-etc', 'events.csv', '/etc/passwd'],
  ])('refuses %s in a path: folder, echoing nothing of it', async (_name, folder, file, target) => {
    if (!existsSync(target)) return;
    mkdirSync(join(dataDir, folder));
    writeFileSync(join(dataDir, folder, 'events_a.csv'), GOOD);
    symlinkSync(target, join(dataDir, folder, file));
    const err = await prepareDataset({ dataset: `path:${folder}`, out: join(root, `o-${folder}`), dataDir }).catch((e) => e);
    expect(err.code).toBe('CFM_E_PATH_ESCAPE');
    expect(err.message).not.toMatch(/root:|daemon/);
  });

  it('refuses a symlinked raw file of an adapter that points outside it', async () => {
    mkdirSync(join(dataDir, 'taobao-userbehavior-sample'));
    symlinkSync(join(root, 'outside', 'passwd'), join(dataDir, 'taobao-userbehavior-sample', 'UserBehavior_head.csv'));
    const err = await prepareDataset({ dataset: 'taobao-userbehavior-sample', out: join(root, 'o-taobao'), dataDir }).catch((e) => e);
    expect(err.code).toBe('CFM_E_PATH_ESCAPE');
    expect(err.message).not.toMatch(/root:|daemon/);
  });

  it('follows a symlink that stays inside it', async () => {
    mkdirSync(join(dataDir, 'linked'));
    writeFileSync(join(dataDir, 'shop', 'events.csv'), GOOD);
    symlinkSync(join(dataDir, 'shop', 'events.csv'), join(dataDir, 'linked', 'events.csv'));
    const m = await prepareDataset({ dataset: 'path:linked', out: join(root, 'o-linked'), dataDir, split: 'loo', dbPath: ':memory:' });
    expect(m.counts.events).toBe(3);
  });

  it('shows at most a short escaped snippet of a file in an error', async () => {
    mkdirSync(join(dataDir, 'noisy'));
    writeFileSync(join(dataDir, 'noisy', 'events.csv'), `${SECRET}${'x'.repeat(300)}\u001b[2J,\u0000\n1,2\n`);
    const err = await prepareDataset({ dataset: 'path:noisy', out: join(root, 'o-noisy'), dataDir }).catch((e) => e);
    expect(err.code).toBe('CFM_E_MISSING_COLUMN');
    const shown = /file has: (.*)\)$/.exec(err.message)![1];
    expect(shown.length).toBeLessThanOrEqual(61);
    expect(err.message).not.toMatch(/[\u0000-\u001f]/);
  });

  it('names the known datasets for an unknown one', async () => {
    const err = await prepareDataset({ dataset: 'nope', out: join(root, 'o'), dataDir }).catch((e) => e);
    expect(err.message).toMatch(/unknown dataset "nope".*s3rec-beauty/);
  });
});

describe('parseCsvLine', () => {
  it('keeps commas inside quotes', () => {
    expect(parseCsvLine('a,"[1, 2]",,"x""y"')).toEqual(['a', '[1, 2]', '', 'x"y']);
  });
});
