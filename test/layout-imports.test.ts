/**
 * The folders are the pipeline's stages, and imports between them point one
 * way: lib <- kernels <- bench -> (reports' public entry) ; lib <- reports.
 * Running guests and rendering reports stay separate stages, joined by the
 * results on disk (lib/results.ts); bench may call the report stage only
 * through reports/pipeline.ts. A new import against the arrows fails here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { folderEdges } from '../scripts/import-graph.ts';

test('imports between folders point down the pipeline', () => {
  const { wrong, checked, edges } = folderEdges();
  assert.ok(checked > 100, `only ${checked} imports found: the pattern no longer matches the sources`);
  assert.deepEqual(wrong, []);
  assert.ok(!edges.some((e) => e.from === 'reports' && e.to === 'bench'), 'reports/ imports nothing of bench/');
  assert.ok(!edges.some((e) => e.from === 'kernels' && (e.to === 'bench' || e.to === 'reports')), 'kernels/ imports neither bench/ nor reports/');
});
