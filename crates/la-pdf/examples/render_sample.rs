//! Renders a sample sheet to a file: `cargo run -p la-pdf --example render_sample -- OUT.pdf [LEADS]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use chrono::NaiveDate;
use la_pdf::{render_sheet, Sheet, SheetHeader, SheetRow};

fn main() {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "sample.pdf".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(30);
    let date = NaiveDate::from_ymd_opt(2025, 1, 29).unwrap();
    let names = [
        "José Müller",
        "Ελένη Παπαδοπούλου",
        "Иван Петров",
        "Asha Patil",
        "Priya Deshmukh",
    ];
    let sheet = Sheet {
        header: SheetHeader {
            page_group_code: "L2501290001".into(),
            agent_code: "0001".into(),
            agent_name: "Asha Kulkarni".into(),
            store_code: "S001".into(),
            store_name: Some("Kothrud".into()),
            batch_id: 17,
            batch_date: date,
        },
        rows: (1..=n)
            .map(|i| SheetRow {
                rowid: i as i32,
                lead_assignment_code: format!("L2501290001-{i:04}"),
                lead_date: Some(date),
                lead_type: Some(if i % 3 == 0 { "N" } else { "E" }.into()),
                mobile_number: format!("98{i:08}"),
                cx_name: Some(names[i % names.len()].into()),
                address: Some(format!(
                    "Flat {i}, Karve Road, near Deccan Gymkhana bus stop, Pune 411004, Maharashtra"
                )),
                lead_source: Some("google".into()),
            })
            .collect(),
    };
    let r = render_sheet(&sheet).unwrap();
    std::fs::write(&out, &r.bytes).unwrap();
    println!(
        "{out}: {} leads, {} pages, {} bytes",
        n,
        r.pages,
        r.bytes.len()
    );
}
