/**
 * The one error type library code throws for a failure the user can act on.
 * Entry points print `error: <message> (see <log>)` once and exit with `exitCode`;
 * anything else that reaches them is a bug and is reported as such.
 */
export class BenchError extends Error {
  constructor(
    message: string,
    readonly log?: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = 'BenchError';
  }
}

/** Bad input from the user (option, matrix, data file): exit status 2. */
export function usageError(message: string, log?: string): BenchError {
  return new BenchError(message, log, 2);
}

/** System errors that the machine, not the code, is at fault for: a full disk, a read-only or forbidden path. */
const ENVIRONMENT = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'EMFILE', 'ENFILE']);

/** Such an error as a BenchError (exit 1) naming the path; anything else unchanged. */
export function environmentError(err: unknown): unknown {
  const e = err as NodeJS.ErrnoException;
  if (!(err instanceof Error) || typeof e.code !== 'string' || !ENVIRONMENT.has(e.code)) return err;
  const what = e.code === 'ENOSPC' || e.code === 'EDQUOT' ? 'no space left on device' : e.message.replace(/^[A-Z]+: /, '').split(',')[0]!;
  return new BenchError(`${what}${e.syscall ? ` (${e.syscall}${e.path ? ` ${e.path}` : ''})` : ''}`);
}

export function errorLine(err: unknown): { line: string; exitCode: number } {
  err = environmentError(err);
  if (err instanceof BenchError) {
    const where = err.log ? ` (see ${err.log})` : '';
    return { line: `error: ${err.message}${where}`, exitCode: err.exitCode };
  }
  const msg = err instanceof Error ? err.message : String(err);
  // A bug: its stack is what diagnoses it. Runs also keep it in their error.txt.
  if (process.env.KRSI_BENCH_DEBUG === '1' && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  const hint = process.env.KRSI_BENCH_DEBUG === '1' ? '' : ' (KRSI_BENCH_DEBUG=1 prints its stack)';
  return { line: `error: internal: ${msg.split('\n')[0]}${hint}`, exitCode: 70 };
}
