//! `madvise(2)`.
//!
//! Mirrors `mm/madvise.c` (4.14, plus `MADV_COLD` and `MADV_PAGEOUT` from
//! 5.4): `madvise_dontneed_single_vma`, `madvise_remove`, `madvise_willneed`,
//! `madvise_cold`, `madvise_pageout`, `madvise_populate`.
//!
//! Which advice exists is the scenario's release's `madvise_behavior_valid`
//! (unknown advice is `EINVAL`): 4.14 knows `MADV_NORMAL` to `MADV_DOFORK`,
//! `MADV_MERGEABLE`, `MADV_UNMERGEABLE` (KSM), `MADV_HUGEPAGE`,
//! `MADV_NOHUGEPAGE` (THP), `MADV_DONTDUMP`, `MADV_DODUMP`,
//! `MADV_WIPEONFORK`, `MADV_KEEPONFORK`; `MADV_POPULATE_READ` and
//! `MADV_POPULATE_WRITE` come in 5.14, `MADV_DONTNEED_LOCKED` in 5.18,
//! `MADV_COLLAPSE` in 6.1, `MADV_GUARD_INSTALL` and `MADV_GUARD_REMOVE` in
//! 6.13. `MADV_COLD` and `MADV_PAGEOUT` (5.4) are the model's way to
//! reclaim one range, and it takes them in every release.
//!
//! Advice that exists but whose effect the model does not model returns 0
//! and changes nothing the model shows, as on Linux for what the model can
//! see: `MADV_MERGEABLE`/`UNMERGEABLE` (no ksmd runs), `MADV_HUGEPAGE`/
//! `NOHUGEPAGE` (the model has no transparent huge pages), `MADV_DONTDUMP`/
//! `DODUMP` (no core dumps), `MADV_DONTFORK`/`DOFORK` and
//! `MADV_WIPEONFORK`/`KEEPONFORK` (a forked child still gets the range, as
//! a child without the advice does; `MADV_WIPEONFORK` of a file or shared
//! mapping is `EINVAL`, as on Linux), `MADV_GUARD_INSTALL`/`GUARD_REMOVE`
//! (no guard markers: an access after `MADV_GUARD_INSTALL` does not
//! `SIGSEGV` as on Linux; a locked mapping is `EINVAL`, and a file mapping
//! before 6.15), `MADV_COLLAPSE` (`EINVAL` unless the VMA holds an aligned
//! 2 MiB range, else 0 with no huge page made). `MADV_HWPOISON` and
//! `MADV_SOFT_OFFLINE` need `CAP_SYS_ADMIN` (`madvise_inject_error`):
//! `EPERM` for an ordinary user; for root they return 0 and the model
//! poisons nothing (Linux would: the next access is `SIGBUS`). A kernel
//! built without `CONFIG_MEMORY_FAILURE` answers `EINVAL` instead.

use crate::errno::{Errno, SysResult};
use crate::fs::vfs::InodeKind;
use crate::kernel::{vm, Kernel, Pid, Pte, Vma};
use crate::mm::filemap::CacheEntry;
use crate::mm::page::PAGE_SIZE;
use crate::trace::Touch;

/// `MADV_*` (`include/uapi/asm-generic/mman-common.h`).
pub mod madv {
    /// `MADV_NORMAL`.
    pub const NORMAL: i32 = 0;
    /// `MADV_RANDOM`.
    pub const RANDOM: i32 = 1;
    /// `MADV_SEQUENTIAL`.
    pub const SEQUENTIAL: i32 = 2;
    /// `MADV_WILLNEED`.
    pub const WILLNEED: i32 = 3;
    /// `MADV_DONTNEED`.
    pub const DONTNEED: i32 = 4;
    /// `MADV_FREE`.
    pub const FREE: i32 = 8;
    /// `MADV_REMOVE`.
    pub const REMOVE: i32 = 9;
    /// `MADV_DONTFORK`.
    pub const DONTFORK: i32 = 10;
    /// `MADV_DOFORK`.
    pub const DOFORK: i32 = 11;
    /// `MADV_COLD` (5.4+).
    pub const COLD: i32 = 20;
    /// `MADV_PAGEOUT` (5.4+).
    pub const PAGEOUT: i32 = 21;
    /// `MADV_MERGEABLE` (KSM).
    pub const MERGEABLE: i32 = 12;
    /// `MADV_UNMERGEABLE` (KSM).
    pub const UNMERGEABLE: i32 = 13;
    /// `MADV_HUGEPAGE` (THP).
    pub const HUGEPAGE: i32 = 14;
    /// `MADV_NOHUGEPAGE` (THP).
    pub const NOHUGEPAGE: i32 = 15;
    /// `MADV_DONTDUMP`.
    pub const DONTDUMP: i32 = 16;
    /// `MADV_DODUMP`.
    pub const DODUMP: i32 = 17;
    /// `MADV_WIPEONFORK` (4.14+).
    pub const WIPEONFORK: i32 = 18;
    /// `MADV_KEEPONFORK` (4.14+).
    pub const KEEPONFORK: i32 = 19;
    /// `MADV_POPULATE_READ` (5.14+).
    pub const POPULATE_READ: i32 = 22;
    /// `MADV_POPULATE_WRITE` (5.14+).
    pub const POPULATE_WRITE: i32 = 23;
    /// `MADV_DONTNEED_LOCKED` (5.18+).
    pub const DONTNEED_LOCKED: i32 = 24;
    /// `MADV_COLLAPSE` (6.1+).
    pub const COLLAPSE: i32 = 25;
    /// `MADV_HWPOISON` (`CONFIG_MEMORY_FAILURE`).
    pub const HWPOISON: i32 = 100;
    /// `MADV_SOFT_OFFLINE` (`CONFIG_MEMORY_FAILURE`).
    pub const SOFT_OFFLINE: i32 = 101;
    /// `MADV_GUARD_INSTALL` (6.13+).
    pub const GUARD_INSTALL: i32 = 102;
    /// `MADV_GUARD_REMOVE` (6.13+).
    pub const GUARD_REMOVE: i32 = 103;
}

/// The huge page size `MADV_COLLAPSE` makes (`HPAGE_PMD_SIZE`).
const HPAGE_PMD_SIZE: u64 = 2 << 20;

impl Kernel {
    /// `madvise(2)`.
    pub fn madvise(&mut self, pid: Pid, start: u64, len: u64, advice: i32) -> SysResult<i32> {
        self.tick();
        self.task(pid)?;
        self.traced("madvise", "mm/madvise.c", |k| {
            k.do_madvise(pid, start, len, advice)
        })
    }

    /// `madvise_behavior_valid` of the scenario's release (see the module doc).
    fn madvise_behavior_valid(&self, advice: i32) -> bool {
        use madv::*;
        let r = self.cfg.release;
        match advice {
            NORMAL | RANDOM | SEQUENTIAL | WILLNEED | DONTNEED | FREE | REMOVE | DONTFORK
            | DOFORK | MERGEABLE | UNMERGEABLE | HUGEPAGE | NOHUGEPAGE | DONTDUMP | DODUMP
            | WIPEONFORK | KEEPONFORK => true,
            // The model's extension: 5.4's advice in every release.
            COLD | PAGEOUT => true,
            POPULATE_READ | POPULATE_WRITE => r.at_least(5, 14),
            DONTNEED_LOCKED => r.at_least(5, 18),
            COLLAPSE => r.at_least(6, 1),
            GUARD_INSTALL | GUARD_REMOVE => r.at_least(6, 13),
            HWPOISON | SOFT_OFFLINE => true,
            _ => false,
        }
    }

    /// `madvise_inject_error`: `CAP_SYS_ADMIN` or `EPERM`; root's answer is
    /// 0 and nothing is poisoned (not modelled).
    fn madvise_inject_error(&mut self, pid: Pid) -> SysResult<i32> {
        self.trace.leaf("madvise_inject_error", "mm/madvise.c");
        if self.task(pid)?.uid != 0 {
            return Err(Errno::EPERM);
        }
        Ok(0)
    }

    fn do_madvise(&mut self, pid: Pid, start: u64, len: u64, advice: i32) -> SysResult<i32> {
        use madv::*;
        let inject = advice == HWPOISON || advice == SOFT_OFFLINE;
        // 4.14 injects the error before any other check; later releases
        // check the advice and the range first (5.10's do_madvise).
        if inject && !self.cfg.release.at_least(5, 10) {
            return self.madvise_inject_error(pid);
        }
        if !self.madvise_behavior_valid(advice) {
            return Err(Errno::EINVAL);
        }
        if !start.is_multiple_of(PAGE_SIZE) {
            return Err(Errno::EINVAL);
        }
        let alen = len
            .checked_add(PAGE_SIZE - 1)
            .map(|l| l & !(PAGE_SIZE - 1))
            .ok_or(Errno::EINVAL)?;
        let end = start.checked_add(alen).ok_or(Errno::EINVAL)?;
        if end == start {
            return Ok(0);
        }
        if inject {
            return self.madvise_inject_error(pid);
        }
        let mut unmapped = false;
        let mut at = start;
        while at < end {
            let next = self.tasks[&pid]
                .mm
                .vmas
                .values()
                .find(|v| v.end > at)
                .cloned();
            let Some(vma) = next.filter(|v| v.start < end) else {
                unmapped = true;
                break;
            };
            if at < vma.start {
                unmapped = true;
                at = vma.start;
            }
            let seg_end = vma.end.min(end);
            self.madvise_vma(pid, &vma, at, seg_end, advice)?;
            at = seg_end;
        }
        if unmapped {
            Err(Errno::ENOMEM)
        } else {
            Ok(0)
        }
    }

    fn madvise_vma(
        &mut self,
        pid: Pid,
        vma: &Vma,
        start: u64,
        end: u64,
        advice: i32,
    ) -> SysResult<()> {
        use madv::*;
        match advice {
            DONTNEED => {
                if vma.flags & vm::LOCKED != 0 {
                    return Err(Errno::EINVAL);
                }
                self.trace
                    .leaf("madvise_dontneed_single_vma", "mm/madvise.c");
                self.zap_page_range(pid, start, end);
                Ok(())
            }
            FREE => {
                if vma.file.is_some() || vma.flags & vm::LOCKED != 0 {
                    return Err(Errno::EINVAL);
                }
                self.trace.leaf("madvise_free_single_vma", "mm/madvise.c");
                self.madvise_free(pid, start, end);
                Ok(())
            }
            REMOVE => self.madvise_remove(vma, start, end),
            WILLNEED => {
                self.madvise_willneed(pid, vma, start, end);
                Ok(())
            }
            COLD => {
                if vma.flags & vm::LOCKED != 0 {
                    return Err(Errno::EINVAL);
                }
                self.madvise_cold_or_pageout(pid, vma, start, end, false);
                Ok(())
            }
            PAGEOUT => {
                if vma.flags & vm::LOCKED != 0 {
                    return Err(Errno::EINVAL);
                }
                self.madvise_cold_or_pageout(pid, vma, start, end, true);
                Ok(())
            }
            DONTNEED_LOCKED => {
                // madvise_dontneed_free_valid_vma(): VM_LOCKED is allowed.
                self.trace
                    .leaf("madvise_dontneed_single_vma", "mm/madvise.c");
                self.zap_page_range(pid, start, end);
                Ok(())
            }
            POPULATE_READ | POPULATE_WRITE => {
                self.madvise_populate(pid, vma, start, end, advice == POPULATE_WRITE)
            }
            WIPEONFORK => {
                // madvise_behavior(): only private anonymous memory.
                if vma.file.is_some() || vma.flags & vm::SHARED != 0 {
                    return Err(Errno::EINVAL);
                }
                Ok(())
            }
            GUARD_INSTALL | GUARD_REMOVE => {
                // madvise_guard_install(): not a locked VMA; file mappings
                // only from 6.15.
                if advice == GUARD_INSTALL
                    && (vma.flags & vm::LOCKED != 0
                        || (vma.file.is_some() && !self.cfg.release.at_least(6, 15)))
                {
                    return Err(Errno::EINVAL);
                }
                Ok(())
            }
            COLLAPSE => {
                // thp_vma_allowable_order(): the VMA must hold an aligned PMD.
                let lo = vma.start.next_multiple_of(HPAGE_PMD_SIZE);
                if vma.file.is_some() || lo + HPAGE_PMD_SIZE > vma.end {
                    return Err(Errno::EINVAL);
                }
                Ok(())
            }
            // Valid but not modelled (see the module doc): 0, no change.
            _ => Ok(()),
        }
    }

    /// `MADV_POPULATE_READ`/`WRITE` (`madvise_populate`, 5.14+): faults
    /// the range in as a read (or write) would, without a signal: a
    /// mapping that forbids the access is `EINVAL`, a fault that fails
    /// (`SIGBUS` past the end of a file) `EFAULT`.
    fn madvise_populate(
        &mut self,
        pid: Pid,
        vma: &Vma,
        start: u64,
        end: u64,
        write: bool,
    ) -> SysResult<()> {
        self.trace.enter("madvise_populate", "mm/madvise.c");
        let need = if write { vm::WRITE } else { vm::READ };
        let r = if vma.flags & need == 0 {
            Err(Errno::EINVAL)
        } else {
            self.faultin_range(pid, start, end, write)
        };
        self.trace.leave();
        r
    }

    /// `MADV_FREE` (`madvise_free_pte_range`): a swap PTE gives its slot
    /// back at once (`free_swap_and_cache`, the PTE is cleared: the page
    /// reads back as zeroes); a page this process alone maps is cleaned
    /// (out of the swap cache first, `try_to_free_swap`), its PTE made old
    /// and clean, and it becomes lazily freeable (`mark_page_lazyfree`):
    /// reclaim drops it instead of swapping it, unless it is written again.
    fn madvise_free(&mut self, pid: Pid, start: u64, end: u64) {
        let zero = self.mem.zero_pfn;
        let ptes: Vec<(u64, Pte)> = self.tasks[&pid]
            .mm
            .ptes
            .range(start / PAGE_SIZE..end / PAGE_SIZE)
            .collect();
        for (vpn, pte) in ptes {
            match pte {
                Pte::Swap(entry) => self.madvise_free_swap_pte(pid, vpn, entry),
                Pte::Present { pfn, .. } if pfn != zero => self.madvise_free_page(pid, vpn, pfn),
                Pte::Present { .. } => {}
            }
        }
    }

    /// A swap PTE under `MADV_FREE`: `free_swap_and_cache`,
    /// `pte_clear_not_present_full`.
    fn madvise_free_swap_pte(&mut self, pid: Pid, vpn: u64, entry: crate::mm::swapops::SwpEntry) {
        let mm = &mut self.tasks.get_mut(&pid).expect("live").mm;
        mm.ptes.remove(vpn);
        mm.rss[crate::kernel::rss::SWAPENTS] -= 1;
        self.trace.touch(Touch::Pte { pid, vpn });
        self.free_swap_and_cache(entry);
    }

    /// A present page under `MADV_FREE`.
    fn madvise_free_page(&mut self, pid: Pid, vpn: u64, pfn: crate::mm::page::Pfn) {
        use crate::mm::page::pg;
        let page = self.mem.page(pfn);
        if page.test(pg::SWAPCACHE) || page.test(pg::DIRTY) {
            // Shared with another process: PG_dirty cannot be cleared.
            if page.mapcount != 1 {
                return;
            }
            if page.test(pg::SWAPCACHE) && !self.try_to_free_swap(pfn) {
                return;
            }
            self.mem.page_mut(pfn).clear(pg::DIRTY);
        }
        let mm = &mut self.tasks.get_mut(&pid).expect("live").mm;
        if let Some(Pte::Present { pfn, write, .. }) = mm.ptes.get(vpn) {
            let clean = Pte::Present {
                pfn,
                write,
                dirty: false,
                young: false,
            };
            mm.ptes.insert(vpn, clean);
        }
        self.trace.touch(Touch::Pte { pid, vpn });
        self.mark_page_lazyfree(pfn);
    }

    /// `madvise_remove`: punches a hole in the file behind a shared writable
    /// mapping (`vfs_fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)`).
    fn madvise_remove(&mut self, vma: &Vma, start: u64, end: u64) -> SysResult<()> {
        self.trace.leaf("madvise_remove", "mm/madvise.c");
        if vma.flags & vm::LOCKED != 0 {
            return Err(Errno::EINVAL);
        }
        let Some(ino) = self.vma_inode(vma) else {
            return Err(Errno::EINVAL);
        };
        // 4.14 wants a shared writable mapping (VM_SHARED | VM_WRITE); since
        // 6.7 a shared mapping that may become writable is enough
        // (`vma_is_shared_maywrite`).
        let need = if self.cfg.release.at_least(6, 7) {
            vm::SHARED | vm::MAYWRITE
        } else {
            vm::SHARED | vm::WRITE
        };
        if vma.flags & need != need {
            return Err(Errno::EACCES);
        }
        let first = vma.linear_page_index(start);
        let last = vma.linear_page_index(end);
        if self.inodes[&ino].shmem().is_some() {
            self.shmem_punch_hole(ino, first, last);
        } else {
            self.trace.enter("ext4_punch_hole", "fs/ext4/inode.c");
            self.unmap_mapping_range(ino, first, last, false);
            self.truncate_inode_pages_range(ino, first, last, false);
            let inode = self.inodes.get_mut(&ino).expect("live");
            let sb = inode.sb;
            if let InodeKind::Disk { blocks } = &mut inode.kind {
                let before = blocks.len();
                blocks.retain(|&i, _| i < first || i >= last);
                self.sbs[sb].used_blocks -= (before - blocks.len()) as u64;
            }
            self.trace.leave();
        }
        Ok(())
    }

    /// `madvise_willneed`: start reading the range in — swapped anonymous
    /// pages into the swap cache (`force_swapin_readahead`), swapped shmem
    /// pages likewise (`force_shm_swapin_readahead`), file pages into the
    /// page cache (`force_page_cache_readahead`). Nothing is mapped.
    fn madvise_willneed(&mut self, pid: Pid, vma: &Vma, start: u64, end: u64) {
        self.trace.leaf("madvise_willneed", "mm/madvise.c");
        match self.vma_inode(vma) {
            None => {
                let entries: Vec<_> = self.tasks[&pid]
                    .mm
                    .ptes
                    .range(start / PAGE_SIZE..end / PAGE_SIZE)
                    .filter_map(|(_, p)| match p {
                        Pte::Swap(e) => Some(e),
                        _ => None,
                    })
                    .collect();
                self.trace.leaf("force_swapin_readahead", "mm/madvise.c");
                for e in entries {
                    if self.swapin(e).is_none() {
                        break;
                    }
                }
            }
            Some(ino) => {
                let (first, last) = (vma.linear_page_index(start), vma.linear_page_index(end));
                if self.inodes[&ino].shmem().is_some() {
                    self.trace
                        .leaf("force_shm_swapin_readahead", "mm/madvise.c");
                    let entries: Vec<_> = self.inodes[&ino]
                        .mapping
                        .i_pages
                        .iter()
                        .filter(|&(i, e)| {
                            i >= first && i < last && matches!(e, CacheEntry::Swap(_))
                        })
                        .collect();
                    for (_, e) in entries {
                        let CacheEntry::Swap(e) = e else { continue };
                        if self.swapin(e).is_none() {
                            break;
                        }
                    }
                } else {
                    self.trace
                        .leaf("force_page_cache_readahead", "mm/readahead.c");
                    self.readahead_range(ino, first, last);
                }
            }
        }
    }
}
