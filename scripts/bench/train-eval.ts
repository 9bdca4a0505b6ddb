/** bench:train's evaluation row: full-ranking evaluation throughput (customers/s, every customer scored against the
 * whole Beauty vocabulary of 12 k items, metrics accumulated) for the BERT4Rec benchmark config, fresh weights,
 * on the backend named by CFM_BACKEND. Leave-one-out on S3-Rec Beauty: history = all but the last item, target = last.
 * Prints one `RESULT {json}` line. Run by train.ts; alone: CFM_BACKEND=tensorflow tsx scripts/bench/train-eval.ts */
import { configHash, RESERVED_TOKENS, type CustomerSequences, type PreparedDataset } from '@cfm/core';
import { rankEval } from '@cfm/eval';
import { backendInfo, initBackend } from '@cfm/tensor';
import { Bert4RecConfig, Bert4RecModel } from '@cfm/model-bert4rec';
import { BENCH_CONFIG } from './train-config';
import { loadBeauty } from './train-data';

/** leave-one-out cut of the Beauty sequences: history (all but the last) and the last item as target */
function looSplit(seqs: CustomerSequences): { history: CustomerSequences; targets: Int32Array } {
  const n = seqs.customerIds.length;
  const offsets = new Int32Array(n + 1);
  const keep: number[] = [];
  const targets = new Int32Array(n);
  for (let c = 0; c < n; c++) {
    const a = seqs.offsets[c];
    const b = seqs.offsets[c + 1];
    for (let i = a; i < b - 1; i++) keep.push(i);
    targets[c] = seqs.items[b - 1];
    offsets[c + 1] = offsets[c] + (b - 1 - a);
  }
  const pick = <T extends Int32Array | Float64Array>(src: T, make: (n: number) => T) => {
    const out = make(keep.length);
    keep.forEach((i, j) => (out[j] = src[i]));
    return out;
  };
  return {
    history: {
      customerIds: seqs.customerIds,
      offsets,
      items: pick(seqs.items, (k) => new Int32Array(k)),
      types: pick(seqs.types, (k) => new Int32Array(k)),
      times: pick(seqs.times, (k) => new Float64Array(k)),
    },
    targets,
  };
}

async function main(): Promise<void> {
  await initBackend({ quiet: true });
  const { seqs, itemCount } = loadBeauty('real', BENCH_CONFIG.maxLen);
  const tokens = [...RESERVED_TOKENS, ...Array.from({ length: itemCount - RESERVED_TOKENS.length }, (_, i) => `beauty-${i + 1}`)];
  const { history, targets } = looSplit(seqs);
  const data = {
    dataset: 's3rec-beauty',
    split: 'loo',
    vocabs: { item: { name: 'item', tokens, hash: configHash(tokens) } },
    itemFeatures: {},
    train: history,
    valid: { history, targets },
    test: { history, targets },
  } as unknown as PreparedDataset;
  const model = new Bert4RecModel(Bert4RecConfig.parse({ ...BENCH_CONFIG }), itemCount, data.vocabs.item.hash);
  const batchSize = Number(process.env.EVAL_BATCH ?? 256);
  rankEval(model, data, 'test', { protocol: 'full', maxLen: BENCH_CONFIG.maxLen, limit: 2048, batchSize }); // warm-up
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const r = rankEval(model, data, 'test', { protocol: 'full', maxLen: BENCH_CONFIG.maxLen, batchSize });
  const cpu = process.cpuUsage(cpu0);
  const s = (performance.now() - t0) / 1000;
  const n = targets.length;
  const out = {
    backend: backendInfo()?.name,
    customers: n,
    items: itemCount,
    batchSize,
    seconds: +s.toFixed(2),
    customersPerSec: Math.round(n / s),
    cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(2),
    ndcg10: r.metrics['ndcg@10'],
  };
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
  model.dispose();
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
