import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  changePoint,
  changePointPooled,
  isSteady,
  relativeResiduals,
  steadyChecks,
  mulberry32,
  STEADY_ALPHA,
  STEADY_MIN_SHIFT_PCT,
  type ChangePoint,
} from '../reports/stats/index.ts';
import { assertClose } from './fixtures/stats/fixtures.ts';

/** `n` samples around `level` with seeded uniform noise of +-`noise`. */
function series(rng: () => number, n: number, level: number, noise: number): number[] {
  return Array.from({ length: n }, () => level + noise * (2 * rng() - 1));
}

/** max_k |S_k - k mean| / sqrt(k (n - k) / n), written out independently of the module. */
function cusumMax(xs: readonly number[]): number {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  let best = 0;
  for (let k = 1; k < n; k++) {
    const sk = xs.slice(0, k).reduce((a, b) => a + b, 0);
    best = Math.max(best, Math.abs(sk - k * mean) / Math.sqrt((k * (n - k)) / n));
  }
  return best;
}

test('[1,1,1,1,5,5,5,5]: change at index 4, +400 %, permutation p close to the exact 2/70', () => {
  const xs = [1, 1, 1, 1, 5, 5, 5, 5];
  const cp = changePoint(xs, { permutations: 20_000, stopAfter: Infinity });
  assert.equal(cp.n, 8);
  assert.equal(cp.index, 4);
  assertClose(cp.shiftPct, 400, 1e-12, 'shiftPct');
  // Exact permutation p: with centred values +-2, |S_k - k mean| <= 2 min(k, 8 - k), so
  // T_k <= 2 sqrt(8 k / (8 - k)) for k <= 4 (symmetric above): 5.657 at k = 4, 4.38 at
  // k = 3. Only the two sorted orders (four 1s first, or four 5s first) reach
  // T_4 = 8 / sqrt(2) = 5.657, so 2 of the C(8, 4) = 70 equally likely arrangements
  // do: p = 2/70 = 1/35. Enumerated below; the Monte Carlo p has sd
  // sqrt((1/35)(34/35) / 20000) = 0.0012, so +-0.006 is 5 sd.
  let reach = 0;
  let arrangements = 0;
  const observed = cusumMax(xs);
  for (let mask = 0; mask < 256; mask++) {
    let ones = 0;
    for (let b = 0; b < 8; b++) ones += (mask >> b) & 1;
    if (ones !== 4) continue;
    arrangements++;
    const order = Array.from({ length: 8 }, (_, b) => ((mask >> b) & 1 ? 1 : 5));
    if (cusumMax(order) >= observed * (1 - 1e-12)) reach++;
  }
  assert.equal(arrangements, 70);
  assert.equal(reach, 2);
  assert.ok(Math.abs(cp.pValue - 2 / 70) <= 0.006, `p = ${cp.pValue}`);
  assert.equal(cp.permutations, 20_000);
  assert.equal(cp.seed, 42);
  assert.equal(isSteady(cp), true, 'p ~ 0.029 is not below STEADY_ALPHA = 0.01');
});

test('a level shift from 290 to 254 after 18 samples is found and is not steady', () => {
  const rng = mulberry32(18);
  const xs = [...series(rng, 18, 290, 0.5), ...series(rng, 12, 254, 0.5)];
  const cp = changePoint(xs);
  assert.equal(cp.index, 18);
  assert.ok(Math.abs(cp.shiftPct - (254 / 290 - 1) * 100) < 0.3, `shiftPct = ${cp.shiftPct}`);
  assertClose(cp.pValue, 1 / 2001, 1e-12, 'no shuffle reaches the observed statistic');
  assert.equal(isSteady(cp), false);
});

test('a flat series with tiny noise is steady', () => {
  const xs = series(mulberry32(3), 40, 290, 0.02);
  const cp = changePoint(xs);
  assert.ok(cp.index !== null && cp.index >= 1 && cp.index < 40);
  assert.ok(Math.abs(cp.shiftPct) < 0.01, `shiftPct = ${cp.shiftPct}`);
  assert.equal(isSteady(cp), true);
});

test('a 0.1 % shift is significant but below the practical threshold: still steady', () => {
  const rng = mulberry32(9);
  const xs = [...series(rng, 20, 1000, 0.01), ...series(rng, 20, 1001, 0.01)];
  const cp = changePoint(xs);
  assert.equal(cp.index, 20);
  assert.ok(Math.abs(cp.shiftPct - 0.1) < 0.001, `shiftPct = ${cp.shiftPct}`);
  assert.ok(cp.pValue < STEADY_ALPHA, `p = ${cp.pValue}`);
  assert.equal(isSteady(cp), true);
});

test('same seed gives the same p-value, another seed may differ', () => {
  const xs = series(mulberry32(5), 25, 300, 1);
  const a = changePoint(xs, { seed: 7, permutations: 500 });
  const b = changePoint(xs, { seed: 7, permutations: 500 });
  assert.deepEqual(a, b);
  const c = changePoint(xs, { seed: 9, permutations: 500 });
  assert.equal(c.index, a.index);
  assert.notEqual(c.pValue, a.pValue);
  assert.deepEqual(changePoint(xs), changePoint(xs, { seed: 42, permutations: 2000 }));
});

test('ties between splits go to the first; the input is not modified', () => {
  // T_1 = T_2 = (4/3) / sqrt(2/3) for [1, 5, 1]
  const xs = [1, 5, 1];
  const cp = changePoint(xs);
  assert.equal(cp.index, 1);
  assertClose(cp.shiftPct, 200, 1e-12, 'shiftPct');
  assert.deepEqual(xs, [1, 5, 1]);
});

test('n < 3 or all values equal: no change point, p = 1', () => {
  for (const xs of [[290], [290, 300], [290, 290, 290, 290]]) {
    assert.deepEqual(changePoint(xs, { seed: 3 }), {
      n: xs.length, index: null, shiftPct: 0, pValue: 1, permutations: 0, seed: 3,
    });
  }
});

test('isSteady needs both p < STEADY_ALPHA and |shiftPct| >= STEADY_MIN_SHIFT_PCT to fail', () => {
  assert.equal(STEADY_ALPHA, 0.01);
  assert.equal(STEADY_MIN_SHIFT_PCT, 0.5);
  const cp = (pValue: number, shiftPct: number): ChangePoint =>
    ({ n: 30, index: 10, shiftPct, pValue, permutations: 2000, seed: 42 });
  assert.equal(isSteady(cp(0.009, 0.5)), false);
  assert.equal(isSteady(cp(0.009, -0.5)), false);
  assert.equal(isSteady(cp(0.009, 0.49)), true);
  assert.equal(isSteady(cp(0.01, 5)), true);
  assert.equal(isSteady(cp(1, 0)), true);
});

test('bad input throws', () => {
  assert.throws(() => changePoint([]), /no samples/);
  assert.throws(() => changePoint([1, 2, NaN]), /sample 2 is NaN/);
  assert.throws(() => changePoint([1, 0, 2]), /sample 1 is 0; samples must be > 0/);
  assert.throws(() => changePoint([1, 2, 3], { permutations: 0 }), /permutations must be an integer >= 1/);
  assert.throws(() => changePoint([1, 2, 3], { permutations: 2.5 }), /permutations must be an integer >= 1/);
  assert.throws(() => changePoint([1, 2, 3], { seed: NaN }), /seed must be a finite number/);
});

test('10 000 samples with 2000 shuffles take well under a second', () => {
  const xs = series(mulberry32(1), 10_000, 290, 1);
  const start = performance.now();
  const cp = changePoint(xs);
  const ms = performance.now() - start;
  assert.ok(cp.pValue > 0 && cp.pValue <= 1);
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
});

test('the permutation test stops once 20 shuffles reach the statistic (Besag-Clifford), and only then', () => {
  const xs = [1, 1, 1, 1, 5, 5, 5, 5];
  // p = 1/35: about 700 shuffles reach 20; the estimate 20 / shuffles has a relative sd of about 1/sqrt(20).
  const early = changePoint(xs, { permutations: 20_000 });
  assert.ok(early.permutations > 200 && early.permutations < 2000, `${early.permutations} shuffles`);
  assert.ok(Math.abs(early.pValue - 1 / 35) < 0.02, `p ${early.pValue}`);
  assert.equal(early.pValue, 20 / early.permutations);
  // A clear change: no shuffle reaches it, so all are drawn and p is the smallest possible.
  const clear = changePoint([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], { permutations: 500 });
  assert.deepEqual([clear.permutations, clear.pValue], [500, 1 / 501]);
});

/** `boots` boots of `n` samples, each at its own level (two layout modes), with seeded noise of sd about `noisePct` %. */
function bootsOf(rng: () => number, boots: number, n: number, noisePct: number): number[][] {
  return Array.from({ length: boots }, (_, b) => {
    const level = b % 5 === 0 ? 393 : 380;
    // The sum of 3 uniforms of +-1 has sd 1: nearly normal noise without a normal generator.
    return Array.from({ length: n }, () => level * (1 + (noisePct / 100) * (rng() + rng() + rng() - 1.5) * 2));
  });
}

test('at N = 4 a boot\'s own permutations cannot reach p < 0.01, so a 3 % step is not flagged alone', () => {
  const cp = changePoint([380, 380.2, 391.5, 391.3], { stopAfter: Infinity });
  assert.ok(cp.pValue > STEADY_ALPHA, `p ${cp.pValue}`);
  const [alone] = steadyChecks([[380, 380.2, 391.5, 391.3]]);
  assert.equal(alone!.steady, null, 'one boot of 4 samples: not tested, not passed');
  assert.equal(alone!.method, 'not tested');
  assert.equal(alone!.pValue, null);
});

test('default N = 4: a boot with a 1 % level shift after 2 samples is flagged against 11 steady boots', () => {
  const boots = bootsOf(mulberry32(7), 12, 4, 0.1);
  boots[3] = [boots[3]![0]!, boots[3]![1]!, boots[3]![2]! * 1.01, boots[3]![3]! * 1.01];
  const checks = steadyChecks(boots);
  assert.equal(checks[3]!.method, 'pooled residuals');
  assert.equal(checks[3]!.steady, false, `p ${checks[3]!.pValue}, shift ${checks[3]!.shiftPct}`);
  assert.equal(checks[3]!.index, 2);
  assert.ok(checks[3]!.pValue! < STEADY_ALPHA);
  assertClose(checks[3]!.shiftPct, 1, 0.3, 'shift');
  assert.deepEqual(checks.map((c, i) => (i === 3 ? true : c.steady)), Array(12).fill(true), 'the other boots pass');
});

test('a 0.3 % shift at N = 4 is significant against 0.02 % noise but below the practical threshold: steady', () => {
  const boots = bootsOf(mulberry32(8), 12, 4, 0.02);
  boots[0] = [boots[0]![0]!, boots[0]![1]!, boots[0]![2]! * 1.003, boots[0]![3]! * 1.003];
  const [c] = steadyChecks(boots);
  assert.ok(c!.pValue! < STEADY_ALPHA, `p ${c!.pValue}`);
  assert.equal(c!.steady, true);
});

test('without a shift the pooled test flags at most its level: 0 of 12 x 50 boots with noise as large as the threshold', () => {
  // Noise sd 0.5 %: random splits of 4 samples often differ by 0.5 %, so only the p-value keeps them steady.
  let flagged = 0;
  let below = 0;
  let tested = 0;
  for (let r = 0; r < 50; r++) {
    for (const c of steadyChecks(bootsOf(mulberry32(100 + r), 12, 4, 0.5), { seed: r })) {
      tested++;
      if (c.steady === false) flagged++;
      if (c.pValue! < STEADY_ALPHA) below++;
    }
  }
  assert.equal(tested, 600);
  // p < 0.01 happens about 1 % of the time by construction (6 of 600 expected; 15 is 3.7 sd above).
  assert.ok(below <= 15, `${below} of 600 below alpha`);
  assert.ok(flagged <= below);
});

test('steady checks: within-boot permutations from 10 samples on when other boots are too few; not tested below', () => {
  const rng = mulberry32(9);
  const long = bootsOf(rng, 2, 10, 0.1);
  long[0] = long[0]!.map((x, i) => (i >= 5 ? x * 1.02 : x));
  const checks = steadyChecks(long);
  assert.deepEqual(checks.map((c) => c.method), ['within boot', 'within boot'], '2 x 9 residuals are fewer than 20');
  assert.equal(checks[0]!.steady, false);
  assert.equal(checks[1]!.steady, true);
  const short = steadyChecks(bootsOf(rng, 3, 8, 0.1));
  assert.deepEqual(short.map((c) => c.steady), [null, null, null], '3 boots x 8: 14 residuals of the other two, 8 samples');
  const two = steadyChecks(bootsOf(rng, 12, 2, 0.1));
  assert.deepEqual(two.map((c) => c.method), Array(12).fill('not tested'), 'two samples cannot show a change of level');
});

test('relative residuals are scaled to estimate the noise, and the pooled test refuses an empty pool', () => {
  assert.deepEqual(relativeResiduals([5]), []);
  const r = relativeResiduals([99, 101]);
  assertClose(r[0]!, -0.01 * Math.SQRT2, 1e-12, 'r0');
  assertClose(r[1]!, 0.01 * Math.SQRT2, 1e-12, 'r1');
  assert.throws(() => changePointPooled([1, 2, 3], [0.1]), /at least 2 residuals/);
});
