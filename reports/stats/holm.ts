/**
 * Holm-Bonferroni step-down adjustment of p-values, as R's
 * p.adjust(p, method = "holm") and statsmodels' multipletests(method="holm"):
 * with p sorted ascending, adjusted p(i) = max over j <= i of min(1, (m - j + 1) p(j))
 * (1-based), returned in the input order. Compare each adjusted value to alpha.
 */

/** Holm-adjusted p-values in the order given; monotone in the raw p-values and capped at 1. */
export function holmBonferroni(pValues: readonly number[]): number[] {
  pValues.forEach((p, i) => {
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new Error(`holmBonferroni: p-value ${i} is ${String(p)}; p-values must be in [0, 1]`);
    }
  });
  const m = pValues.length;
  const order = pValues.map((_, i) => i).sort((x, y) => (pValues[x] as number) - (pValues[y] as number));
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach((index, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * (pValues[index] as number)));
    adjusted[index] = running;
  });
  return adjusted;
}
