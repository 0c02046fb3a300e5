/**
 * The V8 flags every sahut-sync process is started with: the image's ENTRYPOINT,
 * the `sahut-sync` bin's shebang and the bench's processes (test/deploy-files.test.ts
 * and the Docker test hold them to this list). They must be on Node's command line: NODE_OPTIONS
 * refuses the second, and the first does not take effect once the process runs.
 *
 * A worker's live heap is about 50 MB however long the run; under a sync's
 * allocation rate V8's defaults (16 MB semi-spaces, old space grown up to 4×
 * between full GCs) let garbage fill 250 MB heaps, more the longer the run.
 * With these, a worker's peak RSS stays near 180 MB from 1,000 to 100,000
 * records at no measurable CPU cost (bench/README.md).
 */
export const NODE_FLAGS = ['--max-semi-space-size=4', '--heap-growing-percent=50'] as const;
