import seedrandom from 'seedrandom';

/** A seeded random stream (alea from seedrandom). Same seed → same sequence on every machine. */
export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
  /** integer in [0, n) */
  int(n: number): number;
  /** standard normal (Box-Muller) */
  normal(): number;
  /** Fisher-Yates shuffle in place */
  shuffle<T>(xs: T[]): T[];
  /** an independent child stream, derived deterministically from this one and a label */
  fork(label: string): Rng;
}

export function createRng(seed: number | string): Rng {
  const base = String(seed);
  const prng = seedrandom.alea(base);
  const rng: Rng = {
    next: () => prng(),
    int: (n) => Math.floor(prng() * n),
    normal: () => {
      const u = 1 - prng();
      const v = prng();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    shuffle: (xs) => {
      for (let i = xs.length - 1; i > 0; i--) {
        const j = Math.floor(prng() * (i + 1));
        const t = xs[i];
        xs[i] = xs[j];
        xs[j] = t;
      }
      return xs;
    },
    fork: (label) => createRng(`${base}/${label}`),
  };
  return rng;
}
