-- Sheet identity (docs/decisions.md D22): one secret per database, made
-- here, keys the MAC each sheet carries. gen_random_uuid() is built in from
-- PostgreSQL 13 and draws from the server's strong random source; two of
-- them give 244 random bits. An existing key is never replaced.
CREATE TABLE IF NOT EXISTS lead_assignment_secrets (
    name       text PRIMARY KEY,
    value      bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO lead_assignment_secrets (name, value)
VALUES ('sheet_mac_key',
        decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'))
ON CONFLICT (name) DO NOTHING;

-- The ingest ledger (docs/decisions.md D21): one row per ingested file.
CREATE TABLE IF NOT EXISTS lead_assignment_ingests (
    id              bigserial PRIMARY KEY,
    file_name       text NOT NULL,
    checksum        text NOT NULL,
    batch_id        bigint REFERENCES lead_assignment_batches(id),
    store_code      varchar,
    agent_id        bigint REFERENCES agents_master(id),
    agent_code      text,
    identity        varchar(16) NOT NULL,
    new_count       int NOT NULL,
    changed_count   int NOT NULL,
    unchanged_count int NOT NULL,
    blank_count     int NOT NULL,
    ingested_by     varchar(64) NOT NULL,
    ingested_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_ingests_identity CHECK (identity IN ('verified', 'legacy'))
);
CREATE INDEX IF NOT EXISTS ix_ingests_sheet
    ON lead_assignment_ingests (batch_id, store_code, agent_id);

-- The summary email lists the sheets still outstanding, per store. Replace
-- the template only where it is still exactly the text migration 5 set.
UPDATE email_templates t
SET body_template = 'Leads assignment run {{ run_id }} (env {{ run_env }})
Batch {{ batch_id }} dated {{ batch_date }}

Assignments: {{ assignment_count }}
Sheets (documents): {{ document_count }}
Store emails: {{ emails_line }}

Per store:
{% for s in store_diagnostics %}- {{ s.store_code }}{% if s.store_name %} {{ s.store_name }}{% endif %}: {{ s.assigned }} assigned{% if s.reasons %}; {{ s.reasons | join(''; '') }}{% endif %}
{% endfor %}{% if outstanding_stores %}
Sheets outstanding (no outcome {{ outstanding_after_days }} or more days after their batch):
{% for s in outstanding_stores %}- {{ s.store_code }}{% if s.store_name %} {{ s.store_name }}{% endif %}: {{ s.sheets | length }} sheet(s)
{% for x in s.sheets %}    agent {{ x.agent_code }} {{ x.agent_name }}, batch {{ x.batch_id }} of {{ x.batch_date }}: {{ x.leads }} leads, {{ x.age_days }} days
{% endfor %}{% endfor %}{% endif %}{% if finish_commands %}
To finish this run:
{% for c in finish_commands %}  {{ c }}
{% endfor %}{% endif %}'
FROM notification_profiles p
JOIN pipelines pl ON pl.id = p.pipeline_id AND pl.code = 'leads_assignment'
WHERE t.profile_id = p.id
  AND t.name = 'summary'
  AND t.body_template = 'Leads assignment run {{ run_id }} (env {{ run_env }})
Batch {{ batch_id }} dated {{ batch_date }}

Assignments: {{ assignment_count }}
Sheets (documents): {{ document_count }}
Store emails: {{ emails_line }}

Per store:
{% for s in store_diagnostics %}- {{ s.store_code }}{% if s.store_name %} {{ s.store_name }}{% endif %}: {{ s.assigned }} assigned{% if s.reasons %}; {{ s.reasons | join(''; '') }}{% endif %}
{% endfor %}{% if finish_commands %}
To finish this run:
{% for c in finish_commands %}  {{ c }}
{% endfor %}{% endif %}';
