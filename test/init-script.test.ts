import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { initScript, SETTLE_SECONDS, shq } from '../bench/guest/init-script.ts';
import { DEFAULT_WORKLOAD } from '../bench/matrix.ts';
import { crngSeedHex } from '../bench/guest/crng-seed.ts';

const audit = { daemon: true, enable: true, rules: ['-a always,exit -F arch=b64 -S execve,execveat -k k'] };

/** Each marker is in the script, each after the one before it. */
function inOrder(script: string, markers: string[]): void {
  let from = 0;
  for (const m of markers) {
    const at = script.indexOf(m, from);
    assert.ok(at >= 0, `"${m.trim()}" is in the script after "${script.slice(Math.max(0, from - 40), from).trim()}"`);
    from = at + m.length;
  }
}

test('initScript writes sh that busybox parses, for every kind of scenario', () => {
  for (const setup of [{ audit: null, bpf: [] }, { audit, bpf: [] }, { audit: { ...audit, plugins: ['syslog'] }, bpf: [] }, { audit: null, bpf: [{ tool: 'krsi_ld_preload' }] }]) {
    const script = initScript({ seed: 42, layout: 'random', workload: DEFAULT_WORKLOAD, ...setup });
    execFileSync('/bin/busybox', ['sh', '-n', '-c', script]);
    assert.ok(script.startsWith('#!/bin/sh\n'));
  }
});

test('initScript sets up exactly what the scenario asks for', () => {
  const plain = initScript({ seed: 42, layout: 'random', workload: DEFAULT_WORKLOAD, audit: null, bpf: [] });
  assert.doesNotMatch(plain, /\/sbin\/auditd >|auditctl -e 1|krsi_ld_preload -o/);
  assert.match(plain, /\/bin\/execbench -k 100 -n 4 -w 1 --warmup-max 1 --warmup-tol 0.5 --env-pages 0 --ld-preload '\/lib\/libkrsi-demo.so' --attribution \/tmp\/attribution \/bin\/nop/);
  // Every boot reports the kernel's accounting; only a profiling boot turns BPF statistics on and reports its symbols.
  assert.match(plain, /^sed 's\/\^\/attr \/' \/tmp\/attribution >> \$P$/m);
  assert.doesNotMatch(plain, /--bpf-stats|\/proc\/kallsyms/);
  const profiled = initScript({ seed: 42, layout: 'random', workload: DEFAULT_WORKLOAD, audit: null, bpf: [], profile: true });
  assert.match(profiled, /--attribution \/tmp\/attribution --bpf-stats \/bin\/nop/);
  assert.match(profiled, /\/proc\/kallsyms/);

  const a = initScript({ seed: 43, layout: 'random', workload: { ...DEFAULT_WORKLOAD, ldPreload: null }, audit, bpf: [] });
  assert.match(a, /^\/sbin\/auditd > /m);
  assert.match(a, /auditctl -e 1/);
  assert.match(a, /auditctl -a always,exit -F arch=b64 -S execve,execveat -k k /);
  assert.match(a, /--no-ld-preload/);
  assert.match(a, /KRSI-BENCH BEGIN 43"/);
  assert.doesNotMatch(a, /audit-execve/, 'the guest is not told the scenario name');
  // Setup before the workload, counting after it.
  inOrder(a, ['auditctl -e 1', '/bin/execbench', 'audit_exec_records']);

  const k = initScript({ seed: 42, layout: 'random', workload: DEFAULT_WORKLOAD, audit: null, bpf: [{ tool: 'krsi_ld_preload' }] });
  // The workload starts only once the program is attached.
  inOrder(k, ['loaded krsi_ld_preload', '/bin/execbench']);
  // The guest idles after the last setup step, just before the workload.
  for (const [script, lastSetup] of [[plain, '/bin/seedrng'], [a, 'rules=1'], [k, 'krsi_ld_preload attached']] as const) {
    inOrder(script, [lastSetup, `\nsleep ${SETTLE_SECONDS}\n`, '/bin/execbench -k']);
  }
  assert.match(k, /grep -cF '"ld_preload":"\/lib\/libkrsi-demo.so"'/);
});

test('initScript makes the kernel CRNG ready before any scenario setup, and a failure ends the boot', () => {
  const setups = [
    { audit: null, bpf: [], first: '/bin/execbench' },
    { audit, bpf: [], first: '/sbin/auditd >' },
    { audit: null, bpf: [{ tool: 'krsi_ld_preload' }], first: '/bin/krsi_ld_preload' },
  ];
  for (const { first, ...setup } of setups) {
    const script = initScript({ seed: 42, layout: 'random', workload: DEFAULT_WORKLOAD, ...setup });
    inOrder(script, ['KRSI-BENCH BEGIN', '/bin/seedrng', first]);
    assert.match(script, new RegExp(`^/bin/seedrng ${crngSeedHex(42)} 2> /tmp/seedrng\\.err \\|\\| fail `, 'm'));
  }
});

test('shq quotes anything for sh', () => {
  const nasty = `it's "$(x)" \`y\``;
  assert.equal(execFileSync('/bin/busybox', ['sh', '-c', `printf %s ${shq(nasty)}`]).toString(), nasty);
});

test('initScript: a random layout credits bytes derived from the seed, a fixed one the fixed bytes', () => {
  const random = (seed: number) => initScript({ seed, layout: 'random', workload: DEFAULT_WORKLOAD, audit: null, bpf: [] });
  assert.notEqual(random(42), random(43));
  assert.equal(random(42), random(42));
  const fixed = initScript({ seed: 42, layout: 'fixed', workload: DEFAULT_WORKLOAD, audit: null, bpf: [] });
  assert.match(fixed, /^\/bin\/seedrng 2> \/tmp\/seedrng\.err/m);
  assert.doesNotMatch(fixed, /seedrng [0-9a-f]{64}/);
});

test('initScript makes the disk, puts the program and the audit log on it before any setup, and runs the workload where systemd runs a service', () => {
  const withDisk = initScript({ seed: 42, layout: 'random', workload: DEFAULT_WORKLOAD, audit, bpf: [], disk: true });
  execFileSync('/bin/busybox', ['sh', '-n', '-c', withDisk]);
  inOrder(withDisk, [
    '/sbin/mke2fs -q -F -t ext4 -T default', ' /dev/ram0 ', '|| fail "cannot make the guest disk',
    'mount -t ext4 -o relatime /dev/ram0 /disk', '|| fail "cannot mount the guest disk',
    'cp -a /bin/. /disk/bin/', 'mount --bind /disk/bin /bin', 'mount --bind /disk/var/log/audit /var/log/audit', 'sync',
    'echo +$c > $1/cgroup.subtree_control', 'mkdir /sys/fs/cgroup/system.slice/krsi-bench.service',
    '/sbin/auditd', 'echo 0 > /sys/fs/cgroup/system.slice/krsi-bench.service/cgroup.procs && exec /bin/execbench',
    'info auditlog',
  ]);
  assert.doesNotMatch(withDisk, /mount -t tmpfs tmpfs \/var\/log\/audit/);
  const noDisk = initScript({ seed: 42, layout: 'random', workload: DEFAULT_WORKLOAD, audit, bpf: [] });
  assert.match(noDisk, /mount -t tmpfs tmpfs \/var\/log\/audit/);
  assert.doesNotMatch(noDisk, /mke2fs|\/dev\/ram0/);
});

test('initScript starts syslogd before auditd for the syslog plugin, lets it catch up before auditd stops, and counts what reached it', () => {
  const script = initScript({ seed: 42, layout: 'random', workload: DEFAULT_WORKLOAD, audit: { ...audit, plugins: ['syslog'] }, bpf: [], disk: true });
  inOrder(script, [
    'syslogd -n -O /disk/var/log/syslog', 'syslogd_ready', '/sbin/auditd', '/bin/execbench',
    'syslog_caught_up', 'kill -TERM "$(pidof auditd)"', 'count audit_syslog_exec_records', 'kill "$(cat /tmp/syslogd.pid)"',
  ]);
  assert.ok(!initScript({ seed: 42, layout: 'random', workload: DEFAULT_WORKLOAD, audit, bpf: [], disk: true }).includes('syslogd'));
});

