#!/usr/bin/env tsx
// Benchmark of the statistics (not a test): each function on the sample sizes a report
// meets, from the talk's N=100 to 100 000 samples per scenario, timed with tinybench.
//   npm run bench:stats
import { Bench } from 'tinybench';
import { bootstrapRatioOfMedians, describe, mannWhitneyU, mulberry32 } from '../reports/stats/index.ts';

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
await bench.run();
console.table(bench.table());
