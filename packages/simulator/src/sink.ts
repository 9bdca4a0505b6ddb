import type { EventType } from '@cfm/core';
import type { Customer } from './customers';

/** One logged item of a feed request (DMT). `relevance` is the latent affinity (truth; not written to CSV). */
export interface ImpressionRow {
  requestId: number;
  customer: number;
  ts: number;
  item: number;
  position: number;
  page: number;
  /** leaf categories of the K nearest neighbours in the list, above first */
  neighbourLeaves: number[];
  clicked: boolean;
  ordered: boolean;
  relevance: number;
  randomized: boolean;
}

export interface QueryRow {
  queryId: number;
  session: number;
  customer: number;
  ts: number;
  query: string;
  /** non-personal ranking, best first */
  results: number[];
  /** latent affinity of each result (truth; not written to CSV) */
  relevance: number[];
  clickedItem: number;
  /** 1-based */
  clickedPosition: number;
}

export interface IncentiveRow {
  offerId: number;
  customer: number;
  ts: number;
  offerType: 'new_line' | 'repeat_line';
  productLine: number;
  cashback: number;
  clicked: boolean;
  converted: boolean;
  /** epoch ms, or -1 */
  conversionTs: number;
  /** latent customer–line affinity (truth; not written to CSV) */
  affinity: number;
}

/** Where the generator sends rows: CSV files (streaming) or arrays (small runs). */
export interface Sink {
  customer(c: Customer): void;
  /** position / page 0 = absent, query '' = absent; price is the item's catalogue price */
  event(
    customer: Customer,
    item: number,
    ts: number,
    type: EventType,
    session: number,
    position: number,
    page: number,
    query: string,
  ): void;
  impression(row: ImpressionRow): void;
  query(row: QueryRow): void;
  incentive(row: IncentiveRow): void;
}
