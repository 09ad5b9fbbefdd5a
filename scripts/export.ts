#!/usr/bin/env tsx
// npm run export -- RUN_DIR --format bmf|github-action-benchmark [--out FILE]
import '../lib/last-resort.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/atomic.ts';
import { parseCommandLine } from '../lib/cli.ts';
import { errorLine, usageError } from '../lib/errors.ts';
import { RESULT_FILES } from '../lib/results.ts';
import { exportAs, EXPORT_FORMATS, type ExportFormat } from '../reports/export.ts';
import { GATE_FORMAT, type GateReport } from '../reports/gate/gate.ts';
import { loadRun } from '../reports/load.ts';
import type { Summary } from '../reports/summary.ts';

const HELP = `usage: npm run export -- RUN_DIR --format bmf|github-action-benchmark [--out FILE]

Writes a run's figures in the shape a benchmark dashboard reads, from the
run's summary.json (and its gate.json, where \`npm run gate\` was run on it):

  bmf                       Bencher Metric Format: one benchmark per scenario,
                            measures cpu-cost and exec-latency (ns per exec),
                            cpu-overhead and exec-latency-overhead (%), each
                            with lower_value and upper_value, its 95 % interval
  github-action-benchmark   its customSmallerIsBetter input: one entry per
                            scenario and figure, "scenario/measure", with the
                            interval as range and in extra, beside the verdict
                            and the gate's

  --out FILE   where to write (default RUN_DIR/export-<format>.json)
  -h, --help   this text

Bad input (a run that is unfinished or failed, one without summary.json, an
unknown format) prints one line "error: ..." and exits 2, writing nothing.
`;

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw usageError(`${path}: not valid JSON: ${(err as Error).message}`);
  }
}

try {
  const parsed = parseCommandLine({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { format: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (parsed.values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const [dir, ...extra] = parsed.positionals;
  if (!dir || extra.length) throw usageError('give one run directory (see --help)');
  const format = parsed.values.format;
  if (!format || !(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw usageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}${format ? `, not "${format}"` : ''}`);
  }
  // Refuses a run that is unfinished or failed, and checks its data files.
  loadRun(dir);
  const summaryPath = join(dir, RESULT_FILES.summary);
  if (!existsSync(summaryPath)) throw usageError(`${dir}: no ${RESULT_FILES.summary} (make it with npm run report -- ${dir})`);
  const summary = readJson<Summary>(summaryPath);
  const gatePath = join(dir, 'gate.json');
  const gate = existsSync(gatePath) ? readJson<GateReport>(gatePath) : null;
  if (gate && gate.format !== GATE_FORMAT) throw usageError(`${gatePath}: format "${gate.format}", not ${GATE_FORMAT}`);
  const out = parsed.values.out ?? join(dir, `export-${format}.json`);
  await writeFileAtomic(out, `${JSON.stringify(exportAs(format as ExportFormat, summary, gate), null, 2)}\n`);
  process.stdout.write(`${out}\n`);
} catch (err) {
  const { line, exitCode } = errorLine(err);
  process.stderr.write(`${line}\n`);
  process.exit(exitCode);
}
