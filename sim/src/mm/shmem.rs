//! tmpfs and shmem: files that live only in the page cache and in swap.
//!
//! Mirrors `mm/shmem.c` (4.14). One mechanism has two faces: tmpfs mounts
//! such as `/dev/shm`, and the kernel's internal mount `shm_mnt`, where System
//! V segments (`shmem_kernel_file_setup`, file `SYSV%08x`) and
//! `MAP_SHARED|MAP_ANONYMOUS` memory (`shmem_zero_setup`, file `dev/zero`) live.
//!
//! Invariant (`shmem_recalc_inode`): `info->alloced == mapping->nrpages + info->swapped`.
//! A page of a shmem file is in one of three places:
//!
//! ```text
//!   slot empty ............ a hole: reads as zeroes, costs nothing
//!   slot = page ........... in RAM (nrpages), on the anon LRU (swap-backed)
//!   slot = swp<<2|2 ....... in swap (swapped), the exceptional entry
//! ```
//!
//! `shmem_getpage_gfp` finds or makes the page, in the way its `sgp` mode
//! asks: `SGP_READ` leaves holes alone (`read(2)` copies the zero page),
//! `SGP_CACHE` (a fault) and `SGP_WRITE` allocate a zeroed page.

use crate::errno::{Errno, SysResult};
use crate::fs::vfs::{FileKey, InodeKind, ShmemInfo, SB_SHM_MNT, S_IFREG};
use crate::kernel::Kernel;
use crate::mm::filemap::CacheEntry;
use crate::mm::page::{pg, Pfn, PAGE_SIZE};
use crate::mm::swapops::SwpEntry;
use crate::trace::{Counter, Touch};

/// `enum sgp_type`: what `shmem_getpage_gfp` may do about a missing page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sgp {
    /// `SGP_READ`: don't allocate; a hole stays a hole.
    Read,
    /// `SGP_CACHE`: allocate a page (a fault), but not past `i_size`.
    Cache,
    /// `SGP_NOHUGE`: as `SGP_CACHE`, without a huge page.
    NoHuge,
    /// `SGP_HUGE`: as `SGP_CACHE`, trying a huge page.
    Huge,
    /// `SGP_WRITE`: allocate, may extend the file.
    Write,
    /// `SGP_FALLOC`: allocate for `fallocate`.
    Falloc,
}

impl Kernel {
    /// `shmem_getpage_gfp`: the page at `index` of a shmem file.
    /// `Ok((None, _))` is a hole under `SGP_READ`; the flag says whether the
    /// page had to be read from swap (a major fault).
    /// Errors: `EINVAL` past `i_size` (under `SGP_CACHE` and below), `ENOSPC`
    /// past the mount's size, `ENOMEM` when no frame can be had.
    pub(crate) fn shmem_getpage_gfp(
        &mut self,
        ino: u32,
        index: u64,
        sgp: Sgp,
    ) -> SysResult<(Option<Pfn>, bool)> {
        self.trace.enter("shmem_getpage_gfp", "mm/shmem.c");
        let r = self.shmem_getpage_inner(ino, index, sgp);
        self.trace.leave();
        r
    }

    fn shmem_getpage_inner(
        &mut self,
        ino: u32,
        index: u64,
        sgp: Sgp,
    ) -> SysResult<(Option<Pfn>, bool)> {
        if sgp <= Sgp::Cache && index * PAGE_SIZE >= self.inodes[&ino].size {
            return Err(Errno::EINVAL);
        }
        self.trace.leaf("find_lock_entry", "mm/filemap.c");
        match self.find_get_entry(ino, index) {
            Some(CacheEntry::Page(pfn)) => {
                if sgp == Sgp::Write {
                    self.mark_page_accessed(pfn);
                }
                Ok((Some(pfn), false))
            }
            Some(CacheEntry::Swap(entry)) => {
                let (pfn, major) = self.shmem_swapin(ino, index, entry)?;
                if sgp == Sgp::Write {
                    self.mark_page_accessed(pfn);
                }
                Ok((Some(pfn), major))
            }
            None if sgp == Sgp::Read => Ok((None, false)),
            None => {
                self.shmem_charge(ino)?;
                let Some(pfn) = self.alloc_page() else {
                    let sb = self.inodes[&ino].sb;
                    self.sbs[sb].used_blocks -= 1;
                    self.trace.touch(Touch::Df { sb });
                    return Err(Errno::ENOMEM);
                };
                self.trace.leaf("clear_highpage", "include/linux/highmem.h");
                self.shmem_add_to_page_cache(pfn, ino, index, None);
                self.shmem_charge_inode(ino);
                if sgp == Sgp::Write {
                    self.mem.page_mut(pfn).set(pg::REFERENCED);
                }
                Ok((Some(pfn), false))
            }
        }
    }

    /// `shmem_add_to_page_cache` (+ `lru_cache_add_anon`): shmem pages are
    /// swap-backed and go on the anon LRU.
    fn shmem_add_to_page_cache(
        &mut self,
        pfn: Pfn,
        ino: u32,
        index: u64,
        expected: Option<SwpEntry>,
    ) {
        self.trace.enter("shmem_add_to_page_cache", "mm/shmem.c");
        self.mem.page_mut(pfn).set(pg::SWAPBACKED);
        self.add_to_page_cache_lru(pfn, ino, index, expected);
        self.mod_node_page_state(Counter::FilePages, 1);
        self.mod_node_page_state(Counter::Shmem, 1);
        self.trace.leave();
    }

    /// The swap-in branch of `shmem_getpage_gfp`: the page from the swap cache
    /// (`lookup_swap_cache`) or read from the swap area (`shmem_swapin`, a
    /// major fault); `shmem_confirm_swap`; the page replaces the exceptional
    /// entry in its slot; `swapped--`; the page leaves the swap cache, is
    /// marked dirty, and the swap slot is freed at once.
    fn shmem_swapin(&mut self, ino: u32, index: u64, entry: SwpEntry) -> SysResult<(Pfn, bool)> {
        let (pfn, major) = self.swapin(entry).ok_or(Errno::ENOMEM)?;
        self.trace.leaf("shmem_confirm_swap", "mm/shmem.c");
        assert_eq!(
            self.find_get_entry(ino, index),
            Some(CacheEntry::Swap(entry)),
            "invariant: the slot still holds the swap entry"
        );
        // The page moves from the swap cache to the file's cache.
        self.delete_from_swap_cache_keep(pfn);
        self.shmem_add_to_page_cache(pfn, ino, index, Some(entry));
        let info = self
            .inodes
            .get_mut(&ino)
            .expect("live")
            .shmem_mut()
            .expect("shmem");
        info.swapped -= 1;
        self.shmem_recalc_inode(ino);
        self.set_page_dirty(pfn);
        self.swap_free(entry);
        Ok((pfn, major))
    }

    /// `shmem_unuse` for one exceptional entry (swapoff): the page comes back
    /// into its slot, as a swap-in by `shmem_getpage_gfp` would bring it.
    pub(crate) fn shmem_unuse_one(
        &mut self,
        ino: u32,
        index: u64,
        entry: SwpEntry,
    ) -> SysResult<()> {
        self.shmem_swapin(ino, index, entry).map(|_| ())
    }

    /// `shmem_fault`: a fault on a shmem mapping, `SGP_CACHE`: **a read fault
    /// on a hole allocates a real zeroed page**. Past `i_size` or with the
    /// mount full, the fault becomes SIGBUS.
    pub(crate) fn shmem_fault(&mut self, ino: u32, index: u64) -> SysResult<(Pfn, bool)> {
        self.trace.enter("shmem_fault", "mm/shmem.c");
        let r = self
            .shmem_getpage_gfp(ino, index, Sgp::Cache)
            .map(|(pfn, major)| (pfn.expect("SGP_CACHE always returns a page"), major));
        self.trace.leave();
        r
    }

    /// `read(2)` of a shmem file (`shmem_file_read_iter`): holes are copied
    /// from `ZERO_PAGE(0)` and allocate nothing; swapped pages are swapped in.
    pub(crate) fn shmem_file_read_iter(
        &mut self,
        ino: u32,
        pos: u64,
        count: u64,
    ) -> SysResult<Vec<u8>> {
        self.trace.enter("shmem_file_read_iter", "mm/shmem.c");
        let size = self.inodes[&ino].size;
        let end = size.min(pos.saturating_add(count));
        let mut out = Vec::new();
        let mut at = pos;
        let mut err = None;
        while at < end {
            let index = at / PAGE_SIZE;
            let off = (at % PAGE_SIZE) as usize;
            let n = ((PAGE_SIZE as usize - off) as u64).min(end - at) as usize;
            let mut buf = vec![0u8; n];
            match self.shmem_getpage_gfp(ino, index, Sgp::Read) {
                Ok((Some(pfn), _)) => {
                    self.mark_page_accessed(pfn);
                    self.mem.read_data(pfn, off, &mut buf);
                }
                Ok((None, _)) => self
                    .trace
                    .leaf("ZERO_PAGE", "arch/x86/include/asm/pgtable.h"),
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
            out.extend_from_slice(&buf);
            at += n as u64;
        }
        self.trace.leave();
        match err {
            Some(e) if out.is_empty() => Err(e),
            _ => Ok(out),
        }
    }

    /// Charges one block to the inode and its mount (`shmem_inode_acct_block`
    /// + `alloced++`): `ENOSPC` when the mount is full.
    fn shmem_charge(&mut self, ino: u32) -> SysResult<()> {
        // shmem_inode_acct_block: the mount's block count first...
        let sb = self.inodes[&ino].sb;
        let sbi = &mut self.sbs[sb];
        if sbi.max_blocks != 0 && sbi.used_blocks >= sbi.max_blocks {
            return Err(Errno::ENOSPC);
        }
        sbi.used_blocks += 1;
        self.trace.touch(Touch::Df { sb });
        Ok(())
    }

    /// `info->alloced++` once the new page is in the cache (so that a
    /// `shmem_recalc_inode` run by direct reclaim meanwhile does not count
    /// the page still being allocated).
    fn shmem_charge_inode(&mut self, ino: u32) {
        self.inodes
            .get_mut(&ino)
            .expect("live")
            .shmem_mut()
            .expect("shmem")
            .alloced += 1;
    }

    /// Gives `n` blocks back (`shmem_inode_unacct_blocks`, `alloced -= n`).
    pub(crate) fn shmem_uncharge(&mut self, ino: u32, n: u64) {
        let inode = self.inodes.get_mut(&ino).expect("live");
        let sb = inode.sb;
        inode.shmem_mut().expect("shmem").alloced -= n;
        self.sbs[sb].used_blocks -= n;
        self.trace.touch(Touch::Df { sb });
    }

    /// `shmem_recalc_inode`: pages that left the cache without being
    /// swapped (reclaim dropped a clean page) are uncharged, restoring
    /// `alloced == nrpages + swapped`.
    pub(crate) fn shmem_recalc_inode(&mut self, ino: u32) {
        let inode = &self.inodes[&ino];
        let info = inode.shmem().expect("shmem");
        let freed = info.alloced as i64 - info.swapped as i64 - inode.mapping.nrpages as i64;
        if freed > 0 {
            self.shmem_uncharge(ino, freed as u64);
        }
    }

    /// Removes the exceptional entry at `index` and frees its swap slot
    /// (`shmem_free_swap`), uncharging the block.
    pub(crate) fn shmem_free_swap(&mut self, ino: u32, index: u64, entry: SwpEntry) {
        self.trace.leaf("shmem_free_swap", "mm/shmem.c");
        let inode = self.inodes.get_mut(&ino).expect("live");
        let old = inode.mapping.i_pages.delete(index);
        assert_eq!(
            old,
            Some(CacheEntry::Swap(entry)),
            "invariant: the slot holds the swap entry"
        );
        inode.mapping.nrexceptional -= 1;
        inode.shmem_mut().expect("shmem").swapped -= 1;
        self.trace.touch(Touch::Cache { ino, index });
        self.shmem_uncharge(ino, 1);
        self.free_swap_and_cache(entry);
    }

    /// Creates an unlinked shmem file on the internal mount and opens it
    /// read-write (`__shmem_file_setup`): `name` is `dev/zero` for
    /// `shmem_zero_setup`, `SYSV%08x` for System V.
    pub(crate) fn shmem_kernel_file_setup(
        &mut self,
        pid: crate::kernel::Pid,
        name: &str,
        size: u64,
    ) -> FileKey {
        self.trace.leaf("__shmem_file_setup", "mm/shmem.c");
        // shmem_get_inode(.., S_IFREG | S_IRWXUGO, ..): owned by the caller's
        // fsuid, mode 0777; the segment's own mode lives in shm_perm.
        let (uid, gid) = self.tasks.get(&pid).map_or((0, 0), |t| (t.uid, t.gid));
        let ino = self.new_inode(
            SB_SHM_MNT,
            S_IFREG | 0o777,
            uid,
            gid,
            InodeKind::Shmem(ShmemInfo::default()),
            name,
        );
        self.inodes.get_mut(&ino).expect("new").size = size;
        self.alloc_file(ino, crate::fs::vfs::o::RDWR)
    }

    /// `shmem_zero_setup`: `MAP_SHARED|MAP_ANONYMOUS` memory is a shmem file
    /// `dev/zero` on the internal mount (shown as `/dev/zero (deleted)`).
    pub(crate) fn shmem_zero_setup(&mut self, pid: crate::kernel::Pid, size: u64) -> FileKey {
        self.trace.enter("shmem_zero_setup", "mm/shmem.c");
        let f = self.shmem_kernel_file_setup(pid, "dev/zero", size);
        self.trace.leave();
        f
    }

    /// Punches a hole (`shmem_fallocate(FALLOC_FL_PUNCH_HOLE)`, as
    /// `MADV_REMOVE` asks): unmaps the range from shared mappings and frees
    /// its pages and swap.
    pub(crate) fn shmem_punch_hole(&mut self, ino: u32, first: u64, last: u64) {
        self.trace.enter("shmem_fallocate", "mm/shmem.c");
        self.unmap_mapping_range(ino, first, last, false);
        self.truncate_inode_pages_range(ino, first, last, false);
        self.trace.leave();
    }
}
