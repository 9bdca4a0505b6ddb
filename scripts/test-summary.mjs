// Sums vitest's "Tests  N passed | M failed" lines from an Nx log and prints one closing line.
import { readFileSync } from 'node:fs';
const [, , file, rcArg] = process.argv;
const text = readFileSync(file, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
let passed = 0,
  failed = 0,
  skipped = 0;
for (const m of text.matchAll(/^.*?\bTests\s+(.*)\(\d+\)\s*$/gm)) {
  const part = m[1];
  passed += +(part.match(/(\d+) passed/)?.[1] ?? 0);
  failed += +(part.match(/(\d+) failed/)?.[1] ?? 0);
  skipped += +(part.match(/(\d+) skipped/)?.[1] ?? 0);
}
const rc = Number(rcArg);
if (rc !== 0 && failed === 0) failed = 1; // a lint/typecheck failure counts as one failure
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(rc === 0 && failed === 0 && passed > 0 ? 0 : 1);
