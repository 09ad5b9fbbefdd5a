/**
 * The composite action (action.yml) run as a runner runs it: the steps are read
 * from the file, each `run:` goes to `bash --noprofile --norc -eo pipefail` (what
 * `shell: bash` means on Linux) with the variables and the `${{ }}` expressions a
 * runner would give it, on examples/exec-guard copied into a workspace of its
 * own, with the action itself in a fresh copy of this repository. A `uses:` step
 * needs GitHub: it is not run, but its inputs are expanded, so that one naming a
 * step output that does not exist fails here. An expression this runner does not
 * know fails too: the file and the test cannot drift apart.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { parse } from 'yaml';
import { readBaselineFile, readRunAsBaseline } from '../reports/gate/baseline.ts';

const ROOT = join(import.meta.dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'krsi-action-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  with?: Record<string, string>;
  shell?: string;
  env?: Record<string, string>;
  run?: string;
}

interface Action {
  inputs: Record<string, { required?: boolean; default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as Action;
/** The actions the composite calls, each as its major version. */
const KNOWN_USES = ['actions/setup-node@v4', 'actions/cache@v4', 'actions/upload-artifact@v4'];

interface Context {
  inputs: Record<string, string>;
  workspace: string;
  actionPath: string;
  steps: Record<string, Record<string, string>>;
}

/** `${{ x }}` as a runner expands it, for the forms the action uses; any other form throws. */
function expand(text: string, ctx: Context): string {
  return text.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expr: string) => {
    let m = /^inputs\.([\w-]+)$/.exec(expr);
    if (m) {
      const input = action.inputs[m[1]!];
      if (!input) throw new Error(`action.yml names input ${m[1]}, which it does not declare`);
      return ctx.inputs[m[1]!] ?? input.default ?? '';
    }
    m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expr);
    if (m) {
      if (!action.runs.steps.some((s) => s.id === m![1])) throw new Error(`action.yml reads the outputs of step ${m[1]}, which no step is`);
      return ctx.steps[m[1]!]?.[m[2]!] ?? '';
    }
    if (expr === 'github.workspace') return ctx.workspace;
    if (expr === 'github.action_path') return ctx.actionPath;
    throw new Error(`action.yml has an expression this test does not know how to expand: \${{ ${expr} }}`);
  });
}

/** KEY=value lines, as a runner reads $GITHUB_OUTPUT and $GITHUB_ENV (the action writes no heredocs). */
function keyValues(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const eq = line.indexOf('=');
    assert.ok(eq > 0, `${file}: "${line}" is not KEY=value`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

interface StepResult {
  label: string;
  status: number | 'skipped' | 'uses';
  stdout: string;
  stderr: string;
  with?: Record<string, string>;
}

interface ActionRun {
  steps: StepResult[];
  outputs: Record<string, string>;
  summary: string;
}

/** Runs the action's steps in order, as the runner would for a job on this machine. */
function runAction(inputs: Record<string, string>, workspace: string, actionPath: string): ActionRun {
  for (const [name, input] of Object.entries(action.inputs)) if (input.required) assert.ok(name in inputs, `input ${name} is required`);
  const home = join(tmp, 'runner');
  mkdirSync(home, { recursive: true });
  const summaryFile = join(home, 'step-summary.md');
  const envFile = join(home, 'env');
  const ctx: Context = { inputs, workspace, actionPath, steps: {} };
  const results: StepResult[] = [];
  let failed = false;
  action.runs.steps.forEach((step, i) => {
    const label = step.name ?? step.uses ?? `step ${i}`;
    if (step.if !== undefined && step.if !== 'always()') throw new Error(`${label}: condition "${step.if}" is not one this test evaluates`);
    if (failed && step.if !== 'always()') return results.push({ label, status: 'skipped', stdout: '', stderr: '' });
    if (step.uses) {
      assert.ok(KNOWN_USES.includes(step.uses), `${label}: uses ${step.uses}, not one of ${KNOWN_USES.join(', ')}`);
      const withs = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, expand(String(v), ctx)]));
      return results.push({ label, status: 'uses', stdout: '', stderr: '', with: withs });
    }
    assert.equal(step.shell, 'bash', `${label}: a composite step names its shell`);
    const script = join(home, `step-${i}.sh`);
    writeFileSync(script, expand(step.run!, ctx));
    const outputFile = join(home, `output-${i}`);
    const env = {
      ...process.env,
      ...keyValues(envFile),
      CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: workspace, GITHUB_ACTION_PATH: actionPath,
      GITHUB_OUTPUT: outputFile, GITHUB_ENV: envFile, GITHUB_STEP_SUMMARY: summaryFile, RUNNER_TEMP: home,
      ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(String(v), ctx)])),
    };
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd: workspace, env, encoding: 'utf8', maxBuffer: 64 << 20 });
    const status = r.status ?? 128;
    if (step.id) ctx.steps[step.id] = keyValues(outputFile);
    if (status !== 0) failed = true;
    return results.push({ label, status, stdout: r.stdout, stderr: r.stderr });
  });
  const outputs = Object.fromEntries(Object.entries(action.outputs).map(([k, o]) => [k, expand(o.value, ctx)]));
  return { steps: results, outputs, summary: existsSync(summaryFile) ? readFileSync(summaryFile, 'utf8') : '' };
}

/** A copy of this repository's files as a runner checks the action out: no node_modules, no results. */
function actionCheckout(): string {
  const dir = join(tmp, 'action');
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(ROOT, f))) continue; // deleted in the work tree
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(ROOT, f), join(dir, f));
  }
  return dir;
}

/** A user's repository: the exec-guard example under bench/, with its baseline. */
function userWorkspace(name: string): string {
  const ws = join(tmp, name);
  cpSync(join(ROOT, 'examples', 'exec-guard'), join(ws, 'bench'), { recursive: true });
  return ws;
}

test('action.yml is a composite action whose outputs come from its steps', () => {
  assert.equal(action.runs.using, 'composite');
  assert.deepEqual(Object.keys(action.outputs).sort(), ['baseline', 'bmf', 'gate-md', 'github-action-benchmark', 'report', 'run-dir', 'verdict']);
  assert.ok(action.inputs.matrix?.required && !action.inputs.baseline?.required);
  for (const s of action.runs.steps) if (s.run) assert.equal(s.shell, 'bash', `${s.name}: shell`);
});

test('an input that names a missing file stops the action at its first step: one line, exit 2, nothing written', () => {
  const ws = userWorkspace('ws-bad');
  const before = readdirSync(ws, { recursive: true }).sort();
  for (const [inputs, message] of [
    [{ matrix: 'bench/no-such-matrix.json' }, /^::error::krsi-bench: matrix bench\/no-such-matrix\.json: no such file in the workspace .+$/],
    [{ matrix: 'bench/matrix.json', baseline: 'bench/no-such-baseline.json' }, /^::error::krsi-bench: baseline bench\/no-such-baseline\.json: no such file in the workspace .+$/],
    [{ matrix: 'bench/matrix.json', 'allow-mismatch': 'yes' }, /^::error::krsi-bench: allow-mismatch is "yes": true or false$/],
  ] as const) {
    const r = runAction(inputs, ws, ROOT);
    const [first, ...rest] = r.steps;
    assert.equal(first!.status, 2, first!.stderr);
    assert.deepEqual((first!.stdout + first!.stderr).trim().split('\n'), [(first!.stdout + first!.stderr).trim()]);
    assert.match(first!.stdout.trim(), message);
    // only the steps that run whatever happened ran, and they wrote nothing
    for (const s of rest) assert.ok(s.status === 'skipped' || s.status === 0 || s.status === 'uses', `${s.label}: ${s.status}`);
    assert.equal(r.summary, '');
    assert.deepEqual(readdirSync(ws, { recursive: true }).sort(), before);
  }
});

test('the action runs examples/exec-guard from a user\'s workspace, gates it against its baseline and leaves gate.md, the report and the exports', { timeout: 60 * 60_000 }, () => {
  const ws = userWorkspace('ws');
  const r = runAction({ matrix: 'bench/matrix.json', baseline: 'bench/baseline.json' }, ws, actionCheckout());
  for (const s of r.steps) assert.ok(s.status === 0 || s.status === 'uses', `${s.label} exited ${s.status}: ${s.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const o = r.outputs;
  assert.equal(o.verdict, 'pass', readFileSync(o['gate-md']!, 'utf8'));
  assert.equal(o.baseline, '');
  assert.equal(dirname(o['run-dir']!), join(ws, 'krsi-bench-results', 'runs'));
  // the artifact holds the run by its own name, no symbolic link
  const runs = readdirSync(join(ws, 'krsi-bench-results', 'runs'));
  assert.deepEqual(runs.map((f) => lstatSync(join(ws, 'krsi-bench-results', 'runs', f)).isSymbolicLink()), [false]);
  const upload = r.steps.find((s) => s.label === 'actions/upload-artifact@v4')!;
  assert.equal(upload.with!.path, join(ws, 'krsi-bench-results', 'runs'));
  const cache = r.steps.find((s) => s.label === 'actions/cache@v4')!;
  assert.match(cache.with!.key!, /^krsi-bench-kernels-[0-9a-f]{16}$/);
  assert.ok(existsSync(cache.with!.path!), `the kernel cache ${cache.with!.path} is where the run built its kernels`);

  // The same program, checked out elsewhere and run by another copy of the suite, is the same run:
  // in icount mode every sample equals the baseline's, made from examples/exec-guard in this checkout.
  const made = readBaselineFile(join(ws, 'bench', 'baseline.json'));
  const here = readRunAsBaseline(o['run-dir']!).baseline;
  assert.deepEqual(here.depends_on, made.depends_on);
  for (const [name, sc] of Object.entries(made.scenarios)) assert.deepEqual(here.scenarios[name]!.boots, sc.boots, `${name}: the samples of examples/exec-guard/baseline.json`);

  const gate = readFileSync(o['gate-md']!, 'utf8');
  for (const name of ['exec-guard', 'audit-watch-nop']) assert.ok(gate.includes(name), `gate.md names ${name}`);
  assert.ok(r.summary.includes(gate), 'the job summary is gate.md');
  assert.match(readFileSync(o.report!, 'utf8'), /<section id="answer"><h2>The answer<\/h2>/);

  const bmf = JSON.parse(readFileSync(o.bmf!, 'utf8')) as Record<string, Record<string, { value: number; lower_value: number; upper_value: number }>>;
  assert.deepEqual(Object.keys(bmf), ['vanilla', 'exec-guard', 'audit-compiled', 'audit-watch-nop']);
  const guard = bmf['exec-guard']!['cpu-overhead']!;
  assert.ok(guard.lower_value <= guard.value && guard.value <= guard.upper_value && guard.value > 0, JSON.stringify(guard));
  const gab = JSON.parse(readFileSync(o['github-action-benchmark']!, 'utf8')) as { name: string; unit: string; value: number; extra: string }[];
  const entry = gab.find((e) => e.name === 'exec-guard/cpu-overhead')!;
  assert.equal(entry.value, Number(guard.value.toFixed(2)), "the two exports give one figure (github-action-benchmark rounded to 2 decimals)");
  assert.match(entry.extra, /; gate against [^:]+: no change$/);
  const left = execFileSync('ps', ['-eo', 'args']).toString().split('\n').filter((c) => c.startsWith('qemu-system') && c.includes(ws));
  assert.deepEqual(left, [], 'no guest left running');
});
