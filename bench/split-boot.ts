/**
 * Split boots: the scenarios of one kernel link and seed boot the same
 * instructions until /init has made its mounts, disk and cgroups, so that part
 * is booted once and each scenario's guest is that machine restored, given
 * its scenario. Under icount this is exact: the shared boot stops at
 * split-boot's split point (workloads/split_boot.c) at the same instruction
 * count every time, the machine is saved there, and each restore continues
 * from that state with the scenario written into guest memory while the vCPU
 * is stopped, so no I/O whose timing the host decides reaches the guest.
 * Two restores of one scenario give the same samples bit for bit, with one
 * vCPU; with two they may differ (docs/methodology.md, "Two vCPUs under icount").
 */
import { existsSync } from 'node:fs';
import { mkdtemp, open, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { BenchError } from '../lib/errors.ts';
import { capture } from '../lib/run.ts';
import { parseGuestOutput, type GuestResult } from './guest/protocol.ts';
import { Gdb, Qmp, stopThread } from './qemu-control.ts';
import { bootGuest, controlSockets, guestFailure, readText, startQemu, type BootLimits, type BootSpec, type QemuProcess } from './qemu.ts';

/**
 * Whether a run's guests boot split: under icount, where the shared part is
 * the same instructions for every scenario. Not under KVM, whose guests are
 * not deterministic, and not when profiling, whose plugin counts from QEMU's
 * start. KRSI_BENCH_SPLIT_BOOT=off boots every guest whole, to measure what
 * splitting does (docs/methodology.md, "Split boots").
 */
export const splitBootsFor = (opts: { mode: string; profile?: boolean }): boolean =>
  opts.mode === 'icount' && !opts.profile && process.env.KRSI_BENCH_SPLIT_BOOT !== 'off';

/** A saved shared boot: the machine, and the vCPU that stopped at the split point (split-boot runs on it). */
export interface SavedBoot {
  machine: string;
  thread: string;
}

/** Where split-boot stops, and where the host writes the scenario and its length. */
export interface SplitPoint {
  point: bigint;
  scenario: bigint;
  capacity: number;
  length: bigint;
}

/** split-boot's symbols from `nm -S` output. */
export function parseSplitSymbols(nm: string, binary: string): SplitPoint {
  const sym = new Map<string, { address: bigint; size: number }>();
  for (const line of nm.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length === 4) sym.set(f[3]!, { address: BigInt(`0x${f[0]}`), size: Number.parseInt(f[1]!, 16) });
  }
  const need = (name: string) => {
    const s = sym.get(name);
    if (!s) throw new BenchError(`${binary} has no symbol ${name} (workloads/split_boot.c)`);
    return s;
  };
  const scenario = need('scenario');
  return { point: need('split_boot_point').address, scenario: scenario.address, capacity: scenario.size, length: need('scenario_length').address };
}

export async function splitPointOf(binary: string): Promise<SplitPoint> {
  return parseSplitSymbols(await capture('nm', ['-S', binary], `nm ${binary}`), binary);
}

/**
 * QEMU saves the machine's run state with it, and a machine stopped by the
 * gdbstub is in state "debug", which QEMU 7.2 refuses to load ("invalid
 * runstate transition: 'inmigrate' -> 'debug'"). The state is a 100-byte
 * field of the "globalstate" section; it is rewritten to "paused", the state
 * of a machine stopped by QMP's stop. Returns false where the section is not
 * as expected.
 */
export function markPaused(stream: Buffer): boolean {
  const at = runStateOffset(stream);
  if (at === null) return false;
  PAUSED.copy(stream, at);
  return true;
}

const GLOBAL_STATE = Buffer.from('\x0bglobalstate', 'latin1');
// The state's length with its NUL (4 bytes), then the state.
const DEBUG = Buffer.from('\x00\x00\x00\x06debug\x00', 'latin1');
const PAUSED = Buffer.from('\x00\x00\x00\x07paused\x00', 'latin1');

/** Where the "debug" run state is in a stream, or null. */
function runStateOffset(stream: Buffer): number | null {
  const at = stream.indexOf(GLOBAL_STATE);
  if (at < 0 || stream.indexOf(GLOBAL_STATE, at + 1) >= 0) return null;
  // After the section's name: its instance id and version id, 4 bytes each.
  const field = at + GLOBAL_STATE.length + 8;
  return stream.subarray(field, field + DEBUG.length).equals(DEBUG) ? field : null;
}

/** Waits for QEMU's control sockets, then connects to both; fails if QEMU exits first. */
async function connectControl(dir: string, child: QemuProcess): Promise<{ qmp: Qmp; gdb: Gdb }> {
  const { qmp, gdb } = controlSockets(dir);
  let exited = false;
  void child.then(() => { exited = true; });
  for (let i = 0; !(existsSync(qmp) && existsSync(gdb)); i++) {
    if (exited) throw new Error('QEMU exited before it opened its control sockets');
    if (i > 1000) throw new Error('QEMU did not open its control sockets within 10 s');
    await sleep(10);
  }
  const q = await Qmp.connect(qmp);
  return { qmp: q, gdb: await Gdb.connect(gdb) };
}

/**
 * Boots the shared part of a split boot (its /init is
 * bench/guest/init-script.ts splitPrefixScript) and saves the machine at the
 * split point into `snapshot`. Throws a BenchError naming the log to read.
 */
export async function saveSharedBoot(spec: BootSpec, limits: BootLimits, split: SplitPoint, snapshot: string): Promise<SavedBoot> {
  const dir = await mkdtemp(join(tmpdir(), 'krsi-split-'));
  const s: BootSpec = { ...spec, control: { dir } };
  const child = startQemu(s, limits);
  let control: { qmp: Qmp; gdb: Gdb } | null = null;
  try {
    control = await connectControl(dir, child);
    const { qmp, gdb } = control;
    await gdb.setBreakpoint(split.point);
    let timer: NodeJS.Timeout | undefined;
    let reply = '';
    const outcome = await Promise.race([
      // A stop reply is T or S; QEMU sends W or X when the guest has powered off.
      gdb.continue().then((r) => { reply = r; return /^[ST]/.test(r) ? 'stopped' as const : 'exited' as const; }, () => 'exited' as const),
      child.then(() => 'exited' as const),
      new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), limits.bootTimeoutMs); }),
    ]);
    clearTimeout(timer);
    if (outcome !== 'stopped') {
      child.kill('SIGKILL');
      const exit = await child;
      if (limits.signal?.aborted) throw new BenchError('guest stopped because another guest failed', s.consoleLog);
      const timedOut = outcome === 'timeout' ? `did not reach the split point within ${Math.round(limits.bootTimeoutMs / 1000)}s` : null;
      return await guestFailure(s, parseGuestOutput(await readText(s.resultFile)), timedOut, exit.exitCode);
    }
    // With more than one vCPU, the one that stopped is where split-boot runs; a restore writes through it.
    const thread = stopThread(reply);
    if (thread === null) throw new BenchError(`the stop at the split point named no vCPU (${reply})`, s.qemuLog);
    const at = await gdb.instructionPointer();
    if (at !== split.point) throw new BenchError(`stopped at 0x${at.toString(16)}, not at the split point 0x${split.point.toString(16)}`, s.qemuLog);
    // The shell renames the file once cat has written all of it, which can be after QEMU is done.
    const part = `${snapshot}.part`;
    const written = `${snapshot}.written`;
    await qmp.run('migrate-set-parameters', { 'max-bandwidth': 1e12 });
    await qmp.run('migrate', { uri: `exec:cat > '${part}' && mv '${part}' '${written}'` });
    for (;;) {
      const st = (await qmp.run('query-migrate')) as { status?: string; 'error-desc'?: string };
      if (st.status === 'completed') break;
      if (st.status === 'failed' || st.status === 'cancelled') throw new BenchError(`saving the machine failed: ${st['error-desc'] ?? st.status}`, s.qemuLog);
      await sleep(10);
    }
    await qmp.run('quit').catch(() => undefined); // QEMU may close the socket before it answers
    await child;
    for (let i = 0; !existsSync(written); i++) {
      if (i > 3000) throw new BenchError(`the saved machine was not written out within 30 s (${part})`, s.qemuLog);
      await sleep(10);
    }
    await resumable(written, s.qemuLog);
    await rename(written, snapshot);
    return { machine: snapshot, thread };
  } catch (err) {
    if (err instanceof BenchError) throw err;
    throw new BenchError((err as Error).message, s.qemuLog);
  } finally {
    control?.qmp.close();
    control?.gdb.close();
    child.kill('SIGKILL');
    await child;
    await rm(dir, { recursive: true, force: true });
    await rm(`${snapshot}.part`, { force: true });
    await rm(`${snapshot}.written`, { force: true });
  }
}

/** Marks a saved machine paused (markPaused), in place. */
async function resumable(path: string, log: string): Promise<void> {
  const f = await open(path, 'r+');
  try {
    // The section comes after guest memory, near the end.
    const { size } = await f.stat();
    const tail = Buffer.alloc(Math.min(size, 1 << 20));
    await f.read(tail, 0, tail.length, size - tail.length);
    const at = runStateOffset(tail);
    if (at === null) throw new BenchError(`the saved machine ${path} has no run state where QEMU 7.2 puts it`, log);
    await f.write(PAUSED, 0, PAUSED.length, size - tail.length + at);
  } finally {
    await f.close();
  }
}

/**
 * A scenario's guest: the machine saved by saveSharedBoot, restored, with
 * `scenario` (a cpio archive: its files and its part of /init) written where
 * split-boot reads it, then resumed; followed to its result as bootGuest does.
 * `whileRunning`, where given, is called with the QMP connection once the
 * machine runs, and the connection is kept until it returns: the tests use
 * it to pause the machine at moments the host picks.
 */
export async function restoreGuest(
  spec: BootSpec, limits: BootLimits, split: SplitPoint, saved: SavedBoot, scenario: Buffer,
  whileRunning?: (qmp: Qmp, qemu: QemuProcess) => Promise<void>,
): Promise<GuestResult> {
  if (scenario.length > split.capacity) {
    throw new BenchError(`the scenario's archive is ${scenario.length} bytes; split-boot holds ${split.capacity} (SCENARIO_CAPACITY in workloads/split_boot.c)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'krsi-split-'));
  const s: BootSpec = { ...spec, control: { dir, incoming: saved.machine } };
  try {
    return await bootGuest(s, limits, async (child) => {
      const { qmp, gdb } = await connectControl(dir, child);
      try {
        for (let i = 0; ; i++) {
          const { status } = (await qmp.run('query-status')) as { status: string };
          if (status === 'paused') break;
          if (status !== 'inmigrate') throw new Error(`the restored machine is ${status}, not paused`);
          if (i * 10 > limits.bootTimeoutMs) throw new Error('the saved machine did not load');
          await sleep(10);
        }
        // The gdbstub starts on the first vCPU; split-boot's memory is mapped on the one it stopped on.
        await gdb.selectThread(saved.thread);
        await gdb.writeMemory(split.scenario, scenario);
        const length = Buffer.alloc(8);
        length.writeBigUInt64LE(BigInt(scenario.length));
        await gdb.writeMemory(split.length, length);
        await qmp.run('cont');
        // Both connections stay open until QEMU exits: closing them wakes QEMU's main loop while the
        // guest runs, at a moment the host picks (docs/methodology.md, "Two vCPUs under icount").
        await (whileRunning ? whileRunning(qmp, child) : child);
      } finally {
        qmp.close();
        gdb.close();
      }
    }).catch((err: unknown) => {
      if (err instanceof BenchError) throw err;
      throw new BenchError(`restoring the shared boot: ${(err as Error).message}`, s.qemuLog);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
