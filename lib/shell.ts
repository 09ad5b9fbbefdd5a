import { spawn, type SpawnOptions } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { $ } from 'zx';
import { BenchError } from './errors.ts';
import { diesWithUs } from './proc.ts';

export interface ShellOptions {
  /** stdout and stderr of every command go here, appended, each after its command line. */
  log: string;
  cwd?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Stops the running command (SIGTERM) when aborted. */
  signal?: AbortSignal;
}

export type ShellStep = (pieces: TemplateStringsArray, ...values: unknown[]) => Promise<void>;

/**
 * zx hands its spawn the whole command line, with bash as the shell option;
 * we start bash under setpriv, so that it dies with us, and put the command
 * line in the log before its output.
 */
function spawnLogged(fd: number): typeof spawn {
  const start = (cmd: string, _args: readonly string[], { shell: bash, ...rest }: SpawnOptions) => {
    writeSync(fd, `$ ${cmd.replace(/^set -euo pipefail;/, '')}\n`);
    return spawn(...diesWithUs(String(bash), ['-c', cmd], 'TERM'), rest);
  };
  return start as unknown as typeof spawn;
}

/**
 * The short steps of a stage (unpack, patch, configure, copy, compile a
 * tool) as zx commands, named for the error line:
 *
 *     const sh = shell({ log, signal });
 *     await sh(`unpacking ${tarball}`)`tar -xf ${tarball} -C ${dir}`;
 *
 * zx quotes every interpolated value, and an array as one argument per
 * element. A command that fails throws a BenchError naming the step and the
 * log. Each step should be one command: bash then execs it in place of
 * itself, so the abort signal and the parent-death signal (diesWithUs) reach
 * the command and not only a shell in front of it. Long, streamed processes
 * with progress or timeouts (the kernel's compile, QEMU) use execa instead.
 */
export function shell(opts: ShellOptions): (what: string) => ShellStep {
  return (what) => async (pieces, ...values) => {
    mkdirSync(dirname(opts.log), { recursive: true });
    const fd = openSync(opts.log, 'a');
    try {
      const run = $({
        cwd: opts.cwd,
        env: { ...process.env, ...opts.env },
        signal: opts.signal,
        quiet: true,
        stdio: ['ignore', fd, fd],
        spawn: spawnLogged(fd),
      });
      const out = await run(pieces, ...values).nothrow();
      if (out.exitCode !== 0) {
        const how = opts.signal?.aborted ? 'stopped' : out.exitCode !== null ? `exit ${out.exitCode}` : (out.signal ?? 'could not start');
        throw new BenchError(`${what} failed (${how})`, opts.log);
      }
    } finally {
      closeSync(fd);
    }
  };
}
