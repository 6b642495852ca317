//! Swap areas: where swapped-out pages are kept.
//!
//! Mirrors `mm/swapfile.c` (4.14): `struct swap_info_struct` with its
//! `swap_map` of use counts, `get_swap_page`, `swap_duplicate`, `swap_free`,
//! `free_swap_and_cache`, `page_swapcount`, `try_to_free_swap`.
//!
//! ```text
//!   swap_map[offset]:   0     free
//!                       n     n references: swap PTEs and shmem slots
//!                     | 0x40  SWAP_HAS_CACHE: the page is also in the swap cache
//!   offset 0 is the swap header and never handed out.
//! ```
//!
//! Writes to swap complete at once in the model (the kernel's writeback
//! finishes a moment later; nothing a process can observe differs), and
//! slots are handed out lowest offset first, so runs are deterministic.

use crate::kernel::Kernel;
use crate::mm::page::{pg, PageData, Pfn, PAGE_SIZE};
use crate::mm::swapops::SwpEntry;
use serde::Serialize;
use std::collections::BTreeMap;

/// `SWAP_HAS_CACHE`: the slot's page is in the swap cache.
pub const SWAP_HAS_CACHE: u8 = 0x40;
/// `SWAP_MAP_MAX`: the largest count a `swap_map` byte holds before continuation pages.
pub const SWAP_MAP_MAX: u8 = 0x3e;

/// A swap area (`struct swap_info_struct`).
#[derive(Clone, Debug, Serialize)]
pub struct SwapInfo {
    /// `type`: its index in `swap_info[]`, the type field of its entries.
    pub type_: u32,
    /// The file it lives in (for `/proc/swaps`).
    pub path: String,
    /// `max`: pages, including the header page at offset 0.
    pub max: u64,
    /// `swap_map`: use counts per slot.
    pub swap_map: Vec<u8>,
    /// `inuse_pages`.
    pub inuse_pages: u64,
    /// The contents written to each used slot.
    #[serde(skip)]
    pub slots: BTreeMap<u64, PageData>,
}

impl SwapInfo {
    /// Usable pages (`max - 1`: the header is not swap space).
    pub fn pages(&self) -> u64 {
        self.max - 1
    }
}

impl Kernel {
    /// `swapon`: adds a swap area of `bytes` (the first gets type 0).
    pub fn swapon(&mut self, path: &str, bytes: u64) -> u32 {
        let max = (bytes / PAGE_SIZE).max(2);
        let type_ = self.swap.len() as u32;
        self.swap.push(SwapInfo {
            type_,
            path: path.to_string(),
            max,
            swap_map: vec![0; max as usize],
            inuse_pages: 0,
            slots: BTreeMap::new(),
        });
        type_
    }

    /// Total swap pages (`total_swap_pages`).
    pub fn total_swap_pages(&self) -> u64 {
        self.swap.iter().map(SwapInfo::pages).sum()
    }

    /// Free swap pages (`nr_swap_pages`).
    pub fn nr_swap_pages(&self) -> u64 {
        self.swap.iter().map(|s| s.pages() - s.inuse_pages).sum()
    }

    /// `vm_swap_full`: more than half of swap is in use.
    pub fn vm_swap_full(&self) -> bool {
        self.nr_swap_pages() * 2 < self.total_swap_pages()
    }

    fn swap_slot(&mut self, entry: SwpEntry) -> (&mut SwapInfo, usize) {
        let enc = self.cfg.encoding;
        let (t, off) = (enc.swp_type(entry), enc.swp_offset(entry));
        let si = self
            .swap
            .get_mut(t as usize)
            .expect("invariant: a swap entry names a swap area");
        assert!(
            off > 0 && off < si.max,
            "invariant: swap offset {off} inside area {t}"
        );
        (si, off as usize)
    }

    /// `get_swap_page`: a free slot, marked `SWAP_HAS_CACHE` for the page
    /// about to enter the swap cache. `None` when swap is full or absent.
    pub(crate) fn get_swap_page(&mut self) -> Option<SwpEntry> {
        self.trace.leaf("get_swap_page", "mm/swapfile.c");
        let enc = self.cfg.encoding;
        for si in &mut self.swap {
            if let Some(off) = (1..si.max as usize).find(|&o| si.swap_map[o] == 0) {
                si.swap_map[off] = SWAP_HAS_CACHE;
                si.inuse_pages += 1;
                return Some(
                    enc.swp_entry(si.type_, off as u64)
                        .expect("offset fits the era"),
                );
            }
        }
        None
    }

    /// References to a slot other than the swap cache (`__swap_count`).
    pub fn swap_count(&self, entry: SwpEntry) -> u64 {
        let enc = self.cfg.encoding;
        let si = &self.swap[enc.swp_type(entry) as usize];
        (si.swap_map[enc.swp_offset(entry) as usize] & !SWAP_HAS_CACHE) as u64
    }

    /// `swap_duplicate`: one more reference (a swap PTE copied at fork, a
    /// PTE or shmem slot given the entry at swap-out).
    pub(crate) fn swap_duplicate(&mut self, entry: SwpEntry) {
        let (si, off) = self.swap_slot(entry);
        assert!(
            si.swap_map[off] != 0,
            "invariant: swap_duplicate of a free slot"
        );
        assert!(
            si.swap_map[off] & !SWAP_HAS_CACHE < SWAP_MAP_MAX,
            "swap count overflow (no continuation pages)"
        );
        si.swap_map[off] += 1;
    }

    /// Frees the slot once nothing refers to it (`swap_entry_free`).
    fn swap_entry_maybe_free(&mut self, entry: SwpEntry) {
        let (si, off) = self.swap_slot(entry);
        if si.swap_map[off] == 0 {
            si.inuse_pages -= 1;
            si.slots.remove(&(off as u64));
        }
    }

    /// `swap_free`: one reference fewer.
    pub(crate) fn swap_free(&mut self, entry: SwpEntry) {
        self.trace.leaf("swap_free", "mm/swapfile.c");
        let (si, off) = self.swap_slot(entry);
        assert!(
            si.swap_map[off] & !SWAP_HAS_CACHE > 0,
            "invariant: swap_free of an unreferenced slot"
        );
        si.swap_map[off] -= 1;
        self.swap_entry_maybe_free(entry);
    }

    /// `swapcache_prepare`: marks a referenced slot `SWAP_HAS_CACHE` before
    /// its page is read into the swap cache.
    pub(crate) fn swapcache_prepare(&mut self, entry: SwpEntry) {
        let (si, off) = self.swap_slot(entry);
        assert!(
            si.swap_map[off] != 0 && si.swap_map[off] & SWAP_HAS_CACHE == 0,
            "invariant: swapcache_prepare of a referenced, uncached slot"
        );
        si.swap_map[off] |= SWAP_HAS_CACHE;
    }

    /// `swapcache_free`: the swap cache lets go of the slot.
    pub(crate) fn swapcache_free(&mut self, entry: SwpEntry) {
        let (si, off) = self.swap_slot(entry);
        assert!(
            si.swap_map[off] & SWAP_HAS_CACHE != 0,
            "invariant: swapcache_free of a slot not cached"
        );
        si.swap_map[off] &= !SWAP_HAS_CACHE;
        self.swap_entry_maybe_free(entry);
    }

    /// `free_swap_and_cache`: drops a reference; if only the swap cache still
    /// holds the slot and its page is unmapped (or swap is getting full), the
    /// page leaves the swap cache too.
    pub(crate) fn free_swap_and_cache(&mut self, entry: SwpEntry) {
        self.trace.enter("free_swap_and_cache", "mm/swapfile.c");
        self.swap_free(entry);
        let cached = self.swap_cache.get(&entry.val).copied();
        if let Some(pfn) = cached {
            if self.swap_count(entry) == 0
                && (self.mem.page(pfn).mapcount == 0 || self.vm_swap_full())
            {
                self.delete_from_swap_cache(pfn);
                self.mem.page_mut(pfn).set(pg::DIRTY);
            }
        }
        self.trace.leave();
    }

    /// `try_to_free_swap`: a page in the swap cache whose slot nothing else
    /// refers to leaves the swap cache (and is dirty again: its only copy is
    /// now in RAM).
    pub(crate) fn try_to_free_swap(&mut self, pfn: Pfn) -> bool {
        let page = self.mem.page(pfn);
        if !page.test(pg::SWAPCACHE) || page.test(pg::WRITEBACK) {
            return false;
        }
        let entry = SwpEntry { val: page.private };
        if self.swap_count(entry) != 0 {
            return false;
        }
        self.trace.leaf("try_to_free_swap", "mm/swapfile.c");
        self.delete_from_swap_cache(pfn);
        self.mem.page_mut(pfn).set(pg::DIRTY);
        true
    }

    /// Writes a page's contents to its slot (`swap_writepage`; completes at once).
    pub(crate) fn swap_writepage(&mut self, pfn: Pfn, entry: SwpEntry) {
        self.trace.leaf("swap_writepage", "mm/page_io.c");
        let data = self.mem.page(pfn).data.clone();
        let (si, off) = self.swap_slot(entry);
        si.slots.insert(off as u64, data);
        self.vmstat.pswpout += 1;
    }

    /// Reads a slot's contents (`swap_readpage`).
    pub(crate) fn swap_readpage(&mut self, entry: SwpEntry) -> PageData {
        self.trace.leaf("swap_readpage", "mm/page_io.c");
        self.vmstat.pswpin += 1;
        let (si, off) = self.swap_slot(entry);
        si.slots.get(&(off as u64)).cloned().unwrap_or_default()
    }
}
