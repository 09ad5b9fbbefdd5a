import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXACT_MAX_PAIRS, mannWhitneyU, mulberry32 } from '../reports/stats/index.ts';
import { assertClose, loadFixture } from './fixtures/stats/fixtures.ts';

interface Case {
  name: string;
  a: number[];
  b: number[];
  method: 'exact' | 'normal';
  u: number;
  pValue: number;
}
const fx = loadFixture<{ auto: Case[]; forced: Case[] }>('mann-whitney.json');

for (const c of fx.auto) {
  test(`mannWhitneyU (auto) matches scipy method='${c.method === 'exact' ? 'exact' : 'asymptotic'}': ${c.name}`, () => {
    const r = mannWhitneyU(c.a, c.b);
    assert.equal(r.method, c.method);
    assert.equal(r.u, c.u);
    assertClose(r.pValue, c.pValue, 1e-9, 'p-value');
    assert.equal(r.method === 'exact', !r.ties && c.a.length * c.b.length <= EXACT_MAX_PAIRS);
  });
}

for (const c of fx.forced) {
  test(`mannWhitneyU with method '${c.method}' matches scipy: ${c.name}`, () => {
    const r = mannWhitneyU(c.a, c.b, { method: c.method });
    assert.equal(r.method, c.method);
    assert.equal(r.u, c.u);
    assertClose(r.pValue, c.pValue, 1e-9, 'p-value');
  });
}

test('swapping the groups gives U2 = n1 n2 - U1 and the same p-value', () => {
  for (const c of fx.auto) {
    const ab = mannWhitneyU(c.a, c.b);
    const ba = mannWhitneyU(c.b, c.a);
    assert.equal(ba.u, c.a.length * c.b.length - ab.u, c.name);
    assertClose(ba.pValue, ab.pValue, 1e-12, c.name);
  }
});

test('the exact method refuses ties; bad input throws', () => {
  assert.throws(() => mannWhitneyU([1, 2, 2], [3, 4], { method: 'exact' }), /without ties/);
  const big = Array.from({ length: 201 }, (_, i) => i);
  assert.throws(() => mannWhitneyU(big, big.map((x) => x + 0.5), { method: 'exact' }), /limited to n1 \* n2/);
  assert.throws(() => mannWhitneyU([], [1]), /a: no samples/);
  assert.throws(() => mannWhitneyU([1], [NaN]), /b: sample 0 is NaN/);
});

test('1e5 samples per group with ties take well under a second', () => {
  const rng = mulberry32(7);
  const draw = (scale: number) =>
    Array.from({ length: 100_000 }, () => Math.round(1000 * scale * (1 + 0.1 * (rng() + rng() + rng() - 1.5))));
  const a = draw(1);
  const b = draw(1.002);
  const start = performance.now();
  const r = mannWhitneyU(a, b);
  const ms = performance.now() - start;
  assert.equal(r.method, 'normal');
  assert.ok(r.ties);
  assert.ok(r.u >= 0 && r.u <= 1e10 && r.pValue >= 0 && r.pValue <= 1);
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
});
