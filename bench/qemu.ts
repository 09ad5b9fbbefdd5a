import { existsSync } from 'node:fs';
import { access, constants, readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { BenchError } from '../lib/errors.ts';
import { diesWithUs } from '../lib/proc.ts';
import { parseGuestOutput, type GuestOutput, type GuestResult } from './guest/protocol.ts';

export type Mode = 'icount' | 'kvm';

/** How a boot's memory layout is chosen: drawn from its seed, or the same for every boot. */
export type Layout = 'random' | 'fixed';

export interface BootSpec {
  mode: Mode;
  layout: Layout;
  bzImage: string;
  initrd: string;
  /** icount mode: QEMU's -seed, which TCG's RDRAND draws from. */
  seed: number;
  /** Kernel arguments that depend on the kernel (see kernelArgs). */
  kernelArgs: string[];
  memoryMiB: number;
  /** vCPUs; under icount QEMU runs them in turn on one thread, so the guest stays deterministic. */
  cpus?: number;
  consoleLog: string;
  resultFile: string;
  qemuLog: string;
  /** A TCG plugin and its arguments, as -plugin takes them (profiling boots: profiler/krsi_profile.c). */
  plugin?: string;
  /**
   * A split boot's guest (bench/split-boot.ts): QEMU starts stopped, with QMP
   * and the gdbstub on sockets in `dir`, and, to restore, loads the machine
   * saved in `incoming` instead of booting.
   */
  control?: { dir: string; incoming?: string };
}

/** The sockets of a controlled guest (BootSpec.control). */
export const controlSockets = (dir: string) => ({ qmp: `${dir}/qmp`, gdb: `${dir}/gdb` });

export const QEMU = 'qemu-system-x86_64';

/**
 * Kernel arguments. panic=-1 reboots at once on a panic, which -no-reboot turns
 * into QEMU exiting. loglevel=4 keeps late informational messages (device
 * probes finishing while the workload runs) off the slow serial console, where
 * printing them would land in some samples; warnings and panics still show.
 * Two boot-time probes are skipped, each a few hundred ms of busy-waiting
 * under TCG and neither on the exec path (measured, wall time to /init 2.3 s
 * -> 1.6 s): no_timer_check skips the test of the IO-APIC timer interrupt
 * (check_timer), which a KVM guest kernel skips by itself; i8042.nokbd and
 * i8042.noaux leave the emulated PS/2 keyboard and mouse unprobed, as on a
 * machine without them.
 * trace_boot_fixups=off (kernels/patches/trace-boot-fixups.patch) skips two
 * passes tracing makes once per boot, neither on any later path: under icount
 * they were 0.5 s of a 2.3 s boot's wall time (docs/methodology.md).
 * The LSMs are the kernel's own (CONFIG_LSM), as a distribution boots them:
 * no lsm= argument.
 * A fixed layout turns off KASLR (nokaslr) and the randomisation of user
 * mappings (norandmaps); a random one leaves both at the kernel's defaults
 * (randomize_va_space=2), drawn from RDRAND and the CRNG, and so from the seed,
 * and shuffles the page allocator's free lists (page_alloc.shuffle=1, built
 * in by kernels/fragments/base.config), as the slab freelists are.
 */
export function kernelCmdline(mode: Mode, layout: Layout, kernelArgs: readonly string[] = []): string {
  const base = ['console=ttyS0', 'loglevel=4', 'panic=-1', 'rdinit=/init', 'no_timer_check', 'i8042.nokbd', 'i8042.noaux', 'trace_boot_fixups=off', ...kernelArgs];
  return (layout === 'fixed' ? [...base, 'nokaslr', 'norandmaps'] : [...base, 'page_alloc.shuffle=1']).join(' ');
}

/**
 * Arguments that depend on the kernel being booted. In icount mode the local
 * APIC timer runs at QEMU's fixed APIC bus frequency, 1 GHz of virtual time, so
 * its ticks per jiffy are known: lapic_timer_period (added by
 * kernels/patches/lapic-timer-period.patch) presets them, and the kernel skips
 * the two 100 ms busy-wait loops of its calibration, which under TCG are most
 * of a boot's wall time. A real machine skips them the same way where the CPU
 * reports its timer's frequency (TSC-deadline timer, CPUID leaf 0x15). Under
 * KVM the frequency is the host's: the kernel calibrates.
 */
export function kernelArgs(mode: Mode, hz: number): string[] {
  return mode === 'icount' ? [`lapic_timer_period=${APIC_BUS_HZ / hz}`] : [];
}

/** QEMU's emulated APIC bus: one tick per ns (APIC_BUS_CYCLE_NS = 1 in QEMU 7.2). */
const APIC_BUS_HZ = 1_000_000_000;

/**
 * The emulated CPU. A random layout needs RDRAND (TCG draws it from -seed) for
 * KASLR and the CRNG; SMEP and SMAP are what exec runs with on any x86 CPU of
 * the last decade (SMAP adds stac/clac around every copy to and from user
 * space). PCID is left out: TCG does not offer it. A fixed layout keeps
 * QEMU's plain qemu64, as baselines made before layouts were drawn.
 */
export function cpuModel(layout: Layout): string {
  return layout === 'random' ? 'qemu64,+rdrand,+smep,+smap' : 'qemu64';
}

/** Accelerator arguments: the clock model is what makes icount results machine-independent. */
export function accelArgs(mode: Mode, layout: Layout, seed: number): string[] {
  if (mode === 'kvm') return ['-accel', 'kvm', '-cpu', 'host'];
  // shift=0: one guest instruction advances the virtual clock by 1 ns.
  // sleep=off: an idle guest jumps to its next timer instead of waiting in real time.
  // The RTC follows the virtual clock from a fixed date, so nothing reads the host's time.
  return ['-accel', 'tcg', '-cpu', cpuModel(layout), '-icount', 'shift=0,sleep=off', '-seed', String(seed), '-rtc', 'base=2019-08-20T00:00:00,clock=vm'];
}

/**
 * The vCPUs as that many single-core sockets. QEMU 7.2 makes -smp N one socket
 * of N cores, and SeaBIOS's MP table lists only the first CPU of each socket,
 * so the suite's kernels, which have no ACPI, would find one CPU. (ACPI's MADT
 * lists every core, but tried on 6.12 with CONFIG_ACPI alone every boot logged
 * "ACPI: Unable to load the System Description Tables", and ACPI brings its
 * interpreter and drivers.) The scheduler then sees two packages that share no
 * cache, not two cores of one. For one vCPU this is QEMU's default.
 */
function smpTopology(cpus: number): string {
  return `${cpus},sockets=${cpus},cores=1,threads=1`;
}

export function qemuArgs(spec: BootSpec): string[] {
  return [
    ...accelArgs(spec.mode, spec.layout, spec.seed),
    '-m', `${spec.memoryMiB}M`,
    '-smp', smpTopology(spec.cpus ?? 1),
    '-nodefaults',
    '-display', 'none',
    '-no-reboot',
    '-kernel', spec.bzImage,
    '-initrd', spec.initrd,
    '-append', kernelCmdline(spec.mode, spec.layout, spec.kernelArgs),
    '-serial', `file:${spec.consoleLog}`,
    '-serial', `file:${spec.resultFile}`,
    ...(spec.plugin ? ['-plugin', spec.plugin] : []),
    ...(spec.control ? controlArgs(spec.control) : []),
  ];
}

function controlArgs(c: NonNullable<BootSpec['control']>): string[] {
  const { qmp, gdb } = controlSockets(c.dir);
  return [
    '-S', '-qmp', `unix:${qmp},server=on,wait=off`, '-gdb', `unix:${gdb},server=on,wait=off`,
    ...(c.incoming ? ['-incoming', `exec:cat '${c.incoming.replace(/'/g, `'\\''`)}'`] : []),
  ];
}

export interface BootLimits {
  /** Until the guest's /init says BEGIN. */
  bootTimeoutMs: number;
  /** For the whole boot. */
  totalTimeoutMs: number;
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

export async function readText(path: string): Promise<string> {
  return existsSync(path) ? readFile(path, 'utf8') : '';
}

/**
 * Boots one guest and returns its result. Throws a BenchError naming the
 * console log when the guest fails, panics, hangs or sends a damaged result.
 */
export async function bootGuest(spec: BootSpec, limits: BootLimits, started: (qemu: QemuProcess) => Promise<void> = async () => undefined): Promise<GuestResult> {
  const child = startQemu(spec, limits);
  let controlFailed: unknown = null;
  // A failure here stops QEMU; it is reported once QEMU has exited.
  void started(child).catch((err: unknown) => {
    controlFailed = err;
    child.kill('SIGKILL');
  });
  // The control's failure is why QEMU was stopped: it is the error to report.
  const result = await watchGuest(spec, limits, child).catch((err: unknown) => {
    throw controlFailed ?? err;
  });
  if (controlFailed) throw controlFailed;
  return result;
}

export type QemuProcess = ReturnType<typeof startQemu>;

/** Starts QEMU for `spec`; it dies with node, and on limits.signal. */
export function startQemu(spec: BootSpec, limits: Pick<BootLimits, 'signal'>) {
  return execa(...diesWithUs(QEMU, qemuArgs(spec), 'KILL'), {
    reject: false,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: { file: spec.qemuLog },
    ...(limits.signal && { cancelSignal: limits.signal }),
  });
}

/** Follows a started guest's result port to its end; throws a BenchError naming the log that says why it failed. */
async function watchGuest(spec: BootSpec, limits: BootLimits, child: QemuProcess): Promise<GuestResult> {
  const started = Date.now();
  let timedOut: string | null = null;
  const poll = setInterval(() => {
    void readText(spec.resultFile).then((text) => {
      const out = parseGuestOutput(text);
      const elapsed = Date.now() - started;
      if (out.state === 'incomplete') {
        if (!out.booted && elapsed > limits.bootTimeoutMs) timedOut = `did not reach /init within ${Math.round(limits.bootTimeoutMs / 1000)}s`;
      }
      if (elapsed > limits.totalTimeoutMs) timedOut = `did not finish within ${Math.round(limits.totalTimeoutMs / 1000)}s (last step: ${out.state === 'incomplete' ? (out.lastStatus ?? 'boot') : out.state})`;
      if (timedOut) child.kill('SIGKILL');
    }).catch(() => undefined); // a read that fails now is retried; the read after exit reports it
  }, 500);
  const exit = await child;
  clearInterval(poll);
  if (limits.signal?.aborted) throw new BenchError('guest stopped because another guest failed', spec.consoleLog);

  const out: GuestOutput = parseGuestOutput(await readText(spec.resultFile));
  if (out.state === 'complete') return out.result;
  return guestFailure(spec, out, timedOut, exit.exitCode);
}

/** Why a guest ended without a result, as a BenchError naming the log to read. */
export async function guestFailure(spec: BootSpec, out: GuestOutput, timedOut: string | null, exitCode: number | undefined): Promise<never> {
  if (out.state === 'failed') throw new BenchError(`guest failed: ${out.message}`, spec.consoleLog);
  const panic = PANIC_RE.exec(await readText(spec.consoleLog));
  if (panic) throw new BenchError(`guest kernel panicked: ${panic[1]}`, spec.consoleLog);
  if (timedOut) {
    const hint = spec.mode === 'kvm' && out.state === 'incomplete' && !out.booted ? ': /dev/kvm is there but cannot run this guest (use --mode icount)' : '';
    throw new BenchError(`guest ${timedOut}${hint}`, spec.consoleLog);
  }
  if (exitCode !== 0) {
    const why = (await readText(spec.qemuLog)).split('\n').find((l) => l.trim()) ?? `exit ${exitCode}`;
    throw new BenchError(`qemu failed: ${why.trim()}`, spec.qemuLog);
  }
  throw new BenchError(`guest stopped without a complete result: ${out.state === 'complete' ? 'no result' : out.reason}`, spec.consoleLog);
}
