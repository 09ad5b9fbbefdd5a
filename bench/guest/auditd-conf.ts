/**
 * auditd.conf as Debian's auditd package ships it (/etc/audit/auditd.conf:
 * log_format ENRICHED, flush INCREMENTAL_ASYNC every 50 records, a log of at
 * most 8 MB rotated through 5 files, and SUSPEND when the disk is nearly
 * full), with a scenario's settings put in place of the packaged ones.
 */

/** The settings of auditd.conf(5) (audit 3.0.9) a matrix may set. */
export const AUDITD_CONF_KEYS = [
  'local_events', 'write_logs', 'log_file', 'log_group', 'log_format', 'flush', 'freq', 'max_log_file', 'num_logs',
  'priority_boost', 'name_format', 'name', 'max_log_file_action', 'space_left', 'space_left_action', 'verify_email',
  'action_mail_acct', 'admin_space_left', 'admin_space_left_action', 'disk_full_action', 'disk_error_action',
  'use_libwrap', 'tcp_listen_port', 'tcp_listen_queue', 'tcp_max_per_addr', 'tcp_client_ports', 'tcp_client_max_idle',
  'transport', 'krb5_principal', 'krb5_key_file', 'distribute_network', 'q_depth', 'overflow_action', 'max_restarts',
  'plugin_dir', 'end_of_event_timeout',
] as const;

/**
 * The packaged file with each setting of `settings` in place of its line, or
 * added at the end where the file has none; comments and order kept.
 */
export function auditdConf(packaged: string, settings: Record<string, string> = {}): string {
  const left = new Map(Object.entries(settings));
  const lines = packaged.split('\n').map((line) => {
    const key = /^\s*([a-z_0-9]+)\s*=/.exec(line)?.[1];
    if (key === undefined || !left.has(key)) return line;
    const value = left.get(key)!;
    left.delete(key);
    return `${key} = ${value}`;
  });
  if (lines.at(-1) === '') lines.pop();
  for (const [key, value] of left) lines.push(`${key} = ${value}`);
  return `${lines.join('\n')}\n`;
}
