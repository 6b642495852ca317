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

use crate::errno::{Errno, SysResult};
use crate::kernel::{Kernel, Pid, Pte};
use crate::mm::filemap::CacheEntry;
use crate::mm::page::{pg, PageData, Pfn, PAGE_SIZE};
use crate::mm::swapops::SwpEntry;
use crate::trace::{Counter, Touch};
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
    /// `SWP_WRITEOK`: the area is on and takes new pages (off after `swapoff`).
    pub writeok: bool,
    /// `lowest_bit`: no slot below it is free, so `get_swap_page` starts
    /// its search there instead of at offset 1 (`scan_swap_map_slots`).
    #[serde(skip)]
    pub lowest_bit: usize,
}

impl SwapInfo {
    /// Usable pages (`max - 1`: the header is not swap space).
    pub fn pages(&self) -> u64 {
        self.max.saturating_sub(1)
    }
}

impl Kernel {
    /// `swapon(2)`: adds a swap area of `bytes` at the lowest free type
    /// (`alloc_swap_info`); slot 0 holds the header. `EBUSY` if `path` is
    /// already on, `EINVAL` for an area of less than two pages, `EPERM`
    /// if there are `MAX_SWAPFILES` areas.
    pub fn swapon(&mut self, path: &str, bytes: u64) -> SysResult<u32> {
        self.tick();
        self.trace.leaf("sys_swapon", "mm/swapfile.c");
        let max = bytes / PAGE_SIZE;
        if max < 2 {
            return Err(Errno::EINVAL);
        }
        if self.swap.iter().any(|s| s.writeok && s.path == path) {
            return Err(Errno::EBUSY);
        }
        let type_ = match self.swap.iter().position(|s| !s.writeok) {
            Some(t) => t,
            None if self.swap.len() as u32 >= crate::mm::swapops::MAX_SWAPFILES => {
                return Err(Errno::EPERM)
            }
            None => {
                self.swap.push(SwapInfo {
                    type_: self.swap.len() as u32,
                    path: String::new(),
                    max: 0,
                    swap_map: Vec::new(),
                    inuse_pages: 0,
                    slots: BTreeMap::new(),
                    writeok: false,
                    lowest_bit: 1,
                });
                self.swap.len() - 1
            }
        };
        let max = max.min(self.cfg.encoding.max_swp_offset() + 1);
        self.swap[type_] = SwapInfo {
            type_: type_ as u32,
            path: path.to_string(),
            max,
            swap_map: vec![0; max as usize],
            inuse_pages: 0,
            slots: BTreeMap::new(),
            writeok: true,
            lowest_bit: 1,
        };
        Ok(type_ as u32)
    }

    /// `swapoff(2)`: brings every page of the area back into memory
    /// (`try_to_unuse`: `shmem_unuse` for shmem slots, `unuse_mm` for swap
    /// PTEs, then the swap cache), and turns the area off. `ENOMEM` when a
    /// page cannot be brought in (the area stays on, as the kernel reinserts
    /// it); `EINVAL` for a path that is not on.
    pub fn swapoff(&mut self, path: &str) -> SysResult<i32> {
        self.tick();
        self.traced("sys_swapoff", "mm/swapfile.c", |k| k.do_swapoff(path))
    }

    fn do_swapoff(&mut self, path: &str) -> SysResult<i32> {
        let type_ = self
            .swap
            .iter()
            .position(|s| s.writeok && s.path == path)
            .ok_or(Errno::EINVAL)?;
        // No new pages go there meanwhile.
        self.swap[type_].writeok = false;
        // try_to_unuse goes round until the area is empty: reclaim running
        // inside its allocations can put swap entries back into page tables
        // (a page still in the swap cache needs no new slot).
        let mut before = u64::MAX;
        while self.swap[type_].inuse_pages > 0 {
            let r = self.try_to_unuse(type_ as u32);
            let now = self.swap[type_].inuse_pages;
            if r.is_err() || now >= before {
                self.swap[type_].writeok = true;
                return Err(Errno::ENOMEM);
            }
            before = now;
        }
        let si = &mut self.swap[type_];
        assert_eq!(
            si.inuse_pages, 0,
            "invariant: try_to_unuse emptied the area"
        );
        si.path.clear();
        si.max = 0;
        si.swap_map.clear();
        Ok(0)
    }

    /// `try_to_unuse`: every reference to a slot of area `type_` is replaced
    /// by the page itself.
    fn try_to_unuse(&mut self, type_: u32) -> SysResult<()> {
        self.trace.enter("try_to_unuse", "mm/swapfile.c");
        let enc = self.cfg.encoding;
        let r = (|| {
            // shmem_unuse: exceptional entries in shmem page caches.
            let mut shmem = Vec::new();
            for (ino, inode) in self.inodes.iter() {
                for (index, e) in inode.mapping.i_pages.iter() {
                    if let CacheEntry::Swap(e) = e {
                        if enc.swp_type(e) == type_ {
                            shmem.push((ino, index, e));
                        }
                    }
                }
            }
            if !shmem.is_empty() {
                self.trace.leaf("shmem_unuse", "mm/shmem.c");
            }
            for (ino, index, e) in shmem {
                self.shmem_unuse_one(ino, index, e)?;
            }
            // unuse_mm: swap PTEs of every process.
            let mut ptes = Vec::new();
            for (pid, task) in self.tasks.iter() {
                for (vpn, pte) in task.mm.ptes.iter() {
                    if let Pte::Swap(e) = pte {
                        if enc.swp_type(e) == type_ {
                            ptes.push((pid, vpn * PAGE_SIZE, e));
                        }
                    }
                }
            }
            if !ptes.is_empty() {
                self.trace.leaf("unuse_pte", "mm/swapfile.c");
            }
            for (pid, addr, e) in ptes {
                self.unuse_pte(pid, addr, e)?;
            }
            // What is left in the swap cache now lives only in RAM.
            let cached: Vec<Pfn> = self
                .swap_cache
                .iter()
                .filter(|(&val, _)| enc.swp_type(SwpEntry { val }) == type_)
                .map(|(_, &pfn)| pfn)
                .collect();
            for pfn in cached {
                self.mem.page_mut(pfn).set(pg::DIRTY);
                self.delete_from_swap_cache(pfn);
            }
            Ok(())
        })();
        self.trace.leave();
        r
    }

    /// One PTE of `unuse_mm`: the page (from the swap cache, or read in)
    /// is mapped in place of its swap entry (`unuse_pte`).
    fn unuse_pte(&mut self, pid: Pid, addr: u64, entry: SwpEntry) -> SysResult<()> {
        let (pfn, _) = self.swapin(entry).ok_or(Errno::ENOMEM)?;
        let vma = self.tasks[&pid]
            .mm
            .vma_at(addr)
            .cloned()
            .expect("a swap PTE lies in a VMA");
        let anon_vma = vma.anon_vma.expect("a VMA with swap PTEs has an anon_vma");
        let mm = &mut self.tasks.get_mut(&pid).expect("live").mm;
        mm.rss[crate::kernel::rss::SWAPENTS] -= 1;
        mm.rss[crate::kernel::rss::ANONPAGES] += 1;
        self.trace.touch(Touch::Pte {
            pid,
            vpn: addr / PAGE_SIZE,
        });
        mm.ptes.insert(
            addr / PAGE_SIZE,
            Pte::Present {
                pfn,
                write: false,
                dirty: false,
                young: false,
            },
        );
        self.page_add_anon_rmap(pfn, anon_vma, vma.linear_page_index(addr));
        self.swap_free(entry);
        Ok(())
    }

    /// Total swap pages of the areas that are on (`total_swap_pages`).
    pub fn total_swap_pages(&self) -> u64 {
        self.swap
            .iter()
            .filter(|s| s.writeok)
            .map(SwapInfo::pages)
            .sum()
    }

    /// Free swap pages (`nr_swap_pages`).
    pub fn nr_swap_pages(&self) -> u64 {
        self.swap
            .iter()
            .filter(|s| s.writeok)
            .map(|s| s.pages() - s.inuse_pages)
            .sum()
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
        for si in self.swap.iter_mut().filter(|s| s.writeok) {
            let from = si.lowest_bit.max(1);
            if let Some(off) = (from..si.max as usize).find(|&o| si.swap_map[o] == 0) {
                si.swap_map[off] = SWAP_HAS_CACHE;
                si.lowest_bit = off + 1;
                si.inuse_pages += 1;
                self.trace.touch(Touch::Counter(Counter::SwapSlots));
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
            si.lowest_bit = si.lowest_bit.min(off);
            si.inuse_pages -= 1;
            si.slots.remove(&(off as u64));
            self.trace.touch(Touch::Counter(Counter::SwapSlots));
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
                // SetPageDirty first: the delete may free the frame.
                self.mem.page_mut(pfn).set(pg::DIRTY);
                self.delete_from_swap_cache(pfn);
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
        let entry = SwpEntry {
            val: self.mem.private(pfn),
        };
        if self.swap_count(entry) != 0 {
            return false;
        }
        self.trace.leaf("try_to_free_swap", "mm/swapfile.c");
        // SetPageDirty first: the delete may free the frame.
        self.mem.page_mut(pfn).set(pg::DIRTY);
        self.delete_from_swap_cache(pfn);
        true
    }

    /// Writes a page's contents to its slot (`swap_writepage`; completes at once).
    pub(crate) fn swap_writepage(&mut self, pfn: Pfn, entry: SwpEntry) {
        self.trace.leaf("swap_writepage", "mm/page_io.c");
        let data = self.mem.data(pfn);
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
