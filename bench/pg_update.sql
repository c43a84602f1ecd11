-- pgbench reference for PATCH (bench/run.sh): the single-row UPDATE graphcerts makes for a PATCH of
-- keyName and intendedPurpose (with the last-modified stamp and the version), on an entity drawn
-- at random from the same sampled ids as bench/patch.lua (bench_ids, made by bench/seed_pg.py).
-- Run with -M prepared -D tenant=GUID -D nids=N.
\set k random(1, :nids)
UPDATE user_pfx_certificates SET key_name = 'PFXEncryptionKey-rotated-' || :k::text,
  intended_purpose = (ARRAY[1, 2, 4, 8])[:k::int % 4 + 1], last_modified_date_time = '2026-12-05T12:00:00.0000000Z',
  last_modified_date_time_ticks = 639005616000000000, version = version + 1
WHERE tenant = :tenant AND id = (SELECT id FROM bench_ids WHERE k = :k::int);
