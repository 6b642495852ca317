//! The views of the machine: one picture each of the page cache, the
//! address spaces, physical memory, swap, System V and the counters.
//!
//! Each view is drawn from a read-only view struct of `sim::view` (what the
//! picture needs, derived from the kernel's tables), never from the tables
//! themselves. A view module turns the struct at this step, and the one at
//! the step before (to mark what changed), into a [`Picture`]: lines of
//! classed spans and the marks a user can jump between.

use ratatui::text::Line;

/// The views, in the order of their tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ViewKind {
    /// A file's page cache drawn as the radix tree (or XArray) it is.
    Cache,
    /// Each process's mappings with their page tables.
    Mm,
    /// Physical memory: frames by what holds them, and the LRU lists.
    Frames,
    /// The swap area's `swap_map` and the swap cache.
    Swap,
    /// The System V `shmid_kernel` table.
    Sysv,
    /// meminfo, `free`, `df` and `ipcs` as the tools print them.
    Counters,
}

impl ViewKind {
    /// Every view, in tab order.
    pub const ALL: [ViewKind; 6] = [
        ViewKind::Cache,
        ViewKind::Mm,
        ViewKind::Frames,
        ViewKind::Swap,
        ViewKind::Sysv,
        ViewKind::Counters,
    ];

    /// The name `--view` takes and the tab shows.
    pub fn name(self) -> &'static str {
        match self {
            ViewKind::Cache => "cache",
            ViewKind::Mm => "mm",
            ViewKind::Frames => "frames",
            ViewKind::Swap => "swap",
            ViewKind::Sysv => "sysv",
            ViewKind::Counters => "counters",
        }
    }

    /// The view called `name`.
    pub fn parse(name: &str) -> Option<ViewKind> {
        Self::ALL.into_iter().find(|v| v.name() == name)
    }
}

/// Why a line of a picture is worth jumping to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    /// Something on it changed in this step.
    Changed,
    /// It holds an exceptional (swap) entry or a swap PTE.
    Exceptional,
}

/// A line worth jumping to (`n` / `N`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    /// Its index in [`Picture::lines`].
    pub line: usize,
    /// Why.
    pub kind: MarkKind,
}

/// A view drawn: its lines (already folded, so a view of 100,000 pages is
/// a few hundred lines) and its marks, in line order.
#[derive(Clone, Debug, Default)]
pub struct Picture {
    /// The lines, top to bottom.
    pub lines: Vec<Line<'static>>,
    /// The lines worth jumping to.
    pub marks: Vec<Mark>,
}

pub mod cache;
pub mod counters;
pub mod frames;
pub mod mm;
pub mod swap;
pub mod sysv;

use super::theme::{Class, Theme};
use ratatui::text::Span;
use sim::kernel::Kernel;
use sim::trace::Touches;
use sim::view::{
    cache::CacheView, counters::CountersView, frames::FramesView, mm::MmView, swap::SwapView,
    sysv::SysvView,
};

/// One view of the machine, of any kind.
#[derive(Clone, Debug, PartialEq)]
pub enum AnyView {
    /// [`ViewKind::Cache`].
    Cache(CacheView),
    /// [`ViewKind::Mm`].
    Mm(MmView),
    /// [`ViewKind::Frames`].
    Frames(FramesView),
    /// [`ViewKind::Swap`].
    Swap(SwapView),
    /// [`ViewKind::Sysv`].
    Sysv(SysvView),
    /// [`ViewKind::Counters`].
    Counters(CountersView),
}

impl AnyView {
    /// Its kind.
    pub fn kind(&self) -> ViewKind {
        match self {
            AnyView::Cache(_) => ViewKind::Cache,
            AnyView::Mm(_) => ViewKind::Mm,
            AnyView::Frames(_) => ViewKind::Frames,
            AnyView::Swap(_) => ViewKind::Swap,
            AnyView::Sysv(_) => ViewKind::Sysv,
            AnyView::Counters(_) => ViewKind::Counters,
        }
    }
}

/// The view `kind` of the machine `k` (`sim::view::*::of`).
pub fn build(kind: ViewKind, k: &Kernel) -> AnyView {
    match kind {
        ViewKind::Cache => AnyView::Cache(CacheView::of(k)),
        ViewKind::Mm => AnyView::Mm(MmView::of(k)),
        ViewKind::Frames => AnyView::Frames(FramesView::of(k)),
        ViewKind::Swap => AnyView::Swap(SwapView::of(k)),
        ViewKind::Sysv => AnyView::Sysv(SysvView::of(k)),
        ViewKind::Counters => AnyView::Counters(CountersView::of(k)),
    }
}

/// The view `kind` of the machine `k` one step after `before`, a view of
/// the same kind, the step having made the changes `touches` records: the
/// views of big tables are patched where the step touched them
/// (`sim::view::*::after`), the others built afresh.
pub fn after(kind: ViewKind, before: &AnyView, k: &Kernel, touches: &Touches) -> AnyView {
    match (kind, before) {
        (ViewKind::Cache, AnyView::Cache(v)) => AnyView::Cache(v.after(k, touches)),
        (ViewKind::Mm, AnyView::Mm(v)) => AnyView::Mm(v.after(k, touches)),
        _ => build(kind, k),
    }
}

/// The views of one step: those built so far, one slot per [`ViewKind`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MachineView {
    views: [Option<AnyView>; 6],
}

impl MachineView {
    /// The views `kinds` of `k`.
    pub fn of(k: &Kernel, kinds: &[ViewKind]) -> MachineView {
        let mut m = MachineView::default();
        for &kind in kinds {
            m.views[slot(kind)] = Some(build(kind, k));
        }
        m
    }

    /// Every view of `k`.
    pub fn all(k: &Kernel) -> MachineView {
        MachineView::of(k, &ViewKind::ALL)
    }

    /// The view `kind`, if built.
    pub fn get(&self, kind: ViewKind) -> Option<&AnyView> {
        self.views[slot(kind)].as_ref()
    }
}

fn slot(kind: ViewKind) -> usize {
    ViewKind::ALL.iter().position(|&k| k == kind).unwrap_or(0)
}

/// Draws `now` (a view of kind `kind`), marking what differs from `before`
/// (ignored unless of the same kind), in `width` columns.
pub fn picture(
    kind: ViewKind,
    now: &AnyView,
    before: Option<&AnyView>,
    th: &Theme,
    width: u16,
) -> Picture {
    debug_assert_eq!(kind, now.kind(), "picture: view of another kind");
    macro_rules! draw {
        ($var:ident, $m:ident, $v:expr) => {{
            let b = before.and_then(|b| match b {
                AnyView::$var(x) => Some(x),
                _ => None,
            });
            $m::picture($v, b, th, width)
        }};
    }
    match now {
        AnyView::Cache(v) => draw!(Cache, cache, v),
        AnyView::Mm(v) => draw!(Mm, mm, v),
        AnyView::Frames(v) => draw!(Frames, frames, v),
        AnyView::Swap(v) => draw!(Swap, swap, v),
        AnyView::Sysv(v) => draw!(Sysv, sysv, v),
        AnyView::Counters(v) => draw!(Counters, counters, v),
    }
}

/// The glyph in the gutter of a changed line (every theme, mono included).
pub const CHANGED_GLYPH: &str = "*";

/// A picture being drawn: lines with a gutter (`*` for a change) and marks.
pub(crate) struct Canvas<'t> {
    th: &'t Theme,
    pic: Picture,
}

impl<'t> Canvas<'t> {
    pub(crate) fn new(th: &'t Theme) -> Canvas<'t> {
        Canvas {
            th,
            pic: Picture::default(),
        }
    }

    /// A span of `text` drawn as `class`, or as changed.
    pub(crate) fn span(
        &self,
        text: impl Into<String>,
        class: Class,
        changed: bool,
    ) -> Span<'static> {
        let style = if changed {
            self.th.changed(class)
        } else {
            self.th.style(class)
        };
        Span::styled(text.into(), style)
    }

    /// Adds a line; `changed` puts `*` in the gutter and a `Changed` mark,
    /// `exceptional` an `Exceptional` mark.
    pub(crate) fn line(&mut self, spans: Vec<Span<'static>>, changed: bool, exceptional: bool) {
        let n = self.pic.lines.len();
        let gutter = if changed {
            self.span(format!("{CHANGED_GLYPH} "), Class::Changed, false)
        } else {
            Span::raw("  ")
        };
        let mut all = vec![gutter];
        all.extend(spans);
        self.pic.lines.push(Line::from(all));
        if changed {
            self.pic.marks.push(Mark {
                line: n,
                kind: MarkKind::Changed,
            });
        }
        if exceptional {
            self.pic.marks.push(Mark {
                line: n,
                kind: MarkKind::Exceptional,
            });
        }
    }

    /// A title line.
    pub(crate) fn title(&mut self, text: impl Into<String>, changed: bool) {
        let s = self.span(text, Class::Title, changed);
        self.line(vec![s], changed, false);
    }

    pub(crate) fn done(self) -> Picture {
        self.pic
    }
}

/// `first..last` in hex, or just `first` for a run of one.
pub(crate) fn hex_range(first: u64, count: u64) -> String {
    if count <= 1 {
        format!("{first:#x}")
    } else {
        format!("{first:#x}..{:#x}", first + count - 1)
    }
}

/// `[a]` or `[a-b]`: slots or pages `first ..= first + count - 1`.
pub(crate) fn range(first: u64, count: u64) -> String {
    if count <= 1 {
        format!("[{first}]")
    } else {
        format!("[{first}-{}]", first + count - 1)
    }
}
