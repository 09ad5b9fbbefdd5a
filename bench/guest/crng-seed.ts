import { createHash } from 'node:crypto';

/**
 * The 32 bytes a random-layout boot credits to its kernel's CRNG
 * (workloads/seedrng.c), derived from the boot's seed: sha256 of
 * "krsi-bench crng seed <seed>", as 64 hex digits. The derivation is part of
 * the method: changing it changes every boot's layout, so it is pinned by a
 * test.
 */
export function crngSeedHex(seed: number): string {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`crngSeedHex: seed must be a whole number >= 0, got ${seed}`);
  return createHash('sha256').update(`krsi-bench crng seed ${seed}`).digest('hex');
}
