-- pgbench reference for POST (bench/run.sh): the single-row INSERT graphcerts makes for a new
-- userPFXCertificate, values of the same sizes as bench/post.lua's, into the same table with the
-- same indexes. Run with -M prepared -D tenant=GUID.
\set r random(1, 4000000000000000000)
INSERT INTO user_pfx_certificates (tenant, id, thumbprint, intended_purpose, user_principal_name,
  start_date_time, start_date_time_ticks, expiration_date_time, expiration_date_time_ticks,
  provider_name, key_name, padding_scheme, encrypted_pfx_blob, encrypted_pfx_password,
  created_date_time, created_date_time_ticks, last_modified_date_time,
  last_modified_date_time_ticks, version)
VALUES (:tenant, md5(:r::text || 'u') || '-' || left(md5(:r::text || 't') || md5(:r::text), 40),
  left(md5(:r::text || 't') || md5(:r::text), 40), 1, 'bench' || (:r::bigint % 5000)::text || '@contoso.com',
  '2025-03-01T09:00:00Z', 638764812000000000, '2026-03-01T09:00:00Z', 639080172000000000,
  'Microsoft Software Key Storage Provider', 'PFXEncryptionKey1', 3, decode(repeat('3082', 200), 'hex'),
  repeat('bXkgZW5jcnlwdGVkIHBhc3N3b3Jk', 12) || 'AAAAAAAAAAAAAAAA',
  '2026-12-05T12:00:00.0000000Z', 639005616000000000, '2026-12-05T12:00:00.0000000Z',
  639005616000000000, :r);
