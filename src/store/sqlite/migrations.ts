export interface Migration {
  id: number;
  name: string;
  sql: string;
}

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
    `,
  },
];
