/**
 * The gate's options: one struct, its defaults, and the command-line parser
 * that fills it (errors are usage errors, exit 2).
 */

import { parseCommandLine } from '../../lib/cli.ts';
import { usageError } from '../../lib/errors.ts';
/**
 * What the gate compares: each scenario's overhead over the baseline scenario
 * in its CPU cost (cpu; "overhead" is its older name), in its exec latency
 * (latency), both (the default), or each scenario's CPU cost itself (absolute).
 */
export type GateMetric = 'cpu' | 'latency' | 'both' | 'absolute';
export const GATE_METRICS: readonly GateMetric[] = ['cpu', 'latency', 'both', 'absolute'];

/** Everything the gate and --update act on. */
export interface GateOptions {
  /** gate: compare --current with the baseline; update: write the baseline file from --current. */
  command: 'gate' | 'update';
  /** A baseline file or (gate only) a run directory; null: <baselinesDir>/<matrix name>.json. */
  baseline: string | null;
  /** The current run directory (or its samples.csv). */
  current: string;
  metric: GateMetric;
  /** Smallest change that counts: percent (absolute), percentage points (overhead). */
  thresholdPct: number;
  /** Error rate of each decision (Holm over the gated scenarios); the intervals are at 1 - 2 alpha. */
  alpha: number;
  /** Proceed, with warnings, when depends_on differs (never when the mode does). */
  allowMismatch: boolean;
  /** Where gate.json and gate.md go; null: the current run directory. */
  out: string | null;
  resamples: number;
  seed: number;
  /** Where default baseline files live: the repository's baselines/. */
  baselinesDir: string;
  /**
   * A profiling run of the current code, to explain regressions with; null:
   * the current run's own profiles, if it is a profiling run. "auto" (npm
   * run gate -- --profile auto) profiles the regressed scenarios first.
   */
  profile: string | null;
  /** A profiling run of the baseline's code; null: the baseline run directory's own, if any. */
  baselineProfile: string | null;
}

/** Defaults of the statistical options. */
export const GATE_DEFAULTS = { metric: 'both', thresholdPct: 1, alpha: 0.01, resamples: 10_000, seed: 42 } as const;

/** "1%", "1" or "0.5 %" -> 1, 1, 0.5 (percent, or percentage points under the overhead metric). */
export function parseThreshold(text: string): number {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*%?\s*$/.exec(text);
  if (!m) throw usageError(`--threshold "${text}" is not a percentage like 1% or 0.5`);
  return Number(m[1]);
}

/** An error rate strictly between 0 and 0.5 (the intervals are at 1 - 2 alpha). */
export function parseAlpha(text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !(v > 0 && v < 0.5)) throw usageError(`--alpha "${text}" must be a number strictly between 0 and 0.5`);
  return v;
}

function parseMetric(text: string): GateMetric {
  if (text === 'overhead') return 'cpu';
  if (!(GATE_METRICS as readonly string[]).includes(text)) throw usageError(`--metric "${text}" must be ${GATE_METRICS.join(', ')} (or overhead, the older name of cpu)`);
  return text as GateMetric;
}

/** Options from the command line, or 'help' for --help. */
export function parseGateArgs(argv: string[], baselinesDir: string): GateOptions | 'help' {
  const parsed = parseCommandLine({
    args: argv,
    allowPositionals: false,
    options: {
      baseline: { type: 'string' },
      current: { type: 'string' },
      threshold: { type: 'string' },
      alpha: { type: 'string' },
      metric: { type: 'string' },
      'allow-mismatch': { type: 'boolean' },
      out: { type: 'string' },
      update: { type: 'boolean' },
      profile: { type: 'string' },
      'baseline-profile': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const v = parsed.values;
  if (v.help) return 'help';
  if (!v.current) throw usageError('--current RUN_DIR is required (see --help)');
  if (v.update) {
    const ignored = (['threshold', 'alpha', 'metric', 'allow-mismatch', 'out', 'profile', 'baseline-profile'] as const).filter((k) => v[k] !== undefined);
    if (ignored.length) throw usageError(`${ignored.map((k) => `--${k}`).join(', ')} do${ignored.length > 1 ? '' : 'es'} not apply to --update`);
  }
  return {
    command: v.update ? 'update' : 'gate',
    baseline: v.baseline ?? null,
    current: v.current,
    metric: v.metric === undefined ? GATE_DEFAULTS.metric : parseMetric(v.metric),
    thresholdPct: v.threshold === undefined ? GATE_DEFAULTS.thresholdPct : parseThreshold(v.threshold),
    alpha: v.alpha === undefined ? GATE_DEFAULTS.alpha : parseAlpha(v.alpha),
    allowMismatch: v['allow-mismatch'] ?? false,
    out: v.out ?? null,
    resamples: GATE_DEFAULTS.resamples,
    seed: GATE_DEFAULTS.seed,
    baselinesDir,
    profile: v.profile ?? null,
    baselineProfile: v['baseline-profile'] ?? null,
  };
}
