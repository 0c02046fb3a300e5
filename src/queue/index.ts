export {
  checkRedis,
  createRedis,
  deleteKeys,
  type RedisClient,
  RedisSetupError,
  redactUrl,
} from '../redis/index.ts';
export { type ChangeRunOptions, createChangeRuns } from './change-runs.ts';
export { dailyRecorder, readDailyLimits } from './crm-limits.ts';
export { QUEUES, type RecordJob, type RunJob } from './jobs.ts';
export { createRedisLocks, LockTimeoutError } from './locks.ts';
export { createRedisRateLimiter, type RateLimiter } from './rate-limit.ts';
export { GUARD_NOTE } from './removals/index.ts';
export { type Replay, type ReplayResult, replayFailed } from './replay.ts';
export { notifyRunFailure, onRunJobFailed, type RunFailure } from './run-failed.ts';
export type { RunSummary } from './run-processor.ts';
export {
  enqueueChangeRun,
  enqueueRun,
  findRunInFlight,
  RunNeverStartedError,
  type RunQueue,
  waitForRun,
} from './runs.ts';
export { createRuntime, type Runtime, type RuntimeOptions } from './runtime.ts';
export { type ScanPass, scanPass } from './scan-pass.ts';
export { type ScheduleChanges, schedulerId, syncSchedules } from './scheduler.ts';
export { startWorkers, type WorkerOptions, type Workers } from './workers.ts';
