import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import { parseQuery, text } from '../api/query.ts';
import { httpError } from '../errors/catalogue.ts';

/**
 * The scripts that draw the dashboard's charts, served by the dashboard itself
 * (no CDN: the page's policy allows scripts from its own origin only).
 *
 * The library is Chart.js (MIT, chartjs.org), installed from npm: stacked bars,
 * a line on a second axis, legends and tooltips are options rather than code of
 * ours, and it ships regular releases. Its minified build is about 210 kB (70 kB
 * gzipped), fetched once per version and then cached. uPlot is four times
 * smaller but leaves stacking and bar charts to hand-written examples; SVG
 * libraries (frappe-charts, chartist) are quieter projects. Every library draws
 * pixels that a screen reader cannot read: each chart here is built from the
 * HTML table beside it, which stays the accessible (and JavaScript-free) form.
 */
export interface ChartAssets {
  /** Script URLs in load order; the names carry a hash of the content, so they are cached for good. */
  scripts: { library: string; charts: string };
  route: RouteOptions;
}

const paramsSchema = z.strictObject({ name: text });

export async function loadChartAssets(): Promise<ChartAssets> {
  // The package's exports name only its ES module entry; the browser build sits beside it.
  const entry = fileURLToPath(import.meta.resolve('chart.js'));
  const [library, charts] = await Promise.all([
    readFile(join(dirname(entry), 'chart.umd.min.js')),
    readFile(new URL('./client.js', import.meta.url)),
  ]);
  const files = new Map([hashed('chart', library), hashed('charts', charts)]);
  const [libraryName, chartsName] = [...files.keys()];
  return {
    scripts: { library: `/assets/${libraryName}`, charts: `/assets/${chartsName}` },
    route: {
      method: 'GET',
      url: '/assets/:name',
      handler: async (request, reply) => {
        const body = files.get(parseQuery(paramsSchema, request.params).name);
        if (!body) throw httpError('NOT_FOUND');
        return reply
          .header('content-type', 'text/javascript; charset=utf-8')
          .header('cache-control', 'private, max-age=31536000, immutable')
          .header('x-content-type-options', 'nosniff')
          .send(body);
      },
    },
  };
}

function hashed(stem: string, body: Buffer): [string, Buffer] {
  return [`${stem}-${createHash('sha256').update(body).digest('hex').slice(0, 16)}.js`, body];
}
