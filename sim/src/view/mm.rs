//! Each live process's address space: its VMAs and, page by page, its PTEs.
//!
//! Mirrors `struct mm_struct` (`include/linux/mm_types.h`): the VMA list as
//! `/proc/PID/maps` prints it (`show_map_vma` in `fs/proc/task_mmu.c`) and
//! the page table as runs of PTEs: present (`pte_present`, with the pfn, so
//! a frame shared by two processes reads the same in both), swap
//! (`is_swap_pte`), or none (`pte_none`). Only populated PTEs are visited.

use super::frames::FrameKind;
use crate::kernel::{vm, Kernel, Pte, Task, Vma};
use crate::mm::page::{Pfn, PAGE_SIZE};
use crate::trace::{TouchKey, Touches};
use serde::Serialize;

/// What one PTE holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PteDecode {
    /// `pte_none`.
    None,
    /// `pte_present`: maps frame `pfn`.
    Present {
        /// The frame.
        pfn: Pfn,
        /// `pte_write`.
        write: bool,
        /// `pte_dirty`.
        dirty: bool,
        /// What holds the frame.
        frame: FrameKind,
        /// Mapped by more than one PTE (`page_mapcount > 1`).
        shared: bool,
    },
    /// A swap PTE: the page is in swap at (`type_`, `offset`).
    Swap {
        /// `swp_type`.
        type_: u32,
        /// `swp_offset`.
        offset: u64,
    },
}

impl PteDecode {
    /// The `pte.NAME` observable's letter: `P`, `s` or `-`.
    pub fn letter(&self) -> char {
        match self {
            PteDecode::None => '-',
            PteDecode::Present { .. } => 'P',
            PteDecode::Swap { .. } => 's',
        }
    }

    /// The PTE `i` places after this one in a run (pfns and offsets count
    /// up; the zero page stays the zero page).
    pub fn nth(&self, i: u64) -> PteDecode {
        match *self {
            PteDecode::Present {
                pfn,
                write,
                dirty,
                frame,
                shared,
            } if frame != FrameKind::Zero => PteDecode::Present {
                pfn: pfn + i as Pfn,
                write,
                dirty,
                frame,
                shared,
            },
            PteDecode::Swap { type_, offset } => PteDecode::Swap {
                type_,
                offset: offset + i,
            },
            other => other,
        }
    }
}

/// `count` PTEs from page `page` of the VMA on, each continuing the first
/// ([`PteDecode::nth`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PteRun {
    /// Page number within the VMA.
    pub page: u64,
    /// PTEs in the run.
    pub count: u64,
    /// The first PTE.
    pub pte: PteDecode,
}

/// One VMA with its page table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VmaRow {
    /// `vm_start`.
    pub start: u64,
    /// `vm_end`.
    pub end: u64,
    /// As maps prints it: `rw-s`.
    pub prot: String,
    /// `vm_flags`.
    pub flags: u32,
    /// The file as `d_path` gives it, or `[anon]`.
    pub name: String,
    /// `vm_pgoff`.
    pub pgoff: u64,
    /// The backing inode, if any.
    pub ino: Option<u32>,
    /// The PTEs, folded.
    pub ptes: Vec<PteRun>,
}

impl VmaRow {
    /// Pages it spans.
    pub fn pages(&self) -> u64 {
        (self.end - self.start) / PAGE_SIZE
    }

    /// The PTEs unfolded, one per page.
    pub fn unfold(&self) -> Vec<PteDecode> {
        self.ptes
            .iter()
            .flat_map(|r| (0..r.count).map(move |i| r.pte.nth(i)))
            .collect()
    }
}

/// One process.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProcMm {
    /// `comm`.
    pub name: String,
    /// Its pid.
    pub pid: u32,
    /// Its VMAs, by address.
    pub vmas: Vec<VmaRow>,
}

/// Every live process's address space.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MmView {
    /// By pid.
    pub procs: Vec<ProcMm>,
}

impl MmView {
    /// The view of `k`'s processes.
    pub fn of(k: &Kernel) -> MmView {
        MmView {
            procs: k.tasks.values().map(|t| proc_mm(k, t)).collect(),
        }
    }

    /// Rows a picture needs: one per VMA and per PTE run.
    pub fn rows(&self) -> usize {
        self.procs
            .iter()
            .flat_map(|p| &p.vmas)
            .map(|v| 1 + v.ptes.len())
            .sum()
    }
}

impl MmView {
    /// The view after a step that made the changes `touches` records, from
    /// the view before it (`self`): a VMA's PTE runs are kept, with the
    /// touched pages read again, when nothing outside its own touched PTEs
    /// can have changed them; every other VMA is read afresh. Equal to
    /// [`MmView::of`] (the TUI checks it in debug builds).
    ///
    /// A PTE reads the frame's map count (`shared`), which moves when any
    /// PTE mapping that frame is set or cleared. A frame a VMA maps can be
    /// mapped elsewhere only through the same file (any process) or, for
    /// private pages, through a fork (another process): such a VMA is
    /// reused only when no such PTE was touched.
    pub fn after(&self, k: &Kernel, touches: &Touches) -> MmView {
        let touched = touched_ptes(touches);
        let procs = k
            .tasks
            .values()
            .map(|t| {
                let old = self.procs.iter().find(|p| p.pid == t.pid);
                ProcMm {
                    name: t.comm.clone(),
                    pid: t.pid,
                    vmas: t
                        .mm
                        .vmas
                        .values()
                        .map(|v| {
                            let kept = old
                                .and_then(|p| p.vmas.iter().find(|r| same_vma(r, v, k)))
                                .filter(|_| k.ptes_apart(t.pid, v, &touched));
                            match kept {
                                Some(row) => VmaRow {
                                    ptes: repatch(k, t, v, &row.ptes, &touched),
                                    ..vma_row_head(k, v)
                                },
                                None => vma_row(k, t, v),
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        MmView { procs }
    }
}

/// The touched PTEs, as `(pid, first vpn, last vpn)`.
fn touched_ptes(touches: &Touches) -> Vec<(u32, u64, u64)> {
    touches
        .records
        .iter()
        .filter_map(|r| match r.key {
            TouchKey::Ptes(pid) => Some((pid, r.lo, r.hi)),
            _ => None,
        })
        .collect()
}

/// Does the old row stand for the same VMA over the same object?
fn same_vma(r: &VmaRow, v: &Vma, k: &Kernel) -> bool {
    r.start == v.start
        && r.end == v.end
        && r.pgoff == v.pgoff
        && r.flags == v.flags
        && r.ino == k.vma_inode(v)
}

/// `old` runs of `v` with the pages `touched` in `t` read again.
fn repatch(
    k: &Kernel,
    t: &Task,
    v: &Vma,
    old: &[PteRun],
    touched: &[(u32, u64, u64)],
) -> Vec<PteRun> {
    let (first, end) = (v.start / PAGE_SIZE, v.end / PAGE_SIZE);
    let mut ranges: Vec<(u64, u64)> = touched
        .iter()
        .filter(|&&(pid, lo, hi)| pid == t.pid && lo < end && hi >= first)
        .map(|&(_, lo, hi)| (lo.max(first) - first, hi.min(end - 1) + 1 - first))
        .collect();
    if ranges.is_empty() {
        return old.to_vec();
    }
    ranges.sort_unstable();
    let mut runs = Runs::default();
    let mut at = 0; // the first page not yet pushed
    for (lo, hi) in ranges {
        let lo = lo.max(at);
        if hi <= lo {
            continue;
        }
        runs.copy(old, at, lo);
        runs.read(k, t, first, lo, hi);
        at = hi;
    }
    runs.copy(old, at, end - first);
    runs.0
}

/// PTE runs being built, each pushed PTE joining the last run it continues.
#[derive(Default)]
struct Runs(Vec<PteRun>);

impl Runs {
    fn push(&mut self, page: u64, count: u64, pte: PteDecode) {
        if count == 0 {
            return;
        }
        if let Some(r) = self.0.last_mut() {
            if r.page + r.count == page && r.pte.nth(r.count) == pte {
                r.count += count;
                return;
            }
        }
        self.0.push(PteRun { page, count, pte });
    }

    /// Pages `[lo, hi)` of the VMA as the old runs had them.
    fn copy(&mut self, old: &[PteRun], lo: u64, hi: u64) {
        let i = old.partition_point(|r| r.page + r.count <= lo);
        for r in old[i..].iter().take_while(|r| r.page < hi) {
            let (a, b) = (r.page.max(lo), (r.page + r.count).min(hi));
            self.push(a, b - a, r.pte.nth(a - r.page));
        }
    }

    /// Pages `[lo, hi)` of the VMA whose first page is `first`, read from
    /// `t`'s page table (`walk_page_range`: populated PTEs, the gaps
    /// `pte_none`).
    fn read(&mut self, k: &Kernel, t: &Task, first: u64, lo: u64, hi: u64) {
        let mut next = first + lo;
        for (vpn, pte) in t.mm.ptes.range(first + lo..first + hi) {
            if vpn > next {
                self.push(next - first, vpn - next, PteDecode::None);
            }
            self.push(vpn - first, 1, decode(k, &pte));
            next = vpn + 1;
        }
        if next < first + hi {
            self.push(next - first, first + hi - next, PteDecode::None);
        }
    }
}

fn proc_mm(k: &Kernel, t: &Task) -> ProcMm {
    ProcMm {
        name: t.comm.clone(),
        pid: t.pid,
        vmas: t.mm.vmas.values().map(|v| vma_row(k, t, v)).collect(),
    }
}

fn vma_row(k: &Kernel, t: &Task, v: &Vma) -> VmaRow {
    VmaRow {
        ptes: pte_runs(k, t, v),
        ..vma_row_head(k, v)
    }
}

/// A VMA's row without its PTEs.
fn vma_row_head(k: &Kernel, v: &Vma) -> VmaRow {
    let ino = k.vma_inode(v);
    let bit = |b: u32, c: char| if v.flags & b != 0 { c } else { '-' };
    let prot = [
        bit(vm::READ, 'r'),
        bit(vm::WRITE, 'w'),
        bit(vm::EXEC, 'x'),
        if v.flags & vm::MAYSHARE != 0 {
            's'
        } else {
            'p'
        },
    ];
    VmaRow {
        start: v.start,
        end: v.end,
        prot: prot.iter().collect(),
        flags: v.flags,
        name: ino.map_or_else(|| "[anon]".to_string(), |i| k.d_path(i)),
        pgoff: v.pgoff,
        ino,
        ptes: Vec::new(),
    }
}

/// Mirrors the walk of `walk_page_range`: the populated PTEs of `v`, with
/// the gaps between them as `pte_none` runs.
fn pte_runs(k: &Kernel, t: &Task, v: &Vma) -> Vec<PteRun> {
    let mut runs = Runs::default();
    runs.read(k, t, v.start / PAGE_SIZE, 0, v.pages());
    runs.0
}

fn decode(k: &Kernel, pte: &Pte) -> PteDecode {
    let enc = k.cfg.encoding;
    match *pte {
        Pte::Present {
            pfn, write, dirty, ..
        } => PteDecode::Present {
            pfn,
            write,
            dirty,
            frame: FrameKind::of(k, pfn),
            shared: pfn != k.mem.zero_pfn && k.mem.page(pfn).mapcount > 1,
        },
        Pte::Swap(e) => PteDecode::Swap {
            type_: enc.swp_type(e),
            offset: enc.swp_offset(e),
        },
    }
}
