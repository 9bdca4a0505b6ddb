// Ships a provisioned native addon inside a package's build, so that the installed package finds it
// (docs/conventions.md, "Packages"): the loader (@cfm/core native-addon.ts) looks for tools/<dir>/<name>.node upwards from the package, and
// from dist/ the first place it looks is dist/tools/<dir>/. Copied only when the addon was built from today's
// sources (its STAMP names their hash) and not with -march=native (another CPU could die on an illegal instruction);
// otherwise the package ships without it and falls back as the repository does without the addon.
// Usage (a build step, run in the package's folder): node <root>/scripts/ship-addon.mjs <tools dir> <sources dir>
//   e.g. node ../../scripts/ship-addon.mjs native-data native
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [toolsDir, sourcesDir] = process.argv.slice(2);
if (!toolsDir || !sourcesDir) {
  process.stderr.write('usage: ship-addon.mjs <tools dir> <sources dir>\n');
  process.exit(2);
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'tools', toolsDir);
const to = resolve('dist', 'tools', toolsDir);
const name = JSON.parse(readFileSync('package.json', 'utf8')).name;
rmSync(to, { recursive: true, force: true });

/** the sources' hash as the provision scripts compute it: cat *.cc *.h | sha256sum */
function sourcesHash() {
  const files = readdirSync(sourcesDir);
  const pick = (ext) => files.filter((f) => f.endsWith(ext)).sort();
  const h = createHash('sha256');
  for (const f of [...pick('.cc'), ...pick('.h')]) h.update(readFileSync(join(sourcesDir, f)));
  return h.digest('hex');
}

function whyNot() {
  if (!existsSync(join(from, 'STAMP'))) return `${relative(root, from)} is not built (infra/${toolsDir}/provision.sh builds it)`;
  const stamp = readFileSync(join(from, 'STAMP'), 'utf8').trim().split(/\s+/);
  if (!stamp.includes(sourcesHash())) return `${relative(root, from)} was built from older sources`;
  if (stamp.includes('-march=native'))
    return `${relative(root, from)} was built for this CPU only (-march=native; CFM_NATIVE_MARCH=x86-64-v3 builds a portable one)`;
  return undefined;
}

const why = whyNot();
if (why) {
  process.stdout.write(`${name}: no native addon shipped: ${why}; installed, it falls back as without the addon\n`);
} else {
  cpSync(from, to, { recursive: true });
  process.stdout.write(`${name}: ships ${relative(process.cwd(), to)}/ (${readdirSync(to).join(', ')})\n`);
}
