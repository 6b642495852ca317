//! The page cache picture: each file's radix tree (or XArray), indented
//! root -> nodes -> slot runs, each slot with its raw word and decoding.
//!
//! ```text
//!   /dev/shm/OS  ino 12  size 16384  nrpages 3  nrexceptional 1  alloced 4 swapped 1  [radix]
//!     root 0xffff888000000001 -> node #0 (height 1)
//!     node #0 @0xffff888000000000  shift 0 offset 0 count 4 exceptional 1  index 0..63
//!       [0-2]  0xffffea0000000040  page pfn 0x1..0x3
//!     x [3]    0x0800000000000006  EXCEPTIONAL swap type 1 offset 0x1
//!       [4-63] 0x0                 hole x60
//! ```

use super::{hex_range, range, Canvas, Picture};
use crate::app::theme::{Class, Theme};
use ratatui::text::Span;
use sim::mm::swapops::{Encoding, Era};
use sim::view::cache::{CacheView, Decoded, FileCache, NodeRow, SlotRun};

/// Draws the page caches of `now`, marking what differs from `before`.
/// On a pane narrower than this, a file's and a node's fields go on two
/// lines (the gutter and the text of the widest line of a 4.14 file).
const ONE_LINE_WIDTH: u16 = 100;

pub fn picture(now: &CacheView, before: Option<&CacheView>, th: &Theme, width: u16) -> Picture {
    let mut c = Canvas::new(th);
    if now.files.is_empty() {
        c.title("no file has a page cache", false);
    }
    let narrow = width < ONE_LINE_WIDTH;
    for f in &now.files {
        let b = before.and_then(|b| b.files.iter().find(|x| x.ino == f.ino));
        file(&mut c, now.era, f, b, before.is_some(), narrow);
    }
    c.done()
}

fn file(
    c: &mut Canvas,
    era: Era,
    f: &FileCache,
    b: Option<&FileCache>,
    had_before: bool,
    narrow: bool,
) {
    let head_changed = had_before
        && b.is_none_or(|b| {
            (b.size, b.nrpages, b.nrexceptional, b.shmem)
                != (f.size, f.nrpages, f.nrexceptional, f.shmem)
        });
    let shmem = f.shmem.map_or(String::new(), |s| {
        format!("  alloced {} swapped {}", s.alloced, s.swapped)
    });
    let era_name = match era {
        Era::Radix => "radix tree",
        Era::XArray => "xarray",
    };
    let name = format!("{}  ino {}  size {}", f.path, f.ino, f.size);
    let counts = format!(
        "nrpages {}  nrexceptional {}{shmem}",
        f.nrpages, f.nrexceptional
    );
    if narrow {
        c.title(format!("{name}  [{era_name}]"), head_changed);
        // A continuation: its mark is on the line above.
        let s = c.span(format!("    {counts}"), Class::Text, head_changed);
        c.line(vec![s], false, false);
    } else {
        c.title(format!("{name}  {counts}  [{era_name}]"), head_changed);
    }
    let root_changed = had_before && b.is_none_or(|b| b.root_word != f.root_word);
    let exc = matches!(f.root, Decoded::Swap { .. });
    let mut spans = vec![
        c.span("  root ", Class::Dim, false),
        c.span(format!("{:#018x} ", f.root_word), Class::Word, root_changed),
    ];
    spans.extend(decoding(c, era, f.root, 1, root_changed, narrow));
    spans.push(c.span(format!("  (height {})", f.height), Class::Dim, false));
    c.line(spans, root_changed, exc);
    for n in &f.nodes {
        let bn = b.and_then(|b| b.nodes.iter().find(|x| x.serial == n.serial));
        node(c, era, n, bn, had_before, narrow);
    }
}

fn node(
    c: &mut Canvas,
    era: Era,
    n: &NodeRow,
    b: Option<&NodeRow>,
    had_before: bool,
    narrow: bool,
) {
    let pad = "  ".repeat(n.depth as usize + 1);
    let changed = had_before
        && b.is_none_or(|b| {
            (b.count, b.exceptional, b.nodes, b.offset)
                != (n.count, n.exceptional, n.nodes, n.offset)
        });
    let name = if n.nodes > 1 {
        format!("{} like nodes #{}..#{}", n.nodes, n.serial, n.last_serial)
    } else {
        format!("node #{}", n.serial)
    };
    let fields = format!(
        "shift {} offset {} count {} exceptional {}  index {}..{}",
        n.shift, n.offset, n.count, n.exceptional, n.first_index, n.last_index
    );
    let mut spans = vec![
        c.span(format!("{pad}{name} "), Class::Node, changed),
        c.span(format!("@{:#x}", n.addr), Class::Word, false),
    ];
    if narrow {
        c.line(spans, changed, n.exceptional > 0);
        // A continuation: its marks are on the line above.
        let s = c.span(format!("{pad}    {fields}"), Class::Text, changed);
        c.line(vec![s], false, false);
    } else {
        spans.push(c.span(format!("  {fields}"), Class::Text, changed));
        c.line(spans, changed, n.exceptional > 0);
    }
    for run in &n.slots {
        for r in unfold_exceptional(era, run, n.nodes) {
            let rc = had_before && b.is_none_or(|b| b.nodes != n.nodes || !covered(&b.slots, &r));
            slot(c, era, &pad, &r, n.nodes, rc, narrow);
        }
    }
}

/// The most exceptional entries in a run drawn one slot each: the seeds'
/// picture is each slot with its own `swp << 2 | 2` word.
const UNFOLD_EXCEPTIONAL: u8 = 16;

/// A short run of exceptional entries as its slots, one each; any other run
/// as it is.
fn unfold_exceptional(era: Era, r: &SlotRun, nodes: u64) -> Vec<SlotRun> {
    let short = r.count > 1 && r.count <= UNFOLD_EXCEPTIONAL && nodes == 1;
    if !short || !matches!(r.decoded, Decoded::Swap { .. }) {
        return vec![*r];
    }
    let enc = Encoding {
        era,
        ..Encoding::default()
    };
    (0..r.count)
        .map(|i| {
            let d = r.decoded.nth(u64::from(i));
            SlotRun {
                slot: r.slot + i,
                count: 1,
                index: r.index + u64::from(i),
                word: d.word(enc),
                decoded: d,
            }
        })
        .collect()
}

/// Did `before` hold exactly these slots already?
fn covered(before: &[SlotRun], r: &SlotRun) -> bool {
    before.iter().any(|b| {
        b.slot <= r.slot
            && r.slot + r.count <= b.slot + b.count
            && b.decoded.nth((r.slot - b.slot) as u64) == r.decoded
    })
}

fn slot(c: &mut Canvas, era: Era, pad: &str, r: &SlotRun, nodes: u64, changed: bool, narrow: bool) {
    let exc = matches!(r.decoded, Decoded::Swap { .. });
    let glyph = if exc { "x " } else { "  " };
    let mut spans = vec![
        c.span(format!("{pad}  "), Class::Text, false),
        c.span(
            glyph.to_string(),
            if exc { Class::Exceptional } else { Class::Text },
            false,
        ),
        c.span(
            format!(
                "{:<w$}",
                range(r.slot as u64, r.count as u64),
                w = if narrow { 7 } else { 8 }
            ),
            Class::Dim,
            false,
        ),
        c.span(
            format!("{:#018x}{}", r.word, if narrow { " " } else { "  " }),
            Class::Word,
            changed,
        ),
    ];
    spans.extend(decoding(
        c,
        era,
        r.decoded,
        r.count as u64 * nodes,
        changed,
        narrow,
    ));
    if nodes > 1 {
        spans.push(c.span(" (across the nodes)", Class::Dim, false));
    }
    c.line(spans, changed, exc);
}

/// What a word decodes to, in the era's words; `count` slots from it.
/// `narrow` leaves out what the era's name says already (`swap`), so that a
/// slot fits an 80-column screen.
fn decoding(
    c: &Canvas,
    era: Era,
    d: Decoded,
    count: u64,
    changed: bool,
    narrow: bool,
) -> Vec<Span<'static>> {
    let times = if count > 1 {
        format!(" x{count}")
    } else {
        String::new()
    };
    match d {
        Decoded::Hole => vec![c.span(format!("hole{times}"), Class::Hole, changed)],
        Decoded::Page { pfn } => vec![c.span(
            format!("page pfn {}", hex_range(pfn as u64, count)),
            Class::Page,
            changed,
        )],
        Decoded::Swap { type_, offset } => {
            let (what, enc) = match era {
                Era::Radix => ("EXCEPTIONAL", "swp<<2|2"),
                Era::XArray => ("VALUE", "swp<<1|1"),
            };
            vec![
                c.span(format!("{what} "), Class::Exceptional, changed),
                c.span(
                    format!(
                        "{}type {type_} offset {}",
                        if narrow { "" } else { "swap " },
                        hex_range(offset, count)
                    ),
                    Class::Exceptional,
                    changed,
                ),
                c.span(
                    format!("{}({enc})", if narrow { " " } else { "  " }),
                    Class::Dim,
                    false,
                ),
            ]
        }
        Decoded::Node { serial, .. } => {
            let what = match era {
                Era::Radix => "internal",
                Era::XArray => "xa_node",
            };
            let last = if count > 1 {
                format!("..#{}", serial + count - 1)
            } else {
                String::new()
            };
            vec![c.span(
                format!("-> node #{serial}{last} ({what})"),
                Class::Node,
                changed,
            )]
        }
    }
}
