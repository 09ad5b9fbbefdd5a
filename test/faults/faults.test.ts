/**
 * Fault injection into the real suite: real QEMU guests, real make, real
 * processes. Each case injects one fault and checks the exit status, that one
 * line names the cause, what is left on disk, and that no process it started
 * is still running. The README's "Reliability" table lists the outcomes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { cachePath } from '../../lib/cache.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'faults');
const tmp = mkdtempSync(join(tmpdir(), 'krsi-faults-'));
/** Small guests: the faults, not the figures, are under test. */
const SMALL = ['--boots', '1', '--samples', '2', '--execs', '20', '--warmup', '1', '--warmup-max', '1'];

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The bench as node itself (no npm or tsx wrapper in between, so that a signal
 * or SIGKILL reaches the process doing the work). `stopWhen` sends `signal`
 * once stderr matches it.
 */
function bench(args: string[], opts: { stopWhen?: RegExp; signal?: NodeJS.Signals; delayMs?: number; env?: Record<string, string> } = {}): Promise<Outcome> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'bench.ts'), ...args], {
    cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let sent = false;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (opts.stopWhen && !sent && opts.stopWhen.test(stderr)) {
      sent = true;
      setTimeout(() => child.kill(opts.signal ?? 'SIGINT'), opts.delayMs ?? 0);
    }
  });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

function cli(script: string, args: string[]): Outcome {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', script), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const lastLine = (text: string) => text.trimEnd().split('\n').pop() ?? '';

/** Processes whose command line contains `needle`, and `also` if given (other than this test's own). */
function running(needle: string, also?: string): string[] {
  const r = spawnSync('pgrep', ['-af', needle], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.trim() && !l.includes('pgrep') && !l.startsWith(`${process.pid} `) && (!also || l.includes(also)));
}

/** Waits up to `ms` for no process to match; returns what still runs. */
async function settle(needle: string, ms = 5000, also?: string): Promise<string[]> {
  for (let t = 0; t < ms; t += 100) {
    if (running(needle, also).length === 0) return [];
    await new Promise((r) => setTimeout(r, 100));
  }
  return running(needle, also);
}

const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

/** The one run directory under `out` with this suffix ('' for complete ones). */
function runDir(out: string, suffix: '' | '.failed' | '.partial'): string {
  const dirs = entries(out).filter((e) => e !== 'latest' && (suffix ? e.endsWith(suffix) : !/\.(failed|partial)$/.test(e)));
  assert.equal(dirs.length, 1, `${out}: expected one ${suffix || 'complete'} run, found ${entries(out).join(', ')}`);
  return join(out, dirs[0]!);
}

/** What an interrupted run leaves: one .failed run saying so, no data, no latest, no guest, no temporary initrd. */
async function assertInterrupted(out: string, r: Outcome, signal: 'SIGINT' | 'SIGTERM', code: number): Promise<void> {
  assert.equal(r.code, code, r.stderr);
  assert.match(lastLine(r.stderr), new RegExp(`^error: interrupted \\(${signal}\\); what finished is cached and the next run reuses it; logs kept in `));
  const failed = runDir(out, '.failed');
  assert.equal(readFileSync(join(failed, 'error.txt'), 'utf8').trim(), `interrupted (${signal})`);
  assert.deepEqual(entries(failed).filter((f) => f !== 'error.txt' && f !== 'logs'), [], 'data files kept in a failed run');
  assert.equal(existsSync(join(out, 'latest')), false);
  assert.deepEqual(await settle(out), [], 'processes of the run still running');
  const id = failed.slice(out.length + 1).replace(/\.failed$/, '');
  assert.equal(existsSync(cachePath('tmp', id)), false, 'the run left its temporary initrds');
}

test('faults 2 and 3: SIGINT and SIGTERM while guests run stop them, keep the run as failed and exit 130 and 143', { timeout: 10 * 60_000 }, async () => {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    const out = join(tmp, `guests-${signal}`);
    const r = await bench(['--scenarios', 'vanilla', '--boots', '4', '--samples', '4', '--out', out], { stopWhen: /run: \d+ guests/, signal, delayMs: 1500 });
    await assertInterrupted(out, r, signal, code);
  }
});

test('fault 4: SIGKILL of the suite while guests run: no guest outlives it, and the next run marks the run abandoned', { timeout: 10 * 60_000 }, async () => {
  const out = join(tmp, 'sigkill');
  const r = await bench(['--scenarios', 'vanilla', '--boots', '4', '--samples', '4', '--out', out], { stopWhen: /run: \d+ guests/, signal: 'SIGKILL', delayMs: 1500 });
  assert.equal(r.signal, 'SIGKILL');
  // PR_SET_PDEATHSIG: the kernel kills the guests when their parent dies.
  assert.deepEqual(await settle(out), [], 'guests outlived the suite');
  const partial = runDir(out, '.partial');
  const id = partial.slice(out.length + 1).replace(/\.partial$/, '');
  const next = await bench([...SMALL, '--scenarios', 'vanilla', '--out', out]);
  assert.equal(next.code, 0, next.stderr);
  assert.match(readFileSync(join(out, `${id}.failed`, 'error.txt'), 'utf8'), /^abandoned: its process \(pid \d+\) ended without finishing it/);
  assert.equal(existsSync(cachePath('tmp', id)), false, 'the killed run left its temporary initrds');
  assert.equal(realpathSync(join(out, 'latest')), realpathSync(runDir(out, '')));
});

test('fault 1: SIGINT during a kernel compile stops make and its compilers; the same command again builds the kernel', { timeout: 20 * 60_000 }, async () => {
  const out = join(tmp, 'compile');
  const args = ['--matrix', join(FIXTURES, 'rebuild.json'), ...SMALL, '--out', out];
  // A variant of its own: remove what an earlier run of this test built, so that it compiles.
  for (const d of entries(cachePath('kernels')).filter((e) => e.startsWith('fault-rebuild'))) execFileSync('rm', ['-rf', cachePath('kernels', d)]);
  for (const d of entries(cachePath('kernels', 'by-inputs')).filter((e) => e.startsWith('fault-rebuild'))) execFileSync('rm', ['-f', cachePath('kernels', 'by-inputs', d)]);
  for (const src of entries(cachePath('build'))) execFileSync('rm', ['-rf', cachePath('build', src, 'fault-rebuild')]);
  const r = await bench(args, { stopWhen: /kernel fault-rebuild: compiling/, signal: 'SIGINT', delayMs: 500 });
  await assertInterrupted(out, r, 'SIGINT', 130);
  // This cache's build tree of the variant: a suite running beside this one on another cache is not ours.
  assert.deepEqual(await settle(`${cachePath('build')}/`, 5000, 'fault-rebuild'), [], 'make or a compiler still runs');
  const again = await bench(args);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /kernel fault-rebuild: 6\.\d+\.\d+ config [0-9a-f]+ built/);
  assert.ok(existsSync(join(runDir(out, ''), 'samples.csv')));
});

test('faults 5 and 6: a truncated cached bzImage and BPF tool are found and built again, byte for byte', { timeout: 20 * 60_000 }, async () => {
  const out = join(tmp, 'cache');
  const first = await bench([...SMALL, '--scenarios', 'krsi-ld-preload', '--out', out]);
  assert.equal(first.code, 0, first.stderr);
  const meta = JSON.parse(readFileSync(join(out, 'latest', 'run.json'), 'utf8')) as { kernels: { variant: string; configHash: string }[]; suite: { bpfDigest: string } };
  const hash = meta.kernels[0]!.configHash;
  const bzImage = cachePath('kernels', `noaudit-${hash}`, 'bzImage');
  const tool = cachePath('bpf', `${meta.suite.bpfDigest}-${hash}`, 'krsi_ld_preload');
  // The tool in the cache may come from an older version of the suite, built another way: build it
  // now, so that what is compared is a build by this code with a rebuild by this code.
  for (const f of entries(dirname(tool)).filter((e) => e.startsWith('manifest'))) execFileSync('rm', ['-f', join(dirname(tool), f)]);
  const fresh = await bench([...SMALL, '--scenarios', 'krsi-ld-preload', '--out', join(tmp, 'cache-fresh')]);
  assert.equal(fresh.code, 0, fresh.stderr);
  const copies = [bzImage, tool].map((f, i) => {
    const copy = join(tmp, `copy-${i}`);
    copyFileSync(f, copy);
    truncateSync(f, Math.floor(statSync(f).size / 2));
    return copy;
  });
  const second = await bench([...SMALL, '--scenarios', 'krsi-ld-preload', '--out', out]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, new RegExp(`kernel noaudit: ${bzImage.replace(/[.+]/g, '\\$&')}: damaged \\(its sha256 differs from manifest.json\\); building it again`));
  assert.match(second.stderr, /BPF tools: .*krsi_ld_preload: damaged \(its sha256 differs from manifest-[0-9a-f]+\.json\); building again/);
  assert.deepEqual(readFileSync(bzImage), readFileSync(copies[0]!), 'the rebuilt bzImage differs from the first');
  assert.deepEqual(readFileSync(tool), readFileSync(copies[1]!), 'the rebuilt BPF tool differs from the first');
  // The run on the rebuilt files measured the same as the run on the files they replace.
  const samples = (dir: string) => readFileSync(join(dir, 'latest', 'samples.csv'), 'utf8');
  assert.equal(samples(out), samples(join(tmp, 'cache-fresh')));
});

test('faults 7 and 8: report and gate refuse a samples.csv cut at a line boundary and a run that is still .partial', { timeout: 10 * 60_000 }, async () => {
  const out = join(tmp, 'readers');
  const r = await bench([...SMALL, '--scenarios', 'vanilla,krsi-ld-preload', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const run = realpathSync(join(out, 'latest'));
  const cut = join(tmp, 'cut');
  cpSync(run, cut, { recursive: true });
  const lines = readFileSync(join(cut, 'samples.csv'), 'utf8').trimEnd().split('\n');
  writeFileSync(join(cut, 'samples.csv'), `${lines.slice(0, -1).join('\n')}\n`);
  for (const [script, args] of [['report.ts', [cut]], ['gate.ts', ['--baseline', run, '--current', cut]], ['gate.ts', ['--baseline', cut, '--current', run]]] as const) {
    const x = cli(script, [...args]);
    assert.equal(x.code, 2, `${script} ${args.join(' ')}: ${x.stderr}`);
    assert.match(x.stderr, /^error: [^\n]*cut\/samples\.csv: does not match run\.json, truncated or edited\? krsi-ld-preload boot 0 has 1 of its 2 samples\n$/);
  }
  assert.equal(existsSync(join(cut, 'gate.json')), false);
  const partial = join(tmp, 'still-running.partial');
  cpSync(run, partial, { recursive: true });
  for (const [script, args] of [['report.ts', [partial]], ['gate.ts', ['--baseline', run, '--current', partial]], ['publish.ts', [partial, '--site', join(tmp, 'site')]]] as const) {
    const x = cli(script, [...args]);
    assert.equal(x.code, 2, `${script}: ${x.stderr}`);
    assert.match(x.stderr, /^error: [^\n]*\.partial: an unfinished run \(still running, or its process died\); only complete runs are read\n$/);
  }
  assert.equal(existsSync(join(tmp, 'site')), false);
});

test('fault 9: two runs at once on one cache both finish, with identical figures', { timeout: 15 * 60_000 }, async () => {
  const args = [...SMALL, '--scenarios', 'vanilla,audit-execve', '--boots', '2'];
  const [a, b] = await Promise.all([bench([...args, '--out', join(tmp, 'twin-a')]), bench([...args, '--out', join(tmp, 'twin-b')])]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const samples = (out: string) => readFileSync(join(out, 'latest', 'samples.csv'), 'utf8');
  assert.equal(samples(join(tmp, 'twin-a')), samples(join(tmp, 'twin-b')));
});

test('fault 10: --out naming a file is bad input: exit 2, one line, nothing written', () => {
  const file = join(tmp, 'a-file');
  writeFileSync(file, 'not a directory\n');
  const x = cli('bench.ts', [...SMALL, '--scenarios', 'vanilla', '--out', file]);
  assert.equal(x.code, 2, x.stderr);
  assert.match(x.stderr, /^error: --out [^\n]*a-file: exists and is not a directory\n$/);
  assert.equal(readFileSync(file, 'utf8'), 'not a directory\n');
});

test('fault 11: a report render that throws keeps the committed data, exits 1, and npm run report renders it again', { timeout: 10 * 60_000 }, async () => {
  const out = join(tmp, 'render');
  const r = await bench([...SMALL, '--scenarios', 'vanilla', '--out', out], { env: { KRSI_BENCH_FAULT: 'render' } });
  assert.equal(r.code, 1, r.stderr);
  const run = runDir(out, '');
  assert.match(lastLine(r.stderr), /^error: the report could not be rendered \(fault injected at "render"[^)]*\)\); the data is kept in .*, and `npm run report -- .*` renders it again \(see .*report-error\.txt\)$/);
  for (const f of ['samples.csv', 'events.csv', 'run.json', 'summary.json']) assert.ok(existsSync(join(run, f)), `${f} lost`);
  assert.equal(existsSync(join(run, 'report.html')), false);
  assert.equal(realpathSync(join(out, 'latest')), realpathSync(run));
  const again = cli('report.ts', [run]);
  assert.equal(again.code, 0, again.stderr);
  assert.ok(existsSync(join(run, 'report.html')));
});

test('fault 12: the gate fails a current run whose instrumentation lost its records, naming what it logged', { timeout: 10 * 60_000 }, async () => {
  const out = join(tmp, 'lossy');
  const r = await bench([...SMALL, '--matrix', join(FIXTURES, 'audit-rate-limited.json'), '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: scenario audit-rate-limited \(boot 0\): audit: \d+ logged, 60 expected, \d+ lost/);
  const run = realpathSync(join(out, 'latest'));
  // Against itself: no time changed, and still the gate fails.
  const g = cli('gate.ts', ['--baseline', run, '--current', run, '--out', join(tmp, 'lossy-gate')]);
  assert.equal(g.code, 1, g.stdout + g.stderr);
  assert.match(g.stdout, /FAIL: event check failed: audit-rate-limited logged \d+ of 60 audit events \(\d+ lost\) in boot 0/);
  const report = JSON.parse(readFileSync(join(tmp, 'lossy-gate', 'gate.json'), 'utf8')) as { counts: { regressed: number } };
  assert.equal(report.counts.regressed, 0);
});

test('fault 13: a full disk under --out fails the run with one line, leaves nothing that looks complete, and no guest', { timeout: 10 * 60_000, skip: process.getuid?.() !== 0 && 'needs root to mount a small tmpfs' }, async () => {
  const out = join(tmp, 'full');
  mkdirSync(out);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24k', 'tmpfs', out]);
  try {
    const r = await bench([...SMALL, '--scenarios', 'vanilla', '--out', out]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(lastLine(r.stderr), /^error: .*(ENOSPC|no space|complete result)/i);
    assert.equal(r.stderr.trimEnd().split('\n').filter((l) => l.startsWith('error:')).length, 1);
    assert.deepEqual(entries(out).filter((e) => !/\.(failed|partial)$/.test(e)), [], 'something under --out looks complete');
    assert.deepEqual(await settle(out), [], 'a guest still runs');
  } finally {
    execFileSync('umount', [out]);
  }
});

test('fault 14: a guest disk that cannot be made fails the run with one line naming mke2fs and the console log, and no guest', { timeout: 10 * 60_000 }, async () => {
  const out = join(tmp, 'no-disk');
  const dir = mkdtempSync(join(tmpdir(), 'krsi-fault-disk-'));
  // A RAM disk of 64 KiB: too small for ext4's journal.
  const matrix = join(dir, 'm.json');
  writeFileSync(matrix, JSON.stringify({ scenarios: [{ name: 'tiny-disk', kernel: 'noaudit', kernelArgs: ['brd.rd_size=64'] }] }));
  const r = await bench(['--matrix', matrix, ...SMALL, '--out', out]);
  assert.equal(r.code, 1, r.stderr);
  // The disk is made in the part of the boot its scenarios share (bench/split-boot.ts): its log is the one to read.
  assert.match(lastLine(r.stderr), /^error: scenario tiny-disk \(boot 0\): its shared boot shared-noaudit-boot0-[0-9a-f]{8}: guest failed: cannot make the guest disk \(mke2fs \/dev\/ram0\): .* \(see [^ ]*\/shared-noaudit-boot0-[0-9a-f]{8}\.(console|result)[^ ]*\)$/);
  assert.equal(r.stderr.trimEnd().split('\n').filter((l) => l.startsWith('error:')).length, 1);
  assert.deepEqual(entries(out).filter((e) => !/\.(failed|partial)$/.test(e)), [], 'something under --out looks complete');
  assert.deepEqual(await settle(out), [], 'a guest still runs');
});

test('fault 15: a rule auditctl refuses fails the boot with one line naming its file and line, in a short list and a long one, and no guest', { timeout: 10 * 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'krsi-fault-rules-'));
  // auditctl refuses a msgtype field on the exit list: the kernel never sees the rule.
  const bad = '-a always,exit -F arch=b64 -S openat -F msgtype=EXECVE -k bad';
  writeFileSync(join(dir, 'short.rules'), `-D\n# a comment\n-w /etc/passwd -p wa\n${bad}\n`);
  const watches = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `-w /etc/f${from + i} -p wa`);
  // More than eight lines are loaded with one auditctl -R, whose own line numbers skip nothing.
  writeFileSync(join(dir, 'long.rules'), `## long\n${[...watches(0, 5), bad, ...watches(5, 9)].join('\n')}\n`);
  const matrix = join(dir, 'm.json');
  writeFileSync(matrix, JSON.stringify({ scenarios: [
    { name: 'short', kernel: 'audit', audit: { rulesFile: 'short.rules' } },
    { name: 'long', kernel: 'audit', audit: { rulesFiles: ['long.rules'] } },
  ] }));
  for (const [name, line] of [['short', 4], ['long', 7]] as const) {
    const out = join(tmp, `rules-${name}`);
    const r = await bench(['--matrix', matrix, '--scenarios', name, ...SMALL, '--out', out]);
    assert.equal(r.code, 1, r.stderr);
    const want = `auditctl refused ${name}.rules line ${line}: ${bad}: msgtype field can only be used with exclude or user filter list`;
    assert.ok(lastLine(r.stderr).startsWith(`error: scenario ${name} (boot 0): guest failed: ${want} (see `), lastLine(r.stderr));
    assert.equal(r.stderr.trimEnd().split('\n').filter((l) => l.startsWith('error:')).length, 1);
    assert.deepEqual(entries(out).filter((e) => !/\.(failed|partial)$/.test(e)), [], 'something under --out looks complete');
    assert.deepEqual(await settle(out), [], 'a guest still runs');
  }
});

test('fault 16: a packaged rule set that needs a syscall the kernel lacks stops the run before any guest boots, exit 2, naming the rule\'s file and line', { timeout: 10 * 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'krsi-fault-syscall-'));
  const matrix = join(dir, 'm.json');
  // The seed's audit kernel has no 32-bit time syscalls (CONFIG_COMPAT_32BIT_TIME): the STIG set's b32 time rules name them.
  writeFileSync(matrix, JSON.stringify({ scenarios: [{ name: 'stig', kernel: 'audit', audit: { rulesFiles: ['auditd:10-base-config.rules', 'auditd:30-stig.rules'] } }] }));
  const out = join(tmp, 'rules-syscall');
  const r = await bench(['--matrix', matrix, ...SMALL, '--out', out]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(lastLine(r.stderr), /^error: scenario stig, kernel audit: 30-stig\.rules line \d+: syscall adjtimex \(arch b32\) is not in this kernel: built without it \(__ia32_sys_adjtimex_time32 is the ENOSYS stub\) \(see [^ ]*\/config\)$/);
  assert.equal(r.stderr.trimEnd().split('\n').filter((l) => l.startsWith('error:')).length, 1);
  assert.doesNotMatch(r.stderr, /guests? \(icount/, 'a guest was started');
  assert.deepEqual(entries(out).filter((e) => !/\.(failed|partial)$/.test(e)), [], 'something under --out looks complete');
  assert.deepEqual(await settle(out), [], 'a guest still runs');
});
