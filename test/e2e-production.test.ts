/**
 * End to end, what `--matrix production` runs, on real guests: the kernel
 * with audit and AppArmor, the dynamic target with its arguments and a
 * shell's environment, auditd as packaged with Debian's STIG rule set, the
 * BPF exec logger, and both at once, and auditd's syslog plugin. The kernel
 * is the built-in matrix's own (the same fragments, so the same cache entry).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readEvents } from '../reports/load.ts';
import { FRAGMENTS_DIR } from '../kernels/variants.ts';
import type { Summary } from '../reports/summary.ts';
import type { RunMeta } from '../lib/results.ts';
import production from '../bench/matrices/production.ts';

const ROOT = join(import.meta.dirname, '..');
const BOOTS = 3;
const SAMPLES = 3;
const EXECS = 50;

test('production: AppArmor in the LSM stack, the STIG set loads and costs more than no rules, the dynamic target logged with its arguments', { timeout: 40 * 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'krsi-production-'));
  const scenario = (name: string) => production.scenarios.find((s) => s.name === name)!;
  const matrix = {
    baseline: 'vanilla',
    kernels: { production: { ...production.kernels.production, fragments: production.kernels.production.fragments.map((f) => join(FRAGMENTS_DIR, f)) } },
    scenarios: [
      scenario('vanilla'), scenario('auditd'),
      // Against auditd with no rules, paired by seed: what the rule set itself costs.
      { ...scenario('stig'), baseline: 'auditd' },
      scenario('audit-execve'), scenario('audit-execve-syslog'), scenario('exec-record'), scenario('stig-exec-record'),
    ],
  };
  writeFileSync(join(dir, 'm.json'), JSON.stringify(matrix));
  const out = join(dir, 'out');
  const r = spawnSync('npm', ['run', '--silent', 'bench', '--', '--matrix', join(dir, 'm.json'), '--boots', String(BOOTS), '--samples', String(SAMPLES), '--execs', String(EXECS), '--warmup', '1', '--out', out], {
    cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
  });
  assert.equal(r.status, 0, `npm run bench failed:\n${r.stdout}`);
  const run = realpathSync(join(out, 'latest'));
  const meta = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')) as RunMeta;
  const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')) as Summary;

  for (const g of meta.guests) {
    assert.deepEqual(g.lsm.split(',').filter((l) => ['landlock', 'lockdown', 'yama', 'apparmor', 'bpf'].includes(l)), ['lockdown', 'landlock', 'yama', 'apparmor', 'bpf'], `${g.id}: ${g.lsm}`);
    if (g.scenario !== 'vanilla' && g.scenario !== 'exec-record') assert.match(g.auditLog ?? '', /^ext4 (\d+)\/\1$/, `${g.id}: auditd did not write ENRICHED records to ext4`);
  }
  // The STIG set's watched directories that a minimal guest lacks were made, and said so.
  for (const g of meta.guests.filter((x) => x.scenario.startsWith('stig'))) assert.equal(g.ruleDirs, '/etc/NetworkManager /etc/security /etc/selinux /etc/sudoers.d', g.id);
  for (const s of meta.scenarios) assert.equal(s.workload.target, 'dynamic', s.name);

  const events = readEvents(join(run, 'events.csv'));
  const row = (scenario: string, source: string) => events.filter((e) => e.scenario === scenario && e.source === source);
  for (const e of events) assert.ok(e.ok, `${e.scenario} boot ${e.boot} ${e.source}: ${e.logged}/${e.expected} logged, ${e.matched} matched`);
  // Every exec's EXECVE record with argc 7 and every argument (init-script.ts execveRecord), and the logger's argv alike.
  for (const e of row('audit-execve', 'audit')) assert.ok(e.expected === e.execs && e.logged === e.execs, `audit-execve boot ${e.boot}: ${e.logged}/${e.execs}`);
  // auditd's syslog plugin passed every one of those records on to the guest's syslog file.
  const forwarded = row('audit-execve-syslog', 'audit syslog plugin');
  assert.equal(forwarded.length, BOOTS);
  for (const e of forwarded) assert.ok(e.logged === e.execs && e.execs > 0, `audit-execve-syslog boot ${e.boot}: ${e.logged}/${e.execs} in syslog`);
  for (const scenario of ['exec-record', 'stig-exec-record']) {
    const rows = row(scenario, 'krsi_exec_record');
    assert.equal(rows.length, BOOTS);
    for (const e of rows) assert.ok(e.matched === e.execs && e.execs > 0, `${scenario} boot ${e.boot}: ${e.matched}/${e.execs} with the target's argv`);
  }
  // The STIG set logs no successful exec by root; its records are counted, not checked.
  assert.equal(row('stig', 'audit (unchecked)').length, BOOTS);

  const stig = summary.scenarios.find((s) => s.name === 'stig')!;
  assert.equal(stig.overhead!.against, 'auditd');
  assert.equal(stig.overhead!.verdict, 'slower', `STIG against no rules: ${stig.overhead!.pct} % [${stig.overhead!.ci95_pct}]`);
  assert.ok(stig.overhead!.ci95_pct[0]! > 0);
});
