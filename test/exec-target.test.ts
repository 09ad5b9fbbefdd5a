import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { DYNAMIC_ARGS, LIBC_HOLDER, SHELL_ENV, SHELL_ENV_FILE, TARGET_PATH, targetArgv } from '../bench/guest/exec-target.ts';
import { execveRecord, initScript, passedEnvironment } from '../bench/guest/init-script.ts';
import { DEFAULT_WORKLOAD } from '../bench/matrix.ts';

const dynamic = { ...DEFAULT_WORKLOAD, target: 'dynamic' as const, ldPreload: null };
const bytes = (strings: readonly string[]) => strings.reduce((n, s) => n + s.length + 1, 0);

test('the dynamic target: six arguments and a shell environment of the sizes its comment gives', () => {
  assert.equal(DYNAMIC_ARGS.length, 6);
  assert.equal(bytes(DYNAMIC_ARGS), 93);
  assert.equal(SHELL_ENV.length, 22);
  assert.equal(bytes(SHELL_ENV), 2249);
  const ls = SHELL_ENV.find((v) => v.startsWith('LS_COLORS='))!;
  assert.equal(ls.length - 'LS_COLORS='.length, 1753);
  assert.equal(new Set(SHELL_ENV.map((v) => v.split('=')[0])).size, SHELL_ENV.length, 'a variable is set twice');
  assert.ok(!SHELL_ENV.some((v) => v.startsWith('LD_PRELOAD=')), "a shell's environment sets no LD_PRELOAD");
  // Audit hex-encodes an argument with a byte outside 0x21..0x7e or a quote: these must show as they are.
  for (const a of [TARGET_PATH.dynamic, ...DYNAMIC_ARGS]) assert.match(a, /^[\x21\x23-\x7e]+$/, a);
});

test('the EXECVE record a target\'s exec must have: argc and every argument', () => {
  assert.equal(execveRecord(DEFAULT_WORKLOAD), ': argc=1 a0="/bin/nop"');
  const r = execveRecord(dynamic);
  assert.ok(r.startsWith(': argc=7 a0="/bin/krsi-true" a1="--config" a2="/etc/krsi-bench/app.conf"'), r);
  assert.ok(r.endsWith(' a6="/srv/data/out"'), r);
  assert.deepEqual(targetArgv(dynamic), [TARGET_PATH.dynamic, ...DYNAMIC_ARGS]);
});

test('the environment passed: the shell environment in place of PATH, then LD_PRELOAD if any', () => {
  assert.deepEqual(passedEnvironment(dynamic), { vars: 22, bytes: 2249 });
  assert.deepEqual(passedEnvironment({ ...dynamic, ldPreload: '/lib/libkrsi-demo.so' }), { vars: 23, bytes: 2249 + 'LD_PRELOAD=/lib/libkrsi-demo.so'.length + 1 });
  assert.deepEqual(passedEnvironment({ ...DEFAULT_WORKLOAD, ldPreload: null }), { vars: 1, bytes: 'PATH=/bin:/sbin'.length + 1 });
});

test('initScript execs the dynamic target with its arguments and environment, and checks records against both', () => {
  const audit = { daemon: true, enable: true, rules: ['-a always,exit -F arch=b64 -S execve -k k'] };
  const script = initScript({ seed: 1, layout: 'random', workload: dynamic, audit, bpf: [{ tool: 'krsi_exec_record' }] });
  execFileSync('/bin/busybox', ['sh', '-n', '-c', script]);
  assert.match(script, new RegExp(`--env-file ${SHELL_ENV_FILE} --attribution /tmp/attribution /bin/krsi-true --config /etc/krsi-bench/app.conf --quiet --retries=3 /srv/data/input-0001.csv /srv/data/out \\)`));
  assert.ok(script.includes(`grep -cF '${execveRecord(dynamic)}'`), 'audit records are not counted with their arguments');
  assert.ok(script.includes(`"argc":7,"argv":${JSON.stringify(targetArgv(dynamic))}`), "the logger's records are not matched on argv");
  assert.ok(script.includes(`grep -F ' exe="/bin/krsi-true"'`), 'the records compared are not those of the target');
  // nop's records are matched on its argv too, and it gets no environment file.
  const nop = initScript({ seed: 1, layout: 'random', workload: DEFAULT_WORKLOAD, audit, bpf: [{ tool: 'krsi_exec_record' }] });
  assert.ok(nop.includes('"argc":1,"argv":["/bin/nop"]'));
  assert.doesNotMatch(nop, /--env-file/);
});

test('a dynamic target runs beside a process that keeps libc mapped, started before any setup and stopped after the samples', () => {
  const script = initScript({ seed: 1, layout: 'random', workload: dynamic, audit: { daemon: true, enable: true, rules: [] }, bpf: [] });
  const start = script.indexOf(`${LIBC_HOLDER} & echo $! > /tmp/hold.pid`);
  assert.ok(start > 0 && start < script.indexOf('/sbin/auditd >'), 'the holder does not start before auditd');
  assert.ok(script.indexOf('kill "$(cat /tmp/hold.pid)"') > script.indexOf('/bin/execbench -k'), 'the holder is not stopped after the samples');
  assert.doesNotMatch(initScript({ seed: 1, layout: 'random', workload: DEFAULT_WORKLOAD, audit: null, bpf: [] }), /krsi-hold/);
});
