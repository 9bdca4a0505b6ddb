import { initBackend } from '@cfm/tensor';
import { simulate } from '@cfm/simulator';
import { DmtConfig, DmtModel, buildImpressionSet, catalogueFromItems, taskMetrics } from '../src/index';

async function main() {
  await initBackend();
  let t = Date.now();
  const sim = simulate({ customers: Number(process.argv[2] ?? 300), items: 2000, seed: 1, days: 120, impressions: { randomizedShare: 0.3 } });
  console.log('sim', Date.now() - t, 'ms', sim.impressions.length, sim.randomImpressions.length, sim.events.length);
  t = Date.now();
  const cat = catalogueFromItems(sim.items);
  const c = DmtConfig.parse({ epochs: 1 });
  const set = buildImpressionSet(sim.impressions, sim.events, cat, c.behaviours);
  const rnd = buildImpressionSet(sim.randomImpressions, sim.events, cat, c.behaviours);
  console.log('build', Date.now() - t, 'ms', set.offsets.length - 1, 'requests', Object.entries(set.histories).map(([b, h]) => `${b}:${h.items.length}`).join(' '), set.denseNames.join(','));
  const m = new DmtModel(c, cat);
  t = Date.now();
  await m.fitImpressions(set, rnd);
  console.log('fit', Date.now() - t, 'ms');
  const p = m.predict(rnd);
  for (const task of c.tasks) console.log(task, taskMetrics(rnd, task, p.tasks[task]));
  console.log(p.gates);
}
main();
