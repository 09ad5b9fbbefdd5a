#!/usr/bin/env tsx
// Benchmark of the statistics (not a test): each function on the sample sizes a report
// meets, from the talk's N=100 to 100 000 samples per scenario, timed with tinybench.
//   npm run bench:stats
import '../lib/last-resort.ts';
import { Bench } from 'tinybench';
import { bootstrapRatioOfMedians, changePoint, describe, mannWhitneyU, mulberry32, pairedLogRatio } from '../reports/stats/index.ts';

function samples(n: number, level: number, seed: number): number[] {
  const rng = mulberry32(seed);
  // icount-like: a tight spread around the level, a few slow samples
  return Array.from({ length: n }, () => level * (1 + 0.001 * (rng() - 0.5) + (rng() < 0.01 ? 0.02 : 0)));
}

const bench = new Bench({ time: 500, warmupTime: 100 });
for (const n of [100, 10_000, 100_000]) {
  const base = samples(n, 208_500, 1);
  const other = samples(n, 219_800, 2);
  bench
    .add(`describe n=${n}`, () => void describe(other))
    .add(`mannWhitneyU ${n} vs ${n}`, () => void mannWhitneyU(other, base))
    .add(`bootstrap ratio of medians, 10 000 resamples, ${n} vs ${n}`, () => void bootstrapRatioOfMedians(base, other, { resamples: 10_000 }));
}
// Per boot: the steady-state check on a boot's samples (4 by default, up to long boots), with a
// level shift halfway so that no shuffle stops it early; and the paired test over 12 to 1000 boots.
for (const n of [4, 100, 10_000]) {
  const boot = samples(n, 208_500, 3).map((x, i) => (i < n / 2 ? x : x * 1.01));
  bench.add(`changePoint n=${n}`, () => void changePoint(boot));
}
for (const b of [12, 1000]) {
  const base = samples(b, 208_500, 4);
  const other = samples(b, 219_800, 5);
  bench.add(`pairedLogRatio ${b} boots`, () => void pairedLogRatio(base, other));
}
await bench.run();
console.table(bench.table());
