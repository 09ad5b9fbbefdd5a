import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildKernels, type BuiltKernel } from '../kernels/build.ts';
import { kernelDrawOf } from '../kernels/layout.ts';
import { BuildTreeGone, cachedKernelLayout, linkKernelLayout, type LaidOutKernel } from '../kernels/relink.ts';
import { once } from '../lib/once.ts';
import { printLine } from '../lib/progress.ts';
import { parseKconfig } from '../kernels/kconfig.ts';
import { resolveKernelSource, sourceTree, type KernelSource } from '../kernels/source.ts';
import { kernelSyscalls } from '../kernels/syscalls.ts';
import { withLock } from '../lib/lock.ts';
import { missingSyscall, syscallsNamed } from './audit-rules.ts';
import { reportRuns, summarizeRunDir } from '../reports/pipeline.ts';
import { checkOutDir } from '../lib/atomic.ts';
import { signalExitCode, type Interrupt } from '../lib/interrupt.ts';
import type { EventCheck } from './checks.ts';
import { BenchError, environmentError } from '../lib/errors.ts';
import { prepareAuditd } from './guest/auditd.ts';
import { auditdConf } from './guest/auditd-conf.ts';
import { pluginFiles } from './guest/auditd-plugins.ts';
import { targetOf } from './guest/exec-target.ts';
import { diskKernelArgs, kernelHasDisk, MKE2FS } from './guest/disk.ts';
import { baseEntries, buildBaseInitramfs, storeInitramfs, type GuestPrograms } from './guest/initramfs.ts';
import type { CpioEntry } from './guest/cpio.ts';
import { scenarioFiles } from './guest/split.ts';
import { splitPointOf, splitBootsFor } from './split-boot.ts';
import { buildBpf, buildProfiler, buildWorkloads, linkWorkloadLayout, type Workloads } from './guest/tools.ts';
import { drawWorkloadLayout } from './guest/workload-layout.ts';
import { hostInfo, qemuVersion, suiteRevision } from './host.ts';
import { isBpfTool, loadMatrix, type BpfObject, type Scenario } from './matrix.ts';
import { DEFAULT_BOOTS, type BenchOptions } from './options.ts';
import { buildOrder, guestOrder, planJobs, selectScenarios, shardJobs } from './plan.ts';
import { checkMode, cpuModel, kernelArgs, kernelCmdline } from './qemu.ts';
import { completeRunDir, failedPath, failRunDir, newRunId, openRunDir, sweepAbandoned, sweepTmp } from './store.ts';
import { runGuests, type GuestSystem, type JobResult } from './guests.ts';
import { attributionCsv, bpfRuntimeCsv, eventsCsv, RESULT_FILES, samplesCsv, UNITS, type KernelSourceRecord, type ProfilingRecord, type RunMeta } from '../lib/results.ts';
import { fileDigest } from '../lib/manifest.ts';
import { cachePath } from '../lib/cache.ts';

export interface RunOutcome {
  /** The complete run directory: its data and summary.json are whole whatever reportError says. */
  dir: string;
  checks: EventCheck[];
  /** Why the report could not be rendered, or null when report.html was written. */
  reportError: BenchError | null;
}

const REPORTED_OPTIONS = ['CONFIG_AUDIT', 'CONFIG_AUDITSYSCALL', 'CONFIG_SECURITY', 'CONFIG_BPF_LSM', 'CONFIG_LSM', 'CONFIG_DEBUG_INFO_BTF'];

/**
 * A rule on a syscall the kernel lacks loads and never fires: a scenario that
 * has one stops before any of its guests boots (exit 2), naming the rule's file
 * and line.
 */
async function checkRuleSyscalls(scenarios: Scenario[], kernel: BuiltKernel, src: KernelSource, logs: string): Promise<void> {
  const audited = scenarios.filter((s) => s.audit && s.audit.rules.some((r) => syscallsNamed(r).length > 0));
  if (audited.length === 0) return;
  const tree = await withLock(cachePath('src', `${src.id}.lock`), 'kernel source', () => sourceTree(src, join(logs, 'kernel-source.log')));
  const { has, entry } = await kernelSyscalls(tree, kernel.vmlinux);
  for (const s of audited) {
    const missing = missingSyscall(s.audit!.rules, s.audit!.origins, has, entry);
    if (missing) throw new BenchError(`scenario ${s.name}, kernel ${kernel.variant}: ${missing}`, kernel.config, 2);
  }
}

/**
 * Runs a matrix end to end: kernels, guests, raw data, then the statistics and
 * the report. The data and summary are committed (the run renamed complete,
 * `latest` moved) before the report is rendered. `interrupt` stops everything;
 * the run is then kept as failed, and the error's exit code is 128 + signal.
 */
export async function runBench(given: BenchOptions, interrupt?: Interrupt): Promise<RunOutcome> {
  const matrix = await loadMatrix(given.matrix);
  // --boots, else the matrix's own default, else the suite's.
  const opts = { ...given, boots: given.boots ?? matrix.boots ?? DEFAULT_BOOTS };
  const jobs = shardJobs(planJobs(selectScenarios(matrix, opts.scenarios), opts), opts.shard);
  const scenarios = [...new Set(jobs.map((j) => j.scenario))];
  await checkMode(opts.mode);
  // Each kernel is built from its own source where the matrix names one, else from --kernel-src.
  const variants = [...new Set(scenarios.map((s) => s.kernel))];
  const specs = [...new Set(variants.map((v) => matrix.kernels[v]!.source ?? opts.kernelSrc))];
  const resolving = { allowUnpinned: opts.allowUnpinnedSource, log: cachePath('logs', 'kernel-source.log') };
  const sources = new Map(await Promise.all(specs.map(async (spec) => [spec, await resolveKernelSource(spec, resolving)] as const)));
  const sourceOf = (v: string) => sources.get(matrix.kernels[v]!.source ?? opts.kernelSrc)!;

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
    const profiler = opts.profile ? buildProfiler(dir.logs) : null;
    const splitBoots = splitBootsFor(opts);
    profiler?.catch(() => abort.abort());
    const bpfDigests: Record<string, string> = {};
    // A random layout draws execbench's link per boot seed; a profiling run keeps the build's own,
    // the one binary its profiles are symbolised with.
    const execbenchOf = async (seed: number, workloads: Workloads) => {
      if (opts.layout !== 'random' || opts.profile) return { path: workloads.execbench, layout: null };
      const layout = drawWorkloadLayout(seed);
      return { path: await linkWorkloadLayout(workloads, layout, dir.logs), layout };
    };
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
      const config = parseKconfig(await readFile(kernel.config, 'utf8'));
      const disk = kernelHasDisk(config);
      await checkRuleSyscalls(mine, kernel, sourceOf(kernel.variant), dir.logs);
      const initramfs: Record<string, string> = {};
      const packagedConf = await readFile(auditd.conf, 'utf8');
      const common = {
        busybox: '/bin/busybox', nop: workloads.nop, seedrng: workloads.seedrng, auditd, attribution: workloads.attribution,
        bpfAttach: bpf.bpfAttach, ...(disk && { mke2fs: MKE2FS }),
      };
      const programsOf = async (s: Scenario): Promise<GuestPrograms> => {
        const own = new Set(s.bpf.map((b) => (isBpfTool(b) ? b.tool : b.name)));
        return {
          ...common,
          auditdConf: auditdConf(packagedConf, s.audit?.auditdConf),
          ...(s.audit?.plugins && { auditdPlugins: await pluginFiles(s.audit.plugins, auditd) }),
          ...(targetOf(jobs.find((j) => j.scenario === s)!.workload) === 'dynamic' && { dynamicTarget: { binary: workloads.krsiTrue, holder: workloads.krsiHold, preloadLibrary: workloads.preloadLibrary } }),
          bpfTools: Object.fromEntries(Object.entries(bpf.loaders).filter(([t]) => own.has(t))),
          bpfObjects: Object.fromEntries(Object.entries(bpf.objects).filter(([n]) => own.has(n))),
        };
      };
      let split: GuestSystem['split'] = null;
      if (splitBoots) {
        // The shared part holds what every scenario has, whatever the matrix: no BPF program, auditd as
        // packaged, the static target. Each scenario's own files come after the split.
        const shared: GuestPrograms = { ...common, auditdConf: auditdConf(packagedConf, undefined), bpfTools: {}, bpfObjects: {}, splitBoot: workloads.splitBoot };
        const sharedEntries = await baseEntries(shared);
        const files: Record<string, CpioEntry[]> = {};
        for (const s of mine) files[s.name] = scenarioFiles(await baseEntries(await programsOf(s)), sharedEntries);
        split = { initramfs: await storeInitramfs(sharedEntries), point: await splitPointOf(workloads.splitBoot), files };
      } else {
        for (const s of mine) initramfs[s.name] = await buildBaseInitramfs(await programsOf(s));
      }
      const hz = Number(config.get('CONFIG_HZ'));
      if (!Number.isInteger(hz) || hz <= 0) throw new BenchError(`kernel ${kernel.variant}: no CONFIG_HZ in its config`, kernel.config);
      const images = kernelImageOf(kernel);
      prefetchLinks(kernel, images.image);
      return {
        kernel, initramfs, split, kernelArgs: [...kernelArgs(opts.mode, hz), ...(disk ? diskKernelArgs() : [])], disk,
        execbench: (seed) => execbenchOf(seed, workloads), kernelImage: images.image, kernelImageReady: images.ready,
      };
    };
    // A random layout boots each seed in one of D links of its kernel (kernels/layout.ts), each linked
    // once and cached beside the kernel; a profiling run keeps the build's own, as for execbench.
    const kernelImageOf = (kernel: BuiltKernel) => {
      const links = new Map<number, Promise<LaidOutKernel>>();
      const src = sourceOf(kernel.variant);
      // Once per kernel, however many draws find the tree gone.
      const rebuildTree = once(async () => {
        printLine(`kernel ${kernel.variant}: compiling its build tree again, for its drawn links`);
        await buildKernels([matrix.kernels[kernel.variant]!], src, { jobs: opts.jobs, logDir: dir.logs, signal: abort.signal, rebuild: true });
      });
      const link = async (draw: number): Promise<LaidOutKernel> => {
        // A cached draw needs no source tree: looked up first, it costs no lock.
        const cached = await cachedKernelLayout(kernel, draw);
        if (cached) return cached;
        const log = join(dir.logs, `kernel-${kernel.variant}-layouts.log`);
        const tree = await withLock(cachePath('src', `${src.id}.lock`), 'kernel source', () => sourceTree(src, log, abort.signal));
        const relink = () => linkKernelLayout(kernel, tree, draw, { jobs: opts.jobs, log, signal: abort.signal });
        try {
          return await relink();
        } catch (err) {
          if (!(err instanceof BuildTreeGone)) throw err;
          await rebuildTree();
          return relink();
        }
      };
      // One link at a time, in the order asked for: the draws share the kernel's build tree, and
      // waiting on its lock side by side would take them in no particular order.
      let queue: Promise<unknown> = Promise.resolve();
      const made = new Set<number>();
      const linked = (draw: number): Promise<LaidOutKernel> => {
        let laid = links.get(draw);
        if (!laid) {
          laid = queue.then(() => link(draw));
          queue = laid.catch(() => undefined);
          links.set(draw, laid);
          void laid.then(() => made.add(draw), () => undefined);
        }
        return laid;
      };
      const own = () => opts.layout !== 'random' || opts.profile;
      const image = async (seed: number) => {
        if (own()) return { bzImage: kernel.bzImage, layout: null };
        const laid = await linked(kernelDrawOf(seed, opts.kernelLinks));
        return { bzImage: laid.bzImage, layout: laid.layout };
      };
      return { image, ready: (seed: number) => own() || made.has(kernelDrawOf(seed, opts.kernelLinks)) };
    };
    /**
     * Asks for the drawn links of a built kernel's guests at once, in the order its guests start:
     * each is made (or found in the cache) while the guests before it run, or while the next
     * kernel compiles, instead of when its guest asks. A link that fails fails its guest.
     */
    const prefetchLinks = (kernel: BuiltKernel, image: GuestSystem['kernelImage']) => {
      for (const i of guestOrder(jobs, order)) {
        if (jobs[i]!.scenario.kernel === kernel.variant) image(jobs[i]!.seed).catch(() => undefined);
      }
    };

    const systems = Object.fromEntries(variants.map((v) => [v, settleable<GuestSystem>()]));
    const order = opts.mode === 'icount' ? buildOrder(variants, jobs) : variants;
    const buildOpts = { jobs: opts.jobs, logDir: dir.logs, signal: abort.signal, onBuilt: (k: BuiltKernel) => systems[k.variant]!.resolve(guestSystem(k)) };
    // One source at a time, each build with every core, in the order the guests want them.
    const bySource = [...new Set(order.map(sourceOf))].map((src) => ({ src, variants: order.filter((v) => sourceOf(v) === src).map((v) => matrix.kernels[v]!) }));
    const building = bySource.reduce<Promise<Record<string, BuiltKernel>>>(
      (before, { src, variants: vs }) => before.then(async (built) => ({ ...built, ...(await buildKernels(vs, src, buildOpts)) })),
      Promise.resolve({}),
    ).catch((err: unknown) => {
      for (const s of Object.values(systems)) s.reject(err);
      throw err;
    });
    // Under icount a guest's figures do not depend on what else the host runs, so the guests of a
    // kernel already built boot while the next one compiles and use the cores its serial link steps
    // leave idle. In kvm mode they are wall-clock figures: no guest runs until every kernel is built.
    if (opts.mode !== 'icount') await building.catch(() => undefined);
    const ready = Object.fromEntries(variants.map((v) => [v, systems[v]!.promise]));
    const guests = (profiler ?? Promise.resolve(null)).then((p) => runGuests(jobs, order, ready, dir, opts, abort, p));
    const [made, built, ran] = await Promise.allSettled([guestTools, building, guests]);
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
      matrix: {
        name: matrix.name, source: matrix.source, baseline: matrix.baseline, description: matrix.description,
        ...(matrix.questions.length && { questions: matrix.questions }),
      },
      options: { samples: opts.samples ?? null, execs: opts.execs ?? null, warmup: opts.warmup ?? null, warmupMax: opts.warmupMax ?? null, boots: opts.boots, jobs: opts.jobs, seed: opts.seed, scenarios: opts.scenarios, layout: opts.layout, kernelLinks: opts.kernelLinks, ...(splitBoots && { splitBoots: true }) },
      shard: opts.shard,
      host: hostInfo(),
      qemu: { version: await qemuVersion(), cmdline: kernelCmdline(opts.mode, opts.layout), cpu: opts.mode === 'kvm' ? 'host' : cpuModel(opts.layout) },
      kernels: await Promise.all(variants.map(async (v) => kernelMeta(kernels[v]!, sourceOf(v).origin, guestArgs[v]!))),
      scenarios: scenarios.map((s) => ({
        name: s.name, description: s.description, kernel: s.kernel, workload: jobs.find((j) => j.scenario === s)!.workload, audit: s.audit, bpf: s.bpf, seccomp: s.seccomp, ...(s.kernelArgs && { kernelArgs: s.kernelArgs }),
        ...(s.baseline !== undefined && { baseline: s.baseline }),
      })),
      guests: results.map((r) => r.guest),
      ...(profiler && { profiling: await profilingRecord((await profiler).digest, variants.map((v) => kernels[v]!), workloads) }),
    };
    await writeFile(join(dir.path, 'run.json'), `${JSON.stringify(meta, null, 2)}\n`);
    await writeFile(join(dir.path, 'events.csv'), eventsCsv(checks));
    await writeFile(join(dir.path, 'samples.csv'), samplesCsv(rows));
    await writeAttribution(dir.path, results, profiler !== null);
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

/** attribution.csv in every run; bpf-runtime.csv in profiling runs, the only ones with BPF run-time statistics on. */
async function writeAttribution(dir: string, results: JobResult[], profiled: boolean): Promise<void> {
  const a = results.map((r) => r.attribution);
  // None where the accounting was left out (KRSI_BENCH_ACCOUNTING=off): latency is then not measured.
  if (a.every((x) => x.tasks.length === 0)) return;
  await writeFile(join(dir, RESULT_FILES.attribution), attributionCsv(a.flatMap((x) => x.tasks)));
  if (profiled) await writeFile(join(dir, RESULT_FILES.bpfRuntime), bpfRuntimeCsv(a.flatMap((x) => x.bpf)));
}

/** What the summary stage symbolises a profiling run's profiles with, each file with its digest. */
async function profilingRecord(pluginDigest: string, kernels: BuiltKernel[], w: { execbench: string; nop: string }): Promise<ProfilingRecord> {
  const entry = async (path: string) => ({ path, sha256: await fileDigest(path) });
  return {
    pluginDigest,
    vmlinux: Object.fromEntries(await Promise.all(kernels.map(async (k) => [k.variant, await entry(k.vmlinux)] as const))),
    binaries: { execbench: await entry(w.execbench), nop: await entry(w.nop) },
  };
}

async function kernelMeta(k: BuiltKernel, source: KernelSourceRecord, bootArgs: string[]): Promise<RunMeta['kernels'][number]> {
  const config = parseKconfig(await readFile(k.config, 'utf8'));
  return {
    variant: k.variant,
    version: k.version,
    configHash: k.configHash,
    sourceId: k.sourceId,
    source,
    patches: k.patches,
    bootArgs,
    options: Object.fromEntries(REPORTED_OPTIONS.map((o) => [o, config.get(o) ?? null])),
  };
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

