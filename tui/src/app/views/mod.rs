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

// TEMPORARY until sim::view lands: the state dump as text.
/// A view of the model at one step.
#[derive(Clone, Debug, PartialEq)]
pub struct AnyView(String);

/// Builds view `kind` of `k`.
pub fn build(_kind: ViewKind, k: &sim::kernel::Kernel) -> AnyView {
    AnyView(sim::transcript::state_text(&sim::transcript::dump(k)))
}

/// Draws view `kind`.
pub fn picture(
    _kind: ViewKind,
    now: &AnyView,
    before: Option<&AnyView>,
    th: &super::theme::Theme,
    _width: u16,
) -> Picture {
    let old: Vec<&str> = before.map(|b| b.0.lines().collect()).unwrap_or_default();
    let mut p = Picture::default();
    for (i, l) in now.0.lines().enumerate() {
        let changed = before.is_some() && !old.contains(&l);
        if changed {
            p.marks.push(Mark {
                line: i,
                kind: MarkKind::Changed,
            });
        }
        let class = if changed {
            th.changed(super::theme::Class::Text)
        } else {
            th.style(super::theme::Class::Text)
        };
        p.lines.push(Line::styled(l.to_string(), class));
    }
    p
}
