-- The tables of the existing system this pipeline uses (docs/decisions.md E).
-- On the production database they already exist and every statement here is a
-- no-op (CREATE ... IF NOT EXISTS); on a fresh database (tests, demo) they are
-- created with their constraints so the pipeline has something to run against.

CREATE TABLE IF NOT EXISTS store_master (
    id          bigserial PRIMARY KEY,
    store_code  text NOT NULL UNIQUE,
    store_name  text,
    is_active   boolean DEFAULT true,
    etl_flag    boolean NOT NULL DEFAULT false,
    report_flag boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS missed_leads (
    pickup_row_id        integer PRIMARY KEY,
    mobile_number        varchar NOT NULL,
    pickup_no            varchar,
    pickup_created_date  date,
    pickup_created_time  varchar,
    store_code           varchar NOT NULL,
    store_name           varchar,
    pickup_date          date,
    pickup_time          varchar,
    customer_name        varchar,
    special_instruction  varchar,
    source               varchar,
    final_source         varchar,
    customer_type        varchar,
    is_order_placed      boolean,
    run_id               varchar(64),
    run_date             date,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_missed_leads_store_mobile UNIQUE (store_code, mobile_number)
);

CREATE TABLE IF NOT EXISTS pipelines (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    description text NOT NULL
);

CREATE TABLE IF NOT EXISTS notification_profiles (
    id          bigserial PRIMARY KEY,
    pipeline_id bigint NOT NULL REFERENCES pipelines(id),
    code        text NOT NULL,
    description text,
    env         text NOT NULL DEFAULT 'any',
    scope       text NOT NULL,
    attach_mode text NOT NULL,
    is_active   boolean NOT NULL DEFAULT true,
    CONSTRAINT uq_notification_profiles_pipeline_code_env UNIQUE (pipeline_id, code, env),
    CONSTRAINT ck_notification_profiles_scope CHECK (scope IN ('run', 'store', 'combined')),
    CONSTRAINT ck_notification_profiles_attach_mode
        CHECK (attach_mode IN ('none', 'per_store_pdf', 'all_store_pdfs', 'all_docs_for_run')),
    CONSTRAINT ck_notification_profiles_env CHECK (env IN ('dev', 'prod', 'local', 'any'))
);

CREATE TABLE IF NOT EXISTS email_templates (
    id               bigserial PRIMARY KEY,
    profile_id       bigint NOT NULL REFERENCES notification_profiles(id),
    name             text NOT NULL,
    subject_template text NOT NULL,
    body_template    text NOT NULL,
    is_active        boolean NOT NULL DEFAULT true,
    CONSTRAINT uq_email_templates_profile_name UNIQUE (profile_id, name)
);

CREATE TABLE IF NOT EXISTS notification_recipients (
    id            bigserial PRIMARY KEY,
    profile_id    bigint NOT NULL REFERENCES notification_profiles(id),
    store_code    text,
    env           text NOT NULL DEFAULT 'any',
    email_address text NOT NULL,
    display_name  text,
    send_as       text NOT NULL DEFAULT 'to',
    is_active     boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_notification_recipients_send_as CHECK (send_as IN ('to', 'cc', 'bcc')),
    CONSTRAINT ck_notification_recipients_env CHECK (env IN ('dev', 'prod', 'local', 'any'))
);

CREATE TABLE IF NOT EXISTS documents (
    id               bigserial PRIMARY KEY,
    doc_type         varchar(50) NOT NULL,
    doc_subtype      varchar(50),
    doc_date         date,
    reference_name_1 varchar(50),
    reference_id_1   varchar(100),
    reference_name_2 varchar(50),
    reference_id_2   varchar(100),
    reference_name_3 varchar(50),
    reference_id_3   varchar(100),
    file_name        text NOT NULL,
    mime_type        varchar(100) NOT NULL,
    file_size_bytes  bigint,
    storage_backend  varchar(10) NOT NULL DEFAULT 'fs',
    file_path        text,
    file_blob        bytea,
    checksum         text,
    status           varchar(32) NOT NULL DEFAULT 'ok',
    error_message    text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       varchar(64),
    CONSTRAINT ck_documents_storage_backend CHECK (storage_backend IN ('fs', 'db', 's3'))
);

CREATE TABLE IF NOT EXISTS pipeline_run_summaries (
    id               bigserial PRIMARY KEY,
    pipeline_name    varchar(100) NOT NULL,
    run_id           varchar(64) NOT NULL UNIQUE,
    run_env          varchar(32),
    started_at       timestamptz,
    finished_at      timestamptz,
    total_time_taken varchar(16),
    report_date      date,
    overall_status   varchar(32),
    summary_text     text,
    phases_json      jsonb,
    metrics_json     jsonb,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS system_config (
    id          bigserial PRIMARY KEY,
    key         text NOT NULL UNIQUE,
    value       text,
    description text,
    is_active   boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
