-- A demo CRM table for the compose profile "mariadb": 120 contacts in utf8mb4,
-- with right-to-left and emoji names, phones in the formats real CRMs hold, a few
-- invalid on purpose. Runs in MARIADB_DATABASE on first start only.
SET NAMES utf8mb4;
CREATE TABLE contacts (
  id           BIGINT AUTO_INCREMENT PRIMARY KEY,
  first_name   VARCHAR(100) NOT NULL,
  last_name    VARCHAR(100),
  mobile       VARCHAR(40),
  email        VARCHAR(200),
  company_name VARCHAR(200),
  segments     VARCHAR(200),
  tier         VARCHAR(20),
  updated_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  -- InnoDB appends the primary key: this index serves the (updated_at, id) keyset.
  KEY contacts_updated_at (updated_at)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

INSERT INTO contacts (first_name, last_name, mobile, email, company_name, segments, tier, updated_at)
SELECT
  ELT(1 + seq % 8, 'Budi', 'Siti', 'محمد', 'Dewi', 'Ayu 🌸', 'נועה', 'Putri', 'Joko'),
  ELT(1 + seq % 5, 'Santoso', 'Rahma', 'العلي', 'Lestari', 'Pratama'),
  CASE
    WHEN seq % 40 = 0 THEN '12345'
    WHEN seq % 3 = 0 THEN CONCAT('0812-', LPAD(seq * 7919 % 10000, 4, '0'), '-', LPAD(seq, 4, '0'))
    WHEN seq % 3 = 1 THEN CONCAT('62813', LPAD(seq * 7919 % 10000, 4, '0'), LPAD(seq, 4, '0'))
    ELSE CONCAT('+62 821 ', LPAD(seq * 7919 % 10000, 4, '0'), ' ', LPAD(seq, 4, '0'))
  END,
  CONCAT('maria', seq, '@example.co.id'),
  ELT(1 + seq % 4, 'PT Contoh Indonesia', 'CV Maju Jaya', 'PT Sinar Terang', NULL),
  ELT(1 + seq % 4, 'vip;reseller', 'prospect', 'jakarta;wholesale', ''),
  ELT(1 + seq % 3, 'gold', 'silver', 'bronze'),
  NOW(6) - INTERVAL seq MINUTE
FROM seq_1_to_120;
