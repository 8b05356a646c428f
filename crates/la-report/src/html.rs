//! The report as one self-contained HTML page: the table, and charts drawn
//! by plotters as inline SVG. No external script, style, font or image.

use plotters::prelude::*;

use crate::columns::Column;
use crate::format::FormatError;
use crate::queries::{GroupBy, ReportFilter, ReportRow};

/// What the page shows: the report's own rows and the three charts' data.
#[derive(Debug)]
pub struct HtmlReport<'a> {
    pub by: GroupBy,
    pub filter: &'a ReportFilter,
    pub rows: &'a [ReportRow],
    pub by_agent: &'a [ReportRow],
    pub by_store: &'a [ReportRow],
    pub by_day: &'a [ReportRow],
}

/// A bar series: its name, colour and one value per label.
struct Series<'a> {
    name: &'a str,
    color: RGBColor,
    values: Vec<f64>,
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:1em 0}th,td{padding:.25em .6em;border-bottom:1px solid #ddd}\
td.n{text-align:right}th{background:#f3f3f3;text-align:left}figure{margin:1.5em 0}";

impl HtmlReport<'_> {
    /// The page.
    pub fn page(&self) -> Result<String, FormatError> {
        let f = self.filter;
        let mut html = format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>Leads assignment report {} to {}</title><style>{STYLE}</style></head><body>\n\
             <h1>Leads assignment: outcomes {} to {}</h1>\n<p>By {}; stores: {}; a sheet is outstanding when none of its leads has an outcome {} or more days after its batch.</p>\n",
            f.from,
            f.to,
            f.from,
            f.to,
            self.by.as_str(),
            if f.stores.is_empty() {
                "all".to_string()
            } else {
                escape(&f.stores.join(", "))
            },
            f.older_than_days
        );
        html.push_str(&table(self.by, self.rows));
        for chart in [
            self.conversion_chart()?,
            self.store_chart()?,
            self.day_chart()?,
        ] {
            html.push_str(&format!("<figure>{chart}</figure>\n"));
        }
        html.push_str("</body></html>\n");
        Ok(html)
    }

    fn conversion_chart(&self) -> Result<String, FormatError> {
        let labels: Vec<String> = self
            .by_agent
            .iter()
            .map(|r| r.agent_code.clone().unwrap_or_default())
            .collect();
        let values = self
            .by_agent
            .iter()
            .map(ReportRow::conversion_rate)
            .collect();
        bar_chart(
            "Conversion rate per agent",
            &labels,
            &[Series {
                name: "conversion rate",
                color: RGBColor(46, 125, 50),
                values,
            }],
        )
    }

    fn store_chart(&self) -> Result<String, FormatError> {
        let labels: Vec<String> = self
            .by_store
            .iter()
            .map(|r| r.store_code.clone().unwrap_or_default())
            .collect();
        let count = |f: fn(&ReportRow) -> i64| self.by_store.iter().map(|r| f(r) as f64).collect();
        bar_chart(
            "Assigned and converted per store",
            &labels,
            &[
                Series {
                    name: "assigned",
                    color: RGBColor(96, 125, 139),
                    values: count(|r| r.assigned),
                },
                Series {
                    name: "converted",
                    color: RGBColor(46, 125, 50),
                    values: count(|r| r.converted),
                },
            ],
        )
    }

    fn day_chart(&self) -> Result<String, FormatError> {
        let labels: Vec<String> = self
            .by_day
            .iter()
            .map(|r| {
                r.batch_date
                    .map(|d| d.format("%d-%m").to_string())
                    .unwrap_or_default()
            })
            .collect();
        let values = self.by_day.iter().map(|r| r.converted as f64).collect();
        bar_chart(
            "Converted per day",
            &labels,
            &[Series {
                name: "converted",
                color: RGBColor(46, 125, 50),
                values,
            }],
        )
    }
}

/// The report's table: the same columns as CSV.
fn table(by: GroupBy, rows: &[ReportRow]) -> String {
    let columns = Column::for_grouping(by);
    let mut t = String::from("<table>\n<tr>");
    for c in &columns {
        t.push_str(&format!("<th>{}</th>", c.name()));
    }
    t.push_str("</tr>\n");
    for row in rows {
        t.push_str("<tr>");
        for c in &columns {
            let v = c.value(row);
            let class = if v.is_number() { " class=\"n\"" } else { "" };
            t.push_str(&format!("<td{class}>{}</td>", escape(&v.text())));
        }
        t.push_str("</tr>\n");
    }
    t.push_str("</table>\n");
    t
}

/// Grouped bars, one group per label, as an inline `<svg>`.
fn bar_chart(title: &str, labels: &[String], series: &[Series]) -> Result<String, FormatError> {
    let chart_err = |e: &dyn std::fmt::Display| FormatError::Chart(e.to_string());
    let n = labels.len().max(1);
    let top = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0f64, f64::max);
    let top = if top > 0.0 { top * 1.1 } else { 1.0 };
    let width = u32::try_from(160 + 48 * n)
        .unwrap_or(u32::MAX)
        .clamp(480, 1600);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| chart_err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..top)
            .map_err(|e| chart_err(&e))?;
        let label_of = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&label_of)
            .draw()
            .map_err(|e| chart_err(&e))?;
        let slot = 0.8 / series.len().max(1) as f64;
        for (k, s) in series.iter().enumerate() {
            let color = s.color;
            let bars = s.values.iter().enumerate().map(move |(i, v)| {
                let x0 = i as f64 - 0.4 + slot * k as f64;
                Rectangle::new([(x0, 0.0), (x0 + slot * 0.9, *v)], color.filled())
            });
            chart
                .draw_series(bars)
                .map_err(|e| chart_err(&e))?
                .label(s.name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled())
                });
        }
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE)
            .draw()
            .map_err(|e| chart_err(&e))?;
        root.present().map_err(|e| chart_err(&e))?;
    }
    // Inline SVG in HTML needs no namespace declaration; without it the page
    // names no outside address at all.
    Ok(svg.replace(" xmlns=\"http://www.w3.org/2000/svg\"", ""))
}

/// Text for HTML.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
