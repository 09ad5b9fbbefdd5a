#!/usr/bin/env tsx
// Benchmark of the report stage (not a test): a seeded synthetic run of 1 000 000 samples
// over 10 scenarios, reported end to end (load the CSV, statistics with 10 000 bootstrap
// resamples, every plot, HTML/SVG/PNG written); prints wall time and peak RSS.
//   tsx scripts/bench-report.ts [--samples N] [--scenarios S] [--resamples R] [--keep]
import '../lib/last-resort.ts';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { errorLine, usageError } from '../lib/errors.ts';
import { reportRuns } from '../reports/pipeline.ts';
import { SEED_SCENARIOS, writeSyntheticRun, type SyntheticScenario } from '../bench/synthetic-run.ts';

const TARGET_SECONDS = 10;
const TARGET_RSS_MIB = 1024;
const BOOTS = 4;

const EXTRA: SyntheticScenario[] = [
  { name: 'audit-execve-env8', kernel: 'audit', level: 301_000, source: 'audit' },
  { name: 'audit-execve-env32', kernel: 'audit', level: 340_000, source: 'audit' },
  { name: 'krsi-env8', kernel: 'noaudit', level: 226_000, source: 'krsi_ld_preload' },
  { name: 'krsi-env32', kernel: 'noaudit', level: 246_000, source: 'krsi_ld_preload' },
  { name: 'audit-compiled-env32', kernel: 'audit', level: 231_000, source: 'none' },
];

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) throw usageError(`--${name} is a positive whole number, not "${text}"`);
  return v;
}

/** Writes the synthetic run; runs in a child process so its memory does not count. */
function generate(dir: string, samples: number, scenarios: number): void {
  const all = [...SEED_SCENARIOS, ...EXTRA];
  if (scenarios > all.length) throw usageError(`--scenarios is at most ${all.length}`);
  const perBoot = Math.ceil(samples / (scenarios * BOOTS));
  writeSyntheticRun(dir, { runId: 'bench-report', mode: 'icount', scenarios: all.slice(0, scenarios), samples: perBoot, warmup: 3, boots: BOOTS, execs: 100, seed: 7 });
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

try {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { samples: { type: 'string' }, scenarios: { type: 'string' }, resamples: { type: 'string' }, keep: { type: 'boolean' }, 'generate-into': { type: 'string' } },
  });
  const samples = positiveInt('samples', values.samples, 1_000_000);
  const scenarios = positiveInt('scenarios', values.scenarios, 10);
  const resamples = positiveInt('resamples', values.resamples, 10_000);
  if (values['generate-into']) {
    generate(values['generate-into'], samples, scenarios);
    process.exit(0);
  }
  const dir = mkdtempSync(join(tmpdir(), 'krsi-bench-report-'));
  try {
    const t0 = performance.now();
    execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--samples', String(samples), '--scenarios', String(scenarios), '--generate-into', dir], { stdio: 'inherit' });
    const csvBytes = statSync(join(dir, 'samples.csv')).size;
    process.stdout.write(`generated ${samples} samples (+ warm-up) over ${scenarios} scenarios, ${BOOTS} boots each: samples.csv ${mib(csvBytes)} MiB in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

    const phases: [string, number][] = [];
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    const { files } = await reportRuns([dir], { resamples, onPhase: (p) => phases.push([p, performance.now()]) });
    const end = performance.now();
    const wall = (end - start) / 1000;
    const rssMib = process.resourceUsage().maxRSS / 1024;
    const cpu = process.cpuUsage(cpu0);

    phases.forEach(([name, at], i) => {
      const next = phases[i + 1]?.[1] ?? end;
      process.stdout.write(`  ${name.padEnd(16)} ${((next - at) / 1000).toFixed(2).padStart(6)} s\n`);
    });
    const outBytes = files.reduce((n, f) => n + statSync(f).size, 0);
    const html = files.find((f) => f.endsWith('report.html'))!;
    process.stdout.write(`wrote ${files.length} files, ${mib(outBytes)} MiB (report.html ${mib(statSync(html).size)} MiB)\n`);
    process.stdout.write(`wall time ${wall.toFixed(2)} s (target < ${TARGET_SECONDS} s: ${wall < TARGET_SECONDS ? 'met' : 'MISSED'}); CPU time ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} cores\n`);
    process.stdout.write(`peak RSS ${rssMib.toFixed(0)} MiB (target < ${TARGET_RSS_MIB} MiB: ${rssMib < TARGET_RSS_MIB ? 'met' : 'MISSED'})\n`);
    if (values.keep) process.stdout.write(`kept: ${dir} (${readdirSync(dir).length} files)\n`);
  } finally {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
} catch (err) {
  const { line, exitCode } = errorLine(err);
  process.stderr.write(`${line}\n`);
  process.exit(exitCode);
}
