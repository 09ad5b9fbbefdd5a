/**
 * Named points where the fault-injection tests (test/faults/) make the real
 * suite fail on purpose, through KRSI_BENCH_FAULT=<point>. Each point throws
 * the kind of error that the code around it must survive: an internal error,
 * not a BenchError, as a bug would.
 */
export type FaultPoint = 'render';

export function injectFault(point: FaultPoint): void {
  if (process.env.KRSI_BENCH_FAULT === point) throw new Error(`fault injected at "${point}" (KRSI_BENCH_FAULT=${point})`);
}
