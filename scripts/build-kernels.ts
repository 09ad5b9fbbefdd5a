#!/usr/bin/env tsx
// npm run build:kernels -- [--matrix NAME|FILE] [--kernel-src SRC] [--jobs J]: builds (or finds cached) every kernel a matrix uses.
import '../lib/last-resort.ts';
import { cpus } from 'node:os';
import { parseCommandLine } from '../lib/cli.ts';
import { cachePath } from '../lib/cache.ts';
import { errorLine, usageError } from '../lib/errors.ts';
import { loadMatrix } from '../bench/matrix.ts';
import { ensurePrerequisites } from '../bench/prereqs.ts';
import { buildKernels, kernelConfigHash } from '../kernels/build.ts';
import { DEFAULT_KERNEL_SOURCE, pinOf } from '../kernels/pins.ts';
import { resolveKernelSource } from '../kernels/source.ts';

const HELP = `usage: npm run build:kernels -- [options]

Builds every kernel variant the matrix uses, out of tree, into the cache
(${cachePath('kernels')}); a kernel of the same source and config is built once.

  --matrix NAME|FILE   default seed (kernels noaudit and audit)
  --kernel-src SRC     a Debian package at its pinned version (default
                       ${DEFAULT_KERNEL_SOURCE}, pinned to ${pinOf(DEFAULT_KERNEL_SOURCE)!.version}), PACKAGE=VERSION,
                       a tarball or a tree
  --allow-unpinned-source
                       build a tarball whose sha256 is not a pinned source's
  --jobs J             make -j (default: number of cores)
  --hashes             print each variant's config hash (its cache key) and
                       build nothing: for CI cache keys
  -h, --help           this text
`;

try {
  const { values } = parseCommandLine({
    args: process.argv.slice(2),
    options: { matrix: { type: 'string' }, 'kernel-src': { type: 'string' }, 'allow-unpinned-source': { type: 'boolean' }, jobs: { type: 'string' }, hashes: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const jobs = values.jobs === undefined ? cpus().length : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw usageError(`--jobs takes a whole number >= 1, not "${values.jobs}"`);
  const kernelSrc = values['kernel-src'] ?? DEFAULT_KERNEL_SOURCE;
  const matrix = await loadMatrix(values.matrix ?? 'seed');
  const variants = [...new Set(matrix.scenarios.map((s) => s.kernel))].map((v) => matrix.kernels[v]!);
  await ensurePrerequisites(cachePath('logs'));
  const logDir = cachePath('logs');
  const resolving = { allowUnpinned: values['allow-unpinned-source'] ?? false, log: cachePath('logs', 'kernel-source.log') };
  // Kernels of one source are built together (they seed each other); sources one after another.
  for (const spec of [...new Set(variants.map((v) => v.source ?? kernelSrc))]) {
    const src = await resolveKernelSource(spec, resolving);
    const mine = variants.filter((v) => (v.source ?? kernelSrc) === spec);
    if (values.hashes) {
      for (const v of mine) process.stdout.write(`${v.name}\t${await kernelConfigHash(v, src, logDir)}\n`);
    } else {
      for (const k of Object.values(await buildKernels(mine, src, { jobs, logDir }))) {
        process.stdout.write(`${k.variant}\t${k.version}\tconfig ${k.configHash}\t${k.bzImage}\n`);
      }
    }
  }
} catch (err) {
  const { line, exitCode } = errorLine(err);
  process.stderr.write(`${line}\n`);
  process.exit(exitCode);
}
