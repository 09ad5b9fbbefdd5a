/**
 * The profile's plots (npm run profile): where each scenario's added time per
 * exec goes against its baseline, by task and by kind of code. Stacked bars:
 * a part that shrank stacks below zero, so a bar's net length is the sum.
 */
import type { TopLevelSpec } from 'vega-lite';

export interface StackRow {
  scenario: string;
  part: string;
  /** µs per exec, against the scenario's baseline. */
  deltaUs: number;
}

/**
 * Stacked bars of each scenario's added time by part; with `ticks`, a black
 * tick on each bar marks another figure on the same axis (the latency
 * overhead beside the CPU overhead the bar adds up to).
 */
export function stackedDeltaSpec(rows: StackRow[], order: string[], partTitle: string, ticks?: { rows: { scenario: string; deltaUs: number }[]; title: string }): TopLevelSpec {
  const y = { field: 'scenario', type: 'nominal', sort: order, title: null };
  const bars = {
    data: { values: rows },
    mark: { type: 'bar' },
    encoding: {
      y,
      x: { field: 'deltaUs', type: 'quantitative', stack: 'zero', title: 'added µs of instruction-time per exec, against the baseline' },
      color: { field: 'part', type: 'nominal', title: partTitle, scale: { scheme: 'tableau10' } },
      tooltip: [{ field: 'scenario' }, { field: 'part' }, { field: 'deltaUs', format: '+.2f', title: 'µs per exec' }],
    },
  };
  const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width: 560, height: { step: 26 } };
  if (!ticks) return { ...base, ...bars } as TopLevelSpec;
  const tick = {
    data: { values: ticks.rows.map((t) => ({ ...t, marker: ticks.title })) },
    mark: { type: 'tick', thickness: 3, size: 22 },
    encoding: {
      y,
      x: { field: 'deltaUs', type: 'quantitative' },
      // A tick takes no shape channel: its legend is a stroke of its own colour scale.
      stroke: { field: 'marker', type: 'nominal', title: null, scale: { range: ['black'] } },
      tooltip: [{ field: 'scenario' }, { field: 'marker', title: 'figure' }, { field: 'deltaUs', format: '+.2f', title: 'µs per exec' }],
    },
  };
  return { ...base, layer: [bars, tick] } as TopLevelSpec;
}
