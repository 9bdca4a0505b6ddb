import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCfmError } from '@cfm/core';
import { parseCsvLine, prepareDataset, resolveDataDir, resolveInside } from './index';

const root = mkdtempSync(join(tmpdir(), 'cfm-datadir-'));
const dataDir = join(root, 'datasets');
mkdirSync(join(dataDir, 'shop'), { recursive: true });
mkdirSync(join(root, 'outside'));
symlinkSync(join(root, 'outside'), join(dataDir, 'link-out'));
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
