import { cpus } from 'node:os';
import { parseCommandLine } from '../lib/cli.ts';
import { usageError } from '../lib/errors.ts';
import type { Layout, Mode } from './qemu.ts';
import { KERNEL_LAYOUT_DRAWS } from '../kernels/layout.ts';
import { DEFAULT_KERNEL_SOURCE, pinOf } from '../kernels/pins.ts';
import { DEFAULT_WORKLOAD, WARMUP_TOLERANCE_PCT } from './matrix.ts';

/** Everything a bench run is told, parsed once and passed down. */
export interface BenchOptions {
  /** A built-in matrix name (seed) or a matrix file. */
  matrix: string;
  /** Only these scenarios, in matrix order; null for all. */
  scenarios: string[] | null;
  mode: Mode;
  /**
   * random (default): every boot draws its memory layout (KASLR, mmap
   * randomisation, the CRNG's seed, RDRAND) from its seed; fixed: one layout
   * for every boot (nokaslr norandmaps, fixed CRNG bytes, no RDRAND).
   */
  layout: Layout;
  /**
   * With a random layout, how many drawn links of each kernel the boots spread
   * over (D, kernels/layout.ts): boot seed s runs link s mod D.
   */
  kernelLinks: number;
  /** Workload overrides for every scenario; undefined keeps the matrix's or the default. */
  samples: number | undefined;
  execs: number | undefined;
  warmup: number | undefined;
  warmupMax: number | undefined;
  /**
   * Guests booted per scenario, the unit of replication; each boot is a
   * separate series in samples.csv. Undefined: the matrix's default, else DEFAULT_BOOTS.
   */
  boots: number | undefined;
  /** Guests run at once. */
  jobs: number;
  /** Results go to <out>/<run-id>/, with <out>/latest pointing at the last complete run. */
  out: string;
  /** The kernels' source where the matrix names none: a Debian package (pinned, or =VERSION), a tarball or a tree. */
  kernelSrc: string;
  /** Build a tarball (--kernel-src or a matrix's source) whose digest is no pin's. */
  allowUnpinnedSource: boolean;
  /** QEMU -seed of the first boot; boot b uses seed + b. */
  seed: number;
  /** Per-boot time limit in seconds; undefined derives it from the workload. */
  timeout: number | undefined;
  /** Run only the index-th (1-based) of count slices of the guests; null for all. */
  shard: { index: number; count: number } | null;
  /**
   * A profiling run (npm run profile): every guest runs under the TCG plugin
   * of profiler/, with execbench's attribution snapshots and BPF run-time
   * statistics on.
   */
  profile?: boolean;
}

/**
 * Boots per scenario by default: the layout a boot draws moves a scenario's
 * figures far more than the samples within one boot spread (see README,
 * "What the numbers mean"), so the defaults buy boots rather than samples.
 */
export const DEFAULT_BOOTS = 12;

export const BENCH_HELP = `usage: npm run bench -- [options]

Builds the kernels, boots one QEMU guest per scenario and boot, runs the
nop-exec workload inside it and writes results/<run-id>/ with a report.

  --matrix NAME|FILE    scenarios to run: "seed" (default, the LSS 2019 talk's
                        setups) or a JSON/TypeScript matrix file
  --scenarios a,b       only these scenarios of the matrix
  --mode icount|kvm     icount (default): TCG with an instruction-counting clock,
                        results identical across machines; kvm: hardware time
  --layout random|fixed random (default): each boot draws its memory layout
                        from its seed; fixed: one layout for all boots, whose
                        intervals then cover noise within that layout only
  --kernel-links D      with a random layout, each kernel is linked in D code
                        layouts and boot seed s runs layout s mod D (default
                        ${KERNEL_LAYOUT_DRAWS}; as many as --boots: every boot its own)
  --samples N           measured samples per boot (default ${DEFAULT_WORKLOAD.samples})
  --execs K             fork+exec+wait of nop per sample (default ${DEFAULT_WORKLOAD.execs})
  --warmup W            warm-up samples before them (default ${DEFAULT_WORKLOAD.warmup})
  --warmup-max M        above W, warm-up is adaptive: it goes on until two in a
                        row agree within ${WARMUP_TOLERANCE_PCT} %, at most M in all (default
                        ${DEFAULT_WORKLOAD.warmupMax}, or W if above: a fixed count)
  --boots B             guests booted per scenario, seeds S..S+B-1 (default: the
                        matrix's, else ${DEFAULT_BOOTS}; krsi-design has 6)
  --jobs J              guests run at once (default: number of cores)
  --out DIR             results directory (default results)
  --kernel-src SRC      the kernel source: a Debian package at its pinned version
                        (default ${DEFAULT_KERNEL_SOURCE}, pinned to ${pinOf(DEFAULT_KERNEL_SOURCE)!.version}),
                        PACKAGE=VERSION for another version, a tarball or a tree
  --allow-unpinned-source
                        build a tarball whose sha256 is not a pinned source's
  --seed S              seed of the first boot (default 42): its layout and QEMU -seed
  --timeout SECONDS     per-boot time limit (default: from the workload size)
  --shard I/N           run only the I-th of N slices of the guests; join the
                        shards' run directories with npm run report -- --merge
  -h, --help            this text
`;

export const PROFILE_HELP = `usage: npm run profile -- [bench options]

Runs the matrix like npm run bench, one boot per scenario unless --boots says
otherwise, with every guest profiled: a QEMU TCG plugin (profiler/) counts
the guest instructions of every code location between the first measured
sample and the end of the last, execbench records each task's run time and
the BPF programs' run statistics over the same window. The run directory
gets attribution.csv, bpf-runtime.csv and profiles/ (folded stacks, and
profile.json with each scenario's functions against its baseline).

The bench options:

${BENCH_HELP.slice(BENCH_HELP.indexOf('  --matrix'))}`;

function positiveInt(name: string, v: string | undefined, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) throw usageError(`--${name} takes a whole number >= ${min}, not "${v}"`);
  return n;
}

function parseShard(v: string | undefined): BenchOptions['shard'] {
  if (v === undefined) return null;
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) throw usageError(`--shard takes I/N with 1 <= I <= N, not "${v}"`);
  return { index, count };
}

export function parseBenchArgs(argv: string[]): BenchOptions | 'help' {
  const parsed = parseCommandLine({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      matrix: { type: 'string' },
      scenarios: { type: 'string' },
      mode: { type: 'string' },
      layout: { type: 'string' },
      'kernel-links': { type: 'string' },
      samples: { type: 'string' },
      execs: { type: 'string' },
      warmup: { type: 'string' },
      'warmup-max': { type: 'string' },
      boots: { type: 'string' },
      jobs: { type: 'string' },
      out: { type: 'string' },
      'kernel-src': { type: 'string' },
      'allow-unpinned-source': { type: 'boolean' },
      seed: { type: 'string' },
      timeout: { type: 'string' },
      shard: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }, 'npm run bench -- --help');
  const v = parsed.values;
  if (v.help) return 'help';
  const mode = v.mode ?? 'icount';
  if (mode !== 'icount' && mode !== 'kvm') throw usageError(`--mode is icount or kvm, not "${mode}"`);
  const layout = v.layout ?? 'random';
  if (layout !== 'random' && layout !== 'fixed') throw usageError(`--layout is random or fixed, not "${layout}"`);
  const scenarios = v.scenarios === undefined ? null : v.scenarios.split(',').map((s) => s.trim()).filter(Boolean);
  if (scenarios && scenarios.length === 0) throw usageError('--scenarios needs at least one scenario name');
  return {
    matrix: v.matrix ?? 'seed',
    scenarios,
    mode,
    layout,
    kernelLinks: positiveInt('kernel-links', v['kernel-links']) ?? KERNEL_LAYOUT_DRAWS,
    samples: positiveInt('samples', v.samples),
    execs: positiveInt('execs', v.execs),
    warmup: positiveInt('warmup', v.warmup, 0),
    warmupMax: positiveInt('warmup-max', v['warmup-max'], 0),
    boots: positiveInt('boots', v.boots),
    jobs: positiveInt('jobs', v.jobs) ?? Math.max(1, cpus().length),
    out: v.out ?? 'results',
    kernelSrc: v['kernel-src'] ?? DEFAULT_KERNEL_SOURCE,
    allowUnpinnedSource: v['allow-unpinned-source'] ?? false,
    seed: positiveInt('seed', v.seed, 0) ?? 42,
    timeout: positiveInt('timeout', v.timeout),
    shard: parseShard(v.shard),
  };
}
