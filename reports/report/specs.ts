/**
 * Vega-Lite specs of the report's plots. Each builder takes rows already aggregated
 * by plot-data.ts, so a spec holds a few hundred rows per scenario whatever the run's
 * size. Data values (scenario names) only ever appear as data, never inside Vega
 * expressions: filters are field predicates.
 */

import type { TopLevelSpec } from 'vega-lite';
import type { BootMedianRow, BoxRow, DensityPoint, EcdfPoint, ForestRow, RunOrderRow, StripPoint } from './plot-data.ts';

export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
export const WIDTH = 720;

/** Tableau 10, then Tableau 20's lighter shades: one colour per scenario, the same in every plot. */
const PALETTE = [
  '#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac',
  '#9ecae9', '#ffbf79', '#ff9d98', '#88d27a', '#83bcb6', '#f2cf5b', '#d6a5c9', '#fcbfd2', '#d8b5a5', '#79706e',
];

/** The colour of each scenario, in `order`. */
export function scenarioColors(order: string[]): string[] {
  return order.map((_, i) => PALETTE[i % PALETTE.length]!);
}

/** Scenarios a legend lists in one column; more go below the plot in columns of this many. */
const LEGEND_ROWS = 20;

/**
 * Colour by scenario, always with its legend: every plot names its colours, even where an axis
 * names the rows too. Vega-Lite drops a legend's entries past 30 unless told otherwise: every
 * scenario is listed.
 */
function color(order: string[]) {
  const columns = Math.ceil(order.length / LEGEND_ROWS);
  return {
    field: 'scenario',
    type: 'nominal' as const,
    title: 'scenario',
    scale: { domain: order, range: scenarioColors(order) },
    legend: { symbolLimit: order.length, ...(columns > 1 && { orient: 'bottom' as const, direction: 'vertical' as const, columns }) },
  };
}

/** What the axes call the unit: "µs per exec (instruction-time)". */
export type UnitLabel = string;

/**
 * The talk's figure: each scenario's samples as a kernel density, all on one axis,
 * with a strip of the samples (or of their quantiles) below it, which shows
 * something even where a curve is a spike or a scenario has three samples.
 */
export function distributionSpec(curves: DensityPoint[], strip: StripPoint[], order: string[], unit: UnitLabel): TopLevelSpec {
  const x = { field: 'us', type: 'quantitative' as const, scale: { zero: false }, title: unit };
  return {
    $schema: SCHEMA,
    resolve: { scale: { x: 'shared' } },
    vconcat: [
      {
        width: WIDTH,
        height: 240,
        data: { values: curves },
        mark: { type: 'area', opacity: 0.35, line: { strokeWidth: 1.5 }, interpolate: 'monotone' },
        encoding: {
          x: { ...x, axis: { title: null } },
          y: { field: 'density', type: 'quantitative', stack: null, title: 'density (per µs)' },
          color: color(order),
        },
      },
      {
        width: WIDTH,
        data: { values: strip },
        mark: { type: 'tick', thickness: 1.5, opacity: 0.8 },
        encoding: {
          x,
          y: { field: 'scenario', type: 'nominal', sort: order, title: null },
          color: color(order),
        },
      },
    ],
  } as TopLevelSpec;
}

/** Empirical CDF per scenario, as steps, on one axis. */
export function ecdfSpec(points: EcdfPoint[], order: string[], unit: UnitLabel): TopLevelSpec {
  return {
    $schema: SCHEMA,
    width: WIDTH,
    height: 260,
    data: { values: points },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'us', type: 'quantitative', scale: { zero: false }, title: unit },
      y: { field: 'fraction', type: 'quantitative', scale: { domain: [0, 1] }, title: 'fraction of samples ≤ x' },
      color: color(order),
    },
  } as TopLevelSpec;
}

/**
 * Box plots, one row per scenario with its own x scale: in instruction-time the
 * spread of a scenario is far smaller than the gaps between scenarios, and on a
 * shared axis every box would be a line.
 */
export function boxSpec(rows: BoxRow[], order: string[], unit: UnitLabel): TopLevelSpec {
  // a long title on every row's axis would crowd the rows; the unit goes in the chart's title
  const title = 'µs';
  const isBox = { filter: { field: 'kind', equal: 'box' } };
  const q = (field: string) => ({ field, type: 'quantitative' as const, title, scale: { zero: false } });
  return {
    $schema: SCHEMA,
    title: { text: `${unit}, own scale per row`, orient: 'bottom', fontSize: 11, fontWeight: 'normal' },
    data: { values: rows },
    facet: { row: { field: 'scenario', type: 'nominal', sort: order, header: { labelAngle: 0, labelAlign: 'left', title: null } } },
    spec: {
      width: WIDTH - 120,
      height: 26,
      layer: [
        { transform: [isBox], mark: { type: 'rule', color: '#555' }, encoding: { x: q('lo'), x2: { field: 'hi' } } },
        { transform: [isBox], mark: { type: 'bar', height: 16, stroke: '#333', strokeWidth: 0.5 }, encoding: { x: q('q1'), x2: { field: 'q3' }, color: color(order) } },
        { transform: [isBox], mark: { type: 'tick', color: '#000', thickness: 2, size: 18 }, encoding: { x: q('median') } },
        { transform: [{ filter: { field: 'kind', equal: 'outlier' } }], mark: { type: 'point', size: 18, color: '#333' }, encoding: { x: q('us') } },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  } as TopLevelSpec;
}

/**
 * The samples in the order they were taken, one row per scenario with its own y
 * scale: warm-up samples as open triangles, measured samples joined per boot;
 * long boots as per-bin median lines within min-max bands.
 */
export function runOrderSpec(rows: RunOrderRow[], order: string[], unit: UnitLabel): TopLevelSpec {
  const x = { field: 'index', type: 'quantitative' as const, title: 'sample index within its boot (warm-up first)', axis: { tickMinStep: 1 } };
  // a rotated title longer than a row is tall would set the rows apart; the unit goes in the chart's title
  const y = { field: 'us', type: 'quantitative' as const, scale: { zero: false }, title: 'µs' };
  const measured = { filter: { field: 'phase', equal: 'measured' } };
  return {
    $schema: SCHEMA,
    title: { text: `${unit}, own scale per row`, anchor: 'start', fontSize: 11, fontWeight: 'normal' },
    data: { values: rows },
    facet: { row: { field: 'scenario', type: 'nominal', sort: order, header: { labelAngle: 0, labelAlign: 'left', title: null } } },
    spec: {
      width: WIDTH - 120,
      height: 90,
      layer: [
        {
          transform: [measured, { filter: { field: 'binned', equal: true } }],
          mark: { type: 'area', opacity: 0.25 },
          encoding: { x, y: { ...y, field: 'min' }, y2: { field: 'max' }, color: color(order), detail: { field: 'boot', type: 'nominal' } },
        },
        {
          transform: [measured],
          mark: { type: 'line', strokeWidth: 1 },
          encoding: { x, y, color: color(order), detail: { field: 'boot', type: 'nominal' } },
        },
        {
          transform: [{ filter: { field: 'binned', equal: false } }],
          mark: { type: 'point', size: 24, filled: false, strokeWidth: 1.2 },
          encoding: {
            x,
            y,
            color: color(order),
            shape: { field: 'phase', type: 'nominal', title: 'sample', scale: { domain: ['warm-up', 'measured'], range: ['triangle-up', 'circle'] } },
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

/** Overhead of each scenario against the baseline with its 95 % bootstrap interval, and a rule at 0. */
export function forestSpec(rows: ForestRow[], order: string[], baseline: string): TopLevelSpec {
  const y = { field: 'scenario', type: 'nominal' as const, sort: order.filter((n) => rows.some((r) => r.scenario === n)), title: null };
  const x = { type: 'quantitative' as const, title: `overhead vs ${baseline} (%), median ratio with 95 % CI`, scale: { zero: true } };
  return {
    $schema: SCHEMA,
    width: WIDTH - 120,
    height: { step: 28 },
    layer: [
      { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: '#888', strokeDash: [4, 3] }, encoding: { x: { ...x, field: 'zero' } } },
      {
        data: { values: rows },
        layer: [
          { mark: { type: 'rule', strokeWidth: 2 }, encoding: { x: { ...x, field: 'lo' }, x2: { field: 'hi' }, y, color: color(order) } },
          { mark: { type: 'point', filled: true, size: 70 }, encoding: { x: { ...x, field: 'pct' }, y, color: color(order) } },
          { mark: { type: 'text', align: 'left', dx: 8, fontSize: 11 }, encoding: { x: { ...x, field: 'hi' }, y, text: { field: 'label' } } },
        ],
      },
    ],
  } as TopLevelSpec;
}

/**
 * Each boot's median per scenario, one point per boot; the boots of one seed
 * are joined by a thin line across the scenarios of one kernel, which share
 * that seed's kernel layout. Boots not in steady state are drawn as crosses.
 */
export function bootMediansSpec(rows: BootMedianRow[], order: string[], unit: UnitLabel): TopLevelSpec {
  const x = { field: 'scenario', type: 'nominal' as const, sort: order, title: null, axis: { labelAngle: -20 } };
  const y = { field: 'us', type: 'quantitative' as const, scale: { zero: false }, title: unit };
  return {
    $schema: SCHEMA,
    width: WIDTH - 120,
    height: 260,
    data: { values: rows },
    layer: [
      {
        transform: [{ filter: 'datum.pair != null' }],
        mark: { type: 'line', strokeWidth: 0.8, opacity: 0.45, color: '#888' },
        encoding: { x, y, detail: { field: 'pair', type: 'nominal' } },
      },
      {
        mark: { type: 'point', filled: true, size: 40, opacity: 0.9 },
        encoding: {
          x, y, color: color(order),
          shape: { field: 'steady', type: 'nominal', title: 'steady state', scale: { domain: ['yes', 'no', 'not tested'], range: ['circle', 'cross', 'square'] } },
          tooltip: [{ field: 'scenario' }, { field: 'seed' }, { field: 'us', format: '.3f' }],
        },
      },
    ],
  } as TopLevelSpec;
}
