//! Page reclaim: the LRU lists, `shrink_page_list`, kswapd-style and direct
//! reclaim, `MADV_COLD`/`MADV_PAGEOUT`, and the OOM killer.
//!
//! Mirrors `mm/swap.c` (`lru_cache_add`, `mark_page_accessed`,
//! `activate_page`, `deactivate_page`), `mm/vmscan.c` (4.14: `shrink_node`,
//! `shrink_list`, `shrink_active_list`, `shrink_inactive_list`,
//! `shrink_page_list`, `page_check_references`, `pageout`,
//! `__remove_mapping`), `mm/rmap.c` (`page_referenced`, `try_to_unmap`),
//! `mm/swap_state.c` (`add_to_swap`), `mm/shmem.c` (`shmem_writepage`),
//! `mm/madvise.c` (5.4: `madvise_cold`, `madvise_pageout`) and
//! `mm/oom_kill.c` (`oom_badness`, `out_of_memory`).
//!
//! Three kinds of page leave memory three ways:
//!
//! ```text
//!   anonymous   add_to_swap -> try_to_unmap: each PTE gets the swap entry
//!               -> pageout: swap_writepage -> (a later pass) freed from the swap cache
//!   shmem       try_to_unmap: PTEs cleared -> pageout: shmem_writepage:
//!               the page-cache slot becomes swp<<2|2, the page moves to the swap cache
//!               -> (a later pass) freed from the swap cache
//!   file        try_to_unmap: PTEs cleared -> dirty? written to its file
//!               -> (clean) removed from the page cache: only the disk copy remains
//! ```
//!
//! Writes (to swap and to files) complete at once in the model; as in the
//! kernel, a page just written is kept for this pass (it would be under
//! writeback) and moved to the tail of its inactive list, and a later pass
//! frees it. The model's kswapd also writes dirty file pages itself (4.14
//! leaves most of that to the flusher threads, which the model does not have).

use crate::errno::{Fault, SigCode, Signal};
use crate::fs::vfs::InodeKind;
use crate::kernel::{rss, vm, ExitStatus, Kernel, Pid, Pte, Vma};
use crate::mm::filemap::CacheEntry;
use crate::mm::page::{pg, Mapping, Pfn, PAGE_SIZE};
use crate::mm::swapops::SwpEntry;
use crate::syscalls::{ShellArgs, ShellOut};
use crate::trace::{Counter, Touch};
use serde::Serialize;

/// The LRU lists (`enum lru_list`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Lru {
    /// `LRU_INACTIVE_ANON`: anonymous and shmem pages not used lately.
    InactiveAnon = 0,
    /// `LRU_ACTIVE_ANON`.
    ActiveAnon = 1,
    /// `LRU_INACTIVE_FILE`: page-cache pages of files on disk.
    InactiveFile = 2,
    /// `LRU_ACTIVE_FILE`.
    ActiveFile = 3,
    /// `LRU_UNEVICTABLE`: locked pages.
    Unevictable = 4,
}

impl Lru {
    /// All lists, in kernel order.
    pub const ALL: [Lru; 5] = [
        Lru::InactiveAnon,
        Lru::ActiveAnon,
        Lru::InactiveFile,
        Lru::ActiveFile,
        Lru::Unevictable,
    ];
}

/// One LRU list: a doubly linked list through `page->lru` (links are pfn + 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LruList {
    /// The most recently added page (pfn + 1; 0 = empty).
    pub head: u32,
    /// The oldest page, where reclaim takes from (pfn + 1; 0 = empty).
    pub tail: u32,
    /// Pages on the list.
    pub len: u64,
}

/// `SWAP_CLUSTER_MAX`: pages direct reclaim tries to free at a time.
pub const SWAP_CLUSTER_MAX: u64 = 32;
/// `DEF_PRIORITY`: reclaim scans `size >> priority` pages per list per round.
pub const DEF_PRIORITY: u32 = 12;
/// Rounds at priority 0 after the first (see `shrink_node`).
const EXTRA_ROUNDS: usize = 3;

/// `enum page_references`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PageRef {
    Activate,
    Keep,
    Reclaim,
    ReclaimClean,
}

/// What happened to one page in `shrink_page_list`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    Freed,
    Activate,
    Keep,
    /// Written out: kept for this pass, rotated to the inactive tail.
    Rotate,
    Unevictable,
}

impl Kernel {
    /// `page_lru`: the list a page belongs on, from its flags.
    pub(crate) fn page_lru(&self, pfn: Pfn) -> Lru {
        let page = self.mem.page(pfn);
        if page.test(pg::UNEVICTABLE) {
            return Lru::Unevictable;
        }
        match (page.test(pg::SWAPBACKED), page.test(pg::ACTIVE)) {
            (true, false) => Lru::InactiveAnon,
            (true, true) => Lru::ActiveAnon,
            (false, false) => Lru::InactiveFile,
            (false, true) => Lru::ActiveFile,
        }
    }

    fn list_add(&mut self, pfn: Pfn, lru: Lru, tail: bool) {
        let l = self.lru[lru as usize];
        let link = pfn + 1;
        {
            let page = self.mem.page_mut(pfn);
            page.lru_prev = if tail { l.tail } else { 0 };
            page.lru_next = if tail { 0 } else { l.head };
        }
        let list = &mut self.lru[lru as usize];
        if tail {
            if l.tail != 0 {
                self.mem.page_mut(l.tail - 1).lru_next = link;
            } else {
                list.head = link;
            }
            list.tail = link;
        } else {
            if l.head != 0 {
                self.mem.page_mut(l.head - 1).lru_prev = link;
            } else {
                list.tail = link;
            }
            list.head = link;
        }
        list.len += 1;
        self.mem.page_mut(pfn).set(pg::LRU);
    }

    fn list_del(&mut self, pfn: Pfn, lru: Lru) {
        let (prev, next) = {
            let p = self.mem.page(pfn);
            (p.lru_prev, p.lru_next)
        };
        let list = &mut self.lru[lru as usize];
        if prev != 0 {
            self.mem.page_mut(prev - 1).lru_next = next;
        } else {
            list.head = next;
        }
        if next != 0 {
            self.mem.page_mut(next - 1).lru_prev = prev;
        } else {
            list.tail = prev;
        }
        list.len -= 1;
        let page = self.mem.page_mut(pfn);
        page.lru_prev = 0;
        page.lru_next = 0;
        page.clear(pg::LRU);
    }

    /// `lru_cache_add`: onto the head of the inactive list (or the active
    /// one if the page is already marked active).
    pub(crate) fn lru_cache_add(&mut self, pfn: Pfn) {
        if self.mem.page(pfn).test(pg::LRU) {
            return;
        }
        let lru = self.page_lru(pfn);
        self.list_add(pfn, lru, false);
    }

    /// `lru_cache_add_active_or_unevictable`: new anonymous pages start active.
    pub(crate) fn lru_cache_add_active(&mut self, pfn: Pfn) {
        self.mem.page_mut(pfn).set(pg::ACTIVE);
        self.lru_cache_add(pfn);
    }

    /// `del_page_from_lru_list`.
    pub(crate) fn lru_del(&mut self, pfn: Pfn) {
        if self.mem.page(pfn).test(pg::LRU) {
            let lru = self.page_lru(pfn);
            self.list_del(pfn, lru);
        }
        self.mem.page_mut(pfn).clear(pg::ACTIVE);
    }

    fn lru_move(&mut self, pfn: Pfn, set: u32, clear: u32, tail: bool) {
        let on = self.mem.page(pfn).test(pg::LRU);
        if on {
            let lru = self.page_lru(pfn);
            self.list_del(pfn, lru);
        }
        let page = self.mem.page_mut(pfn);
        page.set(set);
        page.clear(clear);
        if on {
            let lru = self.page_lru(pfn);
            self.list_add(pfn, lru, tail);
        }
    }

    /// `mark_page_lazyfree` (mm/swap.c, `lru_lazyfree_fn`): an anonymous
    /// page that is not in the swap cache stops being swap-backed and moves
    /// to the inactive file list, where reclaim frees it if it is still
    /// clean.
    pub(crate) fn mark_page_lazyfree(&mut self, pfn: Pfn) {
        let page = self.mem.page(pfn);
        if page.test(pg::LRU)
            && matches!(page.mapping(), Mapping::Anon(_))
            && page.test(pg::SWAPBACKED)
            && !page.test(pg::SWAPCACHE)
            && !page.test(pg::UNEVICTABLE)
        {
            self.trace.leaf("mark_page_lazyfree", "mm/swap.c");
            self.lru_move(pfn, 0, pg::ACTIVE | pg::REFERENCED | pg::SWAPBACKED, false);
        }
    }

    /// `mark_page_accessed`: inactive,unreferenced -> inactive,referenced ->
    /// active (`activate_page`).
    pub(crate) fn mark_page_accessed(&mut self, pfn: Pfn) {
        let page = self.mem.page(pfn);
        if !page.test(pg::ACTIVE)
            && !page.test(pg::UNEVICTABLE)
            && page.test(pg::REFERENCED)
            && page.test(pg::LRU)
        {
            self.lru_move(pfn, pg::ACTIVE, pg::REFERENCED, false);
        } else if !page.test(pg::REFERENCED) {
            self.mem.page_mut(pfn).set(pg::REFERENCED);
        }
    }

    /// Allocates a frame (`__alloc_pages_nodemask`): from the free list, or
    /// after direct reclaim (`__alloc_pages_direct_reclaim` ->
    /// `try_to_free_pages`). `None` when even reclaim finds nothing: the
    /// caller's path ends in the OOM killer.
    pub(crate) fn alloc_page(&mut self) -> Option<Pfn> {
        self.trace.leaf("__alloc_pages_nodemask", "mm/page_alloc.c");
        if let Some(pfn) = self.mem.alloc_page() {
            self.trace.touch(Touch::Counter(Counter::FreePages));
            return Some(pfn);
        }
        self.trace.enter("try_to_free_pages", "mm/vmscan.c");
        self.shrink_node(SWAP_CLUSTER_MAX);
        self.trace.leave();
        let pfn = self.mem.alloc_page()?;
        self.trace.touch(Touch::Counter(Counter::FreePages));
        Some(pfn)
    }

    /// Reclaims up to `nr` pages as kswapd would (`balance_pgdat` ->
    /// `shrink_node`); returns how many were freed.
    pub fn reclaim(&mut self, nr: u64) -> u64 {
        self.tick();
        self.trace.enter("kswapd", "mm/vmscan.c");
        let freed = self.shrink_node(nr);
        self.trace.leave();
        freed
    }

    /// `shrink_node` -> `shrink_node_memcg`: rounds of decreasing priority;
    /// each round scans `size >> priority` pages of each evictable list
    /// (anon lists only when there is swap to put them in, `get_scan_count`).
    /// As kswapd keeps calling `shrink_node` until it is done, the model runs
    /// a few more rounds at priority 0 while they make progress: pages that
    /// one round deactivated or wrote out are freed by the next.
    fn shrink_node(&mut self, nr_to_reclaim: u64) -> u64 {
        self.trace.enter("shrink_node", "mm/vmscan.c");
        let mut reclaimed = 0;
        let file_lru =
            self.lru[Lru::InactiveFile as usize].len + self.lru[Lru::ActiveFile as usize].len;
        let scan_anon = (self.nr_swap_pages() > 0 || !self.swap_cache.is_empty())
            && (self.swappiness > 0 || file_lru == 0);
        let rounds = (0..=DEF_PRIORITY).rev().chain([0; EXTRA_ROUNDS]);
        for priority in rounds {
            for lru in [
                Lru::InactiveAnon,
                Lru::ActiveAnon,
                Lru::InactiveFile,
                Lru::ActiveFile,
            ] {
                if reclaimed >= nr_to_reclaim {
                    break;
                }
                let anon = matches!(lru, Lru::InactiveAnon | Lru::ActiveAnon);
                if anon && !scan_anon {
                    continue;
                }
                let size = self.lru[lru as usize].len;
                let mut scan = size >> priority;
                if scan == 0 && priority == 0 {
                    scan = size;
                }
                if scan == 0 {
                    continue;
                }
                reclaimed += self.shrink_list(lru, scan, nr_to_reclaim - reclaimed);
            }
            if reclaimed >= nr_to_reclaim {
                break;
            }
        }
        self.trace.leave();
        reclaimed
    }

    /// `shrink_list`: the active list is aged only while the inactive list is
    /// smaller (`inactive_list_is_low`).
    fn shrink_list(&mut self, lru: Lru, nr: u64, want: u64) -> u64 {
        match lru {
            Lru::ActiveAnon | Lru::ActiveFile => {
                let inactive = if lru == Lru::ActiveAnon {
                    Lru::InactiveAnon
                } else {
                    Lru::InactiveFile
                };
                if self.lru[inactive as usize].len < self.lru[lru as usize].len {
                    self.shrink_active_list(lru, nr);
                }
                0
            }
            _ => self.shrink_inactive_list(lru, nr, want),
        }
    }

    /// Takes up to `nr` pages from the tail of a list (`isolate_lru_pages`),
    /// skipping pages an operation in progress has locked.
    fn isolate_lru_pages(&mut self, lru: Lru, nr: u64) -> Vec<Pfn> {
        let mut out = Vec::new();
        let mut link = self.lru[lru as usize].tail;
        while link != 0 && (out.len() as u64) < nr {
            let pfn = link - 1;
            link = self.mem.page(pfn).lru_prev;
            if self.locked_pages.contains(&pfn) {
                continue;
            }
            self.list_del(pfn, lru);
            out.push(pfn);
        }
        out
    }

    /// `shrink_active_list`: moves pages from the active list to the
    /// inactive one, clearing their accessed bits on the way (referenced
    /// executable file pages would stay; the model maps none).
    fn shrink_active_list(&mut self, lru: Lru, nr: u64) {
        self.trace.leaf("shrink_active_list", "mm/vmscan.c");
        for pfn in self.isolate_lru_pages(lru, nr) {
            self.page_referenced(pfn);
            let page = self.mem.page_mut(pfn);
            page.clear(pg::ACTIVE | pg::REFERENCED);
            let lru = self.page_lru(pfn);
            self.list_add(pfn, lru, false);
        }
    }

    /// `shrink_inactive_list`: isolates and hands pages to `shrink_page_list`,
    /// then puts the survivors back.
    fn shrink_inactive_list(&mut self, lru: Lru, nr: u64, want: u64) -> u64 {
        self.trace.enter("shrink_inactive_list", "mm/vmscan.c");
        // shrink_node_memcg scans `nr` pages in batches of SWAP_CLUSTER_MAX;
        // the model takes no more than is still wanted in each, so that
        // reclaim(N) frees N pages when it can, not a whole batch.
        let (mut scanned, mut freed) = (0, 0);
        while scanned < nr && freed < want {
            let batch = (nr - scanned).min(want - freed).min(SWAP_CLUSTER_MAX);
            let pages = self.isolate_lru_pages(lru, batch);
            if pages.is_empty() {
                break;
            }
            scanned += batch;
            freed += self.shrink_page_list(pages, false);
        }
        self.trace.leave();
        freed
    }

    /// `shrink_page_list`: decides each isolated page's fate; returns the
    /// number freed. `ignore_references` is `reclaim_pages` (MADV_PAGEOUT).
    fn shrink_page_list(&mut self, pages: Vec<Pfn>, ignore_references: bool) -> u64 {
        self.trace.enter("shrink_page_list", "mm/vmscan.c");
        let mut freed = 0;
        for pfn in pages {
            let fate = self.shrink_one_page(pfn, ignore_references);
            match fate {
                Fate::Freed => freed += 1,
                Fate::Activate => {
                    self.mem.page_mut(pfn).set(pg::ACTIVE);
                    self.putback(pfn, false);
                }
                Fate::Keep => self.putback(pfn, false),
                Fate::Rotate => self.putback(pfn, true),
                Fate::Unevictable => {
                    self.mem.page_mut(pfn).set(pg::UNEVICTABLE);
                    self.putback(pfn, false);
                }
            }
        }
        self.trace.leave();
        freed
    }

    /// `munlock_vma_page` -> `putback_lru_page`: a page reclaim culled to
    /// the unevictable list goes back to an evictable one once nothing locks
    /// it any more.
    pub(crate) fn putback_evictable(&mut self, pfn: Pfn) {
        if self.mem.page(pfn).test(pg::UNEVICTABLE) && !self.page_locked_in_memory(pfn) {
            self.lru_del(pfn);
            self.mem.page_mut(pfn).clear(pg::UNEVICTABLE);
            self.lru_cache_add(pfn);
        }
    }

    fn putback(&mut self, pfn: Pfn, tail: bool) {
        let lru = self.page_lru(pfn);
        self.list_add(pfn, lru, tail);
    }

    /// Is this page in a locked place: an `SHM_LOCK`ed segment or a
    /// `VM_LOCKED` mapping (`page_evictable`, `try_to_unmap`'s `SWAP_MLOCK`)?
    fn page_locked_in_memory(&self, pfn: Pfn) -> bool {
        let page = self.mem.page(pfn);
        if let Mapping::File(ino) = page.mapping() {
            if self.inodes[&ino].shmem().is_some_and(|i| i.locked) {
                return true;
            }
        }
        self.rmap_walk(pfn).iter().any(|&(pid, addr)| {
            self.tasks[&pid]
                .mm
                .vma_at(addr)
                .is_some_and(|v| v.flags & vm::LOCKED != 0)
        })
    }

    fn shrink_one_page(&mut self, pfn: Pfn, ignore_references: bool) -> Fate {
        if self.page_locked_in_memory(pfn) {
            self.trace.leaf("cull_mlocked", "mm/vmscan.c");
            return Fate::Unevictable;
        }
        let anon = matches!(self.mem.page(pfn).mapping(), Mapping::Anon(_));
        let swapbacked = self.mem.page(pfn).test(pg::SWAPBACKED);
        if !ignore_references {
            match self.page_check_references(pfn) {
                PageRef::Activate => return Fate::Activate,
                PageRef::Keep => return Fate::Keep,
                PageRef::Reclaim | PageRef::ReclaimClean => {}
            }
        }
        // Anonymous pages get a swap slot first.
        if anon && swapbacked && !self.mem.page(pfn).test(pg::SWAPCACHE) && !self.add_to_swap(pfn) {
            return Fate::Activate;
        }
        if self.mem.page(pfn).mapcount > 0 {
            self.try_to_unmap(pfn);
            if anon && !swapbacked {
                // MADV_FREE page written again since: it is swap-backed once more.
                if self.mem.page(pfn).test(pg::DIRTY) {
                    self.mem.page_mut(pfn).set(pg::SWAPBACKED);
                    return Fate::Activate;
                }
            }
        }
        if self.mem.page(pfn).test(pg::DIRTY) {
            return self.pageout(pfn);
        }
        self.remove_mapping(pfn)
    }

    /// `page_check_references`.
    fn page_check_references(&mut self, pfn: Pfn) -> PageRef {
        let referenced_ptes = self.page_referenced(pfn);
        let page = self.mem.page_mut(pfn);
        let referenced_page = page.test(pg::REFERENCED);
        page.clear(pg::REFERENCED);
        if referenced_ptes > 0 {
            if page.test(pg::SWAPBACKED) {
                return PageRef::Activate;
            }
            page.set(pg::REFERENCED);
            if referenced_page || referenced_ptes > 1 {
                return PageRef::Activate;
            }
            return PageRef::Keep;
        }
        if referenced_page && !page.test(pg::SWAPBACKED) {
            return PageRef::ReclaimClean;
        }
        PageRef::Reclaim
    }

    /// `page_referenced`: counts and clears the accessed bits of the PTEs
    /// that map a page.
    pub(crate) fn page_referenced(&mut self, pfn: Pfn) -> u32 {
        let mut n = 0;
        for (pid, addr) in self.rmap_walk(pfn) {
            let mm = &mut self.tasks.get_mut(&pid).expect("live").mm;
            let vpn = addr / PAGE_SIZE;
            if let Some(Pte::Present {
                pfn,
                write,
                dirty,
                young: true,
            }) = mm.ptes.get(vpn)
            {
                let old = Pte::Present {
                    pfn,
                    write,
                    dirty,
                    young: false,
                };
                mm.ptes.insert(vpn, old);
                n += 1;
            }
        }
        n
    }

    /// `add_to_swap`: a swap slot for an anonymous page, and the page into
    /// the swap cache, marked dirty (its copy in swap is not written yet).
    fn add_to_swap(&mut self, pfn: Pfn) -> bool {
        self.trace.enter("add_to_swap", "mm/swap_state.c");
        let ok = match self.get_swap_page() {
            Some(entry) => {
                self.add_to_swap_cache(pfn, entry);
                self.mem.page_mut(pfn).set(pg::DIRTY);
                true
            }
            None => false,
        };
        self.trace.leave();
        ok
    }

    /// `try_to_unmap`: for every PTE mapping the page (`try_to_unmap_one`):
    /// an anonymous page's PTE gets its swap entry (`swap_duplicate`,
    /// `MM_ANONPAGES--`, `MM_SWAPENTS++`); a file or shmem page's PTE is
    /// simply cleared. A dirty PTE dirties the page.
    pub(crate) fn try_to_unmap(&mut self, pfn: Pfn) {
        self.trace.enter("try_to_unmap", "mm/rmap.c");
        let anon = matches!(self.mem.page(pfn).mapping(), Mapping::Anon(_));
        for (pid, addr) in self.rmap_walk(pfn) {
            self.trace.leaf("try_to_unmap_one", "mm/rmap.c");
            let mm = &mut self.tasks.get_mut(&pid).expect("live").mm;
            let Some(Pte::Present { dirty, .. }) = mm.pte(addr) else {
                continue;
            };
            if anon
                && !self.mem.page(pfn).test(pg::SWAPBACKED)
                && (dirty || self.mem.page(pfn).test(pg::DIRTY))
            {
                // A MADV_FREE page written again: it cannot be discarded;
                // the PTE stays and the page is swap-backed once more.
                let page = self.mem.page_mut(pfn);
                page.set(pg::DIRTY | pg::SWAPBACKED);
                break;
            }
            let counter = self.mm_counter(pfn);
            let mm = &mut self.tasks.get_mut(&pid).expect("live").mm;
            if anon && self.mem.page(pfn).test(pg::SWAPCACHE) {
                let entry = SwpEntry {
                    val: self.mem.private(pfn),
                };
                mm.ptes.insert(addr / PAGE_SIZE, Pte::Swap(entry));
                self.trace.touch(Touch::Pte {
                    pid,
                    vpn: addr / PAGE_SIZE,
                });
                mm.rss[rss::ANONPAGES] -= 1;
                mm.rss[rss::SWAPENTS] += 1;
                self.swap_duplicate(entry);
            } else {
                mm.ptes.remove(addr / PAGE_SIZE);
                mm.rss[counter] -= 1;
                self.trace.touch(Touch::Pte {
                    pid,
                    vpn: addr / PAGE_SIZE,
                });
            }
            if dirty {
                self.set_page_dirty(pfn);
            }
            self.page_remove_rmap(pfn);
            self.put_page(pfn);
        }
        self.trace.leave();
    }

    /// `pageout`: a dirty page is written to its backing store: shmem to swap
    /// (`shmem_writepage`), anonymous pages to their swap slot
    /// (`swap_writepage`), disk file pages to their file.
    fn pageout(&mut self, pfn: Pfn) -> Fate {
        self.trace.enter("pageout", "mm/vmscan.c");
        let page = self.mem.page(pfn);
        let fate = if page.test(pg::SWAPCACHE) {
            let entry = SwpEntry {
                val: self.mem.private(pfn),
            };
            self.mem.page_mut(pfn).clear(pg::DIRTY);
            self.swap_writepage(pfn, entry);
            Fate::Rotate
        } else if let Mapping::File(ino) = page.mapping() {
            if self.inodes[&ino].shmem().is_some() {
                self.shmem_writepage(pfn, ino)
            } else {
                let index = page.index;
                self.write_one_page(ino, index, pfn);
                Fate::Rotate
            }
        } else {
            Fate::Keep
        };
        self.trace.leave();
        fate
    }

    /// `shmem_writepage`: refuse (keep the page, dirty and active) when the
    /// segment is locked or there is no swap; otherwise take a swap slot, put
    /// the page in the swap cache, `swapped++`, and replace it in its
    /// page-cache slot with the exceptional entry `swp_to_radix_entry(swap)`
    /// (`shmem_delete_from_page_cache`), then write it.
    fn shmem_writepage(&mut self, pfn: Pfn, ino: u32) -> Fate {
        self.trace.enter("shmem_writepage", "mm/shmem.c");
        let locked = self.inodes[&ino].shmem().is_some_and(|i| i.locked);
        let entry = if locked { None } else { self.get_swap_page() };
        let Some(entry) = entry else {
            self.trace
                .leaf("redirty_page_for_writepage", "mm/page-writeback.c");
            self.trace.leave();
            return Fate::Activate;
        };
        assert_eq!(
            self.mem.page(pfn).mapcount,
            0,
            "invariant: shmem_writepage of an unmapped page"
        );
        let index = self.mem.page(pfn).index;
        self.add_to_swap_cache(pfn, entry);
        self.trace.leaf("swap_shmem_alloc", "mm/swapfile.c");
        self.swap_duplicate(entry);
        self.trace
            .enter("shmem_delete_from_page_cache", "mm/shmem.c");
        self.trace
            .leaf("radix_tree_replace_slot", "lib/radix-tree.c");
        let inode = self.inodes.get_mut(&ino).expect("live");
        let old = inode
            .mapping
            .i_pages
            .replace(index, CacheEntry::Swap(entry));
        assert_eq!(
            old,
            Some(CacheEntry::Page(pfn)),
            "invariant: the slot held the page"
        );
        inode.mapping.nrpages -= 1;
        inode.mapping.nrexceptional += 1;
        inode.shmem_mut().expect("shmem").swapped += 1;
        self.trace.touch(Touch::Cache { ino, index });
        self.mod_node_page_state(Counter::FilePages, -1);
        self.mod_node_page_state(Counter::Shmem, -1);
        let page = self.mem.page_mut(pfn);
        page.set_mapping(Mapping::None);
        page.clear(pg::DIRTY);
        self.put_page(pfn); // the page cache's reference
        self.trace.leave();
        self.swap_writepage(pfn, entry);
        self.trace.leave();
        Fate::Rotate
    }

    /// `__remove_mapping`: a clean, unmapped page leaves the swap cache or
    /// the page cache and is freed. A page still mapped (a PTE was found
    /// since) stays.
    fn remove_mapping(&mut self, pfn: Pfn) -> Fate {
        let page = self.mem.page(pfn);
        if page.mapcount > 0 {
            return Fate::Activate;
        }
        self.trace.leaf("__remove_mapping", "mm/vmscan.c");
        if page.test(pg::SWAPCACHE) {
            self.delete_from_swap_cache(pfn);
            return Fate::Freed;
        }
        match page.mapping() {
            Mapping::File(ino) => {
                let shmem = self.inodes[&ino].shmem().is_some();
                self.delete_from_page_cache(pfn);
                if shmem {
                    // A clean shmem page (only ever read) is dropped: its
                    // slot is a hole again.
                    self.shmem_recalc_inode(ino);
                }
                Fate::Freed
            }
            Mapping::Anon(_) => {
                // A clean MADV_FREE page nobody wrote again: discarded.
                self.mem.page_mut(pfn).set_mapping(Mapping::None);
                self.put_page(pfn);
                Fate::Freed
            }
            Mapping::None => Fate::Keep,
        }
    }

    /// `madvise_cold` / `madvise_pageout` (5.4+): for each page of the range
    /// mapped by this process alone (pages another process also maps are
    /// skipped), deactivate it (COLD) or reclaim it now (`reclaim_pages`,
    /// PAGEOUT). File and shmem pages are paged out only for a caller that
    /// owns the file or may write it (`can_do_file_pageout`).
    pub(crate) fn madvise_cold_or_pageout(
        &mut self,
        pid: Pid,
        vma: &Vma,
        start: u64,
        end: u64,
        pageout: bool,
    ) {
        self.trace.enter(
            if pageout {
                "madvise_pageout"
            } else {
                "madvise_cold"
            },
            "mm/madvise.c",
        );
        if pageout && vma.file.is_some() && !self.can_do_file_pageout(pid, vma) {
            self.trace.leave();
            return;
        }
        let zero = self.mem.zero_pfn;
        let ptes: Vec<(u64, Pfn)> = self.tasks[&pid]
            .mm
            .ptes
            .range(start / PAGE_SIZE..end / PAGE_SIZE)
            .filter_map(|(vpn, p)| match p {
                Pte::Present { pfn, .. } if pfn != zero => Some((vpn * PAGE_SIZE, pfn)),
                _ => None,
            })
            .collect();
        let mut list = Vec::new();
        for (addr, pfn) in ptes {
            if self.mem.page(pfn).mapcount != 1 || self.locked_pages.contains(&pfn) {
                continue;
            }
            let mm = &mut self.tasks.get_mut(&pid).expect("live").mm;
            let vpn = addr / PAGE_SIZE;
            if let Some(Pte::Present {
                pfn, write, dirty, ..
            }) = mm.ptes.get(vpn)
            {
                let old = Pte::Present {
                    pfn,
                    write,
                    dirty,
                    young: false,
                };
                mm.ptes.insert(vpn, old);
            }
            if pageout {
                self.mem.page_mut(pfn).clear(pg::REFERENCED);
                if self.mem.page(pfn).test(pg::LRU) {
                    let lru = self.page_lru(pfn);
                    self.list_del(pfn, lru);
                    // reclaim_pages(): ClearPageActive, so survivors go back inactive.
                    self.mem.page_mut(pfn).clear(pg::ACTIVE);
                    list.push(pfn);
                }
            } else {
                self.trace.leaf("deactivate_page", "mm/swap.c");
                self.lru_move(pfn, 0, pg::ACTIVE | pg::REFERENCED, false);
            }
        }
        if pageout {
            self.trace.enter("reclaim_pages", "mm/vmscan.c");
            self.shrink_page_list(list, true);
            self.trace.leave();
        }
        self.trace.leave();
    }

    /// `can_do_file_pageout`: the caller owns the file or may write it.
    fn can_do_file_pageout(&self, pid: Pid, vma: &Vma) -> bool {
        let Some(f) = vma.file else { return true };
        let ino = self.files[f].ino;
        let owner = self.tasks[&pid].uid == self.inodes[&ino].uid || self.tasks[&pid].uid == 0;
        owner
            || self
                .inode_permission(pid, ino, crate::fs::vfs::may::WRITE)
                .is_ok()
    }

    /// `drop_caches` (`echo 1 > /proc/sys/vm/drop_caches`):
    /// `invalidate_mapping_pages` on every file drops its clean, unmapped
    /// pages.
    pub fn drop_caches(&mut self) -> u64 {
        self.tick();
        self.trace.enter("drop_pagecache_sb", "fs/drop_caches.c");
        let mut dropped = 0;
        let inos: Vec<u32> = self.inodes.keys().collect();
        for ino in inos {
            let pages: Vec<Pfn> = self.inodes[&ino]
                .mapping
                .i_pages
                .iter()
                .filter_map(|(_, e)| match e {
                    CacheEntry::Page(p) => Some(p),
                    CacheEntry::Swap(_) => None,
                })
                .collect();
            for pfn in pages {
                let page = self.mem.page(pfn);
                if page.mapcount == 0 && !page.test(pg::DIRTY) && !self.locked_pages.contains(&pfn)
                {
                    self.delete_from_page_cache(pfn);
                    if matches!(self.inodes[&ino].kind, InodeKind::Shmem(_)) {
                        self.shmem_recalc_inode(ino);
                    }
                    dropped += 1;
                }
            }
        }
        self.trace.leave();
        dropped
    }

    /// `oom_badness`: pages a process would give back if killed (RSS + swap
    /// entries), the largest chosen; ties go to the process listed first.
    pub fn oom_badness(&self, pid: Pid) -> i64 {
        let rss = self.tasks[&pid].mm.rss;
        rss[rss::FILEPAGES] + rss[rss::ANONPAGES] + rss[rss::SHMEMPAGES] + rss[rss::SWAPENTS]
    }

    /// `out_of_memory`: picks the process with the highest badness and kills
    /// it with SIGKILL, logging as the kernel does. Returns the fault that
    /// ends the faulting process when it was the one chosen, else `None`
    /// (the fault is retried).
    pub(crate) fn out_of_memory(&mut self, pid: Pid, addr: u64) -> Option<Fault> {
        self.trace.enter("out_of_memory", "mm/oom_kill.c");
        let victim = self
            .tasks
            .keys()
            .max_by_key(|&p| (self.oom_badness(p), std::cmp::Reverse(p)))
            .unwrap_or(pid);
        let t = &self.tasks[&victim];
        let kb = |n: i64| n * (PAGE_SIZE as i64 / 1024);
        let vm_kb: u64 = t.mm.vmas.values().map(|v| (v.end - v.start) / 1024).sum();
        self.dmesg.push(format!(
            "Out of memory: Killed process {} ({}) total-vm:{}kB, anon-rss:{}kB, file-rss:{}kB, shmem-rss:{}kB",
            victim,
            t.comm,
            vm_kb,
            kb(t.mm.rss[rss::ANONPAGES]),
            kb(t.mm.rss[rss::FILEPAGES]),
            kb(t.mm.rss[rss::SHMEMPAGES]),
        ));
        self.trace.leaf("oom_kill_process", "mm/oom_kill.c");
        self.trace.leave();
        let fault = Fault {
            signal: Signal::SIGKILL,
            code: SigCode::SI_KERNEL,
            addr,
        };
        if victim == pid {
            Some(fault)
        } else {
            self.do_exit(victim, ExitStatus::Signaled(Signal::SIGKILL));
            None
        }
    }
}

/// The machine step `reclaim(N)` (kswapd's global LRU reclaim of `N`
/// pages): it returns the pages freed.
pub fn reclaim(k: &mut Kernel, a: &ShellArgs) -> ShellOut {
    ShellOut::Ret(k.reclaim(a.u64(0)) as i64)
}

/// The machine step `drop_caches(1)` (`echo 1 > /proc/sys/vm/drop_caches`,
/// `fs/drop_caches.c`): it returns 0, as the shell's `echo` does.
pub fn drop_caches(k: &mut Kernel, _: &ShellArgs) -> ShellOut {
    k.drop_caches();
    ShellOut::Ret(0)
}
