/**
 * This run's overheads beside the ones KP Singh's LSS 2019 talk published
 * (reports/lss2019.json), with a sentence per setup saying what agrees and what
 * does not: direction first, then rough size. The talk reported the mean of
 * wall-clock µs on unknown hardware; this suite reports medians, in icount mode of
 * instruction-time, so only the percentages can be set side by side, and loosely.
 */

import { readFileSync } from 'node:fs';
import type { Summary } from '../summary.ts';

/** One setup of the talk. */
export interface ReferenceSetup {
  /** The scenario of this suite that reproduces it. */
  scenario: string;
  description: string;
  mean_us: number;
  /** Against the talk's baseline; null for the baseline itself. */
  overhead_pct: number | null;
}

/** reports/lss2019.json */
export interface TalkReference {
  source: string;
  unit: string;
  caveat: string;
  setups: ReferenceSetup[];
}

/** Reads reports/lss2019.json. */
export function loadTalkReference(): TalkReference {
  return JSON.parse(readFileSync(new URL('../lss2019.json', import.meta.url), 'utf8')) as TalkReference;
}

/** One setup of the talk against this run. */
export interface TalkRow {
  setup: ReferenceSetup;
  /** This run's median, ns; null when the scenario was not run. */
  medianNs: number | null;
  overheadPct: number | null;
  ci95Pct: [number, number] | null;
  verdict: string | null;
  /** Which of this run's figures stands beside the talk's: exec latency where the run measured it, else the CPU cost. */
  metric: 'latency' | 'cpu';
  /** What a reader should take from the two figures. */
  sentence: string;
}

/** The comparison section's content. */
export interface TalkComparison {
  rows: TalkRow[];
  /** Scenarios of this run that the talk did not measure. */
  notInTalk: string[];
  /** Why the figures compare only loosely, for this run's mode. */
  caveat: string;
}

/** "+28.0 %": the talk's figures, published with one decimal. */
const pct1 = (p: number) => `${p >= 0 ? '+' : '-'}${Math.abs(p).toFixed(1)} %`;
/** "+0.60 %": this run's, whose intervals can be narrower than a tenth of a percent. */
const pct2 = (p: number) => `${p >= 0 ? '+' : '-'}${Math.abs(p).toFixed(2)} %`;

/** Compares the summary with the talk's setups, scenario by scenario. */
export function compareWithTalk(summary: Summary, ref: TalkReference): TalkComparison {
  const talkBaseline = ref.setups.find((s) => s.overhead_pct === null)?.scenario ?? null;
  const rows = ref.setups.map((setup): TalkRow => {
    const ours = summary.scenarios.find((s) => s.name === setup.scenario);
    // The talk timed exec on a multi-core machine, where the daemons ran beside the exec'ing
    // process: what it measured is closest to this run's latency (reports/latency.ts).
    const latency = ours?.latency ?? null;
    const figure = latency ? { centre: latency.centre, overhead: latency.overhead } : ours ? { centre: ours.centre, overhead: ours.overhead } : null;
    const row = {
      setup,
      medianNs: figure?.centre.ns ?? null,
      overheadPct: figure?.overhead?.pct ?? null,
      ci95Pct: figure?.overhead ? ([...figure.overhead.ci95_pct] as [number, number]) : null,
      verdict: figure?.overhead?.verdict ?? null,
      metric: latency ? ('latency' as const) : ('cpu' as const),
    };
    return { ...row, sentence: sentence(setup, row, summary, talkBaseline, ours ? replicates(ours) : 0) };
  });
  const inTalk = new Set(ref.setups.map((s) => s.scenario));
  return {
    rows,
    notInTalk: summary.scenarios.map((s) => s.name).filter((n) => !inTalk.has(n)),
    caveat: `${caveat(summary.mode, ref)}${rows.some((r) => r.metric === 'latency') ? ` ${LATENCY_CAVEAT}` : ''}`,
  };
}

/** What a scenario's interval is over: its boots when they drew their layouts, else its samples. */
const replicates = (s: Summary['scenarios'][number]) => (s.centre.method === 'boots' ? s.boots : s.n);

function sentence(setup: ReferenceSetup, ours: Omit<TalkRow, 'sentence' | 'setup'>, summary: Summary, talkBaseline: string | null, n: number): string {
  const name = setup.scenario;
  const talk = setup.overhead_pct;
  if (ours.medianNs === null) {
    return `${name}: not measured in this run${talk === null ? ' (the talk\'s baseline)' : `; the talk measured ${pct1(talk)}`}.`;
  }
  const unit = summary.mode === 'icount' ? 'instruction-time' : summary.mode === 'kvm' ? 'wall-clock time in a KVM guest' : 'the recorded unit';
  if (talk === null) {
    const role = name === summary.baseline ? 'the baseline in both' : `the talk's baseline, here ${ours.overheadPct === null ? 'measured' : `${pct2(ours.overheadPct)} against ${summary.baseline}`}`;
    return `${name}: ${role}; ${(ours.medianNs / 1000).toFixed(2)} µs (${summary.scenarios.find((x) => x.name === name)?.centre.method === 'boots' ? 'geometric mean of the boots\' medians' : 'median'}, ${unit}) here vs ${setup.mean_us} µs (mean, wall-clock) in the talk. Absolute times do not compare; only the overheads do.`;
  }
  if (ours.overheadPct === null || ours.ci95Pct === null || ours.verdict === null) {
    return `${name}: the baseline of this run, so it has no overhead to set beside the talk's ${pct1(talk)}.`;
  }
  const here = `${pct2(ours.overheadPct)} ${ours.metric === 'latency' ? 'exec latency ' : ''}here (95 % CI ${pct2(ours.ci95Pct[0])} to ${pct2(ours.ci95Pct[1])})`;
  if (talkBaseline !== null && summary.baseline !== talkBaseline) {
    return `${name}: ${here} against ${summary.baseline}, vs ${pct1(talk)} in the talk against ${talkBaseline}: different baselines, so not compared.`;
  }
  const inside = ours.ci95Pct[0] <= talk && talk <= ours.ci95Pct[1];
  const lead = `${name}: ${here} vs ${pct1(talk)} in the talk`;
  const talkDirection = talk > 0 ? 'slower' : talk < 0 ? 'faster' : 'none';
  if (ours.verdict === 'inconclusive' || ours.verdict === 'equivalent') {
    const none = ours.verdict === 'equivalent' ? `equivalent to ${summary.baseline} within ±${summary.equivalence_margin_pct ?? 1} % here` : 'no difference shown here';
    // an interval clear of 0 without a verdict: the test could not be significant (few samples)
    const ciDirection = ours.ci95Pct[0] > 0 ? 'slower' : ours.ci95Pct[1] < 0 ? 'faster' : null;
    if (ciDirection !== null) {
      const relation = ciDirection === talkDirection ? `the same direction as the talk${inside ? ', whose figure lies inside this run\'s interval' : ''}` : 'the opposite direction to the talk';
      const baseline = summary.scenarios.find((s) => s.name === summary.baseline);
      const what = baseline?.centre.method === 'boots' ? 'boots' : 'samples';
      return `${lead}: this run's interval points in ${relation}, but the difference is not significant (${n} against ${baseline ? replicates(baseline) : 0} ${what}): too few for a verdict.`;
    }
    if (inside) return `${lead}: ${none}, and the talk's figure lies inside this run's interval: consistent.`;
    if (talkDirection === 'none') return `${lead}: neither shows a cost.`;
    return `${lead}: ${none}, while the talk reported ${talkDirection === 'slower' ? 'a cost' : 'a gain'} of ${pct1(talk)}, outside this run's interval.`;
  }
  if (talkDirection === 'none') return `${lead}: the talk reported no cost; this run finds the scenario ${ours.verdict}.`;
  if (ours.verdict !== talkDirection) return `${lead}: opposite direction (${ours.verdict} here, ${talkDirection} in the talk).`;
  if (inside) return `${lead}: same direction and the same size: the talk's figure lies inside this run's interval.`;
  const ratio = ours.overheadPct / talk;
  const size = ratio >= 1 ? 'larger here' : 'smaller here';
  const how = Math.abs(ratio - 1) < 0.25 ? `same direction, slightly ${size}` : `same direction, ${size}`;
  return `${lead}: ${how} (${ratio.toFixed(ratio < 0.095 ? 2 : 1)}× the talk's figure).`;
}

/** Why the talk's figures stand beside this run's latency rather than its CPU cost. */
export const LATENCY_CAVEAT = 'The talk timed exec on a multi-core machine, where auditd, kauditd and the BPF logger run on other cores beside the exec\'ing process; this run\'s guest has one CPU and charges their work to the exec loop (the CPU cost). Its exec latency leaves out the time the exec\'ing tasks waited for the CPU while those ran, which is what the talk\'s machine spared them, so the latency is set beside the talk\'s figures.';

function caveat(mode: string, ref: TalkReference): string {
  const talk = `The talk reported ${ref.unit}, wall-clock on hardware and a kernel it does not name (${ref.caveat}).`;
  if (mode === 'icount') {
    return `${talk} This run reports medians of instruction-time: QEMU's clock counts guest instructions, so cache misses, memory latency and the CPU's speed do not show, and absolute times do not compare at all. Compare the percentages for direction and rough size only.`;
  }
  if (mode === 'kvm') {
    return `${talk} This run reports medians of wall-clock time in a KVM guest on its own host; the percentages compare in kind, the absolute times only as far as the machines do.`;
  }
  return `${talk} This run's mode is not recorded (no run.json), so what its unit is cannot be said; compare the percentages with care.`;
}
