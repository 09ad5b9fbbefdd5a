/**
 * The parts of a split boot that need no guest: split-boot's symbols, the
 * saved machine's run state, the gdb protocol's framing, what a scenario's
 * archive holds, which guests share a boot, and that a split boot's /init
 * runs the commands a whole boot's does.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpioArchive, type CpioEntry } from '../bench/guest/cpio.ts';
import { initScript, scenarioScript, splitPrefixScript, type GuestSetup } from '../bench/guest/init-script.ts';
import { scenarioArchive, scenarioFiles } from '../bench/guest/split.ts';
import { sharedKey } from '../bench/guests.ts';
import { DEFAULT_WORKLOAD, type Scenario } from '../bench/matrix.ts';
import type { GuestJob } from '../bench/plan.ts';
import { gdbPacket, stopThread, takeGdbPacket } from '../bench/qemu-control.ts';
import { markPaused, parseSplitSymbols } from '../bench/split-boot.ts';
import { BenchError } from '../lib/errors.ts';

const NM = `
00000000600a7300 0000000000800000 B scenario
00000000600a72e0 0000000000000008 B scenario_length
0000000060001740 0000000000000003 T split_boot_point
0000000060001000 T _init
`;

test('split-boot symbols: the breakpoint, the buffer with its size, and the length word', () => {
  assert.deepEqual(parseSplitSymbols(NM, 'split-boot'), { point: 0x60001740n, scenario: 0x600a7300n, capacity: 8 << 20, length: 0x600a72e0n });
  assert.throws(() => parseSplitSymbols(NM.replace(/.*split_boot_point\n/, ''), '/x/split-boot'), (e: unknown) => e instanceof BenchError && /split-boot has no symbol split_boot_point/.test(e.message));
});

/** A stream's tail as QEMU 7.2 writes it: a section header, "globalstate", instance and version ids, the state. */
function globalState(state: string): Buffer {
  const field = Buffer.alloc(100);
  field.write(state, 'latin1');
  const size = Buffer.alloc(4);
  size.writeUInt32BE(state.length + 1);
  return Buffer.concat([Buffer.from([0x04, 0, 0, 0, 0x2a, 0x0b]), Buffer.from('globalstate'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]), size, field]);
}

test('markPaused rewrites the gdbstub\'s "debug" run state to "paused", in place, and nothing else', () => {
  const ram = Buffer.alloc(4096, 0x5a);
  const stream = Buffer.concat([ram, globalState('debug'), Buffer.from([0x7e])]);
  const expected = Buffer.concat([ram, globalState('paused'), Buffer.from([0x7e])]);
  assert.equal(markPaused(stream), true);
  assert.ok(stream.equals(expected));
});

test('markPaused refuses a stream without the section, with two, or in another state', () => {
  assert.equal(markPaused(Buffer.alloc(1024)), false);
  assert.equal(markPaused(Buffer.concat([globalState('debug'), globalState('debug')])), false);
  const running = globalState('running');
  assert.equal(markPaused(running), false);
  assert.ok(running.equals(globalState('running')));
});

test('gdb packets: the checksum is the byte sum mod 256, and a reply is taken whole, past acks', () => {
  // Checksums as gdb itself sends them.
  assert.equal(gdbPacket('g'), '$g#67');
  assert.equal(gdbPacket('c'), '$c#63');
  assert.equal(gdbPacket('Z0,60001740,1'), `$Z0,60001740,1#${([...'Z0,60001740,1'].reduce((s, c) => s + c.charCodeAt(0), 0) % 256).toString(16).padStart(2, '0')}`);
  assert.equal(takeGdbPacket('+$OK#9'), null, 'a reply without its whole checksum is not taken');
  assert.deepEqual(takeGdbPacket('+$OK#9a+'), ['OK', 7]);
  assert.deepEqual(takeGdbPacket('++$T05thread:01;#07'), ['T05thread:01;', 19]);
});

test('a stop reply names the vCPU that stopped, as the gdbstub numbers them', () => {
  assert.equal(stopThread('T05thread:02;'), '02');
  assert.equal(stopThread('T05swbreak:;thread:01;'), '01');
  assert.equal(stopThread('T05'), null);
  assert.equal(stopThread('W00'), null);
});

const file = (path: string, text: string, mode = 0o755): CpioEntry => ({ kind: 'file', path, data: Buffer.from(text), mode });

test('a scenario\'s files are those the shared part does not hold as they are', () => {
  const shared = [{ kind: 'dir', path: 'bin' } as CpioEntry, file('bin/busybox', 'bb'), file('etc/audit/auditd.conf', 'packaged', 0o640), file('lib/libc.so.6', 'libc')];
  const scenario = [...shared.slice(0, 2), file('etc/audit/auditd.conf', 'format = RAW', 0o640), file('lib/libc.so.6', 'libc'), file('bin/krsi_ld_preload', 'loader'), { kind: 'dir', path: 'opt/bpf' } as CpioEntry];
  assert.deepEqual(scenarioFiles(scenario, shared).map((e) => e.path), ['etc/audit/auditd.conf', 'bin/krsi_ld_preload', 'opt/bpf']);
  assert.deepEqual(scenarioFiles(shared, shared), []);
  const archive = scenarioArchive([file('bin/x', 'x')], 'say hi\n');
  assert.ok(archive.equals(cpioArchive([file('bin/x', 'x'), file('scenario.sh', 'say hi\n')])));
});

function job(kernel: string, seed: number, name: string, extra: Partial<Scenario> = {}, cpus?: number): GuestJob {
  const scenario = { name, kernel, audit: null, bpf: [], ...extra } as Scenario;
  return { id: `${name}-boot0`, scenario, boot: 0, seed, workload: { ...DEFAULT_WORKLOAD, ...(cpus && { cpus }) } };
}

test('guests share a boot when kernel, seed, boot arguments and vCPUs are the same, whatever their scenario', () => {
  assert.equal(sharedKey(job('noaudit', 42, 'vanilla')), sharedKey(job('noaudit', 42, 'krsi-ld-preload', { bpf: [{ tool: 'krsi_ld_preload' }] as Scenario['bpf'] })));
  assert.notEqual(sharedKey(job('noaudit', 42, 'vanilla')), sharedKey(job('audit', 42, 'audit-compiled')));
  assert.notEqual(sharedKey(job('noaudit', 42, 'vanilla')), sharedKey(job('noaudit', 43, 'vanilla')));
  assert.notEqual(sharedKey(job('noaudit', 42, 'vanilla')), sharedKey(job('noaudit', 42, 'v2', { kernelArgs: ['mitigations=off'] })));
  assert.notEqual(sharedKey(job('noaudit', 42, 'vanilla')), sharedKey(job('noaudit', 42, 'v2', {}, 2)));
});

test('a split boot\'s /init runs the commands a whole boot\'s does, with the split between them', () => {
  for (const disk of [false, true]) {
    const g: GuestSetup = { seed: 42, layout: 'random', workload: DEFAULT_WORKLOAD, audit: null, bpf: [], disk };
    const prefix = splitPrefixScript(g).split('\n');
    const split = prefix.findIndex((l) => l.startsWith('/bin/split-boot '));
    assert.ok(split > 0, 'the shared part runs split-boot');
    assert.equal(prefix.at(-2), '. /scenario.sh', 'and then sources the scenario\'s part');
    assert.equal(`${prefix.slice(0, split).join('\n')}\n${scenarioScript(g)}`, initScript(g));
    // Nothing of the scenario in the shared part: the same for another scenario of the seed.
    assert.equal(splitPrefixScript({ ...g, audit: { daemon: true, rules: ['-a always,exit -F arch=b64 -S execve'] } as GuestSetup['audit'] } as GuestSetup), splitPrefixScript(g));
  }
});
