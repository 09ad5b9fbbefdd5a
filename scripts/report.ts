#!/usr/bin/env tsx
// npm run report -- RUN_DIR_OR_SAMPLES_CSV [--out DIR] [--baseline NAME]: recomputes summary.json and report.html from a run's files.
import { mkdir } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { errorLine, usageError } from '../bench/errors.ts';
import { summarizeRunDir } from '../reports/pipeline.ts';
import { printSummary } from '../reports/print.ts';

const HELP = `usage: npm run report -- RUN_DIR|SAMPLES_CSV [--out DIR] [--baseline NAME]

Computes the statistics of a run from its samples.csv (with events.csv and
run.json beside it when they are there) and writes summary.json and
report.html, into the run directory or --out DIR.

  --out DIR          where summary.json and report.html go (default: the run's directory)
  --baseline NAME    the scenario overheads are computed against (default: the run's)
  -h, --help         this text
`;

try {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: { out: { type: 'string' }, baseline: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    throw usageError(`${(err as Error).message} (see --help)`);
  }
  if (parsed.values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  if (parsed.positionals.length !== 1) throw usageError('give one run directory or samples.csv (see --help)');
  if (parsed.values.out) await mkdir(parsed.values.out, { recursive: true });
  const summary = await summarizeRunDir(parsed.positionals[0]!, { baseline: parsed.values.baseline, out: parsed.values.out });
  process.stdout.write(printSummary(summary));
} catch (err) {
  const { line, exitCode } = errorLine(err);
  process.stderr.write(`${line}\n`);
  process.exit(exitCode);
}
