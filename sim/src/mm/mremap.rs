//! `mremap(2)`: growing, shrinking and moving a mapping.
//!
//! Mirrors `mm/mremap.c` (4.14: `sys_mremap`, `mremap_to`, `vma_to_resize`,
//! `vma_expandable`, `move_vma`, `move_page_tables`; later releases'
//! `check_mremap_params`, `remap_is_valid`, `mremap_at`, `remap_move`).
//!
//! A mapping moves without copying a byte: `move_vma` makes a VMA at the new
//! address with the old one's `vm_pgoff`, file and `anon_vma` (`copy_vma`),
//! moves the page-table entries across (`move_ptes`), and unmaps the old
//! range, which by then maps nothing. The pages keep their `index`, so the
//! reverse map finds them at the new address by the same formula,
//! `vm_start + (index - vm_pgoff) * PAGE_SIZE`.
//!
//! ```text
//!   before                         after mremap(p, 2 pages, 3 pages, MREMAP_MAYMOVE)
//!   p  [pte A][pte B]  | busy |    p  (unmapped)          | busy |
//!                                  q  [pte A][pte B][none]   (same frames, same index)
//! ```
//!
//! Releases, as the model plays them (`[machine] kernel`):
//! - 4.14: `MREMAP_MAYMOVE`, `MREMAP_FIXED`; shrinking an unmapped range
//!   succeeds (`do_munmap` of nothing).
//! - 5.7: `MREMAP_DONTUNMAP` (private anonymous mappings only until 5.13).
//! - 5.16: the VMA at `old_address` is looked up first, so any call on an
//!   unmapped address is `EFAULT`.
//! - 6.6: growing in place merges with a compatible next VMA
//!   (`vma_merge_extend`).
//! - 6.17: a `new_size` past `TASK_SIZE` is `EINVAL`, and `MREMAP_FIXED`
//!   without resizing moves every VMA in the range (`remap_move`).

use crate::errno::{Errno, SysResult};
use crate::kernel::{vm, Kernel, Pid, Pte, Vma};
use crate::mm::mmap::TASK_SIZE;
use crate::mm::page::PAGE_SIZE;
use crate::trace::Touch;

/// `MREMAP_*` (`include/uapi/linux/mman.h`).
pub mod mremap_flags {
    /// `MREMAP_MAYMOVE`: the kernel may move the mapping.
    pub const MAYMOVE: u32 = 1;
    /// `MREMAP_FIXED`: move it to `new_address`, replacing what is there.
    pub const FIXED: u32 = 2;
    /// `MREMAP_DONTUNMAP` (5.7): move the pages, keep the old VMA, empty.
    pub const DONTUNMAP: u32 = 4;
}
use mremap_flags::{DONTUNMAP, FIXED, MAYMOVE};

/// One `mremap` call (`struct vma_remap_struct`).
#[derive(Clone, Copy, Debug)]
struct Remap {
    addr: u64,
    old_len: u64,
    new_len: u64,
    flags: u32,
    new_addr: u64,
}

impl Remap {
    /// `vrm_implies_new_addr`: does the call choose where the mapping goes?
    fn implies_new_addr(&self) -> bool {
        self.flags & (FIXED | DONTUNMAP) != 0
    }
}

/// `PAGE_ALIGN`, wrapping as the C macro does (a length near 2^64 becomes 0).
fn page_align(len: u64) -> u64 {
    len.wrapping_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1)
}

impl Kernel {
    /// `mremap(2)`: resizes the mapping at `addr` from `old_len` to
    /// `new_len` bytes, in place or (with `MREMAP_MAYMOVE`) elsewhere, and
    /// returns its address.
    pub fn mremap(
        &mut self,
        pid: Pid,
        addr: u64,
        old_len: u64,
        new_len: u64,
        flags: u32,
        new_addr: u64,
    ) -> SysResult<u64> {
        self.tick();
        self.task(pid)?;
        self.trace.enter("sys_mremap", "mm/mremap.c");
        let r = Remap {
            addr,
            old_len,
            new_len,
            flags,
            new_addr,
        };
        let res = self.do_mremap(pid, r);
        self.trace.leave();
        res
    }

    fn do_mremap(&mut self, pid: Pid, mut r: Remap) -> SysResult<u64> {
        self.check_mremap_params(pid, &r)?;
        r.old_len = page_align(r.old_len);
        r.new_len = page_align(r.new_len);
        if self.cfg.release.at_least(5, 16) && self.task(pid)?.mm.vma_at(r.addr).is_none() {
            return Err(Errno::EFAULT);
        }
        let (at, populate) = if r.implies_new_addr() {
            self.mremap_to(pid, &mut r)?
        } else {
            self.mremap_at(pid, &mut r)?
        };
        // A locked mapping that grew has its new pages faulted in and locked.
        if let Some(from) = populate {
            self.mm_populate(pid, at + from, at + r.new_len, true)?;
        }
        Ok(at)
    }

    /// The checks before any VMA is looked at (`sys_mremap`'s first lines
    /// in 4.14; `check_mremap_params` later).
    fn check_mremap_params(&self, pid: Pid, r: &Remap) -> SysResult<()> {
        let rel = self.cfg.release;
        let known = FIXED | MAYMOVE | if rel.at_least(5, 7) { DONTUNMAP } else { 0 };
        if r.flags & !known != 0 || (r.flags & FIXED != 0 && r.flags & MAYMOVE == 0) {
            return Err(Errno::EINVAL);
        }
        // MREMAP_DONTUNMAP is always a move, and never a resize.
        if r.flags & DONTUNMAP != 0 && (r.flags & MAYMOVE == 0 || r.old_len != r.new_len) {
            return Err(Errno::EINVAL);
        }
        if !r.addr.is_multiple_of(PAGE_SIZE) || page_align(r.new_len) == 0 {
            return Err(Errno::EINVAL);
        }
        if rel.at_least(6, 17) && r.new_len > TASK_SIZE {
            return Err(Errno::EINVAL);
        }
        if r.implies_new_addr() {
            if !r.new_addr.is_multiple_of(PAGE_SIZE) {
                return Err(Errno::EINVAL);
            }
            // (5.11) Both ranges may split in three: stay four below the limit.
            let maps = self.task(pid)?.mm.vmas.len() as u64;
            if rel.at_least(5, 11) && maps + 2 >= self.max_map_count.saturating_sub(3) {
                return Err(Errno::ENOMEM);
            }
        }
        Ok(())
    }

    /// Not moving on request (`mremap_at`): shrink in place, grow in place
    /// if the space after the VMA is free, else move (with `MREMAP_MAYMOVE`).
    /// Returns the address and, for a locked mapping that grew, the offset
    /// from which to populate.
    fn mremap_at(&mut self, pid: Pid, r: &mut Remap) -> SysResult<(u64, Option<u64>)> {
        if r.old_len >= r.new_len {
            // "Always allow a shrinking remap": 4.14 even of nothing.
            self.shrink(pid, r)?;
            return Ok((r.addr, None));
        }
        let vma = self.vma_to_resize(pid, r)?;
        let locked = vma.flags & vm::LOCKED != 0;
        if r.old_len == vma.end - r.addr && self.vma_expandable(pid, &vma, r.new_len - r.old_len) {
            self.trace.leaf("vma_adjust", "mm/mmap.c");
            self.expand_in_place(pid, &vma, r.addr + r.new_len);
            return Ok((r.addr, locked.then_some(r.old_len)));
        }
        if r.flags & MAYMOVE == 0 {
            return Err(Errno::ENOMEM);
        }
        let to = self.get_unmapped_area(pid, 0, r.new_len, false, false)?;
        let at = self.move_vma(pid, &vma, r, to)?;
        Ok((at, locked.then_some(r.old_len)))
    }

    /// `mremap_to`: a move to `new_address` (`MREMAP_FIXED`), or with
    /// `MREMAP_DONTUNMAP` to where `get_unmapped_area` says.
    fn mremap_to(&mut self, pid: Pid, r: &mut Remap) -> SysResult<(u64, Option<u64>)> {
        if r.new_len > TASK_SIZE || r.new_addr > TASK_SIZE - r.new_len {
            return Err(Errno::EINVAL);
        }
        // The two ranges may not overlap.
        if r.addr < r.new_addr + r.new_len && r.new_addr < r.addr.saturating_add(r.old_len) {
            return Err(Errno::EINVAL);
        }
        let rel = self.cfg.release;
        if r.flags & FIXED != 0 {
            // What was at the destination goes first, whatever follows.
            self.do_munmap(pid, r.new_addr, r.new_len);
            if rel.at_least(6, 17) && r.old_len == r.new_len && r.flags & DONTUNMAP == 0 {
                return self.remap_move(pid, r).map(|at| (at, None));
            }
        }
        if r.old_len > r.new_len {
            self.shrink(pid, r)?;
            r.old_len = r.new_len;
        }
        let vma = self.vma_to_resize(pid, r)?;
        let to = if r.flags & FIXED != 0 {
            r.new_addr
        } else {
            self.get_unmapped_area(pid, r.new_addr, r.new_len, false, false)?
        };
        let at = self.move_vma(pid, &vma, r, to)?;
        let grew = vma.flags & vm::LOCKED != 0 && r.new_len > r.old_len;
        Ok((at, grew.then_some(r.old_len)))
    }

    /// Unmaps the tail `[addr + new_len, addr + old_len)`; a tail outside
    /// the address space is `do_munmap`'s `EINVAL`.
    fn shrink(&mut self, pid: Pid, r: &Remap) -> SysResult<()> {
        let (start, len) = (r.addr.saturating_add(r.new_len), r.old_len - r.new_len);
        if len == 0 {
            return Ok(());
        }
        if start > TASK_SIZE || len > TASK_SIZE - start {
            return Err(Errno::EINVAL);
        }
        self.do_munmap(pid, start, len);
        Ok(())
    }

    /// `vma_to_resize` (4.14) / `remap_is_valid`: may this VMA be resized
    /// from `old_len` to `new_len` at `addr`?
    fn vma_to_resize(&self, pid: Pid, r: &Remap) -> SysResult<Vma> {
        let task = self.task(pid)?;
        let vma = task.mm.vma_at(r.addr).cloned().ok_or(Errno::EFAULT)?;
        let shared = vma.flags & (vm::SHARED | vm::MAYSHARE) != 0;
        // Duplicating a mapping (old_size 0) makes sense only if it is shared.
        if r.old_len == 0 && !shared {
            return Err(Errno::EINVAL);
        }
        // 5.7 to 5.12 moved only private anonymous memory with DONTUNMAP.
        let rel = self.cfg.release;
        if r.flags & DONTUNMAP != 0 && !rel.at_least(5, 13) && (shared || vma.file.is_some()) {
            return Err(Errno::EINVAL);
        }
        // "We can't remap across vm area boundaries."
        if r.old_len > vma.end - r.addr {
            return Err(Errno::EFAULT);
        }
        if r.new_len == r.old_len {
            return Ok(vma);
        }
        let pgoff = vma.linear_page_index(r.addr);
        if pgoff.checked_add(r.new_len / PAGE_SIZE).is_none() {
            return Err(Errno::EINVAL);
        }
        if vma.flags & vm::LOCKED != 0 && r.new_len > r.old_len {
            let limit = task.rlim.cur(crate::sys::rlimit::MEMLOCK);
            let locked = task.mm.locked_vm() * PAGE_SIZE + r.new_len - r.old_len;
            if task.uid != 0 && locked > limit {
                return Err(Errno::EAGAIN);
            }
        }
        Ok(vma)
    }

    /// `vma_expandable`: is `[vm_end, vm_end + delta)` free and inside the
    /// address space?
    fn vma_expandable(&self, pid: Pid, vma: &Vma, delta: u64) -> bool {
        let Some(end) = vma.end.checked_add(delta).filter(|&e| e <= TASK_SIZE) else {
            return false;
        };
        let mm = &self.tasks[&pid].mm;
        mm.vmas.range(vma.end..end).next().is_none()
    }

    /// Grows `vma` in place to end at `end` (`vma_adjust`; from 6.6
    /// `vma_merge_extend`, which merges it with the next VMA if it can).
    fn expand_in_place(&mut self, pid: Pid, vma: &Vma, end: u64) {
        let mm = &mut self.tasks.get_mut(&pid).expect("live").mm;
        mm.vmas.get_mut(&vma.start).expect("vma").end = end;
        let grown = Vma { end, ..vma.clone() };
        self.touch_vma(pid, &grown);
        if self.cfg.release.at_least(6, 6) {
            self.try_merge(pid, vma.start);
        }
    }

    /// `move_vma`: a copy of the VMA at `to` (`copy_vma`), the page tables
    /// moved under it, and the old range unmapped (or, with
    /// `MREMAP_DONTUNMAP`, kept empty and unlocked).
    fn move_vma(&mut self, pid: Pid, vma: &Vma, r: &Remap, to: u64) -> SysResult<u64> {
        self.trace.enter("move_vma", "mm/mremap.c");
        let res = self.move_vma_inner(pid, vma, r, to);
        self.trace.leave();
        res
    }

    fn move_vma_inner(&mut self, pid: Pid, vma: &Vma, r: &Remap, to: u64) -> SysResult<u64> {
        if self.tasks[&pid].mm.vmas.len() as u64 >= self.max_map_count.saturating_sub(3) {
            return Err(Errno::ENOMEM);
        }
        self.copy_vma(pid, vma, r.addr, to, r.new_len);
        self.move_page_tables(pid, r.addr, to, r.old_len);
        if r.flags & DONTUNMAP != 0 {
            self.dontunmap_complete(pid, vma, r);
        } else {
            self.do_munmap(pid, r.addr, r.old_len);
        }
        Ok(to)
    }

    /// `copy_vma`: the VMA's part from `from`, as a VMA of `len` bytes at `to`
    /// with the same file, flags, `anon_vma` and page offset.
    fn copy_vma(&mut self, pid: Pid, vma: &Vma, from: u64, to: u64, len: u64) {
        self.trace.leaf("copy_vma", "mm/mmap.c");
        let copy = Vma {
            start: to,
            end: to + len,
            pgoff: vma.linear_page_index(from),
            ..vma.clone()
        };
        if let Some(f) = copy.file {
            self.get_file(f);
        }
        // vm_ops->open: a System V attach counts once more (shm_open).
        if let Some(attach) = copy.shm {
            self.shm_open(attach.shmid, pid);
        }
        self.insert_vma(pid, copy);
    }

    /// `move_page_tables` -> `move_ptes`: every PTE of `[from, from + len)`
    /// moves to the same offset from `to`, present or swap, with its bits.
    /// No page changes: its reference, mapcount and `index` stay.
    fn move_page_tables(&mut self, pid: Pid, from: u64, to: u64, len: u64) {
        self.trace.leaf("move_page_tables", "mm/mremap.c");
        let vpns: Vec<u64> = self.tasks[&pid]
            .mm
            .ptes
            .range(from / PAGE_SIZE..(from + len) / PAGE_SIZE)
            .map(|(vpn, _)| vpn)
            .collect();
        let mm = &mut self.tasks.get_mut(&pid).expect("live").mm;
        let moved: Vec<(u64, Pte)> = vpns
            .iter()
            .map(|&vpn| (vpn, mm.ptes.remove(vpn).expect("listed")))
            .collect();
        for (vpn, pte) in moved {
            mm.ptes.insert(vpn - from / PAGE_SIZE + to / PAGE_SIZE, pte);
        }
        for vpn in vpns {
            self.trace.touch(Touch::Pte { pid, vpn });
            let moved = vpn - from / PAGE_SIZE + to / PAGE_SIZE;
            self.trace.touch(Touch::Pte { pid, vpn: moved });
        }
    }

    /// `dontunmap_complete`: the old range stays mapped, empty; it is no
    /// longer locked, and a VMA moved whole loses its `anon_vma` (its next
    /// faults start a new family of anonymous pages).
    fn dontunmap_complete(&mut self, pid: Pid, vma: &Vma, r: &Remap) {
        let (start, end) = (r.addr, r.addr + r.old_len);
        self.split_vma(pid, start);
        self.split_vma(pid, end);
        let whole = vma.start == start && vma.end == end;
        let mm = &mut self.tasks.get_mut(&pid).expect("live").mm;
        let old = mm.vmas.get_mut(&start).expect("the old VMA stays");
        old.flags &= !(vm::LOCKED | vm::LOCKONFAULT | vm::ACCOUNT);
        if whole {
            old.anon_vma = None;
        }
        let old = old.clone();
        self.touch_vma(pid, &old);
    }

    /// `remap_move` (6.17): `MREMAP_FIXED` without resizing moves every VMA
    /// of `[addr, addr + old_len)` to the same offset from `new_address`,
    /// the gaps between them staying gaps. The first page must be mapped.
    fn remap_move(&mut self, pid: Pid, r: &Remap) -> SysResult<u64> {
        let end = r.addr + r.old_len;
        let starts: Vec<(u64, u64)> = {
            let mm = &self.task(pid)?.mm;
            if mm.vma_at(r.addr).is_none() {
                return Err(Errno::EFAULT);
            }
            mm.vmas
                .values()
                .filter(|v| v.start < end && r.addr < v.end)
                .map(|v| (v.start.max(r.addr), v.end.min(end)))
                .collect()
        };
        for (lo, hi) in starts {
            let vma = self.task(pid)?.mm.vma_at(lo).cloned().expect("listed");
            let piece = Remap {
                addr: lo,
                old_len: hi - lo,
                new_len: hi - lo,
                ..*r
            };
            self.move_vma(pid, &vma, &piece, r.new_addr + (lo - r.addr))?;
        }
        Ok(r.new_addr)
    }
}
