/**
 * End to end, what a review of bpf/ found wrong with the loggers, each on a
 * real guest (one boot, few execs): a decoy LD_PRELOAD before the one the
 * loader uses, an environment of thousands of strings under -s, a walk
 * bounded on purpose, execveat under the seccomp supervisor, a burst into a
 * small perf buffer and ring buffer (every event logged or lost, once), and
 * the preload file, which every krsi_ld_preload boot probes. And, from the
 * object itself, that no program that may sleep keeps its walk in per-CPU
 * space. Needs the seed matrix's kernels and an SMP one (built on first use).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildKernel } from '../kernels/build.ts';
import { DEFAULT_KERNEL_SOURCE } from '../kernels/pins.ts';
import { resolveKernelSource } from '../kernels/source.ts';
import { BUILTIN_VARIANTS } from '../kernels/variants.ts';
import { readEvents } from '../reports/load.ts';

const ROOT = join(import.meta.dirname, '..');
const EXECS = 20;
const SAMPLES = 2;
const DECOY = '/lib/harmless.so';

const krsi = (extra: object = {}) => [{ tool: 'krsi_ld_preload', ...extra }];

const SCENARIOS = [
  { name: 'vanilla', kernel: 'noaudit' },
  { name: 'decoy-krsi', kernel: 'noaudit', workload: { ldPreloadDecoy: DECOY }, bpf: krsi() },
  { name: 'decoy-hooks', kernel: 'noaudit', workload: { ldPreloadDecoy: DECOY }, bpf: [{ tool: 'krsi_hooks', program: 'tp_btf' }] },
  { name: 'execveat-notify', kernel: 'noaudit', workload: { execCall: 'execveat', ldPreloadDecoy: DECOY }, seccomp: 'notify' },
  { name: 'tiny-vars-only-set', kernel: 'noaudit', workload: { tinyVars: 5000 }, bpf: krsi({ onlySet: true }) },
  { name: 'tiny-vars-bounded', kernel: 'noaudit', workload: { tinyVars: 5000 }, bpf: krsi({ onlySet: true, maxSteps: 1000 }) },
  { name: 'perfbuf', kernel: 'noaudit', bpf: [{ tool: 'krsi_hooks', program: 'perfbuf' }] },
  // An empty string and one of 255 bytes before LD_PRELOAD: bpf_probe_read_user_str returns 0 for an empty one.
  { name: 'edge-krsi', kernel: 'noaudit', workload: { edgeStrings: true }, bpf: krsi() },
  { name: 'edge-env-vars', kernel: 'noaudit', workload: { edgeStrings: true }, bpf: [{ tool: 'krsi_env_vars' }] },
  { name: 'edge-exec-record', kernel: 'noaudit', workload: { edgeStrings: true }, bpf: [{ tool: 'krsi_exec_record' }] },
  {
    name: 'exec-record-vs-audit', kernel: 'audit', bpf: [{ tool: 'krsi_exec_record' }],
    audit: { daemon: true, enable: true, rules: ['-a always,exit -F arch=b64 -S execve,execveat -k krsi-bench-exec'] },
  },
];

/** Bursts lose 0-2 % of their events into one page, by layout: they get 400 execs per sample, the others 20. */
const BURSTS = [
  { name: 'vanilla', kernel: 'noaudit' },
  // Two CPUs: the records of execs on both interleave in krsi_env_vars' one ring buffer.
  { name: 'burst-env-vars-smp', kernel: 'noaudit', workload: { procs: 4, cpus: 2, envPages: 1 }, bpf: [{ tool: 'krsi_env_vars' }] },
  { name: 'burst-perfbuf', kernel: 'noaudit', workload: { procs: 4 }, bpf: [{ tool: 'krsi_hooks', program: 'perfbuf', bufferBytes: 4096 }] },
  { name: 'burst-ringbuf', kernel: 'noaudit', workload: { procs: 4 }, bpf: krsi({ bufferBytes: 4096 }) },
];

function run(scenarios: object[], execs: number, samples: number) {
  const matrix = join(mkdtempSync(join(tmpdir(), 'krsi-correct-')), 'm.json');
  writeFileSync(matrix, JSON.stringify({ baseline: 'vanilla', scenarios }));
  const out = mkdtempSync(join(tmpdir(), 'krsi-correct-run-'));
  const r = spawnSync('npx', ['tsx', 'scripts/bench.ts', '--matrix', matrix, '--samples', String(samples), '--execs', String(execs), '--warmup', '1', '--warmup-max', '1', '--boots', '1', '--out', out], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const events = readEvents(join(realpathSync(join(out, 'latest')), 'events.csv'));
  const of = (name: string) => {
    const rows = events.filter((e) => e.scenario === name && e.source !== 'none');
    assert.equal(rows.length, 1, `${name}: one checked source`);
    return rows[0]!;
  };
  return { of, events: (name: string) => events.filter((e) => e.scenario === name) };
}

test('the loggers log the LD_PRELOAD the loader uses, see every exec entry, never drop silently and count each loss once', { timeout: 60 * 60_000 }, () => {
  const { of, events } = run(SCENARIOS, EXECS, SAMPLES);
  const execs = EXECS * (SAMPLES + 1);

  // The loader takes the last LD_PRELOAD: every logger reports it, not the decoy before it, and reads past
  // an empty string and a 255-byte one to reach it. The krsi_ld_preload boots also had their preload file
  // probe logged (a failed probe fails the check).
  for (const name of ['decoy-krsi', 'decoy-hooks', 'execveat-notify', 'edge-krsi', 'edge-env-vars', 'edge-exec-record']) {
    const e = of(name);
    assert.ok(e.ok, `${name}: ${JSON.stringify(e)}`);
    assert.deepEqual([e.expected, e.logged, e.matched], [execs, execs, execs], name);
  }
  // 5000 strings before LD_PRELOAD: read to the end by default, so -s sends every exec with its value ...
  const whole = of('tiny-vars-only-set');
  assert.ok(whole.ok, JSON.stringify(whole));
  assert.deepEqual([whole.logged, whole.matched, whole.truncated], [execs, execs, 0]);
  // ... and a walk bounded below that is sent anyway, flagged and counted: never left out.
  const bounded = of('tiny-vars-bounded');
  assert.equal(bounded.logged, execs, 'an exec whose walk stopped short was not sent');
  // (The snapshot program's exec had the same environment: truncated counts every line, not only nop's.)
  assert.ok(bounded.truncated >= execs, `${bounded.truncated} truncated of ${execs}`);
  assert.equal(bounded.ok, false);
  // Audit and the BPF exec logger in one boot: the first 20 execs of nop agree in every field audit records.
  const same = events('exec-record-vs-audit').find((e) => e.source === 'krsi_exec_record=audit');
  assert.ok(same, 'no comparison of the two loggers\' records');
  assert.ok(same.ok, JSON.stringify(same));
  assert.deepEqual([same.expected, same.logged, same.matched], [20, 20, 20]);
  for (const source of ['audit', 'krsi_exec_record']) {
    const e = events('exec-record-vs-audit').find((x) => x.source === source)!;
    assert.ok(e.ok && e.logged === execs, `${source}: ${JSON.stringify(e)}`);
  }
  // The perf buffer exists before the program is attached: nothing lost, not even the guest's own execs.
  const perf = of('perfbuf');
  assert.ok(perf.ok, JSON.stringify(perf));
  assert.deepEqual([perf.lost, perf.unaccounted], [0, 0]);
});

test('a burst into one page loses events, each counted lost once, in the perf buffer as in the ring buffer; on two CPUs every environment is put together whole', { timeout: 60 * 60_000 }, () => {
  const { of } = run(BURSTS, 400, 4);
  const execs = 400 * 5;
  // Every exec's variables, put together from records of two CPUs: all of them with their count, bytes and value.
  const env = of('burst-env-vars-smp');
  assert.ok(env.ok, JSON.stringify(env));
  assert.deepEqual([env.logged, env.matched, env.truncated], [execs, execs, 0]);
  // What the program emitted is exactly what was logged plus what was lost: a full perf ring fails the
  // output and also reports PERF_RECORD_LOST, the same events, which were once added together.
  for (const name of ['burst-perfbuf', 'burst-ringbuf']) {
    const e = of(name);
    assert.ok(e.lost !== null && e.lost > 0, `${name}: a 4 KiB buffer under 4 exec'ing processes lost nothing: ${JSON.stringify(e)}`);
    assert.equal(e.unaccounted, 0, `${name}: ${JSON.stringify(e)}`);
    assert.ok(e.logged < execs && e.logged + e.lost! >= execs, `${name}: ${e.logged} logged and ${e.lost} lost of ${execs} execs`);
  }
});

/** The names of the per-CPU maps of a BPF object, from its BTF (map type 5, 6, 10: per-CPU hash, array, LRU hash). */
function perCpuMaps(object: string): Set<string> {
  const r = spawnSync('bpftool', ['-j', 'btf', 'dump', 'file', object], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  type BtfType = { id: number; kind: string; name: string; type_id?: number; nr_elems?: number; vars?: { type_id: number }[]; members?: { name: string; type_id: number }[] };
  const types = (JSON.parse(r.stdout) as { types: BtfType[] }).types;
  const byId = new Map(types.map((t) => [t.id, t]));
  const maps = types.find((t) => t.kind === 'DATASEC' && t.name === '.maps')?.vars ?? [];
  const names = new Set<string>();
  for (const v of maps) {
    const variable = byId.get(v.type_id)!;
    const member = byId.get(variable.type_id!)!.members!.find((m) => m.name === 'type')!;
    // __uint(type, N) is a pointer to an array of N ints.
    const mapType = byId.get(byId.get(member.type_id)!.type_id!)!.nr_elems;
    if (mapType === 5 || mapType === 6 || mapType === 10) names.add(variable.name);
  }
  return names;
}

test('no program that may sleep reads its strings into per-CPU space, which another exec on that CPU could overwrite', { timeout: 30 * 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'krsi-objects-'));
  const kernel = await buildKernel(BUILTIN_VARIANTS.noaudit!, await resolveKernelSource(DEFAULT_KERNEL_SOURCE, { log: join(dir, 'source.log') }), { jobs: 2, logDir: dir });
  const make = spawnSync('make', ['-C', join(ROOT, 'bpf'), `OUT=${dir}`, `VMLINUX_BTF=${kernel.btf}`, 'TOOLS=krsi_hooks krsi_ld_preload', `${dir}/krsi_hooks.bpf.o`, `${dir}/krsi_ld_preload.bpf.o`], { encoding: 'utf8' });
  assert.equal(make.status, 0, make.stderr);
  for (const tool of ['krsi_hooks', 'krsi_ld_preload']) {
    const object = join(dir, `${tool}.bpf.o`);
    const perCpu = perCpuMaps(object);
    const relocs = spawnSync('llvm-objdump', ['-r', object], { encoding: 'utf8' });
    assert.equal(relocs.status, 0, relocs.stderr);
    // "RELOCATION RECORDS FOR [section]:" then "offset type symbol" lines.
    let section = '';
    const used = new Map<string, Set<string>>();
    for (const line of relocs.stdout.split('\n')) {
      const head = /^RELOCATION RECORDS FOR \[(.+)\]:$/.exec(line);
      if (head) section = head[1]!;
      const rel = /^[0-9a-f]+\s+\S+\s+(\S+)$/.exec(line);
      // Programs and their subprograms (.text); not the debug sections.
      if (rel && section && (section === '.text' || !section.startsWith('.'))) used.set(section, (used.get(section) ?? new Set()).add(rel[1]!));
    }
    if (tool === 'krsi_hooks') assert.ok(used.has('lsm.s/bprm_committed_creds'), 'the sleepable program is in the object');
    for (const [sec, symbols] of used) {
      // Only perfbuf, which never sleeps, builds its event in per-CPU space (see krsi_hooks.bpf.c).
      if (sec === 'lsm/bprm_committed_creds' && tool === 'krsi_hooks') continue;
      const shared = [...symbols].filter((s) => perCpu.has(s));
      assert.deepEqual(shared, [], `${tool} ${sec} uses per-CPU maps ${shared.join(', ')}`);
    }
  }
});
