/**
 * Progress lines for long work. On a terminal one line is redrawn in place; in
 * CI logs (no TTY) a line is printed at most every `intervalMs`.
 */
export interface Progress {
  /**
   * `fraction`, where given, is how much of the work is done when its parts differ in size; done / total otherwise.
   * `leftMs`, where given, is the time left as the caller reckons it; otherwise it is reckoned from the elapsed time.
   */
  update(done: number, total: number, what?: string, fraction?: number, leftMs?: number): void;
  done(message: string): void;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(s % 60).padStart(2, '0')}s`;
}

/** A line of its own; on a terminal it first clears a progress line being redrawn there. */
export function printLine(line: string, out: NodeJS.WriteStream = process.stderr): void {
  out.write(out.isTTY ? `\r\x1b[K${line}\n` : `${line}\n`);
}

export function progress(label: string, intervalMs = 10_000, out: NodeJS.WriteStream = process.stderr): Progress {
  const started = Date.now();
  let lastPrint = 0;
  const tty = Boolean(out.isTTY);
  return {
    update(done, total, what, fraction, leftMs) {
      const now = Date.now();
      if (!tty && now - lastPrint < intervalMs) return;
      lastPrint = now;
      const elapsed = now - started;
      const frac = Math.min(1, fraction ?? (total > 0 ? done / total : 0));
      const left = leftMs !== undefined ? formatDuration(leftMs) : frac > 0.02 ? formatDuration((elapsed / frac) * (1 - frac)) : '?';
      const pct = (frac * 100).toFixed(0).padStart(3);
      const line = `${label}: ${pct}% (${done}/${total}${what ? ` ${what}` : ''}), ${formatDuration(elapsed)} elapsed, ~${left} left`;
      if (tty) out.write(`\r\x1b[K${line}`);
      else out.write(`${line}\n`);
    },
    done(message) {
      printLine(`${label}: ${message} in ${formatDuration(Date.now() - started)}`, out);
    },
  };
}
