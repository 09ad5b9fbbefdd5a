/**
 * A build tree's mark of a finished compile (kernels/tree-state.ts) and what
 * a drawn link makes of it (kernels/relink.ts linkMake): only a tree compiled
 * for the kernel's own config is linked without make's walk.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { linkMake } from '../kernels/relink.ts';
import { clearCompiled, compiledFor, markCompiled } from '../kernels/tree-state.ts';

test('a tree counts as compiled for the config its finished compile marked, and for no other', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'krsi-tree-'));
  assert.equal(await compiledFor(dir, 'aaaa'), false, 'a tree without a mark (an older cache, a fresh seed)');
  await markCompiled(dir, 'aaaa');
  assert.equal(await compiledFor(dir, 'aaaa'), true);
  assert.equal(await compiledFor(dir, 'bbbb'), false, "a sibling's mark, copied in by seeding");
  await clearCompiled(dir);
  assert.equal(await compiledFor(dir, 'aaaa'), false, 'a compile that started and did not finish');
  await clearCompiled(dir);
  rmSync(dir, { recursive: true });
});

test('a compiled tree is linked in place with its archives and linker scripts taken as built; any other is walked', () => {
  const fast = linkMake('/src/linux', '/build/noaudit', true);
  assert.deepEqual(fast.slice(0, 3), ['-C', '/build/noaudit', '--no-print-directory']);
  const kept = fast.flatMap((a, i) => (a === '-o' ? [fast[i + 1]] : []));
  assert.deepEqual(kept.sort(), ['arch/x86/kernel/vmlinux.lds', 'arch/x86/lib/lib.a', 'krsi-layout.lds', 'lib/lib.a', 'vmlinux.a']);
  assert.ok(!kept.includes('vmlinux.o'), 'vmlinux.o is linked again: an IBT kernel draws its layout there');
  assert.deepEqual(linkMake('/src/linux', '/build/noaudit', false), ['-C', '/src/linux', 'O=/build/noaudit']);
});
