/**
 * npm run export: a synthetic seed run, summarised as the report does, in
 * Bencher's and github-action-benchmark's shapes, each checked against the
 * format's documented fields; and the bad input that writes nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SEED_SCENARIOS, writeSyntheticRun } from '../bench/synthetic-run.ts';
import { summarizeRunDir } from '../reports/pipeline.ts';

const ROOT = join(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

const exportRun = (...args: string[]) => spawnSync(TSX, [join(ROOT, 'scripts/export.ts'), ...args], { encoding: 'utf8' });

async function seedRun(): Promise<string> {
  const parent = mkdtempSync(join(tmpdir(), 'krsi-export-'));
  const dir = writeSyntheticRun(parent, { runId: 'export-test', mode: 'icount', scenarios: SEED_SCENARIOS, samples: 4, warmup: 1, boots: 3, execs: 100, seed: 7 });
  await summarizeRunDir(dir);
  return dir;
}

const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

test('bmf: one benchmark per scenario, its measures with value and the 95 % interval as lower_value and upper_value', async () => {
  const dir = await seedRun();
  const r = exportRun(dir, '--format', 'bmf');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), join(dir, 'export-bmf.json'));
  const bmf = JSON.parse(readFileSync(join(dir, 'export-bmf.json'), 'utf8')) as Record<string, Record<string, Record<string, unknown>>>;
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { scenarios: { name: string; centre: { ns: number } }[] };
  assert.deepEqual(Object.keys(bmf), summary.scenarios.map((s) => s.name));
  for (const [bench, measures] of Object.entries(bmf)) {
    // The baseline scenario has no overhead of its own.
    const expected = bench === summary.scenarios[0]!.name ? ['cpu-cost'] : ['cpu-cost', 'cpu-overhead'];
    assert.deepEqual(Object.keys(measures), expected, bench);
    for (const [measure, m] of Object.entries(measures)) {
      // BMF's metric: value, and optional lower_value and upper_value, numbers, nothing else.
      assert.deepEqual(Object.keys(m).filter((k) => !['value', 'lower_value', 'upper_value'].includes(k)), [], `${bench}/${measure}`);
      assert.ok(isNum(m.value) && isNum(m.lower_value) && isNum(m.upper_value), `${bench}/${measure}: ${JSON.stringify(m)}`);
      assert.ok((m.lower_value as number) <= (m.value as number) && (m.value as number) <= (m.upper_value as number), `${bench}/${measure}: ${JSON.stringify(m)}`);
    }
    assert.equal(measures['cpu-cost']!.value, summary.scenarios.find((s) => s.name === bench)!.centre.ns);
  }
});

test('github-action-benchmark: customSmallerIsBetter entries, name, unit and value, the interval as range and in extra, with the gate\'s verdict', async () => {
  const dir = await seedRun();
  // A gate run on it: its verdicts go into extra.
  const gate = spawnSync(TSX, [join(ROOT, 'scripts/gate.ts'), '--baseline', dir, '--current', dir], { encoding: 'utf8' });
  assert.equal(gate.status, 0, gate.stderr);
  const r = exportRun(dir, '--format', 'github-action-benchmark', '--out', join(dir, 'gab.json'));
  assert.equal(r.status, 0, r.stderr);
  const entries = JSON.parse(readFileSync(join(dir, 'gab.json'), 'utf8')) as Record<string, unknown>[];
  assert.ok(Array.isArray(entries) && entries.length > 0);
  for (const e of entries) {
    assert.deepEqual(Object.keys(e).filter((k) => !['name', 'unit', 'value', 'range', 'extra'].includes(k)), [], JSON.stringify(e));
    assert.ok(typeof e.name === 'string' && typeof e.unit === 'string' && isNum(e.value), JSON.stringify(e));
    assert.match(e.range as string, /^± \d+(\.\d+)?$/);
    assert.match(e.extra as string, /^95 % CI \[-?[\d.]+, -?[\d.]+\] (ns|%); /);
  }
  const overhead = entries.find((e) => e.name === 'audit-execve/cpu-overhead')!;
  assert.equal(overhead.unit, '%');
  assert.match(overhead.extra as string, /vs vanilla: slower; gate against export-test: no change$/);
  assert.equal(entries.find((e) => e.name === 'vanilla/cpu-cost')!.unit, 'ns/exec');
});

test('export refuses an unknown format, a run without summary.json, an unfinished or failed run: one line, exit 2, nothing written', async () => {
  const dir = await seedRun();
  const before = readdirSync(dir).sort();
  const unknown = exportRun(dir, '--format', 'csv');
  assert.deepEqual([unknown.status, unknown.stderr.trim()], [2, 'error: --format must be one of bmf, github-action-benchmark, not "csv"']);
  const none = exportRun(dir);
  assert.equal(none.status, 2);
  assert.deepEqual(readdirSync(dir).sort(), before);

  const bare = mkdtempSync(join(tmpdir(), 'krsi-export-bare-'));
  const raw = writeSyntheticRun(bare, { runId: 'no-summary', mode: 'icount', scenarios: SEED_SCENARIOS, samples: 2, warmup: 1, boots: 1, execs: 10, seed: 1 });
  const noSummary = exportRun(raw, '--format', 'bmf');
  assert.equal(noSummary.status, 2);
  assert.match(noSummary.stderr, /^error: .*: no summary\.json \(make it with npm run report -- .*\)\n$/);
  assert.ok(!existsSync(join(raw, 'export-bmf.json')));

  for (const suffix of ['.partial', '.failed']) {
    const unfinished = `${dir}${suffix}`;
    mkdirSync(unfinished);
    for (const f of readdirSync(dir)) writeFileSync(join(unfinished, f), readFileSync(join(dir, f)));
    if (suffix === '.failed') renameSync(join(unfinished, 'summary.json'), join(unfinished, 'summary.json.kept'));
    const r = exportRun(unfinished, '--format', 'bmf');
    assert.equal(r.status, 2, `${suffix}: ${r.stderr}`);
    assert.match(r.stderr, suffix === '.partial' ? /an unfinished run/ : /a failed run/);
    assert.ok(!existsSync(join(unfinished, 'export-bmf.json')), `${suffix}: an export was written`);
  }
});
