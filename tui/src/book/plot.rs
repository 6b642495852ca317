//! A line plot of `free`'s columns over a scenario's steps, as SVG.
//!
//! A few dozen lines of our own rather than a plotting crate: the plot is
//! polylines on a grid, and the numbers are the model's own readings.

use sim::fs::proc::MeminfoView;
use sim::runner::Run;
use sim::scenario::Scenario;
use std::fmt::Write;

/// One of `free`'s columns: its name, how procps computes it, its colour.
struct Column {
    name: &'static str,
    of: fn(&MeminfoView) -> i64,
    colour: &'static str,
    /// Lines that coincide stay apart: a wide solid line under a thin dashed one.
    width: u32,
    dash: &'static str,
}

fn f(m: &MeminfoView, name: &str) -> i64 {
    m.field(name).unwrap_or(0) as i64
}

/// procps `free`: used = total - available (falling back to free).
fn available(m: &MeminfoView) -> i64 {
    let a = f(m, "MemAvailable");
    if a == 0 || a > f(m, "MemTotal") {
        f(m, "MemFree")
    } else {
        a
    }
}

const COLUMNS: &[Column] = &[
    Column {
        name: "used",
        of: |m| f(m, "MemTotal") - available(m),
        colour: "#cd0000",
        width: 10,
        dash: "none",
    },
    Column {
        name: "free",
        of: |m| f(m, "MemFree"),
        colour: "#0000ee",
        width: 5,
        dash: "none",
    },
    Column {
        name: "buff/cache",
        of: |m| f(m, "Buffers") + f(m, "Cached") + f(m, "SReclaimable"),
        colour: "#00a000",
        width: 5,
        dash: "none",
    },
    Column {
        name: "shared",
        of: |m| f(m, "Shmem"),
        colour: "#cd00cd",
        width: 2,
        dash: "6 4",
    },
    Column {
        name: "available",
        of: available,
        colour: "#cd8500",
        width: 2,
        dash: "6 4",
    },
];

const W: i64 = 760;
const H: i64 = 380;
const LEFT: i64 = 70;
const RIGHT: i64 = 150;
const TOP: i64 = 30;
const BOTTOM: i64 = 50;

/// The plot of `s`: each column's change since the start, after each step.
pub fn free_plot(s: &Scenario) -> String {
    let mut r = Run::new(s);
    let mut rows = vec![reading(&r.kernel().meminfo_view())];
    let mut labels = Vec::new();
    while let Some(o) = r.step() {
        rows.push(reading(&r.kernel().meminfo_view()));
        if o.do_.contains("unlink") {
            labels.push((o.step, o.do_.clone()));
        }
    }
    let base = rows[0].clone();
    let rows: Vec<Vec<i64>> = rows
        .iter()
        .map(|r| r.iter().zip(&base).map(|(v, b)| v - b).collect())
        .collect();
    let lo = rows.iter().flatten().copied().min().unwrap_or(0).min(0);
    let hi = rows.iter().flatten().copied().max().unwrap_or(0).max(4);
    let (lo, hi, tick) = nice(lo, hi);
    let n = (rows.len() - 1).max(1) as i64;
    let x = |i: usize| LEFT + i as i64 * (W - LEFT - RIGHT) / n;
    let y = |v: i64| TOP + (hi - v) * (H - TOP - BOTTOM) / (hi - lo);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="DejaVu Sans, Helvetica, sans-serif" font-size="12">"#
    );
    let _ = writeln!(out, r##"<rect width="{W}" height="{H}" fill="#ffffff"/>"##);
    let _ = writeln!(
        out,
        r#"<text x="{LEFT}" y="18" font-size="14">free -k, change since the start (kB), after each step of {}</text>"#,
        escape(&s.file)
    );
    let mut v = lo;
    while v <= hi {
        let _ = writeln!(
            out,
            r##"<line x1="{LEFT}" y1="{0}" x2="{1}" y2="{0}" stroke="#dddddd"/><text x="{2}" y="{3}" text-anchor="end">{v:+}</text>"##,
            y(v),
            W - RIGHT,
            LEFT - 6,
            y(v) + 4
        );
        v += tick;
    }
    for i in 0..rows.len() {
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle">{i}</text>"#,
            x(i),
            H - BOTTOM + 16
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" text-anchor="middle">step</text>"#,
        (LEFT + W - RIGHT) / 2,
        H - 12
    );
    for (step, what) in &labels {
        let _ = writeln!(
            out,
            r##"<line x1="{0}" y1="{TOP}" x2="{0}" y2="{1}" stroke="#888888" stroke-dasharray="4 3"/><text x="{2}" y="{3}" font-size="10" transform="rotate(-90 {2} {3})">{4}</text>"##,
            x(*step),
            H - BOTTOM,
            x(*step) - 3,
            H - BOTTOM - 4,
            escape(what)
        );
    }
    for (c, col) in COLUMNS.iter().enumerate() {
        let pts: Vec<String> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| format!("{},{}", x(i), y(r[c])))
            .collect();
        let _ = writeln!(
            out,
            r#"<polyline fill="none" stroke="{}" stroke-width="{}" stroke-dasharray="{}" points="{}"/>"#,
            col.colour,
            col.width,
            col.dash,
            pts.join(" ")
        );
        let ly = TOP + 20 * c as i64 + 10;
        let _ = writeln!(
            out,
            r#"<line x1="{0}" y1="{ly}" x2="{1}" y2="{ly}" stroke="{2}" stroke-width="{6}" stroke-dasharray="{7}"/><text x="{3}" y="{4}">{5}</text>"#,
            W - RIGHT + 12,
            W - RIGHT + 32,
            col.colour,
            W - RIGHT + 38,
            ly + 4,
            col.name,
            col.width,
            col.dash
        );
    }
    out.push_str("</svg>\n");
    out
}

fn reading(m: &MeminfoView) -> Vec<i64> {
    COLUMNS.iter().map(|c| (c.of)(m)).collect()
}

/// Axis bounds widened to a tick of 1, 2 or 5 times a power of ten, about
/// six ticks in all.
fn nice(lo: i64, hi: i64) -> (i64, i64, i64) {
    let span = (hi - lo).max(1);
    let mut tick = 1;
    'search: for p in 0..12 {
        for m in [1, 2, 5] {
            let t = m * 10i64.pow(p);
            if span / t <= 6 {
                tick = t;
                break 'search;
            }
        }
    }
    (
        lo.div_euclid(tick) * tick,
        (hi + tick - 1).div_euclid(tick) * tick,
        tick,
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::nice;

    #[test]
    fn axis_bounds_hold_the_data_on_round_ticks() {
        assert_eq!(nice(0, 48), (0, 50, 10));
        assert_eq!(nice(-48, 48), (-60, 60, 20));
        assert_eq!(nice(0, 4), (0, 4, 1));
    }
}
