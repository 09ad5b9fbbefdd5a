import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { usageError } from '../lib/errors.ts';
import { ATTRIBUTION_DELAY, ATTRIBUTION_HEADER, checkSampleCounts, EVENTS_HEADER, FAILED_SUFFIX, PARTIAL_SUFFIX, EVENTS_TRUNCATED, EVENTS_UNACCOUNTED, EVENTS_DELAY, RESULT_FILES, SAMPLES_HEADER, validateRunMeta, type AttributionRow, type EventRow, type RunMeta, type SampleRow } from '../lib/results.ts';

export type { EventRow };

/** A run as the statistics stage sees it: the files of the output contract, checked. */
export interface LoadedRun {
  dir: string;
  meta: RunMeta | null;
  samples: SampleRow[];
  events: EventRow[];
  /** attribution.csv's rows; null for a run from before every run recorded them. */
  attribution: AttributionRow[] | null;
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

/** Records with the columns of `header` in its order, then those of `optional` ('' where the file lacks them). */
function readCsv(path: string, header: readonly string[], optional: readonly string[] = []): { line: number; cells: string[] }[] {
  const records = csvRecords(path, readFileSync(path, 'utf8'));
  const head = records[0]?.cells;
  if (!head) throw usageError(`${path}: empty file (expected header ${header.join(',')})`);
  const missing = header.filter((h) => !head.includes(h));
  if (missing.length) throw usageError(`${path} line 1: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  const index = [...header, ...optional].map((h) => head.indexOf(h));
  const inOrder = index.every((j, i) => j === i) && head.length === index.length;
  return records.slice(1).map(({ line, cells }) => {
    if (cells.length !== head.length) throw usageError(`${path} line ${line}: ${cells.length} fields, header has ${head.length} (truncated file?)`);
    return { line, cells: inOrder ? cells : index.map((j) => (j < 0 ? '' : cells[j]!)) };
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
  return readCsv(path, EVENTS_HEADER, [EVENTS_TRUNCATED, EVENTS_UNACCOUNTED, ...EVENTS_DELAY]).map(({ line, cells }) => {
    const [scenario, kernel, boot, source, execs, expected, logged, matched, lost, ok, truncated, unaccounted, p50, p99, max, writes] = cells as string[] as [
      string, string, string, string, string, string, string, string, string, string, string, string, string, string, string, string,
    ];
    const n = (column: string, t: string) => num(path, line, column, t, { integer: true });
    return {
      scenario, kernel, source,
      boot: n('boot', boot), execs: n('execs', execs), expected: n('expected', expected),
      // Empty: nothing could tell what was lost (a user's program).
      logged: n('logged', logged), matched: n('matched', matched), lost: lost === '' ? null : n('lost', lost), ok: ok === '1',
      truncated: truncated === '' ? 0 : n('truncated', truncated),
      // Signed: below 0 is events counted twice.
      unaccounted: unaccounted === '' ? null : unaccounted.startsWith('-') ? -n(EVENTS_UNACCOUNTED, unaccounted.slice(1)) : n(EVENTS_UNACCOUNTED, unaccounted),
      delay: p50 === '' ? null : { p50Ns: n('delay_p50_ns', p50), p99Ns: n('delay_p99_ns', p99), maxNs: n('delay_max_ns', max), writes: n('writes', writes) },
    };
  });
}

export function readAttribution(path: string): AttributionRow[] {
  return readCsv(path, ATTRIBUTION_HEADER, [ATTRIBUTION_DELAY]).map(({ line, cells }) => {
    const [scenario, kernel, boot, group, task, pid, ns, execs, , delay] = cells as string[] as [string, string, string, string, string, string, string, string, string, string];
    const n = (column: string, t: string, opts: { integer?: boolean; positive?: boolean } = {}) => num(path, line, column, t, opts);
    // Idle, and the exited children's run delay, are remainders: a little below 0 is rounding between
    // the kernel's counters, more is accounting that does not add up, which reports/latency.ts judges.
    const signed = (column: string, t: string) => (t.startsWith('-') ? -n(column, t.slice(1)) : n(column, t));
    return {
      scenario, kernel, group, task,
      boot: n('boot', boot, { integer: true }),
      pid: pid === '' ? null : n('pid', pid, { integer: true }),
      ns: group === 'idle' ? signed('ns', ns) : n('ns', ns),
      delayNs: delay === '' ? null : task === 'exited children' ? signed(ATTRIBUTION_DELAY, delay) : n(ATTRIBUTION_DELAY, delay),
      execs: n('execs', execs, { integer: true, positive: true }),
    };
  });
}

/**
 * A directory the runner has not finished (<id>.partial: running, or its
 * process died) or gave up on (<id>.failed, with error.txt) is no result.
 */
function refuseUnfinished(dir: string): void {
  const name = basename(resolve(dir));
  if (name.endsWith(PARTIAL_SUFFIX)) throw usageError(`${dir}: an unfinished run (still running, or its process died); only complete runs are read`);
  const error = join(dir, RESULT_FILES.error);
  if (name.endsWith(FAILED_SUFFIX) || existsSync(error)) {
    const why = existsSync(error) ? readFileSync(error, 'utf8').split('\n')[0]!.slice(0, 200) : 'no error.txt';
    throw usageError(`${dir}: a failed run (${why}); its data files were not kept`, existsSync(error) ? error : undefined);
  }
}

/** Loads a run directory, or a samples.csv with whatever of events.csv and run.json stands beside it. */
export function loadRun(dirOrSamples: string, opts: { unfinishedOk?: boolean } = {}): LoadedRun {
  if (!existsSync(dirOrSamples)) throw usageError(`${dirOrSamples}: no such run directory or samples.csv`);
  const dir = statSync(dirOrSamples).isDirectory() ? dirOrSamples : dirname(dirOrSamples);
  if (!opts.unfinishedOk) refuseUnfinished(dir);
  const samplesPath = statSync(dirOrSamples).isDirectory() ? join(dir, RESULT_FILES.samples) : dirOrSamples;
  if (!existsSync(samplesPath)) throw usageError(`${dir}: no samples.csv (an incomplete or failed run?)`);
  const samples = readSamples(samplesPath);
  const eventsPath = join(dir, RESULT_FILES.events);
  const events = existsSync(eventsPath) ? readEvents(eventsPath) : [];
  const metaPath = join(dir, RESULT_FILES.meta);
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
  const attributionPath = join(dir, RESULT_FILES.attribution);
  const attribution = existsSync(attributionPath) ? readAttribution(attributionPath) : null;
  return { dir, meta, samples, events, attribution };
}
