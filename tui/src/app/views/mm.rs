//! The address-space picture: per process, each mapping as maps prints it,
//! a row of one glyph per page (`P` present, `s` swap PTE, `-` none; runs
//! folded as `P x786432` beyond the width), then the runs with their pfns,
//! so a frame shared by two processes reads the same pfn in both.
//!
//! ```text
//!   producer (pid 1000)
//!     7e0000000000-7e0000004000 rw-s /dev/shm/OS  4 pages
//!       PPs-
//!       [0-1]  P pfn 0x1..0x2 rw dirty shmem shared
//!     x [2]    s swap type 0 offset 0x1
//!       [3]    - none
//! ```

use super::{hex_range, range, Canvas, Picture};
use crate::app::theme::{Class, Theme};
use sim::view::frames::FrameKind;
use sim::view::mm::{MmView, ProcMm, PteDecode, PteRun, VmaRow};

/// Draws the address spaces of `now`, marking what differs from `before`.
pub fn picture(now: &MmView, before: Option<&MmView>, th: &Theme, width: u16) -> Picture {
    let mut c = Canvas::new(th);
    if now.procs.is_empty() {
        c.title("no process", false);
    }
    for p in &now.procs {
        let b = before.and_then(|b| b.procs.iter().find(|x| x.pid == p.pid));
        process(&mut c, p, b, before.is_some(), width);
    }
    c.done()
}

fn process(c: &mut Canvas, p: &ProcMm, b: Option<&ProcMm>, had_before: bool, width: u16) {
    c.title(
        format!("{} (pid {})", p.name, p.pid),
        had_before && b.is_none(),
    );
    if p.vmas.is_empty() {
        let s = c.span("  no mappings", Class::Dim, false);
        c.line(vec![s], false, false);
    }
    for v in &p.vmas {
        let bv = b.and_then(|b| b.vmas.iter().find(|x| x.start == v.start));
        vma(c, v, bv, had_before, width);
    }
}

fn vma(c: &mut Canvas, v: &VmaRow, b: Option<&VmaRow>, had_before: bool, width: u16) {
    let changed =
        had_before && b.is_none_or(|b| (b.end, &b.prot, &b.name) != (v.end, &v.prot, &v.name));
    let spans = vec![
        c.span(
            format!("  {:x}-{:x} ", v.start, v.end),
            Class::Word,
            changed,
        ),
        c.span(format!("{} ", v.prot), Class::Text, changed),
        c.span(v.name.clone(), Class::File, changed),
        c.span(
            format!(
                "  {} page{}",
                v.pages(),
                if v.pages() == 1 { "" } else { "s" }
            ),
            Class::Dim,
            false,
        ),
    ];
    c.line(spans, changed, false);
    glyph_row(c, v, b, had_before, width);
    for r in &v.ptes {
        let rc = had_before && b.is_none_or(|b| !covered(&b.ptes, r));
        pte_line(c, r, rc);
    }
}

/// Did `before` hold exactly these PTEs already?
fn covered(before: &[PteRun], r: &PteRun) -> bool {
    let i = before.partition_point(|b| b.page <= r.page);
    i.checked_sub(1)
        .and_then(|i| before.get(i))
        .is_some_and(|b| {
            r.page + r.count <= b.page + b.count && b.pte.nth(r.page - b.page) == r.pte
        })
}

/// The glyph of a PTE: `P` present (`0` the zero page), `s` swap, `-` none.
pub fn glyph(p: &PteDecode) -> (char, Class) {
    match p {
        PteDecode::None => ('-', Class::Hole),
        PteDecode::Present {
            frame: FrameKind::Zero,
            ..
        } => ('0', Class::Zero),
        PteDecode::Present { .. } => ('P', Class::Page),
        PteDecode::Swap { .. } => ('s', Class::Exceptional),
    }
}

fn glyph_row(c: &mut Canvas, v: &VmaRow, b: Option<&VmaRow>, had_before: bool, width: u16) {
    let room = (width as usize).saturating_sub(8).max(8);
    let mut spans = vec![c.span("    ", Class::Text, false)];
    let mut any_changed = false;
    if v.pages() as usize <= room {
        for r in &v.ptes {
            for i in 0..r.count {
                let one = PteRun {
                    page: r.page + i,
                    count: 1,
                    pte: r.pte.nth(i),
                };
                let ch = had_before && b.is_none_or(|b| !covered(&b.ptes, &one));
                any_changed |= ch;
                let (g, class) = glyph(&one.pte);
                spans.push(c.span(g.to_string(), class, ch));
            }
        }
    } else {
        for r in &v.ptes {
            let ch = had_before && b.is_none_or(|b| !covered(&b.ptes, r));
            any_changed |= ch;
            let (g, class) = glyph(&r.pte);
            let text = if r.count > 1 {
                format!("{g}x{} ", r.count)
            } else {
                format!("{g} ")
            };
            spans.push(c.span(text, class, ch));
        }
    }
    let exc = v
        .ptes
        .iter()
        .any(|r| matches!(r.pte, PteDecode::Swap { .. }));
    c.line(spans, any_changed, exc);
}

fn pte_line(c: &mut Canvas, r: &PteRun, changed: bool) {
    let (g, class) = glyph(&r.pte);
    let exc = matches!(r.pte, PteDecode::Swap { .. });
    let what = match r.pte {
        PteDecode::None => "none".to_string(),
        PteDecode::Present {
            pfn,
            write,
            dirty,
            frame,
            shared,
        } => format!(
            "pfn {} {}{} {}{}",
            if frame == FrameKind::Zero {
                format!("{pfn:#x}")
            } else {
                hex_range(pfn as u64, r.count)
            },
            if write { "rw" } else { "ro" },
            if dirty { " dirty" } else { "" },
            frame.name(),
            if shared { " shared" } else { "" },
        ),
        PteDecode::Swap { type_, offset } => {
            format!("SWAP type {type_} offset {}", hex_range(offset, r.count))
        }
    };
    let times = if r.count > 1 {
        format!(" x{}", r.count)
    } else {
        String::new()
    };
    let spans = vec![
        c.span("  ", Class::Text, false),
        c.span(
            if exc { "x" } else { " " },
            if exc { Class::Exceptional } else { Class::Text },
            false,
        ),
        c.span(" ", Class::Text, false),
        c.span(format!("{:<10}", range(r.page, r.count)), Class::Dim, false),
        c.span(format!("{g} "), class, changed),
        c.span(format!("{what}{times}"), class, changed),
    ];
    c.line(spans, changed, exc);
}
