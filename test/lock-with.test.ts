import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { withLock } from '../bench/lock.ts';

test('withLock runs one holder at a time and takes over a lock whose owner died', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'krsi-lock-'));
  const lock = join(dir, 'x.lock');
  const order: string[] = [];
  const holder = (name: string, ms: number) =>
    withLock(lock, name, async () => {
      order.push(`${name} start`);
      await new Promise((r) => setTimeout(r, ms));
      order.push(`${name} end`);
    });
  await Promise.all([holder('a', 300), new Promise((r) => setTimeout(r, 50)).then(() => holder('b', 10))]);
  assert.deepEqual(order, ['a start', 'a end', 'b start', 'b end'], 'b waited for a');
  assert.equal(existsSync(lock), false, 'the lock is removed after use');

  writeFileSync(lock, '999999999');
  const took = await withLock(lock, 'c', async () => 'ran');
  assert.equal(took, 'ran', 'a lock held by a dead process is taken over');
});
