//! Diesel `table!` definitions. Tables owned by other pipelines (docs/decisions.md E)
//! declare only the columns this project reads or writes.

diesel::table! {
    store_master (id) {
        id -> Int8,
        store_code -> Text,
        store_name -> Nullable<Text>,
        is_active -> Nullable<Bool>,
        assign_leads -> Bool,
    }
}

diesel::table! {
    missed_leads (pickup_row_id) {
        pickup_row_id -> Int4,
        mobile_number -> Varchar,
        pickup_created_date -> Nullable<Date>,
        store_code -> Varchar,
        store_name -> Nullable<Varchar>,
        pickup_date -> Nullable<Date>,
        customer_name -> Nullable<Varchar>,
        special_instruction -> Nullable<Varchar>,
        source -> Nullable<Varchar>,
        final_source -> Nullable<Varchar>,
        customer_type -> Nullable<Varchar>,
        is_order_placed -> Nullable<Bool>,
        run_date -> Nullable<Date>,
        lead_assigned -> Bool,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    agents_master (id) {
        id -> Int8,
        agent_code -> Nullable<Bpchar>,
        agent_name -> Varchar,
        mobile_number -> Varchar,
        is_active -> Bool,
    }
}

diesel::table! {
    store_lead_assignment_map (id) {
        id -> Int8,
        store_code -> Varchar,
        agent_id -> Int8,
        is_enabled -> Bool,
        priority -> Int4,
        max_existing_per_lot -> Nullable<Int4>,
        max_new_per_lot -> Nullable<Int4>,
        max_daily_leads -> Nullable<Int4>,
    }
}

diesel::table! {
    lead_assignment_batches (id) {
        id -> Int8,
        batch_date -> Date,
        triggered_by -> Nullable<Text>,
        run_id -> Nullable<Text>,
        created_at -> Timestamptz,
        delivery_tracked -> Bool,
        sheets_signed -> Bool,
        delivery_transport -> Nullable<Varchar>,
        delivery_env -> Nullable<Varchar>,
    }
}

diesel::table! {
    lead_assignment_sheets (id) {
        id -> Int8,
        batch_id -> Int8,
        store_code -> Varchar,
        agent_id -> Int8,
        file_name -> Text,
        document_id -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    agent_leave (id) {
        id -> Int8,
        agent_id -> Int8,
        first_day -> Date,
        last_day -> Date,
        reason -> Nullable<Text>,
        created_at -> Timestamptz,
        created_by -> Nullable<Text>,
    }
}

diesel::table! {
    lead_assignment_deliveries (id) {
        id -> Int8,
        batch_id -> Nullable<Int8>,
        email_key -> Text,
        transport -> Varchar,
        to_addresses -> Array<Text>,
        cc_addresses -> Array<Text>,
        bcc_addresses -> Array<Text>,
        document_ids -> Array<Int8>,
        outcome -> Varchar,
        error -> Nullable<Text>,
        message_id -> Nullable<Text>,
        run_id -> Nullable<Varchar>,
        attempted_at -> Timestamptz,
    }
}

diesel::table! {
    lead_assignment_secrets (name) {
        name -> Text,
        value -> Bytea,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    lead_assignment_ingests (id) {
        id -> Int8,
        file_name -> Text,
        checksum -> Text,
        batch_id -> Nullable<Int8>,
        store_code -> Nullable<Varchar>,
        agent_id -> Nullable<Int8>,
        agent_code -> Nullable<Text>,
        identity -> Varchar,
        new_count -> Int4,
        changed_count -> Int4,
        unchanged_count -> Int4,
        blank_count -> Int4,
        ingested_by -> Varchar,
        ingested_at -> Timestamptz,
        values_sha256 -> Nullable<Text>,
        revisions -> Array<Text>,
        cleared_count -> Int4,
        source_message_id -> Nullable<Text>,
        source_sender -> Nullable<Text>,
        source_date -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    lead_assignment_collected (id) {
        id -> Int8,
        message_key -> Text,
        message_id -> Nullable<Text>,
        sender -> Text,
        subject -> Nullable<Text>,
        sent_at -> Nullable<Timestamptz>,
        status -> Varchar,
        folder -> Text,
        sheets -> Int4,
        refused_sheets -> Int4,
        outcomes -> Int4,
        stores -> Array<Text>,
        receipt_key -> Nullable<Text>,
        receipt_subject -> Nullable<Text>,
        receipt_body -> Nullable<Text>,
        filed_at -> Nullable<Timestamptz>,
        collected_at -> Timestamptz,
    }
}

diesel::table! {
    lead_assignments (id) {
        id -> Int8,
        assignment_batch_id -> Int8,
        lead_id -> Int4,
        agent_id -> Int8,
        page_group_code -> Text,
        rowid -> Int4,
        lead_assignment_code -> Text,
        store_code -> Varchar,
        store_name -> Nullable<Varchar>,
        lead_date -> Nullable<Date>,
        lead_type -> Nullable<Bpchar>,
        mobile_number -> Varchar,
        cx_name -> Nullable<Varchar>,
        address -> Nullable<Varchar>,
        lead_source -> Nullable<Varchar>,
        assigned_at -> Timestamptz,
    }
}

diesel::table! {
    lead_assignment_outcomes (id) {
        id -> Int8,
        lead_assignment_id -> Int8,
        converted_flag -> Nullable<Bool>,
        order_number -> Nullable<Varchar>,
        order_date -> Nullable<Date>,
        order_value -> Nullable<Numeric>,
        payment_mode -> Nullable<Varchar>,
        payment_amount -> Nullable<Numeric>,
        remarks -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    pipelines (id) {
        id -> Int8,
        code -> Text,
        description -> Text,
    }
}

diesel::table! {
    notification_profiles (id) {
        id -> Int8,
        pipeline_id -> Int8,
        code -> Text,
        description -> Nullable<Text>,
        env -> Text,
        scope -> Text,
        attach_mode -> Text,
        is_active -> Bool,
    }
}

diesel::table! {
    email_templates (id) {
        id -> Int8,
        profile_id -> Int8,
        name -> Text,
        subject_template -> Text,
        body_template -> Text,
        is_active -> Bool,
    }
}

diesel::table! {
    notification_recipients (id) {
        id -> Int8,
        profile_id -> Int8,
        store_code -> Nullable<Text>,
        env -> Text,
        email_address -> Text,
        display_name -> Nullable<Text>,
        send_as -> Text,
        is_active -> Bool,
    }
}

diesel::table! {
    documents (id) {
        id -> Int8,
        doc_type -> Varchar,
        doc_subtype -> Nullable<Varchar>,
        doc_date -> Nullable<Date>,
        reference_name_1 -> Nullable<Varchar>,
        reference_id_1 -> Nullable<Varchar>,
        reference_name_2 -> Nullable<Varchar>,
        reference_id_2 -> Nullable<Varchar>,
        reference_name_3 -> Nullable<Varchar>,
        reference_id_3 -> Nullable<Varchar>,
        file_name -> Text,
        mime_type -> Varchar,
        file_size_bytes -> Nullable<Int8>,
        storage_backend -> Varchar,
        file_path -> Nullable<Text>,
        checksum -> Nullable<Text>,
        status -> Varchar,
        error_message -> Nullable<Text>,
        created_at -> Timestamptz,
        created_by -> Nullable<Varchar>,
    }
}

diesel::table! {
    pipeline_run_summaries (id) {
        id -> Int8,
        pipeline_name -> Varchar,
        run_id -> Varchar,
        run_env -> Nullable<Varchar>,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
        total_time_taken -> Nullable<Varchar>,
        report_date -> Nullable<Date>,
        overall_status -> Nullable<Varchar>,
        summary_text -> Nullable<Text>,
        phases_json -> Nullable<Jsonb>,
        metrics_json -> Nullable<Jsonb>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    system_config (id) {
        id -> Int8,
        key -> Text,
        value -> Nullable<Text>,
        is_active -> Bool,
    }
}

diesel::joinable!(store_lead_assignment_map -> agents_master (agent_id));
diesel::joinable!(lead_assignments -> lead_assignment_batches (assignment_batch_id));
diesel::joinable!(lead_assignments -> missed_leads (lead_id));
diesel::joinable!(lead_assignments -> agents_master (agent_id));
diesel::joinable!(lead_assignment_outcomes -> lead_assignments (lead_assignment_id));
diesel::joinable!(lead_assignment_deliveries -> lead_assignment_batches (batch_id));
diesel::joinable!(agent_leave -> agents_master (agent_id));
diesel::joinable!(lead_assignment_sheets -> lead_assignment_batches (batch_id));
diesel::joinable!(notification_profiles -> pipelines (pipeline_id));
diesel::joinable!(email_templates -> notification_profiles (profile_id));
diesel::joinable!(notification_recipients -> notification_profiles (profile_id));

diesel::allow_tables_to_appear_in_same_query!(
    lead_assignment_secrets,
    lead_assignment_ingests,
    lead_assignment_sheets,
    lead_assignment_collected,
    store_master,
    missed_leads,
    agents_master,
    store_lead_assignment_map,
    lead_assignment_batches,
    lead_assignments,
    lead_assignment_outcomes,
    lead_assignment_deliveries,
    agent_leave,
    pipelines,
    notification_profiles,
    email_templates,
    notification_recipients,
    documents,
    pipeline_run_summaries,
    system_config,
);

diesel::allow_columns_to_appear_in_same_group_by_clause!(
    lead_assignments::assignment_batch_id,
    lead_assignment_batches::batch_date,
    lead_assignments::store_code,
    lead_assignments::agent_id,
    agents_master::agent_code,
    agents_master::agent_name,
);
