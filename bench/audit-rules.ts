/**
 * Audit rule lines as a matrix gives them and as Debian's rule files are
 * written: rules (-a, -A, -w, -W) and the control lines of audit.rules
 * (-D, -b 8192, --backlog_wait_time 60000, -f 1, -e 1, ...). What the
 * guest must have for them to load, and which system calls they name.
 */
import { dirname } from 'node:path';

/** The control lines auditctl -R accepts in a rules file that do not add a rule. */
const CONTROL = /^(-D|-i|-c|--loginuid-immutable|--reset-lost|-e [012]|-[bfr] \d+|--backlog_wait_time \d+)$/;

export const isAuditControl = (line: string): boolean => CONTROL.test(line.trim());

/** A rule line: -a/-A (syscall rule) or -w/-W (watch), then arguments. */
export const isAuditRule = (line: string): boolean => /^-[aAwW] \S/.test(line.trim());

/** The rules among the lines, without control lines. */
export const rulesOnly = (lines: string[]): string[] => lines.filter((l) => !isAuditControl(l));

const words = (line: string) => line.trim().split(/\s+/);

/** The values of every `flag VALUE` pair in a line's words. */
function values(w: string[], flag: string): string[] {
  return w.flatMap((x, i) => (x === flag && w[i + 1] !== undefined ? [w[i + 1]!] : []));
}

/** The fields of `-F name=value` (or name!=, >=, ...), as [name, value]. */
function fields(w: string[]): [string, string][] {
  return values(w, '-F').map((f) => {
    const m = /^([a-z_0-9]+)(?:=|!=|>=|<=|>|<|&=|&)(.*)$/.exec(f);
    return m ? [m[1]!, m[2]!] : [f, ''];
  });
}

/**
 * The directories that must exist for the kernel to take a rule: a watch's,
 * a path field's and an exe field's parent (the kernel resolves it when the rule is added,
 * and refuses it with ENOENT when it is missing), a dir field's directory
 * itself, and a watch that ends in / (a directory).
 */
export function directoriesNeeded(line: string): string[] {
  const w = words(line);
  const out: string[] = [];
  const parentOf = (p: string) => (p.endsWith('/') ? p.replace(/\/+$/, '') || '/' : dirname(p));
  if (w[0] === '-w' || w[0] === '-W') if (w[1]?.startsWith('/')) out.push(parentOf(w[1]));
  for (const [name, value] of fields(w)) {
    if (!value.startsWith('/')) continue;
    if (name === 'path' || name === 'exe') out.push(parentOf(value));
    if (name === 'dir') out.push(value.replace(/\/+$/, '') || '/');
  }
  return out.filter((d) => d !== '/');
}

/** A system call a rule names, for the architecture it filters on (b64 when it names none, as auditctl does here). */
export interface RuleSyscall {
  name: string;
  arch: 'b32' | 'b64';
}

export function syscallsNamed(line: string): RuleSyscall[] {
  const w = words(line);
  if (w[0] !== '-a' && w[0] !== '-A') return [];
  const archField = fields(w).find(([n]) => n === 'arch')?.[1];
  const arch = archField === 'b32' || archField === 'i386' ? 'b32' : 'b64';
  return values(w, '-S')
    .flatMap((s) => s.split(','))
    .filter((s) => s !== '' && s !== 'all' && !/^\d+$/.test(s))
    .map((name) => ({ name, arch }));
}

/**
 * The first rule that names a system call the kernel lacks, as one line
 * naming where the rule came from, or null. `has` holds "b64:open"-style
 * names of what the kernel implements; `entry`, the symbol each one needs.
 */
export function missingSyscall(rules: string[], origins: string[] | undefined, has: Set<string>, entry: Map<string, string>): string | null {
  for (const [k, rule] of rules.entries()) {
    for (const s of syscallsNamed(rule)) {
      const key = `${s.arch}:${s.name}`;
      if (has.has(key)) continue;
      const where = origins?.[k] ? origins[k] : `rule ${k + 1}`;
      const why = entry.has(key) ? `built without it (${entry.get(key)} is the ENOSYS stub)` : 'none of that name in its syscall table';
      return `${where}: syscall ${s.name} (arch ${s.arch}) is not in this kernel: ${why}`;
    }
  }
  return null;
}

/**
 * Whether audit with these rules writes one EXECVE record per exec of the
 * target (nop by default): an `always,exit` rule on execve, execveat or all
 * syscalls filtered at most by arch and key, or an exec watch on the target
 * or a folder above it; and no `never` rule, which could suppress either.
 * Control lines (-D, -b 8192, ...) are neither.
 */
export function logsEveryExec(rules: string[], target: string): boolean {
  const ws = rulesOnly(rules).map(words);
  if (ws.some((w) => w[0] === '-a' && /(^|,)never(,|$)/.test(w[1] ?? ''))) return false;
  return ws.some((w) => {
    const vals = (flag: string) => values(w, flag);
    if (w[0] === '-w') {
      const path = w[1] ?? '';
      const watched = path === target || target.startsWith(`${path.replace(/\/$/, '')}/`);
      return watched && vals('-p').some((p) => p.includes('x'));
    }
    if (w[0] !== '-a' || !/^(always,exit|exit,always)$/.test(w[1] ?? '')) return false;
    const syscalls = vals('-S').flatMap((s) => s.split(','));
    // path= naming the target itself still matches every exec of it.
    const harmless = (f: string) => ['arch', 'key'].includes(f.split(/[=!<>&]/)[0]!) || f === `path=${target}`;
    return syscalls.some((s) => ['execve', 'execveat', 'all'].includes(s)) && vals('-F').every(harmless) && !w.includes('-C');
  });
}
