/**
 * Boots that shared a drawn link of their kernel are not independent draws
 * of the layout: intervals are then over links (reports/boots.ts linkUnits),
 * in the summary, its overheads, the gate and the calibration alike.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootUnits, linkUnits, type BootSummary } from '../reports/boots.ts';
import type { Baseline } from '../reports/gate/baseline.ts';
import { overheadChange, runOverhead } from '../reports/gate/boot-compare.ts';
import type { LoadedRun } from '../reports/load.ts';
import { clusterMeans, geometricMeanCI, pairedLogRatio } from '../reports/stats/index.ts';
import { bootRatio, kernelLinksNote, type Overhead } from '../reports/summary.ts';
import { overText } from '../reports/report/html.ts';

const boot = (seed: number, median: number, link: string | null): BootSummary =>
  ({ run: 'r', boot: seed - 42, seed, link, n: 4, warmups: 2, median_ns: median, spread_pct: 0.1, steady: true }) as BootSummary;

// 12 boots on 4 links (seed mod 4): each link moves its boots by its own factor, the boots spread a little within it.
const linkFactor = [1.0, 1.012, 0.991, 1.006];
const within = [1.0, 1.003, 0.998, 1.001, 0.999, 1.002, 0.997, 1.0, 1.004, 0.996, 1.001, 0.999];
const seeds = Array.from({ length: 12 }, (_, i) => 42 + i);
const linkOf = (s: number) => `d${s % 4}`;
const vanilla = seeds.map((s, i) => boot(s, 380 * linkFactor[s % 4]! * within[i]!, linkOf(s)));

test('linkUnits: one unit per link, the geometric mean of its boots; boots stay units where no link repeats', () => {
  const u = linkUnits([100, 400, 200, 50], ['a', 'a', 'b', 'b']);
  assert.equal(u.links, 2);
  assert.ok(Math.abs(u.values[0]! - 200) < 1e-9 && Math.abs(u.values[1]! - 100) < 1e-9, String(u.values));
  assert.deepEqual(linkUnits([1, 2, 3], ['a', 'b', 'c']), { values: [1, 2, 3], links: null }, 'every boot its own link');
  assert.deepEqual(linkUnits([1, 2, 3], ['a', 'a', null]), { values: [1, 2, 3], links: null }, 'a boot of the build\'s own link: boots stay units');
  assert.deepEqual(linkUnits([1, 2], [undefined, undefined]), { values: [1, 2], links: null }, 'summaries written before links were recorded');
  assert.deepEqual(clusterMeans([1, 2, 3, 6], [7, 8, 7, 8]), [2, 4]);
  assert.throws(() => clusterMeans([1, 2], ['a']), /2 values but 1 keys/);
});

test('a scenario\'s centre over shared links: t over the 4 links, wider than over 12 boots taken as independent', () => {
  const u = bootUnits(vanilla);
  assert.equal(u.links, 4);
  const overLinks = geometricMeanCI(u.values);
  const overBoots = geometricMeanCI(vanilla.map((b) => b.median_ns));
  assert.ok(Math.abs(Math.log(overLinks.centre / overBoots.centre)) < 1e-12, 'balanced links: the same centre');
  const w = (c: typeof overLinks) => c.ci![1] - c.ci![0];
  assert.ok(w(overLinks) > 1.5 * w(overBoots), `over links ${overLinks.ci}, over boots ${overBoots.ci}`);
});

test('an overhead across kernels pairs seeds, then averages the pairs of each pair of links', () => {
  // audit's kernel has links of its own, with other factors; on each seed it costs 2 % more.
  const auditFactor = [1.01, 0.99, 1.0, 1.015];
  const audit = seeds.map((s, i) => boot(s, 380 * 1.02 * auditFactor[s % 4]! * within[(i + 5) % 12]!, `a${s % 4}`));
  const { test: t, pairedSeeds, links } = bootRatio({ boots: vanilla }, { boots: audit });
  assert.equal(pairedSeeds!.length, 12);
  assert.equal(links, 4);
  const r = t(0.95);
  const byHand = pairedLogRatio(
    [0, 1, 2, 3].map((d) => Math.exp(seeds.filter((s) => s % 4 === d).reduce((a, s) => a + Math.log(vanilla[s - 42]!.median_ns), 0) / 3)),
    [0, 1, 2, 3].map((d) => Math.exp(seeds.filter((s) => s % 4 === d).reduce((a, s) => a + Math.log(audit[s - 42]!.median_ns), 0) / 3)),
  );
  assert.equal(r.n, 4);
  assert.equal(r.df, 3);
  assert.ok(Math.abs(r.ratio - byHand.ratio) < 1e-12 && Math.abs(r.ratioCI![0] - byHand.ratioCI![0]) < 1e-12);
  // Every boot its own link: the pairs are the units, as before links were drawn.
  const own = vanilla.map((b) => ({ ...b, link: `d${b.seed}` }));
  const ownAudit = audit.map((b) => ({ ...b, link: `a${b.seed}` }));
  assert.equal(bootRatio({ boots: own }, { boots: ownAudit }).links, null);
  assert.equal(bootRatio({ boots: own }, { boots: ownAudit }).test(0.95).n, 12);
});

test('the note names the scenarios whose intervals are over links, and is silent where every boot had its own', () => {
  const run = { meta: { options: { layout: 'random', kernelLinks: 4 } } } as unknown as LoadedRun;
  assert.match(kernelLinksNote([run], new Map([['vanilla', vanilla]])) ?? '', /vanilla: 12 boots on 4 links, seed mod 4\).*over links.*--kernel-links 12 gives every boot its own link/);
  const own = vanilla.map((b) => ({ ...b, link: `d${b.seed}` }));
  assert.equal(kernelLinksNote([run], new Map([['vanilla', own]])), null);
  assert.equal(kernelLinksNote([run], new Map([['vanilla', vanilla.map((b) => ({ ...b, link: null }))]])), null, 'fixed layout');
});

/** A baseline of one-sample boots with D kernel links recorded. */
function baseline(kernelLinks: number | undefined, scenarios: Record<string, { kernel: string; ns: number[] }>, kernels: Record<string, string>): Baseline {
  return {
    format: 'krsi-bench-baseline/2', created: '', from_run: '', suite_revision: '', mode: 'icount', unit: 'ns', baseline_scenario: 'vanilla', matrix: 'm',
    depends_on: { mode: 'icount', kernel_source: 's', kernels, qemu: 'q', workload_digest: 'w', bpf_digest: null, workloads: {}, layout: 'random', ...(kernelLinks !== undefined && { kernel_links: kernelLinks }) },
    scenarios: Object.fromEntries(Object.entries(scenarios).map(([n, x]) => [n, { kernel: x.kernel, boots: seeds.map((seed, i) => ({ seed, samples_ns: [x.ns[i]!] })), samples_ns: x.ns }])),
  };
}

test('the gate over shared links: seed mod D groups the paired differences into D units', () => {
  const v = vanilla.map((b) => b.median_ns);
  const audit = seeds.map((s, i) => 380 * 1.02 * [1.01, 0.99, 1.0, 1.015][s % 4]! * within[(i + 5) % 12]!);
  const four = baseline(4, { vanilla: { kernel: 'noaudit', ns: v }, audit: { kernel: 'audit', ns: audit } }, { noaudit: 'k1', audit: 'k2' });
  const e = runOverhead(four, 'audit', 'vanilla');
  assert.equal(e.paired, true);
  assert.equal(e.units, 4);
  assert.equal(e.df, 3);
  const twelve = runOverhead(baseline(12, { vanilla: { kernel: 'noaudit', ns: v }, audit: { kernel: 'audit', ns: audit } }, { noaudit: 'k1', audit: 'k2' }), 'audit', 'vanilla');
  assert.equal(twelve.units, 12, 'every seed its own link');
  assert.ok(Math.abs(e.est - twelve.est) < 1e-12, 'balanced links: the same estimate');
  // A rebuilt audit kernel: its new links differ from the old ones link by link, so the change is over 4 units too.
  const rebuilt = baseline(4, { vanilla: { kernel: 'noaudit', ns: v }, audit: { kernel: 'audit', ns: audit.map((x, i) => x * [1.004, 0.997, 1.001, 0.995][seeds[i]! % 4]!) } }, { noaudit: 'k1', audit: 'k3' });
  const c = overheadChange(four, rebuilt, 'audit', 'vanilla');
  assert.equal(c.units, 4);
  assert.equal(runOverhead(baseline(undefined, { vanilla: { kernel: 'noaudit', ns: v }, audit: { kernel: 'audit', ns: audit } }, { noaudit: 'k1', audit: 'k2' }), 'audit', 'vanilla').units, 12, 'a baseline from before links were drawn');
});

test('the report says what an overhead is over: kernel links, with the seeds paired, where boots shared links', () => {
  const o = { method: 'paired-t', units: 4, paired_seeds: seeds, links: 4 } as unknown as Overhead;
  assert.equal(overText(o), '4 kernel links (12 seed pairs)');
  assert.equal(overText({ ...o, links: undefined, units: 12 }), '12 seed pairs');
  assert.equal(overText({ ...o, method: 'welch-t', paired_seeds: undefined, units: 8 }), '4 kernel links');
  assert.equal(overText({ ...o, method: 'welch-t', paired_seeds: undefined, links: undefined, units: 24 }), '24 boots');
});
