// The profile's stages on fixtures: raw files, symbols at a KASLR offset, what a profile of
// another kernel and a stripped vmlinux get, the attribution snapshots, and the gate's explanation.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { attribute, parseSnapshots } from '../bench/attribution.ts';
import { bytesAt, readElf } from '../reports/profile/elf.ts';
import { readRawProfile, type RawProfile } from '../reports/profile/raw.ts';
import { symbolize } from '../reports/profile/symbolize.ts';
import { foldedStacks, type ProfileSummary, type ScenarioProfile } from '../reports/profile/summarize.ts';
import { explainRegressions, explanationMarkdown } from '../reports/gate/explain.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(join(tmpdir(), 'krsi-profile-'));
const kernel = join(tmp, 'vmlinux');
execFileSync('gcc', ['-O0', '-nostdlib', '-static', '-no-pie', '-fno-pic', '-mcmodel=kernel', '-Wl,-Ttext=0xffffffff81000000', '-Wl,-e,0', '-o', kernel, join(ROOT, 'test/fixtures/profile/fake-kernel.c')]);
const nop = join(tmp, 'nop');
execFileSync('gcc', ['-Os', '-static', '-nostdlib', '-fno-asynchronous-unwind-tables', '-fno-stack-protector', '-o', nop, join(ROOT, 'workloads/nop.c')]);

const KASLR = 0x1e400000n;
const block = (vaddr: bigint, count: number, bytes: Buffer) => ({ vaddr, insns: 1, count, bytes });

async function fixture() {
  const vmlinux = await readElf(kernel);
  const user = await readElf(nop);
  const at = (name: string, image = vmlinux) => image.symbols.find((s) => s.name === name)!.addr;
  const start = user.symbols.find((s) => s.name === '_start')!.addr;
  const raw: RawProfile = {
    blocks: [
      block(at('audit_log_exit') + KASLR, 700, bytesAt(vmlinux, at('audit_log_exit'), 8)!),
      block(at('copy_process') + 4n + KASLR, 200, bytesAt(vmlinux, at('copy_process') + 4n, 4)!),
      block(0xffffffffc0001010n, 50, Buffer.from('55489090', 'hex')),
      block(start, 30, bytesAt(user, start, 6)!),
      block(0x7f0000001000n, 20, Buffer.from('c3', 'hex')),
    ],
    total: 1000,
  };
  return { vmlinux, user, raw, text: at('_text') + KASLR };
}

test('symbolize: kernel functions at the boot\'s KASLR offset, BPF from kallsyms, user code by its bytes', async () => {
  const { vmlinux, user, raw, text } = await fixture();
  const s = symbolize(raw, { vmlinux, kernelText: text, bpfSymbols: [{ addr: 0xffffffffc0001000n, name: 'bpf_prog_abc_log' }], binaries: [{ name: 'nop', image: user }] }, 'x.tb');
  const got = Object.fromEntries(s.functions.map((f) => [`${f.group}/${f.binary}/${f.function}`, f.instructions]));
  assert.deepEqual(got, {
    'kernel/vmlinux/audit_log_exit': 700, 'kernel/vmlinux/copy_process': 200, 'bpf/bpf/bpf_prog_abc_log': 50, 'user/nop/_start': 30, 'daemon/user space/user space': 20,
  });
  assert.equal(s.kernelMatch, 1);
  assert.equal(foldedStacks(s.functions).split('\n')[0], 'kernel;vmlinux;audit_log_exit 700');
});

test('symbolize: a profile of another kernel (its bytes do not match at the offset) is refused', async () => {
  const { vmlinux, raw, text } = await fixture();
  // Another build puts its code elsewhere: at this kernel's offset the blocks land one byte off.
  assert.throws(() => symbolize(raw, { vmlinux, kernelText: text - 1n, bpfSymbols: [], binaries: [] }, 'x.tb'), /x\.tb: was not recorded on this kernel: only 0\.0 % of its kernel instructions match/);
});

test('readElf: a vmlinux without symbols is refused with one line', async () => {
  const stripped = join(tmp, 'vmlinux.stripped');
  execFileSync('objcopy', ['--strip-all', kernel, stripped]);
  await assert.rejects(readElf(stripped), /vmlinux\.stripped: has no symbol table \(stripped\?\)/);
  await assert.rejects(readElf(join(ROOT, 'package.json')), /not a 64-bit little-endian ELF file/);
});

test('readRawProfile: a file cut short or whose lines do not add up is refused', async () => {
  const good = 'krsi-profile 1\ntb ffffffff81000000 2 10 9090\ntb 401000 1 5 c3\ntotal 15 2\n';
  const path = join(tmp, 'p.tb');
  writeFileSync(path, good);
  assert.equal((await readRawProfile(path)).total, 15);
  writeFileSync(path, good.replace('total 15 2\n', ''));
  await assert.rejects(readRawProfile(path), /cut short \(no total line\)/);
  writeFileSync(path, good.replace('total 15', 'total 16'));
  await assert.rejects(readRawProfile(path), /add up to 15 instructions, its total line says 16/);
  writeFileSync(path, 'samples\n');
  await assert.rejects(readRawProfile(path), /not a krsi-bench profile/);
});

test('attribute: tasks grouped, execbench\'s own time from its clock, exited children, idle the rest', () => {
  const lines = [
    'window start 1000000 500 100', 'window end 2501000 300500 700',
    'task start 1 0 5000 0 1 sh', 'task end 1 0 5000 0 1 sh',
    'task start 40 1 999 0 1 execbench', 'task end 40 1 999999 0 1 execbench',
    'task start 41 40 100 0 1 execbench', 'task end 41 40 20100 0 2 execbench',
    'task start 30 1 0 0 1 auditd', 'task end 30 1 100000 0 9 auditd',
    'task end 14 2 50000 0 3 kauditd',
    'task start 12 2 10 0 1 ksoftirqd/0', 'task end 12 2 30010 0 4 ksoftirqd/0',
    'rq start 1 0 0', 'rq end 1 0 0',
    'irqs start 10 20', 'irqs end 14 29',
    'bpf start 6 29 1000 2 log_ld_preload', 'bpf end 6 29 5000 6 log_ld_preload',
  ];
  const snaps = parseSnapshots(lines);
  assert.ok(typeof snaps !== 'string', String(snaps));
  const a = attribute(snaps, { scenario: 's', kernel: 'k', boot: 0, execs: 4 }, new Set());
  const by = Object.fromEntries(a.tasks.map((t) => [t.task + (t.pid ?? ''), [t.group, t.ns]]));
  assert.deepEqual(by, {
    execbench40: ['workload', 300000], 'exited children': ['workload', 600000], execbench41: ['seccomp supervisor', 20000],
    auditd30: ['auditd', 100000], kauditd14: ['kauditd', 50000], 'ksoftirqd/012': ['softirq threads', 30000], idle: ['idle', 1501000 - 1100000],
  });
  assert.equal(a.windowNs, 1501000);
  assert.deepEqual([a.interrupts, a.softirqs], [4, 9]);
  assert.deepEqual(a.bpf.map((b) => [b.name, b.runCount, b.runTimeNs]), [['log_ld_preload', 4, 4000]]);
  assert.match(String(parseSnapshots(lines.slice(1))), /missing or cut short/);
  assert.match(String(parseSnapshots(lines.filter((l) => !l.startsWith('rq end')))), /lack \/proc\/schedstat's totals/);
  assert.match(String(parseSnapshots(['task middle 1 0 1 1 1 sh'])), /bad attribution line/);
});

const scenario = (name: string, against: string | null, functions: [string, number][], added: [string, number, number][] = []): ScenarioProfile => ({
  scenario: name, kernel: 'k', boots: 1, execs: 100, against,
  perExec: { profile: functions.reduce((s, [, n]) => s + n, 0), window: 0, idle: 0, samples: 0 }, bookkeepingPct: 0, kernelMatchPct: 90,
  groups: { kernel: 0, bpf: 0, user: 0, daemon: 0 }, tasks: [], bpf: [], interruptsPerExec: 0, softirqsPerExec: 0,
  functions: functions.map(([f, n]) => ({ group: 'kernel', binary: 'vmlinux', function: f, perExec: n })),
  added: added.map(([f, base, now]) => ({ group: 'kernel', binary: 'vmlinux', function: f, perExec: now, baselinePerExec: base, delta: now - base })),
  folded: `${name}.folded`,
});
const summary = (scenarios: ScenarioProfile[]): ProfileSummary => ({ runId: 'r', tolerancePct: 0.5, scenarios });

test('explainRegressions: between two runs\' profiles, else against the scenario\'s baseline in the current one', () => {
  const before = summary([scenario('audit-execve', 'audit-compiled', [['audit_log_exit', 100], ['copy_process', 50]])]);
  const after = summary([
    scenario('audit-execve', 'audit-compiled', [['audit_log_exit', 400], ['copy_process', 40], ['format_decode', 30]], [['audit_log_exit', 0, 400]]),
    scenario('audit-compiled', null, [['copy_process', 40]]),
  ]);
  const [between] = explainRegressions(['audit-execve'], after, before);
  assert.equal(between!.kind, 'between-runs');
  assert.deepEqual(between!.functions.map((f) => [f.function, f.delta]), [['audit_log_exit', 300], ['format_decode', 30], ['copy_process', -10]]);
  const [alone] = explainRegressions(['audit-execve'], after, null);
  assert.deepEqual([alone!.kind, alone!.against, alone!.functions[0]!.function], ['against-baseline-scenario', 'audit-compiled', 'audit_log_exit']);
  assert.deepEqual(explainRegressions(['audit-execve'], null, before), []);
  assert.deepEqual(explainRegressions(['other'], after, before), []);
  assert.match(explanationMarkdown([between!]).join('\n'), /\| kernel \| vmlinux \| `audit_log_exit` \| 100 \| 400 \| \+300 \|/);
});
