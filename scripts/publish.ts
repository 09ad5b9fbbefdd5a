#!/usr/bin/env tsx
// npm run publish -- RUN_DIR --site DIR [--commit SHA]: adds a run's report to a static site with a trend index.
import '../lib/last-resort.ts';
import { parseCommandLine } from '../lib/cli.ts';
import { execa } from 'execa';
import { errorLine, usageError } from '../lib/errors.ts';
import { publishRun } from '../reports/site.ts';

const HELP = `usage: npm run publish -- RUN_DIR --site DIR [--commit SHA]

Copies a complete run's report and data files into DIR/runs/<run-id>/, adds
the run to DIR/runs.json and renders DIR/index.html: every published run and
the trend of each scenario's median and overhead, run by run. DIR is a plain
static site folder (GitHub Pages, any web server, or a file:// URL).

  --site DIR      the site folder (created when missing)
  --commit SHA    the commit the run measured (default: git rev-parse HEAD)
  -h, --help      this text
`;

try {
  const parsed = parseCommandLine({ args: process.argv.slice(2), allowPositionals: true, options: { site: { type: 'string' }, commit: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (parsed.values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  if (parsed.positionals.length !== 1 || !parsed.values.site) throw usageError('give one run directory and --site DIR (see --help)');
  const commit = parsed.values.commit ?? String((await execa('git', ['rev-parse', 'HEAD'], { reject: false })).stdout || 'unknown').trim();
  const index = await publishRun(parsed.positionals[0]!, parsed.values.site, commit);
  process.stdout.write(`published: ${index}\n`);
} catch (err) {
  const { line, exitCode } = errorLine(err);
  process.stderr.write(`${line}\n`);
  process.exit(exitCode);
}
