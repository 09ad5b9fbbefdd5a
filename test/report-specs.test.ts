// Each spec, run through Vega, draws the marks its data calls for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { boxRows, densities, ecdfPoints, forestRows, runOrderRows, stripPoints, type ScenarioSamples } from '../reports/report/plot-data.ts';
import { renderSvg, scopeSvgIds } from '../reports/report/render.ts';
import { boxSpec, distributionSpec, ecdfSpec, forestSpec, runOrderSpec, scenarioColors } from '../reports/report/specs.ts';
import type { Summary } from '../reports/summary.ts';

interface Drawn { marktype: string; count: number; fills: Set<string> }

/** Items of the data marks (role "mark": no axes, legends or titles), by mark type. */
async function dataMarks(spec: TopLevelSpec): Promise<Record<string, Drawn>> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  await view.runAsync();
  const out: Record<string, Drawn> = {};
  type Node = { marktype?: string; role?: string; items?: Node[]; fill?: string; stroke?: string };
  const walk = (mark: Node) => {
    if (mark.marktype && mark.role === 'mark' && mark.marktype !== 'group') {
      const d = (out[mark.marktype] ??= { marktype: mark.marktype, count: 0, fills: new Set() });
      d.count += mark.items?.length ?? 0;
      for (const it of mark.items ?? []) d.fills.add(String(it.fill ?? it.stroke));
    }
    for (const item of mark.items ?? []) for (const child of item.items ?? []) walk(child);
  };
  walk((view.scenegraph() as unknown as { root: Node }).root);
  view.finalize();
  return out;
}

function scenario(name: string, values: number[], warmup = 0): ScenarioSamples {
  const ns = Float64Array.from([...Array.from({ length: warmup }, () => values[0]! * 1.1), ...values]);
  return { name, sorted: Float64Array.from(values).sort(), boots: [{ label: 'boot 0', ns, warmup: Uint8Array.from(ns, (_, i) => (i < warmup ? 1 : 0)) }] };
}

const A = scenario('vanilla', [208_100, 208_300, 208_200, 208_250, 212_000], 2);
const B = scenario('audit-execve', [288_000, 288_400, 288_100, 288_350, 288_200], 2);
const ORDER = ['vanilla', 'audit-execve'];
const SUMMARY = {
  mode: 'icount', unit: 'ns', baseline: 'vanilla', runs: ['r'], alpha: 0.05, bootstrap: { resamples: 10, seed: 1 }, notes: [],
  scenarios: [
    { name: 'vanilla', median_ns: 208_250, p25_ns: 208_200, p75_ns: 208_300, overhead: null },
    { name: 'audit-execve', median_ns: 288_200, p25_ns: 288_100, p75_ns: 288_350, overhead: { pct: 38.4, ci95_pct: [38.3, 38.5], p_value: 0.01, p_adjusted: 0.01, test: 'exact', verdict: 'slower' } },
  ],
} as unknown as Summary;

test('distribution: one density area per scenario plus a strip tick per sample, in the scenario colours', async () => {
  const dens = densities([A, B], 50);
  const strip = stripPoints([A, B]);
  const m = await dataMarks(distributionSpec(dens.points, strip, ORDER, 'µs'));
  assert.equal(m.area?.count, 100);
  assert.equal(m.rect?.count, 10);
  assert.deepEqual(m.rect?.fills, new Set(scenarioColors(ORDER)));
});

test('ECDF: one step line per scenario through every sample', async () => {
  const m = await dataMarks(ecdfSpec(ecdfPoints([A, B]), ORDER, 'µs'));
  assert.equal(m.line?.count, 12);
  assert.deepEqual(m.line?.fills, new Set(scenarioColors(ORDER)));
});

test('box plot: per scenario a whisker, a box and a median tick, and the outliers as points', async () => {
  const rows = boxRows(SUMMARY, [A, B]);
  assert.equal(rows.filter((r) => r.kind === 'outlier').length, 1); // 212 000 in vanilla
  const m = await dataMarks(boxSpec(rows, ORDER, 'µs'));
  assert.equal(m.rule?.count, 2);
  assert.equal(m.rect?.count, 4);
  assert.equal(m.symbol?.count, 1);
});

test('run order: warm-up and measured samples as points, a line per boot, bands only for binned boots', async () => {
  const m = await dataMarks(runOrderSpec(runOrderRows([A, B]), ORDER, 'µs'));
  assert.equal(m.symbol?.count, 14);
  assert.equal(m.line?.count, 10);
  assert.equal(m.area?.count ?? 0, 0);
  const long = scenario('vanilla', Array.from({ length: 2000 }, (_, i) => 208_000 + (i % 97)), 3);
  const binned = await dataMarks(runOrderSpec(runOrderRows([long], 300, 100), ['vanilla'], 'µs'));
  assert.equal(binned.symbol?.count, 3);
  assert.equal(binned.area?.count, 100);
  assert.equal(binned.line?.count, 100);
});

test('forest: an interval, a point and a label per compared scenario, and the rule at 0', async () => {
  const m = await dataMarks(forestSpec(forestRows(SUMMARY), ORDER, 'vanilla'));
  assert.equal(m.rule?.count, 2);
  assert.equal(m.symbol?.count, 1);
  assert.equal(m.text?.count, 1);
});

test('scopeSvgIds keeps two inlined SVGs from sharing clip paths', async () => {
  const clipped = { data: { values: [{ x: 1 }, { x: 5 }] }, mark: { type: 'point', clip: true }, encoding: { x: { field: 'x', type: 'quantitative', scale: { domain: [0, 2] } } } } as TopLevelSpec;
  const scoped = scopeSvgIds(await renderSvg(clipped), 'box');
  const ids = [...scoped.matchAll(/id="([^"]+)"/g)].map((m) => m[1]!);
  assert.ok(ids.length > 0 && ids.every((id) => id.startsWith('box-')), ids.join());
  for (const [, ref] of scoped.matchAll(/url\(#([^)]+)\)/g)) assert.ok(ids.includes(ref!), ref);
});
