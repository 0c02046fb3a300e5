import type { FastifyReply } from 'fastify';
import { BOARD_PATH } from '../board/path.ts';
import type { ChartAssets } from '../charts/index.ts';
import { html, SafeHtml } from './html.ts';

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2433;background:#f6f7f9}
header{background:#1d2433;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:center}
header a{color:#cfe0ff;text-decoration:none}header strong{margin-right:1rem}
main{padding:1rem 1.2rem}h1{font-size:1.3rem}
table{border-collapse:collapse;width:100%;background:#fff;margin:.6rem 0}
th,td{border:1px solid #dde1e7;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#eef1f5}td.num{text-align:right}code{font-size:12px}
.diff{margin:0;padding:0}.diff li{list-style:none}.diff del{color:#a3242a}.diff ins{color:#1f7a3a;text-decoration:none}
.error{color:#a3242a}.muted{color:#6b7380}
form input{width:26rem;padding:.35rem}form button{padding:.35rem .8rem}
.entry{background:#fff;border:1px solid #dde1e7;padding:.2rem 1rem .8rem;margin:.8rem 0}.entry h2{font-size:1.05rem}
.kind{background:#1d2433;color:#fff;border-radius:3px;padding:0 .4rem;font-size:12px}
.compare td.same{background:#e6f4ea}.pending{color:#7a5a00}.actions form,.compare form{display:inline;margin-right:.4rem}
.actions form input,.compare form input,.filters input[type=checkbox]{width:auto}.filters input{width:12rem}
a.count{margin-right:.5rem}
figure.chart{background:#fff;border:1px solid #dde1e7;margin:.8rem 0;padding:.6rem 1rem}
figure.chart figcaption{font-weight:600}.chart-how{margin:.2rem 0 .6rem}
.chart-box{position:relative;max-width:64rem}.chart-numbers summary{cursor:pointer;margin:.4rem 0}`;

/**
 * Whole HTML document with the navigation bar; pages pass only their main
 * content, and the chart scripts when it holds charts (its tables work without them).
 */
export function page(title: string, content: SafeHtml, charts?: ChartAssets['scripts']): SafeHtml {
  const scripts = charts
    ? html`<script defer src="${charts.library}"></script><script type="module" src="${charts.charts}"></script>`
    : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · sahut-sync</title><style>${new SafeHtml(STYLE)}</style>${scripts}</head>
<body><header><strong>sahut-sync</strong><a href="/">Health</a><a href="/attention">Needs attention</a><a href="/audit">Record history</a><a href="/runs">Runs</a><a href="${BOARD_PATH}">Queues</a></header>
<main>${content}</main></body></html>`;
}

/**
 * Sends a page. The policy allows only the dashboard's own script files (the
 * charts'; no inline script, no remote content), so a missed escape cannot run
 * code: the JSON API answers with its own type, which `nosniff` keeps from running.
 */
export function sendPage(reply: FastifyReply, doc: SafeHtml, statusCode = 200): FastifyReply {
  return reply
    .code(statusCode)
    .header('content-type', 'text/html; charset=utf-8')
    .header(
      'content-security-policy',
      "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; form-action 'self'",
    )
    .header('x-content-type-options', 'nosniff')
    .send(doc.value);
}
