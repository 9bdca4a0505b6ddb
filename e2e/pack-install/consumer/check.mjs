// Run with plain `node` in a scratch project that installed the packed @cfm tarballs (pack-install.test.ts): what a
// team outside the repository does with them. Writes a small generated events file, prepares it with @cfm/data (the
// default reader, then DuckDB's ingest), trains a few MCM steps with @cfm/model-mcm and ranks the test targets with
// @cfm/eval. Prints one line: RESULT {json}.
//   node check.mjs <work dir>
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESERVED_IDS, padBatch } from '@cfm/core';
import { loadPrepared, prepareFromSources } from '@cfm/data';
import { evaluateRanking } from '@cfm/eval';
import { McmConfig, mcm } from '@cfm/model-mcm';
import { backendInfo, initBackend } from '@cfm/tensor';

const work = process.argv[2];
if (!work) throw new Error('usage: node check.mjs <work dir>');
mkdirSync(work, { recursive: true });

// 60 customers, each walking the item cycle i0 → i1 → … from its own start (learnable next-item structure)
const ITEMS = 24;
/** @param {number} k hours after the first event */
const day = (k) => Date.UTC(2024, 0, 1) + k * 3_600_000;
const lines = ['customer_id,item_id,ts,event_type'];
for (let c = 0; c < 60; c++) {
  const len = 6 + (c % 5);
  for (let t = 0; t < len; t++) lines.push(`c${c},i${(c * 7 + t) % ITEMS},${day(c + t)},${t === len - 1 ? 'purchase' : 'view'}`);
}
const events = join(work, 'events.csv');
writeFileSync(events, lines.join('\n') + '\n');

const out = join(work, 'prepared');
const manifest = await prepareFromSources({ dataset: 'pack-check', sources: { events: [events] }, out, config: { split: 'loo' } });
const viaDuckDb = await prepareFromSources({
  dataset: 'pack-check',
  sources: { events: [events] },
  out: join(work, 'prepared-duckdb'),
  config: { split: 'loo' },
  nativeScan: false,
});
const data = await loadPrepared(out);

await initBackend({ quiet: true });
const config = McmConfig.parse({
  dModel: 16,
  nHeads: 2,
  nLayers: 1,
  maxLen: 12,
  batchSize: 16,
  lr: 1e-2,
  warmupSteps: 2,
  epochs: 3,
  validCustomers: 16,
  samplesPerSequence: 2,
  seed: 1,
});
const model = mcm.create(config, { vocabs: data.vocabs, itemFeatures: data.itemFeatures });
const fit = await model.fit(data);

const rows = Int32Array.from({ length: data.test.targets.length }, (_, i) => i);
const batch = padBatch(data.test.history, Array.from(rows), { maxLen: model.maxLen, itemFeatures: data.itemFeatures });
const scores = model.score(batch, 'next-item');
const ranking = evaluateRanking({
  scores,
  cols: scores.length / rows.length,
  targets: data.test.targets,
  excludeAll: Int32Array.from({ length: RESERVED_IDS }, (_, i) => i),
  k: [5, 10],
});
model.dispose();

const result = {
  backend: backendInfo()?.name,
  reader: manifest.reader,
  readerDuckDb: viaDuckDb.reader,
  counts: manifest.counts,
  countsDuckDb: viaDuckDb.counts,
  losses: fit.history.map((h) => h.loss),
  rows: ranking.rows,
  metrics: ranking.metrics,
};
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
