-- A demo CRM table for docker compose: 300 contacts in the phone formats
-- real CRMs hold (0812-…, 62812…, +62 812 …), a few invalid on purpose.
CREATE SCHEMA IF NOT EXISTS crm;
CREATE TABLE crm.contacts (
  id           bigserial PRIMARY KEY,
  first_name   text NOT NULL,
  last_name    text,
  mobile       text,
  email        text,
  company_name text,
  segments     text,
  tier         text,
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_updated_at_id ON crm.contacts (updated_at, id);

INSERT INTO crm.contacts (first_name, last_name, mobile, email, company_name, segments, tier, updated_at)
SELECT
  (ARRAY['Budi','Siti','Agus','Dewi','Rina','Andi','Putri','Joko','Ayu','Hendra'])[1 + n % 10],
  (ARRAY['Santoso','Rahma','Wijaya','Lestari','Saputra','Pratama','Kusuma'])[1 + n % 7],
  CASE
    WHEN n % 50 = 0 THEN '12345'                                    -- invalid: rejected, audited
    WHEN n % 4 = 0 THEN '0812-' || lpad((n * 7919 % 10000)::text, 4, '0') || '-' || lpad(n::text, 4, '0')
    WHEN n % 4 = 1 THEN '62813' || lpad((n * 7919 % 10000)::text, 4, '0') || lpad(n::text, 4, '0')
    WHEN n % 4 = 2 THEN '+62 821 ' || lpad((n * 7919 % 10000)::text, 4, '0') || ' ' || lpad(n::text, 4, '0')
    ELSE '+62852' || lpad((n * 7919 % 10000)::text, 4, '0') || lpad(n::text, 4, '0')
  END,
  CASE WHEN n % 3 = 0 THEN upper('customer' || n || '@example.co.id') ELSE 'customer' || n || '@example.co.id' END,
  (ARRAY['PT Contoh Indonesia','CV Maju Jaya','PT Sinar Terang', NULL])[1 + n % 4],
  (ARRAY['vip;reseller','prospect','jakarta;wholesale', ''])[1 + n % 4],
  (ARRAY['gold','silver','bronze'])[1 + n % 3],
  now() - make_interval(mins => n)
FROM generate_series(1, 300) AS n;
