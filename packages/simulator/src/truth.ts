import type { Catalog } from './catalog';
import type { SimConfig } from './config';
import { positionBias } from './feed';
import type { Calendar } from './seasonality';
import { HOUR_WEIGHTS } from './seasonality';

/** The generative parameters tests and benchmarks check against (truth.json). */
export function buildTruth(config: SimConfig, cat: Catalog, cal: Calendar) {
  const ic = config.impressions;
  const bias = Array.from({ length: ic.listLength }, (_, i) => +positionBias(i + 1, ic.positionBiasEta).toFixed(6));
  const pages = Math.ceil(ic.listLength / ic.pageSize);
  const pageBias = Array.from({ length: pages }, (_, p) => {
    const slice = bias.slice(p * ic.pageSize, (p + 1) * ic.pageSize);
    return +(slice.reduce((a, b) => a + b, 0) / slice.length).toFixed(6);
  });
  return {
    tsUnit: 'epoch_ms_utc',
    affinity: `cosine of customer and item latent vectors (dimension latentDim) + ${config.brandLoyalty} if the item's brand is one of the customer's ${config.favouriteBrands} favourites`,
    positionBias: { form: 'position^-eta', eta: ic.positionBiasEta, byPosition: bias, meanByPage: pageBias },
    clickModel: {
      form: 'sigmoid(ctrBias + ctrWeight*affinity) * position^-eta * (1 - neighbourPenalty * sameLeafShareOfNeighbours)',
      ctrBias: ic.ctrBias,
      ctrWeight: ic.ctrWeight,
      neighbourPenalty: ic.neighbourPenalty,
      neighbourK: ic.neighbourK,
      loggingRanker: `affinity + N(0, ${ic.rankerNoise}^2), descending`,
      randomizedShare: ic.randomizedShare,
    },
    funnel: { ...config.funnel, form: 'P(cart|view) = sigmoid(logit(cartRate) + affinityWeight*(affinity - affinityRef))' },
    search: { ...config.search, clickForm: 'P(click at i) ∝ i^-eta * exp(personalWeight*affinity)', eta: ic.positionBiasEta },
    incentives: {
      ...config.incentives,
      clickForm: 'sigmoid(clickBias + clickWeight*lineAffinity)',
      convertForm:
        'clicked * sigmoid(convertBias + convertWeight*lineAffinity + newLineEffect*[never bought in line before ts] + cashbackEffect*cashback)',
    },
    seasonality: {
      ...config.seasonality,
      dayWeights: Array.from(cal.dayWeights, (w, i) => ({
        date: new Date(cal.startMs + i * 86_400_000).toISOString().slice(0, 10),
        weight: +w.toFixed(6),
      })),
      hourWeights: HOUR_WEIGHTS,
    },
    catalog: {
      levels: cat.levelSizes,
      leaves: cat.leafCount,
      brands: cat.brandNames.length,
      items: cat.itemLeaf.length,
      productLines: cat.levelSizes[Math.min(1, cat.levelSizes.length - 1)],
    },
  };
}
export type Truth = ReturnType<typeof buildTruth>;
