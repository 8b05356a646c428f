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
{% endfor %}{% endif %}';
ALTER TABLE lead_assignment_ingests
    DROP COLUMN IF EXISTS source_date,
    DROP COLUMN IF EXISTS source_sender,
    DROP COLUMN IF EXISTS source_message_id;
DROP TABLE IF EXISTS lead_assignment_collected;
DELETE FROM lead_assignment_deliveries WHERE batch_id IS NULL;
ALTER TABLE lead_assignment_deliveries ALTER COLUMN batch_id SET NOT NULL;
