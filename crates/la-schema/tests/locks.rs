//! Advisory locks against a real PostgreSQL: a session lock is exclusive
//! between sessions and gone with its session.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use la_schema::locks::{self, RUN, SHEETS};
use la_schema::testing::migrated_db;

#[test]
fn a_session_lock_is_exclusive_and_ends_with_its_session() {
    let db = migrated_db();
    let mut a = db.conn();
    let mut b = db.conn();
    locks::lock(&mut a, RUN, 7).unwrap();
    assert!(!locks::try_lock(&mut b, RUN, 7).unwrap(), "held by a");
    assert!(
        locks::try_lock(&mut b, SHEETS, 7).unwrap(),
        "another purpose, another key"
    );
    assert!(
        locks::try_lock(&mut b, RUN, 8).unwrap(),
        "another id, another key"
    );
    locks::unlock(&mut a, RUN, 7).unwrap();
    assert!(locks::try_lock(&mut b, RUN, 7).unwrap(), "released");
    drop(b);
    // The server ends b's session on its own time: wait for it, bounded.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !locks::try_lock(&mut a, RUN, 7).unwrap() {
        assert!(
            Instant::now() < deadline,
            "never released after b's session ended"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
