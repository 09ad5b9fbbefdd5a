import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildKernel, type BuiltKernel } from '../kernels/build.ts';
import { parseKconfig } from '../kernels/config.ts';
import { resolveKernelSource } from '../kernels/source.ts';
import { summarizeRunDir } from '../reports/pipeline.ts';
import { cachePath } from './cache.ts';
import { checkEvents, type EventCheck } from './checks.ts';
import { BenchError } from './errors.ts';
import { prepareAuditd } from './guest/auditd.ts';
import { initScript } from './guest/init-script.ts';
import { buildBaseInitramfs, initArchive } from './guest/initramfs.ts';
import { buildBpf, buildWorkloads } from './guest/tools.ts';
import { hostInfo, qemuVersion, suiteRevision } from './host.ts';
import { isBpfTool, loadMatrix, type BpfObject } from './matrix.ts';
import type { BenchOptions } from './options.ts';
import { planJobs, selectScenarios, shardJobs, totalExecs, type GuestJob } from './plan.ts';
import { progress } from './progress.ts';
import { bootGuest, checkMode, kernelCmdline } from './qemu.ts';
import {
  completeRunDir, eventsCsv, failedPath, failRunDir, newRunId, openRunDir, sampleRows, samplesCsv, UNITS,
  type RunDir, type RunMeta, type SampleRow,
} from './store.ts';

export interface RunOutcome {
  /** The complete run directory. */
  dir: string;
  checks: EventCheck[];
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

/** Runs a matrix end to end: kernels, guests, raw data, then the statistics and the report. */
export async function runBench(opts: BenchOptions): Promise<RunOutcome> {
  const matrix = await loadMatrix(opts.matrix);
  const jobs = shardJobs(planJobs(selectScenarios(matrix, opts.scenarios), opts), opts.shard);
  const scenarios = [...new Set(jobs.map((j) => j.scenario))];
  await checkMode(opts.mode);
  const src = await resolveKernelSource(opts.kernelSrc);

  await mkdir(opts.out, { recursive: true });
  const dir = await openRunDir(opts.out, newRunId());
  try {
    const variants = [...new Set(scenarios.map((s) => s.kernel))];
    const kernels: Record<string, BuiltKernel> = {};
    for (const v of variants) kernels[v] = await buildKernel(matrix.kernels[v]!, src, { jobs: opts.jobs, logDir: dir.logs });

    const setupLog = join(dir.logs, 'guest-setup.log');
    const workloads = await buildWorkloads(dir.logs);
    const auditd = await prepareAuditd(setupLog);
    const initramfs: Record<string, string> = {};
    let bpfDigest: string | null = null;
    for (const v of variants) {
      const setups = scenarios.filter((s) => s.kernel === v).flatMap((s) => s.bpf);
      const tools = [...new Set(setups.filter(isBpfTool).map((b) => b.tool))];
      const user = setups.filter((b): b is BpfObject => !isBpfTool(b));
      const bpf = await buildBpf(tools, user, kernels[v]!, dir.logs);
      if (setups.length) bpfDigest ??= bpf.digest;
      initramfs[v] = await buildBaseInitramfs({
        busybox: '/bin/busybox', nop: workloads.nop, execbench: workloads.execbench, seedrng: workloads.seedrng, auditd,
        bpfTools: bpf.loaders, bpfAttach: bpf.bpfAttach, bpfObjects: bpf.objects,
      });
    }

    const results = await runGuests(jobs, kernels, initramfs, dir, opts);
    const rows = results.flatMap((r) => r.rows);
    const checks = results.flatMap((r) => r.checks);

    const meta: RunMeta = {
      suite: { name: 'krsi-bench', revision: await suiteRevision(), workloadDigest: workloads.digest, bpfDigest },
      runId: dir.id,
      date: new Date().toISOString(),
      mode: opts.mode,
      unit: UNITS[opts.mode],
      matrix: { name: matrix.name, source: matrix.source, baseline: matrix.baseline },
      options: { samples: opts.samples ?? null, execs: opts.execs ?? null, warmup: opts.warmup ?? null, boots: opts.boots, jobs: opts.jobs, seed: opts.seed, scenarios: opts.scenarios },
      shard: opts.shard,
      host: hostInfo(),
      qemu: { version: await qemuVersion(), cmdline: kernelCmdline(opts.mode) },
      kernels: await Promise.all(variants.map(async (v) => kernelMeta(kernels[v]!))),
      scenarios: scenarios.map((s) => ({
        name: s.name, description: s.description, kernel: s.kernel, workload: jobs.find((j) => j.scenario === s)!.workload, audit: s.audit, bpf: s.bpf,
      })),
      guests: results.map((r) => r.guest),
    };
    await writeFile(join(dir.path, 'run.json'), `${JSON.stringify(meta, null, 2)}\n`);
    await writeFile(join(dir.path, 'events.csv'), eventsCsv(checks));
    await writeFile(join(dir.path, 'samples.csv'), samplesCsv(rows));
    await summarizeRunDir(dir.path, { baseline: matrix.baseline });
    return { dir: await completeRunDir(opts.out, dir), checks };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await failRunDir(opts.out, dir, message);
    if (err instanceof BenchError) throw new BenchError(err.message, err.log && failedPath(opts.out, dir, err.log), err.exitCode);
    throw err;
  }
}

async function kernelMeta(k: BuiltKernel): Promise<RunMeta['kernels'][number]> {
  const config = parseKconfig(await readFile(k.config, 'utf8'));
  return {
    variant: k.variant,
    version: k.version,
    configHash: k.configHash,
    sourceId: k.sourceId,
    options: Object.fromEntries(REPORTED_OPTIONS.map((o) => [o, config.get(o) ?? null])),
  };
}

interface JobResult {
  rows: SampleRow[];
  checks: EventCheck[];
  guest: RunMeta['guests'][number];
}

/** Boots the guests, `opts.jobs` at a time; the first failure stops the others. */
async function runGuests(
  jobs: GuestJob[],
  kernels: Record<string, BuiltKernel>,
  initramfs: Record<string, string>,
  dir: RunDir,
  opts: BenchOptions,
): Promise<JobResult[]> {
  const tmp = cachePath('tmp', dir.id);
  await mkdir(tmp, { recursive: true });
  const total = jobs.reduce((n, j) => n + j.workload.warmup + j.workload.samples, 0);
  const live = new Map<string, number>();
  const bar = progress(`run: ${jobs.length} guest${jobs.length > 1 ? 's' : ''} (${opts.mode}, ${opts.jobs} at once)`);
  const abort = new AbortController();
  const results: JobResult[] = new Array(jobs.length);
  let next = 0;
  let finished = 0;
  let firstFailure: unknown = null;

  const runOne = async (job: GuestJob): Promise<JobResult> => {
    const kernel = kernels[job.scenario.kernel]!;
    const initrd = join(tmp, `${job.id}.cpio`);
    const script = initScript({ scenario: job.scenario.name, boot: job.boot, workload: job.workload, audit: job.scenario.audit, bpf: job.scenario.bpf });
    await writeFile(initrd, Buffer.concat([await readFile(initramfs[job.scenario.kernel]!), initArchive(script)]));
    await writeFile(join(dir.logs, `${job.id}.init.sh`), script);
    const started = Date.now();
    const result = await bootGuest(
      {
        mode: opts.mode,
        bzImage: kernel.bzImage,
        initrd,
        seed: job.seed,
        memoryMiB: 256,
        consoleLog: join(dir.logs, `${job.id}.console.log`),
        resultFile: join(dir.logs, `${job.id}.result.txt`),
        qemuLog: join(dir.logs, `${job.id}.qemu.log`),
      },
      {
        bootTimeoutMs: opts.mode === 'kvm' ? 60_000 : 180_000,
        totalTimeoutMs: bootBudgetMs(job, opts),
        signal: abort.signal,
        onSamples: (n) => {
          live.set(job.id, n);
          bar.update([...live.values()].reduce((a, b) => a + b, 0), total, `samples, ${finished}/${jobs.length} guests done`);
        },
      },
    ).catch((err: unknown) => {
      if (err instanceof BenchError) throw new BenchError(`scenario ${job.scenario.name} (boot ${job.boot}): ${err.message}`, err.log, err.exitCode);
      throw err;
    });
    await rm(initrd, { force: true });
    const expected = job.workload.warmup + job.workload.samples;
    if (result.samples.length !== expected) {
      throw new BenchError(`scenario ${job.scenario.name}: ${result.samples.length} samples, expected ${expected}`, join(dir.logs, `${job.id}.result.txt`));
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

  // Longest first, so that the last guest to finish does not run alone: an audit rule makes every exec
  // about 60 % slower, a daemon or a BPF program a few %.
  const cost = (j: GuestJob) => totalExecs(j.workload) * (1 + (j.scenario.audit?.rules.length ? 0.6 : 0) + (j.scenario.audit?.daemon ? 0.05 : 0) + 0.05 * j.scenario.bpf.length);
  const order = jobs.map((_, i) => i).sort((a, b) => cost(jobs[b]!) - cost(jobs[a]!));
  const worker = async () => {
    while (next < jobs.length && !abort.signal.aborted) {
      const i = order[next++]!;
      const job = jobs[i]!;
      try {
        results[i] = await runOne(job);
        live.set(job.id, job.workload.warmup + job.workload.samples);
        finished++;
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
  bar.done(`${jobs.length} guests, ${total} samples`);
  for (const c of results.flatMap((r) => r.checks)) {
    if (!c.ok) process.stderr.write(`warning: scenario ${c.scenario} (boot ${c.boot}): ${c.problem}\n`);
  }
  return results;
}
