import { isBpfTool, WARMUP_TOLERANCE_PCT, type AuditSetup, type BpfSetup, type SeccompSetup, type WorkloadOptions } from '../matrix.ts';
import type { Layout } from '../qemu.ts';
import { crngSeedHex } from './crng-seed.ts';
import { directoriesNeeded, logsEveryExec, rulesOnly } from '../audit-rules.ts';
import { syslogFile } from './auditd-plugins.ts';
import { DISK } from './disk.ts';
import { LIBC_HOLDER, SHELL_ENV, SHELL_ENV_FILE, TARGET_PATH, targetArgv, targetOf, targetPath } from './exec-target.ts';
import { MARK } from './protocol.ts';

/** Where things are inside the guest's initramfs. */
export const GUEST = {
  nop: TARGET_PATH.nop,
  krsiTrue: TARGET_PATH.dynamic,
  execbench: '/bin/execbench',
  seedrng: '/bin/seedrng',
  /** The kernel's accounting around the samples; execbench runs it by this path (workloads/execbench.c ATTRIBUTION). */
  attribution: '/bin/attribution',
  /** Where a split boot stops being shared (workloads/split_boot.c, bench/guest/split.ts). */
  splitBoot: '/bin/split-boot',
  auditd: '/sbin/auditd',
  auditctl: '/sbin/auditctl',
  auditLog: '/var/log/audit/audit.log',
  auditLogDir: '/var/log/audit',
  mke2fs: '/sbin/mke2fs',
  resultPort: '/dev/ttyS1',
  bpfTool: (tool: string) => `/bin/${tool}`,
  bpfAttach: '/bin/bpf_attach',
  bpfObject: (name: string) => `/opt/bpf/${name}.bpf.o`,
} as const;

/**
 * What a guest is told. The scenario's name is not among it: a guest is the
 * same whatever the scenario is called, so two scenarios that differ only in
 * name boot the same bytes.
 */
export interface GuestSetup {
  /** The boot's seed; with layout random it seeds the CRNG (crng-seed.ts). */
  seed: number;
  layout: Layout;
  workload: WorkloadOptions;
  audit: AuditSetup | null;
  bpf: BpfSetup[];
  seccomp?: SeccompSetup | null;
  /**
   * A profiling boot (npm run profile): the BPF programs' run-time statistics
   * are on for the window, and the guest reports where its kernel and BPF
   * programs were placed, for the profile's symbols. Every boot, profiled or
   * not, snapshots the kernel's accounting around the measured samples.
   */
  profile?: boolean;
  /**
   * false: execbench takes no snapshot of the kernel's accounting, and exec
   * latency is not measured (KRSI_BENCH_ACCOUNTING=off, for measuring what the
   * snapshots themselves do to the samples). Default true.
   */
  accounting?: boolean;
  /**
   * The boot has a disk (bench/guest/disk.ts): /init mounts it and binds its
   * program and log directory over their paths in the initramfs. Default false.
   */
  disk?: boolean;
}

/** Where execbench's seccomp supervisor logs (workloads/seccomp.c), under the key its counts go by. */
const SECCOMP_LOG = '/tmp/seccomp_notify.log';
export const SECCOMP_KEY = 'seccomp_notify';

/**
 * Guest seconds the guest idles between setting a scenario up and measuring.
 * Measured in icount mode: with execbench started right after
 * `auditctl -e 1`, audit-no-rules came out 4.1 % above vanilla, flat over
 * all 30 samples; after an idle pause of 0.5, 1, 3 or 6 s it is 1.9-2.0 %
 * every time, and vanilla moves by 0.03 %. What the pause lets finish has not
 * been traced. Idle guest time costs almost no wall time (QEMU's clock jumps
 * to the next timer when the vCPU halts, -icount sleep=off).
 */
export const SETTLE_SECONDS = 1;

/** Single-quotes a word for sh. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** One word for sh: as it is when nothing in it is special to the shell, else quoted. */
export const shWord = (w: string): string => (/^[A-Za-z0-9_,.:/=+@%-]+$/.test(w) ? w : shq(w));

/**
 * The cgroup execbench and everything it starts run in: a service's, where
 * systemd puts it, with the controllers systemd enables by default (memory and
 * pids accounting, Debian 12's systemd 252) where the kernel has them.
 */
const SERVICE_SLICE = '/sys/fs/cgroup/system.slice';
const WORKLOAD_CGROUP = `${SERVICE_SLICE}/krsi-bench.service`;
const CGROUP_CONTROLLERS = ['memory', 'pids'];

/** The cgroup hierarchy as systemd sets it up for a service. */
function cgroupSetup(): string[] {
  return [
    'mount -t cgroup2 cgroup2 /sys/fs/cgroup',
    `enable_controllers() { for c in ${CGROUP_CONTROLLERS.join(' ')}; do if grep -qw $c $1/cgroup.controllers; then echo +$c > $1/cgroup.subtree_control || fail "cannot enable the $c controller in $1"; fi; done; }`,
    'enable_controllers /sys/fs/cgroup',
    `mkdir ${SERVICE_SLICE}`,
    `enable_controllers ${SERVICE_SLICE}`,
    `mkdir ${WORKLOAD_CGROUP}`,
  ];
}

/**
 * The disk (bench/guest/disk.ts): made afresh, mounted as Debian mounts its
 * root (ext4, relatime), with the initramfs's /bin copied onto it and bound
 * over /bin, and auditd's log directory on it, so that every path stays the
 * same and the exec'd program's directory is on the disk (an audit watch on
 * /bin/nop watches that directory, as on a real root file system). mke2fs
 * draws the file system's UUID and directory hash seed from the CRNG, and so
 * from the boot's seed. Each program's first read, here, sets its atime
 * (relatime updates it once, as on a machine that has run it before), and
 * sync writes it all out before the samples. Without a disk the log lives on
 * tmpfs.
 */
function diskSetup(disk: boolean): string[] {
  if (!disk) return [`mount -t tmpfs tmpfs ${GUEST.auditLogDir}`];
  const on = (path: string) => `${DISK.mountPoint}${path}`;
  return [
    `${GUEST.mke2fs} -q -F -t ext4 -T default -L krsi-bench -E lazy_itable_init=0,lazy_journal_init=0 ${DISK.device} > /tmp/mke2fs.out 2>&1 || fail "cannot make the guest disk (mke2fs ${DISK.device}): $(tail -n 1 /tmp/mke2fs.out)"`,
    `mkdir -p ${DISK.mountPoint}`,
    `mount -t ext4 -o relatime ${DISK.device} ${DISK.mountPoint} 2> /tmp/mount.err || fail "cannot mount the guest disk ${DISK.device}: $(tail -n 1 /tmp/mount.err)"`,
    `mkdir -p ${on('/bin')} ${on(GUEST.auditLogDir)}`,
    `cp -a /bin/. ${on('/bin/')} || fail "cannot copy /bin to the guest disk"`,
    `find ${on('/bin')} -type f -exec cat {} + > /dev/null`,
    `mount --bind ${on('/bin')} /bin || fail "cannot bind ${on('/bin')} over /bin"`,
    `mount --bind ${on(GUEST.auditLogDir)} ${GUEST.auditLogDir} || fail "cannot bind ${on(GUEST.auditLogDir)}"`,
    'sync',
  ];
}

/** Where execbench writes its snapshots of the kernel's accounting. */
const ATTRIBUTION_FILE = '/tmp/attribution';

/** execbench's snapshots, in every boot's payload. */
const attributionReport = () => [`sed 's/^/attr /' ${ATTRIBUTION_FILE} >> $P`];

/**
 * The lines a profiling boot adds to its payload, read while the BPF programs
 * are still loaded: the addresses of _text (KASLR's offset) and of every
 * JIT-compiled program and trampoline, from kallsyms.
 */
function symbolReport(): string[] {
  return [
    // kallsyms: "<address> <type> <name>", then a tab and "[bpf]" for programs and trampolines.
    `awk '$3 == "_text" { print "ksym", $1, $3; exit }' /proc/kallsyms >> $P`,
    `awk '$NF == "[bpf]" { print "ksym", $1, $3 }' /proc/kallsyms >> $P`,
  ];
}

function execbenchArgs(w: WorkloadOptions, seccomp: SeccompSetup | null, profile: boolean, accounting: boolean): string {
  const env = w.ldPreload === null ? '--no-ld-preload' : `--ld-preload ${shq(w.ldPreload)}`;
  const filter = seccomp === null ? '' : seccomp === 'notify' ? ` --seccomp notify --seccomp-log ${SECCOMP_LOG}` : ' --seccomp filter';
  const procs = (w.procs ?? 1) > 1 ? ` --procs ${w.procs}` : '';
  const attr = accounting ? ` --attribution ${ATTRIBUTION_FILE}${profile ? ' --bpf-stats' : ''}` : '';
  const more = [
    w.execCall === 'execveat' ? ' --exec-call execveat' : '',
    w.ldPreloadDecoy !== undefined ? ` --ld-preload-decoy ${shq(w.ldPreloadDecoy)}` : '',
    w.tinyVars ? ` --tiny-vars ${w.tinyVars}` : '',
    w.edgeStrings ? ' --edge-strings' : '',
    targetOf(w) === 'dynamic' ? ` --env-file ${SHELL_ENV_FILE}` : '',
  ].join('');
  // Everything after the target is its arguments.
  const argv = targetArgv(w).map(shWord).join(' ');
  return `-k ${w.execs} -n ${w.samples} -w ${w.warmup} --warmup-max ${w.warmupMax} --warmup-tol ${WARMUP_TOLERANCE_PCT} --env-pages ${w.envPages} ${env}${more}${filter}${procs}${attr} ${argv}`;
}

/**
 * The counts that checks.ts compares for a logger of the LD_PRELOAD scan's
 * JSON lines (bpf/ld_preload_log.h, or the seccomp supervisor): lines, execs
 * of the target, those with the right value, and the truncation flags.
 */
function ldPreloadLogCounts(key: string, log: string, w: WorkloadOptions, alsoMatch = ''): string[] {
  const value = JSON.stringify(w.ldPreload ?? 'unset');
  const target = targetPath(w);
  const also = alsoMatch ? ` | grep -cF ${shq(alsoMatch)}` : '';
  return [
    `count ${key}_log_lines "$(wc -l < ${log})"`,
    `count ${key}_exec_events "$(grep -c '"filename":"${target}"' ${log})"`,
    `count ${key}_value_match "$(grep -F '"filename":"${target}"' ${log} | grep ${also ? '-F' : '-cF'} ${shq(`"ld_preload":${value}`)}${also})"`,
    `count ${key}_truncated "$(grep -cF '"truncated":true' ${log})"`,
    `count ${key}_value_truncated "$(grep -cF '"value_truncated":true' ${log})"`,
    `count ${key}_filename_truncated "$(grep -cF '"filename_truncated":true' ${log})"`,
    `grep -F '"filename":"${target}"' ${log} | head -n 2 | sed 's/^/event /' >> $P`,
  ];
}

/** Up to this many rules, each is its own auditctl, so that an error names its rule. */
const RULES_ONE_BY_ONE = 8;

/** A rule's words for the shell: those with an operator (auid>=1000, a2&03) single-quoted, the rest as they are. */
const ruleWords = (rule: string) => rule.split(' ').map(shWord).join(' ');

/** The syslog daemon audisp-syslog writes to, started before auditd so that no record finds /dev/log missing. */
function syslogSetup(file: string): string[] {
  return [
    // -n: stay in the foreground, as a child of /init. Debian's busybox is built without log rotation.
    `syslogd -n -O ${file} 2> /tmp/syslogd.err & echo $! > /tmp/syslogd.pid`,
    'syslogd_ready() { test -S /dev/log && return 0; kill -0 "$(cat /tmp/syslogd.pid)" 2>/dev/null || fail "syslogd exited: $(tail -n 1 /tmp/syslogd.err)"; return 1; }',
    'wait_for "syslogd to open /dev/log" 600 syslogd_ready',
  ];
}

function auditSetup(a: AuditSetup, disk: boolean): string[] {
  const out: string[] = [];
  if (a.plugins?.includes('syslog')) out.push(...syslogSetup(syslogFile(disk, DISK.mountPoint)));
  if (a.daemon) {
    out.push(
      `${GUEST.auditd} > /tmp/auditd.out 2>&1 || fail "auditd did not start: $(tail -n 1 /tmp/auditd.out)"`,
      // auditd daemonises before it registers with the kernel; wait for its pid in the audit status.
      'wait_for "auditd to register" 600 auditd_registered',
      // A deep backlog lets bursts of records wait for auditd instead of being lost.
      `${GUEST.auditctl} -b 8192 > /dev/null || fail "auditctl -b 8192 failed"`,
    );
  }
  if (a.enable) out.push(`${GUEST.auditctl} -e 1 > /dev/null || fail "auditctl -e 1 failed"`);
  // The kernel resolves a watched path's directory when the rule is added: the directories the rules
  // name are made here, empty, as on a system with the packages whose files they watch (audit-rules.ts).
  const dirs = [...new Set(a.rules.flatMap(directoriesNeeded))].sort();
  if (dirs.length) {
    out.push(`made=; for d in ${dirs.map(shq).join(' ')}; do [ -d "$d" ] || { mkdir -p "$d" && made="$made $d"; }; done`, 'echo "info ruledirs${made:- none}" >> $P');
  }
  // "30-stig.rules line 12: -w ..." for a rule from a file, "rule -w ..." for an inline one.
  const origin = (k: number) => (a.origins?.[k] ? `${a.origins[k]}: ` : 'rule ');
  if (a.rules.length > RULES_ONE_BY_ONE) {
    // One auditctl per rule is an exec each on the emulated CPU: a long list is loaded from a file in one.
    // The quoted delimiter keeps the rules literal; auditctl names the line it refused, which the
    // second file maps to the rule's own file and line.
    const where = a.rules.map((r, k) => `${origin(k)}${r}`);
    out.push(
      `cat > /tmp/audit.rules <<'KRSI_BENCH_RULES'\n${a.rules.join('\n')}\nKRSI_BENCH_RULES`,
      `cat > /tmp/audit.origins <<'KRSI_BENCH_RULES'\n${where.join('\n')}\nKRSI_BENCH_RULES`,
      `if ! ${GUEST.auditctl} -R /tmp/audit.rules > /tmp/auditctl.out 2>&1; then`,
      `  n=$(sed -n 's/.*error in line \\([0-9]*\\).*/\\1/p' /tmp/auditctl.out | head -n 1)`,
      '  why=$(grep -v "error in line" /tmp/auditctl.out | grep -v "^$" | tail -n 1)',
      '  [ -n "$n" ] && fail "auditctl refused $(sed -n "${n}p" /tmp/audit.origins): $why"',
      '  fail "auditctl -R refused the rules: $why"',
      'fi',
    );
  } else {
    for (const [k, rule] of a.rules.entries()) {
      out.push(`${GUEST.auditctl} ${ruleWords(rule)} > /tmp/auditctl.out 2>&1 || fail "auditctl refused ${origin(k)}${rule}: $(tail -n 1 /tmp/auditctl.out)"`);
    }
  }
  out.push(`status "audit: daemon=${a.daemon} enabled=${a.enable} rules=${rulesOnly(a.rules).length}"`);
  return out;
}

/**
 * Every line of the first RECORDS_COMPARED execs of the target in audit's log:
 * the SYSCALL record names the exec's serial (msg=audit(time:serial)), which
 * its EXECVE, CWD, PATH and PROCTITLE records share.
 */
function auditRecords(w: WorkloadOptions): string[] {
  return [
    `grep '^type=SYSCALL' ${GUEST.auditLog} | grep -F ' exe="${targetPath(w)}"' | head -n ${RECORDS_COMPARED} | sed -n 's/.*msg=audit(\\([0-9.:]*\\)).*/\\1/p' > /tmp/audit.serials`,
    `while read s; do grep -F "msg=audit($s)" ${GUEST.auditLog} | sed 's/^/record audit /' >> $P; done < /tmp/audit.serials`,
  ];
}

/**
 * The EXECVE record of one exec of the target, arguments and all, as audit
 * writes it (none of them needs hex encoding: exec-target.ts).
 */
export const execveRecord = (w: WorkloadOptions): string => {
  const argv = targetArgv(w);
  return `: argc=${argv.length} ${argv.map((a, i) => `a${i}="${a}"`).join(' ')}`;
};

/**
 * Lets the syslog plugin catch up with auditd's log before auditd stops (and
 * stops its plugins), for at most 20 s of guest time. Only the target's
 * records are compared: with a rule on every exec, the greps and sleeps of
 * this wait are logged too, and a count of all records would chase itself.
 * Records the plugin never passed on are missing from the count that
 * follows, which checks.ts compares with the execs.
 */
function syslogCatchUp(file: string, w: WorkloadOptions): string[] {
  const record = shq(execveRecord(w));
  return [
    `syslog_caught_up() { [ "$(grep -F 'type=EXECVE' ${file} | grep -cF ${record})" -ge "$(grep '^type=EXECVE' ${GUEST.auditLog} | grep -cF ${record})" ]; }`,
    'i=0; until syslog_caught_up || [ $i -ge 100 ]; do i=$((i+1)); sleep 0.2; done',
  ];
}

function syslogTeardown(file: string, w: WorkloadOptions): string[] {
  return [
    `count audit_syslog_exec_records "$(grep -F 'type=EXECVE' ${file} | grep -cF ${shq(execveRecord(w))})"`,
    `count audit_syslog_lines "$(wc -l < ${file})"`,
    `grep -F 'type=EXECVE' ${file} | grep -F ${shq(execveRecord(w))} | head -n 1 | sed 's/^/event /' >> $P`,
    'kill "$(cat /tmp/syslogd.pid)"',
  ];
}

/** The audit log's SYSCALL records, in the guest's tmpfs, counted after auditd stopped. */
const SYSCALL_RECORDS = '/tmp/audit-syscall.log';

function auditTeardown(a: AuditSetup, w: WorkloadOptions, compared: boolean, disk: boolean): string[] {
  if (!a.daemon) return [`count audit_lost "$(audit_field lost)"`];
  const syslog = a.plugins?.includes('syslog') ? syslogFile(disk, DISK.mountPoint) : null;
  return [
    // Records still queued in the kernel are not lost: let auditd drain them before it stops.
    'wait_for "the audit backlog to drain" 600 backlog_empty',
    `count audit_lost "$(audit_field lost)"`,
    `count audit_backlog_limit "$(audit_field backlog_limit)"`,
    ...(syslog ? syslogCatchUp(syslog, w) : []),
    'kill -TERM "$(pidof auditd)"',
    'wait_for "auditd to exit" 600 auditd_gone',
    ...(syslog ? syslogTeardown(syslog, w) : []),
    // Records of the target's execs with every argument: the line ends where the arguments do. The log is
    // read twice (its SYSCALL records kept apart): each pass over it is about 0.3 s of wall time here.
    `count audit_exec_records "$(grep '^type=EXECVE' ${GUEST.auditLog} | grep -cF ${shq(execveRecord(w))})"`,
    `grep '^type=SYSCALL' ${GUEST.auditLog} > ${SYSCALL_RECORDS}`,
    `count audit_syscall_records "$(grep -c ' exe="${targetPath(w)}"' ${SYSCALL_RECORDS})"`,
    `count audit_records_total "$(wc -l < ${GUEST.auditLog})"`,
    // Where the log was and in which format: the file system it was written to, and how many of its SYSCALL
    // records auditd enriched (log_format ENRICHED appends their interpreted fields after a GS byte).
    `echo "info auditlog $(awk '$2 == "${GUEST.auditLogDir}" { print $3 }' /proc/mounts) $(grep -c "$(printf '\\035')" ${SYSCALL_RECORDS})/$(wc -l < ${SYSCALL_RECORDS})" >> $P`,
    ...(compared ? auditRecords(w) : []),
  ];
}

/**
 * The tools whose totals say what their programs emitted, left incomplete
 * and filtered out (bpf/ld_preload_log.h print_totals), so that every event
 * is either logged or counted lost, once.
 */
export const ACCOUNTED_TOOLS = ['krsi_ld_preload', 'krsi_hooks', 'krsi_exec_record'];
export const LOADER_TOTALS = ['emitted', 'incomplete', 'filtered'] as const;

/** The BPF logger that records what audit's execve rule records (bpf/krsi_exec_record.c), and how long its records took to reach the file. */
export const EXEC_RECORDER = 'krsi_exec_record';
export const DELAY_TOTALS = ['writes', 'delay_p50_ns', 'delay_p99_ns', 'delay_max_ns'] as const;

/** Where both loggers run, the first this many execs of nop of each are sent to the host to be compared. */
export const RECORDS_COMPARED = 20;

/** The tool that also watches the loader's preload file, and the probe that exercises it after the samples. */
export const PRELOAD_FILE_WATCHER = 'krsi_ld_preload';
const PRELOAD_FILE = '/etc/ld.so.preload';

/**
 * Writes the preload file, runs a dynamically linked program (the watcher's
 * own loader, for its usage line), which makes glibc's ld.so read the file,
 * and removes it: the watcher must log one write and one read. The library it
 * names does not exist; ld.so says so on stderr and goes on.
 */
function preloadFileProbe(): string[] {
  return [
    `echo /lib/krsi-bench-absent.so > ${PRELOAD_FILE}`,
    `${GUEST.bpfTool(PRELOAD_FILE_WATCHER)} -h > /dev/null 2>&1 || fail "the preload file probe: ${GUEST.bpfTool(PRELOAD_FILE_WATCHER)} -h failed"`,
    `rm ${PRELOAD_FILE}`,
  ];
}

/** The tools that log krsi_ld_preload.h's events with ld_preload_log.h, and so are checked alike. */
const LD_PRELOAD_LOGGERS = ['krsi_ld_preload', 'krsi_hooks', 'krsi_env_vars', 'krsi_exec_record'];

/**
 * What a logger's line must also hold to count as the right value:
 * krsi_env_vars, every variable and byte execbench passed; krsi_exec_record,
 * the target's whole argv.
 */
function loggedAlso(tool: string, w: WorkloadOptions): string {
  if (tool === 'krsi_env_vars') {
    const env = passedEnvironment(w);
    return `"vars":${env.vars},"bytes":${env.bytes},`;
  }
  const argv = targetArgv(w);
  if (tool === EXEC_RECORDER) return `"argc":${argv.length},"argv":${JSON.stringify(argv)}`;
  return '';
}

/** Loader arguments beyond -o LOG: krsi_env_vars writes the variables themselves to a file of their own. */
const TOOL_ARGS: Record<string, string> = { krsi_env_vars: ' -V /tmp/krsi_env_vars.vars' };

/**
 * The environment execbench passes (workloads/execbench.c): a decoy
 * LD_PRELOAD, PATH (or the dynamic target's shell environment), the filler pages of one 4096-byte variable each, the tiny
 * variables (`T000042=1`), the edge strings, LD_PRELOAD. What krsi_env_vars must log for each
 * exec: that many variables and bytes, NULs counted.
 */
export function passedEnvironment(w: WorkloadOptions): { vars: number; bytes: number } {
  // The dynamic target's shell environment takes the place of PATH (execbench --env-file).
  const first = targetOf(w) === 'dynamic' ? SHELL_ENV : ['PATH=/bin:/sbin'];
  const path = first.reduce((n, v) => n + v.length + 1, 0);
  const preload = w.ldPreload === null ? 0 : `LD_PRELOAD=${w.ldPreload}`.length + 1;
  const decoy = w.ldPreloadDecoy === undefined ? 0 : `LD_PRELOAD=${w.ldPreloadDecoy}`.length + 1;
  const tiny = w.tinyVars ?? 0;
  // The empty string, and a variable of 255 bytes.
  const edge = w.edgeStrings ? { vars: 2, bytes: 1 + 256 } : { vars: 0, bytes: 0 };
  const vars = (decoy ? 1 : 0) + first.length + w.envPages + tiny + edge.vars + (w.ldPreload === null ? 0 : 1);
  return { vars, bytes: decoy + path + w.envPages * 4096 + tiny * ('T000000=1'.length + 1) + edge.bytes + preload };
}

/** How the guest starts one BPF program's loader, and under which name its files go. */
export function bpfLoader(b: BpfSetup): { key: string; command: string } {
  if (isBpfTool(b)) {
    const args = `${b.program ? ` -p ${b.program}` : ''}${b.bufferBytes ? ` -b ${b.bufferBytes}` : ''}${b.onlySet ? ' -s' : ''}${b.maxSteps ? ` -l ${b.maxSteps}` : ''}${b.batch ? ' -B' : ''}${TOOL_ARGS[b.tool] ?? ''}`;
    return { key: b.tool, command: `${GUEST.bpfTool(b.tool)}${args} -o /tmp/${b.tool}.log` };
  }
  const progs = b.programs.map((p) => `-p ${p} `).join('');
  return { key: `user_${b.name}`, command: `${GUEST.bpfAttach} ${progs}${GUEST.bpfObject(b.name)}` };
}

function bpfSetup(loaders: BpfSetup[]): string[] {
  const out = ['mount -t bpf bpf /sys/fs/bpf'];
  // libbpf finds a classic tracepoint's perf event id in tracefs, which nothing else here mounts.
  if (loaders.some((b) => isBpfTool(b) && b.program === 'tracepoint')) out.push('mount -t tracefs tracefs /sys/kernel/tracing || fail "cannot mount tracefs"');
  for (const b of loaders) {
    const { key, command } = bpfLoader(b);
    out.push(
      `${command} > /tmp/${key}.out 2> /tmp/${key}.err &`,
      `echo $! > /tmp/${key}.pid`,
      // Loading (BTF parsing, the verifier) runs on the only vCPU: start timing only once attached.
      `wait_for "${key} to attach" 6000 loaded ${key}`,
      `status "${key} attached"`,
    );
  }
  return out;
}

function bpfTeardown(loaders: BpfSetup[], w: WorkloadOptions, compared: boolean): string[] {
  const out: string[] = [];
  for (const b of loaders) {
    const { key } = bpfLoader(b);
    out.push(
      `kill -TERM "$(cat /tmp/${key}.pid)"`,
      `wait "$(cat /tmp/${key}.pid)" || fail "${key} exited with an error: $(tail -n 1 /tmp/${key}.err)"`,
      `count ${key}_events "$(sed -n 's/.*"events":\\([0-9]*\\).*/\\1/p' /tmp/${key}.out)"`,
    );
    // Only the suite's own tools know their drops; a user's program's are unknown (checks.ts).
    if (isBpfTool(b)) out.push(`count ${key}_dropped "$(sed -n 's/.*"dropped":\\([0-9]*\\).*/\\1/p' /tmp/${key}.out)"`);
    if (isBpfTool(b) && ACCOUNTED_TOOLS.includes(b.tool)) {
      // A total the loader did not print is left out, never 0: checks.ts names it.
      for (const total of LOADER_TOTALS) out.push(`loader_total ${key} ${total}`);
      // The kernel's own count of what a full perf ring lost: the same events as the failed outputs in dropped.
      if (b.program === 'perfbuf') out.push(`loader_total ${key} perf_lost`);
    }
    if (isBpfTool(b) && b.tool === EXEC_RECORDER) {
      for (const total of DELAY_TOTALS) out.push(`loader_total ${key} ${total}`);
      if (compared) out.push(`grep -F '"filename":"${targetPath(w)}"' /tmp/${key}.log | head -n ${RECORDS_COMPARED} | sed 's/^/record ${key} /' >> $P`);
    }
    if (isBpfTool(b) && b.tool === PRELOAD_FILE_WATCHER) {
      for (const access of ['read', 'write']) {
        out.push(`count ${key}_preload_${access}s "$(grep -cF '"preload_file":"${PRELOAD_FILE}","access":"${access}"' /tmp/${key}.log)"`);
      }
    }
    if (isBpfTool(b) && LD_PRELOAD_LOGGERS.includes(b.tool)) {
      // krsi_env_vars matches only where it also logged every variable and byte execbench passed.
      out.push(...ldPreloadLogCounts(key, `/tmp/${key}.log`, w, loggedAlso(b.tool, w)));
    }
  }
  return out;
}

/**
 * The guest's /init: mounts, sets up one scenario, runs execbench once, checks
 * what the instrumentation logged, and sends everything framed on the result
 * port (see protocol.ts). Any failure sends FAIL with the reason and powers off.
 */
export function initScript(g: GuestSetup): string {
  return `${[...scriptHeader(g), ...sharedSetup(g.disk ?? false), ...scenarioLines(g)].join('\n')}\n`;
}

/**
 * A split boot's /init (bench/guest/split.ts): the part every scenario of a
 * seed shares, then split-boot, which returns in each scenario's restored
 * guest with that scenario's archive; /init unpacks it and goes on with its
 * script. The archive's programs under /bin land on the disk, as the shared
 * ones did, and are read once here as those were.
 */
export function splitPrefixScript(g: Pick<GuestSetup, 'seed' | 'layout' | 'disk'>): string {
  const disk = g.disk ?? false;
  const lines = [
    ...scriptHeader(g),
    ...sharedSetup(disk),
    `${GUEST.splitBoot} ${SCENARIO_ARCHIVE} 2> /tmp/split.err || fail "the boot was not split: $(tail -n 1 /tmp/split.err)"`,
    `(cd / && cpio -i -d -m -u < ${SCENARIO_ARCHIVE}) 2> /tmp/cpio.err || fail "cannot unpack the scenario: $(tail -n 1 /tmp/cpio.err)"`,
    ...(disk ? [`cpio -t < ${SCENARIO_ARCHIVE} 2> /dev/null | grep '^bin/' | while read f; do [ -f "/$f" ] && cat "/$f"; done > /dev/null`, 'sync'] : []),
    `rm ${SCENARIO_ARCHIVE}`,
    `. ${SCENARIO_SCRIPT}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The scenario's part of a split boot's /init, which the shared part sources. */
export function scenarioScript(g: GuestSetup): string {
  return `${scenarioLines(g).join('\n')}\n`;
}

/** Where split-boot writes the scenario's archive, and the script in it. */
const SCENARIO_ARCHIVE = '/tmp/scenario.cpio';
export const SCENARIO_SCRIPT = '/scenario.sh';

/** The shell functions every part of /init uses. */
function scriptHeader(g: Pick<GuestSetup, 'seed' | 'layout'>): string[] {
  return [
    '#!/bin/sh',
    `# krsi-bench guest init: seed ${g.seed}, layout ${g.layout}`,
    'export PATH=/bin:/sbin',
    `R=${GUEST.resultPort}`,
    'P=/tmp/payload',
    'say() { echo "$*" > $R; }',
    `status() { say "${MARK} STATUS $*"; echo "krsi-bench: $*" > /dev/console; }`,
    `fail() { say "${MARK} FAIL $*"; echo "krsi-bench: FAIL $*" > /dev/console; sync; reboot -f; sleep 60; }`,
    'count() { echo "count $1 ${2:-0}" >> $P; }',
    // loader_total KEY NAME: the number NAME in the loader's totals line, as count KEY_NAME, if it is there.
    `loader_total() { v=$(sed -n "s/.*\\"$2\\":\\([0-9]*\\).*/\\1/p" /tmp/$1.out); if [ -n "$v" ]; then echo "count $1_$2 $v" >> $P; fi; }`,
    // wait_for WHAT TRIES CHECK [ARGS]: polls every 50 ms of guest time.
    'wait_for() { what=$1; tries=$2; shift 2; i=0; until "$@"; do i=$((i+1)); [ $i -ge $tries ] && fail "timed out waiting for $what"; sleep 0.05; done; }',
    `audit_field() { ${GUEST.auditctl} -s | sed -n "s/^$1 //p"; }`,
    'auditd_registered() { [ "$(audit_field pid)" -gt 0 ] 2>/dev/null; }',
    'backlog_empty() { [ "$(audit_field backlog)" = 0 ]; }',
    'auditd_gone() { ! pidof auditd > /dev/null; }',
    // A verifier rejection ends its log with the reason, then "processed N insns": name that reason.
    'verifier_reason() { grep -B1 "^processed [0-9]* insns" "$1" | head -n 1; }',
    'loaded() { grep -q attached /tmp/$1.out && return 0; kill -0 "$(cat /tmp/$1.pid)" 2>/dev/null && return 1; cat /tmp/$1.err > /dev/console; why=$(verifier_reason /tmp/$1.err); [ -n "$why" ] && fail "$1 was rejected by the verifier: $why"; fail "$1 failed to load or attach: $(grep -v "^$" /tmp/$1.err | tail -n 1)"; }',
  ];
}

/** Mounts, the disk and the cgroups: what /init does before the scenario, the same for every scenario. */
function sharedSetup(disk: boolean): string[] {
  return [
    'mount -t proc proc /proc',
    'mount -t sysfs sysfs /sys',
    'mount -t devtmpfs devtmpfs /dev',
    'mount -t tmpfs tmpfs /tmp',
    'mount -t tmpfs tmpfs /run',
    ...diskSetup(disk),
    'mount -t securityfs securityfs /sys/kernel/security',
    // The exec'ing tasks get a cgroup of their own, as systemd gives a service: its cpu.pressure is
    // how exec latency is measured (workloads/attribution.c).
    ...cgroupSetup(),
    'stty -F $R raw -echo',
  ];
}

/** From BEGIN on: one scenario's setup, its samples, its checks and the result. */
function scenarioLines(g: GuestSetup): string[] {
  const w = g.workload;
  const seccomp = g.seccomp ?? null;
  const profile = g.profile ?? false;
  const accounting = g.accounting ?? true;
  // Audit and the BPF exec logger in one boot: their records of the same execs go to the host.
  // Only where audit's rules log every exec of the target: a compliance set beside the logger logs none.
  const compared = g.audit !== null && g.audit.daemon && logsEveryExec(g.audit.rules, targetPath(w)) && g.bpf.some((b) => isBpfTool(b) && b.tool === EXEC_RECORDER);
  return [
    `say "${MARK} BEGIN ${g.seed}"`,
    ': > $P',
    // Before any scenario setup: see workloads/seedrng.c for why.
    `${GUEST.seedrng}${g.layout === 'random' ? ` ${crngSeedHex(g.seed)}` : ''} 2> /tmp/seedrng.err || fail "$(cat /tmp/seedrng.err)"`,
    'echo "info kernel $(uname -r)" >> $P',
    'echo "info lsm $(cat /sys/kernel/security/lsm)" >> $P',
    ...(targetOf(w) === 'dynamic' ? [`${LIBC_HOLDER} & echo $! > /tmp/hold.pid`] : []),
    ...(g.audit ? auditSetup(g.audit, g.disk ?? false) : []),
    ...(g.bpf.length ? bpfSetup(g.bpf) : []),
    `sleep ${SETTLE_SECONDS}`,
    `status "running execbench ${execbenchArgs(w, seccomp, profile, accounting).replace(/'/g, '')}"`,
    // To tmpfs, and only after the last sample: see workloads/execbench.c.
    // A subshell moves itself into the cgroup ("0" is the writer) and becomes execbench.
    `( echo 0 > ${WORKLOAD_CGROUP}/cgroup.procs && exec ${GUEST.execbench} ${execbenchArgs(w, seccomp, profile, accounting)} ) > /tmp/samples 2> /tmp/execbench.err || fail "execbench failed: $(tail -n 1 /tmp/execbench.err)"`,
    `[ "$(grep -c '^sample [0-9]* 0 ' /tmp/samples)" = ${w.samples} ] || fail "execbench stopped early: $(tail -n 1 /tmp/execbench.err)"`,
    ...(targetOf(w) === 'dynamic' ? ['kill "$(cat /tmp/hold.pid)"'] : []),
    ...(accounting ? attributionReport() : []),
    ...(profile ? symbolReport() : []),
    ...(g.bpf.some((b) => isBpfTool(b) && b.tool === PRELOAD_FILE_WATCHER) ? preloadFileProbe() : []),
    ...(g.bpf.length ? bpfTeardown(g.bpf, w, compared) : []),
    ...(seccomp === 'notify' ? ldPreloadLogCounts(SECCOMP_KEY, SECCOMP_LOG, w) : []),
    ...(g.audit ? auditTeardown(g.audit, w, compared, g.disk ?? false) : []),
    'cat /tmp/samples >> $P',
    `{ echo "${MARK} PAYLOAD"; cat $P; echo "${MARK} END $(wc -l < $P) $(sha256sum $P | cut -d' ' -f1)"; } > $R`,
    'sync',
    'reboot -f',
    'sleep 60',
  ];
}
