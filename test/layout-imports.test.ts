/**
 * The folders are the pipeline's stages, and imports between them point one
 * way: lib <- kernels <- bench -> (reports' public entry) ; lib <- reports.
 * Running guests and rendering reports stay separate stages, joined by the
 * results on disk (lib/results.ts); bench may call the report stage only
 * through reports/pipeline.ts. A new import against the arrows fails here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '..');

/** Which top-level folders each folder may import from. */
const ALLOWED: Record<string, string[]> = {
  lib: ['lib'],
  kernels: ['lib', 'kernels'],
  bench: ['lib', 'kernels', 'bench'],
  reports: ['lib', 'reports'],
  scripts: ['lib', 'kernels', 'bench', 'reports', 'scripts'],
};
/** The report stage's public entry point, the one file of reports/ that bench may import. */
const REPORT_ENTRY = 'reports/pipeline.ts';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'/gm)]
    .map((m) => m[1] ?? m[2]!)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => relative(ROOT, resolve(dirname(file), spec)));
}

test('imports between folders point down the pipeline', () => {
  const wrong: string[] = [];
  let checked = 0;
  for (const [folder, allowed] of Object.entries(ALLOWED)) {
    for (const file of sources(join(ROOT, folder))) {
      for (const target of importsOf(file)) {
        checked++;
        const top = target.split('/')[0]!;
        const ok = allowed.includes(top) || (folder === 'bench' && target === REPORT_ENTRY);
        if (!ok) wrong.push(`${relative(ROOT, file)} imports ${target}`);
      }
    }
  }
  assert.ok(checked > 100, `only ${checked} imports found: the pattern no longer matches the sources`);
  assert.deepEqual(wrong, []);
});
