#!/usr/bin/env tsx
// npm run setup [-- --test]: installs the Debian packages a run needs (with --test, also what the tests
// need) when run as root, else prints the apt-get command and exits 2; then fetches the pinned kernel
// source. npm test runs it with --test first; .ci/run runs it so that CI installs from the same list.
import '../lib/last-resort.ts';
import { cachePath } from '../lib/cache.ts';
import { errorLine } from '../lib/errors.ts';
import { parseCommandLine } from '../lib/cli.ts';
import { ensurePrerequisites, TEST_PREREQUISITES } from '../bench/prereqs.ts';
import { DEFAULT_KERNEL_SOURCE } from '../kernels/pins.ts';
import { resolveKernelSource } from '../kernels/source.ts';

try {
  const { values } = parseCommandLine({ args: process.argv.slice(2), options: { test: { type: 'boolean' } } }, 'npm run setup -- [--test]');
  await ensurePrerequisites(cachePath('logs'), values.test ? TEST_PREREQUISITES : []);
  const src = await resolveKernelSource(DEFAULT_KERNEL_SOURCE, { log: cachePath('logs', 'kernel-source.log') });
  process.stderr.write(`setup: packages present; kernel source ${src.origin.package} ${src.origin.version} ready\n`);
} catch (err) {
  const { line, exitCode } = errorLine(err);
  process.stderr.write(`${line}\n`);
  process.exit(exitCode);
}
