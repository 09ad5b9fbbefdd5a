import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventRow, LoadedRun } from './load.ts';
import { usageError } from '../lib/errors.ts';
import { attributionCsv, eventsCsv, RESULT_FILES, samplesCsv, type AttributionRow, type RunMeta, type SampleRow } from '../lib/results.ts';

/** True when every run is a slice of one sharded run (--shard I/N), each slice once. */
export function areShards(runs: LoadedRun[]): boolean {
  const shards = runs.map((r) => r.meta?.shard ?? null);
  if (shards.some((s) => s === null)) return false;
  const count = shards[0]!.count;
  const indexes = new Set(shards.map((s) => s!.index));
  return shards.every((s) => s!.count === count) && indexes.size === runs.length;
}

/**
 * What must be equal for shards to be parts of one run. The BPF digest is left
 * out: a shard without BPF scenarios has none. Where two shards have one, they must agree.
 */
function shardIdentity(m: RunMeta): string {
  return JSON.stringify([m.mode, m.matrix, m.options, m.suite.workloadDigest, m.qemu.version, m.shard?.count]);
}

/**
 * Joins the run directories of the shards of one run into one run, in the
 * order an unsharded run would have: shard s ran the guests s-1, s-1+N, ...
 * of the plan, so guest p of shard s was guest p*N + s-1.
 */
export function joinShards(runs: LoadedRun[]): { meta: RunMeta; samples: SampleRow[]; events: EventRow[]; attribution: AttributionRow[] | null } {
  if (!areShards(runs)) throw usageError('these runs are not the shards of one run (each needs run.json with shard I/N, every I once)');
  const metas = runs.map((r) => r.meta!);
  const first = metas[0]!;
  const odd = metas.findIndex((m) => shardIdentity(m) !== shardIdentity(first));
  if (odd > 0) throw usageError(`${runs[odd]!.dir}: not a shard of the same run as ${runs[0]!.dir} (mode, matrix, options, code or QEMU differ)`);
  const bpfDigests = [...new Set(metas.map((m) => m.suite.bpfDigest).filter((d) => d !== null))];
  if (bpfDigests.length > 1) throw usageError(`the shards were run with different BPF code (digests ${bpfDigests.join(', ')})`);
  const missing = first.shard!.count - runs.length;
  if (missing > 0) throw usageError(`${missing} of ${first.shard!.count} shards missing`);

  const guests = metas
    .flatMap((m) => m.guests.map((g, p) => ({ g, at: p * m.shard!.count + m.shard!.index - 1 })))
    .sort((a, b) => a.at - b.at)
    .map((x) => x.g);
  const order = [...new Set(guests.map((g) => g.scenario))];
  const rank = (scenario: string) => order.indexOf(scenario);
  const byScenario = <T extends { scenario: string; boot: number }>(rows: T[]) =>
    rows.map((r, i) => ({ r, i })).sort((a, b) => rank(a.r.scenario) - rank(b.r.scenario) || a.r.boot - b.r.boot || a.i - b.i).map((x) => x.r);

  const meta: RunMeta = {
    ...first,
    runId: `${first.runId}-joined`,
    suite: { ...first.suite, bpfDigest: bpfDigests[0] ?? null },
    shard: null,
    mergedFrom: metas.map((m) => m.runId),
    kernels: [...new Map(metas.flatMap((m) => m.kernels).map((k) => [k.variant, k])).values()],
    scenarios: order.map((name) => metas.flatMap((m) => m.scenarios).find((s) => s.name === name)!),
    guests,
  };
  // The accounting joins only where every shard has it: a partial one would give latency for some scenarios.
  const attribution = runs.every((r) => r.attribution) ? byScenario(runs.flatMap((r) => r.attribution!)) : null;
  return { meta, samples: byScenario(runs.flatMap((r) => r.samples)), events: byScenario(runs.flatMap((r) => r.events)), attribution };
}

/** Writes a joined run's files (the shards' logs copied in) into dir. */
export async function writeJoinedRun(dir: string, runs: LoadedRun[], joined: ReturnType<typeof joinShards>): Promise<void> {
  await mkdir(join(dir, 'logs'), { recursive: true });
  for (const r of runs) {
    const logs = join(r.dir, 'logs');
    const names = await readdir(logs).catch(() => [] as string[]);
    for (const n of names) await cp(join(logs, n), join(dir, 'logs', n), { recursive: true });
  }
  await writeFile(join(dir, 'run.json'), `${JSON.stringify(joined.meta, null, 2)}\n`);
  await writeFile(join(dir, 'samples.csv'), samplesCsv(joined.samples));
  await writeFile(join(dir, 'events.csv'), eventsCsv(joined.events));
  if (joined.attribution) await writeFile(join(dir, RESULT_FILES.attribution), attributionCsv(joined.attribution));
}
