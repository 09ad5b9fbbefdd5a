/**
 * Split boots on real guests: the seed matrix's noaudit kernel in QEMU, a
 * shared part saved at split-boot's split point, and scenarios restored from
 * it that run the real execbench. Also the ways it goes wrong.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, test } from 'node:test';
import { BenchError } from '../lib/errors.ts';
import { cpioArchive, type CpioEntry } from '../bench/guest/cpio.ts';
import { buildWorkloads } from '../bench/guest/tools.ts';
import { bootGuest, type BootSpec, type QemuProcess } from '../bench/qemu.ts';
import type { Qmp } from '../bench/qemu-control.ts';
import { restoreGuest, saveSharedBoot, splitPointOf, type SplitPoint } from '../bench/split-boot.ts';
import { buildKernel } from '../kernels/build.ts';
import { DEFAULT_KERNEL_SOURCE } from '../kernels/pins.ts';
import { resolveKernelSource } from '../kernels/source.ts';
import { BUILTIN_VARIANTS } from '../kernels/variants.ts';

const dir = mkdtempSync(join(tmpdir(), 'krsi-split-'));
let bzImage = '';
let programs: CpioEntry[] = [];
let point: SplitPoint;

before(async () => {
  const kernel = await buildKernel(BUILTIN_VARIANTS.noaudit!, await resolveKernelSource(DEFAULT_KERNEL_SOURCE, { log: join(dir, 'source.log') }), { jobs: 2, logDir: dir });
  bzImage = kernel.bzImage;
  const w = await buildWorkloads(dir);
  point = await splitPointOf(w.splitBoot);
  const bin = (path: string, from: string): CpioEntry => ({ kind: 'file', path, data: readFileSync(from), mode: 0o755 });
  programs = [bin('bin/busybox', '/bin/busybox'), bin('bin/split-boot', w.splitBoot), bin('bin/execbench', w.execbench), bin('bin/nop', w.nop)];
}, { timeout: 40 * 60_000 });

const SHARED = [
  '#!/bin/busybox sh',
  '/bin/busybox --install -s /bin',
  'mount -t devtmpfs d /dev',
  'mount -t tmpfs t /tmp',
  'stty -F /dev/ttyS1 raw -echo',
].join('\n');

/** A guest whose /init is `init`, with busybox, split-boot, execbench and nop. */
function guest(name: string, init: string): BootSpec {
  const initrd = join(dir, `${name}.cpio`);
  writeFileSync(initrd, cpioArchive([
    { kind: 'dir', path: 'bin' },
    { kind: 'dir', path: 'dev' },
    { kind: 'dir', path: 'tmp' },
    { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    ...programs,
    { kind: 'file', path: 'init', data: Buffer.from(`${init}\n`), mode: 0o755 },
  ]));
  return {
    mode: 'icount', layout: 'random', kernelArgs: [], bzImage, initrd, seed: 7, memoryMiB: 128,
    consoleLog: join(dir, `${name}.console.log`), resultFile: join(dir, `${name}.result.txt`), qemuLog: join(dir, `${name}.qemu.log`),
  };
}

const SPLIT = [
  '/bin/split-boot /tmp/s.cpio 2> /tmp/err || { echo "KRSI-BENCH FAIL $(cat /tmp/err)" > /dev/ttyS1; reboot -f; }',
  '(cd / && cpio -i -d < /tmp/s.cpio) 2> /dev/null',
  '. /scenario.sh',
].join('\n');

/** A scenario's archive: its part of /init runs execbench and sends the samples framed. */
function scenario(execs: number): Buffer {
  const script = [
    'echo "KRSI-BENCH BEGIN 7" > /dev/ttyS1',
    `/bin/execbench -k ${execs} -n 3 -w 1 --warmup-max 1 /bin/nop > /tmp/p`,
    'echo "info marker $(cat /marker)" >> /tmp/p',
    '{ echo "KRSI-BENCH PAYLOAD"; cat /tmp/p; echo "KRSI-BENCH END $(wc -l < /tmp/p) $(sha256sum /tmp/p | cut -d" " -f1)"; } > /dev/ttyS1',
    'reboot -f',
  ].join('\n');
  return cpioArchive([
    { kind: 'file', path: 'scenario.sh', data: Buffer.from(`${script}\n`), mode: 0o755 },
    { kind: 'file', path: 'marker', data: Buffer.from(`${execs}\n`), mode: 0o644 },
  ]);
}

const limits = { bootTimeoutMs: 120_000, totalTimeoutMs: 180_000 };

/** The same machine under other log names: a restore of it. */
const named = (spec: BootSpec, name: string): BootSpec => ({ ...spec, consoleLog: join(dir, `${name}.console.log`), resultFile: join(dir, `${name}.result.txt`), qemuLog: join(dir, `${name}.qemu.log`) });

/**
 * Stops the running machine every 20 ms and resumes it 2 ms later, until QEMU
 * exits: each stop ends the vCPU's turn at an instruction the host's timing
 * picks. Counts the pauses in `count.pauses`.
 */
const pauseOften = (count: { pauses: number }) => async (qmp: Qmp, qemu: QemuProcess) => {
  let exited = false;
  void qemu.then(() => { exited = true; });
  while (!exited) {
    try {
      await qmp.run('stop');
      await sleep(2);
      await qmp.run('cont');
      count.pauses++;
    } catch {
      break; // QEMU has exited and closed the connection
    }
    await sleep(20);
  }
};

/** No QEMU of this test's guests is left running. */
function noQemuLeft(): void {
  const r = spawnSync('pgrep', ['-f', `qemu-system-x86_64.*${dir}`], { encoding: 'utf8' });
  assert.equal(r.stdout.trim(), '', `QEMU left running: ${r.stdout}`);
}

test('restores of one shared boot run their own scenario, and one scenario twice gives the same samples bit for bit, also when the host pauses it', { timeout: 600_000 }, async () => {
  const shared = guest('shared', `${SHARED}\n${SPLIT}`);
  const machine = join(dir, 'shared.machine');
  const saved = await saveSharedBoot(shared, limits, point, machine);
  assert.deepEqual(saved, { machine, thread: '01' });
  assert.ok(existsSync(machine));
  const restore = (name: string, execs: number) => restoreGuest(named(shared, name), limits, point, saved, scenario(execs));
  const a = await restore('a', 20);
  const again = await restore('a-again', 20);
  const b = await restore('b', 10);
  const count = { pauses: 0 };
  const paused = await restoreGuest(named(shared, 'a-paused'), limits, point, saved, scenario(20), pauseOften(count));
  assert.equal(a.info.marker, '20');
  assert.equal(b.info.marker, '10');
  assert.equal(a.samples.length, 4);
  assert.deepEqual(again.samples, a.samples, 'the same scenario restored twice ran the same instructions');
  assert.ok(count.pauses >= 5, `the host paused the guest ${count.pauses} times`);
  assert.deepEqual(paused.samples, a.samples, 'with one vCPU, where the host ends its turns does not change what it runs');
  assert.ok(a.samples.every((s) => s.execs === 20) && b.samples.every((s) => s.execs === 10));
  assert.notDeepEqual(b.samples.map((s) => s.nsPerExec), a.samples.map((s) => s.nsPerExec));
  noQemuLeft();
});

// Not asserted here: that two restores of a two-vCPU machine give the same samples. Under icount QEMU
// runs both vCPUs in turn on one thread, and where a turn ends early for a reason the host's timing
// decides, the two vCPUs' work interleaves differently: pausing such a guest as the test above does
// changes its samples, where it does not change a one-vCPU guest's (docs/methodology.md, "Two vCPUs
// under icount").
test('with two vCPUs, split-boot on the second: the restore writes through the vCPU that stopped', { timeout: 600_000 }, async () => {
  const shared = { ...guest('smp', `${SHARED}\n${SPLIT.replace('/bin/split-boot ', 'taskset -c 1 /bin/split-boot ')}`), cpus: 2 };
  const saved = await saveSharedBoot(shared, limits, point, join(dir, 'smp.machine'));
  assert.equal(saved.thread, '02', 'the gdbstub numbers vCPUs from 1');
  const a = await restoreGuest(named(shared, 'smp-a'), limits, point, saved, scenario(20));
  assert.equal(a.info.marker, '20', 'split-boot read the scenario written through the second vCPU');
  assert.equal(a.samples.length, 4);
  assert.ok(a.samples.every((s) => s.execs === 20));
  noQemuLeft();
});

test('a shared boot that fails before the split names its console log, and leaves no QEMU running', { timeout: 300_000 }, async () => {
  const spec = guest('dies', `${SHARED}\nexit 3`);
  const machine = join(dir, 'dies.machine');
  const err = await saveSharedBoot(spec, limits, point, machine).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof BenchError, `expected a BenchError, got ${String(err)}`);
  assert.match(err.message, /^guest kernel panicked: Attempted to kill init/);
  assert.equal(err.log, spec.consoleLog);
  assert.equal(existsSync(machine), false, 'no saved machine');
  assert.equal(existsSync(`${machine}.part`) || existsSync(`${machine}.written`), false, 'nothing half-written');
  noQemuLeft();
});

test('split-boot in a guest that was booted whole says that no scenario reached it', { timeout: 300_000 }, async () => {
  const spec = guest('whole', `${SHARED}\n${SPLIT}`);
  const err = await bootGuest(spec, limits).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof BenchError);
  assert.match(err.message, /^guest failed: split-boot: no scenario was written \(length 0\)/);
});

test('a scenario larger than split-boot holds is refused before any QEMU starts', async () => {
  const spec = guest('large', SHARED);
  const err = await restoreGuest(spec, limits, point, { machine: join(dir, 'none.machine'), thread: '01' }, Buffer.alloc(point.capacity + 1)).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof BenchError);
  assert.match(err.message, /split-boot holds \d+ \(SCENARIO_CAPACITY in workloads\/split_boot.c\)/);
  assert.equal(existsSync(spec.qemuLog), false);
});
