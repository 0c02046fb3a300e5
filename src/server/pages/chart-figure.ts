import { html, type SafeHtml } from './html.ts';

export interface ChartSeries {
  /** What the series counts (an audit action, an attention kind …): its colour and pattern. */
  key: string;
  label: string;
  /** Drawn as a line on a second axis instead of a stacked bar (a duration beside counts). */
  line?: boolean;
}

export interface ChartRow {
  /** The category's short label on the chart's axis. */
  label: string;
  /** The row's header in the table: the label at length, links. */
  head: SafeHtml | string;
  /** One per series; null where there is none (a run still running has no duration). */
  values: readonly (number | null)[];
}

/** One chart: what it shows, how to read it, and its numbers. */
export interface ChartSpec {
  id: string;
  title: string;
  /** How to read it (its accessible description): what the bars and lines are. */
  description: string;
  /** Titles of the category axis, the value axis and, with a line series, the line's axis. */
  axes: { index: string; value: string; line?: string };
  horizontal?: boolean;
  /** Each bar in the look of its row's label (an action) rather than of its series. */
  colourByRow?: boolean;
  series: readonly ChartSeries[];
  rows: readonly ChartRow[];
  /** What the chart is about, as data attributes (tests and links find it by them). */
  about?: { connection?: string; direction?: string; run?: string };
}

/**
 * A figure whose numbers are an HTML table: that is all a reader without
 * JavaScript needs. With it, the dashboard's chart script draws the chart from
 * the same table (see charts/client.js) and folds the table under "Numbers".
 */
export function chartFigure(spec: ChartSpec): SafeHtml {
  const { about = {} } = spec;
  const attributes = dataAttributes({
    chart: spec.id,
    'index-title': spec.axes.index,
    'value-title': spec.axes.value,
    'line-title': spec.axes.line,
    horizontal: spec.horizontal,
    'colour-by-row': spec.colourByRow,
    connection: about.connection,
    direction: about.direction,
    run: about.run,
  });
  return html`<figure class="chart" id="${spec.id}"${attributes}>
<figcaption id="${spec.id}-title">${spec.title}</figcaption>
<p id="${spec.id}-how" class="muted chart-how">${spec.description}</p>
<details class="chart-numbers" open><summary>Numbers</summary>
<table aria-labelledby="${spec.id}-title"><thead><tr><th scope="col">${spec.axes.index}</th>${spec.series.map(
    (s) => html`<th scope="col" data-series="${s.key}"${s.line ? html` data-line` : ''}>${s.label}</th>`,
  )}</tr></thead>
<tbody>${spec.rows.map(
    (row) =>
      html`<tr><th scope="row" data-label="${row.label}">${row.head}</th>${row.values.map(
        (v) => html`<td class="num" data-value="${v ?? ''}">${v ?? '—'}</td>`,
      )}</tr>`,
  )}</tbody></table></details></figure>`;
}

/** ` data-name="value"` for each given value, a bare ` data-name` for true; names are this file's own. */
function dataAttributes(values: Record<string, string | boolean | undefined>): SafeHtml {
  return html`${Object.entries(values).map(([name, value]) =>
    value === true ? html` data-${name}` : value ? html` data-${name}="${value}"` : '',
  )}`;
}

/** The series among `keys` (in that order) that count something in at least one row. */
export function seriesWithData<K extends string>(
  keys: readonly K[],
  counts: readonly Partial<Record<K, number>>[],
): K[] {
  return keys.filter((key) => counts.some((c) => (c[key] ?? 0) > 0));
}
