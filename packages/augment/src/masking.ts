import { CLS, CfmError, MASK, PAD, RESERVED_IDS } from '@cfm/core';
import type { Rng } from '@cfm/core';

/** What happened at each position: 0 untouched, 1 → [MASK], 2 → random token, 3 chosen but unchanged. */
export const KEEP = 0,
  MASKED = 1,
  RANDOMIZED = 2,
  UNCHANGED = 3;

export interface MaskOptions {
  /** share of eligible tokens chosen, default 0.15 */
  rate?: number;
  /** of the chosen: share replaced by [MASK] (0.8) and by a random token (0.1); the rest stay */
  maskShare?: number;
  randomShare?: number;
  /** random replacements are drawn from [firstRandomId, vocabSize) */
  vocabSize: number;
  firstRandomId?: number;
  maskId?: number;
  /** ids never chosen, default PAD and CLS */
  protectedIds?: number[];
}

export interface Masked {
  /** the model input, same shape as the tokens */
  inputs: Int32Array;
  /** original id at chosen positions, 0 (PAD, ignored by the loss) elsewhere */
  labels: Int32Array;
  /** per position: KEEP | MASKED | RANDOMIZED | UNCHANGED, to mask aligned feature arrays the same way */
  decisions: Uint8Array;
}

/** BERT masking (Devlin et al.; BERT4Rec; ShopperBERT MPP): choose max(1, round(rate × eligible))
 * positions uniformly without replacement (an exact count, as BERT's data builder does, so that every
 * non-empty sequence has a label), then [MASK] 80 %, random 10 %, unchanged 10 %. */
export function maskTokens(tokens: Int32Array, rng: Rng, opts: MaskOptions): Masked {
  const { rate = 0.15, maskShare = 0.8, randomShare = 0.1, vocabSize, firstRandomId = RESERVED_IDS, maskId = MASK } = opts;
  if (!(vocabSize > firstRandomId))
    throw new CfmError('CFM_E_CONFIG', `vocabSize ${vocabSize} leaves no id to draw at or above ${firstRandomId}`, { field: 'vocabSize' });
  if (!(rate >= 0 && rate <= 1 && maskShare + randomShare <= 1))
    throw new CfmError('CFM_E_CONFIG', `rate must be in [0, 1] and maskShare + randomShare <= 1`, { field: 'rate' });
  const protectedIds = opts.protectedIds ?? [PAD, CLS];
  const eligible: number[] = [];
  for (let i = 0; i < tokens.length; i++) if (!protectedIds.includes(tokens[i])) eligible.push(i);
  const decisions = new Uint8Array(tokens.length);
  const inputs = Int32Array.from(tokens);
  const labels = new Int32Array(tokens.length);
  if (eligible.length === 0 || rate === 0) return { inputs, labels, decisions };
  const count = Math.max(1, Math.round(rate * eligible.length));
  // partial Fisher-Yates: the first `count` of a shuffled eligible list
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(eligible.length - i);
    const t = eligible[i];
    eligible[i] = eligible[j];
    eligible[j] = t;
    const p = eligible[i];
    labels[p] = tokens[p];
    const u = rng.next();
    if (u < maskShare) {
      decisions[p] = MASKED;
      inputs[p] = maskId;
    } else if (u < maskShare + randomShare) {
      decisions[p] = RANDOMIZED;
      inputs[p] = firstRandomId + rng.int(vocabSize - firstRandomId);
    } else decisions[p] = UNCHANGED;
  }
  return { inputs, labels, decisions };
}

/** Applies the same decisions to an aligned feature array (e.g. category ids for ShopperBERT's MPP
 * sub-tasks): [MASK] where the item was masked, a random id where it was randomized. */
export function maskAligned(
  values: Int32Array,
  decisions: Uint8Array,
  rng: Rng,
  opts: { vocabSize: number; firstRandomId?: number; maskId?: number },
): Omit<Masked, 'decisions'> {
  const { vocabSize, firstRandomId = RESERVED_IDS, maskId = MASK } = opts;
  const inputs = Int32Array.from(values);
  const labels = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const d = decisions[i];
    if (d === KEEP) continue;
    labels[i] = values[i];
    if (d === MASKED) inputs[i] = maskId;
    else if (d === RANDOMIZED) inputs[i] = firstRandomId + rng.int(vocabSize - firstRandomId);
  }
  return { inputs, labels };
}

/** Masks every row of a padded row-major batch [rows, maxLen] independently (PAD is never chosen). */
export function maskBatch(items: Int32Array, maxLen: number, rng: Rng, opts: MaskOptions): Masked {
  const inputs = new Int32Array(items.length);
  const labels = new Int32Array(items.length);
  const decisions = new Uint8Array(items.length);
  for (let off = 0; off < items.length; off += maxLen) {
    const m = maskTokens(items.subarray(off, off + maxLen), rng, opts);
    inputs.set(m.inputs, off);
    labels.set(m.labels, off);
    decisions.set(m.decisions, off);
  }
  return { inputs, labels, decisions };
}
