/** npx tsx scripts/bench/dmt-gates.ts <run.json> <out.svg> — DMT Figure 3 analogue: mean MMoE gate
 * weight per task and expert, from a finished bench:quality dmt run, drawn with @cfm/report. */
import { readFileSync, writeFileSync } from 'node:fs';
import { gatesSpec, renderSvg } from '@cfm/report';

async function main(): Promise<void> {
  const [file, out] = process.argv.slice(2);
  const run = JSON.parse(readFileSync(file, 'utf8')) as { gates: Record<string, Record<string, number[]>> };
  const [test, byTask] = Object.entries(run.gates)[0];
  const tasks = Object.keys(byTask);
  writeFileSync(out, await renderSvg(gatesSpec({ tasks, experts: byTask[tasks[0]].length, weights: tasks.map((t) => byTask[t]) })));
  process.stdout.write(`${out}: gates on ${test} ${JSON.stringify(byTask)}\n`);
}
main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
