import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BenchError } from '../lib/errors.ts';
import { shell } from '../lib/shell.ts';

const dir = mkdtempSync(join(tmpdir(), 'krsi-shell-'));

test('a step logs its command line and output, quotes each value, and a failure names the step and the log', async () => {
  const log = join(dir, 'a.log');
  const sh = shell({ log, env: { KRSI_SHELL_TEST: 'x y' } });
  await sh('printing')`printf '%s|' ${['a b', "it's"]} "$KRSI_SHELL_TEST"`;
  assert.equal(readFileSync(log, 'utf8'), "$ printf '%s|' $'a b' $'it\\'s' \"$KRSI_SHELL_TEST\"\na b|it's|x y|");
  await assert.rejects(sh('listing a missing file')`ls ${join(dir, 'nope')}`, (err: unknown) => {
    assert.ok(err instanceof BenchError);
    assert.equal(err.message, 'listing a missing file failed (exit 2)');
    assert.equal(err.log, log);
    return true;
  });
  assert.match(readFileSync(log, 'utf8'), /No such file or directory\n$/);
});

test('an aborted step is stopped and says so, and leaves no process behind', async () => {
  const stop = new AbortController();
  const marker = `krsi-shell-test-${process.pid}`;
  const step = shell({ log: join(dir, 'b.log'), signal: stop.signal })('sleeping')`exec -a ${marker} sleep 30`;
  setTimeout(() => stop.abort(), 300);
  await assert.rejects(step, /sleeping failed \(stopped\)/);
  const left = execFileSync('ps', ['-eo', 'args']).toString().split('\n').filter((l) => l.startsWith(marker));
  assert.deepEqual(left, []);
});
