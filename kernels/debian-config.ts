/**
 * Debian's own kernel configuration, as the base of the `debian` kernel
 * variant: the cloud-amd64 flavour (the one made for virtual machines) from
 * the linux-config-6.12 package at its pinned version, fetched with
 * `apt-get download` into the cache and checked against the pin's sha256.
 * The suite boots no modules, so every option Debian builds as a module is
 * left out rather than built in; what the guest needs beyond that comes from
 * the variant's fragment (kernels/fragments/debian.config).
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { writeFileAtomic } from '../lib/atomic.ts';
import { cachePath, sha256File } from '../lib/cache.ts';
import { BenchError } from '../lib/errors.ts';
import { withLock } from '../lib/lock.ts';
import { shell } from '../lib/shell.ts';
import { DEBIAN_CONFIG_PIN, packageLabel } from './pins.ts';

/** A config with every `=m` option turned off ("is not set"), every other line as it was. */
export function withoutModules(config: string): string {
  return config.split('\n').map((line) => {
    const m = /^(CONFIG_[A-Za-z0-9_]+)=m$/.exec(line);
    return m ? `# ${m[1]} is not set` : line;
  }).join('\n');
}

/** The path of Debian's cloud-amd64 config without modules, fetched and made once. */
export async function debianCloudConfig(log: string, signal?: AbortSignal): Promise<string> {
  const pin = DEBIAN_CONFIG_PIN;
  const out = cachePath('debian-config', `${pin.version}-${pin.flavour}-nomodules.config`);
  if (existsSync(out)) return out;
  return withLock(`${out}.lock`, 'Debian kernel config', async () => {
    if (existsSync(out)) return out;
    const tmp = `${out}.tmp`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    try {
      const label = packageLabel(pin.package, pin.version);
      process.stderr.write(`kernel debian: downloading ${label} (apt-get download, about 2 MB)\n`);
      const got = await execa('apt-get', ['download', `${pin.package}=${pin.version}`], { cwd: tmp, reject: false, all: true, stdin: 'ignore', ...(signal && { cancelSignal: signal }) });
      if (got.exitCode !== 0) throw new BenchError(`${label}: apt-get download failed: ${String(got.all ?? '').trim().split('\n').pop()}`, log);
      const sh = shell({ log, cwd: tmp, signal });
      const deb = (await readdir(tmp)).find((f) => f.endsWith('.deb'));
      if (!deb) throw new BenchError(`${label}: apt-get download left no .deb`, log);
      await sh(`unpacking ${label}`)`dpkg-deb -x ${deb} root`;
      const xz = join(tmp, 'root', 'usr/src', pin.package, `config.${pin.flavour}.xz`);
      if (!existsSync(xz)) throw new BenchError(`${label}: no config.${pin.flavour}.xz in the package`, log);
      const digest = await sha256File(xz);
      if (digest !== pin.sha256) throw new BenchError(`${label}: config.${pin.flavour}.xz has sha256 ${digest}, not the pinned ${pin.sha256} (kernels/pins.ts)`, log);
      await sh(`decompressing config.${pin.flavour}.xz`)`xz -dk ${xz}`;
      await writeFileAtomic(out, withoutModules(await readFile(xz.replace(/\.xz$/, ''), 'utf8')));
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return out;
  });
}
