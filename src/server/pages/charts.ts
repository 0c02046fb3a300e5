import { ATTENTION_KINDS, AUDIT_ACTIONS, OUTCOME_ACTIONS } from '../../store/index.ts';
import type { SyncHealth } from '../attention/index.ts';
import { durationSeconds, type RunSeries, type RunTimeline } from '../charts/index.ts';
import { chartFigure, seriesWithData } from './chart-figure.ts';
import { formatTime } from './format.ts';
import { href, html, type SafeHtml } from './html.ts';

const day = (at: Date) => at.toISOString().slice(5, 19).replace('T', ' ');
const clock = (at: Date) => at.toISOString().slice(11, 19);
/** An interval as a person says it: `30 s`, `2 min`, `6 h`. */
function spanText(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}
const runHead = (id: string, at: Date, status: string) =>
  html`<a href="${href('/audit', { run: id })}">${formatTime(at)}</a> <span class="muted">${status}</span>`;

/** /runs: a connection's last runs, records by outcome, and how long each took. */
export function runsFigure({ connection, direction, runs }: RunSeries, index: number): SafeHtml {
  const outcomes = seriesWithData(
    OUTCOME_ACTIONS,
    runs.map((r) => r.counts),
  );
  return chartFigure({
    id: `runs-chart-${index}`,
    title: `Last ${runs.length} runs of ${connection} (${direction}): records by outcome, and duration`,
    description:
      'Each bar is a run, oldest on the left: its records stacked by outcome, each outcome with its own colour and pattern. ' +
      'The dashed line with diamonds is how long the run took, in seconds, on the right-hand axis (none while it runs).',
    axes: { index: 'Run started (UTC)', value: 'Records', line: 'Duration (s)' },
    series: [
      ...outcomes.map((key) => ({ key, label: key })),
      { key: 'duration', label: 'Duration (s)', line: true },
    ],
    rows: runs.map((run) => ({
      label: day(run.startedAt),
      head: runHead(run.id, run.startedAt, run.status),
      values: [...outcomes.map((key) => run.counts[key] ?? 0), durationSeconds(run)],
    })),
    about: { connection, direction },
  });
}

/** A run's page: audit rows per interval, by action. */
export function throughputFigure(timeline: RunTimeline): SafeHtml {
  const actions = seriesWithData(AUDIT_ACTIONS, [timeline.totals]);
  const span = spanText(timeline.intervalMs);
  return chartFigure({
    id: 'throughput-chart',
    title: `Throughput: audit rows every ${span}, by action`,
    description:
      `Each bar is ${span} of the run, from its start: the audit rows written then (records settled, ` +
      'and attempts that will be retried), stacked by action, each action with its own colour and pattern.',
    axes: { index: 'Interval from (UTC)', value: 'Audit rows' },
    series: actions.map((key) => ({ key, label: key })),
    rows: timeline.intervals.map(({ start, counts }) => ({
      label: clock(start),
      head: formatTime(start),
      values: actions.map((key) => counts[key] ?? 0),
    })),
    about: { run: timeline.runId },
  });
}

/** A run's page: its audit rows (attempts) by kind, over the whole run. */
export function kindsFigure(timeline: RunTimeline): SafeHtml {
  const actions = seriesWithData(AUDIT_ACTIONS, [timeline.totals]);
  return chartFigure({
    id: 'kinds-chart',
    title: 'Attempts by kind: audit rows of the run per action',
    description:
      'One bar per action, named on the left, in the colour and pattern of that action in the other charts; ' +
      'its length is the audit rows of the run with that action. A record retried counts once per attempt.',
    axes: { index: 'Action', value: 'Audit rows' },
    horizontal: true,
    colourByRow: true,
    series: [{ key: 'rows', label: 'Audit rows' }],
    rows: actions.map((key) => ({ label: key, head: key, values: [timeline.totals[key] ?? 0] })),
    about: { run: timeline.runId },
  });
}

/** Sync health: what each recent run left needing a person, by kind. */
export function attentionFigure(health: SyncHealth, index: number): SafeHtml {
  const { connection, direction, trend } = health;
  const kinds = seriesWithData(
    ATTENTION_KINDS,
    trend.map((t) => t.attention),
  );
  if (kinds.length === 0)
    return html`<p class="muted attention-none" data-connection="${connection}" data-direction="${direction}">${connection} (${direction}): none of the last ${trend.length} runs left anything needing a person.</p>`;
  return chartFigure({
    id: `attention-chart-${index}`,
    title: `${connection} (${direction}): records each of the last ${trend.length} runs left needing a person, by kind`,
    description:
      'Each bar is a run, oldest on the left: its records whose outcome needs a person, stacked by kind, ' +
      'each kind with its own colour and pattern. A run that leaves fewer behind is doing better.',
    axes: { index: 'Run started (UTC)', value: 'Records' },
    series: kinds.map((key) => ({ key, label: key })),
    rows: trend.map((t) => ({
      label: day(t.startedAt),
      head: runHead(t.runId, t.startedAt, t.status),
      values: kinds.map((key) => t.attention[key] ?? 0),
    })),
    about: { connection, direction },
  });
}
