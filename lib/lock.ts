/**
 * Exclusive locks on cache directories, with flock(2) through util-linux's
 * flock(1): a child process takes the lock and holds it while its stdin is
 * open. The kernel drops the lock when that process ends, and it ends when
 * ours does, however ours ends (its stdin closes with us, even on SIGKILL),
 * so a lock is never left stale and there is no pid to check or take over.
 */

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { execa } from 'execa';
import { processAlive } from './proc.ts';

/**
 * How long a free lock may take to report itself taken; after that we say what
 * we wait for. Starting flock takes more than 300 ms when a run starts many
 * processes at once, which printed a wait for a lock nobody held.
 */
const QUIET_WAIT_MS = 1500;

export async function withLock<T>(path: string, what: string, fn: () => Promise<T>): Promise<T> {
  const lock = await takeLock(path, what);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/** A lock held until release() (once; later calls wait for the same release). */
export interface HeldLock {
  release(): Promise<void>;
}

/**
 * Takes the lock at `path`, waiting while another process holds it. For a
 * lock whose holder must give it up before its caller is done (withLock
 * otherwise).
 */
export async function takeLock(path: string, what: string): Promise<HeldLock> {
  await mkdir(dirname(path), { recursive: true });
  // "locked" is printed once the lock is held; cat then keeps the holder alive until stdin closes.
  const holder = execa('flock', ['--exclusive', path, '--command', 'echo locked; exec cat > /dev/null'], {
    stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', reject: false, buffer: false,
  });
  let held = false;
  await new Promise<void>((resolve, reject) => {
    const told = setTimeout(() => {
      void readFile(path, 'utf8').catch(() => '').then((owner) => {
        const pid = Number(owner.trim());
        // The file keeps the last holder's pid; a live one is named, a gone one is not. Our own pid is
        // this run's other work on the same cache entry (a kernel's links, say), whose progress is shown.
        if (pid === process.pid) return;
        const who = Number.isInteger(pid) && pid > 0 && processAlive(pid) ? `process ${pid}` : 'another run';
        if (!held) process.stderr.write(`${what}: waiting for ${who}, which holds ${path}\n`);
      });
    }, QUIET_WAIT_MS);
    holder.stdout!.once('data', () => {
      held = true;
      clearTimeout(told);
      resolve();
    });
    void holder.then((r) => {
      clearTimeout(told);
      if (!held) reject(new Error(`flock ${path} exited (${r.exitCode ?? r.signal}) before taking the lock: ${String(r.stderr ?? '').trim()}`));
    });
  });
  let released: Promise<void> | null = null;
  const release = () => (released ??= (async () => {
    holder.stdin!.end();
    await holder;
  })());
  try {
    // For the message above only: the lock is the flock, not this content.
    await writeFile(path, `${process.pid}\n`);
  } catch (err) {
    await release();
    throw err;
  }
  return { release };
}

/** Whether some process holds the lock at `path` now (flock -n fails to take it). */
export async function isLocked(path: string): Promise<boolean> {
  const r = await execa('flock', ['--nonblock', path, 'true'], { reject: false });
  return r.exitCode !== 0;
}
