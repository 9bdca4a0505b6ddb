/** Published numbers the report compares with, copied from the dataset READMEs in ../shared/datasets
 * (which cite their sources). Only comparable when the protocol matches the run's. */
export interface PublishedNumber {
  dataset: string;
  family: string;
  protocol: string;
  metrics: Record<string, number>;
  source: string;
}

export const PUBLISHED: PublishedNumber[] = [
  {
    dataset: 'movielens-1m',
    family: 'bert4rec',
    protocol: 'leave-one-out, full ranking',
    metrics: { 'hr@10': 0.2821, 'ndcg@10': 0.1516 },
    source: 'Petrov & Macdonald, RecSys 2022 (bert4rec_repro)',
  },
  {
    dataset: 'movielens-1m',
    family: 'bert4rec',
    protocol: 'leave-one-out, 100 popularity-sampled negatives',
    metrics: { 'hr@10': 0.6975, 'ndcg@10': 0.4751 },
    source: 'Petrov & Macdonald, RecSys 2022 (bert4rec_repro)',
  },
  {
    dataset: 'movielens-1m',
    family: 'bert4rec',
    protocol: 'leave-one-out, 100 uniform negatives',
    metrics: { 'hr@10': 0.8039, 'ndcg@10': 0.6008 },
    source: 'Petrov & Macdonald, RecSys 2022 (bert4rec_repro)',
  },
  {
    dataset: 's3rec-beauty',
    family: 'bert4rec',
    protocol: 'leave-one-out, full ranking',
    metrics: { 'hr@5': 0.0203, 'ndcg@5': 0.0124, 'hr@10': 0.0347, 'ndcg@10': 0.017, 'hr@20': 0.0599, 'ndcg@20': 0.0233 },
    source: 'S3-Rec paper (Zhou et al. 2020), all_rank table',
  },
  {
    dataset: 's3rec-beauty',
    family: 'bert4rec',
    protocol: 'leave-one-out, 99 uniform negatives',
    metrics: { 'hr@1': 0.1531, 'hr@5': 0.364, 'ndcg@5': 0.2622, 'hr@10': 0.4739, 'ndcg@10': 0.2975, mrr: 0.2614 },
    source: 'S3-Rec paper (Zhou et al. 2020), sample_99 table',
  },
];

/** Published rows for a dataset and family (dataset names match loosely: 'beauty' finds 's3rec-beauty'). */
export function publishedFor(dataset: string | undefined, family: string | undefined): PublishedNumber[] {
  if (!dataset || !family) return [];
  const d = dataset.toLowerCase();
  return PUBLISHED.filter((p) => p.family === family.toLowerCase() && (p.dataset === d || p.dataset.endsWith(d) || d.endsWith(p.dataset)));
}
