//! Physical memory as runs of frames by what holds them, and the LRU lists.
//!
//! Mirrors what `mem_map` (`struct page` per frame, `mm/page_alloc.c`) and
//! the `lruvec` lists (`mm/vmscan.c`, `mm/swap.c`) hold. Only the frames
//! ever handed out are visited; every frame above them is free.

use crate::kernel::Kernel;
use crate::mm::page::{pg, Mapping, Pfn};
use crate::mm::vmscan::Lru;
use serde::Serialize;

/// What holds a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum FrameKind {
    /// On the free lists (`_refcount` 0).
    Free,
    /// `ZERO_PAGE(0)`.
    Zero,
    /// A private anonymous page (`PageAnon`).
    Anon,
    /// A tmpfs/shmem page (`shmem_mapping`).
    Shmem,
    /// A page-cache page of a file on disk.
    File,
    /// Only in the swap cache (`PageSwapCache`, no mapping).
    SwapCache,
    /// Held by something else (the kernel).
    Other,
}

impl FrameKind {
    /// Every kind, in legend order.
    pub const ALL: [FrameKind; 7] = [
        FrameKind::Free,
        FrameKind::Zero,
        FrameKind::Anon,
        FrameKind::Shmem,
        FrameKind::File,
        FrameKind::SwapCache,
        FrameKind::Other,
    ];

    /// What holds frame `pfn` (`PageAnon`, `shmem_mapping`, `PageSwapCache`).
    pub fn of(k: &Kernel, pfn: Pfn) -> FrameKind {
        if pfn == k.mem.zero_pfn {
            return FrameKind::Zero;
        }
        let p = k.mem.page(pfn);
        match p.mapping() {
            _ if p.refcount == 0 => FrameKind::Free,
            Mapping::Anon(_) => FrameKind::Anon,
            Mapping::File(ino) => match k.inodes.get(&ino).and_then(|i| i.shmem()) {
                Some(_) => FrameKind::Shmem,
                None => FrameKind::File,
            },
            Mapping::None if p.test(pg::SWAPCACHE) => FrameKind::SwapCache,
            Mapping::None => FrameKind::Other,
        }
    }

    /// Its name in the legend.
    pub fn name(self) -> &'static str {
        match self {
            FrameKind::Free => "free",
            FrameKind::Zero => "zero page",
            FrameKind::Anon => "anon",
            FrameKind::Shmem => "shmem",
            FrameKind::File => "file",
            FrameKind::SwapCache => "swap cache",
            FrameKind::Other => "other",
        }
    }
}

/// `count` frames from `first` on, all held by `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct FrameRun {
    /// The first pfn.
    pub first: Pfn,
    /// Frames in the run.
    pub count: u32,
    /// What holds them.
    pub kind: FrameKind,
}

/// `count` pfns of a list, from `first` on, each `step` (+1 or -1) from the last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PfnRun {
    /// The first pfn.
    pub first: Pfn,
    /// Pfns in the run.
    pub count: u64,
    /// +1 or -1 (0 for a run of one).
    pub step: i8,
}

impl PfnRun {
    /// The pfns, unfolded.
    pub fn pfns(&self) -> impl Iterator<Item = Pfn> + '_ {
        (0..self.count).map(|i| (self.first as i64 + i as i64 * self.step as i64) as Pfn)
    }
}

/// One LRU list (`lruvec->lists[lru]`), head (newest) to tail (oldest).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LruView {
    /// `LRU_INACTIVE_ANON` as `inactive_anon`, ...
    pub name: &'static str,
    /// Pages on it.
    pub len: u64,
    /// Its pfns, folded.
    pub runs: Vec<PfnRun>,
}

/// Pages of one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct KindTotal {
    /// The kind.
    pub kind: FrameKind,
    /// Frames of it.
    pub pages: u64,
}

/// Physical memory: frames by owner, the LRU lists and totals.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FramesView {
    /// Frames in RAM.
    pub nr_pages: u32,
    /// Every frame, as runs in pfn order.
    pub runs: Vec<FrameRun>,
    /// The LRU lists, in kernel order.
    pub lru: Vec<LruView>,
    /// Frames per kind (every kind, summing to `nr_pages`).
    pub totals: Vec<KindTotal>,
}

impl FramesView {
    /// The view of `k`'s memory.
    pub fn of(k: &Kernel) -> FramesView {
        let nr = k.mem.nr_pages();
        let runs = frame_runs(k, nr);
        let totals = FrameKind::ALL
            .iter()
            .map(|&kind| KindTotal {
                kind,
                pages: runs
                    .iter()
                    .filter(|r| r.kind == kind)
                    .map(|r| r.count as u64)
                    .sum(),
            })
            .collect();
        FramesView {
            nr_pages: nr,
            runs,
            lru: Lru::ALL.iter().map(|&l| lru_view(k, l)).collect(),
            totals,
        }
    }

    /// Pages of `kind`.
    pub fn total(&self, kind: FrameKind) -> u64 {
        self.totals
            .iter()
            .find(|t| t.kind == kind)
            .map_or(0, |t| t.pages)
    }

    /// The kind of frame `pfn` (a binary search of the runs).
    pub fn kind_of(&self, pfn: Pfn) -> Option<FrameKind> {
        let i = self.runs.partition_point(|r| r.first <= pfn);
        let r = self.runs.get(i.checked_sub(1)?)?;
        (pfn < r.first + r.count).then_some(r.kind)
    }
}

/// The runs of all frames, in pfn order: `mem_map` read frame by frame up
/// to the highest frame ever handed out (every frame from there on is free
/// and blank). A frame with no references (`_refcount` 0) is free: the
/// model keeps `_refcount` equal to what refers to the frame (the page
/// cache, the swap cache and the PTEs; `invariants.rs` checks it).
fn frame_runs(k: &Kernel, nr: u32) -> Vec<FrameRun> {
    let mut runs: Vec<FrameRun> = Vec::new();
    let mut push = |first: Pfn, count: u32, kind: FrameKind| match runs.last_mut() {
        Some(r) if r.kind == kind && r.first + r.count == first => r.count += count,
        _ => runs.push(FrameRun { first, count, kind }),
    };
    // The last file's inode and whether it is shmem: runs of frames mostly
    // belong to one file.
    let mut last_file: Option<(u32, bool)> = None;
    let populated = k.mem.populated().min(nr);
    for pfn in 0..populated {
        let kind = match k.mem.page(pfn).mapping() {
            Mapping::File(ino) if pfn != k.mem.zero_pfn && k.mem.page(pfn).refcount > 0 => {
                let shmem = match last_file {
                    Some((i, shmem)) if i == ino => shmem,
                    _ => {
                        let shmem = k.inodes.get(&ino).is_some_and(|i| i.shmem().is_some());
                        last_file = Some((ino, shmem));
                        shmem
                    }
                };
                if shmem {
                    FrameKind::Shmem
                } else {
                    FrameKind::File
                }
            }
            _ => FrameKind::of(k, pfn),
        };
        push(pfn, 1, kind);
    }
    if populated < nr {
        push(populated, nr - populated, FrameKind::Free);
    }
    runs
}

/// The pfns of list `l`, head to tail (`page->lru` links are pfn + 1).
fn lru_pfns(k: &Kernel, l: Lru) -> impl Iterator<Item = Pfn> + '_ {
    let list = k.lru[l as usize];
    let mut link = list.head;
    (0..list.len).map_while(move |_| {
        let pfn = link.checked_sub(1)?;
        link = k.mem.page(pfn).lru_next;
        Some(pfn)
    })
}

fn lru_view(k: &Kernel, l: Lru) -> LruView {
    let name = match l {
        Lru::InactiveAnon => "inactive_anon",
        Lru::ActiveAnon => "active_anon",
        Lru::InactiveFile => "inactive_file",
        Lru::ActiveFile => "active_file",
        Lru::Unevictable => "unevictable",
    };
    LruView {
        name,
        len: k.lru[l as usize].len,
        runs: fold_pfns(lru_pfns(k, l)),
    }
}

/// Folds pfns into runs that step by +1 or -1.
pub(crate) fn fold_pfns(pfns: impl IntoIterator<Item = Pfn>) -> Vec<PfnRun> {
    let mut runs: Vec<PfnRun> = Vec::new();
    for pfn in pfns {
        if let Some(r) = runs.last_mut() {
            let last = r.first as i64 + (r.count as i64 - 1) * r.step as i64;
            let d = pfn as i64 - last;
            if (r.count == 1 && d.abs() == 1) || (r.count > 1 && d == r.step as i64) {
                r.step = d as i8;
                r.count += 1;
                continue;
            }
        }
        runs.push(PfnRun {
            first: pfn,
            count: 1,
            step: 0,
        });
    }
    runs
}
