import type { SyncFixture } from './fixture.ts';

/** Sahut requests by kind: `GET /contacts` is a search with `q`, a list page without. */
export interface CallKinds {
  search: number;
  list: number;
  get: number;
  post: number;
  put: number;
}

/**
 * One process (or group of processes) that took part in a measurement. `sahut` is the
 * stand-in for Sahut's servers: reported, but not counted in CPU per record.
 */
export interface ProcessFigure {
  name: string;
  role: 'engine' | 'service' | 'naive' | 'sahut';
  cpuMs: number;
  /** Peak RSS; null where it means nothing (PostgreSQL backends share their buffers). */
  peakRssMb: number | null;
}

/** One measured run: the columns of a scenario's table and the JSON report. */
export interface Measurement {
  label: string;
  records: number;
  /** From starting the run until its end was seen. */
  seconds: number;
  /** The run's own time in the store (started → finished), when known. */
  runSeconds: number | null;
  /** Every request Sahut received, retries and 429s included. */
  apiCalls: number;
  byKind: CallKinds;
  /** Requests per route template, e.g. `{ 'PUT /contacts/:id': 200 }`. */
  byRoute: Record<string, number>;
  /** Requests answered 429 by the stand-in's rate limit. */
  rejected429: number;
  /** Sahut's enforced limit in requests/s; null when Sahut is not limiting. */
  rate: number | null;
  /** User + system CPU of every process but Sahut's stand-in, per record. */
  cpuMsPerRecord: number;
  /** The largest peak RSS among the engine's (or the naive script's) processes. */
  peakRssMb: number;
  processes: ProcessFigure[];
  /** Mean 1-minute load average of the machine while it ran (others' work included). */
  load: number;
}

/** One target, judged on what a scenario measured; `skip` when the feature is not there yet. */
export interface Check {
  target: string;
  verdict: 'PASS' | 'WARN' | 'SKIP';
  detail: string;
}

export interface ScenarioResult {
  rows: Measurement[];
  checks: Check[];
  /** Extra lines printed under the table. */
  notes: string[];
}

/** What every scenario may use: sizes from the command line and the bench's private Redis. */
export interface BenchOptions {
  records: number;
  rate: number;
  /** WORKER_CONCURRENCY; undefined leaves the deployment default. */
  concurrency: number | undefined;
  naiveRecords: number;
  naiveRunRecords: number;
  latencyRecords: number;
  scanRecords: number;
  scanContacts: number;
  e2eRecords: number;
  workers: number;
  redis: { url: string; pid: number };
}

export interface Scenario {
  name: string;
  /** What it measures, one line. */
  summary: string;
  run(opts: BenchOptions, shared: SharedState): Promise<ScenarioResult>;
}

/**
 * Scenarios that continue where another left off (unchanged and changed after
 * initial) share one fixture, opened on first use; the runner closes it.
 */
export interface SharedState {
  fixture(): Promise<SyncFixture>;
}

export const check = (target: string, pass: boolean, detail: string): Check => ({
  target,
  verdict: pass ? 'PASS' : 'WARN',
  detail,
});
