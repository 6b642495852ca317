//! The swap areas' `swap_map`s and the swap cache.
//!
//! Mirrors `struct swap_info_struct` (`include/linux/swap.h`, `mm/swapfile.c`:
//! `swap_map[offset]` holds the references to a slot, with `SWAP_HAS_CACHE`
//! = 0x40 while a page for it sits in the swap cache) and `swapper_spaces`
//! (`mm/swap_state.c`: swap entry -> page). Only used slots are visited:
//! those holding data and those of swap-cache pages.

use crate::kernel::Kernel;
use crate::mm::page::Pfn;
use crate::mm::swapfile::{SwapInfo, SWAP_HAS_CACHE};
use crate::mm::swapops::SwpEntry;
use serde::Serialize;
use std::collections::BTreeSet;

/// `count` used slots from `offset` on with the same `swap_map` byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SlotRun {
    /// The first offset.
    pub offset: u64,
    /// Slots in the run.
    pub count: u64,
    /// The raw `swap_map` byte.
    pub map: u8,
    /// References other than the swap cache (`swap_count`: `map & ~SWAP_HAS_CACHE`).
    pub refs: u8,
    /// `SWAP_HAS_CACHE`: a page for the slot is in the swap cache.
    pub has_cache: bool,
}

/// One swap area.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AreaView {
    /// Its type (index in `swap_info[]`).
    pub type_: u32,
    /// The swap file.
    pub path: String,
    /// Usable pages (without the header page).
    pub pages: u64,
    /// `inuse_pages`.
    pub inuse: u64,
    /// `SWP_WRITEOK`: on.
    pub writeok: bool,
    /// The used slots, folded.
    pub used: Vec<SlotRun>,
}

/// `count` swap-cache entries from (`type_`, `offset`) on, pfns from `pfn` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CacheRun {
    /// `swp_type`.
    pub type_: u32,
    /// The first `swp_offset`.
    pub offset: u64,
    /// The first entry's page.
    pub pfn: Pfn,
    /// Entries in the run (offsets and pfns both count up).
    pub count: u64,
}

/// Swap: the areas and the swap cache.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SwapView {
    /// By type.
    pub areas: Vec<AreaView>,
    /// The swap cache by entry, folded.
    pub cache: Vec<CacheRun>,
}

impl SwapView {
    /// The view of `k`'s swap.
    pub fn of(k: &Kernel) -> SwapView {
        let enc = k.cfg.encoding;
        let entries = k.swap_cache.iter().map(|(&val, &pfn)| {
            let e = SwpEntry { val };
            (enc.swp_type(e), enc.swp_offset(e), pfn)
        });
        let cache = super::fold(entries, |a, n, b| {
            b.0 == a.0 && b.1 == a.1 + n && b.2 as u64 == a.2 as u64 + n
        })
        .into_iter()
        .map(|((type_, offset, pfn), count)| CacheRun {
            type_,
            offset,
            pfn,
            count,
        })
        .collect();
        SwapView {
            areas: k.swap.iter().map(|si| area_view(k, si)).collect(),
            cache,
        }
    }

    /// Rows a picture needs.
    pub fn rows(&self) -> usize {
        self.cache.len() + self.areas.iter().map(|a| 1 + a.used.len()).sum::<usize>()
    }
}

/// The used offsets of area `si`, in order (`swap_map[o] != 0`).
pub fn used_offsets(k: &Kernel, si: &SwapInfo) -> Vec<u64> {
    let enc = k.cfg.encoding;
    let mut cand: BTreeSet<u64> = si.slots.keys().copied().collect();
    cand.extend(
        k.swap_cache
            .keys()
            .map(|&val| SwpEntry { val })
            .filter(|&e| enc.swp_type(e) == si.type_)
            .map(|e| enc.swp_offset(e)),
    );
    let used: Vec<u64> = cand
        .into_iter()
        .filter(|&o| si.swap_map.get(o as usize).is_some_and(|&c| c != 0))
        .collect();
    if used.len() as u64 == si.inuse_pages {
        return used;
    }
    // A slot referenced but neither written nor cached: look at every slot.
    (0..si.swap_map.len() as u64)
        .filter(|&o| si.swap_map[o as usize] != 0)
        .collect()
}

fn area_view(k: &Kernel, si: &SwapInfo) -> AreaView {
    let slots = used_offsets(k, si)
        .into_iter()
        .map(|o| (o, si.swap_map[o as usize]));
    let used = super::fold(slots, |a, n, b| b.0 == a.0 + n && b.1 == a.1)
        .into_iter()
        .map(|((offset, map), count)| SlotRun {
            offset,
            count,
            map,
            refs: map & !SWAP_HAS_CACHE,
            has_cache: map & SWAP_HAS_CACHE != 0,
        })
        .collect();
    AreaView {
        type_: si.type_,
        path: si.path.clone(),
        pages: si.pages(),
        inuse: si.inuse_pages,
        writeok: si.writeok,
        used,
    }
}
