import type { Summary } from './summary.ts';

/** The summary as a plain-text table for the terminal. */
export function printSummary(s: Summary): string {
  const head = ['scenario', 'kernel', 'n', 'median µs', 'p5 µs', 'p95 µs', `vs ${s.baseline}`, 'events logged/expected', 'lost'];
  const rows = s.scenarios.map((c) => [
    c.name,
    c.kernel,
    String(c.n),
    (c.median_ns / 1000).toFixed(1),
    (c.p5_ns / 1000).toFixed(1),
    (c.p95_ns / 1000).toFixed(1),
    c.overhead_pct === null ? 'baseline' : `${c.overhead_pct >= 0 ? '+' : ''}${c.overhead_pct.toFixed(2)} %`,
    `${c.events.logged}/${c.events.expected}${c.events.ok ? '' : ' MISMATCH'}`,
    String(c.events.lost),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return `${s.mode} mode, unit: ${s.unit}\n${line(head)}\n${rows.map(line).join('\n')}\n`;
}
