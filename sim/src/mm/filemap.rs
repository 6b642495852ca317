//! The page cache: pages of files indexed by their offset.
//!
//! Mirrors `mm/filemap.c` (`add_to_page_cache_lru`, `__delete_from_page_cache`,
//! `find_get_entry`, `generic_file_read_iter`, `generic_perform_write`,
//! `filemap_fault`, `filemap_map_pages`, `__filemap_fdatawrite_range`),
//! `mm/readahead.c` and `mm/truncate.c` (`truncate_inode_pages_range`).
//!
//! Each file's `address_space` keeps a radix tree. A slot holds either a
//! page ([`CacheEntry::Page`], stored as the address of its `struct page`), or,
//! for a shmem page that was swapped out, an exceptional entry
//! ([`CacheEntry::Swap`], stored as `swp << 2 | 2`):
//!
//! ```text
//!   inode->i_mapping->page_tree
//!          |
//!      [ node shift 0 ]
//!       slot 0: 0xffffea0000000c40   page, pfn 0x31
//!       slot 1: 0x08000000000048d2   exceptional: swap type 1, offset 0x1234
//!       slot 2: (empty)              a hole
//! ```

use crate::errno::{Errno, SysResult};
use crate::fs::vfs::InodeKind;
use crate::kernel::Kernel;
use crate::klib::radix_tree::{RadixItem, Tag};
use crate::mm::page::{pg, Mapping, PageData, Pfn, PAGE_SIZE};
use crate::mm::swapops::{page_word, Encoding, SwpEntry};
use crate::trace::{Counter, Touch};

/// What a page-cache slot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CacheEntry {
    /// A page (`struct page *`).
    Page(Pfn),
    /// An exceptional entry: the swap entry of a swapped-out shmem page.
    Swap(SwpEntry),
}

impl RadixItem for CacheEntry {
    fn is_exceptional(&self) -> bool {
        matches!(self, CacheEntry::Swap(_))
    }

    fn raw_word(&self, enc: Encoding) -> u64 {
        match *self {
            CacheEntry::Page(pfn) => page_word(pfn as u64),
            CacheEntry::Swap(e) => enc.swp_to_radix_entry(e),
        }
    }

    /// A page as `(pfn + 1) << 2` (low bits 00, as a pointer's), a swap
    /// entry as `val << 1 | 1` (as the XArray's value entries): every
    /// `swp_entry_t.val` of every era fits, being below 2^63.
    fn pack(self) -> u64 {
        match self {
            CacheEntry::Page(pfn) => (u64::from(pfn) + 1) << 2,
            CacheEntry::Swap(e) => {
                assert!(e.val >> 63 == 0, "invariant: swp_entry_t.val < 2^63");
                (e.val << 1) | 1
            }
        }
    }

    fn unpack(word: u64) -> Self {
        if word & 1 == 1 {
            CacheEntry::Swap(SwpEntry { val: word >> 1 })
        } else {
            CacheEntry::Page(((word >> 2) - 1) as Pfn)
        }
    }
}

/// `read_ahead_kb` / `VM_READAHEAD_PAGES`: 128 KiB = 32 pages.
pub const RA_PAGES: u64 = 32;

/// `PAGEVEC_SIZE` (`include/linux/pagevec.h`, 4.14): the entries a
/// truncation looks up at a time.
const PAGEVEC_SIZE: usize = 15;

impl Kernel {
    /// The entry at `index` of a file's cache (`find_get_entry`).
    pub fn find_get_entry(&self, ino: u32, index: u64) -> Option<CacheEntry> {
        self.inodes[&ino].mapping.i_pages.lookup(index)
    }

    /// Adds a locked, new page to a file's cache and to the LRU
    /// (`add_to_page_cache_lru` -> `__add_to_page_cache_locked`): the cache
    /// holds a reference; `NR_FILE_PAGES` (and `NR_SHMEM` for shmem) go up.
    /// `expected` is the exceptional entry being replaced by a swap-in, if any.
    pub(crate) fn add_to_page_cache_lru(
        &mut self,
        pfn: Pfn,
        ino: u32,
        index: u64,
        expected: Option<SwpEntry>,
    ) {
        self.trace.enter("add_to_page_cache_lru", "mm/filemap.c");
        let shmem = self.inodes[&ino].shmem().is_some();
        let inode = self
            .inodes
            .get_mut(&ino)
            .expect("adding to a live inode's cache");
        match expected {
            Some(entry) => {
                self.trace
                    .leaf("radix_tree_replace_slot", "lib/radix-tree.c");
                let old = inode.mapping.i_pages.replace(index, CacheEntry::Page(pfn));
                assert_eq!(
                    old,
                    Some(CacheEntry::Swap(entry)),
                    "invariant: shmem_confirm_swap held"
                );
                inode.mapping.nrexceptional -= 1;
            }
            None => {
                self.trace.leaf("radix_tree_insert", "lib/radix-tree.c");
                inode
                    .mapping
                    .i_pages
                    .insert(index, CacheEntry::Page(pfn))
                    .expect("invariant: the caller found the slot empty");
            }
        }
        inode.mapping.nrpages += 1;
        let page = self.mem.page_mut(pfn);
        page.set_mapping(Mapping::File(ino));
        page.index = index;
        page.set(pg::UPTODATE);
        if shmem {
            page.set(pg::SWAPBACKED);
        }
        // The allocation's reference becomes the page cache's. Shmem counts
        // its pages itself, in shmem_add_to_page_cache.
        self.trace.touch(Touch::Cache { ino, index });
        if !shmem {
            self.mod_node_page_state(Counter::FilePages, 1);
        }
        self.lru_cache_add(pfn);
        self.trace.leave();
    }

    /// Removes a page from its file's cache (`__delete_from_page_cache`) and
    /// drops the cache's reference. The page must be unmapped.
    pub(crate) fn delete_from_page_cache(&mut self, pfn: Pfn) {
        self.trace.enter("__delete_from_page_cache", "mm/filemap.c");
        let page = self.mem.page(pfn);
        let Mapping::File(ino) = page.mapping() else {
            panic!("invariant: a page-cache page has a file mapping (pfn {pfn})")
        };
        let index = page.index;
        let dirty = page.test(pg::DIRTY);
        let shmem = self.inodes[&ino].shmem().is_some();
        let inode = self.inodes.get_mut(&ino).expect("live inode");
        self.trace.leaf("radix_tree_delete", "lib/radix-tree.c");
        let old = inode.mapping.i_pages.delete(index);
        assert_eq!(
            old,
            Some(CacheEntry::Page(pfn)),
            "invariant: page-cache slot holds its page"
        );
        inode.mapping.nrpages -= 1;
        self.trace.touch(Touch::Cache { ino, index });
        self.mod_node_page_state(Counter::FilePages, -1);
        if shmem {
            self.mod_node_page_state(Counter::Shmem, -1);
        } else if dirty {
            self.mod_node_page_state(Counter::FileDirty, -1);
        }
        let page = self.mem.page_mut(pfn);
        page.set_mapping(Mapping::None);
        page.clear(pg::DIRTY);
        self.trace.leave();
        self.put_page(pfn);
    }

    /// Drops a reference to a page (`put_page`); the last one frees it
    /// (`__put_page` -> `free_unref_page`), taking it off the LRU first.
    pub(crate) fn put_page(&mut self, pfn: Pfn) {
        if pfn == self.mem.zero_pfn {
            return;
        }
        let page = self.mem.page_mut(pfn);
        assert!(
            page.refcount > 0,
            "invariant: put_page on a free frame (pfn {pfn})"
        );
        page.refcount -= 1;
        if page.refcount == 0 {
            self.lru_del(pfn);
            self.mem.free_page(pfn);
            self.trace.touch(Touch::Counter(Counter::FreePages));
        }
    }

    /// Marks a page dirty (`set_page_dirty`): files with dirty accounting
    /// (the disk) tag the slot `PAGECACHE_TAG_DIRTY` and count `NR_FILE_DIRTY`;
    /// shmem only sets `PG_dirty` (`__set_page_dirty_no_writeback`).
    pub(crate) fn set_page_dirty(&mut self, pfn: Pfn) {
        let page = self.mem.page_mut(pfn);
        if page.test(pg::DIRTY) {
            return;
        }
        page.set(pg::DIRTY);
        if let Mapping::File(ino) = page.mapping() {
            let index = page.index;
            let inode = self.inodes.get_mut(&ino).expect("live");
            if inode.shmem().is_none() {
                self.trace
                    .leaf("__set_page_dirty_nobuffers", "mm/page-writeback.c");
                inode.mapping.i_pages.tag_set(index, Tag::Dirty);
                self.mod_node_page_state(Counter::FileDirty, 1);
            }
        }
    }

    /// Reads a disk file's page `index` into a new page-cache page
    /// (`page_cache_read` -> `->readpage`). `Err(ENOMEM)` when no frame is free.
    fn page_cache_read(&mut self, ino: u32, index: u64) -> SysResult<Pfn> {
        let pfn = self.alloc_page().ok_or(Errno::ENOMEM)?;
        self.trace.leaf("ext4_readpage", "fs/ext4/inode.c");
        let data = match &self.inodes[&ino].kind {
            InodeKind::Disk { blocks } => blocks.get(&index).cloned().unwrap_or_default(),
            _ => PageData::Zero,
        };
        self.mem.set_data(pfn, data);
        self.vmstat.pgpgin += 1;
        self.add_to_page_cache_lru(pfn, ino, index, None);
        Ok(pfn)
    }

    /// Reads pages `[start, start + nr)` of a disk file that are not cached yet,
    /// stopping at the end of the file (`__do_page_cache_readahead`).
    fn do_page_cache_readahead(&mut self, ino: u32, start: u64, nr: u64) {
        self.trace
            .enter("__do_page_cache_readahead", "mm/readahead.c");
        let end = (start + nr).min(self.inodes[&ino].size_pages());
        for index in start..end {
            if self.find_get_entry(ino, index).is_none()
                && self.page_cache_read(ino, index).is_err()
            {
                break;
            }
        }
        self.trace.leave();
    }

    /// A disk file's page `index`, read in if needed; `major` says whether it
    /// came from the disk. The read is `ondemand_readahead`'s first window
    /// (4 pages for a one-page request), or for a fault the mmap read-around
    /// window of `do_sync_mmap_readahead` (32 pages centred on the fault).
    fn disk_get_page(&mut self, ino: u32, index: u64, fault: bool) -> SysResult<(Pfn, bool)> {
        if let Some(CacheEntry::Page(pfn)) = self.find_get_entry(ino, index) {
            return Ok((pfn, false));
        }
        if fault {
            self.trace.leaf("do_sync_mmap_readahead", "mm/filemap.c");
            let start = index.saturating_sub(RA_PAGES / 2);
            self.do_page_cache_readahead(ino, start, RA_PAGES);
        } else {
            self.trace
                .leaf("page_cache_sync_readahead", "mm/readahead.c");
            self.do_page_cache_readahead(ino, index, 4);
        }
        match self.find_get_entry(ino, index) {
            Some(CacheEntry::Page(pfn)) => Ok((pfn, true)),
            _ => {
                // Read-ahead stopped short (no memory): read the one page.
                let pfn = self.page_cache_read(ino, index)?;
                Ok((pfn, true))
            }
        }
    }

    /// `read(2)` of a disk file through the page cache (`generic_file_read_iter`
    /// -> `generic_file_buffered_read`).
    pub(crate) fn generic_file_read_iter(
        &mut self,
        ino: u32,
        pos: u64,
        count: u64,
    ) -> SysResult<Vec<u8>> {
        self.trace.enter("generic_file_read_iter", "mm/filemap.c");
        let size = self.inodes[&ino].size;
        let end = size.min(pos.saturating_add(count));
        let mut out = Vec::new();
        let mut at = pos;
        while at < end {
            let index = at / PAGE_SIZE;
            let off = (at % PAGE_SIZE) as usize;
            let n = ((PAGE_SIZE as usize - off) as u64).min(end - at) as usize;
            match self.disk_get_page(ino, index, false) {
                Ok((pfn, _)) => {
                    self.mark_page_accessed(pfn);
                    let mut buf = vec![0; n];
                    self.mem.read_data(pfn, off, &mut buf);
                    out.extend_from_slice(&buf);
                }
                Err(e) if out.is_empty() => {
                    self.trace.leave();
                    return Err(e);
                }
                Err(_) => break,
            }
            at += n as u64;
        }
        self.trace.leave();
        Ok(out)
    }

    /// `write(2)` through the page cache (`generic_perform_write`): for each
    /// page, `->write_begin` (`shmem_write_begin`, or find/read the disk page),
    /// copy, `->write_end` (mark dirty, extend `i_size`). Returns the bytes
    /// written; an error only when nothing was.
    pub(crate) fn generic_perform_write(
        &mut self,
        ino: u32,
        pos: u64,
        buf: &[u8],
    ) -> SysResult<u64> {
        self.trace.enter("generic_perform_write", "mm/filemap.c");
        let shmem = self.inodes[&ino].shmem().is_some();
        let mut done = 0usize;
        let mut err = None;
        while done < buf.len() {
            let at = pos + done as u64;
            let index = at / PAGE_SIZE;
            let off = (at % PAGE_SIZE) as usize;
            let n = (PAGE_SIZE as usize - off).min(buf.len() - done);
            let got = if shmem {
                self.trace.enter("shmem_write_begin", "mm/shmem.c");
                let r = self
                    .shmem_getpage_gfp(ino, index, crate::mm::shmem::Sgp::Write)
                    .map(|(p, _)| p);
                self.trace.leave();
                r.map(|p| p.expect("SGP_WRITE always returns a page"))
            } else {
                self.trace.leaf("ext4_write_begin", "fs/ext4/inode.c");
                self.grab_cache_page_write_begin(ino, index)
            };
            let pfn = match got {
                Ok(pfn) => pfn,
                Err(e) => {
                    err = Some(e);
                    break;
                }
            };
            self.mem
                .with_data(pfn, |d| d.write(off, &buf[done..done + n]));
            self.trace.leaf(
                if shmem {
                    "shmem_write_end"
                } else {
                    "ext4_write_end"
                },
                if shmem {
                    "mm/shmem.c"
                } else {
                    "fs/ext4/inode.c"
                },
            );
            self.set_page_dirty(pfn);
            self.mark_page_accessed(pfn);
            done += n;
            let inode = self.inodes.get_mut(&ino).expect("live");
            if at + n as u64 > inode.size {
                inode.size = at + n as u64;
                self.trace.touch(Touch::Inode { ino });
            }
        }
        self.trace.leave();
        match err {
            Some(e) if done == 0 => Err(e),
            _ => Ok(done as u64),
        }
    }

    /// Finds or creates a disk file's page for writing
    /// (`grab_cache_page_write_begin`); an existing block is read first.
    fn grab_cache_page_write_begin(&mut self, ino: u32, index: u64) -> SysResult<Pfn> {
        if let Some(CacheEntry::Page(pfn)) = self.find_get_entry(ino, index) {
            return Ok(pfn);
        }
        self.page_cache_read(ino, index)
    }

    /// The fault handler of disk files (`filemap_fault`): the page from the
    /// cache, or read from disk with read-around (a major fault).
    /// `Err(EFAULT)` stands for `VM_FAULT_SIGBUS` (past the end of the file).
    pub(crate) fn filemap_fault(&mut self, ino: u32, index: u64) -> SysResult<(Pfn, bool)> {
        self.trace.enter("filemap_fault", "mm/filemap.c");
        let r = if index >= self.inodes[&ino].size_pages() {
            Err(Errno::EFAULT)
        } else {
            self.disk_get_page(ino, index, true)
        };
        self.trace.leave();
        r
    }

    /// Writes back a disk file's dirty pages in `[start, end)` bytes
    /// (`__filemap_fdatawrite_range` -> `write_cache_pages`): each dirty page
    /// is cleaned (`clear_page_dirty_for_io` -> `page_mkclean` write-protects
    /// its PTEs), tagged for writeback, written to the disk, and the writeback
    /// ends at once (the model's disk is instantaneous).
    pub(crate) fn filemap_write_and_wait_range(&mut self, ino: u32, start: u64, end: u64) {
        if self.inodes[&ino].shmem().is_some() {
            self.trace.leaf("noop_fsync", "fs/libfs.c");
            return;
        }
        if !matches!(self.inodes[&ino].kind, InodeKind::Disk { .. }) {
            return;
        }
        self.trace
            .enter("__filemap_fdatawrite_range", "mm/filemap.c");
        let (first, last) = (start / PAGE_SIZE, end.div_ceil(PAGE_SIZE));
        let dirty: Vec<u64> = self.inodes[&ino]
            .mapping
            .i_pages
            .iter_tagged(Tag::Dirty)
            .map(|(i, _)| i)
            .filter(|&i| i >= first && i < last)
            .collect();
        for index in dirty {
            let Some(CacheEntry::Page(pfn)) = self.find_get_entry(ino, index) else {
                continue;
            };
            self.write_one_page(ino, index, pfn);
        }
        self.trace.leave();
    }

    /// Cleans and writes one dirty disk page (`clear_page_dirty_for_io` +
    /// `->writepage` + `end_page_writeback`).
    pub(crate) fn write_one_page(&mut self, ino: u32, index: u64, pfn: Pfn) {
        self.trace
            .leaf("clear_page_dirty_for_io", "mm/page-writeback.c");
        self.page_mkclean(pfn);
        let inode = self.inodes.get_mut(&ino).expect("live");
        inode.mapping.i_pages.tag_clear(index, Tag::Dirty);
        inode.mapping.i_pages.tag_set(index, Tag::Writeback);
        let page = self.mem.page_mut(pfn);
        page.clear(pg::DIRTY);
        self.mod_node_page_state(Counter::FileDirty, -1);
        self.trace.leaf("ext4_writepage", "fs/ext4/inode.c");
        // block_write_full_page: the part of a page straddling i_size that
        // lies past it is zeroed at every writeback (it may be mmapped and
        // written there), and never reaches the disk.
        let size = self.inodes[&ino].size;
        if index == size / PAGE_SIZE && !size.is_multiple_of(PAGE_SIZE) {
            self.mem
                .with_data(pfn, |d| d.zero_from((size % PAGE_SIZE) as usize));
        }
        let data = self.mem.data(pfn);
        let size_pages = self.inodes[&ino].size_pages();
        let inode = self.inodes.get_mut(&ino).expect("live");
        if let InodeKind::Disk { blocks } = &mut inode.kind {
            if index < size_pages {
                let new_block = !blocks.contains_key(&index);
                blocks.insert(index, data);
                if new_block {
                    self.sbs[inode.sb].used_blocks += 1;
                }
            }
        }
        self.vmstat.pgpgout += 1;
        self.trace.leaf("end_page_writeback", "mm/filemap.c");
        self.inodes
            .get_mut(&ino)
            .expect("live")
            .mapping
            .i_pages
            .tag_clear(index, Tag::Writeback);
    }

    /// Removes a file's pages (and, for shmem, swap entries) in page indexes
    /// `[first, last)` (`truncate_inode_pages_range`, `shmem_undo_range`). The
    /// range must already be unmapped. `final_` is `truncate_inode_pages_final`
    /// at eviction.
    pub(crate) fn truncate_inode_pages_range(
        &mut self,
        ino: u32,
        first: u64,
        last: u64,
        final_: bool,
    ) {
        let shmem = self.inodes[&ino].shmem().is_some();
        self.trace.enter(
            if shmem {
                "shmem_undo_range"
            } else {
                "truncate_inode_pages_range"
            },
            if shmem { "mm/shmem.c" } else { "mm/truncate.c" },
        );
        if final_ {
            self.unmap_mapping_range(ino, first, last, true);
        }
        // A pagevec at a time (`pagevec_lookup_entries`), from where the
        // last one ended: never a list of every page of a 90 GiB file.
        let mut from = first;
        while from < last {
            let batch = self.inodes[&ino]
                .mapping
                .i_pages
                .gang_lookup(from, PAGEVEC_SIZE);
            let batch: Vec<(u64, CacheEntry)> =
                batch.into_iter().take_while(|&(i, _)| i < last).collect();
            let Some(&(end, _)) = batch.last() else { break };
            for (index, entry) in batch {
                self.truncate_entry(ino, index, entry, shmem);
            }
            from = end.saturating_add(1);
        }
        self.trace.leave();
    }

    /// One entry of [`Kernel::truncate_inode_pages_range`]: a page leaves the
    /// page cache, a swap entry frees its slot.
    fn truncate_entry(&mut self, ino: u32, index: u64, entry: CacheEntry, shmem: bool) {
        match entry {
            CacheEntry::Page(pfn) => {
                assert_eq!(
                    self.mem.page(pfn).mapcount,
                    0,
                    "invariant: truncated pages are unmapped"
                );
                self.delete_from_page_cache(pfn);
                if shmem {
                    self.shmem_uncharge(ino, 1);
                }
            }
            CacheEntry::Swap(entry) => {
                self.shmem_free_swap(ino, index, entry);
            }
        }
    }

    /// Zeroes the tail of a partial last page after a truncation
    /// (`truncate_inode_page` / `shmem_undo_range`'s partial page).
    pub(crate) fn zero_partial_page(&mut self, ino: u32, index: u64, off: usize) {
        let pfn = match self.find_get_entry(ino, index) {
            Some(CacheEntry::Page(pfn)) => Some(pfn),
            // shmem_undo_range: a swapped-out partial page is brought back
            // (shmem_getpage SGP_READ) so that its tail can be zeroed.
            Some(CacheEntry::Swap(_)) => self
                .shmem_getpage_gfp(ino, index, crate::mm::shmem::Sgp::Read)
                .ok()
                .and_then(|(p, _)| p),
            None => None,
        };
        if let Some(pfn) = pfn {
            self.mem.with_data(pfn, |d| d.zero_from(off));
            if self.inodes[&ino].shmem().is_some() {
                self.set_page_dirty(pfn);
            }
        }
    }
}

impl Kernel {
    /// Reads pages `[first, last)` of a disk file into the page cache
    /// (`force_page_cache_readahead`), up to the end of the file.
    pub(crate) fn readahead_range(&mut self, ino: u32, first: u64, last: u64) {
        if matches!(self.inodes[&ino].kind, InodeKind::Disk { .. }) && last > first {
            self.do_page_cache_readahead(ino, first, last - first);
        }
    }
}
