/**
 * The built-in matrix `kernel-ladder`: from the seed's first base (tinyconfig
 * and base.config) to the kernel the seed now runs on, one group of options
 * at a time (kernels/fragments/, each group one file). Each rung measures
 * vanilla, audit's execve rules and the LD_PRELOAD program, the last two
 * against the vanilla of their own kernel, so that it shows what each group
 * does to exec and to each overhead. Two more rungs boot the last kernel with
 * the run-time choices docs/methodology.md ("The kernel") discusses turned
 * off: the zeroing of every allocation, and CPU mitigations.
 */

import { BASE_FRAGMENTS } from '../../kernels/variants.ts';

const RUNGS: { name: string; fragment?: string; what: string }[] = [
  { name: 'tiny', what: 'the first base: tinyconfig and base.config' },
  { name: 'sched', fragment: 'sched.config', what: '+ SMP, voluntary preemption, tickless, rseq' },
  { name: 'codegen', fragment: 'codegen.config', what: '+ jump labels and the ORC unwinder' },
  { name: 'lsm', fragment: 'lsm.config', what: '+ landlock, lockdown and yama beside bpf' },
  { name: 'services', fragment: 'services.config', what: '+ cgroups with memcg, namespaces, IPC, fsnotify, THP' },
  { name: 'hardening', fragment: 'hardening.config', what: '+ stack protector, usercopy checks, kstack offset, fortify, mitigations' },
  { name: 'disk', fragment: 'disk.config', what: '+ a block layer, a RAM disk with ext4, swap (the seed kernels)' },
];

/** Booted on the last rung's kernel: each changes one run-time default. */
const BOOT_RUNGS = [
  { name: 'no-init-on-alloc', kernelArgs: ['init_on_alloc=0'], what: 'the seed kernel without zeroing every allocation (init_on_alloc=0; Debian\'s default is 1)' },
  { name: 'mitigations-off', kernelArgs: ['mitigations=off'], what: 'the seed kernel with CPU mitigations off' },
];

const EXEC_RULES = ['-a always,exit -F arch=b64 -S execve,execveat -k krsi-bench-exec', '-a always,exit -F arch=b32 -S execve,execveat -k krsi-bench-exec'];

const fragmentsUpTo = (i: number) => ['base.config', ...RUNGS.slice(0, i + 1).flatMap((r) => (r.fragment ? [r.fragment] : []))];

// The last rung is the seed kernels' base: it runs on the built-in noaudit and audit kernels themselves.
if (fragmentsUpTo(RUNGS.length - 1).join() !== BASE_FRAGMENTS.join()) throw new Error('kernel-ladder: its last rung is not the seed kernels\' base (kernels/variants.ts)');
const kernelOf = (audit: 'noaudit' | 'audit', i: number) => (i === RUNGS.length - 1 ? audit : `${audit}-${RUNGS[i]!.name}`);

const kernels = Object.fromEntries(
  RUNGS.slice(0, -1).flatMap((r, i) => [
    [kernelOf('noaudit', i), { fragments: [...fragmentsUpTo(i), 'noaudit.config'] }],
    [kernelOf('audit', i), { fragments: [...fragmentsUpTo(i), 'audit.config'] }],
  ]),
);

/** A rung's three scenarios: its vanilla, and audit and the program against that vanilla. */
function rung(name: string, i: number, what: string, kernelArgs?: string[]) {
  const boot = kernelArgs ? { kernelArgs } : {};
  return [
    { name: `vanilla-${name}`, description: `${what}; CONFIG_AUDIT=n, nothing running`, kernel: kernelOf('noaudit', i), ...boot },
    {
      name: `audit-execve-${name}`, description: `${what}; auditd with the execve rules`, kernel: kernelOf('audit', i), baseline: `vanilla-${name}`, ...boot,
      audit: { daemon: true, enable: true, rules: EXEC_RULES },
    },
    {
      name: `krsi-${name}`, description: `${what}; the BPF LSM program logging LD_PRELOAD`, kernel: kernelOf('noaudit', i), baseline: `vanilla-${name}`, ...boot,
      bpf: [{ tool: 'krsi_ld_preload' }],
    },
  ];
}

const allRungs = [...RUNGS.map((r) => r.name), ...BOOT_RUNGS.map((r) => r.name)];

export default {
  name: 'kernel-ladder',
  description: 'From the first tinyconfig base to the kernel the seed runs on, one group of options at a time: what each does to exec and to the overheads of audit and the BPF LSM program',
  baseline: 'vanilla-tiny',
  kernels,
  boots: 4,
  questions: [
    { title: 'What does each group of options do to exec? Each rung\'s vanilla against the first base', scenarios: allRungs.slice(1).map((r) => `vanilla-${r}`), plot: 'forest' },
    { title: 'What does it do to audit\'s execve rules? Each against the vanilla of its own kernel', scenarios: [...allRungs.map((r) => `audit-execve-${r}`), 'audit-execve-raw'], plot: 'forest' },
    { title: 'And to the BPF LSM program? Each against the vanilla of its own kernel', scenarios: allRungs.map((r) => `krsi-${r}`), plot: 'forest' },
  ],
  scenarios: [
    ...RUNGS.flatMap((r, i) => rung(r.name, i, r.what)),
    ...BOOT_RUNGS.flatMap((r) => rung(r.name, RUNGS.length - 1, r.what, r.kernelArgs)),
    // What auditd as Debian ships it adds beside the kernel: the seed's execve rules with the log format the
    // suite used before (RAW, no interpretation of ids and names), on the same disk.
    {
      name: 'audit-execve-raw', description: 'the seed kernel; auditd with the execve rules and log_format = RAW', kernel: 'audit', baseline: 'vanilla-disk',
      audit: { daemon: true, enable: true, rules: EXEC_RULES, auditdConf: { log_format: 'RAW' } },
    },
  ],
};
