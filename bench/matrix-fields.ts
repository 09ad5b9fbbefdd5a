import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { usageError, type BenchError } from '../lib/errors.ts';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Names of matrices, kernels and scenarios: safe in file names and URLs. */
export const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * The checks every section of a matrix makes on its fields. Each failure is a
 * usage error naming the matrix and the field: "matrix m.json: scenarios[2].kernel: ...".
 */
export interface Fields {
  fail(field: string, problem: string): BenchError;
  /** Rejects keys of `o` that are not in `keys`. */
  known(o: Obj, field: string, keys: string[]): void;
  /** A non-empty string at o[key], or the fallback. */
  str(o: Obj, key: string, field: string, fallback?: string): string;
  /** A whole number from min to max at o[key], undefined when absent. */
  count(o: Obj, key: string, field: string, min: number, max: number): number | undefined;
  /** A path relative to the matrix file's folder, which must exist. */
  existingPath(given: string, field: string): string;
}

export function fieldsOf(source: string, baseDir: string): Fields {
  const fail = (field: string, problem: string) => usageError(`matrix ${source}: ${field}: ${problem}`);
  return {
    fail,
    known(o, field, keys) {
      for (const k of Object.keys(o)) if (!keys.includes(k)) throw fail(`${field}.${k}`, `unknown field (known: ${keys.join(', ')})`);
    },
    str(o, key, field, fallback) {
      const v = o[key] ?? fallback;
      if (typeof v !== 'string' || v === '') throw fail(`${field}.${key}`, 'must be a non-empty string');
      return v;
    },
    count(o, key, field, min, max) {
      const v = o[key];
      if (v === undefined) return undefined;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
        throw fail(`${field}.${key}`, `must be a whole number from ${min} to ${max}`);
      }
      return v;
    },
    existingPath(given, field) {
      const path = isAbsolute(given) ? given : join(baseDir, given);
      if (!existsSync(path)) throw fail(field, `no such file ${path}`);
      return path;
    },
  };
}
