export { type ChartAssets, loadChartAssets } from './assets.ts';
export { CHART_RUNS, durationSeconds, type RunSeries, recentRunsByPair } from './recent-runs.ts';
export { type ActionCounts, intervalFor, type RunTimeline, runTimeline } from './timeline.ts';
