import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { execa } from 'execa';
import { hugePageBuildEnv, thpMode, withHugePages } from '../kernels/hugepages.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'krsi-hugepages-'));
  dirs.push(d);
  return d;
}

test('thpMode reads the bracketed mode, null without the file', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'enabled'), 'always [madvise] never\n');
  assert.equal(thpMode(join(dir, 'enabled')), 'madvise');
  await writeFile(join(dir, 'enabled'), 'always madvise [never]\n');
  assert.equal(thpMode(join(dir, 'enabled')), 'never');
  assert.equal(thpMode(join(dir, 'missing')), null);
});

test("withHugePages keeps the user's own preloads and tunables", () => {
  assert.deepEqual(withHugePages({}, '/c/p.so'), { LD_PRELOAD: '/c/p.so', GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' });
  assert.deepEqual(withHugePages({ LD_PRELOAD: '/u.so', GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, '/c/p.so'), {
    LD_PRELOAD: '/c/p.so /u.so',
    GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1',
  });
});

// Maps 4 MiB the way gcc's heap does and prints where it landed and the VmFlags the kernel reports for it.
const PROBE = `
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
int main(void) {
  char *p = mmap(NULL, 4u << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 1;
  memset(p, 1, 4u << 20);
  char want[64], line[512];
  snprintf(want, sizeof want, "%lx-", (unsigned long)p);
  FILE *f = fopen("/proc/self/smaps", "r");
  int in = 0;
  printf("%lu\\n", (unsigned long)p % (2u << 20));
  while (fgets(line, sizeof line, f)) {
    if (strchr(line, '-') && strchr(line, ' ') > strchr(line, '-')) in = strncmp(line, want, strlen(want)) == 0;
    if (in && strncmp(line, "VmFlags:", 8) == 0) fputs(line, stdout);
  }
  return 0;
}
`;

test('the preload library gives large anonymous mappings aligned huge pages, and only under it', { skip: [null, 'never'].includes(thpMode()) && 'this host has no transparent huge pages' }, async () => {
  const dir = await tempDir();
  const saved = process.env.KRSI_BENCH_CACHE;
  process.env.KRSI_BENCH_CACHE = dir;
  try {
    const env = await hugePageBuildEnv(join(dir, 'build.log'));
    assert.match(env.LD_PRELOAD ?? '', /hugepage-preload-[0-9a-f]{16}\.so$/);
    await writeFile(join(dir, 'probe.c'), PROBE);
    await execa('gcc', ['-O2', '-o', join(dir, 'probe'), join(dir, 'probe.c')]);

    const plain = (await execa(join(dir, 'probe'))).stdout.split('\n');
    assert.doesNotMatch(plain[1] ?? '', /\bhg\b/);
    const preloaded = (await execa(join(dir, 'probe'), { env })).stdout.split('\n');
    assert.equal(preloaded[0], '0', 'mapping not 2 MiB-aligned');
    assert.match(preloaded[1] ?? '', /\bhg\b/, 'mapping not advised for huge pages');
  } finally {
    if (saved === undefined) delete process.env.KRSI_BENCH_CACHE;
    else process.env.KRSI_BENCH_CACHE = saved;
  }
});

test('KRSI_BENCH_HUGEPAGES=0 turns the preload off', async () => {
  process.env.KRSI_BENCH_HUGEPAGES = '0';
  try {
    assert.deepEqual(await hugePageBuildEnv('/nonexistent/log'), {});
  } finally {
    delete process.env.KRSI_BENCH_HUGEPAGES;
  }
});
