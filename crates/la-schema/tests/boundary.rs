//! Values that have enums are read as the enums at the Diesel boundary: a
//! stored value the code does not know is one typed error where the row is
//! read.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use la_schema::models::{Delivery, DeliveryOutcome};
use la_schema::schema::lead_assignment_deliveries as ld;
use la_schema::testing::migrated_db;

/// A delivery outcome the code does not know is one typed error where the
/// row is read, naming the column and the value (not a skipped row).
#[test]
fn an_unknown_stored_outcome_is_an_error_at_the_edge() {
    let db = migrated_db();
    let mut c = db.conn();
    for (i, outcome) in DeliveryOutcome::ALL.iter().enumerate() {
        c.batch_execute(&format!(
            "INSERT INTO lead_assignment_deliveries (email_key, transport, outcome)
             VALUES ('k{i}', 'smtp', '{}')",
            outcome.as_str()
        ))
        .unwrap();
    }
    let read: Vec<DeliveryOutcome> = ld::table
        .order(ld::id)
        .select(ld::outcome)
        .load(&mut c)
        .unwrap();
    assert_eq!(read, DeliveryOutcome::ALL);
    c.batch_execute(
        "ALTER TABLE lead_assignment_deliveries DROP CONSTRAINT ck_deliveries_outcome;
         INSERT INTO lead_assignment_deliveries (email_key, transport, outcome) VALUES ('k9', 'smtp', 'bounced')",
    )
    .unwrap();
    let err = ld::table
        .select(Delivery::as_select())
        .load(&mut c)
        .unwrap_err();
    assert!(
        matches!(err, diesel::result::Error::DeserializationError(_)),
        "{err:?}"
    );
    // The field, then the column and the value.
    let chain = error_chain(&err);
    assert!(chain.contains("field 'outcome'"), "{chain}");
    assert!(
        chain.contains("lead_assignment_deliveries.outcome \"bounced\" is not a delivery outcome"),
        "{chain}"
    );
}

/// Every enum stored as text reads back as itself; text it does not name is
/// one error naming the column and the value.
#[test]
fn every_text_code_round_trips_and_refuses_what_it_does_not_name() {
    use diesel::sql_types::Text;
    use la_schema::codes::*;
    let db = migrated_db();
    let mut c = db.conn();
    macro_rules! check {
        ($($t:ty),+) => {$(
            for v in <$t as TextCode>::ALL {
                let back: $t = diesel::select(v.into_sql::<Text>()).get_result(&mut c).unwrap();
                assert_eq!(back, *v);
                let text: String = diesel::select(v.into_sql::<Text>()).get_result(&mut c).unwrap();
                assert_eq!(text, v.as_str());
            }
            let err = diesel::select("bogus".into_sql::<Text>())
                .get_result::<$t>(&mut c)
                .unwrap_err();
            let want = format!("{} \"bogus\" is not {}", <$t>::COLUMN, <$t>::WHAT);
            assert!(error_chain(&err).contains(&want), "{err}");
        )+};
    }
    check!(
        DeliveryOutcome,
        TransportKind,
        LeadType,
        RunEnv,
        ProfileEnv,
        Scope,
        AttachMode,
        SendAs,
        OverallStatus,
        CollectedStatus
    );
}

/// Where a CHECK constraint lists a column's values, the enum names exactly
/// those: a value added on one side only fails here.
#[test]
fn the_check_constraints_list_the_enums_values() {
    use la_schema::codes::*;
    fn texts<T: TextCode>() -> Vec<String> {
        let mut t: Vec<String> = T::ALL.iter().map(|v| v.as_str().to_string()).collect();
        t.sort();
        t
    }
    let db = migrated_db();
    let mut c = db.conn();
    let cases = [
        ("ck_deliveries_outcome", texts::<DeliveryOutcome>()),
        ("ck_deliveries_transport", texts::<TransportKind>()),
        ("ck_lead_assignments_lead_type", texts::<LeadType>()),
        ("ck_notification_profiles_scope", texts::<Scope>()),
        (
            "ck_notification_profiles_attach_mode",
            texts::<AttachMode>(),
        ),
        ("ck_notification_profiles_env", texts::<ProfileEnv>()),
        ("ck_notification_recipients_env", texts::<ProfileEnv>()),
        ("ck_notification_recipients_send_as", texts::<SendAs>()),
        ("ck_collected_status", texts::<CollectedStatus>()),
    ];
    for (name, want) in cases {
        #[derive(QueryableByName)]
        struct Def {
            #[diesel(sql_type = diesel::sql_types::Text)]
            def: String,
        }
        let def: Def = diesel::sql_query(
            "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = $1",
        )
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result(&mut c)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut listed: Vec<String> = def
            .def
            .split('\'')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect();
        listed.sort();
        assert_eq!(listed, want, "{name}: {}", def.def);
    }
}

/// An error and its sources, joined by ": ".
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut chain = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        chain.push_str(&format!(": {e}"));
        source = e.source();
    }
    chain
}

/// In the operator's notification tables a value no enum names does not fail
/// the read: the row reads, its value is the error naming the column and
/// the value, and the reader decides (a warning and the default, or the
/// recipient skipped).
#[test]
fn an_unknown_value_in_an_operators_table_reads_as_its_error() {
    use la_schema::codes::{SendAs, UnknownCode};
    use la_schema::models::{NotificationProfile, NotificationRecipient};
    use la_schema::schema::{notification_profiles as np, notification_recipients as nr};
    let db = migrated_db();
    let mut c = db.conn();
    c.batch_execute(
        "ALTER TABLE notification_profiles DROP CONSTRAINT ck_notification_profiles_scope,
             DROP CONSTRAINT ck_notification_profiles_attach_mode;
         ALTER TABLE notification_recipients DROP CONSTRAINT ck_notification_recipients_send_as;
         INSERT INTO pipelines (code, description) VALUES ('p', 'p');
         INSERT INTO notification_profiles (pipeline_id, code, env, scope, attach_mode)
         SELECT id, 'x', 'prod', 'regional', ' Per_Store_PDF ' FROM pipelines;
         INSERT INTO notification_recipients (profile_id, email_address, send_as)
         SELECT id, 'a@example.com', 'reply-to' FROM notification_profiles
         UNION ALL SELECT id, 'b@example.com', 'CC' FROM notification_profiles",
    )
    .unwrap();
    let p: NotificationProfile = np::table
        .filter(np::code.eq("x"))
        .select(NotificationProfile::as_select())
        .first(&mut c)
        .unwrap();
    let unknown = |column, what, value: &str| UnknownCode {
        column,
        what,
        value: value.into(),
    };
    assert_eq!(
        p.scope.0,
        Err(unknown(
            "notification_profiles.scope",
            "run/store/combined",
            "regional"
        ))
    );
    assert!(p.attach_mode.is(la_schema::codes::AttachMode::PerStorePdf));
    let r: Vec<NotificationRecipient> = nr::table
        .filter(nr::profile_id.eq(p.id))
        .order(nr::id)
        .select(NotificationRecipient::as_select())
        .load(&mut c)
        .unwrap();
    assert_eq!(
        r[0].send_as.0,
        Err(unknown(
            "notification_recipients.send_as",
            "to/cc/bcc",
            "reply-to"
        ))
    );
    assert!(r[1].send_as.is(SendAs::Cc));
    assert_eq!(p.scope.to_string(), "regional");
}
