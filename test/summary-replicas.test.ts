import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeSyntheticRun } from '../bench/synthetic-run.ts';
import { readRunAsBaseline } from '../reports/gate/baseline.ts';
import { compareRuns } from '../reports/gate/compare.ts';
import { loadRun } from '../reports/load.ts';
import { summarize } from '../reports/summary.ts';

const dir = mkdtempSync(join(tmpdir(), 'krsi-replicas-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A fixed-layout run of 3 boots whose boots 1 and 2 repeat boot 0 value for value (as icount does), for the scenarios named. */
function replicated(name: string, repeat: string[]): string {
  const d = writeSyntheticRun(join(dir, name), {
    runId: name, mode: 'icount', samples: 8, warmup: 1, boots: 3, execs: 100, seed: 5,
    scenarios: [{ name: 'vanilla', kernel: 'noaudit', level: 200_000 }, { name: 'krsi', kernel: 'noaudit', level: 210_000 }],
  });
  const rows = readFileSync(join(d, 'samples.csv'), 'utf8').trimEnd().split('\n');
  const first = new Map<string, string>();
  for (const r of rows.slice(1)) {
    const f = r.split(',');
    if (f[2] === '0') first.set(`${f[0]},${f[3]},${f[4]}`, f[6]!);
  }
  const out = rows.map((r, i) => {
    const f = r.split(',');
    if (i === 0 || !repeat.includes(f[0]!) || f[2] === '0') return r;
    f[6] = first.get(`${f[0]},${f[3]},${f[4]}`)!;
    return f.join(',');
  });
  writeFileSync(join(d, 'samples.csv'), `${out.join('\n')}\n`);
  return d;
}

test('a fixed layout whose boots repeat each other counts their samples once, with a note; distinct boots stay', () => {
  const s = summarize([loadRun(replicated('a', ['krsi']))]);
  const krsi = s.scenarios.find((x) => x.name === 'krsi')!;
  const vanilla = s.scenarios.find((x) => x.name === 'vanilla')!;
  assert.equal(krsi.n, 8, 'three identical boots of 8 samples are 8 samples');
  assert.equal(krsi.boots, 3);
  assert.equal(vanilla.n, 24, 'boots that differ are all kept');
  assert.ok(s.notes.some((n) => /^krsi: 2 of its 3 boots repeated another boot's samples value for value .* n = 8, not 24\./.test(n)), s.notes.join('\n'));
  assert.ok(!s.notes.some((n) => n.startsWith('vanilla: ') && n.includes('repeated')));
});

test('the gate over samples counts repeated boots once too', () => {
  const old = readRunAsBaseline(replicated('b', ['krsi', 'vanilla'])).baseline;
  const cur = readRunAsBaseline(replicated('c', ['krsi', 'vanilla'])).baseline;
  const cmp = compareRuns(old, cur, { metric: 'overhead', alpha: 0.01, thresholdPct: 1, resamples: 500, seed: 1 });
  const krsi = cmp.scenarios.find((x) => x.name === 'krsi')!;
  assert.equal(krsi.method, 'samples');
  assert.equal(krsi.units, 16, 'one boot of 8 samples on each side');
  assert.ok(cmp.notes.some((n) => /boots that repeat another boot's samples .* counted once, in vanilla, krsi/.test(n)), cmp.notes.join('\n'));
});
