-- Removes the seeded templates, and the profile and pipeline rows when nothing
-- else (operator-entered recipients, other profiles) refers to them.
DELETE FROM email_templates t
USING notification_profiles p, pipelines pl
WHERE t.profile_id = p.id AND p.pipeline_id = pl.id
  AND pl.code = 'leads_assignment' AND p.code = 'leads_assignment' AND p.env = 'any'
  AND t.name IN ('default', 'summary');

DELETE FROM notification_profiles p
USING pipelines pl
WHERE p.pipeline_id = pl.id AND pl.code = 'leads_assignment'
  AND p.code = 'leads_assignment' AND p.env = 'any'
  AND NOT EXISTS (SELECT 1 FROM notification_recipients r WHERE r.profile_id = p.id)
  AND NOT EXISTS (SELECT 1 FROM email_templates t WHERE t.profile_id = p.id);

DELETE FROM pipelines pl
WHERE pl.code = 'leads_assignment'
  AND NOT EXISTS (SELECT 1 FROM notification_profiles p WHERE p.pipeline_id = pl.id);
