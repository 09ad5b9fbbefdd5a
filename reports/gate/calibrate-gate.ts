/**
 * The gate's error rates, measured: from a run with many boots, draw two
 * disjoint sets of B seeds and gate one against the other as if the second
 * were a new run of the same code on rebuilt kernels. Its seeds are renamed
 * to the first set's, so the gate pairs them seed by seed as it would pair
 * two runs with the same seeds, while every layout is an independent draw,
 * as after a rebuild: nothing changed, so every "regressed" is a false
 * failure. The same draws with one scenario's CPU cost raised by the change
 * the gate says it detects with 80 % power measure that power.
 */

import type { Baseline, BaselineScenario } from './baseline.ts';
import { compareRuns, type CompareOptions, type ScenarioResult } from './compare.ts';
import { mulberry32, shuffled } from '../../lib/prng.ts';

export interface GateCalibrationOptions {
  /** Seeds per set: the B of a run. */
  bootsPerSet: number;
  /** Pairs of disjoint sets drawn. */
  draws: number;
  alpha: number;
  thresholdPct: number;
  seed: number;
}

/** How often each verdict came out, over scenarios and draws. */
export interface VerdictRates {
  regressed: number;
  improved: number;
  no_change: number;
  inconclusive: number;
}

export interface GateCalibration {
  options: GateCalibrationOptions;
  gated: string[];
  /** A/A at the gate's threshold: verdict rates, and how often the gate failed (any scenario regressed). */
  atThreshold: { verdicts: VerdictRates; failed: number };
  /** A/A at threshold 0: the test against 0, whose false-failure rate must be at most alpha. */
  atZero: { verdicts: VerdictRates; failed: number };
  /** Per scenario: the mean detectable change the gate stated, and how often that change, injected, was called regressed. */
  power: { scenario: string; detectablePp: number; regressed: number }[];
}

/** The run restricted to `seeds`, each boot's seed renamed to `as[i]`; a factor on one scenario's samples. */
function subset(b: Baseline, seeds: number[], as: number[], scale: { scenario: string; factor: number } | null): Baseline {
  const rename = new Map(seeds.map((s, i) => [s, as[i]!]));
  const scenarios: Record<string, BaselineScenario> = {};
  for (const [name, s] of Object.entries(b.scenarios)) {
    const f = scale && scale.scenario === name ? scale.factor : 1;
    const boots = s.boots.filter((bt) => bt.seed !== null && rename.has(bt.seed)).map((bt) => ({ seed: rename.get(bt.seed!)!, samples_ns: bt.samples_ns.map((x) => x * f) }));
    scenarios[name] = { ...s, boots, samples_ns: boots.flatMap((bt) => bt.samples_ns) };
  }
  return { ...b, scenarios };
}

const rates = (results: ScenarioResult[][]): VerdictRates => {
  const all = results.flat().filter((r) => r.role === 'gated');
  const share = (v: ScenarioResult['verdict']) => all.filter((r) => r.verdict === v).length / all.length;
  return { regressed: share('regressed'), improved: share('improved'), no_change: share('no change'), inconclusive: share('inconclusive') };
};
const failedShare = (results: ScenarioResult[][]) => results.filter((rs) => rs.some((r) => r.verdict === 'regressed')).length / results.length;

export function calibrateGate(run: Baseline, opts: GateCalibrationOptions): GateCalibration {
  const base = run.baseline_scenario;
  const seedSets = Object.values(run.scenarios).map((s) => new Set(s.boots.flatMap((b) => (b.seed === null ? [] : [b.seed]))));
  const seeds = [...seedSets[0]!].filter((s) => seedSets.every((set) => set.has(s))).sort((a, b) => a - b);
  const rng = mulberry32(opts.seed);
  const compare = (thresholdPct: number): CompareOptions => ({ metric: 'overhead', thresholdPct, alpha: opts.alpha, resamples: 1000, seed: 1 });
  const pairs = Array.from({ length: opts.draws }, () => {
    const order = shuffled(seeds, rng);
    return { a: order.slice(0, opts.bootsPerSet), b: order.slice(opts.bootsPerSet, 2 * opts.bootsPerSet) };
  });
  const aa = (thresholdPct: number) => pairs.map(({ a, b }) => compareRuns(subset(run, a, a, null), subset(run, b, a, null), compare(thresholdPct)).scenarios);
  const atThreshold = aa(opts.thresholdPct);
  const atZero = aa(0);
  const gated = atThreshold[0]!.filter((r) => r.role === 'gated').map((r) => r.name);
  const power = gated.map((scenario) => {
    const stated = atThreshold.map((rs) => rs.find((r) => r.name === scenario)!);
    const detectablePp = stated.reduce((n, r) => n + r.detectable!, 0) / stated.length;
    let regressed = 0;
    pairs.forEach(({ a, b }, i) => {
      // A rise of detectablePp points of overhead: the scenario's cost times 1 + pp / (100 r), r its overhead ratio in the old set.
      const r = 1 + stated[i]!.old!.overhead_pct! / 100;
      const cur = subset(run, b, a, { scenario, factor: 1 + detectablePp / (100 * r) });
      if (compareRuns(subset(run, a, a, null), cur, compare(opts.thresholdPct)).scenarios.find((x) => x.name === scenario)!.verdict === 'regressed') regressed++;
    });
    return { scenario, detectablePp, regressed: regressed / pairs.length };
  });
  return {
    options: opts,
    gated: gated.filter((n) => n !== base),
    atThreshold: { verdicts: rates(atThreshold), failed: failedShare(atThreshold) },
    atZero: { verdicts: rates(atZero), failed: failedShare(atZero) },
    power,
  };
}
