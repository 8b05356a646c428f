//! `demo`: the whole pipeline on a throwaway PostgreSQL with realistic data.

use std::path::Path;

use chrono::NaiveDate;
use diesel::prelude::*;
use leads_assignment::pdf::ReportsLayout;
use leads_assignment::schema::seed::{self, MappingSeed, SeedLead};
use leads_assignment::{run_pipeline, EmailDelivery, PipelineOptions};

use crate::error::CmdError;
use crate::{exit, output};

/// A small deterministic generator (xorshift64*): the demo is the same every time.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const AREAS: [&str; 30] = [
    "Kothrud",
    "Baner",
    "Aundh",
    "Viman Nagar",
    "Kalyani Nagar",
    "Hadapsar",
    "Wakad",
    "Hinjewadi",
    "Magarpatta",
    "Koregaon Park",
    "Shivaji Nagar",
    "Deccan",
    "Karve Nagar",
    "Warje",
    "Pashan",
    "Bavdhan",
    "Kharadi",
    "Wagholi",
    "Andheri West",
    "Bandra West",
    "Powai",
    "Dadar",
    "Thane West",
    "Vashi",
    "Borivali",
    "Malad",
    "Chembur",
    "Juhu",
    "Colaba",
    "Goregaon",
];
const FIRST: [&str; 24] = [
    "Aarav", "Vivaan", "Aditya", "Ishaan", "Reyansh", "Ananya", "Diya", "Saanvi", "Kavya", "Priya",
    "Rohan", "Sneha", "Vikram", "Meera", "Arjun", "Pooja", "Rahul", "Neha", "José", "Anaïs",
    "Renée", "Zoë", "Chloé", "Noël",
];
const LAST: [&str; 18] = [
    "Deshpande",
    "Kulkarni",
    "Joshi",
    "Patil",
    "Shinde",
    "Sharma",
    "Iyer",
    "Nair",
    "Menon",
    "Reddy",
    "Gupta",
    "D'Souza",
    "Fernandes",
    "Pereira",
    "Mascarenhas",
    "Gonçalves",
    "Rodrigues",
    "Müller",
];
/// Customers whose names arrive in their own script (one in five).
const NATIVE: [&str; 10] = [
    "आरव देशपांडे",
    "स्नेहा कुलकर्णी",
    "क्षितिज श्रीवास्तव",
    "ਹਰਪ੍ਰੀਤ ਸਿੰਘ",
    "પ્રિયંકા શ્રીમાળી",
    "சுப்ரமணியம் ஐயர்",
    "శ్రీనివాస్ రెడ్డి",
    "ಕ್ಷಮಾ ಶ್ರೀನಿವಾಸ್",
    "সুদীপ্ত চট্টোপাধ্যায়",
    "بلال شاہد حسین",
];
const STREETS: [&str; 10] = [
    "Karve Road",
    "FC Road",
    "JM Road",
    "Law College Road",
    "SV Road",
    "Linking Road",
    "LBS Marg",
    "Hill Road",
    "Baner Road",
    "Nagar Road",
];
const SOURCES: [&str; 5] = ["app", "website", "call centre", "walk-in", "whatsapp"];

pub fn demo(leads: usize, out: &Path) -> Result<u8, CmdError> {
    let started = std::time::Instant::now();
    clear_previous(out)?;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    mark_as_demo(out)?;
    out!("Starting a throwaway PostgreSQL…");
    let server = la_pgtemp::TempServer::start().map_err(|e| e.to_string())?;
    let result = demo_on(&server, leads, out);
    server.stop();
    out!(
        "Throwaway PostgreSQL stopped. Demo took {:.1} s.",
        started.elapsed().as_secs_f64()
    );
    result
}

/// The file a demo leaves in the reports folder it wrote, so that the next
/// demo knows the folder is a demo's to clear (docs/decisions.md D26).
const DEMO_MARK: &str = ".leads-assignment-demo";

/// What an earlier demo wrote into `out` (the reports tree's own folder, and
/// nothing else) is removed, so old and new files never mix; only a folder a
/// demo marked as its own, or an empty one, is ever removed. Anything else
/// (real reports, a link) is refused with exit 2, and nothing is touched.
fn clear_previous(out: &Path) -> Result<(), CmdError> {
    let dir = out.join("leads_assignment");
    let Ok(meta) = std::fs::symlink_metadata(&dir) else {
        return Ok(());
    };
    let refuse = |why: &str| {
        CmdError::usage(format!(
            "{} {why}, so the demo will not clear it; choose another --out (an empty or new folder)",
            dir.display()
        ))
    };
    if !meta.is_dir() {
        return Err(refuse("is not a folder (a link or a file)"));
    }
    let marked = std::fs::symlink_metadata(dir.join(DEMO_MARK)).is_ok_and(|m| m.is_file());
    let empty = std::fs::read_dir(&dir)
        .map_err(|e| format!("reading {}: {e}", dir.display()))?
        .next()
        .is_none();
    if !marked && !empty {
        return Err(refuse("holds files no demo wrote"));
    }
    std::fs::remove_dir_all(&dir).map_err(|e| format!("clearing {}: {e}", dir.display()))?;
    out!("Cleared the previous demo's {}", dir.display());
    Ok(())
}

/// Marks `out`'s reports folder as a demo's (see [`clear_previous`]).
fn mark_as_demo(out: &Path) -> Result<(), CmdError> {
    let dir = leads_assignment::pdf::files::real_dir(&out.join("leads_assignment"))
        .map_err(|e| e.to_string())?;
    leads_assignment::pdf::write_file_atomically(
        &dir,
        DEMO_MARK,
        b"written by leads-assignment demo\n",
    )
    .map_err(|e| format!("marking {} as the demo's: {e}", dir.display()))?;
    Ok(())
}

fn demo_on(server: &la_pgtemp::TempServer, leads: usize, out: &Path) -> Result<u8, CmdError> {
    let url = server
        .create_database("leads_demo", None)
        .map_err(|e| e.to_string())?;
    let mut conn = leads_assignment::schema::connect(&url).map_err(|e| e.to_string())?;
    let applied =
        leads_assignment::schema::run_pending_migrations(&mut conn).map_err(|e| e.to_string())?;
    out!(
        "Migrated ({} migrations). Seeding {leads} missed leads over 30 stores…",
        applied.len()
    );
    let today: NaiveDate =
        leads_assignment::assign::business_date(&mut conn, None).map_err(|e| e.to_string())?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    seed_demo(&mut conn, &mut rng, leads, today, 1).map_err(|e| format!("seeding: {e}"))?;

    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let layout = ReportsLayout::new(out);
    let options = demo_options(out, &layout);
    let mut code = exit::OK;
    for run in 1..=2 {
        if run == 2 {
            let more = leads / 5;
            seed_more(&mut conn, &mut rng, more, leads as i32 + 1, today)
                .map_err(|e| format!("seeding: {e}"))?;
            out!("\n{more} new missed leads arrived. Second run the same day (daily caps and rowids continue):");
        } else {
            out!("\nFirst run:");
        }
        let report = run_pipeline(
            &mut conn,
            &PipelineOptions {
                run_id: Some(format!("demo-run-{run}")),
                ..options.clone()
            },
        )
        .map_err(|e| e.to_string())?;
        out_raw!("{}", output::run_summary(&report, out));
        if report.partly_done() {
            code = exit::PARTIAL;
        }
    }
    print_diagnostics(&mut conn)?;
    out!("\nSheets: {}", layout.sheet_dir(today).display());
    out!(
        "Emails (.eml files written to the outbox, nothing sent): {}",
        layout.outbox_dir().display()
    );
    Ok(code)
}

/// The demo's runs: dev, emails to the outbox under `out`.
fn demo_options(out: &Path, layout: &ReportsLayout) -> PipelineOptions {
    PipelineOptions {
        run_env: leads_assignment::RunEnv::Dev,
        run_id: None,
        triggered_by: "demo".into(),
        dry_run: false,
        ignore_skip_flag: false,
        reports_root: out.to_path_buf(),
        timezone: None,
        email: EmailDelivery::Outbox(layout.outbox_dir()),
        from: "Leads Desk <leads@laundry.example>".into(),
        progress: None,
        outstanding_after_days: None,
        collect: None,
    }
}

/// Each store's verdict after the runs.
fn print_diagnostics(conn: &mut PgConnection) -> Result<(), CmdError> {
    let diag = leads_assignment::diagnose(
        conn,
        &leads_assignment::DiagnoseOptions {
            store: None,
            run_env: leads_assignment::RunEnv::Dev,
            timezone: None,
        },
    )
    .map_err(|e| e.to_string())?;
    out!("\nDiagnostics after both runs:");
    for d in &diag {
        out!("  {:<8} {}", d.store_code, d.verdict);
    }
    Ok(())
}

fn lead(rng: &mut Rng, id: i32, store: &str, area: &str, today: NaiveDate) -> SeedLead {
    let name = match rng.below(5) {
        0 => rng.pick(&NATIVE).to_string(),
        _ => format!("{} {}", rng.pick(&FIRST), rng.pick(&LAST)),
    };
    let mut l = SeedLead::new(id, store, None, None);
    l.mobile_number = format!("9{:09}", 100_000_000 + rng.below(899_999_999));
    l.customer_name = Some(name);
    l.store_name = Some(area.to_string());
    l.special_instruction = match rng.below(7) {
        0 => None,
        6 => Some(format!("फ्लैट {}, शिवाजी नगर, पुणे", 1 + rng.below(99))),
        1 => Some(format!(
            "Call before pickup; gate code {}",
            1000 + rng.below(9000)
        )),
        _ => Some(format!(
            "Flat {}, {} Apartments, {}, {}",
            100 + rng.below(900),
            rng.pick(&["Shree", "Sai", "Gokul", "Sunshine", "Crystal", "Café Villa"]),
            rng.pick(&STREETS),
            area
        )),
    };
    l.customer_type = Some(
        rng.pick(&["New", "Existing", "Existing", "new customer", "Repeat"])
            .to_string(),
    );
    l.pickup_created_date = today.checked_sub_days(chrono::Days::new(rng.below(5) as u64));
    l.pickup_date = l
        .pickup_created_date
        .and_then(|d| d.checked_add_days(chrono::Days::new(1)));
    l.run_date = Some(today);
    l.source = Some(rng.pick(&SOURCES).to_string());
    l.final_source = (rng.below(3) == 0).then(|| "google ads".to_string());
    l.is_order_placed = match rng.below(10) {
        0 => Some(true),
        1..=4 => Some(false),
        _ => None,
    };
    l
}

fn store_code(i: usize) -> String {
    format!("{}{:02}", if i < 18 { "PNQ" } else { "BOM" }, i + 1)
}

fn seed_demo(
    conn: &mut PgConnection,
    rng: &mut Rng,
    leads: usize,
    today: NaiveDate,
    first_id: i32,
) -> QueryResult<()> {
    conn.transaction(|conn| {
        let mut agent_no = 0;
        let mut new_agent = |conn: &mut PgConnection,
                             rng: &mut Rng,
                             active: bool,
                             coded: bool|
         -> QueryResult<i64> {
            agent_no += 1;
            let name = match rng.below(5) {
                0 => rng.pick(&NATIVE).to_string(),
                _ => format!("{} {}", rng.pick(&FIRST), rng.pick(&LAST)),
            };
            let code = format!("{agent_no:04}");
            seed::agent(conn, coded.then_some(code.as_str()), &name, active)
        };
        for (i, area) in AREAS.iter().enumerate() {
            let code = store_code(i);
            // Two stores do not take part: their leads are never assigned.
            seed::store(conn, &code, Some(area), i != 7 && i != 23)?;
            let agents = 1 + rng.below(3);
            for k in 0..agents {
                let (active, coded) = match (i, k) {
                    (4, 1) => (false, true),  // an inactive agent
                    (11, 0) => (true, false), // an agent without agent_code
                    _ => (true, true),
                };
                let id = new_agent(conn, rng, active, coded)?;
                let caps = MappingSeed {
                    priority: if k == 2 { 200 } else { 100 },
                    max_existing_per_lot: [None, Some(15), Some(25)][rng.below(3)],
                    max_new_per_lot: [None, Some(8), Some(12)][rng.below(3)],
                    max_daily_leads: [None, Some(30), Some(40), Some(60)][rng.below(4)],
                    is_enabled: !(i == 19 && k == 0),
                };
                seed::mapping(conn, &code, id, caps)?;
            }
            // Recipients: the store's manager, sometimes a cc.
            seed::recipient(
                conn,
                Some(&code),
                "any",
                &format!("manager.{}@laundry.example", code.to_lowercase()),
                "to",
                true,
            )?;
            if i % 3 == 0 {
                seed::recipient(
                    conn,
                    Some(&code),
                    "dev",
                    &format!("area.lead.{}@laundry.example", code.to_lowercase()),
                    "cc",
                    true,
                )?;
            }
        }
        seed::recipient(conn, None, "any", "operations@laundry.example", "to", true)?;
        seed::recipient(
            conn,
            Some("ALL"),
            "any",
            "audit@laundry.example",
            "bcc",
            true,
        )?;
        seed_more_in(conn, rng, leads, first_id, today)
    })
}

fn seed_more(
    conn: &mut PgConnection,
    rng: &mut Rng,
    n: usize,
    first_id: i32,
    today: NaiveDate,
) -> QueryResult<()> {
    conn.transaction(|conn| seed_more_in(conn, rng, n, first_id, today))
}

fn seed_more_in(
    conn: &mut PgConnection,
    rng: &mut Rng,
    n: usize,
    first_id: i32,
    today: NaiveDate,
) -> QueryResult<()> {
    let rows: Vec<SeedLead> = (0..n)
        .map(|k| {
            let i = rng.below(AREAS.len());
            lead(rng, first_id + k as i32, &store_code(i), AREAS[i], today)
        })
        .collect();
    // Mobile numbers are unique per store.
    let mut seen = std::collections::HashSet::new();
    let rows: Vec<SeedLead> = rows
        .into_iter()
        .filter(|l| seen.insert((l.store_code.clone(), l.mobile_number.clone())))
        .collect();
    seed::leads(conn, &rows).map(|_| ())
}
