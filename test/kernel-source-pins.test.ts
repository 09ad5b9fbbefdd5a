/**
 * Kernel sources named exactly: the pins' parsing, the tarball fetched by
 * version with apt (a stand-in apt-get and apt-cache on PATH that offer the
 * versions a case needs and hand out a .deb made here with dpkg-deb), the
 * digest checks, and the refusals.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BenchError } from '../lib/errors.ts';
import { sha256File } from '../lib/cache.ts';
import { cachedTarball, debianTarball, parseMadison, unavailableMessage } from '../kernels/debian-source.ts';
import { DEFAULT_KERNEL_SOURCE, isPackageSpec, parseSourceSpec, PINNED_SOURCES, pinOf, pinOfDigest, type PinnedSource } from '../kernels/pins.ts';
import { pinnedSource, resolveKernelSource, sourceTree } from '../kernels/source.ts';

const tmp = mkdtempSync(join(tmpdir(), 'krsi-pins-'));
const savedPath = process.env.PATH;
const savedCache = process.env.KRSI_BENCH_CACHE;
after(() => {
  process.env.PATH = savedPath;
  if (savedCache === undefined) delete process.env.KRSI_BENCH_CACHE;
  else process.env.KRSI_BENCH_CACHE = savedCache;
  rmSync(tmp, { recursive: true, force: true });
});

/** Asserts that the promise rejects with a BenchError of this exit code whose message matches re. */
async function rejectsWith(p: Promise<unknown>, exitCode: number, re: RegExp): Promise<BenchError> {
  let caught: unknown;
  await p.then(() => assert.fail('did not fail'), (err: unknown) => { caught = err; });
  assert.ok(caught instanceof BenchError, `not a BenchError: ${String(caught)}`);
  assert.equal(caught.exitCode, exitCode, caught.message);
  assert.match(caught.message, re);
  return caught;
}

test('the default source is a pinned Debian package; every pin names an exact version and a sha256', () => {
  assert.equal(DEFAULT_KERNEL_SOURCE, 'linux-source-6.12');
  for (const p of PINNED_SOURCES) {
    assert.match(p.package, /^linux-source-\d+\.\d+$/);
    assert.match(p.version, /^\d+\.\d+\.\d+-\S+$/);
    assert.match(p.sha256, /^[0-9a-f]{64}$/);
    assert.equal(pinOfDigest(p.sha256), p);
  }
  assert.equal(new Set(PINNED_SOURCES.map((p) => p.package)).size, PINNED_SOURCES.length, 'one pin per package');
});

test('a source spec: a package is its pin, PACKAGE=VERSION that version, a package without a pin needs a version, anything else a path', () => {
  const pin = pinOf('linux-source-6.12')!;
  assert.deepEqual(parseSourceSpec('linux-source-6.12'), { kind: 'package', package: 'linux-source-6.12', version: pin.version, pin });
  assert.deepEqual(parseSourceSpec(`linux-source-6.12=${pin.version}`), { kind: 'package', package: 'linux-source-6.12', version: pin.version, pin });
  assert.deepEqual(parseSourceSpec('linux-source-6.12=6.12.119-1~deb12u1'), { kind: 'package', package: 'linux-source-6.12', version: '6.12.119-1~deb12u1', pin: null });
  assert.deepEqual(parseSourceSpec('linux-source-6.6=6.6.1-1'), { kind: 'package', package: 'linux-source-6.6', version: '6.6.1-1', pin: null });
  assert.throws(() => parseSourceSpec('linux-source-6.6'), (e: unknown) => e instanceof BenchError && e.exitCode === 2 && /linux-source-6\.6 has no pinned version .*linux-source-6\.6=VERSION/.test(e.message));
  assert.deepEqual(parseSourceSpec('/src/linux.tar.xz'), { kind: 'path', path: '/src/linux.tar.xz' });
  assert.ok(isPackageSpec('linux-source-6.1=6.1.192-3'));
  assert.ok(!isPackageSpec('./linux-source-6.1.tar.xz'));
});

test('apt-cache madison output: the versions of that package, in apt\'s order, each once', () => {
  const text = [
    'linux-source-6.12 | 6.12.119-1~deb12u1 | http://mirror bookworm-security/main amd64 Packages',
    'linux-source-6.12 | 6.12.118-1~deb12u1 | http://mirror bookworm-security/main amd64 Packages',
    'linux-source-6.12 | 6.12.118-1~deb12u1 | http://other bookworm-security/main amd64 Packages',
    'linux-config-6.12 | 6.12.118-1~deb12u1 | http://mirror bookworm-security/main amd64 Packages',
    '',
  ].join('\n');
  assert.deepEqual(parseMadison(text, 'linux-source-6.12'), ['6.12.119-1~deb12u1', '6.12.118-1~deb12u1']);
  assert.deepEqual(parseMadison('', 'linux-source-6.12'), []);
});

test('the line for a pin apt does not offer names the version, what apt offers, and both ways out', () => {
  const pin = pinOf('linux-source-6.12')!;
  const line = unavailableMessage({ package: pin.package, version: pin.version, pin }, ['6.12.120-1~deb12u1', '6.12.119-1~deb12u1']);
  assert.match(line, new RegExp(`^linux-source-6\\.12 ${pin.version.replace(/[.~]/g, '\\$&')}, the pinned kernel source, is not offered by apt \\(apt offers 6\\.12\\.120-1~deb12u1, 6\\.12\\.119-1~deb12u1\\)`));
  assert.match(line, /--kernel-src with a tarball or tree of linux-source-6\.12/);
  assert.match(line, /--kernel-src linux-source-6\.12=6\.12\.120-1~deb12u1 to build that version instead/);
  assert.match(unavailableMessage({ package: 'linux-source-6.6', version: '6.6.1-1', pin: null }, []), /^linux-source-6\.6 6\.6\.1-1 is not offered by apt \(apt offers no version of linux-source-6\.6 \(run apt-get update\?\)\)/);
});

// A stand-in apt: apt-cache madison lists $FAKE_APT_OFFERS; apt-get download PKG=VER copies
// $FAKE_APT_DEBS/VER.deb into the working directory when $FAKE_APT_OFFERS lists VER, and fails as apt does otherwise.
const bin = join(tmp, 'bin');
const debs = join(tmp, 'debs');
mkdirSync(bin);
mkdirSync(debs);
writeFileSync(join(bin, 'apt-cache'), '#!/bin/sh\nfor v in $FAKE_APT_OFFERS; do echo "linux-source-9.9 | $v | file:/fake bookworm/main amd64 Packages"; done\n');
writeFileSync(join(bin, 'apt-get'), [
  '#!/bin/sh',
  'echo "apt-get $*" >> "$FAKE_APT_CALLS"',
  '[ "$1" = update ] && exit 0',
  'v=${2#*=}',
  'case " $FAKE_APT_OFFERS " in *" $v "*) cp "$FAKE_APT_DEBS/$v.deb" "linux-source-9.9_${v}_all.deb"; exit 0;; esac',
  'echo "E: Version \'$v\' for \'linux-source-9.9\' was not found" >&2; exit 100',
  '',
].join('\n'));
chmodSync(join(bin, 'apt-cache'), 0o755);
chmodSync(join(bin, 'apt-get'), 0o755);

/** A .deb of linux-source-9.9 at a version, holding a small tarball (or none); returns the tarball's sha256. */
async function makeDeb(version: string, withTarball = true): Promise<string> {
  const root = join(tmp, `deb-${version}`);
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  mkdirSync(join(root, 'usr', 'src'), { recursive: true });
  writeFileSync(join(root, 'DEBIAN', 'control'), `Package: linux-source-9.9\nVersion: ${version}\nArchitecture: all\nMaintainer: test <t@example.org>\nDescription: a stand-in\n`);
  const tree = join(tmp, `tree-${version}`, 'linux-9.9');
  mkdirSync(tree, { recursive: true });
  writeFileSync(join(tree, 'Makefile'), `# ${version}\nkernelversion:\n\t@echo 9.9.0\n`);
  writeFileSync(join(tree, 'Kconfig'), '');
  let digest = '';
  if (withTarball) {
    const tarball = join(root, 'usr', 'src', 'linux-source-9.9.tar.xz');
    execFileSync('tar', ['-cJf', tarball, '--mtime=@0', '-C', join(tmp, `tree-${version}`), 'linux-9.9']);
    digest = await sha256File(tarball);
  }
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', root, join(debs, `${version}.deb`)], { stdio: 'ignore' });
  return digest;
}

function fakeApt(offers: string[], cache: string): string {
  process.env.PATH = `${bin}:${savedPath}`;
  process.env.FAKE_APT_OFFERS = offers.join(' ');
  process.env.FAKE_APT_DEBS = debs;
  process.env.FAKE_APT_CALLS = join(tmp, `${cache}.calls`);
  process.env.KRSI_BENCH_CACHE = join(tmp, cache);
  return process.env.FAKE_APT_CALLS;
}

test('a pinned version apt offers beside a newer one: that version is downloaded, checked, and kept in the cache', async () => {
  const sha = await makeDeb('9.9.1-1');
  await makeDeb('9.9.2-1');
  const calls = fakeApt(['9.9.2-1', '9.9.1-1'], 'present');
  const pin: PinnedSource = { package: 'linux-source-9.9', version: '9.9.1-1', sha256: sha };
  // The log's directory need not exist yet (a first run's cache has no logs/).
  const got = await debianTarball({ package: pin.package, version: pin.version, pin }, join(tmp, 'present', 'logs', 'source.log'));
  assert.equal(got.path, cachedTarball(pin));
  assert.equal(got.sha256, sha);
  assert.equal(await sha256File(got.path), sha);
  assert.deepEqual(readFileSync(calls, 'utf8').trim().split('\n'), ['apt-get download linux-source-9.9=9.9.1-1']);
  assert.match(readFileSync(join(tmp, 'present', 'logs', 'source.log'), 'utf8'), /^\$ apt-get download linux-source-9\.9=9\.9\.1-1$/m);
  // The second time it is in the cache: apt is not asked again, and nothing is left beside it.
  await debianTarball({ package: pin.package, version: pin.version, pin }, join(tmp, 'present.log'));
  assert.equal(readFileSync(calls, 'utf8').trim().split('\n').length, 1);
  assert.deepEqual(execFileSync('ls', [join(tmp, 'present', 'sources')], { encoding: 'utf8' }).trim().split('\n').filter((f) => !f.endsWith('.lock')), ['linux-source-9.9_9.9.1-1.tar.xz']);
});

test('a pinned version apt does not offer: exit 2 naming it and what apt offers; nothing is left in the cache', async () => {
  await makeDeb('9.9.3-1');
  fakeApt(['9.9.3-1'], 'absent');
  const pin: PinnedSource = { package: 'linux-source-9.9', version: '9.9.1-1', sha256: 'a'.repeat(64) };
  await rejectsWith(debianTarball({ package: pin.package, version: pin.version, pin }, join(tmp, 'absent.log')), 2,
    /^linux-source-9\.9 9\.9\.1-1, the pinned kernel source, is not offered by apt \(apt offers 9\.9\.3-1\): pass --kernel-src/);
  assert.ok(!existsSync(cachedTarball(pin)));
  assert.deepEqual(execFileSync('ls', [join(tmp, 'absent', 'sources')], { encoding: 'utf8' }).trim().split('\n').filter((f) => f && !f.endsWith('.lock')), []);
});

test('the pinned version with other bytes, and a package without its tarball, are refused (exit 1) naming the log', async () => {
  const sha = await makeDeb('9.9.4-1');
  fakeApt(['9.9.4-1'], 'digest');
  const wrong: PinnedSource = { package: 'linux-source-9.9', version: '9.9.4-1', sha256: 'b'.repeat(64) };
  const err = await rejectsWith(debianTarball({ package: wrong.package, version: wrong.version, pin: wrong }, join(tmp, 'digest.log')), 1,
    new RegExp(`^linux-source-9\\.9 9\\.9\\.4-1 from apt holds a tarball of sha256 ${sha}, not the pinned b{64}`));
  assert.equal(err.log, join(tmp, 'digest.log'));
  assert.ok(!existsSync(cachedTarball(wrong)));

  await makeDeb('9.9.5-1', false);
  fakeApt(['9.9.5-1'], 'empty');
  const pin: PinnedSource = { package: 'linux-source-9.9', version: '9.9.5-1', sha256: 'c'.repeat(64) };
  await rejectsWith(debianTarball({ package: pin.package, version: pin.version, pin }, join(tmp, 'empty.log')), 1,
    /^taking \/usr\/src\/linux-source-9\.9\.tar\.xz out of linux-source-9\.9_9\.9\.5-1_all\.deb \(the package's tarball is missing\?\) failed/);
  assert.ok(!existsSync(cachedTarball(pin)));
});

test('a version named by hand is fetched without a pin, and its digest is what the source is known by', async () => {
  const sha = await makeDeb('9.9.6-1');
  fakeApt(['9.9.6-1'], 'named');
  const src = await resolveKernelSource('linux-source-9.9=9.9.6-1', { log: join(tmp, 'named.log') });
  assert.deepEqual(src.origin, { spec: 'linux-source-9.9=9.9.6-1', kind: 'package', package: 'linux-source-9.9', version: '9.9.6-1', sha256: sha, pinned: false });
  assert.equal(await sha256File(src.path), sha);
});

test('a tarball given by path: refused unless its digest is a pin\'s or --allow-unpinned-source; a tree is taken as it is', async () => {
  process.env.KRSI_BENCH_CACHE = join(tmp, 'paths');
  const tarball = join(tmp, 'own.tar.xz');
  execFileSync('tar', ['-cJf', tarball, '-C', join(tmp, 'tree-9.9.1-1'), 'linux-9.9']);
  const sha = await sha256File(tarball);
  await rejectsWith(resolveKernelSource(tarball, { log: join(tmp, 'paths.log') }), 2,
    new RegExp(`^kernel source .*own\\.tar\\.xz \\(sha256 ${sha.slice(0, 12)}\\) is not a pinned source \\(linux-source-6\\.12 .*\\): pass --allow-unpinned-source`));
  const allowed = await resolveKernelSource(tarball, { allowUnpinned: true, log: join(tmp, 'paths.log') });
  assert.deepEqual(allowed.origin, { spec: tarball, kind: 'tarball', package: null, version: null, sha256: sha, pinned: false });
  const tree = await resolveKernelSource(join(tmp, 'tree-9.9.1-1', 'linux-9.9'), { log: join(tmp, 'paths.log') });
  assert.equal(tree.origin.kind, 'tree');
  assert.equal(tree.origin.pinned, false);
  await rejectsWith(resolveKernelSource(join(tmp, 'nothing.tar.xz'), { log: join(tmp, 'paths.log') }), 2, /^kernel source not found: /);
});

test('a pinned package whose tree the cache holds unpacked is resolved without fetching: its id comes from the pin', async () => {
  const calls = fakeApt([], 'unpacked');
  await rejectsWith(resolveKernelSource('linux-source-6.1', { log: join(tmp, 'unpacked.log') }), 2, /^linux-source-6\.1 \S+, the pinned kernel source, is not offered by apt/);
  // Mark the id's tree as unpacked: resolving now asks apt nothing.
  const src = await pinnedSource(pinOf('linux-source-6.1')!);
  mkdirSync(join(tmp, 'unpacked', 'src', src.id), { recursive: true });
  writeFileSync(join(tmp, 'unpacked', 'src', src.id, '.unpacked'), '');
  const asked = readFileSync(calls, 'utf8');
  const again = await resolveKernelSource('linux-source-6.1', { log: join(tmp, 'unpacked.log') });
  assert.equal(again.id, src.id);
  assert.equal(readFileSync(calls, 'utf8'), asked);
});

test('a tarball that holds no kernel (allowed as unpinned): refused with exit 2 after unpacking, and nothing is left in the cache', async () => {
  const cache = join(tmp, 'notkernel');
  process.env.KRSI_BENCH_CACHE = cache;
  mkdirSync(join(tmp, 'notkernel-src', 'stuff'), { recursive: true });
  writeFileSync(join(tmp, 'notkernel-src', 'stuff', 'README'), 'not a kernel\n');
  const tarball = join(tmp, 'notkernel.tar.xz');
  execFileSync('tar', ['-cJf', tarball, '-C', join(tmp, 'notkernel-src'), 'stuff']);
  const src = await resolveKernelSource(tarball, { allowUnpinned: true, log: join(tmp, 'notkernel.log') });
  await rejectsWith(sourceTree(src, join(tmp, 'notkernel.log')), 2, /^tarball .*notkernel\.tar\.xz does not hold a kernel source tree \(no Makefile and Kconfig at its top\)$/);
  assert.deepEqual(execFileSync('ls', ['-A', join(cache, 'src')], { encoding: 'utf8' }).trim(), '');
});
