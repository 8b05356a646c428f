//! The sheet parser never panics, whatever the bytes: arbitrary bytes and
//! mutated real sheets (bounded proptest run; README "Fuzzing the parser").
//! `PROPTEST_CASES` raises the number of cases.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::sync::OnceLock;

use la_pdf::ingest::read_sheet;
use proptest::prelude::*;

fn base() -> &'static [u8] {
    static BASE: OnceLock<Vec<u8>> = OnceLock::new();
    BASE.get_or_init(|| la_pdf::render_sheet(&common::sheet(3)).unwrap().bytes)
}

/// Runs the parser with panics caught by the test (not by the parser), so a
/// panic inside fails the property.
fn parse_without_panic(bytes: &[u8]) {
    let r = std::panic::catch_unwind(|| {
        let _ = read_sheet(Path::new("fuzz.pdf"), bytes);
    });
    assert!(r.is_ok(), "read_sheet panicked on {} bytes", bytes.len());
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes(mut bytes in proptest::collection::vec(any::<u8>(), 0..4096), pdf_frame in any::<bool>()) {
        if pdf_frame {
            let mut framed = b"%PDF-1.7\n".to_vec();
            framed.append(&mut bytes);
            framed.extend_from_slice(b"\n%%EOF\n");
            bytes = framed;
        }
        parse_without_panic(&bytes);
    }

    #[test]
    fn mutated_sheets(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..24),
                      cut in proptest::option::of(any::<prop::sample::Index>())) {
        let mut bytes = base().to_vec();
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        if let Some(cut) = cut {
            let keep = cut.index(bytes.len());
            bytes.truncate(keep);
            bytes.extend_from_slice(b"\n%%EOF\n");
        }
        parse_without_panic(&bytes);
    }
}
