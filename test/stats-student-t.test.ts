import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalCdf, normalQuantile, studentTCdf, studentTQuantile, studentTSf } from '../reports/stats/index.ts';
import { assertClose, loadFixture } from './fixtures/stats/fixtures.ts';

interface StudentTFixture {
  cdf: { df: number[]; t: number[]; cdf: number[][]; sf: number[][] };
  quantile: { df: number[]; p: number[]; scipy: number[][]; mpmath: number[][] };
  farQuantile: { p: number; df: number; t: number }[];
}
const fx = loadFixture<StudentTFixture>('student-t.json');

/** Relative comparison that accepts values scipy returns below the normal double range (subnormals, 0) within 1e-300. */
const close = (actual: number, expected: number, rel: number, message: string) =>
  assertClose(actual, expected, rel, message, 1e-300);

test('studentTCdf and studentTSf match scipy.stats.t to 1e-12 relative, far tails and large df included', () => {
  fx.cdf.df.forEach((df, i) => {
    fx.cdf.t.forEach((t, j) => {
      close(studentTCdf(t, df), fx.cdf.cdf[i]?.[j] as number, 1e-12, `cdf(${t}, df=${df})`);
      close(studentTSf(t, df), fx.cdf.sf[i]?.[j] as number, 1e-12, `sf(${t}, df=${df})`);
    });
  });
});

test('studentTQuantile matches 40-digit mpmath quantiles to 1e-12 and scipy.stats.t.ppf to its ~1e-9', () => {
  fx.quantile.df.forEach((df, i) => {
    fx.quantile.p.forEach((p, j) => {
      const q = studentTQuantile(p, df);
      assertClose(q, fx.quantile.mpmath[i]?.[j] as number, 1e-12, `ppf(${p}, df=${df}) vs mpmath`);
      // scipy 1.10 computes t.ppf with cephes stdtri, accurate to only a few 1e-9 here
      assertClose(q, fx.quantile.scipy[i]?.[j] as number, 1e-8, `ppf(${p}, df=${df}) vs scipy`, 1e-15);
      // the round trip amplifies the last-bit rounding of q by d ln cdf / d ln t (~200 at p = 1e-50, df = 1000)
      if (p !== 0.5) assertClose(studentTCdf(q, df), p, 1e-10, `cdf(ppf(${p}), df=${df})`);
    });
  });
});

test('studentTQuantile reaches p = 1e-300 (t down to -3e299 for df = 1)', () => {
  assert.ok(fx.farQuantile.length >= 20);
  for (const { p, df, t } of fx.farQuantile) {
    assertClose(studentTQuantile(p, df), t, 1e-12, `ppf(${p}, df=${df})`);
    assertClose(studentTCdf(t, df), p, 1e-12, `cdf(${t}, df=${df})`);
  }
});

test('closed forms: df = 1 (Cauchy), df = 2; symmetry; df = Infinity is the normal', () => {
  for (const t of [-1e8, -30, -2, -0.5, 0, 0.25, 1, 7, 1e5]) {
    // written without cancellation: atan2(1, -t) / pi and 1 / (r (r + |t|)) for t < 0, r = sqrt(2 + t^2)
    assertClose(studentTCdf(t, 1), Math.atan2(1, -t) / Math.PI, 1e-14, `Cauchy cdf(${t})`);
    const r = Math.sqrt(2 + t * t);
    const df2 = t < 0 ? 1 / (r * (r - t)) : 0.5 + t / (2 * r);
    assertClose(studentTCdf(t, 2), df2, 1e-14, `df=2 cdf(${t})`);
    assertClose(studentTSf(t, 3.7), studentTCdf(-t, 3.7), 0, `sf(${t}) = cdf(-t)`);
    assertClose(studentTCdf(t, Infinity), normalCdf(t), 0, `normal cdf(${t})`);
  }
  for (const p of [1e-12, 0.01, 0.2, 0.5, 0.8, 0.975]) {
    assertClose(studentTQuantile(p, 1), -1 / Math.tan(Math.PI * p), 1e-13, `Cauchy ppf(${p})`, 1e-15);
    assertClose(studentTQuantile(p, 2), (2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 1e-13, `df=2 ppf(${p})`);
    assertClose(studentTQuantile(p, Infinity), normalQuantile(p), 0, `normal ppf(${p})`, 1e-15);
  }
  assert.equal(studentTCdf(0, 7), 0.5);
  assert.equal(studentTCdf(-Infinity, 3), 0);
  assert.equal(studentTCdf(Infinity, 3), 1);
  assert.equal(studentTSf(Infinity, 3), 0);
  assert.ok(Number.isNaN(studentTCdf(NaN, 3)));
});

test('edge values and bad input', () => {
  assert.equal(studentTQuantile(0, 4), -Infinity);
  assert.equal(studentTQuantile(1, 4), Infinity);
  assert.equal(studentTQuantile(0.5, 4), 0);
  assert.throws(() => studentTQuantile(1.5, 4), /p must be in \[0, 1\]/);
  assert.throws(() => studentTQuantile(NaN, 4), /p must be in \[0, 1\]/);
  assert.throws(() => studentTCdf(1, 0), /df must be > 0/);
  assert.throws(() => studentTSf(1, -2), /df must be > 0/);
  assert.throws(() => studentTQuantile(0.3, NaN), /df must be > 0/);
});
