#!/usr/bin/env tsx
// npm run report -- RUN_DIR|SAMPLES_CSV [--out DIR] [--baseline NAME] | --merge RUN_DIR... [--out DIR]
import '../lib/last-resort.ts';
import { parseCommandLine } from '../lib/cli.ts';
import { join } from 'node:path';
import { errorLine } from '../lib/errors.ts';
import { reportRuns } from '../reports/pipeline.ts';
import { printSummary } from '../reports/print.ts';

const HELP = `usage: npm run report -- RUN_DIR|SAMPLES_CSV [--out DIR] [--baseline NAME]
       npm run report -- --merge RUN_DIR RUN_DIR... [--out DIR] [--baseline NAME]

Computes the statistics of a run from its samples.csv (with events.csv and
run.json beside it when they are there) and writes summary.json, report.html
(self-contained: open it from disk or put the folder on any static host) and
each plot as .svg and .png, into the run directory or --out DIR. Data files not
already in that directory are copied beside the report, which links to them.

  --out DIR          where the report goes (default: the run's directory; with
                     --merge: merged-<UTC time> beside the first run's directory,
                     e.g. results/merged-2026-11-28T15-04-05Z)
  --baseline NAME    the scenario overheads are computed against
                     (default: the run's baseline, else the first scenario)
  --merge            one report from several runs (of one mode): a scenario that
                     several runs share has their samples pooled, and a note says so;
                     the runs' data files are copied under runs/<run-id>/
  -h, --help         this text

Bad input (malformed or truncated CSV, missing columns, a scenario without
samples, a time that is not a positive number, an unknown baseline, runs of
different modes) prints one line "error: ..." and exits 2, writing nothing.
`;

try {
  const parsed = parseCommandLine({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { out: { type: 'string' }, baseline: { type: 'string' }, merge: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (parsed.values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const { out, baseline, merge } = parsed.values;
  const result = await reportRuns(parsed.positionals, { out, baseline, merge });
  process.stdout.write(`${printSummary(result.summary)}\nreport: ${join(result.out, 'report.html')}\n`);
} catch (err) {
  const { line, exitCode } = errorLine(err);
  process.stderr.write(`${line}\n`);
  process.exit(exitCode);
}
