/** Process helpers shared by every stage. */

/** Whether a process with this pid exists (EPERM: it does, and is someone else's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A command line that dies with us: util-linux's setpriv sets
 * PR_SET_PDEATHSIG, so the kernel sends `signal` to the command when the
 * thread that started it ends, however it ends (SIGKILL included). Node
 * spawns from its main thread, so that is when node ends. QEMU gets KILL;
 * make gets TERM, on which GNU make stops its own children and deletes the
 * targets they were writing.
 */
export function diesWithUs(file: string, args: readonly string[], signal: 'KILL' | 'TERM'): [string, string[]] {
  return ['setpriv', ['--pdeathsig', signal, '--', file, ...args]];
}
