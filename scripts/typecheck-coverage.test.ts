// Every tracked TypeScript file is type-checked: each one is matched by the tsconfig that some Nx project's
// `typecheck` target compiles (npm test runs those targets). A new folder of scripts, a bench or a config file
// that no tsconfig includes fails here with its path.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..');

interface Target {
  command?: string;
  options?: { cwd?: string };
}
interface Project {
  root: string;
  typecheck?: Target;
}

/** the workspaces' package.json projects ("nx" field) and the project.json projects */
function projects(): Project[] {
  const out: Project[] = [];
  const workspaces: string[] = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces;
  for (const pattern of workspaces) {
    const dirs = pattern.endsWith('/*')
      ? readdirSync(join(root, pattern.slice(0, -2))).map((n) => join(pattern.slice(0, -2), n))
      : [pattern];
    for (const dir of dirs) {
      const file = join(root, dir, 'package.json');
      if (!existsSync(file) || existsSync(join(root, dir, 'project.json'))) continue;
      out.push({ root: dir, typecheck: JSON.parse(readFileSync(file, 'utf8')).nx?.targets?.typecheck });
    }
  }
  for (const file of tracked(['project.json', '**/project.json'])) {
    out.push({ root: dirname(file), typecheck: JSON.parse(readFileSync(join(root, file), 'utf8')).targets?.typecheck });
  }
  return out;
}

function tracked(patterns: string[]): string[] {
  return execFileSync('git', ['ls-files', '--', ...patterns], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

/** the tsconfig a typecheck target compiles: `tsc -p <file>` in the target's cwd (nx.json's default command otherwise) */
function typecheckConfig(p: Project, defaults: Target): string {
  const command = p.typecheck?.command ?? defaults.command ?? '';
  const cwd = (p.typecheck?.command ? p.typecheck.options?.cwd : defaults.options?.cwd) ?? '{workspaceRoot}';
  const config = command.match(/(?:^|\s)-p\s+(\S+)/)?.[1] ?? 'tsconfig.json';
  return resolve(root, cwd.replace('{workspaceRoot}', '.').replace('{projectRoot}', p.root), config);
}

/** the files a tsconfig's include / files select (not the ones only reached by an import) */
function configFiles(configPath: string): string[] {
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, dirname(configPath), undefined, configPath);
  return parsed.fileNames.map((f) => relative(root, f));
}

describe('type-check coverage', () => {
  it("every tracked .ts / .mts / .cts file is included by the tsconfig of some project's typecheck target", () => {
    const defaults: Target = JSON.parse(readFileSync(join(root, 'nx.json'), 'utf8')).targetDefaults?.typecheck ?? {};
    const configs = projects()
      .filter((p) => p.typecheck)
      .map((p) => typecheckConfig(p, defaults));
    for (const c of configs) expect(existsSync(c), `${relative(root, c)} (a typecheck target's tsconfig) is missing`).toBe(true);
    const checked = new Set(configs.flatMap(configFiles));
    const files = tracked(['*.ts', '*.mts', '*.cts']).filter((f) => existsSync(join(root, f)));
    expect(files.length).toBeGreaterThan(100);
    expect(
      files.filter((f) => !checked.has(f)),
      'tracked TypeScript files that no typecheck target compiles',
    ).toEqual([]);
  });
});
