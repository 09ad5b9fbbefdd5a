import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BenchError } from '../lib/errors.ts';
import { loadMatrix, validateMatrix } from '../bench/matrix.ts';

test('loadMatrix reads the seed matrix: six scenarios on two kernels, vanilla as baseline', async () => {
  const m = await loadMatrix('seed');
  assert.deepEqual(m.scenarios.map((s) => [s.name, s.kernel]), [
    ['vanilla', 'noaudit'], ['audit-compiled', 'audit'], ['audit-no-rules', 'audit'], ['audit-execve', 'audit'], ['krsi-ld-preload', 'noaudit'], ['krsi-exec-record', 'noaudit'],
  ]);
  assert.equal(m.baseline, 'vanilla');
  assert.equal(m.scenarios[1]!.audit, null);
  assert.deepEqual(m.scenarios[2]!.audit, { daemon: true, enable: true, rules: [] });
  assert.equal(m.scenarios[3]!.audit!.rules.length, 2);
  assert.deepEqual(m.scenarios[4]!.bpf, [{ tool: 'krsi_ld_preload' }]);
  assert.deepEqual(m.scenarios[5]!.bpf, [{ tool: 'krsi_exec_record' }]);
});

function writeMatrix(dir: string, name: string, m: unknown): string {
  writeFileSync(join(dir, name), JSON.stringify(m));
  return join(dir, name);
}

function problem(raw: unknown, dir = '/nonexistent'): string {
  try {
    validateMatrix(raw, 'm.json', dir);
  } catch (err) {
    assert.ok(err instanceof BenchError);
    assert.equal(err.exitCode, 2);
    return err.message;
  }
  assert.fail('matrix was accepted');
}

test('validateMatrix names the field that is wrong', () => {
  const ok = { name: 'x', kernel: 'noaudit' };
  assert.match(problem([]), /\(top\): must be an object/);
  assert.match(problem({ scenarios: [] }), /scenarios: must be a non-empty array/);
  assert.match(problem({ scenarios: [ok], extra: 1 }), /matrix\.extra: unknown field/);
  assert.match(problem({ scenarios: [{ name: 'x', kernel: 'nope' }] }), /scenarios\[0\]\.kernel: unknown kernel "nope" \(known: noaudit, audit, debian\)/);
  assert.match(problem({ scenarios: [ok, ok] }), /scenarios\[1\]\.name: "x" is used twice/);
  assert.match(problem({ scenarios: [{ name: 'Bad Name', kernel: 'audit' }] }), /scenarios\[0\]\.name/);
  assert.match(problem({ scenarios: [{ ...ok, workload: { execs: 0 } }] }), /scenarios\[0\]\.workload\.execs: must be a whole number from 1/);
  assert.match(problem({ scenarios: [{ ...ok, workload: { envPages: 33 } }] }), /workload\.envPages: must be a whole number from 0 to 32/);
  assert.match(problem({ scenarios: [{ ...ok, bpf: [{ tool: 'x' }] }] }), /scenarios\[0\]\.bpf\[0\]\.tool: unknown BPF tool "x"/);
  assert.match(problem({ scenarios: [{ name: 'a', kernel: 'audit', audit: { rules: ['-a always,exit; rm -rf /'] } }] }), /scenarios\[0\]\.audit\.rules\[0\]: must be an auditctl rule/);
  assert.match(problem({ scenarios: [{ ...ok, bpf: [{ source: 'x.bpf.c', object: 'y.bpf.o' }] }] }), /bpf\[0\]: needs exactly one of "tool", "source"/);
  assert.match(problem({ scenarios: [{ ...ok, bpf: [{ source: 'x.c' }] }] }), /bpf\[0\]\.source: must name a \.bpf\.c file/);
  assert.match(problem({ scenarios: [{ ...ok, bpf: [{ object: 'missing.bpf.o' }] }] }), /bpf\[0\]\.object: no such file \/nonexistent\/missing\.bpf\.o/);
  assert.match(problem({ scenarios: [{ name: 'a', kernel: 'audit', audit: { daemon: false, rules: ['-a always,exit -S execve'] } }] }), /rules need daemon and enable/);
  assert.match(problem({ scenarios: [ok], baseline: 'y' }), /baseline: "y" is not one of the scenarios/);
  assert.match(problem({ scenarios: [ok, { name: 'y', kernel: 'noaudit', baseline: 'z' }] }), /scenarios\[1\]\.baseline: "z" is not one of the scenarios/);
  assert.match(problem({ scenarios: [ok, { name: 'y', kernel: 'noaudit', baseline: 'y' }] }), /scenarios\[1\]\.baseline: "y" cannot be its own baseline/);
  assert.match(problem({ scenarios: [ok], kernels: { k: { fragments: ['missing.config'] } } }), /kernels\.k\.fragments\[0\]: no such file/);
  // The loggers' options, each for the tools that have it.
  const tool = (b: object) => problem({ scenarios: [{ ...ok, bpf: [b] }] });
  assert.match(tool({ tool: 'krsi_hooks', program: 'kprobe', onlySet: true }), /bpf\[0\]\.onlySet: is for krsi_ld_preload, krsi_exec_record/);
  assert.match(tool({ tool: 'krsi_ld_preload', onlySet: 'yes' }), /bpf\[0\]\.onlySet: must be true or false/);
  assert.match(tool({ tool: 'krsi_ld_preload', maxSteps: 0 }), /bpf\[0\]\.maxSteps: must be a whole number from 1 to 8388608/);
  assert.match(tool({ tool: 'krsi_env_vars', maxSteps: 10 }), /bpf\[0\]\.maxSteps: is for krsi_ld_preload/);
  assert.match(tool({ tool: 'krsi_ld_preload', batch: true }), /bpf\[0\]\.batch: is for krsi_exec_record/);
  // The workload's environment and exec call.
  assert.match(problem({ scenarios: [{ ...ok, workload: { execCall: 'fexecve' } }] }), /workload\.execCall: must be "execve" or "execveat", not "fexecve"/);
  assert.match(problem({ scenarios: [{ ...ok, workload: { tinyVars: 100001 } }] }), /workload\.tinyVars: must be a whole number from 0 to 100000/);
  assert.match(problem({ scenarios: [{ ...ok, workload: { ldPreloadDecoy: null } }] }), /workload\.ldPreloadDecoy: must be a path/);
  assert.match(problem({ scenarios: [{ ...ok, workload: { ldPreloadDecoy: 'a b' } }] }), /workload\.ldPreloadDecoy: must be null or a path/);
});

test('loadMatrix reads a user file with its own kernel fragments and rejects bad JSON with the file name', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'krsi-matrix-'));
  writeFileSync(join(dir, 'extra.config'), 'CONFIG_AUDIT=y\n');
  writeFileSync(join(dir, 'm.json'), JSON.stringify({
    kernels: { mine: { fragments: ['extra.config'] } },
    scenarios: [{ name: 'base', kernel: 'noaudit' }, { name: 'mine', kernel: 'mine', workload: { envPages: 32, ldPreload: null } }],
  }));
  const m = await loadMatrix(join(dir, 'm.json'));
  assert.equal(m.baseline, 'base');
  assert.deepEqual(m.kernels.mine!.fragments, [join(dir, 'extra.config')]);
  assert.deepEqual(m.scenarios[1]!.workload, { envPages: 32, ldPreload: null });
  writeFileSync(join(dir, 'mine.bpf.c'), '// a program\n');
  writeFileSync(join(dir, 'watch.rules'), '# comment\n\n-w /bin/nop -p x -k k\n-a always,exit -S execve\n');
  writeFileSync(join(dir, 'bad.rules'), '-w /bin/nop -p x\nrm -rf /\n');
  const withTools = await loadMatrix(writeMatrix(dir, 'tools.json', {
    scenarios: [{ name: 'a', kernel: 'audit', audit: { rulesFile: 'watch.rules' }, bpf: [{ source: 'mine.bpf.c', programs: ['log_exec'] }] }],
  }));
  assert.deepEqual(withTools.scenarios[0]!.audit!.rules, ['-w /bin/nop -p x -k k', '-a always,exit -S execve']);
  assert.deepEqual(withTools.scenarios[0]!.bpf, [{ name: 'mine', path: join(dir, 'mine.bpf.c'), compile: true, programs: ['log_exec'] }]);
  await assert.rejects(loadMatrix(writeMatrix(dir, 'badrules.json', { scenarios: [{ name: 'a', kernel: 'audit', audit: { rulesFile: 'bad.rules' } }] })), /audit\.rulesFile \(bad\.rules line 2\): must be an auditctl rule/);
  writeFileSync(join(dir, 'm.ts'), "const matrix = { name: 'typed', scenarios: [{ name: 'v', kernel: 'noaudit', workload: { samples: 5 } }] };\nexport default matrix;\n");
  const typed = await loadMatrix(join(dir, 'm.ts'));
  assert.equal(typed.name, 'typed');
  assert.deepEqual(typed.scenarios[0]!.workload, { samples: 5 });
  writeFileSync(join(dir, 'bad.json'), '{"scenarios": [');
  await assert.rejects(loadMatrix(join(dir, 'bad.json')), /matrix .*bad\.json: not valid JSON/);
  await assert.rejects(loadMatrix('no-such-matrix'), /no such built-in matrix or file/);
});

test('a scenario may add kernel arguments, one word each, none of those the suite sets', () => {
  const s = (kernelArgs: unknown) => ({ scenarios: [{ name: 'a', kernel: 'noaudit', kernelArgs }] });
  assert.deepEqual(validateMatrix(s(['init_on_alloc=1', 'mitigations=off']), 'm.json', '/nonexistent').scenarios[0]!.kernelArgs, ['init_on_alloc=1', 'mitigations=off']);
  assert.match(problem(s([])), /scenarios\[0\]\.kernelArgs: must be a non-empty array/);
  assert.match(problem(s(['a b'])), /kernelArgs\[0\]: "a b" is not one kernel argument/);
  assert.match(problem(s(['x="1"'])), /kernelArgs\[0\]: .* is not one kernel argument/);
  assert.match(problem(s(['ok=1', 'console=ttyS1'])), /kernelArgs\[1\]: "console" is set by the suite/);
  assert.equal(validateMatrix({ scenarios: [{ name: 'a', kernel: 'noaudit' }] }, 'm.json', '/nonexistent').scenarios[0]!.kernelArgs, undefined);
});

test('auditdConf takes settings of auditd.conf for a scenario that starts auditd', () => {
  const s = (audit: unknown) => ({ scenarios: [{ name: 'a', kernel: 'audit', audit }] });
  const m = validateMatrix(s({ auditdConf: { log_format: 'RAW', freq: 20 } }), 'm.json', '/nonexistent');
  assert.deepEqual(m.scenarios[0]!.audit!.auditdConf, { log_format: 'RAW', freq: '20' });
  assert.match(problem(s({ auditdConf: { log_fromat: 'RAW' } })), /audit\.auditdConf\.log_fromat: not a setting of auditd\.conf/);
  assert.match(problem(s({ auditdConf: { flush: 'NONE\nwrite_logs = no' } })), /audit\.auditdConf\.flush: must be one word/);
  assert.match(problem(s({ auditdConf: {} })), /audit\.auditdConf: must be an object of auditd\.conf settings/);
  assert.match(problem(s({ daemon: false, enable: true, auditdConf: { flush: 'NONE' } })), /audit\.auditdConf: is for auditd: it needs daemon true/);
});

test('plugins turns on packaged auditd plugins the guest can run, and refuses the rest with the reason', () => {
  const s = (audit: unknown) => ({ scenarios: [{ name: 'a', kernel: 'audit', audit }] });
  assert.deepEqual(validateMatrix(s({ plugins: ['syslog'] }), 'm.json', '/nonexistent').scenarios[0]!.audit!.plugins, ['syslog']);
  assert.equal(validateMatrix(s({}), 'm.json', '/nonexistent').scenarios[0]!.audit!.plugins, undefined);
  assert.match(problem(s({ plugins: ['af_unix'] })), /audit\.plugins\[0\]: auditd's plugin "af_unix" is not supported: its records go to a socket/);
  assert.match(problem(s({ plugins: ['sylog'] })), /audit\.plugins\[0\]: "sylog" is not a plugin of auditd's package \(known: syslog\)/);
  assert.match(problem(s({ plugins: ['syslog', 'syslog'] })), /audit\.plugins\[1\]: "syslog" is named twice/);
  assert.match(problem(s({ plugins: [] })), /audit\.plugins: must be a non-empty array/);
  assert.match(problem(s({ plugins: 'syslog' })), /audit\.plugins: must be a non-empty array/);
  assert.match(problem(s({ daemon: false, enable: true, plugins: ['syslog'] })), /audit\.plugins: are started by auditd: they need daemon true/);
});

test("a matrix's kernel may extend a built-in one: its fragments first, then the kernel's own", () => {
  const dir = mkdtempSync(join(tmpdir(), 'krsi-extends-'));
  writeFileSync(join(dir, 'more.config'), 'CONFIG_BPF_JIT_ALWAYS_ON=y\n');
  const m = (kernels: unknown) => ({ kernels, scenarios: [{ name: 'a', kernel: 'k' }] });
  const k = validateMatrix(m({ k: { extends: 'noaudit', fragments: ['more.config'] } }), 'm.json', dir).kernels.k!;
  const noaudit = validateMatrix(m({ k: { extends: 'noaudit' } }), 'm.json', dir).kernels;
  assert.deepEqual(k.fragments, [...noaudit.noaudit!.fragments, join(dir, 'more.config')]);
  assert.deepEqual(noaudit.k!.fragments, noaudit.noaudit!.fragments);
  assert.throws(() => validateMatrix(m({ k: { extends: 'vanilla' } }), 'm.json', dir), /kernels\.k\.extends: "vanilla" is not a built-in kernel \(built in: noaudit, audit, debian\)/);
  assert.throws(() => validateMatrix(m({ k: {} }), 'm.json', dir), /kernels\.k\.fragments: must be a non-empty array/);
});

test('rulesFiles: rules and control lines from several files, each rule with its file and line; operators kept, quotes refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'krsi-rulesfiles-'));
  writeFileSync(join(dir, '10-base.rules'), '## base\n-D\n-b 8192\n--backlog_wait_time 60000\n');
  writeFileSync(join(dir, '30-set.rules'), '# set\n\n-a always,exit -F arch=b64 -S openat -F auid>=1000 -F  a2&03 -k x\n-w /etc/passwd -p wa\n');
  const s = (audit: unknown) => ({ scenarios: [{ name: 'a', kernel: 'audit', audit }] });
  const a = validateMatrix(s({ rulesFiles: ['10-base.rules', '30-set.rules'] }), 'm.json', dir).scenarios[0]!.audit!;
  assert.deepEqual(a.rules, ['-D', '-b 8192', '--backlog_wait_time 60000', '-a always,exit -F arch=b64 -S openat -F auid>=1000 -F a2&03 -k x', '-w /etc/passwd -p wa']);
  assert.deepEqual(a.origins, ['10-base.rules line 2', '10-base.rules line 3', '10-base.rules line 4', '30-set.rules line 3', '30-set.rules line 4']);
  // Inline rules before them have no origin; without files there is none at all.
  assert.deepEqual(validateMatrix(s({ rules: ['-w /x -p x'], rulesFile: '30-set.rules' }), 'm.json', dir).scenarios[0]!.audit!.origins, ['', '30-set.rules line 3', '30-set.rules line 4']);
  assert.equal(validateMatrix(s({ rules: ['-w /x -p x'] }), 'm.json', dir).scenarios[0]!.audit!.origins, undefined);
  writeFileSync(join(dir, 'quoted.rules'), '-w /etc/passwd -p wa\n-a always,exit -F "key=a b"\n');
  assert.match(problem(s({ rulesFiles: ['quoted.rules'] }), dir), /audit\.rulesFiles\[0\] \(quoted\.rules line 2\): must be an auditctl rule/);
  assert.match(problem(s({ rulesFiles: [] }), dir), /audit\.rulesFiles: must be a non-empty array/);
  assert.match(problem(s({ rulesFile: '30-set.rules', rulesFiles: ['30-set.rules'] }), dir), /give "rulesFile" or "rulesFiles", not both/);
  assert.match(problem(s({ rulesFiles: ['auditd:30-nonesuch.rules'] }), dir), /rulesFiles\[0\]: "30-nonesuch\.rules" is not among the rule files of auditd's package/);
});

test('loadMatrix reads the production matrix: Debian\'s packaged rule sets with their files, the dynamic target, AppArmor kernels', async () => {
  const m = await loadMatrix('production');
  const by = new Map(m.scenarios.map((s) => [s.name, s]));
  const stig = by.get('stig')!.audit!;
  assert.equal(stig.origins![0], '10-base-config.rules line 2');
  assert.ok(stig.origins!.some((o) => o.startsWith('30-stig.rules line')));
  assert.ok(stig.rules.includes('-w /etc/sudoers.d/ -p wa -k actions'), 'the STIG set is not loaded as shipped');
  assert.ok(by.get('ospp')!.audit!.origins!.some((o) => o.startsWith('30-ospp-v42-6-owner-change-success.rules')));
  for (const s of m.scenarios.filter((x) => !x.name.endsWith('-nop'))) assert.deepEqual(s.workload, { ldPreload: null, target: 'dynamic' }, s.name);
  assert.ok(m.kernels.production!.fragments.some((f) => f.endsWith('/apparmor.config')));
  assert.ok(!m.kernels['production-no-apparmor']!.fragments.some((f) => f.endsWith('/apparmor.config')));
  assert.deepEqual(m.kernels.production!.fragments.slice(0, m.kernels.audit!.fragments.length), m.kernels.audit!.fragments);
});

test("loadMatrix reads debian-kernel: the seed's setups on Debian's config, on the suite's kernel with AppArmor, and on that kernel at -O2", async () => {
  const m = await loadMatrix('debian-kernel');
  assert.equal(m.kernels.debian!.base, 'debian-cloud-amd64');
  assert.deepEqual(m.kernels.debian!.fragments.map((f) => f.split('/').pop()), ['debian.config']);
  assert.equal(m.kernels.production!.base, undefined);
  assert.deepEqual(m.scenarios.filter((s) => s.kernel === 'debian').map((s) => s.baseline ?? m.baseline), ['vanilla-suite', 'vanilla-debian', 'vanilla-debian', 'vanilla-suite-o2']);
  // The suite's kernel at -O2 is the production kernel and performance.config, nothing else.
  const o2 = m.kernels['production-o2']!.fragments.map((f) => f.split('/').pop());
  assert.deepEqual(o2, [...m.kernels.production!.fragments.map((f) => f.split('/').pop()), 'performance.config']);
});
