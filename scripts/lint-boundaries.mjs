// Module-boundary lint: a package may import only the layers below it (docs/architecture.md).
// Usage: node scripts/lint-boundaries.mjs <projectRoot>
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(process.cwd(), process.argv[2] ?? ".");
process.chdir(findWorkspace(process.cwd()));
function findWorkspace(d) { for (;;) { try { if (JSON.parse(readFileSync(join(d, "package.json"), "utf8")).workspaces) return d; } catch {} const up = join(d, ".."); if (up === d) throw new Error("no workspace root"); d = up; } }
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const tags = pkg.nx?.tags ?? [];
const type = (tags.find((t) => t.startsWith('type:')) ?? 'type:app').slice(5);
// third-party modules each layer must never import
const FORBIDDEN = {
  core: [/^@tensorflow\//, /^@temporalio\//, /^@duckdb\//, /^apache-arrow/],
  pure: [/^@tensorflow\//, /^@temporalio\//, /^@duckdb\//],
  data: [/^@tensorflow\//, /^@temporalio\//],
  tensor: [/^@temporalio\//],
  model: [/^@temporalio\//],
  contracts: [/^@tensorflow\//, /^@duckdb\//, /^@temporalio\/(?!workflow$|common$)/],
  workflow: [/^@tensorflow\//, /^@duckdb\//, /^apache-arrow/, /^@temporalio\/(?!workflow$)/],
};
// @cfm packages each layer may import
const ALLOWED = {
  core: [],
  pure: ['core'],
  data: ['core', 'pure', 'data'],
  tensor: ['core', 'pure'],
  model: ['core', 'pure', 'tensor', 'data', 'model'],
  pipeline: ['core', 'pure', 'data', 'tensor', 'model', 'contracts', 'pipeline'],
  contracts: ['core'],
  workflow: ['contracts'],
  app: null,
};
const typeOf = new Map();
for (const dir of ['packages', 'packages/models', 'apps', '.']) {
  let names = [];
  try { names = dir === '.' ? ['workflows'] : readdirSync(dir); } catch { continue; }
  for (const n of names) {
    try {
      const p = JSON.parse(readFileSync(join(dir, n, 'package.json'), 'utf8'));
      const t = (p.nx?.tags ?? []).find((x) => x.startsWith('type:'));
      typeOf.set(p.name, t ? t.slice(5) : 'app');
    } catch {}
  }
}
const files = [];
const walk = (d) => {
  for (const n of readdirSync(d)) {
    if (n === 'node_modules' || n === 'dist') continue;
    const p = join(d, n);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.(ts|mts|cts)$/.test(n) && !/\.test\.ts$/.test(n)) files.push(p);
  }
};
walk(join(root, 'src'));
const problems = [];
for (const f of files) {
  const src = readFileSync(f, 'utf8');
  for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec.startsWith('.') || spec.startsWith('node:')) continue;
    if (/import\s+type\s/.test(m[0])) continue;
    for (const re of FORBIDDEN[type] ?? []) if (re.test(spec)) problems.push(`${f}: layer "${type}" must not import ${spec}`);
    if (spec.startsWith('@cfm/')) {
      const name = spec.split('/').slice(0, 2).join('/');
      const allowed = ALLOWED[type];
      const target = typeOf.get(name);
      if (allowed && target && !allowed.includes(target)) problems.push(`${f}: layer "${type}" must not import ${name} (layer "${target}")`);
    }
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`${pkg.name}: ${files.length} files, boundaries ok (layer ${type})`);
