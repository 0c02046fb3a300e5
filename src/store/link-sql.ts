/** The links table's columns in insert order, and the upsert's update clause: the same on both backends. */
export const LINK_COLUMNS =
  'connection, crm_id, sahut_id, phone, email, base, crm_hash, sahut_hash, synced_at, written_run, written_action';

export const LINK_UPSERT = `on conflict (connection, crm_id) do update set
       sahut_id = excluded.sahut_id,
       phone = excluded.phone,
       email = excluded.email,
       base = excluded.base,
       crm_hash = excluded.crm_hash,
       sahut_hash = excluded.sahut_hash,
       synced_at = excluded.synced_at,
       written_run = excluded.written_run,
       written_action = excluded.written_action`;
