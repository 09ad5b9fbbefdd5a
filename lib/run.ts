import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { execa } from 'execa';
import { BenchError } from './errors.ts';
import { diesWithUs } from './proc.ts';

export interface RunLoggedOptions {
  /** What this is, for the error line: "kernel build (audit)". */
  what: string;
  /** stdout and stderr both go here, appended. */
  log: string;
  cwd?: string;
  env?: Record<string, string>;
  /** Called with each output line, for progress. */
  onLine?: (line: string) => void;
  /** Stops the command (SIGTERM) when aborted. */
  signal?: AbortSignal;
}

/** Runs a command to completion with its output in a log file; throws BenchError naming the log on failure. */
export async function runLogged(file: string, args: readonly string[], opts: RunLoggedOptions): Promise<void> {
  await mkdir(dirname(opts.log), { recursive: true });
  const log = createWriteStream(opts.log, { flags: 'a' });
  log.write(`$ ${[file, ...args].join(' ')}\n`);
  const child = execa(...diesWithUs(file, args, 'TERM'), {
    cwd: opts.cwd,
    env: opts.env,
    all: true,
    buffer: false,
    reject: false,
    stdin: 'ignore',
    ...(opts.signal && { cancelSignal: opts.signal }),
  });
  let pending = '';
  child.all?.on('data', (chunk: Buffer) => {
    log.write(chunk);
    if (!opts.onLine) return;
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) opts.onLine(l);
  });
  const result = await child;
  await new Promise<void>((resolve) => log.end(resolve));
  if (result.failed) {
    const how = result.isCanceled ? 'stopped' : result.exitCode !== undefined ? `exit ${result.exitCode}` : (result.signal ?? 'could not start');
    throw new BenchError(`${opts.what} failed (${how})`, opts.log);
  }
}

/** Runs a short command and returns its stdout; throws BenchError with its stderr's first line. */
export async function capture(file: string, args: readonly string[], what: string, env?: Record<string, string>): Promise<string> {
  const r = await execa(file, args, { reject: false, env, stdin: 'ignore' });
  if (r.failed) {
    const why = (String(r.stderr || r.stdout || r.shortMessage).split('\n').find((l) => l.trim()) ?? '').trim();
    throw new BenchError(`${what} failed: ${why}`);
  }
  return String(r.stdout);
}
