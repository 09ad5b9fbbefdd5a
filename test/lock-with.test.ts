import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { takeLock, withLock } from '../lib/lock.ts';

const ROOT = join(import.meta.dirname, '..');
const HOLD = join(ROOT, 'test', 'fixtures', 'lock', 'hold.ts');

const exited = (p: ReturnType<typeof spawn>) => new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
const until = async (what: string, ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(ok(), `timed out waiting for ${what}`);
};

test('withLock runs one holder at a time within a process', async () => {
  const lock = join(mkdtempSync(join(tmpdir(), 'krsi-lock-')), 'x.lock');
  const order: string[] = [];
  const holder = (name: string, ms: number) =>
    withLock(lock, name, async () => {
      order.push(`${name} start`);
      await new Promise((r) => setTimeout(r, ms));
      order.push(`${name} end`);
    });
  await Promise.all([holder('a', 300), new Promise((r) => setTimeout(r, 50)).then(() => holder('b', 10))]);
  assert.deepEqual(order, ['a start', 'a end', 'b start', 'b end'], 'b waited for a');
  // A file left by an earlier holder, even one naming a live pid, is no lock: only the flock is.
  writeFileSync(lock, `${process.pid}\n`);
  assert.equal(await withLock(lock, 'c', async () => 'ran'), 'ran');
});

test('takeLock holds until release, which frees the lock for the next holder once, however often it is called', async () => {
  const lock = join(mkdtempSync(join(tmpdir(), 'krsi-lock-')), 'x.lock');
  const first = await takeLock(lock, 'first');
  let second = false;
  const next = withLock(lock, 'second', async () => { second = true; });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(second, false, 'the second holder ran while the first held the lock');
  await Promise.all([first.release(), first.release()]);
  await next;
  assert.equal(second, true);
  await first.release();
  assert.equal(await withLock(lock, 'third', async () => 'ran'), 'ran');
});

test('a wait for a holder in this same process is not reported as a wait for another process', { timeout: 20_000 }, async () => {
  const lock = join(mkdtempSync(join(tmpdir(), 'krsi-lock-')), 'x.lock');
  const first = await takeLock(lock, 'first');
  const said: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    said.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    const next = withLock(lock, 'second', async () => 'ran');
    // Past the quiet wait (1.5 s), when a wait for another holder is reported.
    await new Promise((r) => setTimeout(r, 2500));
    await first.release();
    assert.equal(await next, 'ran');
  } finally {
    process.stderr.write = write;
  }
  assert.deepEqual(said.filter((l) => l.includes('second: waiting')), [], 'the wait named this process as another');
});

test('two processes contend for one lock: their holds do not overlap, and a SIGKILLed holder frees it', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'krsi-lock-'));
  const lock = join(dir, 'x.lock');
  const log = join(dir, 'log');
  writeFileSync(log, '');
  const run = (name: string, ms: number) => spawn(process.execPath, ['--import', 'tsx', HOLD, lock, log, name, String(ms)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const a = run('a', 5000);
  await until('a to hold the lock', () => readFileSync(log, 'utf8').includes('a start'));
  const b = run('b', 10);
  let waiting = '';
  b.stderr!.on('data', (d: Buffer) => (waiting += d.toString()));
  assert.deepEqual(await Promise.all([exited(a), exited(b)]), [0, 0]);
  assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['a start', 'a end', 'b start', 'b end']);
  assert.match(waiting, /b: waiting for process \d+, which holds/);

  // The holder (node itself, not a wrapper) is killed with no chance to clean up: the next process gets the lock at once.
  writeFileSync(log, '');
  const c = run('c', 60_000);
  await until('c to hold the lock', () => readFileSync(log, 'utf8').includes('c start'));
  c.kill('SIGKILL');
  await exited(c);
  const started = Date.now();
  assert.equal(await exited(run('d', 10)), 0);
  assert.ok(Date.now() - started < 10_000, 'd waited for a lock whose holder was killed');
  assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['c start', 'd start', 'd end']);
  assert.ok(existsSync(lock));
});
