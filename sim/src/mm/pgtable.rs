//! A process's page tables, stored as the hardware stores them: one table of
//! 512 eight-byte entries per 2 MiB of address space that has any.
//!
//! Mirrors `arch/x86/include/asm/pgtable.h` and `pgtable_types.h` (x86_64):
//! a PTE is one word, `_PAGE_PRESENT` (bit 0), `_PAGE_RW` (1),
//! `_PAGE_ACCESSED` (5), `_PAGE_DIRTY` (6) and the pfn from bit 12; 0 is
//! `pte_none`. The upper levels (PGD, PUD, PMD) are one ordered map from the
//! 2 MiB region to its table: a table is allocated when its first PTE is set
//! (`__pte_alloc`) and freed when its last is cleared (the kernel frees it
//! later, in `free_pgtables`; the model sooner, so that no empty table costs
//! memory).
//!
//! ```text
//!   vpn = addr >> 12:   [ table number: vpn >> 9 | index: vpn & 511 ]
//!   tables: 0x3f000 -> [ 0, 0x1234_063, 0x1235_063, 0, ... ]   512 words
//! ```
//!
//! A swap PTE holds the whole `swp_entry_t` in the model (its type in the top
//! bits), which does not fit the hardware's not-present format; its word is
//! [`SWAP_PTE`] and the entry is kept beside the table. A process's swap
//! PTEs are a few pages at most in a class's scenarios.
//!
//! The API is the one every caller uses: [`PageTables::get`],
//! [`PageTables::insert`], [`PageTables::remove`], [`PageTables::range`]
//! (present and swap PTEs in address order), [`PageTables::iter`] and
//! [`PageTables::len`].

use crate::kernel::Pte;
use crate::mm::page::Pfn;
use crate::mm::swapops::SwpEntry;
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::collections::BTreeMap;
use std::ops::{Bound, Range};

/// `PTRS_PER_PTE`: entries in one page table (2 MiB of address space).
pub const PTRS_PER_PTE: u64 = 512;

/// `_PAGE_PRESENT`.
pub const PAGE_PRESENT: u64 = 1 << 0;
/// `_PAGE_RW`.
pub const PAGE_RW: u64 = 1 << 1;
/// `_PAGE_ACCESSED`.
pub const PAGE_ACCESSED: u64 = 1 << 5;
/// `_PAGE_DIRTY`.
pub const PAGE_DIRTY: u64 = 1 << 6;
/// `PTE_PFN_MASK`'s shift: the pfn starts at bit 12.
const PFN_SHIFT: u32 = 12;
/// The word of a swap PTE: not present, not none; the entry is kept beside.
pub const SWAP_PTE: u64 = 1 << 1;

/// One page table: `pte_t[PTRS_PER_PTE]`, with the count of entries in use.
#[derive(Clone)]
struct PteTable {
    used: u32,
    words: [u64; PTRS_PER_PTE as usize],
}

/// The page tables of one address space.
#[derive(Clone, Default)]
pub struct PageTables {
    /// 2 MiB region (`vpn >> 9`) -> its page table.
    tables: BTreeMap<u64, Box<PteTable>>,
    /// The swap entries of the swap PTEs, by virtual page number.
    swap: BTreeMap<u64, SwpEntry>,
    /// PTEs that are not none.
    len: usize,
}

/// A PTE as its hardware word (`pfn_pte` with the bits set).
fn present_word(pfn: Pfn, write: bool, dirty: bool, young: bool) -> u64 {
    let mut w = PAGE_PRESENT | (u64::from(pfn) << PFN_SHIFT);
    if write {
        w |= PAGE_RW;
    }
    if dirty {
        w |= PAGE_DIRTY;
    }
    if young {
        w |= PAGE_ACCESSED;
    }
    w
}

fn split(vpn: u64) -> (u64, usize) {
    (vpn / PTRS_PER_PTE, (vpn % PTRS_PER_PTE) as usize)
}

impl PageTables {
    /// The hardware word of the PTE of page `vpn` (0: `pte_none`).
    pub fn word(&self, vpn: u64) -> u64 {
        let (t, i) = split(vpn);
        self.tables.get(&t).map_or(0, |table| table.words[i])
    }

    fn decode(&self, vpn: u64, w: u64) -> Pte {
        if w & PAGE_PRESENT != 0 {
            Pte::Present {
                pfn: (w >> PFN_SHIFT) as Pfn,
                write: w & PAGE_RW != 0,
                dirty: w & PAGE_DIRTY != 0,
                young: w & PAGE_ACCESSED != 0,
            }
        } else {
            Pte::Swap(self.swap[&vpn])
        }
    }

    /// The PTE of page `vpn`, if not none.
    pub fn get(&self, vpn: u64) -> Option<Pte> {
        match self.word(vpn) {
            0 => None,
            w => Some(self.decode(vpn, w)),
        }
    }

    /// Sets the PTE of page `vpn` (`set_pte_at`); returns the one it replaced.
    pub fn insert(&mut self, vpn: u64, pte: Pte) -> Option<Pte> {
        let old = self.remove(vpn);
        let word = match pte {
            Pte::Present {
                pfn,
                write,
                dirty,
                young,
            } => present_word(pfn, write, dirty, young),
            Pte::Swap(e) => {
                self.swap.insert(vpn, e);
                SWAP_PTE
            }
        };
        let (t, i) = split(vpn);
        let table = self.tables.entry(t).or_insert_with(|| {
            Box::new(PteTable {
                used: 0,
                words: [0; PTRS_PER_PTE as usize],
            })
        });
        table.words[i] = word;
        table.used += 1;
        self.len += 1;
        old
    }

    /// Clears the PTE of page `vpn` (`pte_clear`); returns it.
    pub fn remove(&mut self, vpn: u64) -> Option<Pte> {
        let (t, i) = split(vpn);
        let table = self.tables.get_mut(&t)?;
        let w = std::mem::take(&mut table.words[i]);
        if w == 0 {
            return None;
        }
        table.used -= 1;
        if table.used == 0 {
            self.tables.remove(&t);
        }
        self.len -= 1;
        Some(if w & PAGE_PRESENT != 0 {
            self.decode(vpn, w)
        } else {
            Pte::Swap(self.swap.remove(&vpn).expect("a swap PTE's entry"))
        })
    }

    /// The PTEs that are not none among pages `vpns`, in order.
    pub fn range(&self, vpns: Range<u64>) -> impl Iterator<Item = (u64, Pte)> + '_ {
        let (lo, hi) = (vpns.start, vpns.end);
        let bounds = if lo < hi {
            (
                Bound::Included(lo / PTRS_PER_PTE),
                Bound::Included((hi - 1) / PTRS_PER_PTE),
            )
        } else {
            (Bound::Included(0), Bound::Excluded(0))
        };
        self.tables.range(bounds).flat_map(move |(&t, table)| {
            let base = t * PTRS_PER_PTE;
            let a = lo.max(base) - base;
            let b = hi.min(base + PTRS_PER_PTE) - base;
            (a..b).filter_map(move |i| match table.words[i as usize] {
                0 => None,
                w => Some((base + i, self.decode(base + i, w))),
            })
        })
    }

    /// Every PTE that is not none, in order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, Pte)> + '_ {
        self.range(0..u64::MAX)
    }

    /// How many PTEs are not none.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Are all PTEs none?
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Page tables allocated (each 4 KiB in the kernel and in the model).
    pub fn nr_tables(&self) -> usize {
        self.tables.len()
    }
}

impl std::fmt::Debug for PageTables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for PageTables {
    /// As a map from virtual page number to PTE, as it was when the model
    /// kept one map entry per PTE.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.len))?;
        for (vpn, pte) in self.iter() {
            m.serialize_entry(&vpn, &pte)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn pte(n: u8) -> Pte {
        match n % 5 {
            4 => Pte::Swap(SwpEntry {
                val: u64::MAX - u64::from(n),
            }),
            b => Pte::Present {
                pfn: u32::MAX - u32::from(n),
                write: b & 1 != 0,
                dirty: b & 2 != 0,
                young: n & 8 != 0,
            },
        }
    }

    proptest! {
        /// The tables hold exactly what one map entry per PTE held.
        #[test]
        fn page_tables_agree_with_a_map(ops in prop::collection::vec((0u64..3000, any::<u8>(), any::<bool>()), 0..300), lo in 0u64..3000, n in 0u64..1500) {
            let (mut t, mut m) = (PageTables::default(), BTreeMap::new());
            for (vpn, v, set) in ops {
                if set {
                    prop_assert_eq!(t.insert(vpn, pte(v)), m.insert(vpn, pte(v)));
                } else {
                    prop_assert_eq!(t.remove(vpn), m.remove(&vpn));
                }
                prop_assert_eq!(t.get(vpn), m.get(&vpn).copied());
                prop_assert_eq!(t.len(), m.len());
            }
            let want: Vec<(u64, Pte)> = m.range(lo..lo + n).map(|(&k, &v)| (k, v)).collect();
            prop_assert_eq!(t.range(lo..lo + n).collect::<Vec<_>>(), want);
            prop_assert_eq!(t.iter().count(), m.len());
            prop_assert_eq!(t.nr_tables(), m.keys().map(|v| v / PTRS_PER_PTE).collect::<std::collections::BTreeSet<_>>().len());
            prop_assert_eq!(serde_json::to_string(&t).unwrap(), serde_json::to_string(&m).unwrap());
        }
    }

    #[test]
    fn a_present_pte_is_the_x86_word() {
        let mut t = PageTables::default();
        t.insert(
            513,
            Pte::Present {
                pfn: 0x1234,
                write: true,
                dirty: true,
                young: true,
            },
        );
        assert_eq!(t.word(513), 0x0123_4063);
        assert_eq!((t.word(512), t.nr_tables()), (0, 1));
        t.remove(513);
        assert_eq!((t.nr_tables(), t.len()), (0, 0), "an empty table is freed");
        assert_eq!(t.range(5..5).count(), 0);
    }
}
