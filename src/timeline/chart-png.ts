/**
 * Draws a Vega-Lite spec as a PNG without a browser: Vega-Lite → Vega → SVG (Vega's
 * headless `toSVG`) → PNG with resvg. The font is DejaVu Sans from the `dejavu-fonts-ttf`
 * package, loaded by file (system fonts are not consulted), so the picture is the same on
 * every machine, fonts installed or not.
 *
 * Vega 6 and Vega-Lite 6 are ES modules only; the drawing runs in a worker thread, which
 * loads them natively whatever the caller's module system (CommonJS, jest) and keeps the
 * event loop that answers Slack free while a large chart is drawn.
 */
import { Worker } from 'node:worker_threads';

const CHART_FONT_FILE = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
const CHART_FONT_FAMILY = 'DejaVu Sans';

/** Plain JavaScript run in the worker: imports by absolute file URL, answers with the PNG bytes. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
(async () => {
  const vl = await import(pathToFileURL(workerData.vegaLite).href);
  const vega = await import(pathToFileURL(workerData.vega).href);
  const { Resvg } = require(workerData.resvg);
  const quiet = { level() { return quiet; }, info() { return quiet; }, debug() { return quiet; }, warn() { return quiet; }, error(e) { throw e instanceof Error ? e : new Error(String(e)); } };
  const compiled = vl.compile(workerData.spec, { logger: quiet }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { font: { fontFiles: [workerData.font], loadSystemFonts: false, defaultFontFamily: workerData.family } }).render().asPng();
  parentPort.postMessage({ png });
})().catch((e) => parentPort.postMessage({ error: String((e && e.stack) || e) }));
`;

export interface ChartRenderer {
  render(spec: Record<string, unknown>): Promise<Buffer>;
}

export function pngRenderer(): ChartRenderer {
  const modules = {
    vegaLite: require.resolve('vega-lite'),
    vega: require.resolve('vega'),
    resvg: require.resolve('@resvg/resvg-js'),
  };
  return {
    render(spec) {
      return new Promise<Buffer>((resolve, reject) => {
        const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ...modules, spec, font: CHART_FONT_FILE, family: CHART_FONT_FAMILY } });
        let settled = false;
        worker.once('message', (m: { png?: Uint8Array; error?: string }) => {
          settled = true;
          void worker.terminate();
          if (m.png) resolve(Buffer.from(m.png));
          else reject(new Error(`the chart could not be drawn: ${m.error}`));
        });
        worker.once('error', (e) => {
          settled = true;
          reject(e);
        });
        worker.once('exit', (code) => {
          if (!settled) reject(new Error(`the chart worker stopped (exit ${code}) before drawing`));
        });
      });
    },
  };
}

/** PNG width and height from its IHDR chunk, or undefined for bytes that are not a PNG. */
export function pngSize(png: Buffer): { width: number; height: number } | undefined {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (png.length < 24 || !png.subarray(0, 8).equals(signature) || png.subarray(12, 16).toString('latin1') !== 'IHDR') return undefined;
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
