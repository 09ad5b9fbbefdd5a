/** Number formats shared by the report's tables and sentences (plain ASCII, so copied cells paste as numbers). */

/** ns as µs with `digits` decimals. */
export function us(ns: number, digits = 2): string {
  return (ns / 1000).toFixed(digits);
}

/** A percentage with its sign: "+5.44 %", "-0.12 %". */
export function signedPct(pct: number, digits = 2): string {
  const text = pct.toFixed(digits);
  return `${pct >= 0 && !text.startsWith('-') ? '+' : ''}${text} %`;
}

/** A signed percentage without the unit, for intervals: "+5.44". */
function signed(pct: number, digits: number): string {
  const text = pct.toFixed(digits);
  return `${pct >= 0 && !text.startsWith('-') ? '+' : ''}${text}`;
}

/** An interval of percentages: "[+5.12, +5.80] %". */
export function pctInterval([lo, hi]: readonly [number, number], digits = 2): string {
  return `[${signed(lo, digits)}, ${signed(hi, digits)}] %`;
}

/** An interval of ns as µs; a null bound is unbounded: "[-inf, 208.80]". */
export function usInterval([lo, hi]: readonly [number | null, number | null], digits = 2): string {
  return `[${lo === null ? '-inf' : us(lo, digits)}, ${hi === null ? '+inf' : us(hi, digits)}]`;
}

/** A p-value: two significant digits, "<0.0001" below that. */
export function pValue(p: number): string {
  if (p < 1e-4) return '<0.0001';
  return p >= 0.1 ? p.toFixed(2) : p.toPrecision(2);
}

/** How an overhead's interval was made, in words (summary.ts, OverheadMethod). */
export function methodText(method: string): string {
  if (method === 'paired-t') return 'paired by seed: geometric mean of the per-seed ratios of boot medians, t interval over the pairs';
  if (method === 'welch-t') return 'ratio of the geometric means of boot medians, Welch t interval over the boots';
  return 'within one layout: ratio of pooled medians, bootstrap interval over the samples, which does not cover the layout';
}

export { verdictText } from '../summary.ts';

/** The CSS class of a verdict's cell: slower, faster, or none (equivalent or inconclusive). */
export function verdictClass(verdict: string): 'slower' | 'faster' | 'none' {
  return verdict === 'slower' ? 'slower' : verdict === 'faster' ? 'faster' : 'none';
}
