import type { Event, EventType, User } from '@cfm/core';
import { productLineName, type Catalog } from './catalog';
import type { Customer } from './customers';
import type { ImpressionRow, IncentiveRow, QueryRow, Sink } from './sink';

export interface Impression {
  requestId: string;
  customerId: string;
  ts: number;
  itemId: string;
  position: number;
  page: number;
  neighbourCategories: string[];
  clicked: boolean;
  ordered: boolean;
  /** latent affinity (truth, not in the CSV) */
  relevance: number;
}

export interface SearchQuery {
  queryId: string;
  sessionId: string;
  customerId: string;
  ts: number;
  query: string;
  results: string[];
  /** latent affinity of each result (truth, not in the CSV) */
  relevance: number[];
  clickedItemId: string;
  clickedPosition: number;
}

export interface IncentiveOffer {
  offerId: string;
  customerId: string;
  ts: number;
  offerType: 'new_line' | 'repeat_line';
  productLine: string;
  cashback: number;
  clicked: boolean;
  converted: boolean;
  conversionTs?: number;
  /** latent customer–line affinity (truth, not in the CSV) */
  affinity: number;
}

/** Collects rows as objects (contract Event / User shapes) for small in-memory runs. */
export class MemorySink implements Sink {
  readonly users: User[] = [];
  readonly events: Event[] = [];
  readonly impressions: Impression[] = [];
  readonly randomImpressions: Impression[] = [];
  readonly queries: SearchQuery[] = [];
  readonly incentives: IncentiveOffer[] = [];

  constructor(private readonly cat: Catalog) {}

  customer(c: Customer): void {
    this.users.push({ customerId: c.id, labels: { ...c.labels } });
  }

  event(c: Customer, item: number, ts: number, type: EventType, session: number, position: number, page: number, query: string): void {
    const e: Event = { customerId: c.id, itemId: `i${item}`, ts, type, sessionId: `s${session}`, price: this.cat.itemPrice[item] };
    if (position) Object.assign(e, { position, page });
    if (query) e.query = query;
    this.events.push(e);
  }

  impression(r: ImpressionRow): void {
    const leafNames = this.cat.nodeNames[this.cat.nodeNames.length - 1];
    (r.randomized ? this.randomImpressions : this.impressions).push({
      requestId: `r${r.requestId}`,
      customerId: `c${r.customer}`,
      ts: r.ts,
      itemId: `i${r.item}`,
      position: r.position,
      page: r.page,
      neighbourCategories: r.neighbourLeaves.map((l) => leafNames[l]),
      clicked: r.clicked,
      ordered: r.ordered,
      relevance: r.relevance,
    });
  }

  query(r: QueryRow): void {
    this.queries.push({
      queryId: `q${r.queryId}`,
      sessionId: `s${r.session}`,
      customerId: `c${r.customer}`,
      ts: r.ts,
      query: r.query,
      results: r.results.map((i) => `i${i}`),
      relevance: r.relevance,
      clickedItemId: `i${r.clickedItem}`,
      clickedPosition: r.clickedPosition,
    });
  }

  incentive(r: IncentiveRow): void {
    this.incentives.push({
      offerId: `o${r.offerId}`,
      customerId: `c${r.customer}`,
      ts: r.ts,
      offerType: r.offerType,
      productLine: productLineName(this.cat, r.productLine),
      cashback: r.cashback,
      clicked: r.clicked,
      converted: r.converted,
      ...(r.conversionTs >= 0 ? { conversionTs: r.conversionTs } : {}),
      affinity: r.affinity,
    });
  }
}
