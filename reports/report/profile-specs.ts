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

export function stackedDeltaSpec(rows: StackRow[], order: string[], partTitle: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 560,
    height: { step: 26 },
    data: { values: rows },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'scenario', type: 'nominal', sort: order, title: null },
      x: { field: 'deltaUs', type: 'quantitative', stack: 'zero', title: 'added µs of instruction-time per exec, against the baseline' },
      color: { field: 'part', type: 'nominal', title: partTitle, scale: { scheme: 'tableau10' } },
      tooltip: [{ field: 'scenario' }, { field: 'part' }, { field: 'deltaUs', format: '+.2f', title: 'µs per exec' }],
    },
  } as TopLevelSpec;
}
