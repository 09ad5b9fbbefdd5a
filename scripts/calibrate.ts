#!/usr/bin/env tsx
// npm run calibrate -- [--run DIR] [--sets B] [bench options]: how often the intervals cover what they claim.
import '../lib/last-resort.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachePath } from '../lib/cache.ts';
import { errorLine, usageError } from '../lib/errors.ts';
import { handleInterrupts } from '../lib/interrupt.ts';
import { parseBenchArgs } from '../bench/options.ts';
import { ensurePrerequisites } from '../bench/prereqs.ts';
import { runBench } from '../bench/run.ts';
import { calibrate, type Calibration, type CalibrationOptions } from '../reports/calibration.ts';
import { readRunAsBaseline } from '../reports/gate/baseline.ts';
import { calibrateGate, type GateCalibration } from '../reports/gate/calibrate-gate.ts';
import { GATE_DEFAULTS } from '../reports/gate/options.ts';
import { loadRun } from '../reports/load.ts';

const HELP = `usage: npm run calibrate -- [--run DIR] [--sets B] [--partitions P] [--baseline NAME]
                           [--scenarios A,B,...] [--boots M] [--seed S] [other npm run bench options]

Boots M seeds of a few scenarios (or reads the run DIR), then draws disjoint
sets of B boots, as a default run of B boots would have them, and reports how
often each set's 95 % interval covers the estimate from all M boots (the
centre, and the overhead over the baseline scenario, computed as the summary
computes them), and how often two disjoint sets of one scenario are called
different by Welch's test at the 5 % level (A/A). Then the gate: pairs of
disjoint sets gated against each other as if every kernel had been rebuilt
with nothing changed (false failures), and with one scenario raised by the
change the gate says it detects with 80 % power (power). Writes
calibration.json in the run directory.

  --run DIR        analyse this run instead of booting a new one
  --sets B         boots per drawn set (default 12, the default run's boots)
  --partitions P   random partitions of the boots into sets (default 200)
  --baseline NAME  the scenario overheads are taken against (default vanilla)
  --scenarios ...  default vanilla,audit-compiled,krsi-ld-preload
  --boots M        default 48
  --seed S         first boot's seed (default 1000, apart from the default run's 42-53)
  -h, --help       this text
`;

const OWN = { run: { type: 'string' }, sets: { type: 'string' }, partitions: { type: 'string' }, baseline: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

function count(flag: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw usageError(`--${flag} must be an integer of at least ${min}, got "${text}"`);
  return n;
}

/** Splits the command line into this script's options and the bench's. */
function splitArgs(argv: string[]): { own: Record<string, string | boolean | undefined>; bench: string[] } {
  const own: Record<string, string | boolean | undefined> = {};
  const bench: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!.replace(/^--?/, '');
    const spec = (OWN as Record<string, { type: string }>)[name === 'h' ? 'help' : name];
    if (!argv[i]!.startsWith('-') || !spec) bench.push(argv[i]!);
    else if (spec.type === 'boolean') own[name === 'h' ? 'help' : name] = true;
    else if (i + 1 >= argv.length) throw usageError(`${argv[i]} needs a value`);
    else own[name] = argv[++i];
  }
  return { own, bench };
}

const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)} %`;

function table(c: Calibration): string {
  const o = c.options;
  const rows = c.scenarios.map((s) => [
    s.name,
    String(s.boots),
    s.betweenSdPct.toFixed(2),
    s.withinSdPct.toFixed(3),
    s.modes ? `${pct(s.modes.upperShare, 0)} at +${s.modes.gapPct.toFixed(1)} %` : 'one',
    `${pct(s.centre.rate)} ±${s.centre.halfWidthPct.toFixed(2)} %`,
    s.overhead ? `${pct(s.overhead.rate)} ±${s.overhead.halfWidthPct.toFixed(2)} pp (${s.overhead.method}, ${s.overhead.estimate >= 0 ? '+' : ''}${s.overhead.estimate.toFixed(2)} %)` : '',
    `${pct(s.aa.rate)} (${s.aa.different}/${s.aa.tests})`,
  ]);
  const head = ['scenario', 'boots', 'between sd %', 'within sd %', 'upper mode', 'centre covers', 'overhead covers', `A/A different`];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  return [
    `calibration of ${c.run}: disjoint sets of B=${o.bootsPerSet} boots, ${o.partitions} partitions; ${o.confidence * 100} % intervals against the estimate from all boots; A/A by Welch at alpha ${o.alpha}`,
    line(head),
    ...rows.map(line),
    '',
  ].join('\n');
}

function gateTable(g: GateCalibration): string {
  const o = g.options;
  const v = (r: GateCalibration['atZero']['verdicts']) => `regressed ${pct(r.regressed)}, improved ${pct(r.improved)}, no change ${pct(r.no_change)}, inconclusive ${pct(r.inconclusive)}`;
  return [
    `gate, A/A: ${o.draws} pairs of disjoint sets of B=${o.bootsPerSet} seeds, the second renamed to the first's (every kernel as if rebuilt, nothing changed), CPU cost overheads at alpha ${o.alpha}`,
    `  threshold ${o.thresholdPct} pp: gate failed ${pct(g.atThreshold.failed)}; per scenario ${v(g.atThreshold.verdicts)}`,
    `  threshold 0:    gate failed ${pct(g.atZero.failed)} (at most alpha, ${o.alpha * 100} %, is the claim); per scenario ${v(g.atZero.verdicts)}`,
    ...g.power.map((p) => `  ${p.scenario}: a rise of ${p.detectablePp.toFixed(2)} pp (the stated detectable change, mean over draws) called regressed ${pct(p.regressed)} of the time (80 % is the claim)`),
    '',
  ].join('\n');
}

try {
  const { own, bench } = splitArgs(process.argv.slice(2));
  if (own.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const opts: CalibrationOptions = {
    bootsPerSet: count('sets', own.sets as string | undefined, 12, 2),
    partitions: count('partitions', own.partitions as string | undefined, 200, 1),
    confidence: 0.95,
    alpha: 0.05,
    seed: 1,
    baseline: (own.baseline as string | undefined) ?? 'vanilla',
  };
  let dir = own.run as string | undefined;
  if (dir === undefined) {
    const has = (flag: string) => bench.includes(flag);
    const parsed = parseBenchArgs([
      ...(has('--scenarios') ? [] : ['--scenarios', 'vanilla,audit-compiled,krsi-ld-preload']),
      ...(has('--boots') ? [] : ['--boots', '48']),
      ...(has('--seed') ? [] : ['--seed', '1000']),
      ...bench,
    ]);
    if (parsed === 'help') {
      process.stdout.write(HELP);
      process.exit(0);
    }
    const interrupt = handleInterrupts();
    await ensurePrerequisites(cachePath('logs'));
    dir = (await runBench(parsed, interrupt)).dir;
  } else if (bench.length) {
    throw usageError(`with --run, no bench options: ${bench.join(' ')}`);
  }
  const result = calibrate(loadRun(dir), opts);
  // The gate as CI runs it: each figure's family at half the default alpha (--metric both), the default threshold.
  const gate = calibrateGate(readRunAsBaseline(dir).baseline, { bootsPerSet: opts.bootsPerSet, draws: opts.partitions, alpha: GATE_DEFAULTS.alpha / 2, thresholdPct: GATE_DEFAULTS.thresholdPct, seed: opts.seed });
  writeFileSync(join(dir, 'calibration.json'), `${JSON.stringify({ ...result, gate }, null, 2)}\n`);
  process.stdout.write(table(result));
  process.stdout.write(gateTable(gate));
  process.stdout.write(`calibration: ${join(dir, 'calibration.json')}\n`);
} catch (err) {
  const { line, exitCode } = errorLine(err);
  process.stderr.write(`${line}\n`);
  process.exit(exitCode);
}
