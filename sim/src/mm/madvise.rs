//! `madvise(2)`.
//!
//! Mirrors `mm/madvise.c` (4.14, plus `MADV_COLD` and `MADV_PAGEOUT` from
//! 5.4): `madvise_dontneed_single_vma`, `madvise_remove`, `madvise_willneed`,
//! `madvise_cold`, `madvise_pageout`.

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
}

impl Kernel {
    /// `madvise(2)`.
    pub fn madvise(&mut self, pid: Pid, start: u64, len: u64, advice: i32) -> SysResult<i32> {
        self.tick();
        self.task(pid)?;
        self.trace.enter("madvise", "mm/madvise.c");
        let r = self.do_madvise(pid, start, len, advice);
        self.trace.leave();
        r
    }

    fn do_madvise(&mut self, pid: Pid, start: u64, len: u64, advice: i32) -> SysResult<i32> {
        use madv::*;
        if ![
            NORMAL, RANDOM, SEQUENTIAL, WILLNEED, DONTNEED, FREE, REMOVE, DONTFORK, DOFORK, COLD,
            PAGEOUT,
        ]
        .contains(&advice)
        {
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
            _ => Ok(()),
        }
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
            .map(|(&vpn, &pte)| (vpn, pte))
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
        mm.ptes.remove(&vpn);
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
        if let Some(Pte::Present { dirty, young, .. }) = mm.ptes.get_mut(&vpn) {
            *dirty = false;
            *young = false;
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
                        Pte::Swap(e) => Some(*e),
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
