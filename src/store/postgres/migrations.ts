export interface Migration {
  id: number;
  name: string;
  /** The migration's SQL for the given (already quoted) schema. */
  sql: (schema: string) => string;
}

// Append only: a released migration is never edited, a change is a new entry.
export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'links, audit, runs, cursors',
    // Ids are opaque: collate "C" orders them bytewise, as SQLite does, and keeps
    // listLinks' keyset order independent of the database's locale.
    sql: (s) => `
      create table ${s}.links (
        connection text not null,
        crm_id text collate "C" not null,
        sahut_id text collate "C" not null,
        phone text,
        email text,
        base jsonb not null,
        crm_hash text not null,
        sahut_hash text not null,
        synced_at timestamptz not null,
        primary key (connection, crm_id)
      );
      -- Not unique: several CRM records of a connection may share one Sahut contact.
      -- Led by sahut_id so findLinks' lookup across connections uses it too.
      create index links_sahut_id on ${s}.links (sahut_id, connection);
      create index links_phone on ${s}.links (phone, connection);
      create index links_email on ${s}.links (email, connection);
      create index links_crm_id on ${s}.links (crm_id);

      create table ${s}.audit (
        id bigint generated always as identity primary key,
        run_id text not null,
        job_id text,
        connection text not null,
        direction text not null,
        crm_id text,
        sahut_id text,
        action text not null,
        diff jsonb,
        error text,
        attempt integer not null,
        at timestamptz not null default now()
      );
      create index audit_crm_id on ${s}.audit (crm_id, id);
      create index audit_sahut_id on ${s}.audit (sahut_id, id);
      create index audit_run_id on ${s}.audit (run_id, id);
      create index audit_action on ${s}.audit (action, id);
      create index audit_at on ${s}.audit (at);

      create table ${s}.runs (
        id text primary key,
        -- insertion order, to break ties between runs started at the same instant
        seq bigint generated always as identity,
        connection text not null,
        direction text not null,
        dry_run boolean not null,
        status text not null default 'running',
        started_at timestamptz not null default now(),
        finished_at timestamptz,
        total bigint not null default 0
      );
      create index runs_connection_started_at on ${s}.runs (connection, started_at);

      create table ${s}.cursors (
        connection text not null,
        direction text not null,
        cursor text not null,
        updated_at timestamptz not null default now(),
        primary key (connection, direction)
      );
    `,
  },
  {
    id: 2,
    name: 'run books, carried records, audit detail, full reads',
    sql: (s) => `
      alter table ${s}.audit add column detail jsonb;
      alter table ${s}.runs add column job_id text, add column note text;
      create index runs_running on ${s}.runs (connection, direction) where status = 'running';
      -- the latest row of one record in one run (the books of a run)
      create index audit_run_crm on ${s}.audit (run_id, crm_id, id);

      -- Every record a run reads, once: the run's books (dropped when the run ends). Its crm_id has
      -- the audit's collation, so the books' join to the audit uses audit_run_crm.
      create table ${s}.run_records (
        run_id text not null,
        crm_id text not null,
        window_no integer not null,
        -- the record's content when read: a later window reading it changed takes it again
        hash text,
        primary key (run_id, crm_id)
      );
      create index run_records_window on ${s}.run_records (run_id, window_no);

      -- Records that ended failed: the next runs read them again, whatever the cursor.
      create table ${s}.carried (
        connection text not null,
        direction text not null,
        crm_id text not null,
        run_id text not null,
        failures integer not null,
        at timestamptz not null default now(),
        primary key (connection, direction, crm_id)
      );

      create table ${s}.full_reads (
        connection text not null,
        direction text not null,
        at timestamptz not null,
        primary key (connection, direction)
      );

      -- A contact being created for an identity: the claim outlives Redis and its locks.
      create table ${s}.identity_claims (
        connection text not null,
        key text not null,
        token text not null,
        expires_at timestamptz not null,
        primary key (connection, key)
      );

      -- How each run matched its new records, and the Sahut calls that saved.
      alter table ${s}.runs add column match text, add column calls_saved integer;
      -- The run and outcome of the write that saved a link (see Link.writtenBy).
      alter table ${s}.links add column written_run text, add column written_action text;

      -- Sahut's contacts as the last scan (and our own creates since) saw them: matching without searches.
      create table ${s}.sahut_index (
        sahut_id text collate "C" primary key,
        phone text,
        email text,
        contact jsonb not null,
        seen_at timestamptz not null
      );
      create index sahut_index_phone on ${s}.sahut_index (phone);
      create index sahut_index_email on ${s}.sahut_index (email);
      create table ${s}.sahut_scans (
        id text primary key,
        started_at timestamptz not null,
        finished_at timestamptz,
        contacts integer not null default 0,
        pages integer not null default 0
      );
      -- Sahut contacts sharing a phone or email, reported once per connection and pair.
      create table ${s}.duplicate_pairs (
        connection text not null,
        a text collate "C" not null,
        b text collate "C" not null,
        by text not null,
        at timestamptz not null default now(),
        primary key (connection, a, b)
      );
    `,
  },
  {
    id: 3,
    name: 'attention listing, decisions',
    sql: (s) => `
      -- One row per record whose latest outcome needs a person, kept by appendAudit.
      create table ${s}.attention (
        connection text not null,
        record_key text collate "C" not null,
        kind text not null,
        direction text not null,
        crm_id text collate "C",
        sahut_id text collate "C",
        run_id text not null,
        audit_id bigint not null,
        error text,
        attempt integer not null,
        detail jsonb,
        fingerprint text not null,
        first_at timestamptz not null,
        at timestamptz not null,
        times integer not null,
        acked_fingerprint text,
        acked_by text,
        acked_at timestamptz,
        pending jsonb,
        primary key (connection, record_key)
      );
      create index attention_audit_id on ${s}.attention (audit_id);

      -- A person's answer to an ambiguity: consulted whenever the record is matched again.
      create table ${s}.decisions (
        connection text not null,
        crm_id text collate "C" not null,
        decision text not null,
        sahut_id text,
        ruled_out jsonb,
        decided_by text not null,
        decided_at timestamptz not null,
        primary key (connection, crm_id)
      );

      -- Records that needed a person before the listing existed: the latest synced-or-not outcome
      -- of each CRM record, unless a later unchanged of its direction settled it (attention-state.ts).
      insert into ${s}.attention (connection, record_key, kind, direction, crm_id, sahut_id, run_id, audit_id,
                                  error, attempt, detail, fingerprint, first_at, at, times)
      select connection, crm_id, action, direction, crm_id, sahut_id, run_id, id,
             error, attempt, detail, 'audit-' || id, at, at, 1
      from (
        select distinct on (connection, crm_id) * from ${s}.audit
        where crm_id is not null
          and action in ('created', 'updated', 'linked', 'conflict', 'ambiguous', 'rejected', 'failed')
        order by connection, crm_id, id desc
      ) as latest
      where action in ('conflict', 'ambiguous', 'rejected', 'failed')
        and (action = 'conflict' or not exists (
          select 1 from ${s}.audit u
          where u.crm_id = latest.crm_id and u.connection = latest.connection
            and u.direction = latest.direction and u.action = 'unchanged' and u.id > latest.id));
    `,
  },
  {
    id: 4,
    name: 'audit write keys',
    sql: (s) => `
      -- A key per audit row, drawn before the INSERT is first sent: a retried INSERT whose first
      -- COMMIT landed (its reply lost) finds its rows there and adds none.
      alter table ${s}.audit add column write_key uuid;
      create unique index audit_write_key on ${s}.audit (write_key) where write_key is not null;
    `,
  },
  {
    id: 5,
    name: 'removals, closed links',
    sql: (s) => `
      -- A linked record gone from one side (deleted in the CRM, gone from Sahut), until a run acts on it.
      create table ${s}.removals (
        connection text not null,
        crm_id text collate "C" not null,
        side text not null,
        sahut_id text collate "C" not null,
        reason text not null,
        -- complete Sahut scans in a row that did not list the contact
        misses integer not null default 0,
        state text not null,
        decision text,
        run_id text not null,
        first_at timestamptz not null default now(),
        at timestamptz not null default now(),
        primary key (connection, crm_id, side)
      );
      create index removals_state on ${s}.removals (connection, state, crm_id);

      -- Links a removal closed: the contact stays in Sahut, never taken for a walk-in.
      create table ${s}.closed_links (
        connection text not null,
        crm_id text collate "C" not null,
        sahut_id text collate "C" not null,
        reason text not null,
        run_id text not null,
        closed_at timestamptz not null default now(),
        primary key (connection, crm_id, sahut_id)
      );
      create index closed_links_sahut_id on ${s}.closed_links (connection, sahut_id);
    `,
  },
];
