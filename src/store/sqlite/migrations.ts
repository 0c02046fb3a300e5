export interface Migration {
  id: number;
  name: string;
  sql: string;
}

// Records that needed a person before the listing existed: the latest synced-or-not outcome
// of each CRM record, unless a later unchanged of its direction settled it (see attention-state.ts).
const BACKFILL = `
      insert into attention (connection, record_key, kind, direction, crm_id, sahut_id, run_id, audit_id,
                             error, attempt, detail, fingerprint, first_at, at, times)
      select connection, crm_id, action, direction, crm_id, sahut_id, run_id, id,
             error, attempt, detail, 'audit-' || id, at, at, 1
      from (
        select a.*, row_number() over (partition by connection, crm_id order by id desc) as recency
        from audit a
        where crm_id is not null
          and action in ('created', 'updated', 'linked', 'conflict', 'ambiguous', 'rejected', 'failed')
      ) as latest
      where recency = 1 and action in ('conflict', 'ambiguous', 'rejected', 'failed')
        and (action = 'conflict' or not exists (
          select 1 from audit u
          where u.crm_id = latest.crm_id and u.connection = latest.connection
            and u.direction = latest.direction and u.action = 'unchanged' and u.id > latest.id));`;

// Append only: a released migration is never edited, a change is a new entry.
export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'links, audit, runs, cursors',
    sql: `
      create table links (
        connection text not null,
        crm_id text not null,
        sahut_id text not null,
        phone text,
        email text,
        base text not null check (json_valid(base)),
        crm_hash text not null,
        sahut_hash text not null,
        synced_at text not null,
        primary key (connection, crm_id)
      ) strict;
      -- Not unique: several CRM records of a connection may share one Sahut contact.
      -- Led by sahut_id so findLinks' lookup across connections uses it too.
      create index links_sahut_id on links (sahut_id, connection);
      create index links_phone on links (phone, connection);
      create index links_email on links (email, connection);
      create index links_crm_id on links (crm_id);

      create table audit (
        id integer primary key autoincrement,
        run_id text not null,
        job_id text,
        connection text not null,
        direction text not null,
        crm_id text,
        sahut_id text,
        action text not null,
        diff text check (diff is null or json_valid(diff)),
        error text,
        attempt integer not null,
        at text not null
      ) strict;
      -- every SQLite index ends with the rowid (= id), so these also serve "order by id desc"
      create index audit_crm_id on audit (crm_id);
      create index audit_sahut_id on audit (sahut_id);
      create index audit_run_id on audit (run_id);
      create index audit_action on audit (action);
      create index audit_at on audit (at);

      create table runs (
        id text primary key not null,
        connection text not null,
        direction text not null,
        dry_run integer not null,
        status text not null,
        started_at text not null,
        finished_at text,
        total integer not null default 0
      ) strict;
      create index runs_connection_started_at on runs (connection, started_at);

      create table cursors (
        connection text not null,
        direction text not null,
        cursor text not null,
        updated_at text not null,
        primary key (connection, direction)
      ) strict;
    `,
  },
  {
    id: 2,
    name: 'run books, carried records, audit detail, full reads',
    sql: `
      alter table audit add column detail text check (detail is null or json_valid(detail));
      alter table runs add column job_id text;
      alter table runs add column note text;
      create index runs_running on runs (connection, direction) where status = 'running';
      -- the latest row of one record in one run (the books of a run), newest first by rowid
      create index audit_run_crm on audit (run_id, crm_id);

      -- Every record a run reads, once: the run's books (dropped when the run ends).
      create table run_records (
        run_id text not null,
        crm_id text not null,
        window_no integer not null,
        -- the record's content when read: a later window reading it changed takes it again
        hash text,
        primary key (run_id, crm_id)
      ) strict;
      create index run_records_window on run_records (run_id, window_no);

      -- Records that ended failed: the next runs read them again, whatever the cursor.
      create table carried (
        connection text not null,
        direction text not null,
        crm_id text not null,
        run_id text not null,
        failures integer not null,
        at text not null,
        primary key (connection, direction, crm_id)
      ) strict;

      create table full_reads (
        connection text not null,
        direction text not null,
        at text not null,
        primary key (connection, direction)
      ) strict;

      -- A contact being created for an identity: the claim outlives Redis and its locks.
      create table identity_claims (
        connection text not null,
        key text not null,
        token text not null,
        expires_at text not null,
        primary key (connection, key)
      ) strict;

      -- How each run matched its new records, and the Sahut calls that saved.
      alter table runs add column match text;
      alter table runs add column calls_saved integer;
      -- The run and outcome of the write that saved a link (see Link.writtenBy).
      alter table links add column written_run text;
      alter table links add column written_action text;

      -- Sahut's contacts as the last scan (and our own creates since) saw them: matching without searches.
      create table sahut_index (
        sahut_id text primary key not null,
        phone text,
        email text,
        contact text not null check (json_valid(contact)),
        seen_at text not null
      ) strict;
      create index sahut_index_phone on sahut_index (phone);
      create index sahut_index_email on sahut_index (email);
      create table sahut_scans (
        id text primary key not null,
        started_at text not null,
        finished_at text,
        contacts integer not null default 0,
        pages integer not null default 0
      ) strict;
      -- Sahut contacts sharing a phone or email, reported once per connection and pair.
      create table duplicate_pairs (
        connection text not null,
        a text not null,
        b text not null,
        by text not null,
        at text not null,
        primary key (connection, a, b)
      ) strict;
    `,
  },
  {
    id: 3,
    name: 'attention listing, decisions',
    sql: `
      -- One row per record whose latest outcome needs a person, kept by appendAudit.
      create table attention (
        connection text not null,
        record_key text not null,
        kind text not null,
        direction text not null,
        crm_id text,
        sahut_id text,
        run_id text not null,
        audit_id integer not null,
        error text,
        attempt integer not null,
        detail text check (detail is null or json_valid(detail)),
        fingerprint text not null,
        first_at text not null,
        at text not null,
        times integer not null,
        acked_fingerprint text,
        acked_by text,
        acked_at text,
        pending text check (pending is null or json_valid(pending)),
        primary key (connection, record_key)
      ) strict;
      create index attention_audit_id on attention (audit_id);

      -- A person's answer to an ambiguity: consulted whenever the record is matched again.
      create table decisions (
        connection text not null,
        crm_id text not null,
        decision text not null,
        sahut_id text,
        ruled_out text check (ruled_out is null or json_valid(ruled_out)),
        decided_by text not null,
        decided_at text not null,
        primary key (connection, crm_id)
      ) strict;

      ${BACKFILL}
    `,
  },
  {
    id: 4,
    name: 'removals, closed links',
    sql: `
      -- A linked record gone from one side (deleted in the CRM, gone from Sahut), until a run acts on it.
      create table removals (
        connection text not null,
        crm_id text not null,
        side text not null,
        sahut_id text not null,
        reason text not null,
        -- complete Sahut scans in a row that did not list the contact
        misses integer not null default 0,
        state text not null,
        decision text,
        run_id text not null,
        first_at text not null,
        at text not null,
        primary key (connection, crm_id, side)
      ) strict;
      create index removals_state on removals (connection, state, crm_id);

      -- Links a removal closed: the contact stays in Sahut, never taken for a walk-in.
      create table closed_links (
        connection text not null,
        crm_id text not null,
        sahut_id text not null,
        reason text not null,
        run_id text not null,
        closed_at text not null,
        primary key (connection, crm_id, sahut_id)
      ) strict;
      create index closed_links_sahut_id on closed_links (connection, sahut_id);
    `,
  },
];
