/** From a PreparedDataset (`cfm train`): sessions of the train split and item attributes
 * (product-id vectors from co-occurrence in those sessions, category = mean of its items' vectors). */
import { assignSessions } from '@cfm/data';
import type { CustomerSequences, PreparedDataset, Vocabularies } from '@cfm/core';
import { categoryMeans, cooccurrenceVectors, type ItemAttributes } from './attributes';
import type { SessionHeadsConfig } from './config';
import type { AttributeSpec } from './model-types';
import { sessionsFromSequences, type SessionSet } from './sessions';

export function preparedSpecs(c: SessionHeadsConfig, itemFeatures: Record<string, Int32Array>): AttributeSpec[] {
  const specs: AttributeSpec[] = [{ name: 'id', kind: 'vector', dim: c.idDim }];
  if (itemFeatures.category1) specs.push({ name: 'category', kind: 'vector', dim: c.idDim });
  return specs;
}

export const buyTypeOf = (vocabs: Vocabularies): number => vocabs.type?.tokens.indexOf('purchase') ?? -1;

/** sessions of the train sequences; without a session index, @cfm/data's 30-minute inactivity rule */
export function preparedSessions(train: CustomerSequences, buyType: number): SessionSet {
  return sessionsFromSequences(train.sessions ? train : { ...train, sessions: assignSessions(train) }, buyType);
}

export function preparedAttributes(data: PreparedDataset, sessions: SessionSet, c: SessionHeadsConfig): ItemAttributes {
  const items = data.vocabs.item.tokens.length;
  const id = cooccurrenceVectors(sessions, items, { dim: c.idDim, window: c.cooccurrenceWindow, seed: c.seed });
  const attributes: ItemAttributes['attributes'] = [{ name: 'id', kind: 'vector', dim: c.idDim, values: id }];
  const cat = data.itemFeatures.category1;
  if (cat) attributes.push({ name: 'category', kind: 'vector', dim: c.idDim, values: categoryMeans(id, c.idDim, cat) });
  return { items, attributes };
}
