/**
 * SIGINT and SIGTERM for the long-running commands. The first signal aborts
 * the returned signal: builds and guests stop, the run is kept as failed with
 * "interrupted" in its error.txt, temporary files go, and the command exits
 * 128 + the signal's number (130, 143). A second signal exits at once.
 *
 * A terminal's Ctrl-C also reaches every process in the foreground group, so
 * QEMU and make may stop on their own before the abort reaches them: what
 * failed after an interrupt is reported as the interrupt, not as their exit.
 */

import { constants } from 'node:os';

export type StopSignal = 'SIGINT' | 'SIGTERM';

export interface Interrupt {
  signal: AbortSignal;
  /** The signal received, or null. */
  received(): StopSignal | null;
}

export const signalExitCode = (s: StopSignal) => 128 + constants.signals[s];

export function handleInterrupts(): Interrupt {
  const controller = new AbortController();
  let got: StopSignal | null = null;
  for (const s of ['SIGINT', 'SIGTERM'] as const) {
    process.on(s, () => {
      if (got) process.exit(signalExitCode(got));
      got = s;
      process.stderr.write(`\n${s === 'SIGINT' ? 'interrupted' : 'terminated'} (${s}): stopping guests and builds; again to quit at once\n`);
      controller.abort(s);
    });
  }
  return { signal: controller.signal, received: () => got };
}
