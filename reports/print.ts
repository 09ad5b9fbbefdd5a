import { verdictText, type Summary } from './summary.ts';

/**
 * The summary as a plain-text table for the terminal, with its notes below:
 * each scenario's CPU cost with its interval (over boots where they drew
 * their layouts, see summary.ts), the spread of its boots, and its overhead;
 * then its exec latency and that overhead (reports/latency.ts).
 */
export function printSummary(s: Summary): string {
  const head = ['scenario', 'kernel', 'boots x n', 'cpu µs', '95 % CI', 'between boots', `vs ${s.baseline}`, '95 % CI', 'verdict', 'latency µs', `vs ${s.baseline}`, '95 % CI', 'verdict', 'events logged/expected', 'lost'];
  const signed = (p: number) => `${p >= 0 ? '+' : ''}${p.toFixed(2)}`;
  const latency = (c: Summary['scenarios'][number]) => {
    const l = c.latency;
    if (!l) return ['not measured', '', '', ''];
    if (!l.overhead) return [(l.centre.ns / 1000).toFixed(2), 'baseline', '', ''];
    return [(l.centre.ns / 1000).toFixed(2), `${signed(l.overhead.pct)} %`, `[${signed(l.overhead.ci95_pct[0])}, ${signed(l.overhead.ci95_pct[1])}] %`, verdictText(l.overhead)];
  };
  const rows = s.scenarios.map((c) => [
    c.name,
    c.kernel,
    `${c.boots} x ${c.samples_per_boot}`,
    (c.centre.ns / 1000).toFixed(2),
    c.centre.ci95_ns[0] === null || c.centre.ci95_ns[1] === null ? 'unbounded' : `[${(c.centre.ci95_ns[0] / 1000).toFixed(2)}, ${(c.centre.ci95_ns[1] / 1000).toFixed(2)}]`,
    c.between_boot.sd_pct === null ? '' : `sd ${c.between_boot.sd_pct.toFixed(2)} %`,
    c.overhead === null ? 'baseline' : `${signed(c.overhead.pct)} %${c.overhead.against && c.overhead.against !== s.baseline ? ` vs ${c.overhead.against}` : ''}`,
    c.overhead === null ? '' : `[${signed(c.overhead.ci95_pct[0])}, ${signed(c.overhead.ci95_pct[1])}] %`,
    c.overhead === null ? '' : verdictText(c.overhead),
    ...latency(c),
    `${c.events.logged}/${c.events.expected}${c.events.ok ? '' : ' MISMATCH'}`,
    c.events.lost === null ? 'unknown' : String(c.events.lost),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const left = new Set([0, 1, 8, 12]);
  const line = (cells: string[]) => cells.map((c, i) => (left.has(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const notes = s.notes.length ? `\nnotes:\n${s.notes.map((n) => `  - ${n}`).join('\n')}\n` : '';
  return `${s.mode} mode, unit: ${s.unit}\n${line(head)}\n${rows.map(line).join('\n')}\n${notes}`;
}
