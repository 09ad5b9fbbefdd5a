import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logsEveryExec } from '../bench/audit-rules.ts';
import { checkEvents } from '../bench/checks.ts';
import type { GuestResult } from '../bench/guest/protocol.ts';
import { loadMatrix, validateMatrix } from '../bench/matrix.ts';
import { planJobs } from '../bench/plan.ts';
import { eventsCsv } from '../lib/results.ts';
import { readEvents } from '../reports/load.ts';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A guest's result: `warmups` warm-up samples and 4 measured, 10 execs each. */
const result = (counts: Record<string, number>, warmups = 1): GuestResult => ({
  samples: Array.from({ length: warmups + 4 }, (_, i) => ({ sample: i < warmups ? i : i - warmups, warmup: i < warmups, execs: 10, nsPerExec: 1 })),
  counts, info: {}, exampleEvents: [], records: [], attribution: [], kernelSymbols: [],
});

test('checkEvents expects one audit record and one KRSI event per exec, and names what is off', async () => {
  const m = await loadMatrix('seed');
  const jobs = planJobs(m.scenarios, { samples: 4, execs: 10, warmup: 1, boots: 1, seed: 1 });
  const job = (name: string) => jobs.find((j) => j.scenario.name === name)!;

  const [audit] = checkEvents(job('audit-execve'), result({ audit_exec_records: 50, audit_lost: 0 }));
  assert.deepEqual([audit!.source, audit!.expected, audit!.logged, audit!.ok], ['audit', 50, 50, true]);
  const [short] = checkEvents(job('audit-execve'), result({ audit_exec_records: 47, audit_lost: 3 }));
  assert.equal(short!.ok, false);
  assert.equal(short!.problem, 'audit: 47 logged, 50 expected, 3 lost');
  // Where warm-up is adaptive, what is expected follows the samples the guest says it ran.
  const [longer] = checkEvents(job('audit-execve'), result({ audit_exec_records: 50, audit_lost: 0 }, 3));
  assert.deepEqual([longer!.expected, longer!.ok, longer!.problem], [70, false, 'audit: 50 logged, 70 expected']);

  const [quiet] = checkEvents(job('audit-no-rules'), result({ audit_exec_records: 0 }));
  assert.deepEqual([quiet!.expected, quiet!.ok], [0, true]);

  // The loader's totals: 50 execs of nop and 2 other lines (the preload probe's), all emitted, none lost.
  const totals = { krsi_ld_preload_events: 52, krsi_ld_preload_emitted: 52, krsi_ld_preload_incomplete: 0, krsi_ld_preload_filtered: 0 };
  const probe = { krsi_ld_preload_preload_writes: 1, krsi_ld_preload_preload_reads: 1 };
  const ok = { ...totals, ...probe, krsi_ld_preload_exec_events: 50, krsi_ld_preload_value_match: 50, krsi_ld_preload_dropped: 0 };
  const [krsi] = checkEvents(job('krsi-ld-preload'), result({ ...ok, krsi_ld_preload_value_match: 49 }));
  assert.equal(krsi!.problem, 'krsi_ld_preload: 1 with the wrong value');
  // A value or filename cut to fit the event, or an environment not read to its end, fails the check.
  for (const flag of ['truncated', 'value_truncated', 'filename_truncated']) {
    const [cut] = checkEvents(job('krsi-ld-preload'), result({ ...ok, [`krsi_ld_preload_${flag}`]: 2 }));
    assert.deepEqual([cut!.ok, cut!.truncated, cut!.problem], [false, 2, 'krsi_ld_preload: 2 truncated'], flag);
  }
  const [whole] = checkEvents(job('krsi-ld-preload'), result(ok));
  assert.deepEqual([whole!.ok, whole!.truncated, whole!.lost, whole!.unaccounted], [true, 0, 0, 0]);
  // Every event emitted is logged or lost, once: a loss counted twice, or an event gone, is named.
  const [twice] = checkEvents(job('krsi-ld-preload'), result({ ...ok, krsi_ld_preload_events: 49, krsi_ld_preload_exec_events: 47, krsi_ld_preload_value_match: 47, krsi_ld_preload_dropped: 6 }));
  assert.deepEqual([twice!.unaccounted, twice!.problem], [-3, 'krsi_ld_preload: 47 logged, 50 expected, 6 lost, 3 more logged or counted lost than emitted (counted twice)']);
  const [gone] = checkEvents(job('krsi-ld-preload'), result({ ...ok, krsi_ld_preload_emitted: 55 }));
  assert.deepEqual([gone!.unaccounted, gone!.problem], [3, 'krsi_ld_preload: 3 emitted but neither logged nor counted lost']);
  // A loader that printed no totals is named, never taken for none lost.
  const [silent] = checkEvents(job('krsi-ld-preload'), result({ ...probe, krsi_ld_preload_exec_events: 50, krsi_ld_preload_value_match: 50, krsi_ld_preload_dropped: 0 }));
  assert.deepEqual([silent!.unaccounted, silent!.problem], [null, "krsi_ld_preload: the loader's totals have no emitted, incomplete, filtered"]);
  const [walk] = checkEvents(job('krsi-ld-preload'), result({ ...ok, krsi_ld_preload_incomplete: 4, krsi_ld_preload_truncated: 4 }));
  assert.equal(walk!.problem, 'krsi_ld_preload: 4 truncated, 4 environments not read to their end');
  // The preload file probe must be logged: both the write and the read.
  const [blind] = checkEvents(job('krsi-ld-preload'), result({ ...ok, krsi_ld_preload_events: 50, krsi_ld_preload_emitted: 50, krsi_ld_preload_preload_writes: 0, krsi_ld_preload_preload_reads: 0 }));
  assert.equal(blind!.problem, "krsi_ld_preload: the probe's write of /etc/ld.so.preload was not logged, the probe's read of /etc/ld.so.preload was not logged");
  // Filtered in the kernel, with no LD_PRELOAD in the workload: no exec of nop is to be sent.
  const filtering = { ...job('krsi-ld-preload'), workload: { ...job('krsi-ld-preload').workload, ldPreload: null } };
  filtering.scenario = { ...filtering.scenario, bpf: [{ tool: 'krsi_ld_preload', onlySet: true }] };
  const [filtered] = checkEvents(filtering, result({ ...ok, krsi_ld_preload_events: 2, krsi_ld_preload_emitted: 2, krsi_ld_preload_filtered: 50, krsi_ld_preload_exec_events: 0, krsi_ld_preload_value_match: 0 }));
  assert.deepEqual([filtered!.expected, filtered!.ok], [0, true]);
  const [leaky] = checkEvents(filtering, result({ ...ok, krsi_ld_preload_exec_events: 50, krsi_ld_preload_value_match: 0 }));
  assert.equal(leaky!.problem, 'krsi_ld_preload: 50 logged, 0 expected, 50 with the wrong value');
  const [none] = checkEvents(job('vanilla'), result({}));
  assert.deepEqual([none!.source, none!.expected, none!.ok], ['none', 0, true]);
});

test('logsEveryExec tells rule sets that log each exec of nop from those that define their own', () => {
  const yes = [
    ['-a always,exit -F arch=b64 -S execve,execveat -k krsi-bench-exec'],
    ['-a exit,always -S all'],
    ['-a always,exit -F arch=b64 -S open -S execve'],
    ['-w /bin/nop -p x -k nop-exec'],
    ['-w /bin/ -p rx'],
    ['-a always,exit -F arch=b64 -S execve -F path=/bin/nop -k krsi-bench-exec'],
  ];
  const no = [
    ['-a never,task'],
    ['-a never,task', '-a always,exit -F arch=b64 -S execve'],
    ['-a always,exit -F arch=b64 -S execve -F uid=1000'],
    ['-a always,exit -F arch=b64 -S openat'],
    ['-a always,exit -F arch=b64 -S execve -F path=/bin/true'],
    ['-a always,exclude -F msgtype=EXECVE'],
    ['-w /bin/nop -p wa'],
    ['-w /sbin -p x'],
  ];
  for (const rules of yes) assert.equal(logsEveryExec(rules, '/bin/nop'), true, rules.join(' ; '));
  for (const rules of no) assert.equal(logsEveryExec(rules, '/bin/nop'), false, rules.join(' ; '));
  // Control lines add no rule; a rule set's own target is what a watch or path= must name.
  assert.equal(logsEveryExec(['-D', '-b 8192', '--backlog_wait_time 60000', '-f 1'], '/bin/nop'), false);
  assert.equal(logsEveryExec(['-D', '-a always,exit -F arch=b64 -S execve'], '/bin/krsi-true'), true);
  assert.equal(logsEveryExec(['-w /bin/nop -p x'], '/bin/krsi-true'), false);
  assert.equal(logsEveryExec(['-a always,exit -F arch=b64 -S execve -F path=/bin/krsi-true'], '/bin/krsi-true'), true);
});

test('checkEvents counts, without an expectation, what rules of their own logged', async () => {
  const m = await loadMatrix('seed');
  const [base] = planJobs(m.scenarios.filter((s) => s.name === 'audit-no-rules'), { samples: 4, execs: 10, warmup: 1, boots: 1, seed: 1 });
  const job = { ...base!, scenario: { ...base!.scenario, audit: { daemon: true, enable: true, rules: ['-a never,task'] } } };
  const [quiet] = checkEvents(job, result({ audit_exec_records: 0, audit_lost: 0 }));
  assert.deepEqual([quiet!.source, quiet!.expected, quiet!.ok], ['audit (unchecked)', 0, true]);
  const [lossy] = checkEvents(job, result({ audit_exec_records: 3, audit_lost: 2 }));
  assert.equal(lossy!.problem, 'audit (unchecked): 2 lost');
});

test('a user program\'s drops are unknown, not 0: null in the check, an empty cell in events.csv, null when read back', async () => {
  const m = await loadMatrix('seed');
  const [base] = planJobs(m.scenarios.filter((s) => s.name === 'vanilla'), { samples: 4, execs: 10, warmup: 1, boots: 1, seed: 1 });
  const job = { ...base!, scenario: { ...base!.scenario, bpf: [{ name: 'mine', path: '/x/mine.bpf.o', compile: false, programs: [] }] } };
  const [user] = checkEvents(job, result({ user_mine_events: 7 }));
  assert.deepEqual([user!.source, user!.logged, user!.lost, user!.ok], ['bpf:mine (unchecked)', 7, null, true]);
  const dir = mkdtempSync(join(tmpdir(), 'krsi-events-'));
  writeFileSync(join(dir, 'events.csv'), eventsCsv([user!]));
  assert.match(readFileSync(join(dir, 'events.csv'), 'utf8'), /^vanilla,noaudit,0,bpf:mine \(unchecked\),50,7,7,7,,1,0,,,,,$/m);
  assert.equal(readEvents(join(dir, 'events.csv'))[0]!.lost, null);
  assert.equal(readEvents(join(dir, 'events.csv'))[0]!.unaccounted, null);
});

test('checkEvents checks what the syslog plugin passed on against the execs, or against what audit logged', () => {
  const m = validateMatrix({ scenarios: [
    { name: 'every', kernel: 'audit', audit: { rules: ['-a always,exit -F arch=b64 -S execve'], plugins: ['syslog'] } },
    { name: 'other', kernel: 'audit', audit: { rules: ['-w /etc/shadow -p wa'], plugins: ['syslog'] } },
  ] }, 'm.json', '/nonexistent');
  const jobs = planJobs(m.scenarios, { samples: 4, execs: 10, warmup: 1, boots: 1, seed: 1 });
  const [, all] = checkEvents(jobs[0]!, result({ audit_exec_records: 50, audit_syslog_exec_records: 50, audit_syslog_lines: 400 }));
  assert.deepEqual([all!.source, all!.expected, all!.logged, all!.ok], ['audit syslog plugin', 50, 50, true]);
  const [, short] = checkEvents(jobs[0]!, result({ audit_exec_records: 50, audit_syslog_exec_records: 44, audit_syslog_lines: 380 }));
  assert.equal(short!.problem, 'audit syslog plugin: 44 logged, 50 expected');
  const [, silent] = checkEvents(jobs[0]!, result({ audit_exec_records: 50, audit_syslog_exec_records: 50 }));
  assert.equal(silent!.problem, 'audit syslog plugin: the guest counted no syslog lines');
  const [, some] = checkEvents(jobs[1]!, result({ audit_exec_records: 3, audit_syslog_exec_records: 2, audit_syslog_lines: 9 }));
  assert.deepEqual([some!.source, some!.expected, some!.ok], ['audit syslog plugin (unchecked)', 3, false]);
});

