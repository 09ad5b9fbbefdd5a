import type { TopLevelSpec } from 'vega-lite';

/** A measured sample as the plots see it. */
export interface PlotSample {
  scenario: string;
  boot: number;
  /** Position in the run, warm-up first. */
  order: number;
  warmup: boolean;
  us: number;
}

const WIDTH = 640;

function scenarioColor(order: string[]) {
  return { field: 'scenario', type: 'nominal' as const, sort: order, scale: { scheme: 'tableau10' }, title: 'scenario' };
}

/** The talk's figure: the distribution of the per-sample averages, one curve per scenario, one axis. */
export function distributionSpec(samples: PlotSample[], order: string[], unitLabel: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Distribution of the per-sample average exec time',
    width: WIDTH,
    height: 260,
    data: { values: samples.filter((s) => !s.warmup) },
    transform: [{ density: 'us', groupby: ['scenario'], as: ['us', 'density'] }],
    mark: { type: 'area', opacity: 0.45, line: true },
    encoding: {
      x: { field: 'us', type: 'quantitative', title: `µs per exec (${unitLabel})`, scale: { zero: false } },
      y: { field: 'density', type: 'quantitative', title: 'density', stack: null },
      color: scenarioColor(order),
    },
  };
}
