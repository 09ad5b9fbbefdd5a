import { test } from 'node:test';
import assert from 'node:assert/strict';
import { erfc, normalCdf, normalQuantile, normalSf } from '../reports/stats/index.ts';
import { assertClose, loadFixture } from './fixtures/stats/fixtures.ts';

interface NormalFixture {
  cdf: { x: number[]; cdf: number[]; sf: number[] };
  erfc: { x: number[]; erfc: number[] };
  quantile: { p: number[]; z: number[] };
}
const fx = loadFixture<NormalFixture>('normal.json');

test('normalCdf and normalSf match scipy.stats.norm to 1e-12 relative, tails included', () => {
  fx.cdf.x.forEach((x, i) => {
    assertClose(normalCdf(x), fx.cdf.cdf[i] as number, 1e-12, `cdf(${x})`);
    assertClose(normalSf(x), fx.cdf.sf[i] as number, 1e-12, `sf(${x})`);
  });
});

test('erfc matches scipy.special.erfc to 1e-12 relative', () => {
  fx.erfc.x.forEach((x, i) => assertClose(erfc(x), fx.erfc.erfc[i] as number, 1e-12, `erfc(${x})`));
});

test('normalQuantile matches scipy.stats.norm.ppf and inverts normalCdf', () => {
  fx.quantile.p.forEach((p, i) => {
    assertClose(normalQuantile(p), fx.quantile.z[i] as number, 1e-12, `ppf(${p})`, 1e-15);
    assertClose(normalCdf(normalQuantile(p)), p, 1e-12, `cdf(ppf(${p}))`);
  });
  assert.equal(normalQuantile(0), -Infinity);
  assert.equal(normalQuantile(1), Infinity);
  assert.throws(() => normalQuantile(1.5), /p must be in \[0, 1\]/);
  assert.throws(() => normalQuantile(NaN), /p must be in \[0, 1\]/);
});
