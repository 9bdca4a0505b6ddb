import type { Rng } from '@cfm/core';

const ONSETS = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'br', 'tr', 'st', 'kl', 'pl', 'sh'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ou'];
const CODAS = ['', '', 'n', 'r', 's', 'l', 'k'];

/** A pronounceable pseudo-word of 2–3 syllables (category, brand and title words). */
export function pseudoWord(rng: Rng): string {
  const syllables = 2 + rng.int(2);
  let w = '';
  for (let i = 0; i < syllables; i++) w += ONSETS[rng.int(ONSETS.length)] + VOWELS[rng.int(VOWELS.length)];
  return w + CODAS[rng.int(CODAS.length)];
}

/** n distinct pseudo-words (distinct from everything in `taken`, which is updated). */
export function distinctWords(rng: Rng, n: number, taken: Set<string>): string[] {
  const out: string[] = [];
  while (out.length < n) {
    const w = pseudoWord(rng);
    if (taken.has(w)) continue;
    taken.add(w);
    out.push(w);
  }
  return out;
}
