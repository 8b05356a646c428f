//! Benchmark: render 400 sheets × 250 leads (100,000 leads) of Latin, Greek
//! and Cyrillic names, the same in a mix of every script the sheets support,
//! and one 1,000-lead sheet, from in-memory rows, on one thread.
//!
//! `cargo run --release -p la-pdf --example bench_render`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::Instant;

use chrono::NaiveDate;
use la_pdf::{render_sheet, Sheet, SheetHeader, SheetKey, SheetRow};

fn mixed(store: usize, n: usize) -> Sheet {
    let mut s = sheet(store, n);
    let scripts = la_schema::testing::names_in_every_script();
    for (i, row) in s.rows.iter_mut().enumerate() {
        let (_, name, address) = scripts[(store + i) % scripts.len()];
        row.cx_name = Some(name.into());
        row.address = Some(address.into());
    }
    s
}

fn sheet(store: usize, n: usize) -> Sheet {
    let date = NaiveDate::from_ymd_opt(2025, 1, 29).unwrap();
    let names = [
        "José Müller",
        "Ελένη Παπαδοπούλου",
        "Иван Петров",
        "Asha Patil",
        "Priya Deshmukh",
        "Rahul Sharma",
    ];
    let agent = format!("{:04}", store + 1);
    let pgc = format!("L250129{agent}");
    let mut sheet = Sheet {
        header: SheetHeader {
            page_group_code: pgc.clone(),
            agent_code: agent.clone(),
            agent_name: format!("Agent {store}"),
            store_code: format!("S{store:04}"),
            store_name: Some(format!("Store {store}")),
            batch_id: 1,
            batch_date: date,
        },
        rows: (1..=n)
            .map(|i| SheetRow {
                rowid: i as i32,
                lead_assignment_code: format!("{pgc}-{i:04}"),
                lead_date: Some(date),
                lead_type: Some(if i % 3 == 0 { "N" } else { "E" }.into()),
                mobile_number: format!("9{:09}", store * 1000 + i),
                cx_name: Some(names[(store + i) % names.len()].into()),
                address: Some(format!("Flat {i}, Lane {store}, Karve Road, Pune 411004")),
                lead_source: Some("google".into()),
            })
            .collect(),
        identity: None,
    };
    la_pdf::identity::sign_sheet(&mut sheet, 1, &SheetKey::from_bytes(&[1; 32])).unwrap();
    sheet
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Renders 400 sheets of 250 leads made by `make`; prints the figures.
fn run(label: &str, make: fn(usize, usize) -> Sheet) {
    let sheets: Vec<Sheet> = (0..400).map(|s| make(s, 250)).collect();
    let t = Instant::now();
    let mut bytes = 0usize;
    for s in &sheets {
        bytes += render_sheet(s).unwrap().bytes.len();
    }
    let el = t.elapsed().as_secs_f64();
    println!(
        "{label}: 400 sheets x 250 leads: {:.3} s, {:.0} leads/s, {:.0} bytes/lead",
        el,
        100_000.0 / el,
        bytes as f64 / 100_000.0
    );
}

fn main() {
    run("latin", sheet);
    run("mixed", mixed);
    let big = sheet(0, 1000);
    let t = Instant::now();
    let r = render_sheet(&big).unwrap();
    let el = t.elapsed().as_secs_f64();
    println!(
        "1 sheet x 1000 leads: {:.3} s, {:.0} leads/s, {:.0} bytes/lead, {} pages",
        el,
        1000.0 / el,
        r.bytes.len() as f64 / 1000.0,
        r.pages
    );
    println!("peak RSS: {:.1} MB", peak_rss_mb());
}
