/**
 * The built-in matrix `krsi-design`: the questions the LSS 2019 talk asked
 * about a BPF LSM program's design and its alternatives, as scenarios. Each
 * scenario's overhead is taken against the baseline it names. Written in
 * TypeScript because its ladders (environment pages, audit rule counts) are
 * generated.
 */

const ENV_PAGES = [0, 1, 4, 16, 32];
const AUDIT_RULES = [1, 10, 100, 1000];
const EXEC_RULES = ['-a always,exit -F arch=b64 -S execve,execveat -k krsi-bench-exec', '-a always,exit -F arch=b32 -S execve,execveat -k krsi-bench-exec'];

/**
 * N audit rules that no exec of nop matches: openat by users that do not
 * exist (the guest runs as root). Every syscall exit walks the exit list, so
 * this is the cost of its length. (A path= rule would also watch a
 * directory, and one on a missing directory is refused.)
 */
const unmatchedRules = (n: number) => Array.from({ length: n }, (_, i) => `-a always,exit -F arch=b64 -S openat -F uid=${20000 + i} -k krsi-bench-unmatched`);

const hook = (name: string, program: string, description: string) => ({
  name, description, kernel: 'noaudit', baseline: 'vanilla', bpf: [{ tool: 'krsi_hooks', program }],
});

/** Four exec'ing processes at once on two vCPUs, against a small buffer (falco#669: drops and cost together). */
const BURST = { procs: 4, cpus: 2 };

/** The workload without LD_PRELOAD: what a filter that sends only execs that set it leaves unsent. */
const UNSET = { ldPreload: null };

export default {
  name: 'krsi-design',
  description: "The LSS 2019 talk's open questions: one variable or all, ring buffer or perf buffer, sleepable programs, other hooks, and audit's rule list",
  baseline: 'vanilla',
  // Every burst, audit's and the BPF loggers', runs on the seed's audit kernel (SMP, audit off unless
  // the scenario starts it) with the same CPUs and processes, against that kernel's uninstrumented burst.
  // 6 boots, not the suite's 12, to stay under 10 minutes on 2 cores: with 8 the 37 scenarios were on
  // course for 12 (7 min 21 s for 63 % of the guests). Each interval still covers the variation between 6 layouts (t with 5 degrees of
  // freedom), so it is wider, not less honest.
  boots: 6,
  questions: [
    {
      title: 'One variable or all of them? Reading LD_PRELOAD against sending the whole environment, as it grows',
      scenarios: ENV_PAGES.flatMap((p) => [`env-${p}-one-var`, `env-${p}-all-vars`]),
      plot: 'env-pages',
    },
    { title: 'Ring buffer, perf buffer, or a sleepable program?', scenarios: ['ringbuf', 'perfbuf', 'sleepable'], plot: 'forest' },
    {
      title: 'Why not kprobes, fentry, tracepoints or seccomp? The same scan from other hooks, and seccomp from user space',
      scenarios: ['ringbuf', 'kprobe', 'fentry', 'tp-btf', 'tracepoint', 'seccomp-filter', 'seccomp-notify'],
      plot: 'forest',
      notes: {
        'seccomp-notify': 'the supervisor reads the strings from the stopped process before the kernel does, and another thread could change them in between (the talk\'s TOCTTOU point): it logs what it read, not what ran.',
        'seccomp-filter': 'its result depends on the syscall number alone, so the kernel precomputes it per syscall and other syscalls skip the filter: this is that fast path.',
      },
    },
    {
      title: "Audit's execve rule, or a BPF LSM program that records the same fields, record by record or in batches?",
      scenarios: ['audit-execve', 'exec-record', 'exec-record-batched'],
      plot: 'forest',
      notes: {
        'exec-record-batched': 'the program wakes its logger only past 64 KiB of records, or the logger polls every 100 ms: its records reach the file later, by the delay shown.',
      },
    },
    {
      title: 'Filtering in the kernel: the exec logger sending every exec, or only those that set LD_PRELOAD (here none do)',
      scenarios: ['exec-record-unset', 'exec-record-filtered'],
      plot: 'forest',
    },
    {
      title: 'A burst of 4 exec\'ing processes on one kernel and two vCPUs: cost and drops, audit against the BPF loggers',
      scenarios: ['burst-ringbuf-small', 'burst-perfbuf-small', 'burst-exec-record', 'burst-audit-execve'],
      plot: 'forest',
    },
    { title: "What does audit's rule list cost when no rule matches?", scenarios: AUDIT_RULES.map((n) => `audit-rules-${n}`), plot: 'rule-count' },
    { title: 'A watch or a path rule for one program, and what never,task does', scenarios: ['audit-watch-exec', 'audit-path-exec', 'audit-never-task'], plot: 'forest' },
  ],
  scenarios: [
    { name: 'vanilla', description: 'CONFIG_AUDIT=n, nothing running', kernel: 'noaudit' },
    ...ENV_PAGES.flatMap((p) => [
      { name: `env-${p}-none`, description: `${p} pages of filler environment before LD_PRELOAD, no instrumentation`, kernel: 'noaudit', workload: { envPages: p } },
      {
        name: `env-${p}-one-var`, description: `${p} pages of filler, the seed's KRSI program scanning for LD_PRELOAD`, kernel: 'noaudit',
        baseline: `env-${p}-none`, workload: { envPages: p }, bpf: [{ tool: 'krsi_ld_preload' }],
      },
      {
        name: `env-${p}-all-vars`, description: `${p} pages of filler, a KRSI program sending the whole environment, every variable logged`, kernel: 'noaudit',
        baseline: `env-${p}-none`, workload: { envPages: p }, bpf: [{ tool: 'krsi_env_vars' }],
      },
    ]),
    { name: 'ringbuf', description: "the seed's program: lsm/bprm_committed_creds, events through a ring buffer", kernel: 'noaudit', baseline: 'vanilla', bpf: [{ tool: 'krsi_ld_preload' }] },
    hook('perfbuf', 'perfbuf', 'the same scan, events through a perf event array and a perf buffer'),
    hook('sleepable', 'sleepable', 'the same scan as lsm.s/bprm_committed_creds, reading with bpf_copy_from_user_str'),
    hook('kprobe', 'kprobe', 'the same scan from a kprobe on security_bprm_committed_creds'),
    hook('fentry', 'fentry', 'the same scan from fentry on security_bprm_committed_creds'),
    hook('tp-btf', 'tp_btf', 'the same scan from tp_btf/sched_process_exec, the environment from current->mm'),
    hook('tracepoint', 'tracepoint', 'the same scan from tracepoint/sched/sched_process_exec, the environment from current->mm'),
    {
      name: 'seccomp-filter', description: 'a classic seccomp filter on execbench and its children: checks arch and execve, allows everything',
      kernel: 'noaudit', baseline: 'vanilla', seccomp: 'filter',
    },
    {
      name: 'seccomp-notify', description: 'execve answered with SECCOMP_RET_USER_NOTIF: a supervisor reads LD_PRELOAD from the stopped child, logs it and lets the exec go on',
      kernel: 'noaudit', baseline: 'vanilla', seccomp: 'notify',
    },
    {
      name: 'audit-execve', description: 'CONFIG_AUDIT=y, auditd running, the execve/execveat rules (b64 and b32), as in the seed', kernel: 'audit', baseline: 'vanilla',
      audit: { daemon: true, enable: true, rules: EXEC_RULES },
    },
    {
      name: 'exec-record', description: "a BPF LSM program recording what audit's execve rule records, each record written to the file as it comes",
      kernel: 'noaudit', baseline: 'vanilla', bpf: [{ tool: 'krsi_exec_record' }],
    },
    {
      name: 'exec-record-batched', description: 'the same, its logger woken past 64 KiB of records or every 100 ms, each batch written at once',
      kernel: 'noaudit', baseline: 'vanilla', bpf: [{ tool: 'krsi_exec_record', batch: true }],
    },
    { name: 'vanilla-unset', description: 'CONFIG_AUDIT=n, nothing running, no LD_PRELOAD in the environment', kernel: 'noaudit', baseline: 'vanilla', workload: UNSET },
    {
      name: 'exec-record-unset', description: 'no LD_PRELOAD in the environment, the exec logger sending every exec', kernel: 'noaudit', baseline: 'vanilla-unset', workload: UNSET,
      bpf: [{ tool: 'krsi_exec_record' }],
    },
    {
      name: 'exec-record-filtered', description: 'no LD_PRELOAD in the environment, the exec logger sending only execs that set it: the environment is read, nothing is sent',
      kernel: 'noaudit', baseline: 'vanilla-unset', workload: UNSET, bpf: [{ tool: 'krsi_exec_record', onlySet: true }],
    },
    { name: 'burst-audit-none', description: '4 processes exec at once on -smp 2, CONFIG_AUDIT=y, no daemon, audit not enabled', kernel: 'audit', baseline: 'vanilla', workload: BURST },
    {
      name: 'burst-ringbuf-small', description: "4 processes exec at once on -smp 2, the seed's program with a 4 KiB ring buffer (7 events)", kernel: 'audit',
      baseline: 'burst-audit-none', workload: BURST, bpf: [{ tool: 'krsi_ld_preload', bufferBytes: 4096 }],
    },
    {
      name: 'burst-perfbuf-small', description: '4 processes exec at once on -smp 2, the scan through a perf buffer of one 4 KiB page per CPU', kernel: 'audit',
      baseline: 'burst-audit-none', workload: BURST, bpf: [{ tool: 'krsi_hooks', program: 'perfbuf', bufferBytes: 4096 }],
    },
    {
      name: 'burst-exec-record', description: '4 processes exec at once on -smp 2, the exec logger with its default ring buffer', kernel: 'audit',
      baseline: 'burst-audit-none', workload: BURST, bpf: [{ tool: 'krsi_exec_record' }],
    },
    {
      name: 'burst-audit-execve', description: "4 processes exec at once on -smp 2, auditd with the execve rules and the kernel's default backlog limit (64)", kernel: 'audit',
      baseline: 'burst-audit-none', workload: BURST, audit: { daemon: true, enable: true, rules: ['-b 64', ...EXEC_RULES] },
    },
    { name: 'audit-compiled', description: 'CONFIG_AUDIT=y, no daemon, audit not enabled', kernel: 'audit' },
    ...AUDIT_RULES.map((n) => ({
      name: `audit-rules-${n}`, description: `auditd, ${n} openat rule${n > 1 ? 's' : ''} (of absent users) that no exec of nop matches`, kernel: 'audit', baseline: 'audit-compiled',
      audit: { daemon: true, enable: true, rules: unmatchedRules(n) },
    })),
    { name: 'audit-watch-exec', description: 'auditd, a watch on executing /bin/nop', kernel: 'audit', baseline: 'audit-compiled', audit: { daemon: true, enable: true, rules: ['-w /bin/nop -p x -k krsi-bench-exec'] } },
    { name: 'audit-path-exec', description: 'auditd, an execve rule filtered to path=/bin/nop', kernel: 'audit', baseline: 'audit-compiled', audit: { daemon: true, enable: true, rules: ['-a always,exit -F arch=b64 -S execve -F path=/bin/nop -k krsi-bench-exec'] } },
    { name: 'audit-never-task', description: 'auditd, -a never,task before the execve rules', kernel: 'audit', baseline: 'audit-compiled', audit: { daemon: true, enable: true, rules: ['-a never,task', ...EXEC_RULES] } },
  ],
};
