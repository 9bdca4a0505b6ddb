/** Real-data run of @cfm/gbdt: predict a MovieLens-1M user's gender from the genre mix of their history
 * (18 genre shares + log history length), 80/20 user split by seeded shuffle, binary:logistic with early
 * stopping on a validation slice. Usage: npx tsx packages/gbdt/bench/ml1m-gender.ts */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import { CfmError, createRng, lineProgress, runtimeOptions } from '@cfm/core';
import { accuracy, auc } from '@cfm/eval';
import { trainGbdt, xgboost } from '../src';

const dir = join(runtimeOptions().CFM_DATA_DIR ?? resolve(__dirname, '../../../../shared/datasets'), 'movielens-1m');

function load() {
  const genres: string[] = [];
  const movieGenres = new Map<number, number[]>();
  readFileSync(join(dir, 'movies.dat'), 'latin1')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      const [id, , g] = line.split('::');
      if (g === undefined) throw new CfmError('CFM_E_ROW_SCHEMA', 'expected MovieID::Title::Genres', { file: 'movies.dat', row: i + 1 });
      movieGenres.set(
        Number(id),
        g
          .trim()
          .split('|')
          .map((name) => (genres.includes(name) ? genres.indexOf(name) : genres.push(name) - 1)),
      );
    });
  const users = new Map<number, number>();
  readFileSync(join(dir, 'users.dat'), 'latin1')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      const [id, gender] = line.split('::');
      if (gender !== 'M' && gender !== 'F')
        throw new CfmError('CFM_E_ROW_SCHEMA', `gender "${gender}" is not M or F`, { file: 'users.dat', row: i + 1, field: 'Gender' });
      users.set(Number(id), gender === 'M' ? 1 : 0);
    });
  const counts = new Map<number, Float64Array>();
  gunzipSync(readFileSync(join(dir, 'ml-1m_sequences.txt.gz')))
    .toString('utf8')
    .split('\n')
    .forEach((line) => {
      if (!line) return;
      const [u, m] = line.split(' ').map(Number);
      let c = counts.get(u);
      if (!c) counts.set(u, (c = new Float64Array(genres.length + 1)));
      for (const g of movieGenres.get(m) ?? []) c[g]++;
      c[genres.length]++;
    });
  const ids = [...counts.keys()].filter((u) => users.has(u));
  const cols = genres.length + 1;
  const features = new Float32Array(ids.length * cols);
  const labels = new Float32Array(ids.length);
  ids.forEach((u, r) => {
    const c = counts.get(u)!;
    for (let g = 0; g < genres.length; g++) features[r * cols + g] = c[g] / c[genres.length];
    features[r * cols + genres.length] = Math.log(c[genres.length]);
    labels[r] = users.get(u)!;
  });
  return { features, labels, rows: ids.length, cols };
}

function take(d: ReturnType<typeof load>, rows: number[]) {
  const features = new Float32Array(rows.length * d.cols);
  rows.forEach((r, i) => features.set(d.features.subarray(r * d.cols, (r + 1) * d.cols), i * d.cols));
  return { features, labels: Float32Array.from(rows, (r) => d.labels[r]), rows: rows.length, cols: d.cols };
}

async function main() {
  const data = load();
  const order = createRng(42).shuffle(Array.from({ length: data.rows }, (_, i) => i));
  const nTest = Math.round(0.2 * data.rows),
    nValid = Math.round(0.1 * data.rows);
  const test = take(data, order.slice(0, nTest));
  const valid = take(data, order.slice(nTest, nTest + nValid));
  const train = take(data, order.slice(nTest + nValid));
  console.log(
    `libxgboost ${xgboost().version}; users train ${train.rows} / valid ${valid.rows} / test ${test.rows}; ${data.cols} features`,
  );
  const t0 = performance.now();
  const model = await trainGbdt({
    ...train,
    valid,
    earlyStoppingRounds: 20,
    progress: lineProgress(undefined, 1000),
    params: {
      objective: 'binary:logistic',
      rounds: 500,
      maxDepth: 4,
      eta: 0.05,
      subsample: 0.8,
      colsampleBytree: 0.8,
      evalMetric: 'auc',
      seed: 1,
    },
  });
  const ms = performance.now() - t0;
  const p = model.predict(test.features, test.rows);
  const majority = test.labels.reduce((s, y) => s + y, 0) / test.rows;
  console.log(
    `stopped after ${model.info.history!.length} rounds, kept ${model.rounds} (best round ${model.info.bestIteration}), ${ms.toFixed(0)} ms`,
  );
  console.log(
    `test AUC ${auc(p, test.labels).toFixed(4)}, accuracy@0.5 ${accuracy(
      Array.from(p, (x) => (x >= 0.5 ? 1 : 0)),
      test.labels,
    ).toFixed(4)} (majority class ${Math.max(majority, 1 - majority).toFixed(4)})`,
  );
  model.dispose();
}
main();
