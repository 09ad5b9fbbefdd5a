import { renderAsync, type ResvgRenderOptions } from '@resvg/resvg-js';

const OPTIONS = (zoom: number): ResvgRenderOptions => ({
  background: 'white',
  fitTo: { mode: 'zoom', value: zoom },
  font: { loadSystemFonts: true, sansSerifFamily: 'DejaVu Sans', defaultFontFamily: 'DejaVu Sans' },
});

/**
 * Rasterises an SVG to PNG with resvg (a native binary shipped inside the npm
 * package): white background, twice the SVG's size, the system's fonts with
 * DejaVu Sans for Vega's "sans-serif" where it is installed (resvg falls back to
 * another system font where it is not). Runs on libuv's thread pool, so PNGs are
 * drawn while the next plot's SVG is being computed.
 */
export async function svgToPng(svg: string, zoom = 2): Promise<Buffer> {
  return (await renderAsync(svg, OPTIONS(zoom))).asPng();
}
