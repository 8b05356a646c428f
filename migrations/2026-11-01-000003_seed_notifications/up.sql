-- docs/decisions.md S3.1–3.2 plus the two email templates the pipeline renders.
-- Recipients are operator data and are never seeded (docs/decisions.md S3.3).
INSERT INTO pipelines (code, description)
VALUES ('leads_assignment', 'Leads Assignment')
ON CONFLICT (code) DO NOTHING;

INSERT INTO notification_profiles (pipeline_id, code, description, env, scope, attach_mode, is_active)
VALUES (
    (SELECT id FROM pipelines WHERE code = 'leads_assignment'),
    'leads_assignment',
    'Assign leads as and when needed',
    'any',
    'store',
    'per_store_pdf',
    true
)
ON CONFLICT (pipeline_id, code, env) DO NOTHING;

INSERT INTO email_templates (profile_id, name, subject_template, body_template, is_active)
SELECT p.id, t.name, t.subject_template, t.body_template, true
FROM notification_profiles p
JOIN pipelines pl ON pl.id = p.pipeline_id AND pl.code = 'leads_assignment'
CROSS JOIN (VALUES
(
'default',
'Leads assignment {{ batch_date }}: {{ store_code }}{% if store_name %} {{ store_name }}{% endif %} ({{ lead_count }} leads)',
'Hello,

{{ lead_count }} missed pickup leads of store {{ store_code }}{% if store_name %} ({{ store_name }}){% endif %} were assigned on {{ batch_date }}.

{% for a in agents %}- Agent {{ a.code }} {{ a.name }}: {{ a.lead_count }} leads
{% endfor %}
Attached sheets: {{ attachments | join('', '') }}

Please fill in the second row of every lead (conversion, order, payment, remarks) and send the sheet back.

Batch {{ batch_id }} / run {{ run_id }} / env {{ run_env }}'
),
(
'summary',
'Leads assignment run {{ run_id }} ({{ run_env }}): {{ assignment_count }} leads assigned, {{ emails_failed }} emails failed',
'Leads assignment run {{ run_id }} (env {{ run_env }})
Batch {{ batch_id }} dated {{ batch_date }}

Assignments: {{ assignment_count }}
Sheets (documents): {{ document_count }}
Store emails planned: {{ emails_planned }}, sent: {{ emails_sent }}, failed: {{ emails_failed }}

Per store:
{% for s in store_diagnostics %}- {{ s.store_code }}{% if s.store_name %} {{ s.store_name }}{% endif %}: {{ s.assigned }} assigned{% if s.reasons %}; {{ s.reasons | join(''; '') }}{% endif %}
{% endfor %}'
)
) AS t(name, subject_template, body_template)
WHERE p.code = 'leads_assignment' AND p.env = 'any'
ON CONFLICT (profile_id, name) DO NOTHING;
