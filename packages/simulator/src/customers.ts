import type { Rng } from '@cfm/core';
import type { Catalog } from './catalog';
import type { SimConfig } from './config';
import { cumulative, normalizeRow, sampleCdf, skewedRank } from './math';

const AGE_GROUPS = ['18-24', '25-34', '35-44', '45-54', '55+'];

/** One customer's latent state. `unit` is the unit interest vector; affinity(item) = unit · itemUnit. */
export interface Customer {
  index: number;
  id: string;
  unit: Float32Array;
  interestLeaves: Int32Array;
  interestCdf: Float64Array;
  /** 1 for the customer's favourite brands (affinity bonus brandLoyalty) */
  favouriteBrand: Uint8Array;
  /** logit penalty per unit log(price / leaf median) */
  priceSensitivity: number;
  sessions: number;
  labels: { segment: string; age_group: string; activity: string };
}

export function createCustomer(index: number, config: SimConfig, cat: Catalog, rng: Rng): Customer {
  const d = cat.d;
  const k = config.interestsPerCustomer;
  const interestLeaves = Int32Array.from({ length: k }, () => sampleCdf(cat.leafCdf, rng.next()));
  const weights = Float64Array.from({ length: k }, () => Math.exp(rng.normal()));
  const unit = new Float32Array(d);
  const leafVec = cat.nodeVectors[cat.nodeVectors.length - 1];
  for (let j = 0; j < k; j++) for (let t = 0; t < d; t++) unit[t] += weights[j] * leafVec[interestLeaves[j] * d + t];
  let total = 0;
  for (const w of weights) total += w;
  for (let t = 0; t < d; t++) unit[t] = unit[t] / total + 0.25 * rng.normal();
  normalizeRow(unit, 0, d);
  const favouriteBrand = new Uint8Array(cat.brandNames.length);
  for (let j = 0; j < config.favouriteBrands; j++) {
    const pool = cat.brandsOfTop[cat.ancestors[0][interestLeaves[j % k]]];
    if (pool.length) favouriteBrand[pool[skewedRank(rng, pool.length, 1)]] = 1;
  }
  let main = 0;
  for (let j = 1; j < k; j++) if (weights[j] > weights[main]) main = j;
  const { meanPerCustomer, activitySpread } = config.sessions;
  const z = rng.normal();
  const rate = meanPerCustomer * Math.exp(activitySpread * z - (activitySpread * activitySpread) / 2);
  const sessions = Math.max(1, Math.round(rate * (0.5 + rng.next())));
  const sensZ = rng.normal();
  const age = Math.max(0, Math.min(AGE_GROUPS.length - 1, Math.floor(2 + 1.2 * (0.6 * sensZ + 0.8 * rng.normal()))));
  return {
    index,
    id: `c${index}`,
    unit,
    interestLeaves,
    interestCdf: cumulative(weights),
    favouriteBrand,
    priceSensitivity: config.funnel.priceSensitivity * Math.exp(0.5 * sensZ),
    sessions,
    labels: {
      segment: cat.nodeNames[0][cat.ancestors[0][interestLeaves[main]]],
      age_group: AGE_GROUPS[age],
      activity: sessions < meanPerCustomer / 2 ? 'low' : sessions < meanPerCustomer * 1.5 ? 'medium' : 'high',
    },
  };
}
