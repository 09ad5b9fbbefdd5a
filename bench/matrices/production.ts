/**
 * The built-in matrix `production`: what a fleet runs. A kernel with audit
 * compiled in and AppArmor enabled as Debian ships them, the realistic exec
 * target (a dynamic program with arguments and a shell's environment), and
 * against a vanilla of that kernel as a fresh install runs it (no auditd):
 * auditd as packaged with the compliance rule sets of Debian's auditd package,
 * loaded with the files each set's header names; the BPF LSM logger of
 * audit's exec record fields; and the two at once. Two more pairs measure
 * AppArmor itself, on the same kernel built without it: with the realistic
 * target, and with the talk's nop beside the seed figures.
 */

const EXEC_RULES = ['-a always,exit -F arch=b64 -S execve,execveat -k krsi-bench-exec', '-a always,exit -F arch=b32 -S execve,execveat -k krsi-bench-exec'];

/** Each set with the files its header (or README-rules) says it goes with, in augenrules' order. */
const RULE_SETS = {
  stig: ['10-base-config.rules', '30-stig.rules', '31-privileged.rules', '99-finalize.rules'],
  ospp: [
    '10-base-config.rules', '11-loginuid.rules',
    '30-ospp-v42-1-create-failed.rules', '30-ospp-v42-1-create-success.rules',
    '30-ospp-v42-2-modify-failed.rules', '30-ospp-v42-2-modify-success.rules',
    '30-ospp-v42-3-access-failed.rules', '30-ospp-v42-3-access-success.rules',
    '30-ospp-v42-4-delete-failed.rules', '30-ospp-v42-4-delete-success.rules',
    '30-ospp-v42-5-perm-change-failed.rules', '30-ospp-v42-5-perm-change-success.rules',
    '30-ospp-v42-6-owner-change-failed.rules', '30-ospp-v42-6-owner-change-success.rules',
    '30-ospp-v42.rules',
  ],
  'pci-dss': ['10-base-config.rules', '30-pci-dss-v31.rules', '99-finalize.rules'],
};
const packaged = (files: string[]) => files.map((f) => `auditd:${f}`);

/** The shell's environment sets no LD_PRELOAD. */
const SHELL = { target: 'dynamic', ldPreload: null };
const auditd = (files: string[]) => ({ daemon: true, enable: true, rulesFiles: packaged(files) });

export default {
  name: 'production',
  description: 'What a fleet runs: audit compiled in and AppArmor enabled, a dynamic program with arguments and a shell\'s environment, under auditd with the compliance rule sets of Debian\'s auditd package and under the BPF LSM exec logger',
  baseline: 'vanilla',
  kernels: {
    production: { extends: 'audit', fragments: ['compat-time.config', 'apparmor.config'] },
    'production-no-apparmor': { extends: 'audit', fragments: ['compat-time.config'] },
  },
  boots: 4,
  questions: [
    {
      title: 'What does each compliance rule set cost per exec, against the BPF logger of the same exec?',
      scenarios: ['auditd', 'stig', 'ospp', 'pci-dss', 'audit-execve', 'exec-record', 'stig-exec-record'],
      plot: 'forest',
    },
    { title: 'What does forwarding every exec record to syslog add, over logging it to a file?', scenarios: ['audit-execve-syslog'], plot: 'forest' },
    { title: 'What does AppArmor, enabled with no policy, add to exec?', scenarios: ['apparmor', 'apparmor-nop'], plot: 'forest' },
  ],
  scenarios: [
    { name: 'vanilla', description: 'audit compiled in, AppArmor enabled, no auditd: a fresh install', kernel: 'production', workload: SHELL },
    { name: 'auditd', description: 'auditd as packaged, with its base configuration and no rules', kernel: 'production', workload: SHELL, audit: auditd(['10-base-config.rules']) },
    { name: 'stig', description: 'auditd with the STIG rule set', kernel: 'production', workload: SHELL, audit: auditd(RULE_SETS.stig) },
    { name: 'ospp', description: 'auditd with the OSPP v4.2 rule set', kernel: 'production', workload: SHELL, audit: auditd(RULE_SETS.ospp) },
    { name: 'pci-dss', description: 'auditd with the PCI-DSS v3.1 rule set', kernel: 'production', workload: SHELL, audit: auditd(RULE_SETS['pci-dss']) },
    { name: 'audit-execve', description: 'auditd with the seed\'s execve rules: every exec logged', kernel: 'production', workload: SHELL, audit: { daemon: true, enable: true, rules: EXEC_RULES } },
    {
      name: 'audit-execve-syslog', description: 'the seed\'s execve rules with auditd\'s syslog plugin on: every record also sent to syslog, as fleets forward audit to a collector',
      kernel: 'production', workload: SHELL, audit: { daemon: true, enable: true, rules: EXEC_RULES, plugins: ['syslog'] }, baseline: 'audit-execve',
    },
    { name: 'exec-record', description: 'the BPF LSM logger of audit\'s exec record fields, no auditd', kernel: 'production', workload: SHELL, bpf: [{ tool: 'krsi_exec_record' }] },
    {
      name: 'stig-exec-record', description: 'auditd with the STIG rule set and the BPF LSM exec logger at once, as a fleet migrating runs them', kernel: 'production', workload: SHELL,
      audit: auditd(RULE_SETS.stig), bpf: [{ tool: 'krsi_exec_record' }],
    },
    { name: 'no-apparmor', description: 'the same kernel built without AppArmor, no auditd', kernel: 'production-no-apparmor', workload: SHELL },
    // vanilla again, against the kernel without AppArmor: one guest, reported twice (run.json sameGuestAs).
    { name: 'apparmor', description: 'AppArmor enabled, no policy: every task unconfined', kernel: 'production', workload: SHELL, baseline: 'no-apparmor' },
    { name: 'no-apparmor-nop', description: 'the talk\'s nop, on the kernel without AppArmor', kernel: 'production-no-apparmor' },
    { name: 'apparmor-nop', description: 'the talk\'s nop, with AppArmor enabled, no policy', kernel: 'production', baseline: 'no-apparmor-nop' },
  ],
};
