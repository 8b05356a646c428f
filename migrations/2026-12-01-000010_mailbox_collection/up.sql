-- Returns collected from the mailbox (docs/decisions.md D29).

-- Receipts go through the delivery ledger like every other email; they
-- belong to no batch.
ALTER TABLE lead_assignment_deliveries ALTER COLUMN batch_id DROP NOT NULL;

-- One row per message collected: ingested and answered at most once (by
-- Message-ID, else the SHA-256 of its bytes), and where it was filed.
CREATE TABLE IF NOT EXISTS lead_assignment_collected (
    id              bigserial PRIMARY KEY,
    message_key     text NOT NULL UNIQUE,
    message_id      text,
    sender          text NOT NULL,
    subject         text,
    sent_at         timestamptz,
    status          varchar(16) NOT NULL,
    folder          text NOT NULL,
    sheets          int NOT NULL DEFAULT 0,
    refused_sheets  int NOT NULL DEFAULT 0,
    outcomes        int NOT NULL DEFAULT 0,
    stores          text[] NOT NULL DEFAULT '{}',
    receipt_key     text,
    receipt_subject text,
    receipt_body    text,
    filed_at        timestamptz,
    collected_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_collected_status CHECK (status IN ('collected', 'refused', 'stranger'))
);

-- Where an ingested file came from, when it came by mail.
ALTER TABLE lead_assignment_ingests
    ADD COLUMN IF NOT EXISTS source_message_id text,
    ADD COLUMN IF NOT EXISTS source_sender text,
    ADD COLUMN IF NOT EXISTS source_date timestamptz;

-- The summary email gets a "Returned sheets" section. Replace the template
-- only where it is still exactly the text migration 7 set.
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
{% endfor %}{% endfor %}{% endif %}{% if returned %}
Returned sheets (collected from the mailbox):
{% for r in returned %}- {{ r }}
{% endfor %}{% endif %}{% if finish_commands %}
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
{% endfor %}{% if outstanding_stores %}
Sheets outstanding (no outcome {{ outstanding_after_days }} or more days after their batch):
{% for s in outstanding_stores %}- {{ s.store_code }}{% if s.store_name %} {{ s.store_name }}{% endif %}: {{ s.sheets | length }} sheet(s)
{% for x in s.sheets %}    agent {{ x.agent_code }} {{ x.agent_name }}, batch {{ x.batch_id }} of {{ x.batch_date }}: {{ x.leads }} leads, {{ x.age_days }} days
{% endfor %}{% endfor %}{% endif %}{% if finish_commands %}
To finish this run:
{% for c in finish_commands %}  {{ c }}
{% endfor %}{% endif %}';
