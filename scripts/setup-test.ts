#!/usr/bin/env tsx
// Run by npm before `npm test`: installs what the tests need (as root), or prints the apt-get command and exits 2.
import '../lib/last-resort.ts';
import { cachePath } from '../lib/cache.ts';
import { errorLine } from '../lib/errors.ts';
import { ensurePrerequisites, TEST_PREREQUISITES } from '../bench/prereqs.ts';
import { DEFAULT_KERNEL_SOURCE } from '../kernels/source.ts';

try {
  await ensurePrerequisites(DEFAULT_KERNEL_SOURCE, cachePath('logs'), TEST_PREREQUISITES);
} catch (err) {
  const { line, exitCode } = errorLine(err);
  process.stderr.write(`${line}\n`);
  process.exit(exitCode);
}
