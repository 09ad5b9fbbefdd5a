/**
 * The gate's explanation of a regression: the functions that grew most, from
 * profiles (npm run profile). Between a profile of the baseline's code and
 * one of the current code where both are given; otherwise, what the
 * scenario adds over its own baseline scenario in the current profile.
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { usageError } from '../../lib/errors.ts';
import { RESULT_FILES } from '../../lib/results.ts';
import type { FunctionPerExec, ProfileSummary } from '../profile/summarize.ts';

export interface GrownFunction {
  group: string;
  binary: string;
  function: string;
  before: number;
  after: number;
  delta: number;
}

export interface Explanation {
  scenario: string;
  /** between-runs: the baseline's profile against the current one; against-baseline-scenario: the current profile alone. */
  kind: 'between-runs' | 'against-baseline-scenario';
  /** For against-baseline-scenario: the scenario it is taken against. */
  against: string | null;
  /** Instructions per exec, all functions, before and after. */
  totalBefore: number;
  totalAfter: number;
  functions: GrownFunction[];
}

const TOP = 10;

/** profiles/profile.json of a profiling run, or null when dir has none. */
export function readProfileSummary(dir: string): ProfileSummary | null {
  const path = join(dir, RESULT_FILES.profiles, RESULT_FILES.profile);
  if (!existsSync(path)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw usageError(`${path}: not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const p = raw as ProfileSummary;
  if (!p || !Array.isArray(p.scenarios) || p.scenarios.some((s) => typeof s.scenario !== 'string' || !Array.isArray(s.functions))) {
    throw usageError(`${path}: not a krsi-bench profile summary`);
  }
  return p;
}

const key = (f: FunctionPerExec) => `${f.group}\0${f.binary}\0${f.function}`;

function grown(before: FunctionPerExec[], after: FunctionPerExec[]): GrownFunction[] {
  const b = new Map(before.map((f) => [key(f), f]));
  const a = new Map(after.map((f) => [key(f), f]));
  return [...new Set([...b.keys(), ...a.keys()])].map((k) => {
    const f = a.get(k) ?? b.get(k)!;
    const x = b.get(k)?.perExec ?? 0;
    const y = a.get(k)?.perExec ?? 0;
    return { group: f.group, binary: f.binary, function: f.function, before: x, after: y, delta: y - x };
  }).sort((p, q) => q.delta - p.delta).slice(0, TOP);
}

/** The explanations of the regressed scenarios that a profile covers. */
export function explainRegressions(regressed: string[], current: ProfileSummary | null, baseline: ProfileSummary | null): Explanation[] {
  if (!current) return [];
  return regressed.flatMap((name): Explanation[] => {
    const now = current.scenarios.find((s) => s.scenario === name);
    if (!now) return [];
    const then = baseline?.scenarios.find((s) => s.scenario === name);
    if (then) {
      return [{ scenario: name, kind: 'between-runs', against: null, totalBefore: then.perExec.profile, totalAfter: now.perExec.profile, functions: grown(then.functions, now.functions) }];
    }
    const base = current.scenarios.find((s) => s.scenario === now.against);
    if (!base) return [];
    return [{
      scenario: name, kind: 'against-baseline-scenario', against: base.scenario, totalBefore: base.perExec.profile, totalAfter: now.perExec.profile,
      functions: now.added.slice(0, TOP).map((f) => ({ group: f.group, binary: f.binary, function: f.function, before: f.baselinePerExec, after: f.perExec, delta: f.delta })),
    }];
  });
}

/** gate.md's section: one table per explained scenario. */
export function explanationMarkdown(explanations: Explanation[]): string[] {
  if (!explanations.length) return [];
  const lines = ['', '**Where it grew** (instructions per exec of nop, from the profiles; flat: each function\'s own instructions)'];
  for (const e of explanations) {
    const what = e.kind === 'between-runs'
      ? `\`${e.scenario}\`: the baseline's profile against the current one, ${e.totalBefore.toFixed(0)} -> ${e.totalAfter.toFixed(0)} in all`
      : `\`${e.scenario}\` against \`${e.against}\` in the current profile (no profile of the baseline's code was given), ${e.totalBefore.toFixed(0)} -> ${e.totalAfter.toFixed(0)} in all`;
    lines.push('', what, '', '| kind | binary | function | before | after | grew by |', '| :-- | :-- | :-- | --: | --: | --: |');
    for (const f of e.functions) lines.push(`| ${f.group} | ${f.binary} | \`${f.function}\` | ${f.before.toFixed(0)} | ${f.after.toFixed(0)} | +${f.delta.toFixed(0)} |`);
  }
  return lines;
}
