import { test } from 'node:test';
import assert from 'node:assert/strict';
import { holmBonferroni } from '../reports/stats/index.ts';
import { assertClose, loadFixture } from './fixtures/stats/fixtures.ts';

const fx = loadFixture<{ cases: { p: number[]; adjusted: number[] }[] }>('holm.json');

test('holmBonferroni matches statsmodels multipletests(method="holm")', () => {
  for (const { p, adjusted } of fx.cases) {
    const got = holmBonferroni(p);
    assert.equal(got.length, adjusted.length);
    got.forEach((g, i) => assertClose(g, adjusted[i] as number, 1e-14, `p=${JSON.stringify(p)} index ${i}`));
  }
});

test('adjusted p-values keep the order of the raw ones, are >= them and <= 1', () => {
  for (const { p } of fx.cases) {
    const adj = holmBonferroni(p);
    p.forEach((pi, i) => {
      assert.ok((adj[i] as number) >= pi && (adj[i] as number) <= 1);
      p.forEach((pj, j) => {
        if (pi < pj) assert.ok((adj[i] as number) <= (adj[j] as number));
      });
    });
  }
});

test('holmBonferroni handles no p-values and rejects invalid ones', () => {
  assert.deepEqual(holmBonferroni([]), []);
  assert.throws(() => holmBonferroni([0.1, NaN]), /p-value 1 is NaN/);
  assert.throws(() => holmBonferroni([1.2]), /must be in \[0, 1\]/);
  assert.throws(() => holmBonferroni([-0.1]), /must be in \[0, 1\]/);
});
