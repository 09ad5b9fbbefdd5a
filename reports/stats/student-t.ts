/**
 * Student's t distribution with df > 0 degrees of freedom (df need not be an
 * integer, e.g. a Welch-Satterthwaite df): CDF, survival function and quantile.
 *
 * Method: for t <= 0, P(T <= t) = I_x(df/2, 1/2) / 2 with x = df / (df + t^2),
 * where I_x(a, b) is the regularized incomplete beta function; the upper tail
 * follows by symmetry, so P(T > t) = P(T <= -t) keeps full relative precision far
 * out. I_x(a, b) = x^a (1-x)^b / (a B(a, b)) / (1 + d1/(1 + d2/(1 + ...))) with
 * d(2m+1) = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1)), d(2m) = m(b-m) x / ((a+2m-1)(a+2m))
 * (the continued fraction of A&S 26.5.8), used where it converges fast,
 * x < (a+1)/(a+b+2), and through I_x(a, b) = 1 - I_{1-x}(b, a) otherwise. It is
 * evaluated in its even contraction by the modified Lentz algorithm, with
 * 1 + d(2m+1) formed from 1 - x: for large df and x near 1 the plain fraction
 * cancels about log10(df) digits (3e-9 relative at df = 1e8). x, 1 - x and their
 * logs are all formed from t^2/df or df/t^2, so none of them loses digits. ln B(a, b) uses Stirling's series for ln Gamma with the
 * large terms of ln Gamma(q) - ln Gamma(p+q) combined analytically
 * ((q - 1/2) log1p(-p/(p+q)) - p ln(p+q) + p + ...), so it stays accurate to
 * ~1e-15 absolute for df in the thousands and beyond, where differencing ln Gamma
 * values of size 1e4 would cost four digits.
 * The quantile solves ln P(T <= -e^s) = ln p for s = ln|t| by Newton steps kept
 * inside a bracket (falling back to bisection in s); in s the tail is nearly
 * linear (P ~ C |t|^-df), so far quantiles such as p = 1e-300 converge in a few
 * steps. df above 1e20 (and df = Infinity) gives the standard normal.
 */

import { normalCdf, normalQuantile } from './normal.ts';

const HALF_LN_2PI = 0.5 * Math.log(2 * Math.PI);

/** Beyond this df the normal distribution is used: they differ by about t^4 / (4 df) relative (< 1e-14 for |t| < 38). */
const NORMAL_DF = 1e20;

/** Cap on the terms of the contracted continued fraction. */
const MAX_TERMS = 10_000;

/** Stirling's correction lnGamma(x) - ((x - 1/2) ln x - x + ln(2 pi)/2), for x >= 10. */
function stirlingCorrection(x: number): number {
  // Bernoulli-number terms B(2k) / (2k (2k-1) x^(2k-1)); at x = 10 the next one is < 1e-17.
  const coefficients = [1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156];
  const inv2 = 1 / (x * x);
  let power = 1 / x;
  let sum = 0;
  for (const c of coefficients) {
    sum += c * power;
    power *= inv2;
  }
  return sum;
}

/** ln Gamma(x) for x > 0: Stirling's series, shifted up to x >= 10 by Gamma(x+1) = x Gamma(x). */
export function logGamma(x: number): number {
  let shift = 0;
  let product = 1;
  while (x + shift < 10) {
    product *= x + shift;
    shift++;
  }
  const z = x + shift;
  return (z - 0.5) * Math.log(z) - z + HALF_LN_2PI + stirlingCorrection(z) - Math.log(product);
}

/** ln B(a, b) = ln Gamma(a) + ln Gamma(b) - ln Gamma(a + b) without cancelling large terms. */
function logBeta(a: number, b: number): number {
  const p = Math.min(a, b);
  const q = Math.max(a, b);
  const s = p + q;
  if (p >= 10) {
    const corr = stirlingCorrection(p) + stirlingCorrection(q) - stirlingCorrection(s);
    return HALF_LN_2PI - 0.5 * Math.log(s) + (p - 0.5) * Math.log(p / s) + (q - 0.5) * Math.log1p(-p / s) + corr;
  }
  if (q >= 10) {
    const corr = stirlingCorrection(q) - stirlingCorrection(s);
    return logGamma(p) + corr + p - p * Math.log(s) + (q - 0.5) * Math.log1p(-p / s);
  }
  return logGamma(p) + logGamma(q) - logGamma(s);
}

/**
 * F = 1 + d1/(1 + d2/(1 + d3/(1 + ...))), the continued fraction of I_x(a, b), in
 * its even contraction F = 1 + d1/(1 + d2 - d2 d3/(1 + d3 + d4 - d4 d5/(1 + ...))):
 * with x near 1 and a large (a t test with large df) each odd term is close to -1,
 * and forming 1 + d(2m+1) in floating point would cancel almost every digit, so it
 * is computed from y = 1 - x as a sum of positive terms. The tail
 * R = beta2 + alpha3/(beta3 + ...) is evaluated by modified Lentz, then
 * F = (1 + d1 + d2 + alpha2/R) / (1 + d2 + alpha2/R).
 */
function betaContinuedFraction(a: number, b: number, x: number, y: number): number {
  const tiny = 1e-300;
  // d(2m) and d(2m+1); 1 + d(2m+1) as (a(1-b+2m) + m(3m+2-b) + (a+m)(a+b+m) y) / ((a+2m)(a+2m+1))
  const dEven = (m: number) => (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
  const dOdd = (m: number) => (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
  const onePlusDOdd = (m: number) => x < 0.5
    ? 1 + dOdd(m)
    : (a * (1 - b + 2 * m) + m * (3 * m + 2 - b) + (a + m) * (a + b + m) * y) / ((a + 2 * m) * (a + 2 * m + 1));
  // contracted terms: beta(k) = 1 + d(2k-1) + d(2k), alpha(k) = -d(2k-2) d(2k-1)
  const beta = (k: number) => onePlusDOdd(k - 1) + dEven(k);
  const alpha = (k: number) => -dEven(k - 1) * dOdd(k - 1);
  let r = beta(2);
  if (Math.abs(r) < tiny) r = tiny;
  let c = r;
  let d = 0;
  // fewer than 120 terms suffice for any t and df up to 1e20; the cap only stops a NaN
  for (let k = 3; ; k++) {
    if (k > MAX_TERMS || Number.isNaN(r)) {
      throw new Error(`student-t: incomplete beta continued fraction did not converge (a=${a}, b=${b}, x=${x})`);
    }
    const ak = alpha(k);
    const bk = beta(k);
    d = bk + ak * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = bk + ak / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = c * d;
    r *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const tail = alpha(2) / r;
  return (onePlusDOdd(0) + dEven(1) + tail) / (1 + dEven(1) + tail);
}

/**
 * Regularized incomplete beta I_x(a, b). The caller passes y = 1 - x and the logs
 * of both, each formed without cancellation or underflow.
 */
function incompleteBeta(a: number, b: number, x: number, y: number, lnX: number, lnY: number): number {
  if (y <= 0) return 1;
  const front = Math.exp(a * lnX + b * lnY - logBeta(a, b));
  // x < (a+1)/(a+b+2), tested on whichever of x and y is small (x may round to 1)
  const direct = x < 0.5 ? x < (a + 1) / (a + b + 2) : y > (b + 1) / (a + b + 2);
  if (direct) return front / (a * betaContinuedFraction(a, b, x, y));
  return 1 - front / (b * betaContinuedFraction(b, a, y, x));
}

function assertDf(what: string, df: number): void {
  if (!(df > 0)) throw new Error(`${what}: df must be > 0, got ${df}`);
}

/** P(T <= t) for t <= 0. */
function lowerTail(t: number, df: number): number {
  if (df > NORMAL_DF) return normalCdf(t);
  if (t === -Infinity) return 0;
  // x = df / (df + t^2) and y = t^2 / (df + t^2) with their logs, from whichever
  // ratio cannot overflow; a ratio below 1e-290 may be subnormal, so its log then
  // comes from the logs of |t| and df.
  if (t * t > df) {
    const r = df / t / t; // x / y
    const lnR = r >= 1e-290 ? Math.log(r) : Math.log(df) - 2 * Math.log(-t);
    return 0.5 * incompleteBeta(df / 2, 0.5, r / (1 + r), 1 / (1 + r), lnR - Math.log1p(r), -Math.log1p(r));
  }
  const u = (t / df) * t; // y / x
  const lnU = u >= 1e-290 ? Math.log(u) : 2 * Math.log(-t) - Math.log(df);
  return 0.5 * incompleteBeta(df / 2, 0.5, 1 / (1 + u), u / (1 + u), -Math.log1p(u), lnU - Math.log1p(u));
}

/** P(T <= t) for Student's t with df degrees of freedom (df > 0, not necessarily an integer). */
export function studentTCdf(t: number, df: number): number {
  assertDf('studentTCdf', df);
  if (Number.isNaN(t)) return NaN;
  return t <= 0 ? lowerTail(t, df) : 1 - lowerTail(-t, df);
}

/** P(T > t); computed directly (as P(T <= -t)), so it keeps full relative precision in the upper tail. */
export function studentTSf(t: number, df: number): number {
  assertDf('studentTSf', df);
  if (Number.isNaN(t)) return NaN;
  return t >= 0 ? lowerTail(-t, df) : 1 - lowerTail(t, df);
}

/** ln of the density at t. */
function logPdf(t: number, df: number): number {
  const u = t * t > df ? 2 * Math.log(Math.abs(t)) - Math.log(df) + Math.log1p(df / t / t) : Math.log1p((t / df) * t);
  return -((df + 1) / 2) * u - 0.5 * Math.log(df) - logBeta(df / 2, 0.5);
}

/** The t <= 0 with P(T <= t) = p, for 0 < p < 0.5. */
function lowerQuantile(p: number, df: number): number {
  const lnP = Math.log(p);
  // g(s) = ln P(T <= -e^s) - ln p decreases in s, from ln(0.5/p) > 0 at s = -infinity to -infinity.
  const g = (s: number) => Math.log(lowerTail(-Math.exp(s), df)) - lnP;
  if (g(Math.log(Number.MAX_VALUE)) > 0) return -Infinity; // beyond the double range (tiny df and p)
  let s = Math.log(-normalQuantile(p)); // start from the normal quantile
  if (!Number.isFinite(s)) s = 0;
  let gs = g(s);
  if (gs === 0) return -Math.exp(s);
  // bracket [lo, hi] with g(lo) > 0 > g(hi), widening by doubling steps from the normal guess
  let lo = s;
  let hi = s;
  for (let step = 1; step <= 2048; step *= 2) {
    if (gs > 0) {
      lo = hi;
      hi = s + step;
      if (g(hi) < 0) break;
    } else {
      hi = lo;
      lo = s - step;
      if (g(lo) > 0) break;
    }
  }
  for (let i = 0; i < 200; i++) {
    const t = -Math.exp(s);
    const cdf = lowerTail(t, df);
    // g'(s) = t * pdf(t) / cdf(t)
    const slope = t * Math.exp(logPdf(t, df) - Math.log(cdf));
    let next = s - gs / slope;
    if (!(next > lo && next < hi)) next = (lo + hi) / 2; // Newton left the bracket (or NaN): bisect
    const moved = Math.abs(next - s);
    s = next;
    gs = g(s);
    if (gs > 0) lo = s;
    else if (gs < 0) hi = s;
    else break;
    if (moved <= 1e-14 * Math.max(1, Math.abs(s)) || hi - lo <= 1e-15 * Math.max(1, Math.abs(s))) break;
  }
  return -Math.exp(s);
}

/** Inverse of studentTCdf: the t with P(T <= t) = p. Returns -Infinity/Infinity for p = 0/1. */
export function studentTQuantile(p: number, df: number): number {
  assertDf('studentTQuantile', df);
  if (!(p >= 0 && p <= 1)) throw new Error(`studentTQuantile: p must be in [0, 1], got ${p}`);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  if (df > NORMAL_DF) return normalQuantile(p);
  return p < 0.5 ? lowerQuantile(p, df) : -lowerQuantile(1 - p, df);
}

/**
 * E[s] / sigma for the sample sd s of normal values with `df` degrees of
 * freedom (c4 of n = df + 1 values): sqrt(2 / df) Gamma((df + 1) / 2) /
 * Gamma(df / 2). s underestimates sigma on average by this factor (0.9776
 * at 11 df), so s / c4 is the unbiased estimate of sigma.
 */
export function sdBiasFactor(df: number): number {
  if (!(df > 0)) throw new Error(`sdBiasFactor: df must be > 0, got ${df}`);
  return Math.sqrt(2 / df) * Math.exp(logGamma((df + 1) / 2) - logGamma(df / 2));
}
