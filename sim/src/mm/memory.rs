//! Page faults and page-table teardown.
//!
//! Mirrors `mm/memory.c` (4.14): `handle_mm_fault` -> `handle_pte_fault`,
//! which dispatches on the PTE and the VMA:
//!
//! ```text
//!  PTE none, anonymous VMA ........ do_anonymous_page   (read: zero page; write: new page)
//!  PTE none, file VMA, read ....... do_read_fault       (fault-around, then ->fault)
//!  PTE none, private VMA, write ... do_cow_fault        (copy the file page into a new anon page)
//!  PTE none, shared VMA, write .... do_shared_fault     (->fault, mark the page dirty)
//!  PTE swap ....................... do_swap_page        (swap cache or swap area)
//!  PTE present, write, read-only .. do_wp_page          (reuse, or copy on write)
//! ```
//!
//! and `copy_page_range` (fork), `zap_pte_range` (munmap, exit,
//! `MADV_DONTNEED`), `unmap_mapping_range` (truncation).
//!
//! A fault the kernel cannot satisfy becomes a signal: SIGSEGV outside a VMA
//! or against its protection (`arch/x86/mm/fault.c: bad_area`), SIGBUS past
//! the end of a file or when tmpfs is full (`VM_FAULT_SIGBUS`).

use crate::errno::{Errno, Fault, SigCode, Signal};
use crate::fs::vfs::InodeKind;
use crate::kernel::{rss, vm, Kernel, Pid, Pte, Vma};
use crate::mm::page::{pg, Mapping, PageData, Pfn, PAGE_SIZE};
use crate::mm::swapops::SwpEntry;
use crate::trace::Touch;

pub use crate::mm::pgtable::PTRS_PER_PTE;

/// Why a fault handler could not supply a page (`VM_FAULT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum VmFault {
    /// `VM_FAULT_SIGBUS`.
    SigBus,
    /// `VM_FAULT_OOM`.
    Oom,
}

impl From<Errno> for VmFault {
    fn from(e: Errno) -> VmFault {
        match e {
            Errno::ENOMEM => VmFault::Oom,
            _ => VmFault::SigBus,
        }
    }
}

impl Kernel {
    /// Does this VMA's file want write notification (`vma_wants_writenotify`)?
    /// Shared writable mappings of disk files do (dirty accounting); shmem does not.
    pub(crate) fn vma_wants_writenotify(&self, vma: &Vma) -> bool {
        vma.flags & (vm::SHARED | vm::WRITE) == (vm::SHARED | vm::WRITE)
            && self
                .vma_inode(vma)
                .is_some_and(|ino| matches!(self.inodes[&ino].kind, InodeKind::Disk { .. }))
    }

    /// Is `vm_page_prot` writable: may a PTE be installed writable without a
    /// write fault? Only for shared writable mappings without write notify.
    pub(crate) fn vm_page_prot_writable(&self, vma: &Vma) -> bool {
        vma.flags & (vm::SHARED | vm::WRITE) == (vm::SHARED | vm::WRITE)
            && !self.vma_wants_writenotify(vma)
    }

    /// The inode a VMA maps, if it maps a file.
    pub fn vma_inode(&self, vma: &Vma) -> Option<u32> {
        vma.file.map(|f| self.files[f].ino)
    }

    fn set_pte(&mut self, pid: Pid, addr: u64, pte: Option<Pte>) {
        let mm = &mut self.tasks.get_mut(&pid).expect("live task").mm;
        match pte {
            Some(pte) => mm.ptes.insert(addr / PAGE_SIZE, pte),
            None => mm.ptes.remove(addr / PAGE_SIZE),
        };
        self.trace.touch(Touch::Pte {
            pid,
            vpn: addr / PAGE_SIZE,
        });
    }

    fn add_rss(&mut self, pid: Pid, counter: usize, delta: i64) {
        self.tasks.get_mut(&pid).expect("live task").mm.rss[counter] += delta;
    }

    /// `mm_counter_file`: shmem pages count as `MM_SHMEMPAGES`, others as `MM_FILEPAGES`.
    pub(crate) fn mm_counter(&self, pfn: Pfn) -> usize {
        let page = self.mem.page(pfn);
        match page.mapping() {
            Mapping::Anon(_) => rss::ANONPAGES,
            _ if page.test(pg::SWAPBACKED) => rss::SHMEMPAGES,
            _ => rss::FILEPAGES,
        }
    }

    /// Handles a fault at `addr` (`__do_page_fault` -> `handle_mm_fault`).
    /// On failure the process has been sent the returned signal (the caller
    /// ends it).
    pub(crate) fn handle_mm_fault(
        &mut self,
        pid: Pid,
        addr: u64,
        write: bool,
    ) -> Result<(), Fault> {
        self.trace.enter("__do_page_fault", "arch/x86/mm/fault.c");
        let r = self.do_handle_mm_fault(pid, addr, write);
        self.trace.leave();
        r
    }

    fn do_handle_mm_fault(&mut self, pid: Pid, addr: u64, write: bool) -> Result<(), Fault> {
        let segv = |code| Fault {
            signal: Signal::SIGSEGV,
            code,
            addr,
        };
        let task = &self.tasks[&pid];
        let Some(vma) = task.mm.vma_at(addr).cloned() else {
            self.trace.leaf("bad_area", "arch/x86/mm/fault.c");
            return Err(segv(SigCode::SEGV_MAPERR));
        };
        let allowed = if write {
            vma.flags & vm::WRITE != 0
        } else {
            vma.is_accessible()
        };
        if !allowed {
            self.trace
                .leaf("bad_area_access_error", "arch/x86/mm/fault.c");
            return Err(segv(SigCode::SEGV_ACCERR));
        }
        self.trace.enter("handle_mm_fault", "mm/memory.c");
        self.vmstat.pgfault += 1;
        let addr = addr & !(PAGE_SIZE - 1);
        let pte = task.mm.pte(addr);
        let r = match pte {
            None if vma.file.is_none() => self.do_anonymous_page(pid, &vma, addr, write),
            None if !write => self.do_read_fault(pid, &vma, addr),
            None if !vma.is_shared() => self.do_cow_fault(pid, &vma, addr),
            None => self.do_shared_fault(pid, &vma, addr),
            Some(Pte::Swap(entry)) => self.do_swap_page(pid, &vma, addr, entry, write),
            Some(Pte::Present {
                write: false, pfn, ..
            }) if write => self.do_wp_page(pid, &vma, addr, pfn),
            Some(Pte::Present { .. }) => {
                // Another thread got there first, or only the accessed bit was
                // missing: nothing to do (`handle_pte_fault`'s spurious path).
                Ok(false)
            }
        };
        self.trace.leave();
        let task = self.tasks.get_mut(&pid).expect("live task");
        match r {
            Ok(major) => {
                if major {
                    task.faults.1 += 1;
                    self.vmstat.pgmajfault += 1;
                } else {
                    task.faults.0 += 1;
                }
                Ok(())
            }
            Err(VmFault::SigBus) => Err(Fault {
                signal: Signal::SIGBUS,
                code: SigCode::BUS_ADRERR,
                addr,
            }),
            Err(VmFault::Oom) => {
                self.trace.leaf("__alloc_pages_may_oom", "mm/page_alloc.c");
                match self.out_of_memory(pid, addr) {
                    Some(fault) => Err(fault),
                    None => Ok(()),
                }
            }
        }
    }

    /// `do_anonymous_page`: a read maps the shared zero page; a write
    /// allocates a zeroed page for this process alone.
    fn do_anonymous_page(
        &mut self,
        pid: Pid,
        vma: &Vma,
        addr: u64,
        write: bool,
    ) -> Result<bool, VmFault> {
        self.trace.enter("do_anonymous_page", "mm/memory.c");
        if !write {
            self.trace.leaf("my_zero_pfn", "mm/memory.c");
            let zero = self.mem.zero_pfn;
            self.set_pte(
                pid,
                addr,
                Some(Pte::Present {
                    pfn: zero,
                    write: false,
                    dirty: false,
                    young: true,
                }),
            );
            self.trace.leave();
            return Ok(false);
        }
        let r = self
            .new_anon_page(pid, vma, addr, PageData::Zero)
            .map(|_| false);
        self.trace.leave();
        r
    }

    /// Allocates an anonymous page holding `data` and maps it writable at
    /// `addr` (`anon_vma_prepare`, `alloc_zeroed_user_highpage_movable`,
    /// `page_add_new_anon_rmap`, `lru_cache_add_active_or_unevictable`).
    fn new_anon_page(
        &mut self,
        pid: Pid,
        vma: &Vma,
        addr: u64,
        data: PageData,
    ) -> Result<Pfn, VmFault> {
        let pfn = self.alloc_page().ok_or(VmFault::Oom)?;
        self.install_anon_page(pid, vma, addr, pfn, data);
        Ok(pfn)
    }

    /// Maps a freshly allocated frame as a new anonymous page at `addr`.
    fn install_anon_page(&mut self, pid: Pid, vma: &Vma, addr: u64, pfn: Pfn, data: PageData) {
        let anon_vma = self.anon_vma_prepare(pid, vma.start);
        self.mem.set_data(pfn, data);
        self.page_add_new_anon_rmap(pfn, anon_vma, vma.linear_page_index(addr));
        self.lru_cache_add_active(pfn);
        self.set_pte(
            pid,
            addr,
            Some(Pte::Present {
                pfn,
                write: true,
                dirty: true,
                young: true,
            }),
        );
        self.add_rss(pid, rss::ANONPAGES, 1);
    }

    /// `anon_vma_prepare`: gives the VMA an `anon_vma` if it has none yet.
    fn anon_vma_prepare(&mut self, pid: Pid, vma_start: u64) -> u32 {
        if let Some(id) = self.tasks[&pid].mm.vmas[&vma_start].anon_vma {
            return id;
        }
        self.trace.leaf("anon_vma_prepare", "mm/rmap.c");
        let id = self.alloc_anon_vma();
        self.tasks
            .get_mut(&pid)
            .expect("live")
            .mm
            .vmas
            .get_mut(&vma_start)
            .expect("vma")
            .anon_vma = Some(id);
        id
    }

    /// `__do_fault`: asks the file for its page (`shmem_fault` or `filemap_fault`).
    fn do_file_fault(&mut self, ino: u32, index: u64) -> Result<(Pfn, bool), VmFault> {
        self.trace.enter("__do_fault", "mm/memory.c");
        let r = if self.inodes[&ino].shmem().is_some() {
            self.shmem_fault(ino, index)
        } else {
            self.filemap_fault(ino, index)
        };
        self.trace.leave();
        r.map_err(VmFault::from)
    }

    /// Maps a page-cache page at `addr` (`alloc_set_pte` for a file page).
    fn map_file_page(&mut self, pid: Pid, addr: u64, pfn: Pfn, write: bool, dirty: bool) {
        self.page_add_file_rmap(pfn);
        let counter = self.mm_counter(pfn);
        self.add_rss(pid, counter, 1);
        self.set_pte(
            pid,
            addr,
            Some(Pte::Present {
                pfn,
                write,
                dirty,
                young: true,
            }),
        );
    }

    /// `do_read_fault`: fault-around first (map what is already cached near
    /// the address), then `->fault` for the page itself.
    fn do_read_fault(&mut self, pid: Pid, vma: &Vma, addr: u64) -> Result<bool, VmFault> {
        self.trace.enter("do_read_fault", "mm/memory.c");
        let ino = self.vma_inode(vma).expect("a file VMA");
        if self.cfg.fault_around_bytes / PAGE_SIZE > 1 {
            self.do_fault_around(pid, vma, addr, ino);
            if matches!(self.tasks[&pid].mm.pte(addr), Some(Pte::Present { .. })) {
                self.trace.leave();
                return Ok(false);
            }
        }
        let r = self
            .do_file_fault(ino, vma.linear_page_index(addr))
            .map(|(pfn, major)| {
                self.trace.leaf("alloc_set_pte", "mm/memory.c");
                let write = self.vm_page_prot_writable(vma);
                self.map_file_page(pid, addr, pfn, write, false);
                major
            });
        self.trace.leave();
        r
    }

    /// `do_fault_around`: the 64 KiB window around `addr`, aligned on the
    /// virtual address, clipped to the VMA and to one page table, passed to
    /// `filemap_map_pages`, which maps only pages already in the cache and up
    /// to date (never exceptional entries, never past `i_size`).
    fn do_fault_around(&mut self, pid: Pid, vma: &Vma, addr: u64, ino: u32) {
        self.trace.enter("do_fault_around", "mm/memory.c");
        let nr_pages = self.cfg.fault_around_bytes / PAGE_SIZE;
        let mask = !(nr_pages * PAGE_SIZE - 1);
        let address = (addr & mask).max(vma.start);
        let pgoff = vma.linear_page_index(addr);
        let off = ((addr - address) / PAGE_SIZE) & (PTRS_PER_PTE - 1);
        let start_pgoff = pgoff - off;
        let end_pgoff =
            (start_pgoff + PTRS_PER_PTE - 1 - ((address / PAGE_SIZE) & (PTRS_PER_PTE - 1)))
                .min(vma.pages() + vma.pgoff - 1)
                .min(start_pgoff + nr_pages - 1);
        self.trace.enter("filemap_map_pages", "mm/filemap.c");
        let max_idx = self.inodes[&ino].size_pages();
        let write = self.vm_page_prot_writable(vma);
        for index in start_pgoff..=end_pgoff {
            if index >= max_idx {
                break;
            }
            let Some(crate::mm::filemap::CacheEntry::Page(pfn)) = self.find_get_entry(ino, index)
            else {
                continue;
            };
            if !self.mem.page(pfn).test(pg::UPTODATE) {
                continue;
            }
            let at = vma.start + (index - vma.pgoff) * PAGE_SIZE;
            if self.tasks[&pid].mm.pte(at).is_some() {
                continue;
            }
            self.map_file_page(pid, at, pfn, write, false);
        }
        self.trace.leave();
        self.trace.leave();
    }

    /// `do_cow_fault`: a write to a private file mapping copies the file's
    /// page into a new anonymous page; the file page is not mapped.
    fn do_cow_fault(&mut self, pid: Pid, vma: &Vma, addr: u64) -> Result<bool, VmFault> {
        self.trace.enter("do_cow_fault", "mm/memory.c");
        let ino = self.vma_inode(vma).expect("a file VMA");
        let r = self
            .do_file_fault(ino, vma.linear_page_index(addr))
            .and_then(|(file_pfn, major)| {
                // The file page stays locked while its copy is allocated.
                self.locked_pages.insert(file_pfn);
                let r = self.new_anon_page(pid, vma, addr, PageData::Zero);
                self.locked_pages.remove(&file_pfn);
                let pfn = r?;
                self.trace.leaf("copy_user_highpage", "mm/memory.c");
                let data = self.mem.data(file_pfn);
                self.mem.set_data(pfn, data);
                Ok(major)
            });
        self.trace.leave();
        r
    }

    /// `do_shared_fault`: the file's page, mapped writable and marked dirty
    /// (`fault_dirty_shared_page`); disk files are asked first (`page_mkwrite`).
    fn do_shared_fault(&mut self, pid: Pid, vma: &Vma, addr: u64) -> Result<bool, VmFault> {
        self.trace.enter("do_shared_fault", "mm/memory.c");
        let ino = self.vma_inode(vma).expect("a file VMA");
        let r = self
            .do_file_fault(ino, vma.linear_page_index(addr))
            .map(|(pfn, major)| {
                if self.vma_wants_writenotify(vma) {
                    self.trace.leaf("ext4_page_mkwrite", "fs/ext4/inode.c");
                }
                self.trace.leaf("alloc_set_pte", "mm/memory.c");
                self.map_file_page(pid, addr, pfn, true, true);
                self.trace.leaf("fault_dirty_shared_page", "mm/memory.c");
                self.set_page_dirty(pfn);
                major
            });
        self.trace.leave();
        r
    }

    /// `do_wp_page`: a write through a read-only PTE. Shared mappings make the
    /// PTE writable (`wp_page_shared`); a private anonymous page mapped only
    /// here is reused (`wp_page_reuse`); anything else — the zero page, a file
    /// page, a page shared since fork — is copied (`wp_page_copy`).
    fn do_wp_page(&mut self, pid: Pid, vma: &Vma, addr: u64, pfn: Pfn) -> Result<bool, VmFault> {
        self.trace.enter("do_wp_page", "mm/memory.c");
        let r = if pfn == self.mem.zero_pfn {
            self.trace.leaf("wp_page_copy", "mm/memory.c");
            // The old PTE maps the zero page, which has no rmap to undo.
            self.new_anon_page(pid, vma, addr, PageData::Zero)
                .map(|_| false)
        } else if vma.is_shared() {
            self.trace.leaf("wp_page_shared", "mm/memory.c");
            if self.vma_wants_writenotify(vma) {
                self.trace.leaf("ext4_page_mkwrite", "fs/ext4/inode.c");
            }
            self.set_pte(
                pid,
                addr,
                Some(Pte::Present {
                    pfn,
                    write: true,
                    dirty: true,
                    young: true,
                }),
            );
            self.set_page_dirty(pfn);
            Ok(false)
        } else if matches!(self.mem.page(pfn).mapping(), Mapping::Anon(_))
            && self.reuse_swap_page(pfn)
        {
            self.trace.leaf("wp_page_reuse", "mm/memory.c");
            self.set_pte(
                pid,
                addr,
                Some(Pte::Present {
                    pfn,
                    write: true,
                    dirty: true,
                    young: true,
                }),
            );
            Ok(false)
        } else {
            self.trace.leaf("wp_page_copy", "mm/memory.c");
            // Allocate before unmapping the old page, as wp_page_copy does;
            // the old page stays locked meanwhile.
            self.locked_pages.insert(pfn);
            let new = self.alloc_page();
            self.locked_pages.remove(&pfn);
            match new {
                None => Err(VmFault::Oom),
                Some(new) => {
                    let data = self.mem.data(pfn);
                    self.zap_one(pid, addr);
                    self.install_anon_page(pid, vma, addr, new, data);
                    Ok(false)
                }
            }
        };
        self.trace.leave();
        r
    }

    /// `do_swap_page`: a swap PTE. The page comes from the swap cache, or is
    /// read from the swap area (a major fault) and added to the swap cache;
    /// the swap entry's count drops; the swap-cache copy is dropped only when
    /// swap is more than half full or the page is mlocked (`vm_swap_full`).
    fn do_swap_page(
        &mut self,
        pid: Pid,
        vma: &Vma,
        addr: u64,
        entry: SwpEntry,
        write: bool,
    ) -> Result<bool, VmFault> {
        self.trace.enter("do_swap_page", "mm/memory.c");
        let r = self.do_swap_page_inner(pid, vma, addr, entry, write);
        self.trace.leave();
        r
    }

    fn do_swap_page_inner(
        &mut self,
        pid: Pid,
        vma: &Vma,
        addr: u64,
        entry: SwpEntry,
        write: bool,
    ) -> Result<bool, VmFault> {
        let (pfn, major) = self.swapin(entry).ok_or(VmFault::Oom)?;
        let anon_vma = self.anon_vma_prepare(pid, vma.start);
        self.add_rss(pid, rss::SWAPENTS, -1);
        self.add_rss(pid, rss::ANONPAGES, 1);
        self.page_add_anon_rmap(pfn, anon_vma, vma.linear_page_index(addr));
        self.set_pte(
            pid,
            addr,
            Some(Pte::Present {
                pfn,
                write: false,
                dirty: false,
                young: true,
            }),
        );
        self.swap_free(entry);
        if self.vm_swap_full() || vma.flags & vm::LOCKED != 0 {
            self.try_to_free_swap(pfn);
        }
        if write {
            if self.reuse_swap_page(pfn) {
                self.set_pte(
                    pid,
                    addr,
                    Some(Pte::Present {
                        pfn,
                        write: true,
                        dirty: true,
                        young: true,
                    }),
                );
            } else {
                self.do_wp_page(pid, vma, addr, pfn)?;
            }
        }
        Ok(major)
    }

    /// `reuse_swap_page`: may a private anonymous page be written in place?
    /// Only if nothing else maps it or refers to its swap slot; if it sits in
    /// the swap cache, it leaves it (the copy in swap would go stale).
    pub(crate) fn reuse_swap_page(&mut self, pfn: Pfn) -> bool {
        let page = self.mem.page(pfn);
        let mut count = page.mapcount as u64;
        if count <= 1 && page.test(pg::SWAPCACHE) {
            let entry = SwpEntry {
                val: self.mem.private(pfn),
            };
            count += self.swap_count(entry);
            if count != 1 {
                return false;
            }
            // SetPageDirty first: the delete may free the frame.
            self.mem.page_mut(pfn).set(pg::DIRTY);
            self.delete_from_swap_cache(pfn);
        }
        count <= 1
    }

    /// Removes the PTE at `addr` (`zap_pte_range` for one entry): a present
    /// page loses this mapping (its dirty bit passes to a file page); a swap
    /// entry is freed (`free_swap_and_cache`).
    pub(crate) fn zap_one(&mut self, pid: Pid, addr: u64) {
        let Some(pte) = self.tasks[&pid].mm.pte(addr) else {
            return;
        };
        self.set_pte(pid, addr, None);
        match pte {
            Pte::Present {
                pfn, dirty, young, ..
            } => {
                if pfn == self.mem.zero_pfn {
                    return;
                }
                let counter = self.mm_counter(pfn);
                self.add_rss(pid, counter, -1);
                let anon = matches!(self.mem.page(pfn).mapping(), Mapping::Anon(_));
                if !anon {
                    if dirty {
                        self.set_page_dirty(pfn);
                    }
                    if young {
                        self.mark_page_accessed(pfn);
                    }
                } else if dirty {
                    self.mem.page_mut(pfn).set(pg::DIRTY);
                }
                self.page_remove_rmap(pfn);
                if anon && self.mem.page(pfn).mapcount == 0 {
                    // free_pages_and_swap_cache -> free_swap_cache
                    self.try_to_free_swap(pfn);
                }
                self.put_page(pfn);
            }
            Pte::Swap(entry) => {
                self.add_rss(pid, rss::SWAPENTS, -1);
                self.free_swap_and_cache(entry);
            }
        }
    }

    /// `zap_page_range`: removes every PTE in `[start, end)` of one process.
    pub(crate) fn zap_page_range(&mut self, pid: Pid, start: u64, end: u64) {
        self.trace.enter("zap_pte_range", "mm/memory.c");
        // A page table's worth at a time, as zap_pte_range walks one table
        // per call: never a list of every PTE of a 90 GiB mapping.
        let (mut vpn, end) = (start / PAGE_SIZE, end.div_ceil(PAGE_SIZE));
        loop {
            let batch: Vec<u64> = self.tasks[&pid]
                .mm
                .ptes
                .range(vpn..end)
                .take(PTRS_PER_PTE as usize)
                .map(|(v, _)| v)
                .collect();
            let Some(&last) = batch.last() else { break };
            for v in batch {
                self.zap_one(pid, v * PAGE_SIZE);
            }
            vpn = last + 1;
        }
        self.trace.leave();
    }

    /// `unmap_mapping_range`: removes every PTE, in every process, that maps
    /// pages `first..` of the file. With `even_cows`, private copies made from
    /// those pages go too (truncation); swap entries in private mappings stay.
    pub(crate) fn unmap_mapping_range(&mut self, ino: u32, first: u64, last: u64, even_cows: bool) {
        self.trace.enter("unmap_mapping_range", "mm/memory.c");
        let mut victims = Vec::new();
        for (pid, task) in self.tasks.iter() {
            for vma in task.mm.vmas.values() {
                if self.vma_inode(vma) != Some(ino) {
                    continue;
                }
                let lo = first.max(vma.pgoff);
                let hi = last.min(vma.pgoff + vma.pages());
                for index in lo..hi {
                    let addr = vma.start + (index - vma.pgoff) * PAGE_SIZE;
                    if let Some(Pte::Present { pfn, .. }) = task.mm.pte(addr) {
                        let own = self.mem.page(pfn).mapping() == Mapping::File(ino);
                        // (The zero page is never mapped by a file VMA.)
                        if own || even_cows {
                            victims.push((pid, addr));
                        }
                    }
                }
            }
        }
        for (pid, addr) in victims {
            self.zap_one(pid, addr);
        }
        self.trace.leave();
    }

    /// `copy_page_range` at fork: a VMA without an `anon_vma` (shared
    /// mappings, private file mappings never written) copies no PTEs — the
    /// child faults them in; otherwise each PTE is copied, and private
    /// writable pages are write-protected in both so that the first write
    /// copies (`copy_one_pte`).
    pub(crate) fn copy_page_range(&mut self, parent: Pid, child: Pid, vma: &Vma) {
        if vma.anon_vma.is_none() {
            return;
        }
        self.trace.enter("copy_page_range", "mm/memory.c");
        let cow = vma.flags & (vm::SHARED | vm::MAYWRITE) == vm::MAYWRITE;
        let ptes: Vec<(u64, Pte)> = self.tasks[&parent]
            .mm
            .ptes
            .range(vma.start / PAGE_SIZE..vma.end / PAGE_SIZE)
            .map(|(vpn, pte)| (vpn * PAGE_SIZE, pte))
            .collect();
        for (addr, pte) in ptes {
            match pte {
                Pte::Swap(entry) => {
                    self.swap_duplicate(entry);
                    self.add_rss(child, rss::SWAPENTS, 1);
                    self.set_pte(child, addr, Some(pte));
                }
                Pte::Present {
                    pfn,
                    mut write,
                    dirty,
                    ..
                } => {
                    if cow && write {
                        write = false;
                        self.set_pte(
                            parent,
                            addr,
                            Some(Pte::Present {
                                pfn,
                                write,
                                dirty,
                                young: true,
                            }),
                        );
                    }
                    let dirty = dirty && !vma.is_shared();
                    self.set_pte(
                        child,
                        addr,
                        Some(Pte::Present {
                            pfn,
                            write,
                            dirty,
                            young: false,
                        }),
                    );
                    if pfn != self.mem.zero_pfn {
                        self.page_dup_rmap(pfn);
                        let counter = self.mm_counter(pfn);
                        self.add_rss(child, counter, 1);
                    }
                }
            }
        }
        self.trace.leave();
    }

    /// The frame behind `addr` for an access of `pid`, faulting it in as the
    /// CPU would (`get_user_pages` for the model's loads and stores). The PTE
    /// is marked young, and dirty for a write.
    pub(crate) fn get_user_page(&mut self, pid: Pid, addr: u64, write: bool) -> Result<Pfn, Fault> {
        // Each retry follows a fault that was handled, or an OOM kill of
        // another process: both are bounded.
        for _ in 0..4 + self.tasks.len() {
            // A load from a VMA it may not read faults even through a PTE
            // (PROT_NONE); a store needs no look: the PTE's write bit says.
            if !write
                && self.tasks[&pid]
                    .mm
                    .vma_at(addr)
                    .is_some_and(|vma| !vma.is_accessible())
            {
                return Err(Fault {
                    signal: Signal::SIGSEGV,
                    code: SigCode::SEGV_ACCERR,
                    addr,
                });
            }
            let mm = &mut self.tasks.get_mut(&pid).expect("live task").mm;
            let pte = mm.pte(addr);
            // A PTE that has the accessed and dirty bits already does not change.
            if let Some(pfn) = pte.and_then(|p| p.settled(write)) {
                return Ok(pfn);
            }
            if let Some(Pte::Present {
                pfn,
                write: w,
                dirty,
                ..
            }) = pte
            {
                if !write || w {
                    // The MMU sets the accessed and dirty bits.
                    self.trace.touch(Touch::Pte {
                        pid,
                        vpn: addr / PAGE_SIZE,
                    });
                    mm.ptes.insert(
                        addr / PAGE_SIZE,
                        Pte::Present {
                            pfn,
                            write: w,
                            dirty: dirty || write,
                            young: true,
                        },
                    );
                    return Ok(pfn);
                }
            }
            self.handle_mm_fault(pid, addr, write)?;
        }
        panic!("invariant: a handled fault leaves a usable PTE (pid {pid}, addr {addr:#x})")
    }

    /// Runs `f` over each page piece of `[addr, addr + len)` as `pid` touches
    /// it, page by page in order; stops at the first fault, which ends the
    /// process.
    fn access_user(
        &mut self,
        pid: Pid,
        addr: u64,
        len: u64,
        write: bool,
        mut f: impl FnMut(&mut PageData, usize, usize, usize),
    ) -> Result<(), Fault> {
        let mut done = 0u64;
        // For a load, the VMA last found accessible: a load from a page
        // mapped already needs no other check while it lasts (nothing but a
        // fault, after which it is looked up again, changes the VMAs under a
        // load or store). A store needs none: the PTE's write bit says it.
        let mut readable = 0..0;
        while done < len {
            let at = addr.wrapping_add(done);
            let off = (at % PAGE_SIZE) as usize;
            let n = ((PAGE_SIZE - off as u64).min(len - done)) as usize;
            let page = at & !(PAGE_SIZE - 1);
            let fast = (write || readable.contains(&page))
                .then(|| self.mapped_pfn(pid, page, write))
                .flatten();
            let pfn = match fast {
                Some(pfn) => pfn,
                None => match self.get_user_page(pid, page, write) {
                    Ok(pfn) => {
                        if !write {
                            readable = self.accessible_vma(pid, page);
                        }
                        pfn
                    }
                    Err(fault) => {
                        let fault = Fault { addr: at, ..fault };
                        self.force_sig_fault(pid, fault);
                        return Err(fault);
                    }
                },
            };
            self.mem.with_data(pfn, |d| f(d, off, n, done as usize));
            done += n as u64;
        }
        Ok(())
    }

    /// The fast path of a load or store (off when [`Kernel::set_plain`]):
    /// the frame at `page` when the MMU has nothing to do, its PTE present,
    /// accessed, and for a store writable and dirty already: what
    /// [`Kernel::get_user_page`] returns at once for such a page, without
    /// its VMA lookup (a load's caller has checked the VMA is readable).
    fn mapped_pfn(&self, pid: Pid, page: u64, write: bool) -> Option<Pfn> {
        if self.plain {
            return None;
        }
        self.tasks
            .get(&pid)?
            .mm
            .ptes
            .get(page / PAGE_SIZE)?
            .settled(write)
    }

    /// The range of the VMA at `addr`, if a load may touch it.
    fn accessible_vma(&self, pid: Pid, addr: u64) -> std::ops::Range<u64> {
        self.tasks
            .get(&pid)
            .and_then(|t| t.mm.vma_at(addr))
            .filter(|v| v.is_accessible())
            .map_or(0..0, |v| v.start..v.end)
    }

    /// A store of `data` at `addr` by `pid` (`memcpy`, `p[i] = c`).
    pub fn write_user(&mut self, pid: Pid, addr: u64, data: &[u8]) -> Result<(), Fault> {
        self.tick();
        self.access_user(pid, addr, data.len() as u64, true, |page, off, n, pos| {
            page.write(off, &data[pos..pos + n]);
        })
    }

    /// `memset(addr, byte, len)` by `pid`.
    pub fn fill_user(&mut self, pid: Pid, addr: u64, byte: u8, len: u64) -> Result<(), Fault> {
        self.tick();
        self.access_user(pid, addr, len, true, |page, off, n, _| {
            page.fill(off, n, byte)
        })
    }

    /// A load of `len` bytes at `addr` by `pid`.
    pub fn read_user(&mut self, pid: Pid, addr: u64, len: u64) -> Result<Vec<u8>, Fault> {
        self.tick();
        // Grows page by page, so that a huge length faults at the end of the
        // mapping before anything large is allocated.
        let mut out = Vec::new();
        self.access_user(pid, addr, len, false, |page, off, n, pos| {
            debug_assert_eq!(out.len(), pos);
            let start = out.len();
            out.resize(start + n, 0);
            page.read(off, &mut out[start..]);
        })?;
        Ok(out)
    }

    /// A C string at `addr` (what `printf("%s", p)` reads): bytes up to the
    /// first NUL, touching each page only as it is reached; at most `max` bytes.
    pub fn read_user_cstr(&mut self, pid: Pid, addr: u64, max: u64) -> Result<Vec<u8>, Fault> {
        self.tick();
        let mut out = Vec::new();
        let mut at = addr;
        while (out.len() as u64) < max {
            let off = (at % PAGE_SIZE) as usize;
            let n = ((PAGE_SIZE - off as u64).min(max - out.len() as u64)) as usize;
            let mut buf = vec![0u8; n];
            self.access_user(pid, at, n as u64, false, |page, o, len, _| {
                page.read(o, &mut buf[..len])
            })?;
            if let Some(nul) = buf.iter().position(|&b| b == 0) {
                out.extend_from_slice(&buf[..nul]);
                return Ok(out);
            }
            out.extend_from_slice(&buf);
            at += n as u64;
        }
        Ok(out)
    }

    /// Delivers a fatal fault signal: the process ends (`force_sig_info` ->
    /// `do_group_exit`).
    pub(crate) fn force_sig_fault(&mut self, pid: Pid, fault: Fault) {
        self.trace.leaf("force_sig_info", "kernel/signal.c");
        self.do_exit(pid, crate::kernel::ExitStatus::Signaled(fault.signal));
    }
}
