/** Model families by name. The CLI, pipeline and workflows look families up here; each family
 * package adds one line to `families`. */
import { CfmError, type ModelFamily } from '@cfm/core';
import { bert4rec } from '@cfm/model-bert4rec';
import { mcm } from '@cfm/model-mcm';
import { shopperbert } from '@cfm/model-shopperbert';
import { dmt } from '@cfm/model-dmt';
import { sessionHeads } from '@cfm/model-session-heads';
import { sasrec } from '@cfm/model-sasrec';

export const families = {
  bert4rec,
  mcm,
  shopperbert,
  dmt,
  'session-heads': sessionHeads,
  sasrec,
} as const satisfies Record<string, ModelFamily<unknown>>;

export type FamilyName = keyof typeof families;

export function getFamily(name: string): ModelFamily<unknown> {
  const f = (families as Record<string, ModelFamily<unknown>>)[name];
  if (!f)
    throw new CfmError('CFM_E_CONFIG', `unknown model family "${name}" (known: ${Object.keys(families).join(', ')})`, { field: 'model' });
  return f;
}

export function familyNames(): string[] {
  return Object.keys(families);
}
