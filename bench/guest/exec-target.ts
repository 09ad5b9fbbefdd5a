/**
 * What the workload execs: the talk's static nop (argc 1, a bare
 * environment), or a realistic target. A real exec is a dynamically linked
 * program run from a shell: the kernel maps its interpreter too, ld.so maps
 * libc and relocates it with some thirty system calls of its own, and the
 * new mm is built from an argument list and an environment of a few KiB. With
 * an audit syscall rule loaded, each of those system calls pays audit's entry
 * and exit work; a BPF LSM program on the exec hook pays once.
 */
import type { WorkloadOptions } from '../matrix.ts';

export type ExecTarget = 'nop' | 'dynamic';
export const EXEC_TARGETS: readonly ExecTarget[] = ['nop', 'dynamic'];

/** The guest paths of the targets and what the dynamic one needs beside it (workloads/Makefile). */
export const TARGET_PATH: Record<ExecTarget, string> = {
  nop: '/bin/nop',
  dynamic: '/bin/krsi-true',
};

/**
 * A dynamic program that keeps libc and ld.so mapped beside the dynamic
 * target, as the shell running a command does (workloads/krsi_hold.c).
 */
export const LIBC_HOLDER = '/bin/krsi-hold';

/**
 * The library LD_PRELOAD names by default (DEFAULT_WORKLOAD): a real, empty
 * shared object, so that a dynamic target loads it as a preload is loaded. A
 * missing one would make ld.so print an error on every exec.
 */
export const PRELOAD_LIBRARY = '/lib/libkrsi-demo.so';

/**
 * The dynamic target's arguments after argv[0]: a command of the size a
 * shell script runs (an option with a value, flags, two file operands),
 * 6 arguments and 93 bytes with their NULs. Each is printable ASCII without
 * spaces or quotes, so that audit's EXECVE record shows it as it is (audit
 * hex-encodes an argument with a space, a quote or a control character).
 */
export const DYNAMIC_ARGS = ['--config', '/etc/krsi-bench/app.conf', '--quiet', '--retries=3', '/srv/data/input-0001.csv', '/srv/data/out'];

/**
 * The environment of an interactive bash that a user reached over SSH on a
 * Debian 12 server: what sshd, PAM (pam_env, pam_systemd, pam_mail) and
 * bash's startup files set, in the order `env` lists them there. LS_COLORS,
 * which bash's default .bashrc sets from dircolors, is the largest; its value
 * here has the length of Debian 12's default (`dircolors -b` of coreutils 9.1: 1753 bytes),
 * built from entries of the same form. 22 variables, 2249 bytes with their NULs.
 */
export const SHELL_ENV: readonly string[] = [
  'SHELL=/bin/bash',
  'PWD=/home/krsi',
  'LOGNAME=krsi',
  'XDG_SESSION_TYPE=tty',
  'MOTD_SHOWN=pam',
  'HOME=/home/krsi',
  'LANG=C.UTF-8',
  `LS_COLORS=${lsColors(1753)}`,
  'SSH_CONNECTION=192.0.2.10 50522 192.0.2.20 22',
  'XDG_SESSION_CLASS=user',
  'TERM=xterm-256color',
  'USER=krsi',
  'SHLVL=1',
  'XDG_SESSION_ID=3',
  'XDG_RUNTIME_DIR=/run/user/1000',
  'SSH_CLIENT=192.0.2.10 50522 22',
  'PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games',
  'DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus',
  'MAIL=/var/mail/krsi',
  'SSH_TTY=/dev/pts/0',
  'OLDPWD=/home/krsi',
  `_=${TARGET_PATH.dynamic}`,
];

/** A dircolors-style value of exactly `length` bytes: `*.xNNN=01;31:` entries, the last one cut to fit. */
function lsColors(length: number): string {
  let v = 'rs=0:di=01;34:ln=01;36:';
  for (let i = 0; v.length < length; i++) v += `*.x${String(i).padStart(3, '0')}=01;3${i % 8}:`;
  return v.slice(0, length);
}

/** The target a workload execs; absent in older runs: nop. */
export const targetOf = (w: Pick<WorkloadOptions, 'target'>): ExecTarget => w.target ?? 'nop';
export const targetPath = (w: Pick<WorkloadOptions, 'target'>): string => TARGET_PATH[targetOf(w)];

/** argv as the target gets it: its path, then its arguments. */
export function targetArgv(w: Pick<WorkloadOptions, 'target'>): string[] {
  return targetOf(w) === 'dynamic' ? [TARGET_PATH.dynamic, ...DYNAMIC_ARGS] : [TARGET_PATH.nop];
}

/** Where the shell environment is in the guest, one variable a line (execbench --env-file). */
export const SHELL_ENV_FILE = '/etc/krsi-bench/shell.env';
