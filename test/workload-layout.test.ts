/**
 * execbench's drawn link layout (bench/guest/workload-layout.ts): the derivation
 * is pinned, the draws cover a page evenly, and a real link puts the padding
 * where the draw says, so that what follows it moves by the drawn bytes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { drawWorkloadLayout, LAYOUT_OBJECTS, layoutName, type WorkloadLayout } from '../bench/guest/workload-layout.ts';

// Reference for the padding: python3 -c "import hashlib,struct; h=hashlib.sha256(b'krsi-bench workload layout 42').digest();
//   print([(struct.unpack_from('<H',h,i)[0]%256)*16 for i in (0,2,4,6)])"  ->  [576, 3872, 3744, 1792]
test('drawWorkloadLayout is the pinned derivation from "krsi-bench workload layout <seed>"', () => {
  assert.deepEqual(drawWorkloadLayout(42), { textPad: 576, rodataPad: 3872, dataPad: 3744, bssPad: 1792, order: ['seccomp.o', 'layout_pad.o', 'execbench.o'] });
  assert.deepEqual(drawWorkloadLayout(43), { textPad: 4048, rodataPad: 1472, dataPad: 576, bssPad: 1728, order: ['layout_pad.o', 'execbench.o', 'seccomp.o'] });
  assert.equal(layoutName(drawWorkloadLayout(42)), 't576-r3872-d3744-b1792-seccomp.layout_pad.execbench');
  for (const bad of [-1, 0.5, Number.NaN]) assert.throws(() => drawWorkloadLayout(bad), /whole number/);
});

test('the draws cover every 16-byte offset of a page and every link order, evenly', () => {
  const n = 4096;
  const draws = Array.from({ length: n }, (_, seed) => drawWorkloadLayout(seed));
  const orders = new Map<string, number>();
  for (const d of draws) {
    for (const pad of [d.textPad, d.rodataPad, d.dataPad, d.bssPad]) assert.ok(pad >= 0 && pad < 4096 && pad % 16 === 0, `pad ${pad}`);
    assert.deepEqual([...d.order].sort(), [...LAYOUT_OBJECTS].sort());
    orders.set(d.order.join(' '), (orders.get(d.order.join(' ')) ?? 0) + 1);
  }
  // 6 orders, 683 each expected: a chi-square over 5 degrees of freedom below 20.5 (p = 0.001).
  assert.equal(orders.size, 6);
  const chi = [...orders.values()].reduce((s, c) => s + (c - n / 6) ** 2 / (n / 6), 0);
  assert.ok(chi < 20.5, `link orders uneven: chi-square ${chi.toFixed(1)} over ${[...orders.values()]}`);
  // 256 offsets, 16 expected each: every pad kind reaches all of them but a few, and is centred.
  for (const kind of ['textPad', 'rodataPad', 'dataPad', 'bssPad'] as const) {
    const values = draws.map((d) => d[kind]);
    assert.ok(new Set(values).size >= 250, `${kind} reaches only ${new Set(values).size} of 256 offsets`);
    const mean = values.reduce((s, v) => s + v, 0) / n;
    // Uniform on 0..4080: mean 2040, sd of the mean 1182 / 64 = 18.5.
    assert.ok(Math.abs(mean - 2040) < 80, `${kind} mean ${mean}`);
  }
});

function symbols(binary: string): Map<string, number> {
  const r = spawnSync('nm', [binary], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return new Map(r.stdout.split('\n').filter(Boolean).map((l) => l.split(' ')).filter((f) => f.length === 3).map(([addr, , name]) => [name!, parseInt(addr!, 16)]));
}

test('a linked layout moves what follows the padding by the drawn bytes, and runs', { timeout: 5 * 60_000 }, async () => {
  process.env.KRSI_BENCH_CACHE = mkdtempSync(join(tmpdir(), 'krsi-workload-layout-'));
  const { buildWorkloads, linkWorkloadLayout } = await import('../bench/guest/tools.ts');
  const logs = join(process.env.KRSI_BENCH_CACHE, 'logs');
  const w = await buildWorkloads(logs);
  const plain = symbols(w.execbench);
  // The padding before execbench's own objects: the whole link after it moves.
  const layout: WorkloadLayout = { textPad: 1024, rodataPad: 2048, dataPad: 512, bssPad: 4080, order: ['layout_pad.o', 'execbench.o', 'seccomp.o'] };
  const path = await linkWorkloadLayout(w, layout, logs);
  const drawn = symbols(path);
  // libc follows every object of the draw: its text, read-only data, data and bss move by the padding,
  // give or take the alignment each object's sections end on (less than 64 bytes).
  const moved = (name: string) => drawn.get(name)! - plain.get(name)!;
  for (const [name, pad] of [['execve', layout.textPad], ['main_arena', layout.dataPad], ['_nl_default_dirname', layout.rodataPad]] as const) {
    assert.ok(plain.has(name) && drawn.has(name), `${name} not in both links`);
    assert.ok(moved(name) >= pad && moved(name) < pad + 64, `${name} moved ${moved(name)} bytes for a pad of ${pad}`);
  }
  assert.ok(drawn.get('krsi_layout_text_pad')! < drawn.get('main')! || drawn.get('krsi_layout_text_pad')! < drawn.get('execve')!);
  // Cached: the same layout again is the same file, untouched.
  assert.equal(await linkWorkloadLayout(w, layout, logs), path);
  // And it is a working execbench: two samples of five execs of nop on this host.
  const run = spawnSync(path, ['-k', '5', '-n', '2', '-w', '1', '--warmup-max', '3', w.nop], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.split('\n').filter((l) => /^sample \d+ 0 5 /.test(l)).length, 2, run.stdout);
  // --warmup-max above -w is the adaptive rule: at least two warm-ups to compare, at most three, and it
  // stops before three only when the last two agree within the default 0.5 %.
  const warm = run.stdout.split('\n').filter((l) => /^sample \d+ 1 5 /.test(l)).map((l) => Number(l.split(' ')[4]));
  assert.ok(warm.length >= 2 && warm.length <= 3, run.stdout);
  if (warm.length === 2) assert.ok(Math.abs(warm[1]! / warm[0]! - 1) * 100 <= 0.5, run.stdout);
});
