import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareExecRecords, parseAuditExecs } from '../bench/exec-records.ts';

const GS = '\x1d';
/** One exec of /bin/nop as auditd (log_format ENRICHED) writes it, serial 45. */
const audit = (pid: number, serial: number, cwd = '"/"', arg1 = '') => [
  `type=SYSCALL msg=audit(1700000000.120:${serial}): arch=c000003e syscall=59 success=yes exit=0 a0=4a1b2c a1=7ffd00 a2=7ffd10 a3=0 items=1 ppid=41 pid=${pid} auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="nop" exe="/bin/nop" key="krsi-bench-exec"${GS}ARCH=x86_64 SYSCALL=execve AUID="unset" UID="root"`,
  `type=EXECVE msg=audit(1700000000.120:${serial}): argc=${arg1 ? 2 : 1} a0="/bin/nop"${arg1 ? ` a1=${arg1}` : ''}`,
  `type=CWD msg=audit(1700000000.120:${serial}): cwd=${cwd}`,
  `type=PATH msg=audit(1700000000.120:${serial}): item=0 name="/bin/nop" inode=1234 dev=00:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0${GS}OUID="root" OGID="root"`,
  `type=PROCTITLE msg=audit(1700000000.120:${serial}): proctitle=${arg1 ? '2F62696E2F6E6F700068656C6C6F20776F726C64' : '"/bin/nop"'}`,
];
const bpf = (pid: number, over: Record<string, unknown> = {}) => JSON.stringify({
  pid, ppid: 41, uid: 0, gid: 0, euid: 0, suid: 0, fsuid: 0, egid: 0, sgid: 0, fsgid: 0, auid: 4294967295, ses: 4294967295, tty: '(none)',
  comm: 'nop', exe: '/bin/nop', filename: '/bin/nop', arch: 'c000003e', syscall: 59, success: 'yes', exit: 0, argc: 1, argv: ['/bin/nop'],
  cwd: '/', inode: 1234, dev: '00:01', mode: '0100755', ouid: 0, ogid: 0, rdev: '00:00', ld_preload: '/lib/x.so', ...over,
});

test('audit records parse into one exec per serial: hex strings decoded, enriched fields left out', () => {
  const [e] = parseAuditExecs(audit(45, 7, '2F746D702F6120622F', '"hello world"'));
  assert.equal(e!.pid, '45');
  assert.equal(e!.cwd, '/tmp/a b/');
  assert.equal(e!.argv, JSON.stringify(['/bin/nop', 'hello world']));
  assert.equal(e!.proctitle, '/bin/nop\0hello world');
  assert.equal(e!['path.mode'], '0100755');
  assert.equal(e!.key, 'krsi-bench-exec');
  assert.equal(e!.UID, undefined, 'the enriched part is not audit\'s raw record');
});

test('compareExecRecords matches execs by pid and names every field that differs', () => {
  const lines = [...audit(45, 7), ...audit(46, 8)];
  const same = compareExecRecords(lines, [bpf(45), bpf(46)]);
  assert.deepEqual(same, { compared: 2, identical: 2, fields: 30, problems: [] });
  const off = compareExecRecords(lines, [bpf(45, { cwd: '/tmp', mode: '0100644' }), bpf(47)]);
  assert.equal(off.compared, 1);
  assert.equal(off.identical, 0);
  assert.deepEqual(off.problems, [
    'pid 45: cwd audit "/" bpf "/tmp"; path.mode audit "0100755" bpf "0100644"',
    'pid 47: logged by the BPF logger, not among audit\'s records',
    'pid 46: in audit\'s records, not logged by the BPF logger',
  ]);
  // A field the logger left out is a difference, not a pass.
  const { argv: _, ...noArgv } = JSON.parse(bpf(45)) as Record<string, unknown>;
  const missing = compareExecRecords(audit(45, 7), [JSON.stringify(noArgv)]);
  assert.match(missing.problems[0]!, /argv audit "\[\\"\/bin\/nop\\"\]" bpf null; proctitle audit "\/bin\/nop" bpf ""/);
});

test('a long argument list split over EXECVE records, and a long argument split in parts, are put together; a pid that execs twice is matched in order', () => {
  const head = 'type=EXECVE msg=audit(1700000000.120:9): ';
  const lines = [
    audit(45, 9)[0]!,
    `${head}argc=4 a0="/bin/nop" a1_len=10 a1[0]="hello" a1[1]=20776F726C64`,
    `${head}a2="x" a3=""`,
  ];
  assert.equal(parseAuditExecs(lines)[0]!.argv, JSON.stringify(['/bin/nop', 'hello world', 'x', '']));
  // SYSCALL's a0..a3 are registers in hex, not strings: left as they are.
  assert.equal(parseAuditExecs(lines)[0]!.a0, '4a1b2c');
  const twice = compareExecRecords([...audit(45, 7), ...audit(45, 8, '"/tmp"')], [bpf(45), bpf(45, { cwd: '/tmp' })]);
  assert.deepEqual([twice.compared, twice.identical, twice.problems], [2, 2, []]);
});
