import { z } from 'zod';

/** Event (token) types across the four papers: MCM purchase/click/high-value action,
 * Taobao pv/cart/fav/buy, MeLi view/buy, DMT click/cart/order. */
export const EVENT_TYPES = ['view', 'click', 'cart', 'purchase', 'favourite', 'high_value'] as const;
export const EventType = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventType>;

const Id = z.string().trim().min(1, 'empty id');

/** One interaction. `ts` is epoch milliseconds (UTC). */
export const Event = z.object({
  customerId: Id.describe('customer (user) id'),
  itemId: Id.describe('item (product) id'),
  ts: z
    .number()
    .int()
    .min(0)
    .max(Date.UTC(2100, 0, 1))
    .describe('event time, epoch ms UTC'),
  type: EventType.describe('event / token type'),
  sessionId: Id.optional().describe('session id when the source has one'),
  position: z.number().int().min(0).optional().describe('rank of the item in the impression list'),
  page: z.number().int().min(0).optional().describe('page index of the impression'),
  query: z.string().optional().describe('search query text'),
  price: z.number().nonnegative().optional().describe('price paid / shown'),
});
export type Event = z.infer<typeof Event>;

/** Catalogue entry. `categories` is the category path, most general first, up to 4 levels. */
export const Item = z.object({
  itemId: Id,
  categories: z.array(z.string()).max(4).default([]).describe('category path, up to 4 levels'),
  productLine: z.string().optional(),
  brand: z.string().optional(),
  price: z.number().nonnegative().optional(),
  title: z.string().optional(),
  textEmbedding: z.array(z.number()).optional().describe('pre-computed text vector'),
});
export type Item = z.infer<typeof Item>;

export const User = z.object({
  customerId: Id,
  labels: z
    .record(z.string(), z.union([z.string(), z.number()]))
    .default({})
    .describe('e.g. gender, age'),
});
export type User = z.infer<typeof User>;

/** Reserved vocabulary ids shared by every vocabulary. */
export const PAD = 0;
export const MASK = 1;
export const CLS = 2;
export const OOV = 3;
export const RESERVED_IDS = 4;
export const RESERVED_TOKENS = ['[PAD]', '[MASK]', '[CLS]', '[OOV]'] as const;
