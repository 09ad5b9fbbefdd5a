/** Density curves of each scenario's samples, for the distribution plot. */
import type { ScenarioSamples } from './plot-data.ts';
import { NS_PER_US, quantileSorted } from './quantile.ts';

/** Silverman's rule of thumb, 0.9 min(sd, IQR/1.34) n^(-1/5); 0 when the data has no spread. */
export function silvermanBandwidth(sorted: Float64Array): number {
  const n = sorted.length;
  if (n < 2) return 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += sorted[i]!;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (sorted[i]! - mean) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  const iqr = quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25);
  const spread = iqr > 0 ? Math.min(sd, iqr / 1.34) : sd;
  return 0.9 * spread * n ** -0.2;
}

/** One point of a scenario's density curve. */
export interface DensityPoint {
  scenario: string;
  us: number;
  /** Probability density per µs. */
  density: number;
}

/** Density curves with the bandwidth each scenario got, µs. */
export interface Densities {
  points: DensityPoint[];
  /** By scenario name (a Map: names come from data and may be anything, "__proto__" included). */
  bandwidthUs: Map<string, number>;
}

/**
 * Gaussian kernel density per scenario on its own grid of `gridPoints` points.
 * Silverman's bandwidth per scenario; a scenario without spread (all samples equal,
 * or one sample) borrows the median relative bandwidth of the others, or 0.01 % of
 * its median, so it still draws a narrow peak instead of nothing. Large samples are
 * first binned (2 048 bins), which changes the curve far less than the bandwidth does.
 */
export function densities(scenarios: ScenarioSamples[], gridPoints = 160): Densities {
  const relative = scenarios
    .map((s) => silvermanBandwidth(s.sorted) / quantileSorted(s.sorted, 0.5))
    .filter((r) => r > 0)
    .sort((a, b) => a - b);
  const fallbackRel = relative.length ? quantileSorted(relative, 0.5) : 1e-4;
  const points: DensityPoint[] = [];
  const bandwidthUs = new Map<string, number>();
  for (const s of scenarios) {
    const n = s.sorted.length;
    const own = silvermanBandwidth(s.sorted);
    const h = own > 0 ? own : fallbackRel * quantileSorted(s.sorted, 0.5);
    bandwidthUs.set(s.name, h / NS_PER_US);
    // the body of the distribution; a handful of extreme outliers would otherwise stretch the grid
    const lo = (n >= 1000 ? quantileSorted(s.sorted, 0.001) : s.sorted[0]!) - 3 * h;
    const hi = (n >= 1000 ? quantileSorted(s.sorted, 0.999) : s.sorted[n - 1]!) + 3 * h;
    const { centers, counts } = binned(s.sorted, lo - 4 * h, hi + 4 * h, 2048);
    const step = (hi - lo) / (gridPoints - 1);
    const norm = 1 / (n * h * Math.sqrt(2 * Math.PI));
    for (let g = 0; g < gridPoints; g++) {
      const x = lo + g * step;
      let sum = 0;
      for (let b = 0; b < centers.length; b++) {
        const z = (x - centers[b]!) / h;
        if (z > -8 && z < 8) sum += counts[b]! * Math.exp(-0.5 * z * z);
      }
      points.push({ scenario: s.name, us: x / NS_PER_US, density: sum * norm * NS_PER_US });
    }
  }
  return { points, bandwidthUs };
}

/** Values of ascending data within [lo, hi] as (center, count) pairs: the values themselves when few. */
function binned(sorted: Float64Array, lo: number, hi: number, bins: number): { centers: Float64Array; counts: Float64Array } {
  if (sorted.length <= bins || !(hi > lo)) return { centers: sorted, counts: new Float64Array(sorted.length).fill(1) };
  const width = (hi - lo) / bins;
  const counts = new Float64Array(bins);
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i]!;
    if (v < lo || v > hi) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
  }
  const centers = Float64Array.from({ length: bins }, (_, b) => lo + (b + 0.5) * width);
  return { centers, counts };
}

