import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

const POLL_MS = 500;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs fn while holding a lock file, so that two runs on one machine do not
 * build into the same cache directory at once. The lock holds the owner's
 * pid; a lock whose owner has died is taken over.
 */
export async function withLock<T>(path: string, what: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  let told = false;
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(await readFile(path, 'utf8').catch(() => ''));
      // Another holder in this same process waits too: the lock guards directories, not processes.
      if (owner && alive(owner)) {
        if (!told) process.stderr.write(`${what}: waiting for process ${owner}, which holds ${path}\n`);
        told = true;
        await new Promise((r) => setTimeout(r, POLL_MS));
      } else {
        await rm(path, { force: true });
      }
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
