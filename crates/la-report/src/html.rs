//! The report as one self-contained HTML page: the table, and charts drawn
//! by plotters as inline SVG. No external script, style, font or image. It
//! fits its window from a phone (390 px) to a desktop (1280 px): charts
//! scale to their container, the table scrolls inside its own box, legends
//! sit above the charts, counts have whole-number ticks, rates are
//! percentages and amounts rupees in Indian grouping (docs/decisions.md D31).

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

/// What a chart's value axis counts.
#[derive(Clone, Copy, PartialEq)]
enum Axis {
    /// Whole numbers.
    Count,
    /// A ratio, shown as a percentage.
    Percent,
}

const GREEN: RGBColor = RGBColor(46, 125, 50);
const SLATE: RGBColor = RGBColor(96, 125, 139);
/// The charts' drawing width; the page scales them to its own.
const CHART_W: u32 = 640;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0 auto;padding:1em;max-width:1240px;color:#222;line-height:1.4}\
h1{font-size:1.4em}h2{font-size:1.1em;margin:0 0 .3em}\
.scroll{overflow-x:auto;max-width:100%}\
table{border-collapse:collapse;margin:1em 0;font-size:.88em;font-variant-numeric:tabular-nums}\
th,td{padding:.3em .45em;border-bottom:1px solid #ddd}td{white-space:nowrap}\
td.n,th.n{text-align:right}th{background:#f3f3f3;text-align:left;vertical-align:bottom}\
figure{margin:1.5em 0;max-width:760px}figure svg{display:block;width:100%;height:auto}\
.legend{margin:.2em 0 .4em;font-size:.9em}.legend span{display:inline-block;margin-right:1em}\
.legend i{display:inline-block;width:.8em;height:.8em;margin-right:.3em;vertical-align:-.05em}\
@media (max-width:600px){body{padding:.6em}h1{font-size:1.15em}table{font-size:.8em}}";

impl HtmlReport<'_> {
    /// The page.
    pub fn page(&self) -> Result<String, FormatError> {
        let f = self.filter;
        let stores = if f.stores.is_empty() {
            "all".to_string()
        } else {
            escape(&f.stores.join(", "))
        };
        let mut html = format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>Leads assignment report {from} to {to}</title><style>{STYLE}</style></head><body>\n\
             <h1>Leads assignment: outcomes {from} to {to}</h1>\n<p>By {by}; stores: {stores}; a sheet is outstanding when none of its leads has an outcome {days} or more days after its batch.</p>\n",
            from = f.from.format("%d-%m-%Y"),
            to = f.to.format("%d-%m-%Y"),
            by = self.by.title(),
            days = f.older_than_days,
        );
        html.push_str(&table(self.by, self.rows));
        for chart in [
            self.conversion_chart()?,
            self.store_chart()?,
            self.day_chart()?,
        ] {
            html.push_str(&chart);
        }
        html.push_str("</body></html>\n");
        Ok(html)
    }

    /// Conversion per agent, by name and code, as percentages.
    fn conversion_chart(&self) -> Result<String, FormatError> {
        let labels = self.by_agent.iter().map(agent_label).collect();
        let values = self
            .by_agent
            .iter()
            .map(ReportRow::conversion_rate)
            .collect();
        let series = [Series {
            name: "conversion rate",
            color: GREEN,
            values,
        }];
        let chart = Chart::across("Conversion rate per agent", labels, &series, Axis::Percent);
        figure(&chart)
    }

    fn store_chart(&self) -> Result<String, FormatError> {
        let labels = self.by_store.iter().map(store_label).collect();
        let count = |f: fn(&ReportRow) -> i64| self.by_store.iter().map(|r| f(r) as f64).collect();
        let series = [
            Series {
                name: "assigned",
                color: SLATE,
                values: count(|r| r.assigned),
            },
            Series {
                name: "converted",
                color: GREEN,
                values: count(|r| r.converted),
            },
        ];
        figure(&Chart::across(
            "Assigned and converted per store",
            labels,
            &series,
            Axis::Count,
        ))
    }

    fn day_chart(&self) -> Result<String, FormatError> {
        let labels = (self.by_day.iter())
            .map(|r| {
                r.batch_date
                    .map(|d| d.format("%d-%m").to_string())
                    .unwrap_or_default()
            })
            .collect();
        let values = self.by_day.iter().map(|r| r.converted as f64).collect();
        let series = [Series {
            name: "converted",
            color: GREEN,
            values,
        }];
        figure(&Chart::upright("Converted per day", labels, &series))
    }
}

/// The most characters a chart label takes.
const LABEL_CHARS: usize = 26;

/// "Name (code)", the name shortened so that the code always shows; or
/// whichever of the two there is.
fn agent_label(r: &ReportRow) -> String {
    match (r.agent_name.as_deref(), r.agent_code.as_deref()) {
        (Some(name), Some(code)) => {
            let room = LABEL_CHARS.saturating_sub(code.chars().count() + 3);
            format!("{} ({code})", shortened(name, room))
        }
        (name, code) => name.or(code).unwrap_or_default().to_string(),
    }
}

/// `text` in at most `room` characters, cut with "…".
fn shortened(text: &str, room: usize) -> String {
    if text.chars().count() <= room {
        return text.to_string();
    }
    (text.chars().take(room.saturating_sub(1)))
        .chain(['…'])
        .collect()
}

fn store_label(r: &ReportRow) -> String {
    r.store_code.clone().unwrap_or_default()
}

/// The report's table: the same columns as CSV, with human headings and
/// values as people read them; it scrolls inside its box, never the page.
fn table(by: GroupBy, rows: &[ReportRow]) -> String {
    let columns = Column::for_grouping(by);
    let mut t = String::from("<div class=\"scroll\"><table>\n<tr>");
    for c in &columns {
        let class = if c.is_figure() { " class=\"n\"" } else { "" };
        t.push_str(&format!("<th{class}>{}</th>", c.title()));
    }
    t.push_str("</tr>\n");
    for row in rows {
        t.push_str("<tr>");
        for c in &columns {
            let v = c.value(row);
            let class = if v.is_number() { " class=\"n\"" } else { "" };
            t.push_str(&format!("<td{class}>{}</td>", escape(&v.shown())));
        }
        t.push_str("</tr>\n");
    }
    t.push_str("</table></div>\n");
    t
}

/// A chart's data: bars across (one row per label, for long names) or
/// upright (one column per label, for days).
struct Chart<'a> {
    title: &'a str,
    labels: Vec<String>,
    series: &'a [Series<'a>],
    axis: Axis,
    across: bool,
}

impl<'a> Chart<'a> {
    fn across(title: &'a str, labels: Vec<String>, series: &'a [Series], axis: Axis) -> Self {
        Chart {
            title,
            labels,
            series,
            axis,
            across: true,
        }
    }

    fn upright(title: &'a str, labels: Vec<String>, series: &'a [Series]) -> Self {
        Chart {
            title,
            labels,
            series,
            axis: Axis::Count,
            across: false,
        }
    }

    /// The value axis' end: the largest value, or 1 (a percentage: up to
    /// the next 10 %).
    fn top(&self) -> f64 {
        let max = (self.series.iter())
            .flat_map(|s| s.values.iter().copied())
            .fold(0.0f64, f64::max);
        match self.axis {
            Axis::Percent => ((max * 10.0).ceil() / 10.0).clamp(0.1, 1.0),
            Axis::Count => max.ceil().max(1.0),
        }
    }

    /// The drawing's size: rows of 26 px (per series) across, else 300 px.
    fn size(&self) -> (u32, u32) {
        let rows = self.labels.len().max(1) * self.series.len().max(1);
        let height = if self.across { 40 + 26 * rows } else { 300 };
        (CHART_W, u32::try_from(height).unwrap_or(u32::MAX))
    }
}

/// The chart in a `<figure>`: its title, an HTML legend above the drawing
/// (it covers nothing), the drawing.
fn figure(chart: &Chart) -> Result<String, FormatError> {
    let legend: String = (chart.series.iter())
        .map(|s| {
            let RGBColor(r, g, b) = s.color;
            format!(
                "<span><i style=\"background:rgb({r},{g},{b})\"></i>{}</span>",
                s.name
            )
        })
        .collect();
    let svg = draw(chart).map_err(|e| FormatError::Chart(e.to_string()))?;
    Ok(format!(
        "<figure><h2>{}</h2><div class=\"legend\">{legend}</div>{svg}</figure>\n",
        chart.title
    ))
}

type Drawing<'b> = DrawingArea<SVGBackend<'b>, plotters::coord::Shift>;

/// The bars as an inline `<svg>` that scales with the page.
fn draw(chart: &Chart) -> Result<String, Box<dyn std::error::Error>> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, chart.size()).into_drawing_area();
        root.fill(&WHITE)?;
        if chart.across {
            draw_across(chart, &root)?;
        } else {
            draw_upright(chart, &root)?;
        }
        root.present()?;
    }
    Ok(scalable(&svg))
}

/// How a value-axis tick reads.
fn tick(axis: Axis, v: f64) -> String {
    match axis {
        Axis::Percent => format!("{:.0} %", v * 100.0),
        Axis::Count => crate::columns::indian(&format!("{v:.0}")),
    }
}

/// How many value ticks to ask for: with a whole-number end, plotters
/// then steps by whole numbers (1, 2, 5, 10 …); by tenths for percentages.
fn ticks(axis: Axis, top: f64) -> usize {
    match axis {
        Axis::Percent => (top * 10.0).round() as usize + 1,
        Axis::Count => (top as usize + 1).min(11),
    }
}

/// The label at category position `v` (a whole number, every `every`th),
/// else nothing.
fn label_at(labels: &[String], v: f64, every: usize) -> String {
    let i = v.round();
    if (v - i).abs() > 1e-6 || i < 0.0 || !(i as usize).is_multiple_of(every.max(1)) {
        return String::new();
    }
    let l = labels
        .get(i as usize)
        .map(String::as_str)
        .unwrap_or_default();
    shortened(l, LABEL_CHARS)
}

/// One series' bars: bar `i` spans `slot` of the category at `at(i)`,
/// offset for series `k`.
fn bars<'s>(
    s: &'s Series,
    k: usize,
    slot: f64,
    at: impl Fn(usize) -> f64 + 's,
    across: bool,
) -> impl Iterator<Item = Rectangle<(f64, f64)>> + 's {
    s.values.iter().enumerate().map(move |(i, v)| {
        let c0 = at(i) - 0.4 + slot * k as f64;
        let (c0, c1) = (c0, c0 + slot * 0.9);
        let corners = if across {
            [(0.0, c0), (*v, c1)]
        } else {
            [(c0, 0.0), (c1, *v)]
        };
        Rectangle::new(corners, s.color.filled())
    })
}

/// Bars across: labels down the left (the first at the top), values along.
fn draw_across(chart: &Chart, root: &Drawing) -> Result<(), Box<dyn std::error::Error>> {
    let (n, top, axis) = (chart.labels.len().max(1), chart.top(), chart.axis);
    let mut c = ChartBuilder::on(root)
        .margin(8)
        .x_label_area_size(28)
        .y_label_area_size(190)
        .build_cartesian_2d(0f64..top, -0.5f64..(n as f64 - 0.5))?;
    let flipped: Vec<String> = chart.labels.iter().rev().cloned().collect();
    c.configure_mesh()
        .disable_y_mesh()
        .x_labels(ticks(axis, top))
        .x_label_formatter(&|v| tick(axis, *v))
        .y_labels(n)
        .y_label_formatter(&|v| label_at(&flipped, *v, 1))
        .label_style(("sans-serif", 15))
        .max_light_lines(1)
        .draw()?;
    let slot = 0.8 / chart.series.len().max(1) as f64;
    for (k, s) in chart.series.iter().enumerate() {
        // Later series sit above: the first series' bar is the top one.
        let k = chart.series.len() - 1 - k;
        c.draw_series(bars(s, k, slot, move |i| (n - 1 - i) as f64, true))?;
    }
    Ok(())
}

/// Bars upright: labels along the bottom, values up the left.
fn draw_upright(chart: &Chart, root: &Drawing) -> Result<(), Box<dyn std::error::Error>> {
    let (n, top, axis) = (chart.labels.len().max(1), chart.top(), chart.axis);
    let mut c = ChartBuilder::on(root)
        .margin(8)
        .x_label_area_size(32)
        .y_label_area_size(56)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..top)?;
    c.configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        // At most 12 labels along: every other day, every third…
        .x_label_formatter(&|v| label_at(&chart.labels, *v, n.div_ceil(12)))
        .y_labels(ticks(axis, top))
        .y_label_formatter(&|v| tick(axis, *v))
        .label_style(("sans-serif", 15))
        .max_light_lines(1)
        .draw()?;
    let slot = 0.8 / chart.series.len().max(1) as f64;
    for (k, s) in chart.series.iter().enumerate() {
        c.draw_series(bars(s, k, slot, |i| i as f64, false))?;
    }
    Ok(())
}

/// Plotters' `<svg width= height=>` as a drawing that scales to its
/// container (the stylesheet sets its width), keeping its proportions; and
/// without the namespace declaration inline SVG needs not, so the page
/// names no outside address at all.
fn scalable(svg: &str) -> String {
    let svg = svg.replace(" xmlns=\"http://www.w3.org/2000/svg\"", "");
    let Some(end) = svg.find('>') else {
        return svg;
    };
    let (head, rest) = svg.split_at(end);
    let mut attrs: Vec<String> = Vec::new();
    let (mut w, mut h) = ("0".to_string(), "0".to_string());
    for part in head.trim_start_matches("<svg").split_whitespace() {
        match part.split_once('=') {
            Some(("width", v)) => w = v.trim_matches('"').to_string(),
            Some(("height", v)) => h = v.trim_matches('"').to_string(),
            Some(("viewBox", _)) => {}
            _ => attrs.push(part.to_string()),
        }
    }
    format!(
        "<svg viewBox=\"0 0 {w} {h}\" role=\"img\"{}{}{rest}",
        if attrs.is_empty() { "" } else { " " },
        attrs.join(" ")
    )
}

/// Text for HTML.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
