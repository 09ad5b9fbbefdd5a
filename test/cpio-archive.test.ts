import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { cpioArchive } from '../bench/guest/cpio.ts';

test('cpioArchive writes a newc archive that GNU cpio lists and unpacks byte for byte', () => {
  const archive = cpioArchive([
    { kind: 'file', path: 'bin/hello', data: Buffer.from('hello world\n'), mode: 0o755 },
    { kind: 'dir', path: 'bin' },
    { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
    { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'file', path: 'odd', data: Buffer.from('abc') },
  ]);
  const listing = execFileSync('cpio', ['-itv', '--quiet'], { input: archive }).toString();
  const names = execFileSync('cpio', ['-it', '--quiet'], { input: archive }).toString().trim().split('\n');
  assert.deepEqual(names, ['bin', 'bin/hello', 'bin/sh', 'dev/console', 'odd']);
  assert.match(listing, /bin\/sh -> busybox$/m);
  assert.match(listing, /^crw------- .* 5,\s+1 .* dev\/console$/m);
  assert.match(listing, /^-rwxr-xr-x .* 12 .* bin\/hello$/m);
  const hello = execFileSync('cpio', ['-i', '--quiet', '--to-stdout', 'bin/hello'], { input: archive }).toString();
  assert.equal(hello, 'hello world\n');
});

test('cpioArchive is reproducible and ends with the trailer', () => {
  const entries = [{ kind: 'file' as const, path: 'a', data: Buffer.from('x') }];
  const a = cpioArchive(entries);
  assert.deepEqual(a, cpioArchive(entries));
  assert.equal(a.length % 4, 0);
  assert.ok(a.includes(Buffer.from('TRAILER!!!\0')));
});
