/**
 * Random variates drawn from a seeded Rng: standard normal (Box-Muller),
 * gamma with shape >= 1 (Marsaglia & Tsang 2000, "A simple method for generating
 * gamma variables") and beta (as G(a) / (G(a) + G(b))).
 */

import type { Rng } from '../../lib/prng.ts';

/** One standard normal variate (Box-Muller, cosine branch only). */
export function standardNormal(rng: Rng): number {
  const u1 = 1 - rng(); // in (0, 1], so the log is finite
  const u2 = rng();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** One Gamma(shape, 1) variate; shape must be >= 1. */
export function gamma(rng: Rng, shape: number): number {
  if (!(shape >= 1)) throw new Error(`gamma: shape must be >= 1, got ${shape}`);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** One Beta(a, b) variate; a and b must be >= 1. */
export function beta(rng: Rng, a: number, b: number): number {
  const x = gamma(rng, a);
  return x / (x + gamma(rng, b));
}
