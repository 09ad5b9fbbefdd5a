/**
 * The noncentral t (reports/stats/noncentral-t.ts) against scipy 1.x:
 *   python3 -c "from scipy import stats; print(stats.nct.sf(t, df, ncp))"
 * and the noncentrality for 80 % power against scipy's brentq on nct.sf:
 *   optimize.brentq(lambda d: stats.nct.sf(stats.t.ppf(1 - a, df), df, d) - 0.8, -5, 30, xtol=1e-12)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noncentralityForPower, noncentralTSf } from '../reports/stats/noncentral-t.ts';
import { normalSf } from '../reports/stats/normal.ts';
import { studentTQuantile, studentTSf } from '../reports/stats/student-t.ts';

const SCIPY_SF: [t: number, df: number, ncp: number, sf: number][] = [
  [4.02, 11, 5.0, 0.793833743064332],
  [2.0, 3, 1.0, 0.25637013159233457],
  [1.5, 1, 0.5, 0.3141729710062164],
  [3.0, 30, 2.5, 0.3290778627181663],
  [-1.0, 5, 0.0, 0.8183912661754386],
  [0.0, 2, -1.0, 0.15865525393145707],
  [6.0, 11, 4.0, 0.12235858430768198],
  [2.2, 100, 2.0, 0.42380856649125076],
  [1.8, 22.7, 3.1, 0.898881743827901],
];

test('noncentralTSf matches scipy.stats.nct.sf', () => {
  for (const [t, df, ncp, sf] of SCIPY_SF) {
    const got = noncentralTSf(t, df, ncp);
    assert.ok(Math.abs(got - sf) < 1e-6, `sf(${t}; ${df}, ${ncp}) = ${got}, scipy ${sf}`);
  }
});

test('noncentralTSf: the central t at ncp 0, the shifted normal at huge df', () => {
  for (const [t, df] of [[1.2, 4], [2.5, 11], [-0.7, 30]] as const) assert.ok(Math.abs(noncentralTSf(t, df, 0) - studentTSf(t, df)) < 1e-7);
  assert.ok(Math.abs(noncentralTSf(2, 1e8, 1.5) - normalSf(0.5)) < 1e-12);
  assert.throws(() => noncentralTSf(1, 0.5, 0), /df >= 1/);
});

test('noncentralityForPower matches scipy; at the gate\'s strictest Holm step the normal-shift shortcut promises too much', () => {
  const SCIPY: [df: number, alpha: number, ncp: number][] = [
    [11, 0.001, 5.034214676439684],
    [11, 0.05, 2.654903323452912],
    [5, 0.01, 4.404940727099949],
    [30, 0.005, 3.619591966748963],
    [22.7, 0.002, 4.097587954403016],
  ];
  for (const [df, alpha, ncp] of SCIPY) {
    const tCrit = studentTQuantile(1 - alpha, df);
    const got = noncentralityForPower(tCrit, df, 0.8);
    assert.ok(Math.abs(got - ncp) < 1e-4, `df ${df}, alpha ${alpha}: ${got}, scipy ${ncp}`);
  }
  // 12 seeds, alpha 0.005 over 5 scenarios: the shortcut's 4.90 se has 77 % power, not 80 %.
  const tCrit = studentTQuantile(1 - 0.001, 11);
  const shortcut = tCrit + studentTQuantile(0.8, 11);
  assert.ok(Math.abs(noncentralTSf(tCrit, 11, shortcut) - 0.771) < 0.002, `power at the shortcut ${noncentralTSf(tCrit, 11, shortcut)}`);
});
