import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildKernels, type BuiltKernel } from '../kernels/build.ts';
import { parseKconfig } from '../kernels/config.ts';
import { resolveKernelSource } from '../kernels/source.ts';
import { reportRuns, summarizeRunDir } from '../reports/pipeline.ts';
import { checkOutDir } from '../lib/atomic.ts';
import { signalExitCode, type Interrupt } from '../lib/interrupt.ts';
import { cachePath } from '../lib/cache.ts';
import { checkEvents, type EventCheck } from './checks.ts';
import { BenchError, environmentError } from '../lib/errors.ts';
import { prepareAuditd } from './guest/auditd.ts';
import { initScript } from './guest/init-script.ts';
import { buildBaseInitramfs, initArchive } from './guest/initramfs.ts';
import { buildBpf, buildWorkloads } from './guest/tools.ts';
import { hostInfo, qemuVersion, suiteRevision } from './host.ts';
import { isBpfTool, loadMatrix, type BpfObject } from './matrix.ts';
import type { BenchOptions } from './options.ts';
import { buildOrder, guestCost, planJobs, selectScenarios, shardJobs, totalExecs, type GuestJob } from './plan.ts';
import { progress, type Progress } from '../lib/progress.ts';
import { bootGuest, checkMode, cpuModel, kernelArgs, kernelCmdline } from './qemu.ts';
import { completeRunDir, failedPath, failRunDir, newRunId, openRunDir, runEnded, sampleRows, type RunDir } from './store.ts';
import { eventsCsv, samplesCsv, UNITS, type RunMeta, type SampleRow } from '../lib/results.ts';

export interface RunOutcome {
  /** The complete run directory: its data and summary.json are whole whatever reportError says. */
  dir: string;
  checks: EventCheck[];
  /** Why the report could not be rendered, or null when report.html was written. */
  reportError: BenchError | null;
}

const REPORTED_OPTIONS = ['CONFIG_AUDIT', 'CONFIG_AUDITSYSCALL', 'CONFIG_SECURITY', 'CONFIG_BPF_LSM', 'CONFIG_LSM', 'CONFIG_DEBUG_INFO_BTF'];

/** Wall-clock budget of one boot when --timeout is not given: generous, it only catches hangs. */
function bootBudgetMs(job: GuestJob, opts: BenchOptions): number {
  if (opts.timeout) return opts.timeout * 1000;
  // Under icount an exec of nop takes 6-8 ms of wall time on these machines; allow 5x that,
  // plus boot and a BPF verifier pass on the emulated CPU.
  const perExecMs = opts.mode === 'icount' ? 40 : 5;
  return 300_000 + totalExecs(job.workload) * perExecMs;
}

/**
 * Runs a matrix end to end: kernels, guests, raw data, then the statistics and
 * the report. The data and summary are committed (the run renamed complete,
 * `latest` moved) before the report is rendered. `interrupt` stops everything;
 * the run is then kept as failed, and the error's exit code is 128 + signal.
 */
export async function runBench(opts: BenchOptions, interrupt?: Interrupt): Promise<RunOutcome> {
  const matrix = await loadMatrix(opts.matrix);
  const jobs = shardJobs(planJobs(selectScenarios(matrix, opts.scenarios), opts), opts.shard);
  const scenarios = [...new Set(jobs.map((j) => j.scenario))];
  await checkMode(opts.mode);
  const src = await resolveKernelSource(opts.kernelSrc);

  checkOutDir(opts.out);
  await mkdir(opts.out, { recursive: true });
  await sweepAbandoned(opts.out);
  await sweepTmp();
  const dir = await openRunDir(opts.out, newRunId());
  const abort = new AbortController();
  interrupt?.signal.addEventListener('abort', () => abort.abort(), { once: true });
  let final: string;
  let checks: EventCheck[];
  try {
    // The guest's own tools take seconds: they are made while the kernel source unpacks, and one
    // that fails (a download, say) stops the kernel build rather than waiting for it.
    const guestTools = Promise.all([buildWorkloads(dir.logs), prepareAuditd(join(dir.logs, 'guest-setup.log'))]);
    guestTools.catch(() => abort.abort());
    const variants = [...new Set(scenarios.map((s) => s.kernel))];
    const bpfDigests: Record<string, string> = {};
    // Each scenario's guest holds what that scenario runs and nothing else, so that it boots the
    // same bytes alone, in the full matrix or in a shard: the initramfs's size and content move
    // where the kernel puts things, and with them the figures.
    const guestSystem = async (kernel: BuiltKernel): Promise<GuestSystem> => {
      const [workloads, auditd] = await guestTools;
      const mine = scenarios.filter((s) => s.kernel === kernel.variant);
      const setups = mine.flatMap((s) => s.bpf);
      const tools = [...new Set(setups.filter(isBpfTool).map((b) => b.tool))];
      const user = setups.filter((b): b is BpfObject => !isBpfTool(b));
      const bpf = await buildBpf(tools, user, kernel, dir.logs);
      if (setups.length) bpfDigests[kernel.variant] = bpf.digest;
      const initramfs: Record<string, string> = {};
      for (const s of mine) {
        const own = new Set(s.bpf.map((b) => (isBpfTool(b) ? b.tool : b.name)));
        initramfs[s.name] = await buildBaseInitramfs({
          busybox: '/bin/busybox', nop: workloads.nop, execbench: workloads.execbench, seedrng: workloads.seedrng, auditd,
          bpfTools: Object.fromEntries(Object.entries(bpf.loaders).filter(([t]) => own.has(t))),
          bpfAttach: bpf.bpfAttach,
          bpfObjects: Object.fromEntries(Object.entries(bpf.objects).filter(([n]) => own.has(n))),
        });
      }
      const hz = Number(parseKconfig(await readFile(kernel.config, 'utf8')).get('CONFIG_HZ'));
      if (!Number.isInteger(hz) || hz <= 0) throw new BenchError(`kernel ${kernel.variant}: no CONFIG_HZ in its config`, kernel.config);
      return { kernel, initramfs, kernelArgs: kernelArgs(opts.mode, hz) };
    };

    const systems = Object.fromEntries(variants.map((v) => [v, settleable<GuestSystem>()]));
    const order = opts.mode === 'icount' ? buildOrder(variants, jobs) : variants;
    const building = buildKernels(order.map((v) => matrix.kernels[v]!), src, {
      jobs: opts.jobs,
      logDir: dir.logs,
      signal: abort.signal,
      onBuilt: (k) => systems[k.variant]!.resolve(guestSystem(k)),
    }).catch((err: unknown) => {
      for (const s of Object.values(systems)) s.reject(err);
      throw err;
    });
    // Under icount a guest's figures do not depend on what else the host runs, so the guests of a
    // kernel already built boot while the next one compiles and use the cores its serial link steps
    // leave idle. In kvm mode they are wall-clock figures: no guest runs until every kernel is built.
    if (opts.mode !== 'icount') await building.catch(() => undefined);
    const ready = Object.fromEntries(variants.map((v) => [v, systems[v]!.promise]));
    const [made, built, ran] = await Promise.allSettled([guestTools, building, runGuests(jobs, order, ready, dir, opts, abort)]);
    // A failure anywhere stops the rest (the guest tools' stops the build, a guest's stops the
    // build, the build's stops the guests): report the one that came first.
    if (made.status === 'rejected') throw made.reason;
    if (ran.status === 'rejected') throw ran.reason;
    if (built.status === 'rejected') throw built.reason;
    const [workloads] = made.value;
    const kernels = built.value;
    const results = ran.value;
    const guestArgs = Object.fromEntries(await Promise.all(variants.map(async (v) => [v, (await ready[v]!).kernelArgs] as const)));
    // The matrix's first kernel with BPF programs, whichever kernel was ready first.
    const bpfDigest = variants.map((v) => bpfDigests[v]).find((d) => d !== undefined) ?? null;
    const rows = results.flatMap((r) => r.rows);
    checks = results.flatMap((r) => r.checks);

    const meta: RunMeta = {
      suite: { name: 'krsi-bench', revision: await suiteRevision(), workloadDigest: workloads.digest, bpfDigest },
      runId: dir.id,
      date: new Date().toISOString(),
      mode: opts.mode,
      unit: UNITS[opts.mode],
      matrix: { name: matrix.name, source: matrix.source, baseline: matrix.baseline },
      options: { samples: opts.samples ?? null, execs: opts.execs ?? null, warmup: opts.warmup ?? null, warmupMax: opts.warmupMax ?? null, boots: opts.boots, jobs: opts.jobs, seed: opts.seed, scenarios: opts.scenarios, layout: opts.layout },
      shard: opts.shard,
      host: hostInfo(),
      qemu: { version: await qemuVersion(), cmdline: kernelCmdline(opts.mode, opts.layout), cpu: opts.mode === 'kvm' ? 'host' : cpuModel(opts.layout) },
      kernels: await Promise.all(variants.map(async (v) => kernelMeta(kernels[v]!, guestArgs[v]!))),
      scenarios: scenarios.map((s) => ({
        name: s.name, description: s.description, kernel: s.kernel, workload: jobs.find((j) => j.scenario === s)!.workload, audit: s.audit, bpf: s.bpf,
      })),
      guests: results.map((r) => r.guest),
    };
    await writeFile(join(dir.path, 'run.json'), `${JSON.stringify(meta, null, 2)}\n`);
    await writeFile(join(dir.path, 'events.csv'), eventsCsv(checks));
    await writeFile(join(dir.path, 'samples.csv'), samplesCsv(rows));
    if (interrupt?.received()) throw new Error('interrupted');
    await summarizeRunDir(dir.path, { baseline: matrix.baseline, unfinishedOk: true });
    final = await completeRunDir(opts.out, dir);
  } catch (caught) {
    const converted = environmentError(caught);
    // A full or read-only disk: say where the run was writing.
    const err = converted !== caught && converted instanceof BenchError ? new BenchError(`${converted.message}; the run writes under ${opts.out} and the cache`) : converted;
    const stop = interrupt?.received();
    if (stop) {
      const failed = await failRunDir(opts.out, dir, `interrupted (${stop})`);
      throw new BenchError(`interrupted (${stop}); what finished is cached and the next run reuses it; logs kept in ${failed}`, undefined, signalExitCode(stop));
    }
    await failRunDir(opts.out, dir, err instanceof Error ? (err instanceof BenchError ? err.message : `internal: ${err.stack ?? err.message}`) : String(err));
    if (err instanceof BenchError) throw new BenchError(err.message, err.log && failedPath(opts.out, dir, err.log), err.exitCode);
    throw err;
  }
  // The data is safe from here on: a report that fails to render costs only the report.
  try {
    await reportRuns([final], { baseline: matrix.baseline });
    return { dir: final, checks, reportError: null };
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    const log = join(final, 'logs', 'report-error.txt');
    await writeFile(log, `${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`).catch(() => undefined);
    return {
      dir: final,
      checks,
      reportError: new BenchError(`the report could not be rendered (${why}); the data is kept in ${final}, and \`npm run report -- ${final}\` renders it again`, log),
    };
  }
}

/**
 * A run whose process died without finishing (SIGKILL, out of memory, power)
 * left <id>.partial/: marked failed, so that nothing reads it as a result.
 */
async function sweepAbandoned(out: string): Promise<void> {
  for (const name of await readdir(out)) {
    const id = /^(.*)\.partial$/.exec(name)?.[1];
    if (!id || !runEnded(id)) continue;
    const pid = parseInt(id.slice(id.lastIndexOf('-') + 1), 36);
    await failRunDir(out, { id, path: join(out, name), logs: join(out, name, 'logs') }, `abandoned: its process (pid ${pid}) ended without finishing it (killed?)`);
  }
}

/** The cache's tmp/<run-id>/ of runs whose process is gone (each run removes its own). */
async function sweepTmp(): Promise<void> {
  const tmp = cachePath('tmp');
  if (!existsSync(tmp)) return;
  for (const name of await readdir(tmp)) if (runEnded(name)) await rm(join(tmp, name), { recursive: true, force: true });
}

async function kernelMeta(k: BuiltKernel, bootArgs: string[]): Promise<RunMeta['kernels'][number]> {
  const config = parseKconfig(await readFile(k.config, 'utf8'));
  return {
    variant: k.variant,
    version: k.version,
    configHash: k.configHash,
    sourceId: k.sourceId,
    patches: k.patches,
    bootArgs,
    options: Object.fromEntries(REPORTED_OPTIONS.map((o) => [o, config.get(o) ?? null])),
  };
}

interface JobResult {
  rows: SampleRow[];
  checks: EventCheck[];
  guest: RunMeta['guests'][number];
}

/** A variant's kernel, the initramfs each of its scenarios boots, and the kernel's own boot arguments. */
interface GuestSystem {
  kernel: BuiltKernel;
  /** Scenario name -> its initramfs (without /init). */
  initramfs: Record<string, string>;
  kernelArgs: string[];
}

/** A promise with its resolve and reject in hand (node 20 has no Promise.withResolvers). */
function settleable<T>() {
  let resolve!: (value: T | Promise<T>) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A kernel no guest waited for yet may fail: that is reported by the build, not as an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * Boots the guests, `opts.jobs` at a time, each once its kernel is ready, those of
 * the kernels built first first; the first failure stops the others and aborts `abort`.
 */
async function runGuests(
  jobs: GuestJob[],
  kernelOrder: string[],
  ready: Record<string, Promise<GuestSystem>>,
  dir: RunDir,
  opts: BenchOptions,
  abort: AbortController,
): Promise<JobResult[]> {
  const tmp = cachePath('tmp', dir.id);
  await mkdir(tmp, { recursive: true });
  const total = jobs.reduce((n, j) => n + j.workload.samples, 0);
  let measured = 0;
  // Started by the first guest, so that its clock does not count the wait for a kernel.
  let bar: Progress | null = null;
  const runBar = () => (bar ??= progress(`run: ${jobs.length} guest${jobs.length > 1 ? 's' : ''} (${opts.mode}, ${opts.jobs} at once)`));
  const results: JobResult[] = new Array(jobs.length);
  let next = 0;
  let finished = 0;
  let firstFailure: unknown = null;

  const runOne = async (job: GuestJob): Promise<JobResult> => {
    const system = await ready[job.scenario.kernel]!;
    if (abort.signal.aborted) throw new BenchError('guest not started because another guest failed');
    runBar();
    const initrd = join(tmp, `${job.id}.cpio`);
    const script = initScript({ seed: job.seed, layout: opts.layout, workload: job.workload, audit: job.scenario.audit, bpf: job.scenario.bpf });
    await writeFile(initrd, Buffer.concat([await readFile(system.initramfs[job.scenario.name]!), initArchive(script)]));
    await writeFile(join(dir.logs, `${job.id}.init.sh`), script);
    const started = Date.now();
    const result = await bootGuest(
      {
        mode: opts.mode,
        layout: opts.layout,
        bzImage: system.kernel.bzImage,
        initrd,
        seed: job.seed,
        kernelArgs: system.kernelArgs,
        memoryMiB: 256,
        consoleLog: join(dir.logs, `${job.id}.console.log`),
        resultFile: join(dir.logs, `${job.id}.result.txt`),
        qemuLog: join(dir.logs, `${job.id}.qemu.log`),
      },
      {
        bootTimeoutMs: opts.mode === 'kvm' ? 60_000 : 180_000,
        totalTimeoutMs: bootBudgetMs(job, opts),
        signal: abort.signal,
      },
    ).catch((err: unknown) => {
      if (err instanceof BenchError) throw new BenchError(`scenario ${job.scenario.name} (boot ${job.boot}): ${err.message}`, err.log, err.exitCode);
      throw err;
    });
    await rm(initrd, { force: true });
    const measured = result.samples.filter((s) => !s.warmup).length;
    const warmups = result.samples.length - measured;
    const w = job.workload;
    if (measured !== w.samples || warmups < w.warmup || warmups > w.warmupMax) {
      throw new BenchError(
        `scenario ${job.scenario.name}: ${measured} samples after ${warmups} warm-ups, expected ${w.samples} after ${w.warmup}-${w.warmupMax}`,
        join(dir.logs, `${job.id}.result.txt`),
      );
    }
    return {
      rows: sampleRows(job.scenario.name, job.scenario.kernel, job.boot, result.samples),
      checks: checkEvents(job, result),
      guest: {
        id: job.id, scenario: job.scenario.name, boot: job.boot, seed: job.seed,
        wallSeconds: Math.round((Date.now() - started) / 100) / 10,
        kernelRelease: result.info.kernel ?? 'unknown', lsm: result.info.lsm ?? 'unknown',
      },
    };
  };

  // Kernel by kernel as they are built; within one, longest first, so that the last guest to finish
  // does not run alone.
  const built = (j: GuestJob) => kernelOrder.indexOf(j.scenario.kernel);
  const order = jobs.map((_, i) => i).sort((a, b) => built(jobs[a]!) - built(jobs[b]!) || guestCost(jobs[b]!) - guestCost(jobs[a]!));
  const worker = async () => {
    while (next < jobs.length && !abort.signal.aborted) {
      const i = order[next++]!;
      const job = jobs[i]!;
      try {
        results[i] = await runOne(job);
        finished++;
        measured += job.workload.samples;
        // The guest sends its samples only after the last one (see workloads/execbench.c): progress is by guest.
        runBar().update(finished, jobs.length, `guests done, ${measured}/${total} samples`);
      } catch (err) {
        // The guests still running are stopped; their cancellation is not the error to report.
        if (!abort.signal.aborted) firstFailure = err;
        abort.abort();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.jobs, jobs.length) }, worker));
  await rm(tmp, { recursive: true, force: true });
  if (firstFailure) throw firstFailure;
  if (abort.signal.aborted) throw new BenchError('guests stopped');
  runBar().done(`${jobs.length} guests, ${total} samples`);
  for (const c of results.flatMap((r) => r.checks)) {
    if (!c.ok) process.stderr.write(`warning: scenario ${c.scenario} (boot ${c.boot}): ${c.problem}\n`);
  }
  return results;
}
