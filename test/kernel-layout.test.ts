/**
 * The kernel's drawn link layouts (kernels/layout.ts): the derivation is
 * pinned, boots spread over the draws, the linker script keeps everything but
 * the main text's order, and GNU ld places each archive member's text where
 * the drawn script says.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { drawKernelLayout, KERNEL_LAYOUT_DRAWS, kernelDrawOf, kernelLayoutName, layoutLinkerScript, MAIN_TEXT } from '../kernels/layout.ts';
import { mulberry32, shuffled } from '../lib/prng.ts';

const OBJECTS = ['init/main.o', 'kernel/fork.o', 'fs/exec.o', 'mm/mmap.o', 'lib/string.o'];

// Reference: python3 -c "import hashlib,struct; h=hashlib.sha256(b'krsi-bench kernel layout 0').digest();
//   print((struct.unpack_from('<H',h,0)[0]%256)*16, struct.unpack_from('<I',h,4)[0])"  ->  1104 3236374478
test('drawKernelLayout is the pinned derivation from "krsi-bench kernel layout <draw>"', () => {
  const expected: [number, number, number][] = [[0, 1104, 3236374478], [1, 3424, 2247297982], [2, 1408, 151560754], [3, 1120, 2858437330]];
  for (const [draw, pad, orderSeed] of expected) {
    const { layout, order } = drawKernelLayout(draw, OBJECTS);
    assert.equal(layout.draw, draw);
    assert.equal(layout.textPad, pad);
    assert.deepEqual(order, shuffled(OBJECTS, mulberry32(orderSeed)));
    assert.match(layout.orderDigest, /^[0-9a-f]{16}$/);
  }
  assert.equal(kernelLayoutName(drawKernelLayout(0, OBJECTS).layout), `d0-t1104-${drawKernelLayout(0, OBJECTS).layout.orderDigest}`);
  // Another kernel's objects: the same draw shuffles them with the same generator, to another digest.
  assert.notEqual(drawKernelLayout(0, OBJECTS).layout.orderDigest, drawKernelLayout(0, [...OBJECTS, 'security/bpf/hooks.o']).layout.orderDigest);
  for (const bad of [-1, 0.5, Number.NaN]) assert.throws(() => drawKernelLayout(bad, OBJECTS), /whole number/);
});

test('boot seeds spread over the draws in turn: B boots put B / D on each', () => {
  assert.equal(KERNEL_LAYOUT_DRAWS, 12);
  const seeds = Array.from({ length: 24 }, (_, b) => 42 + b);
  const counts = new Map<number, number>();
  for (const s of seeds) counts.set(kernelDrawOf(s), (counts.get(kernelDrawOf(s)) ?? 0) + 1);
  assert.deepEqual([...counts.values()], Array(12).fill(2), '24 boots: 2 on each of the 12 links');
  // The default run's 12 seeds (42-53): every boot its own link.
  assert.equal(new Set(seeds.slice(0, 12).map((s) => kernelDrawOf(s))).size, 12);
  assert.equal(kernelDrawOf(42), 6);
  assert.equal(kernelDrawOf(42, 4), 2);
  assert.equal(kernelDrawOf(7, 1), 0);
  assert.throws(() => kernelDrawOf(-3), /whole number/);
});

test('the drawn linker script changes the main text and nothing else', () => {
  const lds = `SECTIONS {\n .text : { _stext = .; *(.head.text) . = ALIGN(16); *(.text.hot .text.hot.*) ${MAIN_TEXT} *(.text.unlikely .text.unlikely.*) }\n .data : { *(.data) }\n}\n`;
  const out = layoutLinkerScript(lds, 1104, ['fs/exec.o', 'init/main.o']);
  assert.equal(out.replace(/\. = \. \+ 1104;\n\*:fs\/exec\.o\(\.text \.text\.fixup\)\n\*:init\/main\.o\(\.text \.text\.fixup\)\n/, ''), lds);
  assert.ok(out.indexOf('*(.text.hot') < out.indexOf('. = . + 1104;'), 'the padding comes after the hot text');
  assert.throws(() => layoutLinkerScript('SECTIONS { .text : { *(.text) } }', 0, []), /main text/);
  assert.throws(() => layoutLinkerScript(`${lds}${MAIN_TEXT}`, 0, []), /exactly once/);
});

test('GNU ld puts each thin-archive member\'s text where the drawn script says, after the padding', () => {
  const dir = mkdtempSync(join(tmpdir(), 'krsi-kernel-layout-'));
  const sh = (cmd: string) => {
    const r = spawnSync('bash', ['-c', cmd], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
    return r.stdout;
  };
  const objects = ['init/main.o', 'kernel/fork.o', 'fs/exec.o', 'lib/string.o'];
  for (const o of objects) {
    mkdirSync(join(dir, o.slice(0, o.lastIndexOf('/'))), { recursive: true });
    const fn = o.replace(/\W/g, '_');
    writeFileSync(join(dir, o.replace(/\.o$/, '.c')), `int ${fn}_data = 1;\nvoid ${fn}(void) { ${fn}_data++; }\n`);
    sh(`gcc -c -O2 -fno-pic -o ${o} ${o.replace(/\.o$/, '.c')}`);
  }
  // As kbuild makes them: vmlinux.a thin with the objects' paths, and lib/lib.a with its index.
  sh('ar cDPrST vmlinux.a init/main.o kernel/fork.o fs/exec.o && ar cDPrsT lib/lib.a lib/string.o');
  const base = `SECTIONS {\n .text 0x1000 : { _stext = .; ${MAIN_TEXT} }\n .data : { *(.data) }\n}\n`;
  const { layout, order } = drawKernelLayout(1, objects);
  assert.notDeepEqual(order, objects, 'draw 1 reorders these objects, or the test below could not tell');
  writeFileSync(join(dir, 'layout.lds'), layoutLinkerScript(base, layout.textPad, order));
  writeFileSync(join(dir, 'base.lds'), base);
  const link = (lds: string, out: string) => {
    sh(`ld -T ${lds} -o ${out} -e 0 --whole-archive vmlinux.a --no-whole-archive --start-group lib/lib.a --end-group -u lib_string_o`);
    return new Map(sh(`nm ${out}`).split('\n').filter(Boolean).map((l) => l.split(' ')).map(([a, t, n]) => [n!, { at: parseInt(a!, 16), kind: t! }]));
  };
  const plain = link('base.lds', 'plain');
  const drawn = link('layout.lds', 'drawn');
  const texts = (syms: Map<string, { at: number; kind: string }>) => objects.map((o) => o.replace(/\W/g, '_')).sort((a, b) => syms.get(a)!.at - syms.get(b)!.at);
  assert.deepEqual(texts(plain), objects.map((o) => o.replace(/\W/g, '_')), 'kbuild order without the draw');
  assert.deepEqual(texts(drawn), order.map((o) => o.replace(/\W/g, '_')), 'the drawn order with it');
  assert.equal(drawn.get(texts(drawn)[0]!)!.at, 0x1000 + layout.textPad, 'the first object\'s text after the padding');
  // Data keeps its place: only text moved.
  for (const o of objects) assert.equal(drawn.get(`${o.replace(/\W/g, '_')}_data`)!.at - drawn.get('init_main_o_data')!.at, plain.get(`${o.replace(/\W/g, '_')}_data`)!.at - plain.get('init_main_o_data')!.at);
});
