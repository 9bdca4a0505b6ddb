import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadNativeAddon, nativeAddonPath } from './native-addon';

describe('native addon loader', () => {
  const root = mkdtempSync(join(tmpdir(), 'cfm-addon-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const spec = (from: string, explicit?: string) => ({
    label: 'test',
    dir: 'native-test',
    file: 'x.node',
    from,
    explicit,
    explicitVar: 'TEST_ADDON_PATH',
    fallback: 'the portable path',
  });

  it('finds tools/<dir>/<file> upwards: the package dist/tools first, then the repository tools', () => {
    const pkg = join(root, 'repo', 'packages', 'p');
    mkdirSync(join(pkg, 'dist', 'tools', 'native-test'), { recursive: true });
    mkdirSync(join(root, 'repo', 'tools', 'native-test'), { recursive: true });
    writeFileSync(join(pkg, 'dist', 'tools', 'native-test', 'x.node'), '');
    writeFileSync(join(root, 'repo', 'tools', 'native-test', 'x.node'), '');
    expect(nativeAddonPath(spec(join(pkg, 'dist')))).toBe(join(pkg, 'dist', 'tools', 'native-test', 'x.node'));
    expect(nativeAddonPath(spec(join(pkg, 'src')))).toBe(join(root, 'repo', 'tools', 'native-test', 'x.node'));
    expect(nativeAddonPath(spec(join(pkg, 'src'), 'elsewhere/y.node'))).toMatch(/elsewhere\/y\.node$/);
  });

  it('a missing addon is quiet and says what to run; one that does not load says so once on stderr', () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const missing = loadNativeAddon(spec(join(root, 'nowhere')));
      expect(missing.addon).toBeNull();
      expect('why' in missing ? missing.why : '').toContain('bash infra/native-test/provision.sh');
      expect(err).not.toHaveBeenCalled();
      const bad = join(root, 'bad.node');
      writeFileSync(bad, 'not a shared object');
      expect(loadNativeAddon(spec(root, bad)).addon).toBeNull();
      expect(loadNativeAddon(spec(root, bad)).addon).toBeNull();
      expect(err).toHaveBeenCalledTimes(1);
      expect(String(err.mock.calls[0][0])).toMatch(/^test: .*bad\.node did not load .*TEST_ADDON_PATH.*; the portable path\n$/);
    } finally {
      err.mockRestore();
    }
  });
});
