import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auditdConf } from '../bench/guest/auditd-conf.ts';
import { activePluginConf } from '../bench/guest/auditd-plugins.ts';
import { BenchError } from '../lib/errors.ts';

const PACKAGED = '#\n# This file controls the configuration of the audit daemon\n#\n\nlocal_events = yes\nlog_format = ENRICHED\nflush = INCREMENTAL_ASYNC\nfreq = 50\n';

test('auditdConf keeps the packaged file where a scenario sets nothing', () => {
  assert.equal(auditdConf(PACKAGED), PACKAGED);
  assert.equal(auditdConf(PACKAGED, {}), PACKAGED);
});

test('auditdConf replaces a setting in its line and adds one the file lacks at the end', () => {
  const out = auditdConf(PACKAGED, { log_format: 'RAW', tcp_listen_port: '60' });
  assert.equal(out, PACKAGED.replace('log_format = ENRICHED', 'log_format = RAW') + 'tcp_listen_port = 60\n');
  assert.equal(out.match(/^log_format/gm)!.length, 1);
});

test('activePluginConf turns a packaged plugin on in its own line, and names a file without one', () => {
  const syslog = '\n# This file controls the audispd data path to the\n# syslog daemon.\n\nactive = no\ndirection = out\npath = /sbin/audisp-syslog\ntype = always \nargs = LOG_INFO\nformat = string\n';
  assert.equal(activePluginConf(syslog, 'plugins.d/syslog.conf'), syslog.replace('active = no', 'active = yes'));
  assert.throws(() => activePluginConf('path = /sbin/x\n', 'plugins.d/x.conf'), (e: unknown) => e instanceof BenchError && /plugins\.d\/x\.conf has no "active" line/.test(e.message));
});
