-- First setup: one store taking part, two agents, their mappings with caps,
-- and who receives the emails. Run it once with psql after
-- `leads-assignment migrate`, adapting the values:
--
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f docs/operator-setup.sql
--
-- Everything is in one transaction: it all applies, or nothing does.
BEGIN;

-- The store (already in store_master in a live database: then only the
-- UPDATE matters). assign_leads = true makes its missed leads eligible.
INSERT INTO store_master (store_code, store_name)
VALUES ('PNQ01', 'Kothrud')
ON CONFLICT (store_code) DO NOTHING;
UPDATE store_master SET assign_leads = true WHERE store_code = 'PNQ01';

-- The call agents. agent_code is four characters and names the sheets' form
-- fields (letters, digits, '-' and '_' only).
INSERT INTO agents_master (agent_code, agent_name, mobile_number, is_active)
VALUES ('0001', 'Asha Kulkarni', '9800000001', true),
       ('0002', 'Rahul Patil',   '9800000002', true)
ON CONFLICT (agent_code) DO NOTHING;

-- Who works which store. Lower priority numbers are served first; agents of
-- equal priority share the leads fairly. Caps: NULL = no limit, 0 = none.
--   max_existing_per_lot / max_new_per_lot: leads of that type per run
--   max_daily_leads: all leads of the day, every run included
INSERT INTO store_lead_assignment_map
    (store_code, agent_id, is_enabled, priority, max_existing_per_lot, max_new_per_lot, max_daily_leads)
SELECT 'PNQ01', id, true, 100, 20, 10, 40 FROM agents_master WHERE agent_code = '0001'
UNION ALL
SELECT 'PNQ01', id, true, 100, 20, 10, 40 FROM agents_master WHERE agent_code = '0002'
ON CONFLICT (store_code, agent_id) DO NOTHING;

-- Who receives the store's sheets ('to', 'cc' or 'bcc'), for env 'any' (or
-- 'dev' / 'prod' / 'local'). A row with store_code NULL (or 'ALL') receives
-- every store's email and the run summary.
INSERT INTO notification_recipients (profile_id, store_code, env, email_address, display_name, send_as)
SELECT p.id, 'PNQ01', 'any', 'kothrud.manager@example.com', 'Kothrud manager', 'to'
FROM notification_profiles p
JOIN pipelines pl ON pl.id = p.pipeline_id AND pl.code = 'leads_assignment'
WHERE p.code = 'leads_assignment' AND p.env = 'any';

COMMIT;
