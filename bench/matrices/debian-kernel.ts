/**
 * The built-in matrix `debian-kernel`: the seed's setups on Debian's own
 * kernel configuration (the `debian` variant: linux-config-6.12's
 * cloud-amd64, modules left out) beside the same setups on the suite's
 * kernels, to check the suite's base against what Debian ships. Debian's
 * kernel has audit compiled in and AppArmor enabled, so its vanilla is a
 * fresh install's (no auditd) and is compared with the production kernel's
 * (the seed's audit kernel with AppArmor); the overheads are each taken
 * against the vanilla of their own kernel. A third kernel is the suite's at
 * -O2 (performance.config), as Debian compiles, to see how much of the
 * difference the suite's -Os makes. Building the debian kernel takes about
 * 35 minutes here (docs/requirements.md).
 */

const EXEC_RULES = ['-a always,exit -F arch=b64 -S execve,execveat -k krsi-bench-exec', '-a always,exit -F arch=b32 -S execve,execveat -k krsi-bench-exec'];

const setups = (kernel: string, suffix: string) => [
  { name: `vanilla-${suffix}`, description: `kernel ${kernel}, no auditd`, kernel },
  { name: `audit-execve-${suffix}`, description: `kernel ${kernel}, auditd with the execve rules`, kernel, baseline: `vanilla-${suffix}`, audit: { daemon: true, enable: true, rules: EXEC_RULES } },
  { name: `krsi-ld-preload-${suffix}`, description: `kernel ${kernel}, the BPF LSM program logging LD_PRELOAD`, kernel, baseline: `vanilla-${suffix}`, bpf: [{ tool: 'krsi_ld_preload' }] },
];

export default {
  name: 'debian-kernel',
  description: "The seed's setups on Debian's own kernel configuration, beside the suite's kernel with audit and AppArmor",
  baseline: 'vanilla-suite',
  kernels: {
    production: { extends: 'audit', fragments: ['compat-time.config', 'apparmor.config'] },
    'production-o2': { extends: 'audit', fragments: ['compat-time.config', 'apparmor.config', 'performance.config'] },
  },
  boots: 4,
  questions: [
    { title: "Is the suite's kernel close to Debian's? Debian's vanilla against the suite's", scenarios: ['vanilla-debian'], plot: 'forest' },
    { title: 'And the overheads, each against the vanilla of its own kernel', scenarios: ['audit-execve-suite', 'audit-execve-debian', 'krsi-ld-preload-suite', 'krsi-ld-preload-debian', 'audit-execve-suite-o2', 'krsi-ld-preload-suite-o2'], plot: 'forest' },
    { title: "Is it the suite's -Os? The suite's kernel at -O2 against it, and Debian's against the suite's at -O2", scenarios: ['vanilla-suite-o2', 'vanilla-debian-vs-o2'], plot: 'forest' },
  ],
  scenarios: [
    ...setups('production', 'suite'), ...setups('debian', 'debian'), ...setups('production-o2', 'suite-o2'),
    // Debian's vanilla again, against the suite's kernel at -O2: one guest, reported twice (run.json sameGuestAs).
    { name: 'vanilla-debian-vs-o2', description: 'kernel debian, no auditd, against the suite\'s kernel at -O2', kernel: 'debian', baseline: 'vanilla-suite-o2' },
  ],
};
