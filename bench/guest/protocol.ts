import { createHash } from 'node:crypto';

/**
 * The guest speaks to the host on its second serial port, in lines:
 *
 *   KRSI-BENCH BEGIN <seed>              the guest's /init is running
 *   KRSI-BENCH STATUS <text>             a setup step is done
 *   KRSI-BENCH PAYLOAD                   the result follows
 *   <payload lines>
 *   KRSI-BENCH END <lines> <sha256>      line count and sha256 of the payload (lines joined with \n, final \n)
 *   KRSI-BENCH FAIL <message>            setup or workload failed
 *
 * The END line's count and digest let the host tell a complete result from
 * one cut short by a crash, a timeout or a full disk.
 */
export const MARK = 'KRSI-BENCH';

export interface GuestSample {
  sample: number;
  warmup: boolean;
  execs: number;
  nsPerExec: number;
}

export interface GuestResult {
  samples: GuestSample[];
  /** `count <name> <value>` lines: events, records, drops. */
  counts: Record<string, number>;
  /** `info <name> <text>` lines: kernel release, LSMs. */
  info: Record<string, string>;
  /** `event <json>`: a few logged events kept as examples. */
  exampleEvents: string[];
  /**
   * `record <source> <line>`: the first execs' records as each logger wrote
   * them (audit's log lines, the BPF exec logger's JSON), where a boot runs
   * both, so that the host compares them field by field (bench/exec-records.ts).
   */
  records: { source: string; line: string }[];
  /** Profiling boots: `attr <line>`, execbench's snapshots (workloads/attribution.c), as written. */
  attribution: string[];
  /** Profiling boots: `ksym <address> <name>`, the guest's _text and its BPF programs' symbols. */
  kernelSymbols: [string, string][];
}

export type GuestOutput =
  | { state: 'complete'; result: GuestResult }
  | { state: 'failed'; message: string }
  | { state: 'incomplete'; reason: string; booted: boolean; lastStatus: string | null };

function lines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\r$/, ''));
}

/** Reads what the guest wrote on its result port, complete or not. */
export function parseGuestOutput(text: string): GuestOutput {
  const all = lines(text);
  let booted = false;
  let lastStatus: string | null = null;
  for (let i = 0; i < all.length; i++) {
    const line = all[i]!;
    if (line.startsWith(`${MARK} BEGIN `)) booted = true;
    else if (line.startsWith(`${MARK} STATUS `)) lastStatus = line.slice(MARK.length + 8);
    else if (line.startsWith(`${MARK} FAIL`)) return { state: 'failed', message: line.slice(MARK.length + 5).trim() || 'no reason given' };
    else if (line === `${MARK} PAYLOAD`) {
      const endAt = all.findIndex((l, j) => j > i && l.startsWith(`${MARK} END `));
      if (endAt < 0) return { state: 'incomplete', reason: 'result cut short (no END line)', booted, lastStatus };
      const payload = all.slice(i + 1, endAt);
      const [, countText, digest] = all[endAt]!.split(' ').slice(1);
      const body = payload.map((l) => `${l}\n`).join('');
      if (Number(countText) !== payload.length || createHash('sha256').update(body).digest('hex') !== digest) {
        return { state: 'incomplete', reason: `result damaged (${payload.length} lines, END says ${countText}; or checksum differs)`, booted, lastStatus };
      }
      return parsePayload(payload);
    }
  }
  return { state: 'incomplete', reason: booted ? 'no result' : 'guest did not reach /init', booted, lastStatus };
}

function parsePayload(payload: string[]): GuestOutput {
  const result: GuestResult = { samples: [], counts: {}, info: {}, exampleEvents: [], records: [], attribution: [], kernelSymbols: [] };
  for (const line of payload) {
    const [kind, ...rest] = line.split(' ');
    if (kind === 'sample' && rest.length === 4) {
      const [i, w, k, ns] = rest.map(Number) as [number, number, number, number];
      if (![i, w, k, ns].every(Number.isFinite)) return { state: 'failed', message: `bad sample line "${line}"` };
      result.samples.push({ sample: i, warmup: w === 1, execs: k, nsPerExec: ns });
    } else if (kind === 'count' && rest.length === 2) {
      const v = Number(rest[1]);
      if (!Number.isFinite(v)) return { state: 'failed', message: `bad count line "${line}"` };
      result.counts[rest[0]!] = v;
    } else if (kind === 'info' && rest.length >= 1) {
      result.info[rest[0]!] = rest.slice(1).join(' ');
    } else if (kind === 'event') {
      result.exampleEvents.push(rest.join(' '));
    } else if (kind === 'record' && rest.length >= 2) {
      result.records.push({ source: rest[0]!, line: rest.slice(1).join(' ') });
    } else if (kind === 'attr' && rest.length >= 1) {
      result.attribution.push(rest.join(' '));
    } else if (kind === 'ksym' && rest.length === 2 && /^[0-9a-f]{16}$/.test(rest[0]!)) {
      result.kernelSymbols.push([rest[0]!, rest[1]!]);
    } else if (line !== '') {
      return { state: 'failed', message: `unexpected line in result "${line.slice(0, 80)}"` };
    }
  }
  return { state: 'complete', result };
}
