/**
 * Input checks shared by the statistics functions: every function refuses empty
 * input and non-finite values up front with a plain Error, so a bad sample never
 * turns into a silent NaN in a report. Callers wrap the Error in their own type.
 */

/** Throws unless `xs` is a non-empty array of finite numbers; `what` names it in the message. */
export function assertSamples(what: string, xs: readonly number[]): void {
  if (!Array.isArray(xs)) throw new Error(`${what}: expected an array of numbers`);
  if (xs.length === 0) throw new Error(`${what}: no samples (empty array)`);
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new Error(`${what}: sample ${i} is ${String(x)}; samples must be finite numbers`);
    }
  }
}

/** Throws unless every sample is > 0 (ratios of medians need a positive denominator). */
export function assertPositive(what: string, xs: readonly number[]): void {
  assertSamples(what, xs);
  const i = xs.findIndex((x) => x <= 0);
  if (i >= 0) throw new Error(`${what}: sample ${i} is ${xs[i]}; samples must be > 0`);
}

/** Throws unless 0 < level < 1. */
export function assertLevel(what: string, level: number): void {
  if (!(level > 0 && level < 1)) throw new Error(`${what} must be strictly between 0 and 1, got ${level}`);
}
