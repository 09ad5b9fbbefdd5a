import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { usageError } from '../bench/errors.ts';
import type { EventCheck } from '../bench/checks.ts';
import { EVENTS_HEADER, SAMPLES_HEADER, type RunMeta, type SampleRow } from '../bench/store.ts';

/** One row of events.csv: an event check as the runner wrote it. */
export type EventRow = Omit<EventCheck, 'problem'>;

/** A run as the statistics stage sees it: the files of the output contract, checked. */
export interface LoadedRun {
  dir: string;
  meta: RunMeta | null;
  samples: SampleRow[];
  events: EventRow[];
}

/** Splits CSV text into records with their line numbers: a plain split when nothing is quoted, csv-parse otherwise. */
function csvRecords(path: string, text: string): { line: number; cells: string[] }[] {
  if (!text.includes('"')) {
    const records: { line: number; cells: string[] }[] = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      const line = l.endsWith('\r') ? l.slice(0, -1) : l;
      if (line !== '') records.push({ line: i + 1, cells: line.split(',') });
    }
    return records;
  }
  try {
    const parsed = parse(text, { relax_column_count: true, skip_empty_lines: true, info: true }) as unknown as { record: string[]; info: { lines: number } }[];
    return parsed.map((p) => ({ line: p.info.lines, cells: p.record }));
  } catch (err) {
    const e = err as { message: string; lines?: number };
    throw usageError(`${path}${e.lines ? ` line ${e.lines}` : ''}: malformed CSV: ${e.message.split('\n')[0]}`);
  }
}

function readCsv(path: string, header: readonly string[]): { line: number; cells: string[] }[] {
  const records = csvRecords(path, readFileSync(path, 'utf8'));
  const head = records[0]?.cells;
  if (!head) throw usageError(`${path}: empty file (expected header ${header.join(',')})`);
  const missing = header.filter((h) => !head.includes(h));
  if (missing.length) throw usageError(`${path} line 1: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  const index = header.map((h) => head.indexOf(h));
  const inOrder = index.every((j, i) => j === i) && head.length === header.length;
  return records.slice(1).map(({ line, cells }) => {
    if (cells.length !== head.length) throw usageError(`${path} line ${line}: ${cells.length} fields, header has ${head.length} (truncated file?)`);
    return { line, cells: inOrder ? cells : index.map((j) => cells[j]!) };
  });
}

function num(path: string, line: number, column: string, text: string, opts: { integer?: boolean; positive?: boolean } = {}): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw usageError(`${path} line ${line}: ${column} "${text}" is not a number`);
  if (opts.integer && !Number.isInteger(v)) throw usageError(`${path} line ${line}: ${column} "${text}" is not a whole number`);
  if (opts.positive ? v <= 0 : v < 0) throw usageError(`${path} line ${line}: ${column} ${text} is ${opts.positive ? 'not positive' : 'negative'}`);
  return v;
}

export function readSamples(path: string): SampleRow[] {
  const rows = readCsv(path, SAMPLES_HEADER).map(({ line, cells }) => {
    const [scenario, kernel, boot, sample, warmup, execs, ns] = cells as [string, string, string, string, string, string, string];
    if (!scenario) throw usageError(`${path} line ${line}: empty scenario`);
    if (warmup !== '0' && warmup !== '1') throw usageError(`${path} line ${line}: warmup is 0 or 1, not "${warmup}"`);
    return {
      scenario,
      kernel,
      boot: num(path, line, 'boot', boot, { integer: true }),
      sample: num(path, line, 'sample', sample, { integer: true }),
      warmup: warmup === '1',
      execs: num(path, line, 'execs', execs, { integer: true, positive: true }),
      nsPerExec: num(path, line, 'ns_per_exec', ns, { positive: true }),
    };
  });
  if (rows.length === 0) throw usageError(`${path}: no samples`);
  return rows;
}

export function readEvents(path: string): EventRow[] {
  return readCsv(path, EVENTS_HEADER).map(({ line, cells }) => {
    const [scenario, kernel, boot, source, execs, expected, logged, matched, lost, ok] = cells as string[] as [
      string, string, string, string, string, string, string, string, string, string,
    ];
    const n = (column: string, t: string) => num(path, line, column, t, { integer: true });
    return {
      scenario, kernel, source,
      boot: n('boot', boot), execs: n('execs', execs), expected: n('expected', expected),
      logged: n('logged', logged), matched: n('matched', matched), lost: n('lost', lost), ok: ok === '1',
    };
  });
}

/**
 * A directory the runner has not finished (<id>.partial: running, or its
 * process died) or gave up on (<id>.failed, with error.txt) is no result.
 */
function refuseUnfinished(dir: string): void {
  const name = basename(resolve(dir));
  if (name.endsWith('.partial')) throw usageError(`${dir}: an unfinished run (still running, or its process died); only complete runs are read`);
  const error = join(dir, 'error.txt');
  if (name.endsWith('.failed') || existsSync(error)) {
    const why = existsSync(error) ? readFileSync(error, 'utf8').split('\n')[0]!.slice(0, 200) : 'no error.txt';
    throw usageError(`${dir}: a failed run (${why}); its data files were not kept`, existsSync(error) ? error : undefined);
  }
}

/**
 * Every boot that run.json lists has its samples, and no more: a samples.csv
 * cut short at a line boundary, or rows of another run pasted in, parse fine
 * and would otherwise be reported as if whole.
 */
export function checkSampleCounts(samplesPath: string, meta: RunMeta, samples: SampleRow[]): void {
  const workloads = new Map((meta.scenarios ?? []).filter((s) => s.workload).map((s) => [s.name, s.workload]));
  const counts = new Map<string, { measured: number; warmup: number }>();
  for (const s of samples) {
    const key = `${s.scenario} boot ${s.boot}`;
    const c = counts.get(key) ?? { measured: 0, warmup: 0 };
    if (s.warmup) c.warmup++;
    else c.measured++;
    counts.set(key, c);
  }
  const problems: string[] = [];
  for (const g of meta.guests ?? []) {
    const key = `${g.scenario} boot ${g.boot}`;
    const w = workloads.get(g.scenario);
    const c = counts.get(key) ?? { measured: 0, warmup: 0 };
    counts.delete(key);
    if (!w) continue;
    const most = w.warmupMax ?? w.warmup;
    if (c.measured !== w.samples) problems.push(`${key} has ${c.measured} of its ${w.samples} samples`);
    else if (c.warmup < w.warmup || c.warmup > most) problems.push(`${key} has ${c.warmup} warm-up samples, not ${w.warmup === most ? w.warmup : `${w.warmup}-${most}`}`);
  }
  if (meta.guests?.length) for (const key of counts.keys()) problems.push(`${key} is not a boot of run.json`);
  if (problems.length) {
    const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : '';
    throw usageError(`${samplesPath}: does not match run.json, truncated or edited? ${problems.slice(0, 3).join('; ')}${more}`);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The parts of run.json that readers rely on to check a run: an object, its
 * scenarios with their workloads, and its guests. Runs of older versions lack
 * fields added since; those are optional here and wherever they are read.
 */
export function validateRunMeta(path: string, raw: unknown): RunMeta {
  if (!isObj(raw)) throw usageError(`${path}: not a run description (expected a JSON object)`);
  const bad = (field: string, what: string) => usageError(`${path}: ${field} ${what}`);
  if (raw.scenarios !== undefined) {
    if (!Array.isArray(raw.scenarios)) throw bad('scenarios', 'is not a list');
    raw.scenarios.forEach((s: unknown, i) => {
      if (!isObj(s) || typeof s.name !== 'string') throw bad(`scenarios[${i}]`, 'has no name');
      const w = s.workload;
      if (w !== undefined && (!isObj(w) || !Number.isInteger(w.samples) || !Number.isInteger(w.warmup))) throw bad(`scenarios[${i}].workload`, 'needs whole-number samples and warmup');
    });
  }
  if (raw.guests !== undefined) {
    if (!Array.isArray(raw.guests)) throw bad('guests', 'is not a list');
    raw.guests.forEach((g: unknown, i) => {
      if (!isObj(g) || typeof g.scenario !== 'string' || !Number.isInteger(g.boot)) throw bad(`guests[${i}]`, 'needs a scenario and a whole-number boot');
    });
  }
  return raw as unknown as RunMeta;
}

/** Loads a run directory, or a samples.csv with whatever of events.csv and run.json stands beside it. */
export function loadRun(dirOrSamples: string, opts: { unfinishedOk?: boolean } = {}): LoadedRun {
  if (!existsSync(dirOrSamples)) throw usageError(`${dirOrSamples}: no such run directory or samples.csv`);
  const dir = statSync(dirOrSamples).isDirectory() ? dirOrSamples : dirname(dirOrSamples);
  if (!opts.unfinishedOk) refuseUnfinished(dir);
  const samplesPath = statSync(dirOrSamples).isDirectory() ? join(dir, 'samples.csv') : dirOrSamples;
  if (!existsSync(samplesPath)) throw usageError(`${dir}: no samples.csv (an incomplete or failed run?)`);
  const samples = readSamples(samplesPath);
  const eventsPath = join(dir, 'events.csv');
  const events = existsSync(eventsPath) ? readEvents(eventsPath) : [];
  const metaPath = join(dir, 'run.json');
  let meta: RunMeta | null = null;
  if (existsSync(metaPath)) {
    try {
      meta = JSON.parse(readFileSync(metaPath, 'utf8')) as RunMeta;
    } catch (err) {
      throw usageError(`${metaPath}: not valid JSON: ${(err as Error).message}`);
    }
    meta = validateRunMeta(metaPath, meta);
  }
  if (meta) checkSampleCounts(samplesPath, meta, samples);
  return { dir, meta, samples, events };
}
