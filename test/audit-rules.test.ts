import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { directoriesNeeded, isAuditControl, missingSyscall, rulesOnly, syscallsNamed } from '../bench/audit-rules.ts';
import { initScript } from '../bench/guest/init-script.ts';
import { DEFAULT_WORKLOAD } from '../bench/matrix.ts';
import { parseSyscallTable, strongText } from '../kernels/syscalls.ts';

test('control lines of audit.rules are told from rules', () => {
  for (const c of ['-D', '-b 8192', '--backlog_wait_time 60000', '-f 1', '-e 2', '--loginuid-immutable', '-i']) assert.ok(isAuditControl(c), c);
  for (const r of ['-a always,exit -S execve', '-w /etc/passwd -p wa', '-e 3', '-b x', '-D -k x']) assert.ok(!isAuditControl(r), r);
  assert.deepEqual(rulesOnly(['-D', '-b 8192', '-w /etc/passwd -p wa']), ['-w /etc/passwd -p wa']);
});

test('the directories a rule needs: a watch\'s and a path\'s parent, an exe\'s parent, a dir itself', () => {
  assert.deepEqual(directoriesNeeded('-w /etc/security/opasswd -p wa -k identity'), ['/etc/security']);
  assert.deepEqual(directoriesNeeded('-w /etc/sudoers.d/ -p wa -k actions'), ['/etc/sudoers.d']);
  assert.deepEqual(directoriesNeeded('-a always,exit -F dir=/etc/NetworkManager/ -F perm=wa -F key=system-locale'), ['/etc/NetworkManager']);
  assert.deepEqual(directoriesNeeded('-a always,exit -F path=/usr/sbin/unix_chkpwd -F perm=x -F auid>=1000 -F auid!=unset'), ['/usr/sbin']);
  assert.deepEqual(directoriesNeeded('-a always,exit -F arch=b64 -S setuid -F a0=0 -F exe=/usr/bin/su -F key=k'), ['/usr/bin']);
  assert.deepEqual(directoriesNeeded('-a always,exit -F arch=b64 -S execve -k k'), []);
  assert.deepEqual(directoriesNeeded('-w /etc -p wa'), []);
});

test('the syscalls a rule names, by the arch it filters on', () => {
  assert.deepEqual(syscallsNamed('-a always,exit -F arch=b32 -S adjtimex,settimeofday,stime -F key=time-change'), [
    { name: 'adjtimex', arch: 'b32' }, { name: 'settimeofday', arch: 'b32' }, { name: 'stime', arch: 'b32' },
  ]);
  assert.deepEqual(syscallsNamed('-a always,exit -S open -S 59 -S all'), [{ name: 'open', arch: 'b64' }]);
  assert.deepEqual(syscallsNamed('-w /etc/passwd -p wa'), []);
});

const TBL32 = `# comment
5\ti386\topen\t\t\tsys_open\t\t\tcompat_sys_open
25\ti386\tstime\t\t\tsys_stime32
59\ti386\toldolduname\tsys_olduname
`;
const TBL64 = `0\tcommon\tread\t\t\tsys_read
2\tcommon\topen\t\t\tsys_open
246\t64\tkexec_load\t\tsys_kexec_load
512\tx32\trt_sigaction\t\tcompat_sys_rt_sigaction
`;

test('syscall tables map names to the entries a 64-bit kernel runs; nm tells strong from weak', () => {
  assert.deepEqual([...parseSyscallTable(TBL32, 'b32')], [['open', '__ia32_compat_sys_open'], ['stime', '__ia32_sys_stime32'], ['oldolduname', '__ia32_sys_olduname']]);
  assert.deepEqual([...parseSyscallTable(TBL64, 'b64')], [['read', '__x64_sys_read'], ['open', '__x64_sys_open'], ['kexec_load', '__x64_sys_kexec_load']]);
  const strong = strongText('ffffffff8108d9ae W __x64_sys_kexec_load\nffffffff8128e92d T __x64_sys_open\nffffffff81000000 t local_fn\n');
  assert.deepEqual([...strong], ['__x64_sys_open', 'local_fn']);
});

test('missingSyscall names the first rule on a syscall the kernel lacks, by its file and line', () => {
  const has = new Set(['b64:open', 'b32:open']);
  const entry = new Map([['b64:open', '__x64_sys_open'], ['b32:open', '__ia32_compat_sys_open'], ['b32:stime', '__ia32_sys_stime32']]);
  const rules = ['-D', '-a always,exit -F arch=b64 -S open -k k', '-a always,exit -F arch=b32 -S open,stime -k t'];
  assert.equal(missingSyscall(rules, ['x.rules line 1', 'x.rules line 4', 'x.rules line 9'], has, entry),
    'x.rules line 9: syscall stime (arch b32) is not in this kernel: built without it (__ia32_sys_stime32 is the ENOSYS stub)');
  assert.equal(missingSyscall(['-a always,exit -S frobnicate'], undefined, has, entry), 'rule 1: syscall frobnicate (arch b64) is not in this kernel: none of that name in its syscall table');
  assert.equal(missingSyscall(rules.slice(0, 2), undefined, has, entry), null);
});

test('initScript loads rules with operators quoted, makes the directories they need, and names a refused rule by its file and line', () => {
  const rules = ['-D', '-a always,exit -F arch=b64 -S open -F auid>=1000 -F a2&03 -k k', '-w /etc/security/opasswd -p wa'];
  const audit = { daemon: true, enable: true, rules, origins: ['a.rules line 2', 'a.rules line 5', 'b.rules line 1'] };
  const few = initScript({ seed: 1, layout: 'random', workload: DEFAULT_WORKLOAD, audit, bpf: [] });
  execFileSync('/bin/busybox', ['sh', '-n', '-c', few]);
  assert.ok(few.includes("/sbin/auditctl -a always,exit -F arch=b64 -S open -F 'auid>=1000' -F 'a2&03' -k k > /tmp/auditctl.out"), few);
  assert.ok(few.includes('fail "auditctl refused a.rules line 5: -a always,exit'));
  assert.ok(few.includes("for d in '/etc/security'; do"));
  assert.match(few, /status "audit: daemon=true enabled=true rules=2"/);
  // A long list goes in one file; auditctl's line number is mapped back to the rule's own file and line.
  const many = Array.from({ length: 12 }, (_, i) => `-w /etc/f${i} -p wa`);
  const long = initScript({ seed: 1, layout: 'random', workload: DEFAULT_WORKLOAD, audit: { daemon: true, enable: true, rules: many, origins: many.map((_, i) => `c.rules line ${i + 3}`) }, bpf: [] });
  execFileSync('/bin/busybox', ['sh', '-n', '-c', long]);
  assert.ok(long.includes("cat > /tmp/audit.origins <<'KRSI_BENCH_RULES'\nc.rules line 3: -w /etc/f0 -p wa\n"));
  // Run the mapping itself with a refusal at line 4: the message names c.rules line 6.
  const map = long.slice(long.indexOf("cat > /tmp/audit.origins"), long.indexOf('\nfi\n') + 4)
    .replace(/\/sbin\/auditctl -R \/tmp\/audit.rules/, '{ printf "Error sending add rule data request (No such file or directory)\\nThere was an error in line 4 of /tmp/audit.rules\\n"; false; }')
    .replaceAll('/tmp/', `${process.env.TMPDIR ?? '/tmp'}/krsi-rules-test-`);
  const out = execFileSync('/bin/busybox', ['sh', '-c', `fail() { echo "$*"; exit 0; }\n${map}`], { encoding: 'utf8' });
  assert.equal(out.trim(), 'auditctl refused c.rules line 6: -w /etc/f3 -p wa: Error sending add rule data request (No such file or directory)');
});
