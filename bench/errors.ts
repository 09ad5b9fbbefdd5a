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

export function errorLine(err: unknown): { line: string; exitCode: number } {
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
