/**
 * A Sahut contact may be linked to at most one CRM record per connection: two
 * CRM records pointing at one contact would overwrite each other on every run
 * (sync ping-pong). The engine decides what to do with the newcomer.
 */
export class LinkConflictError extends Error {
  readonly code = 'LINK_CONFLICT';
  readonly connection: string;
  readonly sahutId: string;
  /** The CRM record that was being linked. */
  readonly crmId: string;
  /** The CRM record already linked to `sahutId`. */
  readonly existingCrmId: string;
  constructor(connection: string, sahutId: string, crmId: string, existingCrmId: string) {
    super(
      `Cannot link CRM record ${crmId} to Sahut contact ${sahutId} on connection ${connection}: ` +
        `CRM record ${existingCrmId} is already linked to it`,
    );
    this.name = 'LinkConflictError';
    this.connection = connection;
    this.sahutId = sahutId;
    this.crmId = crmId;
    this.existingCrmId = existingCrmId;
  }
}

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
