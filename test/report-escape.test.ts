// Names from a samples.csv or run.json of another machine can hold anything: the page
// must show them as text. (The browser test opens such a report in Chromium too.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { esc } from '../reports/report/escape.ts';
import { compareWithTalk, loadTalkReference } from '../reports/report/compare.ts';
import { reportHtml } from '../reports/report/html.ts';
import { ecdfPoints } from '../reports/report/plot-data.ts';
import { renderSvg } from '../reports/report/render.ts';
import type { RunInfo } from '../reports/report/run-info.ts';
import { ecdfSpec } from '../reports/report/specs.ts';
import type { Summary } from '../reports/summary.ts';

const EVIL = `<img src=x onerror=alert(1)>"'&`;
const CLOSE = '</script><script>alert(2)</script><!--';

test('esc escapes the five HTML metacharacters', () => {
  assert.equal(esc(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  assert.equal(esc(42), '42');
});

test('every data-derived string in the page is escaped, and inline JSON cannot close its script', () => {
  const scenario = {
    name: EVIL, kernel: EVIL, n: 3, warmup_n: 0, boots: 1, mean_ns: 1, sd_ns: 0, median_ns: 1, median_ci95_ns: [null, null], p5_ns: 1, p25_ns: 1, p75_ns: 1, p95_ns: 1, p99_ns: 1, mad_ns: 0,
    outliers: { mild: 0, severe: 0, low: 0, high: 0 }, overhead_pct: null, overhead: null,
    layout: 'random', samples_per_boot: 3, centre: { ns: 1, ci95_ns: [null, null], method: 'within-layout' }, between_boot: { sd_pct: null, range_pct: 0 }, within_boot: { spread_pct: 0 }, unsteady_boots: 1, untested_boots: 0,
    per_boot: [{ run: EVIL, boot: 0, seed: 1, n: 3, warmups: 2, median_ns: 1, spread_pct: 0, steady: false, change_point: { index: 1, shift_pct: 1, p_value: 0.001, method: 'pooled residuals' } }],
    events: { source: EVIL, expected: 0, logged: 0, matched: 0, lost: 0, truncated: 0, unaccounted: null, delay: null, ok: true },
  };
  const summary = {
    mode: EVIL, unit: EVIL, baseline: EVIL, runs: [EVIL], alpha: 0.05, bootstrap: { resamples: 10, seed: 1 }, notes: [EVIL, CLOSE], scenarios: [scenario],
  } as unknown as Summary;
  const run: RunInfo = {
    label: EVIL, dir: EVIL, hasMeta: true, mode: EVIL, date: EVIL, suiteRevision: EVIL, matrix: EVIL, matrixDescription: EVIL, baseline: EVIL, host: EVIL, qemu: EVIL, shard: EVIL,
    kernels: [{ variant: EVIL, version: EVIL, configHash: EVIL, options: { [EVIL]: EVIL } }, { variant: 'b', version: null, configHash: null, options: { [EVIL]: null } }],
    scenarios: [], questions: [],
  };
  const html = reportHtml({
    summary,
    runs: [run, { ...run, label: 'other' }],
    setups: [{ name: EVIL, description: EVIL, kernel: EVIL, execs: [1], n: 3, warmup: 0, boots: 1, runs: [EVIL] }],
    reference: loadTalkReference(),
    talk: compareWithTalk(summary, loadTalkReference()),
    plots: [{ id: 'p', title: EVIL, caption: EVIL, svg: '<svg></svg>' }, { id: 'q', title: EVIL, caption: EVIL, svg: '<svg></svg>', sentence: EVIL }],
    dataLinks: [{ run: EVIL, links: [{ name: EVIL, href: EVIL }] }],
    summaryHref: 'summary.json',
  });
  assert.ok(!html.includes('<img'), 'no raw <img');
  assert.ok(!html.includes('onerror=alert(1)>"'), 'no raw attribute break-out');
  assert.equal(html.match(/<script/g)?.length, 1, 'only the JSON script element');
  assert.equal(html.match(/<\/script>/g)?.length, 1);
  assert.ok(!html.includes('<!--'));
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;'));
  assert.ok(html.includes('<section id="questions">'), 'a plot with a sentence is a question');
  const json = html.slice(html.indexOf('<script type="application/json" id="summary-json">') + 50, html.lastIndexOf('</script>'));
  assert.deepEqual((JSON.parse(json) as Summary).notes, [EVIL, CLOSE]);
});

test('Vega escapes the names it draws into the SVG, in text and in aria labels', async () => {
  const s = { name: EVIL, sorted: Float64Array.from([1000, 2000]), boots: [] };
  const svg = await renderSvg(ecdfSpec(ecdfPoints([s]), [EVIL], 'µs'));
  assert.ok(!svg.includes('<img'));
  assert.ok(svg.includes('&lt;img src=x onerror=alert(1)&gt;'));
  for (const [, value] of svg.matchAll(/="([^"]*)"/g)) assert.ok(!value!.includes('<'), `attribute value ${value}`);
});
