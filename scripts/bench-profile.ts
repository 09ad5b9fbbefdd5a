#!/usr/bin/env tsx
// Benchmark of profiling (not a test): the seed matrix's scenarios booted once measured and once
// profiled, same seed and workload; prints each guest's wall time and the ratio, against the
// target of at most 3 times a measuring boot, and the profile stage's symbolising time.
//   tsx scripts/bench-profile.ts [--scenarios a,b] [--samples N]
import '../lib/last-resort.ts';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { errorLine } from '../lib/errors.ts';
import type { RunMeta } from '../lib/results.ts';
import { parseBenchArgs } from '../bench/options.ts';
import { runBench } from '../bench/run.ts';
import { reportRuns } from '../reports/pipeline.ts';

const TARGET_RATIO = 3;

try {
  const { values } = parseArgs({ options: { scenarios: { type: 'string' }, samples: { type: 'string' } } });
  const out = mkdtempSync(join(tmpdir(), 'krsi-bench-profile-'));
  const args = ['--scenarios', values.scenarios ?? 'vanilla,audit-no-rules,audit-execve,krsi-ld-preload', '--boots', '1', '--jobs', '1', '--out', out];
  if (values.samples) args.push('--samples', values.samples);
  const opts = parseBenchArgs(args);
  if (opts === 'help') throw new Error('unreachable');
  // One guest at a time, so that the two kinds of boot meet the same machine.
  const measured = await runBench(opts);
  const profiled = await runBench({ ...opts, profile: true });
  const wall = (dir: string) => new Map((JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunMeta).guests.map((g) => [g.scenario, g.wallSeconds]));
  const [m, p] = [wall(measured.dir), wall(profiled.dir)];
  process.stdout.write('scenario          measuring boot  profiling boot  ratio\n');
  let worst = 0;
  for (const [name, t] of m) {
    const ratio = p.get(name)! / t;
    worst = Math.max(worst, ratio);
    process.stdout.write(`${name.padEnd(16)}  ${t.toFixed(1).padStart(12)} s  ${p.get(name)!.toFixed(1).padStart(12)} s  ${ratio.toFixed(2)}\n`);
  }
  const started = Date.now();
  await reportRuns([profiled.dir]);
  process.stdout.write(`report of the profiling run (symbols, profiles, plots): ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  process.stdout.write(`worst ratio ${worst.toFixed(2)} (target: at most ${TARGET_RATIO}): ${worst <= TARGET_RATIO ? 'met' : 'NOT met'}\n`);
  process.exitCode = worst <= TARGET_RATIO ? 0 : 1;
} catch (err) {
  const { line, exitCode } = errorLine(err);
  process.stderr.write(`${line}\n`);
  process.exit(exitCode);
}
