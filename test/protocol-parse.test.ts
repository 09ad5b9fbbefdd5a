import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { parseGuestOutput } from '../bench/guest/protocol.ts';

function frame(payload: string[], opts: { count?: number; digest?: string } = {}): string {
  const body = payload.map((l) => `${l}\n`).join('');
  const digest = opts.digest ?? createHash('sha256').update(body).digest('hex');
  return `KRSI-BENCH BEGIN vanilla 0\r\nsample 0 1 100 5.0\nKRSI-BENCH PAYLOAD\n${body}KRSI-BENCH END ${opts.count ?? payload.length} ${digest}\n`;
}

const payload = ['info kernel 6.12.57', 'count audit_lost 0', 'sample 0 1 100 301234.5', 'sample 0 0 100 300000.25', 'event {"pid":1}'];

test('parseGuestOutput reads a complete framed result', () => {
  const out = parseGuestOutput(frame(payload));
  assert.equal(out.state, 'complete');
  if (out.state !== 'complete') return;
  assert.deepEqual(out.result.samples, [
    { sample: 0, warmup: true, execs: 100, nsPerExec: 301234.5 },
    { sample: 0, warmup: false, execs: 100, nsPerExec: 300000.25 },
  ]);
  assert.deepEqual(out.result.counts, { audit_lost: 0 });
  assert.deepEqual(out.result.info, { kernel: '6.12.57' });
  assert.deepEqual(out.result.exampleEvents, ['{"pid":1}']);
});

test('parseGuestOutput tells a truncated result from a complete one', () => {
  const full = frame(payload);
  const cut = full.slice(0, full.indexOf('KRSI-BENCH END'));
  const out = parseGuestOutput(cut);
  assert.equal(out.state, 'incomplete');
  if (out.state === 'incomplete') assert.match(out.reason, /cut short/);
});

test('parseGuestOutput rejects a payload whose line count or digest does not match', () => {
  assert.equal(parseGuestOutput(frame(payload, { count: 4 })).state, 'incomplete');
  assert.equal(parseGuestOutput(frame(payload, { digest: '0'.repeat(64) })).state, 'incomplete');
  const text = frame(payload).replace('300000.25', '300000.26');
  assert.equal(parseGuestOutput(text).state, 'incomplete');
});

test('parseGuestOutput reports FAIL lines and boot state', () => {
  const failed = parseGuestOutput('KRSI-BENCH BEGIN x 0\nKRSI-BENCH FAIL auditctl rejected rule\n');
  assert.deepEqual(failed, { state: 'failed', message: 'auditctl rejected rule' });
  const none = parseGuestOutput('');
  assert.equal(none.state, 'incomplete');
  if (none.state === 'incomplete') assert.equal(none.booted, false);
  const running = parseGuestOutput('KRSI-BENCH BEGIN x 0\nKRSI-BENCH STATUS auditd running\n');
  assert.equal(running.state, 'incomplete');
  if (running.state === 'incomplete') {
    assert.equal(running.booted, true);
    assert.equal(running.lastStatus, 'auditd running');
  }
});
