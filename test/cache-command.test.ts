import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '..');
const cache = (root: string, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'cache.ts'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, KRSI_BENCH_CACHE: root } });

test('npm run cache: list sizes the parts, clean --unused keeps auditd and drops stale entries, clean refuses a cache in use', async () => {
  const root = mkdtempSync(join(tmpdir(), 'krsi-cache-'));
  mkdirSync(join(root, 'workloads', 'stale0123456789ab'), { recursive: true });
  writeFileSync(join(root, 'workloads', 'stale0123456789ab', 'nop'), Buffer.alloc(64 * 1024));
  mkdirSync(join(root, 'auditd', 'root'), { recursive: true });
  writeFileSync(join(root, 'auditd', 'root', 'auditd'), 'x');
  mkdirSync(join(root, 'tmp', '2026-01-01T00-00-00Z-zzzzzz'), { recursive: true });

  const list = cache(root, 'list');
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /^ {2}workloads +6\d KiB {2}1 entry: stale0123456789ab$/m);
  assert.match(list.stdout, /^ {2}total +/m);

  // A run holding a lock: clean refuses, and removes nothing.
  const holder = spawn('flock', ['--no-fork', join(root, 'workloads', 'x.lock'), 'sleep', '30']);
  await new Promise((r) => setTimeout(r, 300));
  const busy = cache(root, 'clean');
  holder.kill();
  assert.equal(busy.status, 1);
  assert.match(busy.stderr, /^error: a run is using the cache \(.*x\.lock is locked\); clean it when no run is going\n$/);
  assert.ok(existsSync(join(root, 'workloads', 'stale0123456789ab')));
  await new Promise((r) => holder.on('exit', r));

  const unused = cache(root, 'clean', '--unused');
  assert.equal(unused.status, 0, unused.stderr);
  assert.equal(existsSync(join(root, 'workloads', 'stale0123456789ab')), false, 'a stale workloads build kept');
  assert.equal(existsSync(join(root, 'tmp', '2026-01-01T00-00-00Z-zzzzzz')), false, 'temporary files of an ended run kept');
  assert.ok(existsSync(join(root, 'auditd', 'root', 'auditd')), 'the unpacked auditd removed');

  assert.equal(cache(root, 'clean').status, 0);
  assert.equal(existsSync(root), false);
  const bad = cache(root, 'prune');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^error: give list or clean \[--unused\]/);
});
