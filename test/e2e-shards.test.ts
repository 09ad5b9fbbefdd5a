/**
 * Sharded runs joined equal one unsharded run. In icount mode a guest's result
 * does not depend on the machine or on what else runs, so the samples, and so
 * the summary, are the same to the last digit: the tolerance here is zero.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Summary } from '../reports/summary.ts';

const ROOT = join(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const WORKLOAD = ['--scenarios', 'vanilla,audit-execve,krsi-ld-preload', '--samples', '4', '--execs', '10', '--warmup', '1', '--boots', '2'];

function run(script: string, args: string[]) {
  const r = spawnSync(TSX, [join(ROOT, 'scripts', script), ...args], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `${script} ${args.join(' ')}: ${r.stderr}`);
  return r;
}

test('two shards joined with report --merge give the summary of one unsharded run', { timeout: 60 * 60_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'krsi-shards-'));
  run('bench.ts', [...WORKLOAD, '--out', join(tmp, 'whole')]);
  run('bench.ts', [...WORKLOAD, '--shard', '1/2', '--out', join(tmp, 's1')]);
  run('bench.ts', [...WORKLOAD, '--shard', '2/2', '--out', join(tmp, 's2')]);
  run('report.ts', ['--merge', join(tmp, 's1', 'latest'), join(tmp, 's2', 'latest'), '--out', join(tmp, 'joined')]);

  const whole = realpathSync(join(tmp, 'whole', 'latest'));
  const joined = join(tmp, 'joined');
  // The run ids differ (they name the runs); everything measured must not.
  const strip = (s: Summary) => ({
    ...s, runs: [], scenarios: s.scenarios.map((x) => ({
      ...x, per_boot: x.per_boot.map((b) => ({ ...b, run: '' })),
      latency: x.latency && { ...x.latency, per_boot: x.latency.per_boot.map((b) => ({ ...b, run: '' })) },
    })),
  });
  const a = JSON.parse(readFileSync(join(whole, 'summary.json'), 'utf8')) as Summary;
  const b = JSON.parse(readFileSync(join(joined, 'summary.json'), 'utf8')) as Summary;
  assert.deepEqual(strip(b), strip(a));
  assert.equal(readFileSync(join(joined, 'samples.csv'), 'utf8'), readFileSync(join(whole, 'samples.csv'), 'utf8'));
  assert.equal(readFileSync(join(joined, 'events.csv'), 'utf8'), readFileSync(join(whole, 'events.csv'), 'utf8'));
  assert.equal(readFileSync(join(joined, 'attribution.csv'), 'utf8'), readFileSync(join(whole, 'attribution.csv'), 'utf8'));
  assert.ok(b.scenarios.every((x) => x.latency), 'the joined run lost its exec latency');
  type Meta = { mergedFrom: string[]; guests: { scenario: string; boot: number; seed: number }[] };
  const meta = JSON.parse(readFileSync(join(joined, 'run.json'), 'utf8')) as Meta;
  const wholeMeta = JSON.parse(readFileSync(join(whole, 'run.json'), 'utf8')) as Meta;
  assert.equal(meta.mergedFrom.length, 2);
  const guests = (m: Meta) => m.guests.map((g) => `${g.scenario}/${g.boot}/${g.seed}`).sort();
  assert.deepEqual(guests(meta), guests(wholeMeta));
  assert.equal(meta.guests.length, 6);
});
