/**
 * Small seeded pseudo-random number generator: mulberry32 (Tommy Ettinger's
 * 32-bit-state generator, public domain). Not cryptographic and with a period of
 * 2^32, which is plenty for bootstrap resampling; chosen because it is a few lines
 * of integer arithmetic that give bit-identical streams on every JS engine.
 */

/** A generator of uniform numbers in [0, 1) with 32 bits of resolution. */
export type Rng = () => number;

/** mulberry32 seeded with the low 32 bits of `seed`. */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniformly random order of a copy of xs (Fisher-Yates). */
export function shuffled<T>(xs: readonly T[], rng: Rng): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
