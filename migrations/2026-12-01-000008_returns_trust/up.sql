-- Returned sheets you can trust (docs/decisions.md D25, D26).

-- Which batches' sheets carry a signed identity. A returned file of a signed
-- batch must carry a valid identity; only batches made before identities
-- accept a file without one. Every sheet written since migration 7 created
-- the key was signed, so a batch made after the key existed counts as signed;
-- older batches do not. Every new batch: true.
ALTER TABLE lead_assignment_batches
    ADD COLUMN IF NOT EXISTS sheets_signed boolean NOT NULL DEFAULT false;
UPDATE lead_assignment_batches b
SET sheets_signed = true
FROM lead_assignment_secrets s
WHERE s.name = 'sheet_mac_key'
  AND b.created_at >= s.created_at
  AND NOT b.sheets_signed;
ALTER TABLE lead_assignment_batches
    ALTER COLUMN sheets_signed SET DEFAULT true;

-- Each sheet of a batch and the file name it was given, once: names are
-- assigned here (a collision is resolved when the name is assigned), and a
-- batch's files are found through this table, never recomputed from today's
-- agent codes.
CREATE TABLE IF NOT EXISTS lead_assignment_sheets (
    id          bigserial PRIMARY KEY,
    batch_id    bigint NOT NULL REFERENCES lead_assignment_batches(id),
    store_code  varchar NOT NULL,
    agent_id    bigint NOT NULL REFERENCES agents_master(id),
    file_name   text NOT NULL,
    document_id bigint,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_sheets_sheet UNIQUE (batch_id, store_code, agent_id),
    CONSTRAINT uq_sheets_file_name UNIQUE (batch_id, file_name)
);

-- Existing sheets: their documents row names the store and the agent code
-- the sheet was written with, and the file name ends in _b{batch}.pdf.
INSERT INTO lead_assignment_sheets (batch_id, store_code, agent_id, file_name, document_id)
SELECT DISTINCT ON (g.batch_id, g.store_code, g.agent_id)
       g.batch_id, g.store_code, g.agent_id, d.file_name, d.id
FROM (SELECT DISTINCT a.assignment_batch_id AS batch_id, a.store_code, a.agent_id,
             rtrim(am.agent_code) AS agent_code
      FROM lead_assignments a
      JOIN agents_master am ON am.id = a.agent_id) g
JOIN documents d
  ON d.doc_type = 'leads_assignment'
 AND d.doc_subtype = 'per_store_agent_pdf'
 AND d.reference_id_2 = g.store_code
 AND d.reference_id_3 = g.agent_code
 AND d.file_name LIKE '%\_b' || g.batch_id || '.pdf'
ORDER BY g.batch_id, g.store_code, g.agent_id, d.id
ON CONFLICT DO NOTHING;

-- The ingest ledger learns what each file said, so an older file of a sheet
-- can be told from a newer one: the digest of its values, and the digests of
-- the earlier revisions the file carries (a viewer's incremental saves).
ALTER TABLE lead_assignment_ingests
    ADD COLUMN IF NOT EXISTS values_sha256 text,
    ADD COLUMN IF NOT EXISTS revisions text[] NOT NULL DEFAULT '{}',
    ADD COLUMN IF NOT EXISTS cleared_count int NOT NULL DEFAULT 0;
