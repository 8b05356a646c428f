-- Agent leave (docs/decisions.md D19): date ranges, first and last day
-- inclusive. An agent on leave on the business date is skipped like an
-- inactive one; leave never touches the mappings.
CREATE TABLE IF NOT EXISTS agent_leave (
    id         bigserial PRIMARY KEY,
    agent_id   bigint NOT NULL REFERENCES agents_master(id),
    first_day  date NOT NULL,
    last_day   date NOT NULL,
    reason     text,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text,
    CONSTRAINT ck_agent_leave_range CHECK (last_day >= first_day)
);
CREATE INDEX IF NOT EXISTS ix_agent_leave_agent_days ON agent_leave (agent_id, last_day, first_day);
