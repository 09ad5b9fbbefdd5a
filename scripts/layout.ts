#!/usr/bin/env tsx
// npm run layout: the import arrows between the project's folders, and its largest modules.
import '../lib/last-resort.ts';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { folderEdges, FOLDERS, ROOT, sources } from './import-graph.ts';

const { edges, wrong } = folderEdges();
process.stdout.write('imports between folders (from -> to: import lines)\n');
for (const e of edges.sort((a, b) => FOLDERS.indexOf(a.from as never) - FOLDERS.indexOf(b.from as never) || a.to.localeCompare(b.to))) {
  process.stdout.write(`  ${e.from.padEnd(8)} -> ${e.to.padEnd(8)} ${String(e.imports).padStart(4)}${e.allowed ? '' : '   AGAINST THE PIPELINE'}\n`);
}
for (const w of wrong) process.stdout.write(`  against the pipeline: ${w}\n`);

const sizes = FOLDERS.flatMap((f) => sources(join(ROOT, f))).map((file) => ({ file: relative(ROOT, file), lines: readFileSync(file, 'utf8').split('\n').length - 1 }));
process.stdout.write('\nlargest modules (lines)\n');
for (const s of sizes.sort((a, b) => b.lines - a.lines).slice(0, 12)) process.stdout.write(`  ${String(s.lines).padStart(5)}  ${s.file}\n`);
process.exitCode = wrong.length ? 1 : 0;
