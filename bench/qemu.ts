import { existsSync } from 'node:fs';
import { access, constants, readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { BenchError } from './errors.ts';
import { parseGuestOutput, type GuestOutput, type GuestResult } from './guest/protocol.ts';

export type Mode = 'icount' | 'kvm';

export interface BootSpec {
  mode: Mode;
  bzImage: string;
  initrd: string;
  /** icount mode: QEMU's -seed; the guest's randomness comes from it. */
  seed: number;
  memoryMiB: number;
  consoleLog: string;
  resultFile: string;
  qemuLog: string;
}

export const QEMU = 'qemu-system-x86_64';

/**
 * Kernel arguments. panic=-1 reboots at once on a panic, which -no-reboot turns
 * into QEMU exiting. loglevel=4 keeps late informational messages (device
 * probes finishing while the workload runs) off the slow serial console, where
 * printing them would land in some samples; warnings and panics still show.
 * In icount mode nokaslr and norandmaps take away the layout randomness that
 * otherwise moves results by about 2 % between boots.
 */
export function kernelCmdline(mode: Mode): string {
  const base = ['console=ttyS0', 'loglevel=4', 'panic=-1', 'lsm=bpf', 'rdinit=/init'];
  return (mode === 'icount' ? [...base, 'nokaslr', 'norandmaps'] : base).join(' ');
}

/** Accelerator arguments: the clock model is what makes icount results machine-independent. */
export function accelArgs(mode: Mode, seed: number): string[] {
  if (mode === 'kvm') return ['-accel', 'kvm', '-cpu', 'host'];
  // shift=0: one guest instruction advances the virtual clock by 1 ns.
  // sleep=off: an idle guest jumps to its next timer instead of waiting in real time.
  // The RTC follows the virtual clock from a fixed date, so nothing reads the host's time.
  return ['-accel', 'tcg', '-icount', 'shift=0,sleep=off', '-seed', String(seed), '-rtc', 'base=2019-08-20T00:00:00,clock=vm'];
}

export function qemuArgs(spec: BootSpec): string[] {
  return [
    ...accelArgs(spec.mode, spec.seed),
    '-m', `${spec.memoryMiB}M`,
    '-smp', '1',
    '-nodefaults',
    '-display', 'none',
    '-no-reboot',
    '-kernel', spec.bzImage,
    '-initrd', spec.initrd,
    '-append', kernelCmdline(spec.mode),
    '-serial', `file:${spec.consoleLog}`,
    '-serial', `file:${spec.resultFile}`,
  ];
}

export interface BootLimits {
  /** Until the guest's /init says BEGIN. */
  bootTimeoutMs: number;
  /** For the whole boot. */
  totalTimeoutMs: number;
  /** Live samples seen so far, for progress. */
  onSamples?: (n: number) => void;
  /** Stops the guest when another one failed. */
  signal?: AbortSignal;
}

/** Checks that this machine can run the mode at all, before any guest is started. */
export async function checkMode(mode: Mode): Promise<void> {
  if (mode !== 'kvm') return;
  if (!existsSync('/dev/kvm')) throw new BenchError('--mode kvm: /dev/kvm does not exist on this machine (use --mode icount)', undefined, 2);
  await access('/dev/kvm', constants.R_OK | constants.W_OK).catch(() => {
    throw new BenchError('--mode kvm: /dev/kvm is not readable and writable by this user (use --mode icount)', undefined, 2);
  });
}

const PANIC_RE = /Kernel panic - not syncing: ([^\r\n]*)/;

async function readText(path: string): Promise<string> {
  return existsSync(path) ? readFile(path, 'utf8') : '';
}

/**
 * Boots one guest and returns its result. Throws a BenchError naming the
 * console log when the guest fails, panics, hangs or sends a damaged result.
 */
export async function bootGuest(spec: BootSpec, limits: BootLimits): Promise<GuestResult> {
  const started = Date.now();
  const child = execa(QEMU, qemuArgs(spec), {
    reject: false,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: { file: spec.qemuLog },
    ...(limits.signal && { cancelSignal: limits.signal }),
  });
  let timedOut: string | null = null;
  let lastSamples = -1;
  const poll = setInterval(() => {
    void readText(spec.resultFile).then((text) => {
      const out = parseGuestOutput(text);
      const elapsed = Date.now() - started;
      if (out.state === 'incomplete') {
        if (out.liveSamples !== lastSamples) limits.onSamples?.((lastSamples = out.liveSamples));
        if (!out.booted && elapsed > limits.bootTimeoutMs) timedOut = `did not reach /init within ${Math.round(limits.bootTimeoutMs / 1000)}s`;
      }
      if (elapsed > limits.totalTimeoutMs) timedOut = `did not finish within ${Math.round(limits.totalTimeoutMs / 1000)}s (last step: ${out.state === 'incomplete' ? (out.lastStatus ?? 'boot') : out.state})`;
      if (timedOut) child.kill('SIGKILL');
    });
  }, 500);
  const exit = await child;
  clearInterval(poll);
  if (limits.signal?.aborted) throw new BenchError('guest stopped because another guest failed', spec.consoleLog);

  const out: GuestOutput = parseGuestOutput(await readText(spec.resultFile));
  if (out.state === 'complete') return out.result;
  if (out.state === 'failed') throw new BenchError(`guest failed: ${out.message}`, spec.consoleLog);
  const panic = PANIC_RE.exec(await readText(spec.consoleLog));
  if (panic) throw new BenchError(`guest kernel panicked: ${panic[1]}`, spec.consoleLog);
  if (timedOut) {
    const hint = spec.mode === 'kvm' && !out.booted ? ': /dev/kvm is there but cannot run this guest (use --mode icount)' : '';
    throw new BenchError(`guest ${timedOut}${hint}`, spec.consoleLog);
  }
  if (exit.exitCode !== 0) {
    const why = (await readText(spec.qemuLog)).split('\n').find((l) => l.trim()) ?? `exit ${exit.exitCode}`;
    throw new BenchError(`qemu failed: ${why.trim()}`, spec.qemuLog);
  }
  throw new BenchError(`guest stopped without a complete result: ${out.reason}`, spec.consoleLog);
}
