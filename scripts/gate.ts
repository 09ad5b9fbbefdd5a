#!/usr/bin/env tsx
// npm run gate -- --baseline FILE_OR_RUN_DIR --current RUN_DIR [...]: the regression gate; --update refreshes the baseline file.
import '../lib/last-resort.ts';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { errorLine } from '../lib/errors.ts';
import { handleInterrupts } from '../lib/interrupt.ts';
import type { RunMeta } from '../lib/results.ts';
import { parseBenchArgs } from '../bench/options.ts';
import { runBench } from '../bench/run.ts';
import { evaluateGate, runGateCommand } from '../reports/gate/gate.ts';
import { parseGateArgs, type GateOptions } from '../reports/gate/options.ts';

const BASELINES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'baselines');

const HELP = `usage: npm run gate -- --current RUN_DIR [--baseline FILE|RUN_DIR] [--metric both|cpu|latency|absolute]
                      [--threshold 1%] [--alpha 0.01] [--allow-mismatch] [--out DIR]
                      [--profile auto|PROFILE_RUN] [--baseline-profile PROFILE_RUN]
       npm run gate -- --update --current RUN_DIR [--baseline FILE]

Compares a run with a baseline and fails when a scenario got slower.

  --current RUN_DIR    the run to judge (a results/<run-id> directory with run.json)
  --baseline PATH      a baseline file, or a run directory to compare with directly
                       (default: baselines/<matrix name>.json of this repository)
  --metric M           both (default): cpu and latency, each at alpha / 2
                       cpu (or overhead): each scenario's overhead over the matrix's
                         baseline scenario in its CPU cost (the loop's time per
                         exec), change in percentage points; the baseline
                         scenario itself is not gated
                       latency: the same in its exec latency (the loop's time
                         less the exec'ing tasks' wait for the CPU)
                       absolute: each scenario's CPU cost itself, change in percent
  --threshold T        smallest change that counts, "1%" or "1" (default 1%;
                       percentage points under the overhead metrics)
  --alpha A            significance level of the Holm-adjusted p (default 0.01)
  --allow-mismatch     go on when kernels, QEMU, workload, BPF code or workload options
                       differ from the baseline's, and list them as warnings
                       (a different mode, icount vs kvm, is always refused)
  --out DIR            where gate.json and gate.md go (default: the current run directory)
  --profile P          explain regressions in gate.md with the functions that grew most:
                       P is a profiling run of the current code (npm run profile), or
                       "auto" to profile the regressed scenarios and their baselines now
                       (default: the current run's own profiles, if it is a profiling run)
  --baseline-profile P a profiling run of the baseline's code: the functions are then
                       compared between the two runs, not against the baseline scenario
                       (default: the baseline run directory's own profiles, if any)
  --update             write the baseline file from --current instead (atomically), and
                       print what it holds; commit it as one reviewed change
  -h, --help           this text

The comparison is at boot level: a t test on the boots' log medians, paired
by seed where both runs booted the same kernels, Welch's otherwise (a fixed
layout or a single boot falls back to a bootstrap and the Mann-Whitney U test
over samples). A scenario regresses when its Holm-adjusted p < alpha and the
whole 95 % interval of the change lies above +threshold; it improves when the
interval lies below -threshold. A current run whose event check failed fails
too. Exit status: 0 pass, 1 a regression or a failed event check, 2 bad
input (unreadable or unfinished runs, a missing scenario, a mode, layout or
dependency mismatch).
`;

/**
 * --profile auto: judges first, then profiles the regressed scenarios and the
 * scenarios they are taken against, with the current run's matrix, options
 * and seed, and explains with that profiling run.
 */
async function profileRegressions(opts: GateOptions): Promise<GateOptions> {
  const { report } = evaluateGate({ ...opts, profile: null });
  const regressed = report.scenarios.filter((s) => s.verdict === 'regressed').map((s) => s.name);
  if (!regressed.length) return { ...opts, profile: null };
  const meta = JSON.parse(readFileSync(join(opts.current, 'run.json'), 'utf8')) as RunMeta;
  const against = (name: string) => meta.scenarios.find((s) => s.name === name)?.baseline ?? meta.matrix.baseline;
  const scenarios = [...new Set([...regressed.map(against), ...regressed])];
  process.stderr.write(`gate: ${regressed.join(', ')} regressed; profiling ${scenarios.join(', ')}\n`);
  const o = meta.options;
  const args = ['--matrix', meta.matrix.source, '--scenarios', scenarios.join(','), '--seed', String(o.seed), '--out', join(dirname(opts.current), 'profiles')];
  for (const [flag, v] of [['--samples', o.samples], ['--execs', o.execs], ['--warmup', o.warmup], ['--warmup-max', o.warmupMax]] as const) if (v !== null && v !== undefined) args.push(flag, String(v));
  if (o.layout) args.push('--layout', o.layout);
  const parsed = parseBenchArgs(args);
  if (parsed === 'help') throw new Error('unreachable');
  const outcome = await runBench({ ...parsed, profile: true, boots: 1 }, handleInterrupts());
  process.stderr.write(`gate: profiles in ${outcome.dir}\n`);
  return { ...opts, profile: outcome.dir };
}

try {
  const opts = parseGateArgs(process.argv.slice(2), BASELINES_DIR);
  if (opts === 'help') {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const { text, exitCode } = await runGateCommand(opts.command === 'gate' && opts.profile === 'auto' ? await profileRegressions(opts) : opts);
  process.stdout.write(text);
  process.exitCode = exitCode;
} catch (err) {
  const { line, exitCode } = errorLine(err);
  process.stderr.write(`${line}\n`);
  process.exit(exitCode);
}
