/**
 * Shape checks for the JSON files the gate reads (baseline files, run.json).
 * Each check returns the value with its type narrowed or throws a usage error
 * naming the file and the field, so a malformed input exits 2 with one line.
 */

import { usageError, type BenchError } from '../../lib/errors.ts';

/** Checks bound to one file; `field` is a dotted path such as depends_on.kernels.audit. */
export interface FieldReader {
  fail(field: string, what: string): BenchError;
  obj(v: unknown, field: string): Record<string, unknown>;
  str(v: unknown, field: string): string;
  strOrNull(v: unknown, field: string): string | null;
  /** A whole number >= min. */
  int(v: unknown, field: string, min: number): number;
  arr(v: unknown, field: string): unknown[];
  /** A non-empty array of finite numbers > 0. */
  positives(v: unknown, field: string): number[];
}

const show = (v: unknown) => (v === undefined ? 'missing' : JSON.stringify(v)?.slice(0, 60) ?? String(v));

/** The checks of one file, their errors prefixed with its path. */
export function fieldReader(file: string): FieldReader {
  const fail = (field: string, what: string) => usageError(`${file}: ${field} ${what}`);
  const r: FieldReader = {
    fail,
    obj(v, field) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fail(field, `must be an object, is ${show(v)}`);
      return v as Record<string, unknown>;
    },
    str(v, field) {
      if (typeof v !== 'string') throw fail(field, `must be a string, is ${show(v)}`);
      return v;
    },
    strOrNull(v, field) {
      if (v !== null && typeof v !== 'string') throw fail(field, `must be a string or null, is ${show(v)}`);
      return v;
    },
    int(v, field, min) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw fail(field, `must be a whole number >= ${min}, is ${show(v)}`);
      return v;
    },
    arr(v, field) {
      if (!Array.isArray(v)) throw fail(field, `must be an array, is ${show(v)}`);
      return v;
    },
    positives(v, field) {
      const xs = r.arr(v, field);
      if (xs.length === 0) throw fail(field, 'is empty');
      xs.forEach((x, i) => {
        if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) throw fail(`${field}[${i}]`, `must be a number > 0, is ${show(x)}`);
      });
      return xs as number[];
    },
  };
  return r;
}
