-- The delivery ledger (docs/decisions.md D13): one row per email attempt of a
-- batch, so `notify --batch N` re-sends exactly what was not delivered and a
-- run can find batches whose emails never went out (D14).
CREATE TABLE IF NOT EXISTS lead_assignment_deliveries (
    id            bigserial PRIMARY KEY,
    batch_id      bigint NOT NULL REFERENCES lead_assignment_batches(id),
    email_key     text NOT NULL,
    transport     varchar(16) NOT NULL,
    to_addresses  text[] NOT NULL DEFAULT '{}',
    cc_addresses  text[] NOT NULL DEFAULT '{}',
    bcc_addresses text[] NOT NULL DEFAULT '{}',
    document_ids  bigint[] NOT NULL DEFAULT '{}',
    outcome       varchar(20) NOT NULL,
    error         text,
    message_id    text,
    run_id        varchar(64),
    attempted_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_deliveries_transport CHECK (transport IN ('smtp', 'outbox', 'memory', 'none')),
    CONSTRAINT ck_deliveries_outcome CHECK (
        outcome IN ('sent', 'written_to_outbox', 'failed', 'not_attempted', 'skipped'))
);
CREATE INDEX IF NOT EXISTS ix_deliveries_batch_key
    ON lead_assignment_deliveries (batch_id, email_key);

-- Batches made before the ledger existed have no delivery rows; they are
-- checked for their sheets only, never re-emailed. Existing rows get false
-- (metadata-only on PostgreSQL >= 11), every new batch true.
ALTER TABLE lead_assignment_batches
    ADD COLUMN IF NOT EXISTS delivery_tracked boolean NOT NULL DEFAULT false;
ALTER TABLE lead_assignment_batches
    ALTER COLUMN delivery_tracked SET DEFAULT true;

-- The seeded summary template says "sent" even when emails only went to the
-- outbox, and cannot show how to finish a partly done run. Replace it, but
-- only where it is still exactly the seeded text (an operator's edit is kept).
UPDATE email_templates t
SET body_template = 'Leads assignment run {{ run_id }} (env {{ run_env }})
Batch {{ batch_id }} dated {{ batch_date }}

Assignments: {{ assignment_count }}
Sheets (documents): {{ document_count }}
Store emails: {{ emails_line }}

Per store:
{% for s in store_diagnostics %}- {{ s.store_code }}{% if s.store_name %} {{ s.store_name }}{% endif %}: {{ s.assigned }} assigned{% if s.reasons %}; {{ s.reasons | join(''; '') }}{% endif %}
{% endfor %}{% if finish_commands %}
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
Store emails planned: {{ emails_planned }}, sent: {{ emails_sent }}, failed: {{ emails_failed }}

Per store:
{% for s in store_diagnostics %}- {{ s.store_code }}{% if s.store_name %} {{ s.store_name }}{% endif %}: {{ s.assigned }} assigned{% if s.reasons %}; {{ s.reasons | join(''; '') }}{% endif %}
{% endfor %}';
