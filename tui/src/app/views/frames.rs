//! The physical memory picture: one glyph per frame, coloured by what holds
//! it (`.` free, `0` zero page, `a` anon, `s` shmem, `f` file, `w` swap
//! cache, `#` other), runs longer than two lines folded into one line, then
//! the totals and the LRU lists.
//!
//! ```text
//!   0x0000 0ssss.........................................................
//!          0x0040..0x3fff . free x16320
//! ```

use super::{hex_range, Canvas, Picture};
use crate::app::theme::{Class, Theme};
use ratatui::text::Span;
use sim::view::frames::{FrameKind, FrameRun, FramesView, PfnRun};

/// The glyph and class of a frame kind.
pub fn glyph(kind: FrameKind) -> (char, Class) {
    match kind {
        FrameKind::Free => ('.', Class::Free),
        FrameKind::Zero => ('0', Class::Zero),
        FrameKind::Anon => ('a', Class::Anon),
        FrameKind::Shmem => ('s', Class::Shmem),
        FrameKind::File => ('f', Class::FilePage),
        FrameKind::SwapCache => ('w', Class::SwapCache),
        FrameKind::Other => ('#', Class::Text),
    }
}

/// Draws the frames of `now`, marking frames whose holder changed since `before`.
pub fn picture(now: &FramesView, before: Option<&FramesView>, th: &Theme, width: u16) -> Picture {
    let mut c = Canvas::new(th);
    c.title(format!("physical memory: {} frames", now.nr_pages), false);
    legend(&mut c, now, before, width);
    let cells = (width as usize).saturating_sub(10).max(16);
    let mut grid = Grid {
        start: 0,
        spans: Vec::new(),
        changed: false,
    };
    for r in &now.runs {
        if r.count as usize > 2 * cells {
            grid.flush(&mut c);
            folded(&mut c, r, before);
            continue;
        }
        for pfn in r.first..r.first + r.count {
            if grid.spans.is_empty() {
                grid.start = pfn;
            }
            let ch = before.is_some_and(|b| b.kind_of(pfn) != Some(r.kind));
            let (g, class) = glyph(r.kind);
            grid.spans.push(c.span(g.to_string(), class, ch));
            grid.changed |= ch;
            if grid.spans.len() == cells {
                grid.flush(&mut c);
            }
        }
    }
    grid.flush(&mut c);
    for l in &now.lru {
        let b = before.and_then(|b| b.lru.iter().find(|x| x.name == l.name));
        let changed = before.is_some() && b.is_none_or(|b| b != l);
        let pfns: Vec<String> = l.runs.iter().map(pfn_run).collect();
        let spans = vec![
            c.span(
                format!("LRU {} ({}): ", l.name, l.len),
                Class::Title,
                changed,
            ),
            c.span(pfns.join(" "), Class::Word, changed),
        ];
        c.line(spans, changed, false);
    }
    c.done()
}

/// The totals by kind, on as many lines as `width` (the pane's inside,
/// with the change gutter) needs: never cut at the pane's edge.
fn legend(c: &mut Canvas, now: &FramesView, before: Option<&FramesView>, width: u16) {
    let room = (width as usize).saturating_sub(2);
    let (mut spans, mut used, mut any): (Vec<Span<'static>>, usize, bool) = (Vec::new(), 0, false);
    for t in &now.totals {
        let ch = before.is_some_and(|b| b.total(t.kind) != t.pages);
        let (g, class) = glyph(t.kind);
        let text = format!("{} {}", t.kind.name(), t.pages);
        let len = 2 + text.chars().count();
        if used > 0 && used + len > room {
            c.line(std::mem::take(&mut spans), any, false);
            (used, any) = (0, false);
        }
        any |= ch;
        spans.push(c.span(format!("{g} "), class, false));
        spans.push(c.span(format!("{text}  "), Class::Text, ch));
        used += len + 2;
    }
    c.line(spans, any, false);
}

struct Grid {
    start: u32,
    spans: Vec<Span<'static>>,
    changed: bool,
}

impl Grid {
    fn flush(&mut self, c: &mut Canvas) {
        if self.spans.is_empty() {
            return;
        }
        let mut spans = vec![c.span(format!("{:#08x} ", self.start), Class::Dim, false)];
        spans.append(&mut self.spans);
        c.line(spans, self.changed, false);
        self.changed = false;
    }
}

fn folded(c: &mut Canvas, r: &FrameRun, before: Option<&FramesView>) {
    let same = |b: &FramesView| {
        b.runs.iter().any(|x| {
            x.kind == r.kind && x.first <= r.first && r.first + r.count <= x.first + x.count
        })
    };
    let ch = before.is_some_and(|b| !same(b));
    let (g, class) = glyph(r.kind);
    let spans = vec![
        c.span(format!("{:#08x} ", r.first), Class::Dim, false),
        c.span(format!("{g}{g}{g} "), class, ch),
        c.span(
            format!(
                "{} {} x{}",
                hex_range(r.first as u64, r.count as u64),
                r.kind.name(),
                r.count
            ),
            class,
            ch,
        ),
    ];
    c.line(spans, ch, false);
}

fn pfn_run(r: &PfnRun) -> String {
    if r.count <= 1 {
        format!("{:#x}", r.first)
    } else {
        let last = r.first as i64 + (r.count as i64 - 1) * r.step as i64;
        format!("{:#x}..{last:#x}", r.first)
    }
}
