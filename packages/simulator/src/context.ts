import type { Rng } from '@cfm/core';
import type { EventType } from '@cfm/core';
import type { Catalog } from './catalog';
import type { SimConfig } from './config';
import type { Customer } from './customers';
import type { Calendar } from './seasonality';
import type { Sink } from './sink';

/** Shared generator state. `remaining` caps the total events (targetEvents); counters number ids. */
export interface SimContext {
  config: SimConfig;
  cat: Catalog;
  cal: Calendar;
  sink: Sink;
  rng: Rng;
  endMs: number;
  remaining: number;
  events: number;
  sessions: number;
  requests: number;
  queries: number;
  offers: number;
}

/** Per-customer state while their sessions are generated. */
export interface CustomerState {
  c: Customer;
  /** first purchase time per product line (Infinity = never) */
  firstPurchase: Float64Array;
}

/** Emit one event unless the event budget is spent. */
export function emit(
  ctx: SimContext,
  s: CustomerState,
  item: number,
  ts: number,
  type: EventType,
  session: number,
  position = 0,
  page = 0,
  query = '',
): boolean {
  if (ctx.remaining <= 0) return false;
  ctx.remaining--;
  ctx.events++;
  ctx.sink.event(s.c, item, ts, type, session, position, page, query);
  return true;
}
