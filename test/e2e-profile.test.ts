/**
 * End to end, a profiling run: real kernels, real QEMU guests under the TCG
 * plugin. The same seeds give the same profile; audit-execve's added kernel
 * functions are audit's; each profile's total agrees with the time its guest
 * measured; and what a profile cannot be read with gets one line and exit 2.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RunMeta } from '../lib/results.ts';
import type { ProfileSummary } from '../reports/profile/summarize.ts';

const ROOT = join(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const tmp = mkdtempSync(join(tmpdir(), 'krsi-profile-e2e-'));
const ARGS = ['--scenarios', 'vanilla,audit-execve,krsi-ld-preload', '--samples', '2', '--execs', '20', '--warmup', '1'];

function profile(out: string, env: NodeJS.ProcessEnv = {}) {
  return spawnSync(TSX, [join(ROOT, 'scripts/profile.ts'), ...ARGS, '--out', join(tmp, out)], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, ...env } });
}
const summaryOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'profiles', 'profile.json'), 'utf8')) as ProfileSummary;

test('npm run profile: deterministic, audit\'s functions in audit-execve\'s profile, totals that agree with the measured time', { timeout: 20 * 60_000 }, () => {
  const runs = ['a', 'b'].map((name) => {
    const r = profile(name);
    assert.equal(r.status, 0, `npm run profile failed:\n${r.stderr}`);
    return realpathSync(join(tmp, name, 'latest'));
  });
  const [a, b] = runs.map(summaryOf);
  // Everything but the run id: the same seeds, the same instructions, function by function.
  assert.deepEqual(a!.scenarios, b!.scenarios, 'two profiling runs with the same seeds differ');
  assert.equal(readFileSync(join(runs[0]!, 'profiles', 'audit-execve.folded'), 'utf8'), readFileSync(join(runs[1]!, 'profiles', 'audit-execve.folded'), 'utf8'));

  const audit = a!.scenarios.find((s) => s.scenario === 'audit-execve')!;
  assert.equal(audit.against, 'vanilla');
  // Audit's own code is in what vanilla's kernel never runs. Among all added functions it ranks lower: with
  // every allocation zeroed (init_on_alloc, the base's default) the allocators audit calls for each record's
  // skb count more, and the printf machinery and ext4's crc32 of auditd's writes are the callees of its code.
  const newKernel = audit.added.filter((f) => f.group === 'kernel' && f.baselinePerExec === 0).slice(0, 10).map((f) => f.function);
  assert.ok(newKernel.some((f) => f.startsWith('audit') || f.startsWith('__audit')), `no audit function among the top kernel functions audit-execve added that vanilla never ran: ${newKernel.join(', ')}`);
  assert.ok(audit.tasks.some((t) => t.group === 'auditd' && t.perExec > 1000), 'auditd ran less than 1 µs per exec');

  for (const s of a!.scenarios) {
    assert.ok(Math.abs(s.bookkeepingPct) <= a!.tolerancePct, `${s.scenario}: the profile misses ${s.bookkeepingPct} % of the measured busy time`);
    assert.ok(s.kernelMatchPct > 70, `${s.scenario}: only ${s.kernelMatchPct} % of kernel instructions matched vmlinux`);
    // The profile's window is the measured samples': its time per exec is theirs, within the loop around them.
    assert.ok(Math.abs(s.perExec.window / s.perExec.samples - 1) < 0.005, `${s.scenario}: window ${s.perExec.window} against samples ${s.perExec.samples}`);
  }
  const krsi = a!.scenarios.find((s) => s.scenario === 'krsi-ld-preload')!;
  // Once per exec of nop: the snapshot program is exec'd before it turns the statistics on, and the window
  // ends without an exec (attribution.c). Program names are cut to 15 characters (BPF_OBJ_NAME_LEN).
  const perExec = new Map(krsi.bpf.map((p) => [p.name, p.runsPerExec]));
  assert.equal(perExec.get('log_ld_preload'), 1, 'the KRSI program did not run once per exec');
  // The preload file's watchers: file_open runs on every open, the exec's own of /bin/nop and the snapshot
  // program's reads of /proc at the window's edges; nothing is renamed, linked or symlinked in the window.
  assert.ok(perExec.get('watch_preload_o')! >= 1, `file_open ran ${perExec.get('watch_preload_o')} times per exec`);
  assert.deepEqual(['watch_preload_r', 'watch_preload_l', 'watch_preload_s'].map((n) => perExec.get(n)), [0, 0, 0]);
  assert.equal(perExec.size, 5, `programs profiled: ${[...perExec.keys()].join(', ')}`);
  assert.ok(krsi.groups.bpf > 0, 'no instructions in BPF code');
  const csv = readFileSync(join(runs[0]!, 'attribution.csv'), 'utf8');
  assert.match(csv, /^scenario,kernel,boot,group,task,pid,ns,execs,ns_per_exec,delay_ns\n/);
  assert.match(readFileSync(join(runs[0]!, 'report.html'), 'utf8'), /<section id="profile"><h2>Where the cost goes<\/h2>/);

  // A profile of another kernel: audit-execve's guest ran the audit kernel, vanilla's the noaudit one.
  const swapped = join(tmp, 'swapped');
  cpSync(runs[0]!, swapped, { recursive: true });
  cpSync(join(runs[0]!, 'profiles', 'audit-execve-boot0.tb'), join(swapped, 'profiles', 'vanilla-boot0.tb'));
  const r = spawnSync(TSX, [join(ROOT, 'scripts/report.ts'), swapped], { encoding: 'utf8', cwd: ROOT });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr.trim(), /^error: .*vanilla-boot0\.tb: was not recorded on this kernel: only [\d.]+ % of its kernel instructions match .*vmlinux at the boot's KASLR offset$/);

  // A vmlinux without symbols, as run.json names it.
  const stripped = join(tmp, 'stripped');
  cpSync(runs[0]!, stripped, { recursive: true });
  const meta = JSON.parse(readFileSync(join(stripped, 'run.json'), 'utf8')) as RunMeta;
  const bare = join(tmp, 'vmlinux.bare');
  execFileSync('objcopy', ['--strip-all', meta.profiling!.vmlinux.noaudit!.path, bare]);
  meta.profiling!.vmlinux.noaudit = { path: bare, sha256: createHash('sha256').update(readFileSync(bare)).digest('hex') };
  writeFileSync(join(stripped, 'run.json'), JSON.stringify(meta));
  const s = spawnSync(TSX, [join(ROOT, 'scripts/report.ts'), stripped], { encoding: 'utf8', cwd: ROOT });
  assert.equal(s.status, 2, s.stderr);
  assert.match(s.stderr.trim(), /^error: .*vmlinux\.bare: has no symbol table \(stripped\?\); a profile cannot name its functions$/);
});

test('npm run profile: a plugin QEMU refuses is one line naming QEMU\'s log, and no guest is left running', { timeout: 10 * 60_000 }, () => {
  const notPlugin = join(tmp, 'not-a-plugin.so');
  writeFileSync(notPlugin, 'not an ELF file\n');
  const r = profile('refused', { KRSI_BENCH_PROFILER_PLUGIN: notPlugin });
  assert.notEqual(r.status, 0);
  const line = r.stderr.trim().split('\n').at(-1)!;
  assert.match(line, /^error: scenario \S+ \(boot 0\): qemu failed: .*not-a-plugin\.so.* \(see \S+\.qemu\.log\)$/);
  assert.equal(spawnSync('pgrep', ['-f', notPlugin]).status, 1, 'a QEMU with the refused plugin is still running');
});
