/** A caller passed a value the store cannot use (page size, audit cursor, schema name …). */
export class StoreArgumentError extends Error {
  readonly code = 'STORE_BAD_ARGUMENT';
  constructor(message: string) {
    super(message);
    this.name = 'StoreArgumentError';
  }
}

/** `addRunTotal` / `finishRun` named a run that `startRun` never created. */
export class RunNotFoundError extends Error {
  readonly code = 'RUN_NOT_FOUND';
  readonly runId: string;
  constructor(runId: string) {
    super(`Run ${runId} does not exist`);
    this.name = 'RunNotFoundError';
    this.runId = runId;
  }
}

/** The database was migrated by a newer sahut-sync than this one; running on would corrupt it. */
export class SchemaTooNewError extends Error {
  readonly code = 'STORE_SCHEMA_TOO_NEW';
  constructor(applied: number, known: number) {
    super(
      `The store schema is at migration ${applied}, but this build only knows up to ${known}; upgrade sahut-sync`,
    );
    this.name = 'SchemaTooNewError';
  }
}
