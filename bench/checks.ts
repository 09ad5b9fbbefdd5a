import { compareExecRecords } from './exec-records.ts';
import { ACCOUNTED_TOOLS, bpfLoader, DELAY_TOTALS, EXEC_RECORDER, LOADER_TOTALS, PRELOAD_FILE_WATCHER, RECORDS_COMPARED, SECCOMP_KEY } from './guest/init-script.ts';
import { logsEveryExec, rulesOnly } from './audit-rules.ts';
import { targetPath } from './guest/exec-target.ts';
import type { GuestResult } from './guest/protocol.ts';
import type { EventRow, LogDelay } from '../lib/results.ts';
import { isBpfTool } from './matrix.ts';
import type { GuestJob } from './plan.ts';

/**
 * What the instrumentation of one boot logged, against what it should have:
 * one audit EXECVE record, or one BPF event with the right LD_PRELOAD value,
 * per exec of nop. Nothing is assumed: every count comes from the guest.
 */
export interface EventCheck extends EventRow {
  /** What is off, in one line, or null. */
  problem: string | null;
  /** What else is off, beyond the counts of the row: a probe that was not logged, a total the loader did not print. */
  extra?: string[];
}

function count(r: GuestResult, name: string): number {
  return r.counts[name] ?? 0;
}

export function checkEvents(job: GuestJob, r: GuestResult): EventCheck[] {
  // Where warm-up is adaptive the count is the guest's choice: count the execs it reports.
  const execs = r.samples.reduce((n, s) => n + s.execs, 0);
  const base = { scenario: job.scenario.name, kernel: job.scenario.kernel, boot: job.boot, execs };
  const checks: EventCheck[] = [];
  const audit = job.scenario.audit;
  if (audit) {
    const logged = count(r, 'audit_exec_records');
    const lost = count(r, 'audit_lost');
    // Control lines (-D, -b 8192, ...) add no rule: with nothing else, audit logs no exec.
    const none = rulesOnly(audit.rules).length === 0;
    const every = none || logsEveryExec(audit.rules, targetPath(job.workload));
    if (every) {
      checks.push(finish({ ...base, source: 'audit', expected: none ? 0 : execs, logged, matched: logged, lost, truncated: 0, unaccounted: null, delay: null }));
    } else {
      // Rules that filter, suppress or watch something else log what they define: counted, not checked.
      checks.push(finish({ ...base, source: 'audit (unchecked)', expected: logged, logged, matched: logged, lost, truncated: 0, unaccounted: null, delay: null }));
    }
    if (audit.plugins?.includes('syslog')) {
      // What audisp-syslog passed on reached the syslog file: every record audit logged, or the check fails.
      const forwarded = count(r, 'audit_syslog_exec_records');
      const source = every ? 'audit syslog plugin' : 'audit syslog plugin (unchecked)';
      const extra = r.counts.audit_syslog_lines === undefined ? ['the guest counted no syslog lines'] : [];
      checks.push(finish({ ...base, source, expected: every ? (none ? 0 : execs) : logged, logged: forwarded, matched: forwarded, lost, truncated: 0, unaccounted: null, delay: null, extra }));
    }
  }
  for (const b of job.scenario.bpf) {
    const { key } = bpfLoader(b);
    if (isBpfTool(b)) {
      const logged = count(r, `${key}_exec_events`);
      const truncated = count(r, `${key}_truncated`) + count(r, `${key}_value_truncated`) + count(r, `${key}_filename_truncated`);
      const lost = count(r, `${key}_dropped`);
      const extra: string[] = [];
      let unaccounted: number | null = null;
      if (ACCOUNTED_TOOLS.includes(b.tool)) {
        const missing = LOADER_TOTALS.filter((t) => r.counts[`${key}_${t}`] === undefined);
        if (missing.length) extra.push(`the loader's totals have no ${missing.join(', ')}`);
        // Every event the program emitted is a line of the log or a lost one, once (bpf/ld_preload_log.h).
        else unaccounted = count(r, `${key}_emitted`) - count(r, `${key}_events`) - lost;
        if (count(r, `${key}_incomplete`) > 0) extra.push(`${count(r, `${key}_incomplete`)} environments not read to their end`);
        // Every record a full perf ring lost was a failed output first: more would be losses the program never saw.
        if (count(r, `${key}_perf_lost`) > lost) extra.push(`the perf buffer lost ${count(r, `${key}_perf_lost`)} records, more than the ${lost} outputs that failed`);
      }
      if (b.tool === PRELOAD_FILE_WATCHER) {
        for (const access of ['write', 'read']) {
          if (count(r, `${key}_preload_${access}s`) < 1) extra.push(`the probe's ${access} of /etc/ld.so.preload was not logged`);
        }
      }
      // Filtering in the kernel: execs without LD_PRELOAD are not sent at all.
      const expected = b.onlySet && job.workload.ldPreload === null ? 0 : execs;
      let delay: LogDelay | null = null;
      if (b.tool === EXEC_RECORDER) {
        const [writes, p50Ns, p99Ns, maxNs] = DELAY_TOTALS.map((t) => r.counts[`${key}_${t}`]);
        // A logger that wrote nothing (everything filtered out) has no delay to give.
        if ([p50Ns, p99Ns, maxNs, writes].some((v) => v === undefined)) {
          if (count(r, `${key}_events`) > 0) extra.push("the loader's totals have no delay");
        }
        else delay = { p50Ns: p50Ns!, p99Ns: p99Ns!, maxNs: maxNs!, writes: writes! };
      }
      checks.push(finish({ ...base, source: key, expected, logged, matched: count(r, `${key}_value_match`), lost, truncated, unaccounted, delay, extra }));
    } else {
      // A user's program sends what it likes: its records are counted, and there is nothing to check them against.
      const logged = count(r, `${key}_events`);
      // bpf_attach cannot know what the program failed to send: its drops are unknown, not 0.
      checks.push(finish({ ...base, source: `bpf:${b.name} (unchecked)`, expected: logged, logged, matched: logged, lost: null, truncated: 0, unaccounted: null, delay: null }));
    }
  }
  if (job.scenario.seccomp === 'notify') {
    // The supervisor answers each execve before it goes on: nothing can be dropped, only missed.
    const k = SECCOMP_KEY;
    const truncated = count(r, `${k}_truncated`) + count(r, `${k}_value_truncated`) + count(r, `${k}_filename_truncated`);
    checks.push(finish({ ...base, source: k, expected: execs, logged: count(r, `${k}_exec_events`), matched: count(r, `${k}_value_match`), lost: 0, truncated, unaccounted: null, delay: null }));
  }
  const auditRecords = r.records.filter((x) => x.source === 'audit').map((x) => x.line);
  const bpfRecords = r.records.filter((x) => x.source === EXEC_RECORDER).map((x) => x.line);
  if (auditRecords.length || bpfRecords.length) {
    // The same execs as both loggers wrote them: expected, the execs sent; logged, those found in both; matched, those alike in every field.
    const c = compareExecRecords(auditRecords, bpfRecords);
    const extra = c.problems.length ? [`${c.problems.length} differences, first: ${c.problems[0]}`] : [];
    const expected = Math.min(RECORDS_COMPARED, execs);
    checks.push(finish({ ...base, source: `${EXEC_RECORDER}=audit`, expected, logged: c.compared, matched: c.identical, lost: 0, truncated: 0, unaccounted: null, delay: null, extra }));
  }
  if (checks.length === 0) checks.push(finish({ ...base, source: 'none', expected: 0, logged: 0, matched: 0, lost: 0, truncated: 0, unaccounted: null, delay: null }));
  return checks;
}

function finish(c: Omit<EventCheck, 'ok' | 'problem'>): EventCheck {
  const problems: string[] = [];
  if (c.logged !== c.expected) problems.push(`${c.logged} logged, ${c.expected} expected`);
  if (c.matched !== c.logged) problems.push(`${c.logged - c.matched} with the wrong value`);
  if (c.lost !== null && c.lost > 0) problems.push(`${c.lost} lost`);
  if (c.truncated > 0) problems.push(`${c.truncated} truncated`);
  if (c.unaccounted !== null && c.unaccounted > 0) problems.push(`${c.unaccounted} emitted but neither logged nor counted lost`);
  if (c.unaccounted !== null && c.unaccounted < 0) problems.push(`${-c.unaccounted} more logged or counted lost than emitted (counted twice)`);
  problems.push(...(c.extra ?? []));
  const { extra: _, ...row } = c;
  return { ...row, ok: problems.length === 0, problem: problems.length ? `${c.source}: ${problems.join(', ')}` : null };
}
