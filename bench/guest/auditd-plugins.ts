import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BenchError } from '../../lib/errors.ts';
import type { AuditdRoot } from './auditd.ts';

/**
 * auditd's plugins (auditd-plugins(5), audit 3.0.9): the files of
 * /etc/audit/plugins.d that Debian's packages ship, each with `active = no`.
 * A scenario names those it turns on; auditd then starts each plugin and
 * hands it every event it logs. Only turned-on plugins go into the guest, so
 * that a scenario without plugins boots the same initramfs as before.
 */

/** A plugin the suite can run, with what it needs in the guest. */
export interface AuditdPlugin {
  /** Its file in /etc/audit/plugins.d, in auditd's package. */
  conf: string;
  /** The program auditd starts for it, from the package (absent: built into auditd). */
  binary?: string;
}

/**
 * syslog: audisp-syslog writes each record to syslog, as fleets forward audit
 * to a collector. The guest's syslog daemon is busybox syslogd writing to a
 * file on the disk, as rsyslog writes /var/log/syslog on a Debian machine.
 */
export const AUDITD_PLUGINS: Record<string, AuditdPlugin> = {
  syslog: { conf: 'syslog.conf', binary: '/sbin/audisp-syslog' },
};

/** Packaged plugins the suite does not run, and why. */
export const UNSUPPORTED_PLUGINS: Record<string, string> = {
  af_unix: 'its records go to a socket that needs a reader in the guest, which the suite does not have yet',
};

/** Where the guest's syslog daemon writes, on the disk where there is one. */
export const syslogFile = (disk: boolean, diskMount: string): string => `${disk ? diskMount : ''}/var/log/syslog`;

/** The packaged plugin file (at path) with `active = yes` in place of its `active` line. */
export function activePluginConf(packaged: string, path: string): string {
  const active = /^(\s*active\s*=\s*)\S+/m;
  if (!active.test(packaged)) throw new BenchError(`auditd plugin file ${path} has no "active" line`, path);
  return packaged.replace(active, '$1yes');
}

/** The guest's files for the named plugins: each packaged file turned on, and the program it starts (guest path -> host path). */
export async function pluginFiles(names: string[], auditd: AuditdRoot): Promise<{ confs: Record<string, string>; binaries: Record<string, string> }> {
  const confs: Record<string, string> = {};
  const binaries: Record<string, string> = {};
  for (const name of names) {
    const plugin = AUDITD_PLUGINS[name]!;
    const path = join(auditd.pluginsDir, plugin.conf);
    confs[plugin.conf] = activePluginConf(await readFile(path, 'utf8'), path);
    if (plugin.binary) binaries[plugin.binary] = join(auditd.root, plugin.binary);
  }
  return { confs, binaries };
}
