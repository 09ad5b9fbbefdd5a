/**
 * audit's records of an exec against the BPF exec logger's (bpf/krsi_exec_record.c),
 * field by field, for the execs of a boot that ran both. Audit writes, per
 * exec, SYSCALL, EXECVE, CWD, PATH (one per item) and PROCTITLE records that
 * share a serial (msg=audit(time:serial)); the logger writes one JSON line.
 * The fields compared are audit's, under the logger's names.
 */

/** One exec as audit logged it: field -> value, strings decoded. */
export type AuditExec = Record<string, string>;

/** auditd's ENRICHED format appends the interpreted fields after this separator: only the raw ones are compared. */
const ENRICHED = '\x1d';

/** Fields audit writes as strings: quoted, or hex when they hold a space, a quote or a control byte (EXECVE's aN in decodeArg). */
const STRING_FIELDS = /^(comm|exe|name|cwd|proctitle|key)$/;

/** key=value pairs of one record, after `type=T msg=audit(...):`. */
function fields(text: string): [string, string][] {
  const out: [string, string][] = [];
  const re = /([A-Za-z0-9_[\]]+)=("[^"]*"|\S*)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push([m[1]!, m[2]!]);
  return out;
}

function decode(key: string, raw: string): string {
  if (raw.startsWith('"')) return raw.slice(1, -1);
  if (STRING_FIELDS.test(key)) return hexOr(raw);
  return raw;
}

function hexOr(raw: string): string {
  return /^([0-9A-F]{2})+$/.test(raw) ? Buffer.from(raw, 'hex').toString('latin1') : raw;
}

/** An EXECVE argument, aN or a part aN[i] of a long one: quoted, or hex. */
const decodeArg = (raw: string) => (raw.startsWith('"') ? raw.slice(1, -1) : hexOr(raw));

/**
 * The execs in audit's log lines, by serial, in the order of their SYSCALL
 * records: SYSCALL's fields as they are, EXECVE's argc and argv (a long
 * argument, split as aN_len= and aN[i]=, joined; a long argument list, split
 * over several EXECVE records, gathered), CWD's cwd, PATH item 0's fields as
 * path.*, and proctitle.
 */
export function parseAuditExecs(lines: string[]): AuditExec[] {
  const bySerial = new Map<string, AuditExec>();
  const argsOf = new Map<string, Map<number, string>>();
  const order: string[] = [];
  for (const line of lines) {
    const head = /^type=(\w+) msg=audit\(([0-9.]+:\d+)\): (.*)$/.exec(line.split(ENRICHED)[0]!);
    if (!head) continue;
    const [, type, serial, rest] = head as unknown as [string, string, string, string];
    let exec = bySerial.get(serial);
    if (!exec) bySerial.set(serial, (exec = {}));
    const f = fields(rest);
    if (type === 'SYSCALL') {
      order.push(serial);
      for (const [k, v] of f) exec[k] = decode(k, v);
    } else if (type === 'EXECVE') {
      const args = argsOf.get(serial) ?? new Map<number, string>();
      argsOf.set(serial, args);
      for (const [k, v] of f) {
        if (k === 'argc') exec.argc = v;
        const whole = /^a(\d+)$/.exec(k);
        const part = /^a(\d+)\[\d+\]$/.exec(k);
        if (whole) args.set(Number(whole[1]), decodeArg(v));
        else if (part) args.set(Number(part[1]), (args.get(Number(part[1])) ?? '') + decodeArg(v));
      }
      exec.argv = JSON.stringify([...args.keys()].sort((a, b) => a - b).map((i) => args.get(i)!));
    } else if (type === 'CWD') {
      for (const [k, v] of f) if (k === 'cwd') exec.cwd = decode(k, v);
    } else if (type === 'PATH') {
      if (f.find(([k]) => k === 'item')?.[1] !== '0') continue;
      for (const [k, v] of f) exec[`path.${k}`] = decode(k, v);
    } else if (type === 'PROCTITLE') {
      for (const [k, v] of f) if (k === 'proctitle') exec.proctitle = decode(k, v);
    }
  }
  return order.map((s) => bySerial.get(s)!);
}

/** audit's field -> the logger's JSON key, for the fields both record. */
const SAME_FIELDS: [string, string][] = [
  ['arch', 'arch'], ['syscall', 'syscall'], ['success', 'success'], ['exit', 'exit'],
  ['ppid', 'ppid'], ['pid', 'pid'], ['auid', 'auid'], ['ses', 'ses'],
  ['uid', 'uid'], ['gid', 'gid'], ['euid', 'euid'], ['suid', 'suid'], ['fsuid', 'fsuid'], ['egid', 'egid'], ['sgid', 'sgid'], ['fsgid', 'fsgid'],
  ['tty', 'tty'], ['comm', 'comm'], ['exe', 'exe'],
  ['argc', 'argc'], ['argv', 'argv'], ['cwd', 'cwd'],
  ['path.name', 'filename'], ['path.inode', 'inode'], ['path.dev', 'dev'], ['path.mode', 'mode'], ['path.ouid', 'ouid'], ['path.ogid', 'ogid'], ['path.rdev', 'rdev'],
];

/** audit keeps the first 128 bytes of the command line (MAX_PROCTITLE_AUDIT_LEN). */
const PROCTITLE_BYTES = 128;

export interface RecordComparison {
  /** Execs found in both loggers' records. */
  compared: number;
  /** Those whose every field agreed. */
  identical: number;
  /** Fields compared per exec. */
  fields: number;
  /** One line per exec or field that is off: "pid 45: cwd audit "/" bpf "/tmp"", or an exec only one logged. */
  problems: string[];
}

function asText(v: unknown): string {
  return Array.isArray(v) ? JSON.stringify(v) : String(v);
}

/** Compares the execs of audit's lines with the logger's JSON lines, matched by pid, in order (a pid may exec twice). */
export function compareExecRecords(auditLines: string[], bpfLines: string[]): RecordComparison {
  const audit = new Map<string, AuditExec[]>();
  for (const e of parseAuditExecs(auditLines)) audit.set(e.pid!, [...(audit.get(e.pid!) ?? []), e]);
  const problems: string[] = [];
  let compared = 0;
  let identical = 0;
  for (const line of bpfLines) {
    let bpf: Record<string, unknown>;
    try {
      bpf = JSON.parse(line) as Record<string, unknown>;
    } catch {
      problems.push(`a line of the BPF logger is not JSON: ${line.slice(0, 80)}`);
      continue;
    }
    const pid = String(bpf.pid);
    const a = audit.get(pid)?.shift();
    if (!a) {
      problems.push(`pid ${pid}: logged by the BPF logger, not among audit's records`);
      continue;
    }
    compared++;
    const off: string[] = [];
    for (const [ak, bk] of SAME_FIELDS) {
      const want = a[ak];
      const got = bpf[bk] === undefined ? undefined : asText(bpf[bk]);
      if (want !== got) off.push(`${ak} audit ${JSON.stringify(want ?? null)} bpf ${JSON.stringify(got ?? null)}`);
    }
    // PROCTITLE is the command line: the arguments joined by NULs, cut to 128 bytes.
    const argv = Array.isArray(bpf.argv) ? (bpf.argv as string[]) : [];
    const title = Buffer.from(argv.join('\0'), 'latin1').subarray(0, PROCTITLE_BYTES).toString('latin1');
    if (a.proctitle !== title) off.push(`proctitle audit ${JSON.stringify(a.proctitle ?? null)} bpf ${JSON.stringify(title)}`);
    if (off.length === 0) identical++;
    else problems.push(`pid ${pid}: ${off.join('; ')}`);
  }
  for (const [pid, left] of audit) for (const _ of left) problems.push(`pid ${pid}: in audit's records, not logged by the BPF logger`);
  return { compared, identical, fields: SAME_FIELDS.length + 1, problems };
}
