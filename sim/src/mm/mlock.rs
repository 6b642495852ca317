//! `mlock(2)`, `munlock(2)`, `mlockall(2)`, `munlockall(2)`.
//!
//! Mirrors `mm/mlock.c` (4.14): `can_do_mlock`, `do_mlock`,
//! `apply_vma_lock_flags`, `mlock_fixup`, `count_mm_mlocked_page_nr`,
//! `SYSCALL_DEFINE1(mlockall)`, `apply_mlockall_flags`, and the populate
//! step of `mm/gup.c` (`__mm_populate`).
//!
//! A locked VMA carries `VM_LOCKED` (and, for `MCL_ONFAULT`,
//! `VM_LOCKONFAULT`); `mm->locked_vm` is the pages of the locked VMAs, which
//! the model counts from the VMAs ([`Mm::locked_vm`]) rather than keeping a
//! second count that could drift. A page mapped in a locked VMA is
//! `PG_mlocked` in the kernel (`Mlocked` in `/proc/meminfo`, see
//! [`Kernel::nr_mlock`]) and reclaim culls it to the unevictable list
//! (`page_locked_in_memory` in [`crate::mm::vmscan`]).

use crate::errno::{Errno, SysResult};
use crate::kernel::{vm, Kernel, Mm, Pid, Pte};
use crate::mm::page::{Pfn, PAGE_SIZE};
use crate::sys::rlimit;
use crate::trace::{Counter, Touch};
use std::collections::BTreeSet;

/// `MCL_*` (`include/uapi/asm-generic/mman.h`).
pub mod mcl {
    /// `MCL_CURRENT`: lock every page mapped now.
    pub const CURRENT: u32 = 1;
    /// `MCL_FUTURE`: lock every mapping made from now on.
    pub const FUTURE: u32 = 2;
    /// `MCL_ONFAULT`: lock pages as they fault in, not all at once.
    pub const ONFAULT: u32 = 4;
}

/// `VM_LOCKED_CLEAR_MASK`, as the bits it clears.
const LOCK_BITS: u32 = vm::LOCKED | vm::LOCKONFAULT;

/// `PAGE_ALIGN(len + offset_in_page(start))` and `start & PAGE_MASK`, with
/// C's unsigned wrap-around.
fn align_range(start: u64, len: u64) -> (u64, u64) {
    let off = start % PAGE_SIZE;
    let len = len.wrapping_add(off).wrapping_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
    (start - off, len)
}

impl Mm {
    /// `mm->locked_vm`: the pages of its locked VMAs.
    pub fn locked_vm(&self) -> u64 {
        self.vmas
            .values()
            .filter(|v| v.flags & vm::LOCKED != 0)
            .map(|v| v.pages())
            .sum()
    }

    /// `mm->total_vm`: the pages of all its VMAs.
    pub fn total_vm(&self) -> u64 {
        self.vmas.values().map(|v| v.pages()).sum()
    }

    /// `count_mm_mlocked_page_nr`: the pages of `[start, start + len)` that
    /// locked VMAs cover already.
    fn mlocked_pages_in(&self, start: u64, len: u64) -> u64 {
        let end = start.wrapping_add(len);
        self.vmas
            .values()
            .filter(|v| v.flags & vm::LOCKED != 0 && v.end > start && v.start < end)
            .map(|v| (v.end.min(end) - v.start.max(start)) / PAGE_SIZE)
            .sum()
    }
}

impl Kernel {
    /// `can_do_mlock`: a nonzero `RLIMIT_MEMLOCK`, or `CAP_IPC_LOCK` (root).
    pub(crate) fn can_do_mlock(&self, pid: Pid) -> SysResult<bool> {
        let task = self.task(pid)?;
        Ok(task.rlim.cur(rlimit::MEMLOCK) != 0 || task.uid == 0)
    }

    /// May `pid` lock `pages` more pages (`lock_limit`, `capable(CAP_IPC_LOCK)`)?
    fn within_lock_limit(&self, pid: Pid, pages: u64) -> SysResult<bool> {
        let task = self.task(pid)?;
        Ok(task.uid == 0 || pages <= task.rlim.cur(rlimit::MEMLOCK) / PAGE_SIZE)
    }

    /// `mlock(2)`.
    pub fn mlock(&mut self, pid: Pid, start: u64, len: u64) -> SysResult<i32> {
        self.tick();
        self.task(pid)?;
        self.traced("do_mlock", "mm/mlock.c", |k| k.do_mlock(pid, start, len))
    }

    /// `do_mlock`: `EPERM` without `can_do_mlock`; `ENOMEM` when the locked
    /// pages would pass `RLIMIT_MEMLOCK` (pages locked already in the range
    /// count once), or for a range with unmapped pages; `EINVAL` for a
    /// range that wraps. The range is locked, then faulted in; a page that
    /// cannot be faulted in (`PROT_NONE`) is `ENOMEM`, the lock staying.
    fn do_mlock(&mut self, pid: Pid, start: u64, len: u64) -> SysResult<i32> {
        if !self.can_do_mlock(pid)? {
            return Err(Errno::EPERM);
        }
        let (start, len) = align_range(start, len);
        let mm = &self.task(pid)?.mm;
        let mut locked = (len / PAGE_SIZE).saturating_add(mm.locked_vm());
        if !self.within_lock_limit(pid, locked)? {
            locked -= mm.mlocked_pages_in(start, len);
        }
        if !self.within_lock_limit(pid, locked)? {
            return Err(Errno::ENOMEM);
        }
        self.apply_vma_lock_flags(pid, start, len, vm::LOCKED)?;
        // __mlock_posix_error_return: EFAULT is ENOMEM.
        self.mm_populate(pid, start, start + len, false)
            .map_err(|_| Errno::ENOMEM)?;
        Ok(0)
    }

    /// `munlock(2)`: unlocks `[start, start + len)`; `ENOMEM` for a range
    /// with unmapped pages, `EINVAL` for one that wraps.
    pub fn munlock(&mut self, pid: Pid, start: u64, len: u64) -> SysResult<i32> {
        self.tick();
        self.task(pid)?;
        self.trace.enter("sys_munlock", "mm/mlock.c");
        let (start, len) = align_range(start, len);
        let r = self.apply_vma_lock_flags(pid, start, len, 0);
        self.trace.leave();
        r.map(|()| 0)
    }

    /// `apply_vma_lock_flags`: every VMA of the range gets `flags` as its
    /// lock bits, split at the range's ends; the range must be mapped
    /// without a gap (`ENOMEM`, with the VMAs before the gap changed).
    fn apply_vma_lock_flags(
        &mut self,
        pid: Pid,
        start: u64,
        len: u64,
        flags: u32,
    ) -> SysResult<()> {
        let end = start.wrapping_add(len);
        if end < start {
            return Err(Errno::EINVAL);
        }
        if end == start {
            return Ok(());
        }
        let mut at = start;
        while at < end {
            let Some(vma) = self.tasks[&pid].mm.vma_at(at).cloned() else {
                return Err(Errno::ENOMEM);
            };
            let newflags = (vma.flags & !LOCK_BITS) | flags;
            let seg_end = vma.end.min(end);
            // mlock_fixup() -> split_vma(): `mm->map_count >=
            // sysctl_max_map_count` is ENOMEM.
            let splits = (at > vma.start) as u64 + (seg_end < vma.end) as u64;
            if vma.flags != newflags
                && self.tasks[&pid].mm.vmas.len() as u64 + splits > self.max_map_count
                && splits > 0
            {
                return Err(Errno::ENOMEM);
            }
            self.mlock_fixup(pid, at, seg_end, newflags);
            at = seg_end;
        }
        Ok(())
    }

    /// `mlock_fixup`: `[start, end)`, inside one VMA, gets `newflags`: the
    /// VMA is split at the range's ends and merged again with its
    /// neighbours where their flags now agree.
    fn mlock_fixup(&mut self, pid: Pid, start: u64, end: u64, newflags: u32) {
        let vma = self.tasks[&pid].mm.vma_at(start).cloned().expect("mapped");
        if vma.flags == newflags {
            return;
        }
        self.trace.leaf("mlock_fixup", "mm/mlock.c");
        self.split_vma(pid, start);
        self.split_vma(pid, end);
        let mm = &mut self.tasks.get_mut(&pid).expect("live").mm;
        let v = mm.vmas.get_mut(&start).expect("split vma");
        v.flags = newflags;
        let v = v.clone();
        self.touch_vma(pid, &v);
        if (vma.flags ^ newflags) & vm::LOCKED != 0 {
            self.trace.touch(Touch::Counter(Counter::Mlock));
        }
        if newflags & vm::LOCKED == 0 {
            self.trace.leaf("munlock_vma_pages_range", "mm/mlock.c");
            self.munlock_pages(pid, start, end);
        }
        self.try_merge(pid, start);
    }

    /// `munlock_vma_pages_range`: pages reclaim culled to the unevictable
    /// list go back to the evictable lists once nothing locks them.
    fn munlock_pages(&mut self, pid: Pid, start: u64, end: u64) {
        let pfns: Vec<Pfn> = self.tasks[&pid]
            .mm
            .ptes
            .range(start / PAGE_SIZE..end / PAGE_SIZE)
            .filter_map(|(_, pte)| match pte {
                Pte::Present { pfn, .. } => Some(pfn),
                _ => None,
            })
            .collect();
        for pfn in pfns {
            self.putback_evictable(pfn);
        }
    }

    /// `mlockall(2)`: `EINVAL` for no flags, unknown flags or `MCL_ONFAULT`
    /// alone; `EPERM` without `can_do_mlock`; `ENOMEM` for `MCL_CURRENT`
    /// when all the process maps passes `RLIMIT_MEMLOCK`.
    pub fn mlockall(&mut self, pid: Pid, flags: u32) -> SysResult<i32> {
        use mcl::*;
        self.tick();
        self.task(pid)?;
        self.traced("sys_mlockall", "mm/mlock.c", |k| {
            if flags == 0 || flags & !(CURRENT | FUTURE | ONFAULT) != 0 || flags == ONFAULT {
                return Err(Errno::EINVAL);
            }
            if !k.can_do_mlock(pid)? {
                return Err(Errno::EPERM);
            }
            let total = k.task(pid)?.mm.total_vm();
            if flags & CURRENT != 0 && !k.within_lock_limit(pid, total)? {
                return Err(Errno::ENOMEM);
            }
            k.apply_mlockall_flags(pid, flags);
            if flags & CURRENT != 0 {
                k.mm_populate(pid, 0, u64::MAX, true)?;
            }
            Ok(0)
        })
    }

    /// `munlockall(2)`: unlocks every VMA and stops locking new ones.
    pub fn munlockall(&mut self, pid: Pid) -> SysResult<i32> {
        self.tick();
        self.task(pid)?;
        self.trace.enter("sys_munlockall", "mm/mlock.c");
        self.apply_mlockall_flags(pid, 0);
        self.trace.leave();
        Ok(0)
    }

    /// `apply_mlockall_flags`: `MCL_FUTURE` goes into `mm->def_flags` (every
    /// later `mmap` and `shmat` is locked); `MCL_CURRENT` locks every VMA.
    fn apply_mlockall_flags(&mut self, pid: Pid, flags: u32) {
        use mcl::*;
        let onfault = if flags & ONFAULT != 0 {
            vm::LOCKONFAULT
        } else {
            0
        };
        let mm = &mut self.tasks.get_mut(&pid).expect("live").mm;
        mm.def_flags &= !LOCK_BITS;
        if flags & FUTURE != 0 {
            mm.def_flags |= vm::LOCKED | onfault;
            if flags & CURRENT == 0 {
                return;
            }
        }
        let to_add = if flags & CURRENT != 0 {
            vm::LOCKED | onfault
        } else {
            0
        };
        let mut at = 0;
        while let Some(vma) = self.tasks[&pid]
            .mm
            .vmas
            .range(at..)
            .next()
            .map(|(_, v)| v.clone())
        {
            self.mlock_fixup(pid, vma.start, vma.end, (vma.flags & !LOCK_BITS) | to_add);
            at = vma.end;
        }
    }

    /// `__mm_populate` (`mm/gup.c`): faults in every page of the VMAs in
    /// `[start, end)`, skipping the gaps between them and `VM_LOCKONFAULT`
    /// VMAs (whose pages are locked as they fault). A VMA that cannot be
    /// accessed at all (`PROT_NONE`) is `EFAULT`, unless `ignore_errors`.
    pub(crate) fn mm_populate(
        &mut self,
        pid: Pid,
        start: u64,
        end: u64,
        ignore_errors: bool,
    ) -> SysResult<()> {
        let mut at = start;
        while at < end {
            let Some(vma) = self.tasks[&pid]
                .mm
                .vmas
                .values()
                .find(|v| v.end > at)
                .filter(|v| v.start < end)
                .cloned()
            else {
                break;
            };
            let (s, e) = (at.max(vma.start), end.min(vma.end));
            if !vma.is_accessible() {
                if !ignore_errors {
                    return Err(Errno::EFAULT);
                }
            } else if vma.flags & vm::LOCKONFAULT == 0 {
                self.populate_vma_page_range(pid, &vma, s, e);
            }
            at = e;
        }
        Ok(())
    }

    /// `Mlocked` of `/proc/meminfo` (`NR_MLOCK`), in pages: the frames
    /// mapped in a locked VMA of any process (the zero page is no one's).
    pub fn nr_mlock(&self) -> u64 {
        let zero = self.mem.zero_pfn;
        let mut pfns = BTreeSet::new();
        for task in self.tasks.values() {
            for v in task.mm.vmas.values().filter(|v| v.flags & vm::LOCKED != 0) {
                for (_, pte) in task.mm.ptes.range(v.start / PAGE_SIZE..v.end / PAGE_SIZE) {
                    if let Pte::Present { pfn, .. } = pte {
                        if pfn != zero {
                            pfns.insert(pfn);
                        }
                    }
                }
            }
        }
        pfns.len() as u64
    }
}
