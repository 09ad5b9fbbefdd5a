import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkEvents } from '../bench/checks.ts';
import type { GuestResult } from '../bench/guest/protocol.ts';
import { loadMatrix } from '../bench/matrix.ts';
import { planJobs } from '../bench/plan.ts';

const result = (counts: Record<string, number>): GuestResult => ({ samples: [], counts, info: {}, exampleEvents: [] });

test('checkEvents expects one audit record and one KRSI event per exec, and names what is off', async () => {
  const m = await loadMatrix('seed');
  const jobs = planJobs(m.scenarios, { samples: 4, execs: 10, warmup: 1, boots: 1, seed: 1 });
  const job = (name: string) => jobs.find((j) => j.scenario.name === name)!;

  const [audit] = checkEvents(job('audit-execve'), result({ audit_exec_records: 50, audit_lost: 0 }));
  assert.deepEqual([audit!.source, audit!.expected, audit!.logged, audit!.ok], ['audit', 50, 50, true]);
  const [short] = checkEvents(job('audit-execve'), result({ audit_exec_records: 47, audit_lost: 3 }));
  assert.equal(short!.ok, false);
  assert.equal(short!.problem, 'audit: 47 logged, 50 expected, 3 lost');

  const [quiet] = checkEvents(job('audit-no-rules'), result({ audit_exec_records: 0 }));
  assert.deepEqual([quiet!.expected, quiet!.ok], [0, true]);

  const [krsi] = checkEvents(job('krsi-ld-preload'), result({ krsi_ld_preload_exec_events: 50, krsi_ld_preload_value_match: 49, krsi_ld_preload_dropped: 0 }));
  assert.equal(krsi!.problem, 'krsi_ld_preload: 1 with the wrong value');
  const [none] = checkEvents(job('vanilla'), result({}));
  assert.deepEqual([none!.source, none!.expected, none!.ok], ['none', 0, true]);
});
