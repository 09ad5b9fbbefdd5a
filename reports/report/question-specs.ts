/**
 * Vega-Lite specs of the questions' plots (questions.ts): the helper
 * designs against the environment's size, the alternatives side by side,
 * and audit's cost against its rule count on a log axis. Each point carries
 * its 95 % interval as a rule.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { AnswerRow } from './questions.ts';
import { SCHEMA, WIDTH } from './specs.ts';

const overheadAxis = (against: string[]) => ({
  field: 'pct', type: 'quantitative' as const, scale: { zero: true },
  title: `overhead vs ${against.length > 2 ? "each scenario's baseline" : against.join(' / ')} (%), with 95 % CI`,
});

/** Lines of overhead against an x that the data gives (pages, rules), one per series. */
function lines(rows: AnswerRow[], xTitle: string, scale: Record<string, unknown>): TopLevelSpec {
  const x = { field: 'x', type: 'quantitative' as const, title: xTitle, scale };
  const y = overheadAxis([...new Set(rows.map((r) => r.against))]);
  const color = { field: 'series', type: 'nominal' as const, title: null };
  return {
    $schema: SCHEMA,
    width: WIDTH - 160,
    height: 280,
    data: { values: rows.filter((r) => r.x !== null) },
    layer: [
      { mark: { type: 'line', point: false }, encoding: { x, y, color } },
      { mark: { type: 'rule', strokeWidth: 2 }, encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color } },
      { mark: { type: 'point', filled: true, size: 60 }, encoding: { x, y, color, tooltip: [{ field: 'scenario' }, { field: 'label' }] } },
    ],
  } as TopLevelSpec;
}

/** Overhead against the environment's filler pages, one line per helper design. */
export function envPagesSpec(rows: AnswerRow[]): TopLevelSpec {
  // symlog: 0, 1, 4, 16 and 32 pages spread out, 0 included.
  return lines(rows, 'pages of environment before LD_PRELOAD', { type: 'symlog', constant: 1 });
}

/** Overhead against the number of audit rules, on a log axis. */
export function ruleCountSpec(rows: AnswerRow[]): TopLevelSpec {
  return lines(rows, 'audit rules (log scale)', { type: 'log' });
}

/** The scenarios' overheads side by side, cheapest first. */
export function alternativesSpec(rows: AnswerRow[]): TopLevelSpec {
  const order = [...rows].sort((a, b) => a.pct - b.pct).map((r) => r.scenario);
  const y = { field: 'scenario', type: 'nominal' as const, sort: order, title: null };
  const x = { ...overheadAxis([...new Set(rows.map((r) => r.against))]), field: 'pct' };
  return {
    $schema: SCHEMA,
    width: WIDTH - 160,
    height: { step: 26 },
    layer: [
      { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: '#888', strokeDash: [4, 3] }, encoding: { x: { ...x, field: 'zero' } } },
      {
        data: { values: rows },
        layer: [
          { mark: { type: 'rule', strokeWidth: 2, color: '#4c78a8' }, encoding: { x: { ...x, field: 'lo' }, x2: { field: 'hi' }, y } },
          { mark: { type: 'point', filled: true, size: 60, color: '#4c78a8' }, encoding: { x, y } },
          { mark: { type: 'text', align: 'left', dx: 8, fontSize: 11 }, encoding: { x: { ...x, field: 'hi' }, y, text: { field: 'label' } } },
        ],
      },
    ],
  } as TopLevelSpec;
}
