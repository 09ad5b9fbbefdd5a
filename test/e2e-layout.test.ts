/**
 * End to end, the layout draws: real kernels, real QEMU guests. Each boot draws
 * its memory layout from its seed, reproducibly; a scenario's guest is the
 * same whatever runs beside it; two scenarios that differ only in name come
 * out as no difference; --layout fixed is the one layout of earlier runs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { drawWorkloadLayout } from '../bench/guest/workload-layout.ts';
import { cachePath, sha256 } from '../lib/cache.ts';
import { sourceLabel, type RunMeta } from '../lib/results.ts';
import { readSamples } from '../reports/load.ts';
import type { Summary } from '../reports/summary.ts';

const ROOT = join(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const tmp = mkdtempSync(join(tmpdir(), 'krsi-layout-'));

function bench(out: string, args: string[]): { dir: string; summary: Summary; samples: ReturnType<typeof readSamples> } {
  const r = spawnSync(TSX, [join(ROOT, 'scripts', 'bench.ts'), '--out', join(tmp, out), ...args], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `bench ${args.join(' ')} failed:\n${r.stderr}`);
  const dir = realpathSync(join(tmp, out, 'latest'));
  return { dir, summary: JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary, samples: readSamples(join(dir, 'samples.csv')) };
}

const series = (samples: ReturnType<typeof readSamples>, scenario: string, boot: number) =>
  samples.filter((s) => s.scenario === scenario && s.boot === boot).map((s) => s.nsPerExec);

// Two scenarios identical but for their names, and the KRSI scenario beside them on the same kernel.
const matrix = join(tmp, 'aa.json');
writeFileSync(matrix, JSON.stringify({
  name: 'aa',
  baseline: 'vanilla',
  scenarios: [
    { name: 'vanilla', kernel: 'noaudit' },
    { name: 'vanilla-again', kernel: 'noaudit' },
    { name: 'krsi-ld-preload', kernel: 'noaudit', bpf: [{ tool: 'krsi_ld_preload' }] },
  ],
}));
const WORKLOAD = ['--samples', '4', '--execs', '20', '--warmup', '1'];

test('boots draw their layouts from their seeds: seeds differ, a seed repeats, neighbours and names do not matter', { timeout: 30 * 60_000 }, () => {
  const all = bench('matrix', ['--matrix', matrix, '--boots', '3', ...WORKLOAD]);
  const vanilla = [0, 1, 2].map((b) => series(all.samples, 'vanilla', b));
  assert.notDeepEqual(vanilla[0], vanilla[1], 'seeds 42 and 43 gave the same samples');
  assert.notDeepEqual(vanilla[1], vanilla[2], 'seeds 43 and 44 gave the same samples');

  // A/A: names are not part of what a guest boots, so the copy measures what the original does.
  const aa = all.summary.scenarios.find((s) => s.name === 'vanilla-again')!;
  assert.equal(aa.overhead?.verdict, 'equivalent');
  assert.ok(aa.overhead!.equivalence.ci_pct.every((x) => Math.abs(x) < 1e-9), `A/A equivalence interval ${aa.overhead!.equivalence.ci_pct}`);
  assert.equal(aa.overhead?.method, 'paired-t');
  assert.ok(Math.abs(aa.overhead!.pct) < 0.5, `A/A overhead ${aa.overhead!.pct} %`);
  const krsi = all.summary.scenarios.find((s) => s.name === 'krsi-ld-preload')!;
  assert.equal(krsi.overhead?.method, 'paired-t');
  assert.deepEqual(krsi.overhead?.paired_seeds, [42, 43, 44]);
  const meta = JSON.parse(readFileSync(join(all.dir, 'run.json'), 'utf8')) as RunMeta;
  assert.equal(meta.options.layout, 'random');
  assert.deepEqual(meta.guests.filter((g) => g.scenario === 'vanilla').map((g) => g.seed).sort(), [42, 43, 44]);
  // Each boot linked execbench in its seed's layout, whatever the scenario: a seed's boots pair.
  for (const g of meta.guests) assert.deepEqual(g.workloadLayout, drawWorkloadLayout(g.seed), `guest ${g.id}'s execbench layout`);
  // And its kernel in link s mod D of the kernel: seeds 42-44 in links 6, 7 and 8 of 12, three
  // different orders of the same objects, each booted by every scenario of that seed.
  assert.equal(meta.options.kernelLinks, 12);
  for (const g of meta.guests) {
    assert.equal(g.kernelLayout?.draw, g.seed % 12, `guest ${g.id}'s kernel link`);
    assert.match(g.kernelLayout!.orderDigest, /^[0-9a-f]{16}$/);
  }
  const orders = new Map(meta.guests.map((g) => [g.seed, g.kernelLayout!.orderDigest]));
  assert.equal(new Set(orders.values()).size, 3, 'three seeds, three kernel links');
  for (const g of meta.guests) assert.equal(g.kernelLayout!.orderDigest, orders.get(g.seed));
  // The links are images of their own: the build's and the three drawn ones differ byte for byte.
  const kernelDir = cachePath('kernels', `noaudit-${meta.kernels.find((k) => k.variant === 'noaudit')!.configHash}`);
  const images = [join(kernelDir, 'bzImage'), ...[6, 7, 8].map((d) => join(kernelDir, 'layouts', `d${d}`, 'bzImage'))];
  assert.equal(new Set(images.map((f) => sha256(readFileSync(f)))).size, 4, `four different images: ${images.join(', ')}`);

  // The gate at boot level, on these real boots: the run against itself passes; the same run with
  // one scenario's samples 5 % slower (a shift applied to real data, layouts and all) fails, and
  // the pairing by seed is what it used.
  const gate = (current: string) => spawnSync(TSX, [join(ROOT, 'scripts', 'gate.ts'), '--baseline', all.dir, '--current', current, '--out', join(tmp, 'gate')], { cwd: ROOT, encoding: 'utf8' });
  const same = gate(all.dir);
  assert.equal(same.status, 0, `gate of a run against itself:\n${same.stdout}${same.stderr}`);
  const slower = join(tmp, 'slower');
  cpSync(all.dir, slower, { recursive: true });
  // The shift is applied to the samples alone: the accounting, which would no longer add up to them, goes.
  rmSync(join(slower, 'attribution.csv'));
  const csv = readFileSync(join(slower, 'samples.csv'), 'utf8').split('\n');
  writeFileSync(join(slower, 'samples.csv'), csv.map((line) => {
    const f = line.split(',');
    if (f[0] !== 'krsi-ld-preload') return line;
    f[6] = (Number(f[6]) * 1.05).toFixed(3);
    return f.join(',');
  }).join('\n'));
  const shifted = gate(slower);
  assert.equal(shifted.status, 1, `a +5 % shift was not caught:\n${shifted.stdout}${shifted.stderr}`);
  const report = JSON.parse(readFileSync(join(tmp, 'gate', 'gate.json'), 'utf8')) as { scenarios: { name: string; verdict: string; method: string }[] };
  const k = report.scenarios.find((s) => s.name === 'krsi-ld-preload')!;
  assert.deepEqual([k.verdict, k.method], ['regressed', 'boot-paired']);
  assert.equal(report.scenarios.find((s) => s.name === 'vanilla-again')!.verdict, 'no change');

  // The same seed again, alone: the same samples, value for value, although it ran without its neighbours.
  const alone = bench('alone', ['--matrix', matrix, '--scenarios', 'vanilla', '--boots', '1', '--seed', '43', ...WORKLOAD]);
  assert.deepEqual(series(alone.samples, 'vanilla', 0), vanilla[1], 'seed 43 alone differs from seed 43 beside the others');
});

test('--layout fixed: every boot and seed the same layout, at the level it was measured at', { timeout: 30 * 60_000 }, () => {
  const fixed = bench('fixed', ['--scenarios', 'vanilla', '--layout', 'fixed', '--boots', '2', '--samples', '3', '--execs', '100', '--warmup', '3']);
  assert.deepEqual(series(fixed.samples, 'vanilla', 0), series(fixed.samples, 'vanilla', 1), 'two seeds gave different samples under --layout fixed');
  const s = fixed.summary.scenarios[0]!;
  assert.equal(s.layout, 'fixed');
  assert.equal(s.centre.method, 'within-layout');
  const fixedMeta = JSON.parse(readFileSync(join(fixed.dir, 'run.json'), 'utf8')) as RunMeta;
  assert.ok(fixedMeta.guests.every((g) => g.workloadLayout === undefined), 'a fixed-layout boot drew a layout for execbench');
  assert.ok(fixedMeta.guests.every((g) => g.kernelLayout === undefined), 'a fixed-layout boot ran a drawn kernel link');
  assert.ok(fixed.summary.notes.some((n) => /Layout fixed/.test(n)), 'no note saying what a fixed layout covers');
  // The level is compared, not the bits, so that changes beside the workload (the init script, the
  // warm-up rule) pass while a change of what the guest measures shows.
  const pinned = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/layout/fixed-vanilla.json'), 'utf8')) as { median_ns: number; kernel_source: string; noaudit_config: string; command: string };
  const meta = JSON.parse(readFileSync(join(fixed.dir, 'run.json'), 'utf8')) as RunMeta;
  const noaudit = meta.kernels.find((k) => k.variant === 'noaudit')!;
  const remeasure = `measure the fixed level again (${pinned.command}) and update test/fixtures/layout/fixed-vanilla.json`;
  assert.equal(sourceLabel(noaudit.source!), pinned.kernel_source, `the noaudit kernel's source is not the one the fixture was measured on (was the pin in kernels/pins.ts moved?): ${remeasure}`);
  assert.equal(noaudit.configHash, pinned.noaudit_config, `the noaudit kernel's config changed: ${remeasure}`);
  assert.ok(Math.abs(s.median_ns / pinned.median_ns - 1) < 0.005, `fixed-layout vanilla ${s.median_ns} ns against ${pinned.median_ns} ns pinned`);
});
