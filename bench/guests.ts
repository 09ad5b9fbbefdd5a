import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuiltKernel } from '../kernels/build.ts';
import type { KernelLayout } from '../kernels/layout.ts';
import { cachePath } from '../lib/cache.ts';
import { BenchError } from '../lib/errors.ts';
import { progress, type Progress } from '../lib/progress.ts';
import { RESULT_FILES, type AttributionRow, type BpfRuntimeRow, type RunMeta, type SampleRow } from '../lib/results.ts';
import { attribute, parseSnapshots } from './attribution.ts';
import { checkEvents, type EventCheck } from './checks.ts';
import { initScript, scenarioScript, splitPrefixScript } from './guest/init-script.ts';
import { initArchive } from './guest/initramfs.ts';
import type { WorkloadLayout } from './guest/workload-layout.ts';
import type { BenchOptions } from './options.ts';
import { isBpfTool } from './matrix.ts';
import { guestCost, guestOrder, SHARED_BOOT_COST, totalExecs, type GuestJob } from './plan.ts';
import { bootGuest, type BootLimits, type BootSpec } from './qemu.ts';
import { sha256 } from '../lib/cache.ts';
import type { GuestResult } from './guest/protocol.ts';
import { restoreGuest, saveSharedBoot, splitBootsFor, type SavedBoot, type SplitPoint } from './split-boot.ts';
import type { CpioEntry } from './guest/cpio.ts';
import { scenarioArchive } from './guest/split.ts';
import { sampleRows, type RunDir } from './store.ts';

/**
 * Whether guests snapshot the kernel's accounting around their samples (the
 * default): KRSI_BENCH_ACCOUNTING=off leaves it out, to measure what the
 * snapshots do to the samples (docs/methodology.md, "Exec latency").
 */
export const accountingOn = () => process.env.KRSI_BENCH_ACCOUNTING !== 'off';

/** Wall-clock budget of one boot when --timeout is not given: generous, it only catches hangs. */
function bootBudgetMs(job: GuestJob, opts: BenchOptions): number {
  if (opts.timeout) return opts.timeout * 1000;
  // Under icount an exec of nop takes 6-8 ms of wall time on these machines; allow 5x that,
  // plus boot and a BPF verifier pass on the emulated CPU.
  const perExecMs = opts.mode === 'icount' ? 40 : 5;
  return 300_000 + totalExecs(job.workload) * perExecMs;
}

export interface JobResult {
  rows: SampleRow[];
  checks: EventCheck[];
  guest: RunMeta['guests'][number];
  /** attribution.csv's rows; bpf-runtime.csv's, which only profiling boots fill. */
  attribution: { tasks: AttributionRow[]; bpf: BpfRuntimeRow[] };
}

/** The profiler's plugin, for profiling runs. */
export interface Profiler {
  plugin: string;
}

/** A variant's kernel, the initramfs each of its scenarios boots, and the kernel's own boot arguments. */
export interface GuestSystem {
  kernel: BuiltKernel;
  /** Scenario name -> its initramfs (without /init), where guests boot whole. */
  initramfs: Record<string, string>;
  /**
   * Where guests boot split (bench/split-boot.ts): the shared part's initramfs (without /init),
   * split-boot's symbols, and each scenario's own files.
   */
  split: { initramfs: string; point: SplitPoint; files: Record<string, CpioEntry[]> } | null;
  kernelArgs: string[];
  /** The kernel can make the guest's disk (bench/guest/disk.ts). */
  disk: boolean;
  /** The execbench a boot of this seed runs, and its drawn layout (none: the build's own link). */
  execbench: (seed: number) => Promise<{ path: string; layout: WorkloadLayout | null }>;
  /** The kernel image a boot of this seed runs, and its drawn link (none: the build's own). */
  kernelImage: (seed: number) => Promise<{ bzImage: string; layout: KernelLayout | null }>;
  /** Whether the kernel image a boot of this seed runs is made (kernelImage would not wait). */
  kernelImageReady: (seed: number) => boolean;
}

/**
 * The jobs whose guest would be another job's, byte for byte and seed for
 * seed (the same kernel, setup, workload and seed, under icount): index ->
 * the index of the first such job. A scenario's name never reaches the
 * guest, so two scenarios of one setup (krsi-design's env-0-none and
 * vanilla) would boot the same instructions twice.
 */
export function twinsOf(jobs: GuestJob[]): Map<number, number> {
  const first = new Map<string, number>();
  const twins = new Map<number, number>();
  jobs.forEach((j, i) => {
    const { kernel, audit, bpf, seccomp, kernelArgs } = j.scenario;
    const key = JSON.stringify({ kernel, audit, bpf, seccomp, kernelArgs, workload: j.workload, seed: j.seed });
    const seen = first.get(key);
    if (seen === undefined) first.set(key, i);
    else twins.set(i, seen);
  });
  return twins;
}

/**
 * What the guests sharing one part of a split boot have in common: the kernel,
 * the seed (and so the kernel's link and execbench's), boot arguments and vCPUs.
 */
export function sharedKey(j: GuestJob): string {
  return `${j.scenario.kernel}|${j.seed}|${JSON.stringify(j.scenario.kernelArgs ?? [])}|${j.workload.cpus ?? 1}`;
}

/** A twin's result: the samples and checks of the guest it shares, under its own scenario's name. */
function asTwin(r: JobResult, job: GuestJob): JobResult {
  const scenario = job.scenario.name;
  const asMine = <T extends { scenario: string; kernel: string }>(row: T): T => ({ ...row, scenario, kernel: job.scenario.kernel });
  return {
    rows: r.rows.map(asMine),
    checks: r.checks.map((c) => ({ ...c, scenario })),
    guest: { ...r.guest, id: job.id, scenario, sameGuestAs: r.guest.id },
    attribution: { tasks: r.attribution.tasks.map(asMine), bpf: r.attribution.bpf.map(asMine) },
  };
}

/**
 * Boots the guests; under icount a job whose guest is another's (twinsOf)
 * takes that guest's results instead of booting it again.
 */
export async function runGuests(
  jobs: GuestJob[],
  kernelOrder: string[],
  ready: Record<string, Promise<GuestSystem>>,
  dir: RunDir,
  opts: BenchOptions,
  abort: AbortController,
  profiler: Profiler | null = null,
): Promise<JobResult[]> {
  const twins = opts.mode === 'icount' ? twinsOf(jobs) : new Map<number, number>();
  const unique = jobs.filter((_, i) => !twins.has(i));
  const ran = await bootGuests(unique, kernelOrder, ready, dir, opts, abort, profiler);
  const byJob = new Map(unique.map((j, k) => [j, ran[k]!]));
  return jobs.map((j, i) => byJob.get(j) ?? asTwin(byJob.get(jobs[twins.get(i)!]!)!, j));
}

/**
 * Boots the guests, `opts.jobs` at a time, each once its kernel is ready, those of
 * the kernels built first first; the first failure stops the others and aborts `abort`.
 */
async function bootGuests(
  jobs: GuestJob[],
  kernelOrder: string[],
  ready: Record<string, Promise<GuestSystem>>,
  dir: RunDir,
  opts: BenchOptions,
  abort: AbortController,
  profiler: Profiler | null,
): Promise<JobResult[]> {
  const tmp = cachePath('tmp', dir.id);
  await mkdir(tmp, { recursive: true });
  const total = jobs.reduce((n, j) => n + j.workload.samples, 0);
  let measured = 0;
  // Started by the first guest, so that its clock does not count the wait for a kernel.
  let bar: Progress | null = null;
  const runBar = () => (bar ??= progress(`run: ${jobs.length} guest${jobs.length > 1 ? 's' : ''} (${opts.mode}, ${opts.jobs} at once)`));
  const results: JobResult[] = new Array(jobs.length);
  let finished = 0;
  let firstFailure: unknown = null;

  // The time left is reckoned from guestCost; a shared boot is paid by the first of its guests to start.
  const sharedCount = splitBootsFor(opts) ? new Set(jobs.map(sharedKey)).size : 0;
  const costTotal = jobs.reduce((sum, j) => sum + guestCost(j), 0) + sharedCount * SHARED_BOOT_COST;
  let costDone = 0;
  // Time spent booting and running guests, summed over the workers: the time left is reckoned from
  // it, so that waiting for a kernel or a link does not count as guest work being slow.
  let busyMs = 0;
  const timeLeftMs = (running: number): number | undefined =>
    costDone > 0 && busyMs > 0 ? ((costTotal - costDone) * (busyMs / costDone)) / Math.max(1, running) : undefined;

  // Split boots: each shared part is booted once, by the first of its guests to start, and its
  // files are removed when the last of them has finished.
  const sharedBoots = new Map<string, { name: string; boot: Promise<{ saved: SavedBoot; initrd: string }>; users: number; files: string[]; booting: boolean }>();
  const users = new Map<string, number>();
  for (const j of jobs) users.set(sharedKey(j), (users.get(sharedKey(j)) ?? 0) + 1);
  const sharedBoot = (key: string, job: GuestJob, spec: BootSpec, limits: BootLimits, system: GuestSystem, execbench: string) => {
    const split = system.split!;
    let entry = sharedBoots.get(key);
    if (!entry) {
      const plain = (job.scenario.kernelArgs ?? []).length === 0 && (job.workload.cpus ?? 1) === 1;
      const name = `shared-${job.scenario.kernel}-boot${job.boot}${plain ? '' : `-${sha256(key).slice(0, 8)}`}`;
      const initrd = join(tmp, `${name}.cpio`);
      const snapshot = join(tmp, `${name}.machine`);
      const boot = (async () => {
        const script = splitPrefixScript({ seed: job.seed, layout: opts.layout, disk: system.disk });
        await writeFile(initrd, Buffer.concat([await readFile(split.initramfs), initArchive(script, await readFile(execbench))]));
        await writeFile(join(dir.logs, `${name}.init.sh`), script);
        const saved = await saveSharedBoot(
          { ...spec, initrd, consoleLog: join(dir.logs, `${name}.console.log`), resultFile: join(dir.logs, `${name}.result.txt`), qemuLog: join(dir.logs, `${name}.qemu.log`) },
          limits, split.point, snapshot,
        ).catch((err: unknown) => {
          if (err instanceof BenchError) throw new BenchError(`its shared boot ${name}: ${err.message}`, err.log, err.exitCode);
          throw err;
        });
        costDone += SHARED_BOOT_COST;
        return { saved, initrd };
      })();
      entry = { name, boot, users: users.get(key) ?? 1, files: [initrd, snapshot], booting: true };
      sharedBoots.set(key, entry);
      const booted = entry;
      void boot.then(() => { booted.booting = false; }, () => undefined);
    }
    return entry.boot.then((b) => ({ ...b, name: entry.name }));
  };
  const releaseShared = async (key: string) => {
    const entry = sharedBoots.get(key);
    if (entry && --entry.users === 0) for (const f of entry.files) await rm(f, { force: true });
  };

  const runOne = async (job: GuestJob): Promise<JobResult> => {
    const system = await ready[job.scenario.kernel]!;
    if (abort.signal.aborted) throw new BenchError('guest not started because another guest failed');
    const setup = {
      seed: job.seed, layout: opts.layout, workload: job.workload, audit: job.scenario.audit, bpf: job.scenario.bpf, seccomp: job.scenario.seccomp,
      profile: profiler !== null, accounting: accountingOn(), disk: system.disk,
    };
    const rawProfile = join(tmp, `${job.id}.tb`);
    const execbench = await system.execbench(job.seed);
    const image = await system.kernelImage(job.seed);
    // From here on the guest works; before, it waited for its kernel and links.
    runBar();
    const working = Date.now();
    const spec: BootSpec = {
      mode: opts.mode,
      layout: opts.layout,
      bzImage: image.bzImage,
      initrd: join(tmp, `${job.id}.cpio`),
      seed: job.seed,
      kernelArgs: [...system.kernelArgs, ...(job.scenario.kernelArgs ?? [])],
      memoryMiB: 256,
      cpus: job.workload.cpus ?? 1,
      consoleLog: join(dir.logs, `${job.id}.console.log`),
      resultFile: join(dir.logs, `${job.id}.result.txt`),
      qemuLog: join(dir.logs, `${job.id}.qemu.log`),
      ...(profiler && { plugin: `${profiler.plugin},out=${rawProfile}` }),
    };
    const limits = { bootTimeoutMs: opts.mode === 'kvm' ? 60_000 : 180_000, totalTimeoutMs: bootBudgetMs(job, opts), signal: abort.signal };
    const named = (err: unknown) => {
      if (err instanceof BenchError) throw new BenchError(`scenario ${job.scenario.name} (boot ${job.boot}): ${err.message}`, err.log, err.exitCode);
      throw err;
    };
    let started = Date.now();
    let sharedBootName: string | null = null;
    let result: GuestResult;
    if (system.split) {
      const split = system.split;
      const script = scenarioScript(setup);
      await writeFile(join(dir.logs, `${job.id}.init.sh`), script);
      const key = sharedKey(job);
      try {
        const shared = await sharedBoot(key, job, spec, limits, system, execbench.path).catch(named);
        sharedBootName = shared.name;
        started = Date.now();
        result = await restoreGuest({ ...spec, initrd: shared.initrd }, limits, split.point, shared.saved, scenarioArchive(split.files[job.scenario.name]!, script)).catch(named);
      } finally {
        await releaseShared(key);
      }
    } else {
      const script = initScript(setup);
      await writeFile(spec.initrd, Buffer.concat([await readFile(system.initramfs[job.scenario.name]!), initArchive(script, await readFile(execbench.path))]));
      await writeFile(join(dir.logs, `${job.id}.init.sh`), script);
      result = await bootGuest(spec, limits).catch(named);
      await rm(spec.initrd, { force: true });
    }
    const measured = result.samples.filter((s) => !s.warmup).length;
    const warmups = result.samples.length - measured;
    const w = job.workload;
    if (measured !== w.samples || warmups < w.warmup || warmups > w.warmupMax) {
      throw new BenchError(
        `scenario ${job.scenario.name}: ${measured} samples after ${warmups} warm-ups, expected ${w.samples} after ${w.warmup}-${w.warmupMax}`,
        join(dir.logs, `${job.id}.result.txt`),
      );
    }
    const guest: JobResult['guest'] = {
      id: job.id, scenario: job.scenario.name, boot: job.boot, seed: job.seed,
      wallSeconds: Math.round((Date.now() - started) / 100) / 10,
      kernelRelease: result.info.kernel ?? 'unknown', lsm: result.info.lsm ?? 'unknown',
      ...(sharedBootName && { sharedBoot: sharedBootName }),
      ...(execbench.layout && { workloadLayout: execbench.layout }),
      ...(image.layout && { kernelLayout: image.layout }),
      ...(result.info.auditlog !== undefined && { auditLog: result.info.auditlog }),
      ...(result.info.ruledirs !== undefined && { ruleDirs: result.info.ruledirs }),
    };
    const execs = w.samples * w.execs;
    const loggers = new Set(job.scenario.bpf.map((b) => (isBpfTool(b) ? b.tool : 'bpf_attach')));
    const snaps = accountingOn() ? parseSnapshots(result.attribution) : null;
    if (typeof snaps === 'string') throw new BenchError(`scenario ${job.scenario.name}: ${snaps}`, join(dir.logs, `${job.id}.result.txt`));
    const a = snaps ? attribute(snaps, { scenario: job.scenario.name, kernel: job.scenario.kernel, boot: job.boot, execs }, loggers) : null;
    if (a?.stallNs != null) guest.stallNs = a.stallNs;
    if (a) guest.onlineCpus = a.cpus;
    const done: JobResult = {
      rows: sampleRows(job.scenario.name, job.scenario.kernel, job.boot, result.samples), checks: checkEvents(job, result), guest,
      attribution: { tasks: a?.tasks ?? [], bpf: a?.bpf ?? [] },
    };
    busyMs += Date.now() - working;
    if (profiler && a) {
      // The plugin writes its file at the end mark; without one it said why on QEMU's stderr.
      if (!existsSync(rawProfile)) throw new BenchError(`scenario ${job.scenario.name}: the profiler wrote no profile`, join(dir.logs, `${job.id}.qemu.log`));
      const kernelText = result.kernelSymbols.find(([, name]) => name === '_text')?.[0];
      if (!kernelText) throw new BenchError(`scenario ${job.scenario.name}: the guest did not report its kernel's _text (/proc/kallsyms)`, join(dir.logs, `${job.id}.result.txt`));
      const file = `${job.id}.tb`;
      await mkdir(join(dir.path, RESULT_FILES.profiles), { recursive: true });
      await rename(rawProfile, join(dir.path, RESULT_FILES.profiles, file));
      guest.profile = {
        file, kernelText, bpfSymbols: result.kernelSymbols.filter(([, name]) => name !== '_text'),
        windowNs: a.windowNs, execs, interrupts: a.interrupts, softirqs: a.softirqs,
      };
    }
    return done;
  };

  // In guestOrder, except that a guest whose kernel and link are ready goes before one that would wait:
  // in a cold run the last kernel's links are made one at a time, and a seed's guests can run beside
  // the next seed's link. Where everything is ready (a warm run) the order is guestOrder's.
  const pending = guestOrder(jobs, kernelOrder);
  const systems = new Map<string, GuestSystem>();
  for (const [kernel, system] of Object.entries(ready)) void system.then((s) => systems.set(kernel, s), () => undefined);
  const imageReady = (job: GuestJob) => systems.get(job.scenario.kernel)?.kernelImageReady(job.seed) ?? false;
  // A guest whose shared boot another worker is booting would wait for it: one that would not goes first.
  const waitsForShared = (job: GuestJob) => sharedBoots.get(sharedKey(job))?.booting ?? false;
  const take = (): number => {
    let k = pending.findIndex((i) => imageReady(jobs[i]!) && !waitsForShared(jobs[i]!));
    if (k < 0) k = pending.findIndex((i) => imageReady(jobs[i]!));
    return pending.splice(Math.max(k, 0), 1)[0]!;
  };
  const worker = async () => {
    while (pending.length > 0 && !abort.signal.aborted) {
      const i = take();
      const job = jobs[i]!;
      try {
        results[i] = await runOne(job);
        finished++;
        measured += job.workload.samples;
        costDone += guestCost(job);
        // The guest sends its samples only after the last one (see workloads/execbench.c): progress is by guest,
        // and the time left by guestCost, since the dearest guests run first, at the rate guests have worked.
        runBar().update(finished, jobs.length, `guests done, ${measured}/${total} samples`, costDone / costTotal, timeLeftMs(Math.min(opts.jobs, jobs.length - finished)));
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
