// `npm run report` as a user runs it: scripts/report.ts in a child process.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Summary } from '../reports/summary.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'report');
const PLOT_FILES = ['boot-medians', 'box', 'distribution', 'ecdf', 'forest', 'run-order'].flatMap((p) => [`${p}.png`, `${p}.svg`]);

let tmp: string;
before(() => { tmp = mkdtempSync(join(tmpdir(), 'krsi-report-cli-')); });
after(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

interface Outcome { code: number; stdout: string; stderr: string }

function report(...args: string[]): Promise<Outcome> {
  return new Promise((done) => {
    // node itself with tsx's loader: npx and the tsx wrapper would each start another process.
    execFile(process.execPath, ['--import', 'tsx', 'scripts/report.ts', ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Every file under `dir` with its size and mtime, to see that nothing was written. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort().map((f) => {
    const st = statSync(join(dir, f));
    return `${f} ${st.size} ${st.mtimeMs}`;
  });
}

let counter = 0;
/** A copy of a fixture run, with `edit` applied to its files. */
function runCopy(fixture: string, edit: (dir: string) => void = () => {}): string {
  const dir = join(tmp, `run-${counter++}`);
  cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  edit(dir);
  return dir;
}

function editSamples(dir: string, f: (lines: string[]) => string[]): void {
  const path = join(dir, 'samples.csv');
  writeFileSync(path, `${f(readFileSync(path, 'utf8').trimEnd().split('\n')).join('\n')}\n`);
}

/**
 * Accounting rows whose tasks ran 10 % longer than each boot's window (the time its samples took): idle
 * comes out negative, which no kernel's accounting gives.
 */
function overrunAccounting(dir: string): void {
  const samples = readFileSync(join(dir, 'samples.csv'), 'utf8').trimEnd().split('\n').slice(1).map((l) => l.split(','));
  const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { guests: { scenario: string; boot: number; stallNs?: number }[] };
  const rows = ['scenario,kernel,boot,group,task,pid,ns,execs,ns_per_exec,delay_ns'];
  for (const g of meta.guests) {
    const mine = samples.filter((f) => f[0] === g.scenario && Number(f[2]) === g.boot && f[4] === '0');
    const window = Math.round(mine.reduce((sum, f) => sum + Number(f[5]) * Number(f[6]), 0));
    const execs = mine.reduce((sum, f) => sum + Number(f[5]), 0);
    rows.push(`${g.scenario},${mine[0]![1]},${g.boot},workload,execbench,30,${Math.round(window * 1.1)},${execs},0,0`);
    rows.push(`${g.scenario},${mine[0]![1]},${g.boot},idle,idle,,${-Math.round(window * 0.1)},${execs},0,0`);
    g.stallNs = 0;
  }
  writeFileSync(join(dir, 'attribution.csv'), `${rows.join('\n')}\n`);
  writeFileSync(join(dir, 'run.json'), JSON.stringify(meta));
}

const BAD: { name: string; fixture?: string; edit?: (dir: string) => void; args?: (dir: string) => string[]; error: RegExp }[] = [
  { name: 'malformed CSV', edit: (d) => editSamples(d, (l) => [...l, 'vanilla,"noaudit,0,3,0,20,208000']), error: /samples\.csv line 10: malformed CSV/ },
  { name: 'truncated CSV', edit: (d) => editSamples(d, (l) => [...l.slice(0, -1), l.at(-1)!.slice(0, -10)]), error: /samples\.csv line 9: 6 fields, header has 7 \(truncated file\?\)/ },
  { name: 'missing column', edit: (d) => editSamples(d, (l) => l.map((x) => x.split(',').slice(0, 6).join(','))), error: /samples\.csv line 1: missing column ns_per_exec/ },
  { name: 'scenario of run.json without samples', edit: (d) => editSamples(d, (l) => l.filter((x) => !x.startsWith('krsi-ld-preload'))), error: /samples\.csv: does not match run\.json, truncated or edited\? krsi-ld-preload boot 0 has 0 of its 3 samples/ },
  { name: 'scenario with only warm-up samples', edit: (d) => editSamples(d, (l) => l.map((x) => (x.startsWith('krsi') ? x.replace(/^(krsi-ld-preload,noaudit,0,\d),0,/, '$1,1,') : x))), error: /samples\.csv: does not match run\.json, truncated or edited\? krsi-ld-preload boot 0 has 0 of its 3 samples/ },
  { name: 'samples.csv cut at a line boundary', edit: (d) => editSamples(d, (l) => l.slice(0, -2)), error: /samples\.csv: does not match run\.json, truncated or edited\? krsi-ld-preload boot 0 has 1 of its 3 samples/ },
  { name: 'a run that is still being written', edit: (d) => cpSync(d, `${d}.partial`, { recursive: true }), args: (d) => [`${d}.partial`], error: /\.partial: an unfinished run \(still running, or its process died\); only complete runs are read/ },
  { name: 'a failed run', edit: (d) => writeFileSync(join(d, 'error.txt'), 'guest failed: boom\n'), error: /a failed run \(guest failed: boom\); its data files were not kept/ },
  { name: 'NaN time', edit: (d) => editSamples(d, (l) => l.map((x, i) => (i === 3 ? x.replace(/[^,]+$/, 'NaN') : x))), error: /samples\.csv line 4: ns_per_exec "NaN" is not a number/ },
  { name: 'negative time', edit: (d) => editSamples(d, (l) => l.map((x, i) => (i === 3 ? x.replace(/[^,]+$/, '-5') : x))), error: /samples\.csv line 4: ns_per_exec -5 is not positive/ },
  { name: 'empty samples.csv', edit: (d) => writeFileSync(join(d, 'samples.csv'), ''), error: /samples\.csv: empty file/ },
  { name: 'run.json that is not an object', edit: (d) => writeFileSync(join(d, 'run.json'), '[1, 2]'), error: /run\.json: not a run description/ },
  { name: 'unknown baseline', args: (d) => [d, '--baseline', 'nope'], error: /baseline "nope" is not a scenario of .* \(it has: vanilla, krsi-ld-preload\)/ },
  { name: 'unknown option', args: (d) => [d, '--colour'], error: /Unknown option '--colour'/ },
  { name: 'two runs without --merge', args: (d) => [d, d], error: /give one run directory or samples\.csv, or --merge/ },
  { name: '--merge with one run', args: (d) => ['--merge', d], error: /--merge .* at least two run directories/ },
  { name: '--merge of a run with itself', args: (d) => ['--merge', d, d], error: /the same run as .*merging a run with itself would count its samples twice/ },
  { name: 'no such run', args: (d) => [join(d, 'nope')], error: /nope: no such run directory or samples\.csv/ },
  { name: 'accounting rows that overrun their window', edit: overrunAccounting, error: /attribution\.csv: vanilla boot 0: its tasks ran \d+ ns in a window of \d+ ns of CPU \(the accounting rows do not add up; tolerance 0\.5 %\)/ },
];

for (const c of BAD) {
  test(`bad input exits 2 with one error line and writes nothing: ${c.name}`, async () => {
    const dir = runCopy(c.fixture ?? 'real-small', c.edit);
    const out = join(tmp, `out-${counter++}`);
    const before = snapshot(dir);
    const args = c.args ? c.args(dir) : [dir];
    // into the run directory, and with --out (which must not even be created), at once
    const [r, r2] = await Promise.all([report(...args), report(...args, '--out', out)]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: [^\n]+\n$/);
    assert.match(r.stderr, c.error);
    assert.deepEqual(snapshot(dir), before, 'the run directory is untouched');
    assert.equal(r2.code, 2, r2.stderr);
    assert.equal(existsSync(out), false);
  });
}

test('runs of different modes are refused: exit 2, one line, nothing written', async () => {
  const out = join(tmp, 'mixed');
  const r = await report('--merge', join(FIXTURES, 'seed-a'), join(FIXTURES, 'kvm'), '--out', out);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'error: cannot merge runs of different modes: synthetic-seed-a is icount; synthetic-kvm is kvm (instruction-time and wall-clock times do not compare)\n');
  assert.equal(existsSync(out), false);
});

test('--out naming an existing file is refused before anything is written', async () => {
  const file = join(tmp, 'a-file');
  writeFileSync(file, 'x');
  const r = await report(join(FIXTURES, 'real-small'), '--out', file);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^error: --out .*a-file: exists and is not a directory\n$/);
});

test('one run: the report, summary and plots go into the run directory, and the table to stdout', async () => {
  const dir = runCopy('real-small');
  const r = await report(dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^icount mode/);
  assert.match(r.stdout, /krsi-ld-preload\s+noaudit\s+1 x 3\s+219\.67/);
  assert.ok(r.stdout.endsWith(`report: ${join(dir, 'report.html')}\n`));
  assert.deepEqual(readdirSync(dir).sort(), [...PLOT_FILES, 'events.csv', 'report.html', 'run.json', 'samples.csv', 'summary.json'].sort());
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
  assert.deepEqual(summary.scenarios.map((s) => s.name), ['vanilla', 'krsi-ld-preload']);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.ok(!/<script[^>]*\ssrc=|<link[^>]*stylesheet|@import|https?:\/\/(?!vega\.github\.io\/schema|lwn\.net)/.test(html.replace(/<svg[\s\S]*?<\/svg>/g, '')), 'nothing fetched');
  assert.ok(html.includes('href="samples.csv"') && html.includes('href="events.csv"') && html.includes('href="run.json"') && html.includes('href="summary.json"'));
});

test('a run whose own baseline was not run is compared with its first scenario, and a note says so', async () => {
  const dir = runCopy('real-small', (d) => {
    const meta = JSON.parse(readFileSync(join(d, 'run.json'), 'utf8')) as { matrix: { baseline: string } };
    meta.matrix.baseline = 'audit-execve';
    writeFileSync(join(d, 'run.json'), JSON.stringify(meta));
  });
  const r = await report(dir);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
  assert.equal(summary.baseline, 'vanilla');
  assert.ok(summary.notes.some((n) => n.startsWith("The run's baseline audit-execve has no samples here")), summary.notes.join('\n'));
});

test('a samples.csv alone, reported elsewhere: the data is copied beside the report', async () => {
  const dir = runCopy('real-small', (d) => { rmSync(join(d, 'run.json')); rmSync(join(d, 'events.csv')); });
  const out = join(tmp, 'elsewhere');
  const r = await report(join(dir, 'samples.csv'), '--out', out, '--baseline', 'krsi-ld-preload');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(out).sort(), [...PLOT_FILES, 'report.html', 'samples.csv', 'summary.json'].sort());
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
  assert.equal(summary.baseline, 'krsi-ld-preload');
  assert.equal(summary.mode, 'unknown');
  assert.ok(readFileSync(join(out, 'report.html'), 'utf8').includes('no run.json'));
});

test('--merge pools shared scenarios, says so in the notes, and defaults to merged-<time> beside the first run', async () => {
  const a = runCopy('seed-a');
  const b = runCopy('seed-b');
  const r = await report('--merge', a, b);
  assert.equal(r.code, 0, r.stderr);
  const merged = readdirSync(tmp).filter((d) => d.startsWith('merged-'));
  assert.equal(merged.length, 1);
  assert.match(merged[0]!, /^merged-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
  const out = join(tmp, merged[0]!);
  assert.ok(r.stdout.endsWith(`report: ${join(out, 'report.html')}\n`));
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
  assert.deepEqual(summary.runs, ['synthetic-seed-a', 'synthetic-seed-b']);
  assert.equal(summary.scenarios[0]!.n, 90);
  assert.ok(summary.notes.includes('Samples pooled from 2 runs (synthetic-seed-a, synthetic-seed-b) for vanilla, audit-compiled, audit-no-rules, audit-execve, krsi-ld-preload.'), summary.notes.join('\n'));
  for (const run of ['synthetic-seed-a', 'synthetic-seed-b']) {
    for (const f of ['samples.csv', 'events.csv', 'run.json']) assert.ok(existsSync(join(out, 'runs', run, f)), `${run}/${f}`);
  }
});

test('the gate refuses the same run with one line naming the boot (exit 2)', async () => {
  const dir = runCopy('real-small', overrunAccounting);
  const r = await new Promise<Outcome>((done) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/gate.ts', '--baseline', dir, '--current', dir, '--out', join(tmp, `gate-${counter++}`)], { cwd: ROOT }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^error: .*attribution\.csv: vanilla boot 0: its tasks ran \d+ ns in a window of \d+ ns of CPU \(the accounting rows do not add up; tolerance 0\.5 %\)\n$/);
});

test('--merge refuses two runs that booted a scenario with the same seed, and merges them once the seeds differ', async () => {
  // The fixture's boots: vanilla and krsi-ld-preload, seed 42, with a layout drawn from it.
  const asRun = (id: string, seedShift: number) => (dir: string) => {
    const path = join(dir, 'run.json');
    const meta = JSON.parse(readFileSync(path, 'utf8')) as { runId: string; options: { layout?: string }; guests: { seed: number }[] };
    meta.runId = id;
    meta.options.layout = 'random';
    for (const g of meta.guests) g.seed += seedShift;
    writeFileSync(path, JSON.stringify(meta));
  };
  const a = runCopy('real-small', asRun('run-a', 0));
  const b = runCopy('real-small', asRun('run-b', 0));
  const refused = await report('--merge', a, b, '--out', join(tmp, `merge-${counter++}`));
  assert.equal(refused.code, 2, refused.stderr);
  assert.equal(refused.stderr, `error: ${b}: scenario vanilla was booted with seed 42 in ${a} too; the same seed draws the same layout, so merging would count that boot twice (run one of them with --seed beyond the other's seeds)\n`);
  const c = runCopy('real-small', asRun('run-c', 100));
  const merged = await report('--merge', a, c, '--out', join(tmp, `merge-${counter++}`));
  assert.equal(merged.code, 0, merged.stderr);
});
