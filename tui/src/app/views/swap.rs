//! The swap picture: each area with its used `swap_map` slots (count and
//! `SWAP_HAS_CACHE` decoded), then the swap cache (entry -> pfn).
//!
//! ```text
//!   swap area 0 /swapfile  8191 pages, 3 in use
//!   x   [1-3]    map 0x41  1 ref + SWAP_HAS_CACHE
//!   swap cache
//!   x   type 0 offset 0x1..0x3 -> pfn 0x5..0x7
//! ```

use super::{hex_range, range, Canvas, Picture};
use crate::app::theme::{Class, Theme};
use sim::view::swap::{AreaView, CacheRun, SlotRun, SwapView};

/// Draws the swap areas and swap cache of `now`, marking what differs from `before`.
pub fn picture(now: &SwapView, before: Option<&SwapView>, th: &Theme, _width: u16) -> Picture {
    let mut c = Canvas::new(th);
    if now.areas.is_empty() {
        c.title("no swap area (swapon)", false);
    }
    for a in &now.areas {
        let b = before.and_then(|b| b.areas.iter().find(|x| x.type_ == a.type_));
        area(&mut c, a, b, before.is_some());
    }
    let n = now.cache.len();
    let runs = if n == 1 { "run" } else { "runs" };
    c.title(format!("swap cache ({n} {runs})"), false);
    if now.cache.is_empty() {
        let s = c.span("    empty", Class::Dim, false);
        c.line(vec![s], false, false);
    }
    for r in &now.cache {
        let changed = before.is_some_and(|b| !cache_covered(&b.cache, r));
        let spans = vec![
            c.span("x", Class::Exceptional, false),
            c.span("   ", Class::Text, false),
            c.span(
                format!("type {} offset {} ", r.type_, hex_range(r.offset, r.count)),
                Class::Exceptional,
                changed,
            ),
            c.span(
                format!("-> pfn {}", hex_range(r.pfn as u64, r.count)),
                Class::SwapCache,
                changed,
            ),
        ];
        c.line(spans, changed, true);
    }
    c.done()
}

fn area(c: &mut Canvas, a: &AreaView, b: Option<&AreaView>, had_before: bool) {
    let changed = had_before && b.is_none_or(|b| b.inuse != a.inuse);
    let state = if a.writeok { "" } else { " (off)" };
    c.title(
        format!(
            "swap area {} {}  {} pages, {} in use{state}",
            a.type_, a.path, a.pages, a.inuse
        ),
        changed,
    );
    for r in &a.used {
        let rc = had_before && b.is_none_or(|b| !covered(&b.used, r));
        slot(c, r, rc);
    }
}

fn covered(before: &[SlotRun], r: &SlotRun) -> bool {
    before
        .iter()
        .any(|b| b.map == r.map && b.offset <= r.offset && r.offset + r.count <= b.offset + b.count)
}

fn cache_covered(before: &[CacheRun], r: &CacheRun) -> bool {
    before.iter().any(|b| {
        b.type_ == r.type_
            && b.offset <= r.offset
            && r.offset + r.count <= b.offset + b.count
            && b.pfn as u64 + (r.offset - b.offset) == r.pfn as u64
    })
}

fn slot(c: &mut Canvas, r: &SlotRun, changed: bool) {
    let refs = match r.refs {
        1 => "1 ref".to_string(),
        n => format!("{n} refs"),
    };
    let cache = if r.has_cache { " + SWAP_HAS_CACHE" } else { "" };
    let spans = vec![
        c.span("x", Class::Exceptional, false),
        c.span("   ", Class::Text, false),
        c.span(
            format!("{:<12}", range(r.offset, r.count)),
            Class::Dim,
            false,
        ),
        c.span(format!("map {:#04x}  ", r.map), Class::Word, changed),
        c.span(format!("{refs}{cache}"), Class::Exceptional, changed),
    ];
    c.line(spans, changed, true);
}
