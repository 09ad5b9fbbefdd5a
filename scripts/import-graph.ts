/**
 * The project's folders as a graph: which folder's modules import which
 * other folder's, from the sources' own import lines. Used by
 * `npm run layout` and by test/layout-imports.test.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');

/** The pipeline's stages and their shared parts, in the order data flows. */
export const FOLDERS = ['lib', 'kernels', 'bench', 'reports', 'scripts'] as const;

/** Which folders each folder may import from. */
export const ALLOWED: Record<(typeof FOLDERS)[number], string[]> = {
  lib: ['lib'],
  kernels: ['lib', 'kernels'],
  bench: ['lib', 'kernels', 'bench'],
  reports: ['lib', 'reports'],
  scripts: ['lib', 'kernels', 'bench', 'reports', 'scripts'],
};

/** The report stage's public entry point, the one file of reports/ that bench may import. */
export const REPORT_ENTRY = 'reports/pipeline.ts';

export function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The project files a module imports, relative to the root. */
export function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'/gm)]
    .map((m) => m[1] ?? m[2]!)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => relative(ROOT, resolve(dirname(file), spec)));
}

export interface Edge {
  from: string;
  to: string;
  /** Import lines from a module in `from` to one in `to`. */
  imports: number;
  /** Whether ALLOWED permits it (bench -> reports only through REPORT_ENTRY). */
  allowed: boolean;
}

/** Every import between two different folders, counted per pair. */
export function folderEdges(): { edges: Edge[]; wrong: string[]; checked: number } {
  const counts = new Map<string, Edge>();
  const wrong: string[] = [];
  let checked = 0;
  for (const folder of FOLDERS) {
    for (const file of sources(join(ROOT, folder))) {
      for (const target of importsOf(file)) {
        checked++;
        const top = target.split('/')[0]!;
        const allowed = ALLOWED[folder].includes(top) || (folder === 'bench' && target === REPORT_ENTRY);
        if (!allowed) wrong.push(`${relative(ROOT, file)} imports ${target}`);
        if (top === folder) continue;
        const key = `${folder} ${top}`;
        const e = counts.get(key) ?? { from: folder, to: top, imports: 0, allowed: true };
        e.imports++;
        e.allowed &&= allowed;
        counts.set(key, e);
      }
    }
  }
  return { edges: [...counts.values()], wrong, checked };
}
