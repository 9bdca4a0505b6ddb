/** The bench:quality entry: the Must-show runs (Tables 2–4 analogue) with the target BL+GRU+SCID ≥ +15 % MRR
 * over BL, one line per dataset × task × metric. Returns the number of targets missed. */
import { formatTable, gain, runBench } from './bench';

export const SESSION_HEADS_SUITE = [
  { dataset: 'diginetica-cikm2016', seed: 1 },
  { dataset: 'taobao-userbehavior-sample', seed: 1 },
  { dataset: 'simulator', seed: 1 },
];
export const TARGET_GAIN = 15;

export async function sessionHeadsSuite(
  quick = false,
  write: (line: string) => void = (l) => process.stdout.write(l + '\n'),
): Promise<number> {
  let missed = 0;
  for (const e of SESSION_HEADS_SUITE) {
    const tables = await runBench({ ...e, config: quick ? { epochs: 2, hidden: 32 } : {}, simCustomers: quick ? 300 : undefined });
    for (const t of tables) {
      formatTable(t).forEach(write);
      const by = Object.fromEntries(t.results.map((r) => [r.name, r.metrics]));
      for (const metric of 'auc' in by.BL ? ['auc'] : ['mrr', 'mrr-seen', 'mrr-not-seen']) {
        const g = gain(by['BL+GRU+SCID(GRU)'][metric], by.BL[metric]);
        const checked = metric === 'mrr' && t.task === 'next-item';
        if (checked && g < TARGET_GAIN) missed++;
        write(
          `session-heads ${e.dataset} ${t.task} ${metric} BL ${by.BL[metric].toFixed(4)} BL+GRU+SCID ${by['BL+GRU+SCID(GRU)'][metric].toFixed(4)} gain ${g.toFixed(1)}%` +
            (checked ? ` target ${TARGET_GAIN}% (issue 6) ${g >= TARGET_GAIN ? 'PASS' : 'BELOW'}` : '') +
            ` seed=${e.seed}${quick ? ' quick' : ''}`,
        );
      }
    }
  }
  return missed;
}
