import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeManifest } from '../lib/manifest.ts';
import type { BuiltKernel } from '../kernels/cache.ts';
import { cachedKernelLayout, LAYOUT_RECIPE } from '../kernels/relink.ts';

// No build tree and no source here: a cached draw is found from the cache alone.
const kernel = { variant: 'noaudit', configHash: '0123456789abcdef' } as BuiltKernel;
const layout = { draw: 3, textPad: 1120, orderDigest: '2fecf02594f54120' };

async function store(cache: string, recipe: string): Promise<string> {
  const dir = join(cache, 'kernels', 'noaudit-0123456789abcdef', 'layouts', 'd3');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'bzImage'), 'an image');
  writeFileSync(join(dir, 'layout.json'), JSON.stringify({ recipe, layout }));
  await writeManifest(dir, [join(dir, 'bzImage'), join(dir, 'layout.json')]);
  return dir;
}

test('cachedKernelLayout finds a draw the cache vouches for, and nothing else', async (t) => {
  const before = process.env.KRSI_BENCH_CACHE;
  const cache = mkdtempSync(join(tmpdir(), 'krsi-layouts-'));
  process.env.KRSI_BENCH_CACHE = cache;
  t.after(() => { if (before === undefined) delete process.env.KRSI_BENCH_CACHE; else process.env.KRSI_BENCH_CACHE = before; });

  assert.equal(await cachedKernelLayout(kernel, 3), null, 'nothing linked yet');
  const dir = await store(cache, LAYOUT_RECIPE);
  assert.deepEqual(await cachedKernelLayout(kernel, 3), { bzImage: join(dir, 'bzImage'), layout });
  assert.equal(await cachedKernelLayout(kernel, 4), null, 'another draw');

  writeFileSync(join(dir, 'bzImage'), 'a damaged image');
  assert.equal(await cachedKernelLayout(kernel, 3), null, 'an image its manifest does not vouch for');
  await store(cache, 'a recipe of before');
  assert.equal(await cachedKernelLayout(kernel, 3), null, 'a link made another way');
});
