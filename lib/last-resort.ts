/**
 * Imported first by every entry point (scripts/): an error that escapes every
 * handler (a rejected promise nobody awaited, a throw in a callback) ends the
 * command with the same one line as any other internal error, exit 70, and no
 * Node stack trace; KRSI_BENCH_DEBUG=1 prints the stack too.
 */
import { errorLine } from './errors.ts';

function lastResort(err: unknown): void {
  const { line, exitCode } = errorLine(err);
  process.stderr.write(`${line}\n`);
  process.exit(exitCode);
}

process.on('unhandledRejection', lastResort);
process.on('uncaughtException', lastResort);
