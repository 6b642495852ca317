//! The swap cache: pages indexed by their swap entry.
//!
//! Mirrors `mm/swap_state.c` (4.14): `add_to_swap_cache`,
//! `delete_from_swap_cache`, `lookup_swap_cache`, `read_swap_cache_async`.
//! A page is in the swap cache while it has both a copy in RAM and a slot in
//! swap: on its way out (written, not yet freed) or on its way back in (read,
//! still matching the slot). Such pages count in `NR_FILE_PAGES` and show as
//! `SwapCached` in `/proc/meminfo`.

use crate::kernel::Kernel;
use crate::mm::page::{pg, Pfn};
use crate::mm::swapops::SwpEntry;
use crate::trace::Counter;

impl Kernel {
    /// `add_to_swap_cache`: the swap cache takes a reference to the page.
    pub(crate) fn add_to_swap_cache(&mut self, pfn: Pfn, entry: SwpEntry) {
        self.trace.leaf("add_to_swap_cache", "mm/swap_state.c");
        let old = self.swap_cache.insert(entry.val, pfn);
        assert!(old.is_none(), "invariant: one page per swap-cache entry");
        let page = self.mem.page_mut(pfn);
        page.refcount += 1;
        page.set(pg::SWAPCACHE | pg::SWAPBACKED);
        self.mem.set_private(pfn, entry.val);
        self.mod_node_page_state(Counter::FilePages, 1);
        self.mod_node_page_state(Counter::SwapCache, 1);
    }

    /// Takes a page out of the swap cache without dropping the reference
    /// (`__delete_from_swap_cache`), and releases the slot's cache flag.
    pub(crate) fn delete_from_swap_cache_keep(&mut self, pfn: Pfn) {
        self.trace
            .leaf("__delete_from_swap_cache", "mm/swap_state.c");
        let page = self.mem.page_mut(pfn);
        assert!(
            page.test(pg::SWAPCACHE),
            "invariant: page is in the swap cache (pfn {pfn})"
        );
        page.clear(pg::SWAPCACHE);
        let entry = SwpEntry {
            val: self.mem.private(pfn),
        };
        self.mem.set_private(pfn, 0);
        self.swap_cache.remove(&entry.val);
        self.mod_node_page_state(Counter::FilePages, -1);
        self.mod_node_page_state(Counter::SwapCache, -1);
        self.swapcache_free(entry);
    }

    /// `delete_from_swap_cache`: out of the swap cache, and its reference dropped.
    pub(crate) fn delete_from_swap_cache(&mut self, pfn: Pfn) {
        self.delete_from_swap_cache_keep(pfn);
        self.put_page(pfn);
    }

    /// `lookup_swap_cache`.
    pub fn lookup_swap_cache(&self, entry: SwpEntry) -> Option<Pfn> {
        self.swap_cache.get(&entry.val).copied()
    }

    /// The page for a swap entry, with one reference held by the swap cache:
    /// found in the swap cache (minor), or allocated, read from the slot and
    /// added to the swap cache (`read_swap_cache_async`, major). `None` when
    /// no frame can be had.
    pub(crate) fn swapin(&mut self, entry: SwpEntry) -> Option<(Pfn, bool)> {
        self.trace.leaf("lookup_swap_cache", "mm/swap_state.c");
        if let Some(pfn) = self.lookup_swap_cache(entry) {
            self.mark_page_accessed(pfn);
            return Some((pfn, false));
        }
        self.trace.enter("read_swap_cache_async", "mm/swap_state.c");
        let r = self.alloc_page().map(|pfn| {
            self.swapcache_prepare(entry);
            self.add_to_swap_cache(pfn, entry);
            self.mem.page_mut(pfn).refcount -= 1; // the allocation's reference is handed over
            let data = self.swap_readpage(entry);
            self.mem.set_data(pfn, data);
            self.mem.page_mut(pfn).set(pg::UPTODATE);
            self.lru_cache_add(pfn);
            (pfn, true)
        });
        self.trace.leave();
        r
    }
}
