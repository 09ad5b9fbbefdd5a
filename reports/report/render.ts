import { compile, type TopLevelSpec } from 'vega-lite';
import { parse, View } from 'vega';

/** Renders a Vega-Lite spec to an SVG string, in Node, with no browser and no network. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Prefixes every id of an SVG document (and the references to them) with `scope`,
 * so that several SVGs inlined in one HTML page cannot point at each other's clip paths.
 */
export function scopeSvgIds(svg: string, scope: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_, id: string) => `id="${scope}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${scope}-${id})`)
    .replace(/\bhref="#([^"]+)"/g, (_, id: string) => `href="#${scope}-${id}"`);
}
