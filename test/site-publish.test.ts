import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { reportRuns } from '../reports/pipeline.ts';
import { publishRun, type PublishedRun } from '../reports/site.ts';

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
  const summaryB = JSON.parse(readFileSync(join(tmp, 'seed-b', 'summary.json'), 'utf8')) as { scenarios: { name: string; median_ns: number }[] };
  assert.deepEqual(history[1]!.scenarios.map((s) => [s.name, s.median_ns]), summaryB.scenarios.map((s) => [s.name, s.median_ns]));

  const index = readFileSync(join(site, 'index.html'), 'utf8');
  assert.equal((index.match(/<svg/g) ?? []).length, 2, 'two trend plots');
  assert.equal((index.match(/<tr><td><a href="runs\//g) ?? []).length, 2, 'one row per run');
  assert.ok(!/<script[^>]+src=/.test(index));
  // One line per scenario in the median plot, each through both runs.
  const lines = index.slice(0, index.indexOf('</svg>')).match(/<path[^>]*aria-roledescription="line mark"[^>]*d="M[^"]*L[^"]*"/g) ?? [];
  assert.equal(lines.length, summaryB.scenarios.length);
  assert.ok(existsSync(join(site, 'runs', 'synthetic-seed-a', 'report.html')));
  await assert.rejects(publishRun(join(FIXTURES, 'seed-a'), site, 'x'), /needs summary\.json and run\.json/);
});
