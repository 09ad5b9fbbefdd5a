// The command line of npm run bench and npm run profile: one runner, two defaults.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cachePath } from '../lib/cache.ts';
import { errorLine, usageError } from '../lib/errors.ts';
import { accountingOn } from '../bench/guests.ts';
import { BENCH_HELP, PROFILE_HELP, parseBenchArgs } from '../bench/options.ts';
import { ensurePrerequisites } from '../bench/prereqs.ts';
import { runBench } from '../bench/run.ts';
import { handleInterrupts } from '../lib/interrupt.ts';
import { printSummary } from '../reports/print.ts';
import type { Summary } from '../reports/summary.ts';

export async function benchMain(argv: string[], profile: boolean): Promise<void> {
  try {
    const parsed = parseBenchArgs(argv);
    if (parsed === 'help') {
      process.stdout.write(profile ? PROFILE_HELP : BENCH_HELP);
      process.exit(0);
    }
    // A profile boots each scenario once unless --boots says otherwise: it is exact, not a sample.
    const opts = profile ? { ...parsed, profile, boots: parsed.boots ?? 1 } : parsed;
    if (profile && !accountingOn()) throw usageError('npm run profile needs the kernel\'s accounting: unset KRSI_BENCH_ACCOUNTING=off');
    const interrupt = handleInterrupts();
    await ensurePrerequisites(cachePath('logs'));
    const outcome = await runBench(opts, interrupt);
    const summary = JSON.parse(await readFile(join(outcome.dir, 'summary.json'), 'utf8')) as Summary;
    process.stdout.write(printSummary(summary));
    process.stdout.write(`\nresults: ${outcome.dir}\n`);
    if (outcome.reportError) {
      const { line, exitCode } = errorLine(outcome.reportError);
      process.stderr.write(`${line}\n`);
      process.exit(exitCode);
    }
    process.stdout.write(`report:  ${join(outcome.dir, 'report.html')}\n`);
  } catch (err) {
    const { line, exitCode } = errorLine(err);
    process.stderr.write(`${line}\n`);
    process.exit(exitCode);
  }
}
