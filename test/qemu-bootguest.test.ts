/**
 * bootGuest against real guests that go wrong: the real kernel of the seed
 * matrix, booted in QEMU with a one-file initramfs whose /init misbehaves.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { BenchError } from '../lib/errors.ts';
import { cpioArchive } from '../bench/guest/cpio.ts';
import { bootGuest, type BootSpec } from '../bench/qemu.ts';
import { buildKernel } from '../kernels/build.ts';
import { DEFAULT_KERNEL_SOURCE } from '../kernels/pins.ts';
import { resolveKernelSource } from '../kernels/source.ts';
import { BUILTIN_VARIANTS } from '../kernels/variants.ts';

const dir = mkdtempSync(join(tmpdir(), 'krsi-boot-'));
let bzImage = '';

before(async () => {
  const kernel = await buildKernel(BUILTIN_VARIANTS.noaudit!, await resolveKernelSource(DEFAULT_KERNEL_SOURCE, { log: join(dir, 'source.log') }), { jobs: 2, logDir: dir });
  bzImage = kernel.bzImage;
}, { timeout: 40 * 60_000 });

function guest(name: string, init: string): BootSpec {
  const initrd = join(dir, `${name}.cpio`);
  const header = '#!/bin/busybox sh\n/bin/busybox mount -t devtmpfs d /dev\n';
  writeFileSync(initrd, cpioArchive([
    { kind: 'dir', path: 'bin' },
    { kind: 'dir', path: 'dev' },
    { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'file', path: 'bin/busybox', data: readFileSync('/bin/busybox'), mode: 0o755 },
    { kind: 'file', path: 'init', data: Buffer.from(header + init), mode: 0o755 },
  ]));
  return {
    mode: 'icount', layout: 'fixed', kernelArgs: [], bzImage, initrd, seed: 1, memoryMiB: 128,
    consoleLog: join(dir, `${name}.console.log`), resultFile: join(dir, `${name}.result.txt`), qemuLog: join(dir, `${name}.qemu.log`),
  };
}

const limits = { bootTimeoutMs: 120_000, totalTimeoutMs: 180_000 };

async function failure(spec: BootSpec, l = limits): Promise<BenchError> {
  const err = await bootGuest(spec, l).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof BenchError, `expected a BenchError, got ${String(err)}`);
  return err;
}

test('a guest whose init exits is reported as a kernel panic, naming the console log', { timeout: 300_000 }, async () => {
  const spec = guest('panic', 'exit 3\n');
  const err = await failure(spec);
  assert.match(err.message, /^guest kernel panicked: Attempted to kill init/);
  assert.equal(err.log, spec.consoleLog);
});

test('a guest that hangs is stopped at the time limit', { timeout: 300_000 }, async () => {
  const spec = guest('hang', '/bin/busybox echo "KRSI-BENCH BEGIN hang 0" > /dev/ttyS1\nwhile :; do :; done\n');
  const started = Date.now();
  const err = await failure(spec, { bootTimeoutMs: 120_000, totalTimeoutMs: 5_000 });
  assert.match(err.message, /did not finish within 5s/);
  assert.ok(Date.now() - started < 60_000, 'the hung guest was not killed promptly');
});

test('a guest that reports FAIL passes its reason on', { timeout: 300_000 }, async () => {
  const spec = guest('fail', '/bin/busybox echo "KRSI-BENCH BEGIN f 0" > /dev/ttyS1\n/bin/busybox echo "KRSI-BENCH FAIL auditctl rejected rule -a x" > /dev/ttyS1\n/bin/busybox reboot -f\n');
  const err = await failure(spec);
  assert.equal(err.message, 'guest failed: auditctl rejected rule -a x');
});

test('a result cut short is not taken as complete', { timeout: 300_000 }, async () => {
  const spec = guest('cut', '/bin/busybox echo "KRSI-BENCH BEGIN c 0" > /dev/ttyS1\n/bin/busybox printf "KRSI-BENCH PAYLOAD\\nsample 0 0 100 5.0\\n" > /dev/ttyS1\n/bin/busybox reboot -f\n');
  const err = await failure(spec);
  assert.match(err.message, /cut short/);
});
