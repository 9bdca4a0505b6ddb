import { join } from 'node:path';
import { EVENT_TYPES, type EventType } from '@cfm/core';
import type { Catalog } from './catalog';
import type { SimConfig } from './config';
import type { Customer } from './customers';
import { packStrings, TextFile, type FileStats, type PackedStrings } from './csv-file';

const C = 99; // 'c'
const S = 115; // 's'
import type { ImpressionRow, IncentiveRow, QueryRow, Sink } from './sink';
import { productLineName } from './catalog';

export const EVENT_COLUMNS = 'customer_id,item_id,ts,event_type,session_id,position,page,query,price';
export const USER_COLUMNS = 'customer_id,segment,age_group,activity';
export const IMPRESSION_COLUMNS = 'request_id,customer_id,ts,item_id,position,page,neighbour_categories,clicked,ordered';
export const QUERY_COLUMNS = 'query_id,session_id,customer_id,ts,query,results,clicked_item_id,clicked_position';
export const INCENTIVE_COLUMNS = 'offer_id,customer_id,ts,offer_type,product_line,cashback,clicked,converted,conversion_ts';

/** Streams every row kind to its CSV file. Strings for ids and prices are built once per item. */
export class CsvSink implements Sink {
  readonly files: Record<string, TextFile> = {};
  private readonly itemIds: string[];
  private readonly itemIdBytes: PackedStrings;
  private readonly priceBytes: PackedStrings;
  private readonly typeBytes: Record<string, PackedStrings> = {};
  private readonly events: TextFile;
  private readonly leafNames: string[];

  constructor(
    private readonly cat: Catalog,
    config: SimConfig,
    dir: string,
  ) {
    const hash = config.outputs.sha256;
    const open = (name: string, header: string) => (this.files[name] = new TextFile(join(dir, name), header, hash));
    open('events.csv', EVENT_COLUMNS);
    open('users.csv', USER_COLUMNS);
    if (config.outputs.impressions) {
      open('impressions.csv', IMPRESSION_COLUMNS);
      open('impressions_random.csv', IMPRESSION_COLUMNS);
    }
    if (config.outputs.queries) open('queries.csv', QUERY_COLUMNS);
    if (config.outputs.incentives) open('incentives.csv', INCENTIVE_COLUMNS);
    this.itemIds = Array.from({ length: cat.itemLeaf.length }, (_, i) => `i${i}`);
    this.itemIdBytes = packStrings(this.itemIds);
    this.priceBytes = packStrings(Array.from(cat.itemPrice, (p) => p.toFixed(2)));
    for (const t of EVENT_TYPES) this.typeBytes[t] = packStrings([t]);
    this.events = this.files['events.csv'];
    this.leafNames = cat.nodeNames[cat.nodeNames.length - 1];
  }

  customer(c: Customer): void {
    this.files['users.csv'].line(`${c.id},${c.labels.segment},${c.labels.age_group},${c.labels.activity}`);
  }

  event(c: Customer, item: number, ts: number, type: EventType, session: number, position: number, page: number, query: string): void {
    // customer_id,item_id,ts,event_type,session_id,position,page,query,price
    const w = this.events;
    w.room(128 + query.length * 3);
    w.byte(C);
    w.int(c.index);
    w.comma();
    w.packed(this.itemIdBytes, item);
    w.comma();
    w.int(ts);
    w.comma();
    w.packed(this.typeBytes[type], 0);
    w.comma();
    w.byte(S);
    w.int(session);
    w.comma();
    if (position) {
      w.int(position);
      w.comma();
      w.int(page);
    } else w.comma();
    w.comma();
    if (query) w.str(query);
    w.comma();
    w.packed(this.priceBytes, item);
    w.endLine();
  }

  impression(r: ImpressionRow): void {
    const file = this.files[r.randomized ? 'impressions_random.csv' : 'impressions.csv'];
    const near = r.neighbourLeaves.map((l) => this.leafNames[l]).join('|');
    file.line(`r${r.requestId},c${r.customer},${r.ts},${this.itemIds[r.item]},${r.position},${r.page},${near},${+r.clicked},${+r.ordered}`);
  }

  query(r: QueryRow): void {
    const results = r.results.map((i) => this.itemIds[i]).join('|');
    this.files['queries.csv'].line(
      `q${r.queryId},s${r.session},c${r.customer},${r.ts},${r.query},${results},${this.itemIds[r.clickedItem]},${r.clickedPosition}`,
    );
  }

  incentive(r: IncentiveRow): void {
    const conv = r.conversionTs >= 0 ? String(r.conversionTs) : '';
    this.files['incentives.csv'].line(
      `o${r.offerId},c${r.customer},${r.ts},${r.offerType},${productLineName(this.cat, r.productLine)},${r.cashback},${+r.clicked},${+r.converted},${conv}`,
    );
  }

  close(): Record<string, FileStats> {
    return Object.fromEntries(Object.entries(this.files).map(([name, f]) => [name, f.close()]));
  }

  abort(): void {
    for (const f of Object.values(this.files)) f.abort();
  }
}
