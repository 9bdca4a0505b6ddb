import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RuntimeOptionsSchema } from './runtime';
import { fillRuntimeDoc, OTHER_VARIABLES } from './runtime-doc';

// the repository (this test runs inside it)
const root = (() => {
  for (let d = __dirname; ; d = dirname(d)) {
    const p = join(d, 'package.json');
    if (existsSync(p) && JSON.parse(readFileSync(p, 'utf8')).workspaces) return d;
    if (dirname(d) === d) throw new Error('no workspace root above this test');
  }
})();

function sources(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    if (n === 'node_modules' || n === 'dist' || n.startsWith('.')) continue;
    const p = join(dir, n);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.(ts|mts|mjs|sh|cc|h)$/.test(n)) out.push(p);
  }
  return out;
}

describe('runtime options: one place, one table', () => {
  const files = ['packages', 'apps', 'workflows', 'scripts', 'infra', 'e2e']
    .filter((d) => existsSync(join(root, d)))
    .flatMap((d) => sources(join(root, d)));
  const options = new Set(Object.keys(RuntimeOptionsSchema.shape));

  it('documents every CFM_ variable the code names, as a runtime option or read elsewhere', () => {
    const documented = new Set([...options, ...OTHER_VARIABLES.map((v) => v.name)]);
    const named = new Map<string, string>();
    for (const f of files)
      for (const [n] of readFileSync(f, 'utf8').matchAll(/\bCFM_[A-Z0-9_]*[A-Z0-9]\b/g))
        if (!n.startsWith('CFM_E_')) named.set(n, relative(root, f));
    const missing = [...named].filter(([n]) => !documented.has(n)).map(([n, f]) => `${n} (${f})`);
    expect(missing).toEqual([]);
  });

  it('reads no runtime option from an environment outside runtime.ts (tests may set them)', () => {
    const reads: string[] = [];
    for (const f of files) {
      if (!/\.(ts|mts|mjs)$/.test(f) || /\.test\.ts$/.test(f) || f.endsWith(join('core', 'src', 'runtime.ts'))) continue;
      for (const m of readFileSync(f, 'utf8').matchAll(/env(?:\.|\[\s*['"])(CFM_[A-Z0-9_]+)/g))
        if (options.has(m[1])) reads.push(`${relative(root, f)}: ${m[1]}`);
    }
    expect(reads).toEqual([]);
  });

  it('docs/runtime.md holds the tables generated from the schema (vitest -u rewrites them)', async () => {
    const page = join(root, 'docs', 'runtime.md');
    await expect(fillRuntimeDoc(readFileSync(page, 'utf8'))).toMatchFileSnapshot(page);
  });
});
