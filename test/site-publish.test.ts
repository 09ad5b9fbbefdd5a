import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { reportRuns } from '../reports/pipeline.ts';
import { publishRun, type PublishedRun } from '../reports/site.ts';
import { exportAs, type Bmf } from '../reports/export.ts';
import type { Summary } from '../reports/summary.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'report');

test('publishRun adds runs to the site history and draws each scenario over time', { timeout: 120_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'krsi-site-'));
  const site = join(tmp, 'site');
  for (const name of ['seed-a', 'seed-b']) {
    cpSync(join(FIXTURES, name), join(tmp, name), { recursive: true });
    await reportRuns([join(tmp, name)], { resamples: 200 });
  }
  await publishRun(join(tmp, 'seed-a'), site, 'aaaaaaa1');
  await publishRun(join(tmp, 'seed-b'), site, 'bbbbbbb2');
  await publishRun(join(tmp, 'seed-b'), site, 'bbbbbbb2');

  const history = JSON.parse(readFileSync(join(site, 'runs.json'), 'utf8')) as PublishedRun[];
  assert.deepEqual(history.map((r) => [r.run_id, r.commit]), [['synthetic-seed-a', 'aaaaaaa1'], ['synthetic-seed-b', 'bbbbbbb2']], 'publishing a run twice keeps one entry');
  // The site's figures are the dashboards': the run's Bencher export, scenario by scenario.
  const summaryB = JSON.parse(readFileSync(join(tmp, 'seed-b', 'summary.json'), 'utf8')) as Summary;
  const bmf = exportAs('bmf', summaryB, null) as Bmf;
  assert.deepEqual(history[1]!.scenarios, summaryB.scenarios.map((s) => ({ name: s.name, cpu_ns: bmf[s.name]!['cpu-cost']!.value, overhead_pct: bmf[s.name]!['cpu-overhead']?.value ?? null })));

  const index = readFileSync(join(site, 'index.html'), 'utf8');
  assert.equal((index.match(/<svg/g) ?? []).length, 2, 'two trend plots');
  assert.ok(index.includes(`${summaryB.scenarios[1]!.name} ${(bmf[summaryB.scenarios[1]!.name]!['cpu-cost']!.value / 1000).toFixed(1)} µs`));
  assert.equal((index.match(/<tr><td><a href="runs\//g) ?? []).length, 2, 'one row per run');
  assert.ok(!/<script[^>]+src=/.test(index));
  // One line per scenario in the median plot, each through both runs.
  const lines = index.slice(0, index.indexOf('</svg>')).match(/<path[^>]*aria-roledescription="line mark"[^>]*d="M[^"]*L[^"]*"/g) ?? [];
  assert.equal(lines.length, summaryB.scenarios.length);
  assert.ok(existsSync(join(site, 'runs', 'synthetic-seed-a', 'report.html')));
  await assert.rejects(publishRun(join(FIXTURES, 'seed-a'), site, 'x'), /needs summary\.json and run\.json/);
});

test('a site whose history was published with pooled medians keeps those runs and draws them beside new ones', { timeout: 120_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'krsi-site-old-'));
  const site = join(tmp, 'site');
  mkdirSync(site);
  const old = { run_id: 'old-run', date: '2025-01-01T00:00:00.000Z', commit: 'c0ffee0', mode: 'icount', baseline: 'vanilla', scenarios: [{ name: 'vanilla', median_ns: 210000, overhead_pct: null }] };
  writeFileSync(join(site, 'runs.json'), JSON.stringify([old]));
  cpSync(join(FIXTURES, 'seed-a'), join(tmp, 'seed-a'), { recursive: true });
  await reportRuns([join(tmp, 'seed-a')], { resamples: 200 });
  await publishRun(join(tmp, 'seed-a'), site, 'aaaaaaa1');
  const history = JSON.parse(readFileSync(join(site, 'runs.json'), 'utf8')) as PublishedRun[];
  assert.deepEqual(history[0]!.scenarios, [{ name: 'vanilla', cpu_ns: 210000, overhead_pct: null }]);
  assert.ok(readFileSync(join(site, 'index.html'), 'utf8').includes('vanilla 210.0 µs'));
});
