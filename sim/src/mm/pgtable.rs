//! A process's page tables, stored as the hardware stores them: x86_64's
//! four levels (PGD, PUD, PMD, PTE table), each a 4 KiB table of 512
//! eight-byte entries, walked by nine bits of the virtual page number each.
//!
//! Mirrors `arch/x86/include/asm/pgtable.h` and `pgtable_types.h` (x86_64):
//! a PTE is one word, `_PAGE_PRESENT` (bit 0), `_PAGE_RW` (1),
//! `_PAGE_ACCESSED` (5), `_PAGE_DIRTY` (6) and the pfn from bit 12; 0 is
//! `pte_none`. A table is allocated when its first entry is set
//! (`__pte_alloc`, `__pmd_alloc`, `__pud_alloc`) and freed when its last is
//! cleared (the kernel frees them later, in `free_pgtables`; the model
//! sooner, so that no empty table costs memory). A lookup is four indexed
//! loads, as the MMU's page walk is (`pgd_offset`, `pud_offset`,
//! `pmd_offset`, `pte_offset_map`).
//!
//! ```text
//!   vpn = addr >> 12 (36 bits): [ pgd: 9 | pud: 9 | pmd: 9 | pte: 9 ]
//!   pgd[0] -> pud[0] -> pmd[0x1f8] -> [ 0, 0x1234_063, 0x1235_063, 0, ... ]
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
use std::ops::Range;

/// `PTRS_PER_PTE`: entries in one page table (2 MiB of address space).
pub const PTRS_PER_PTE: u64 = 512;
/// Entries in each upper level (`PTRS_PER_PMD`, `PTRS_PER_PUD`,
/// `PTRS_PER_PGD` on x86_64 with four levels).
const PTRS: usize = 512;
/// Bits of the virtual page number each level takes.
const LEVEL_BITS: u32 = 9;
/// Virtual page numbers the four levels map: 2^36 pages, 256 TiB, above
/// `TASK_SIZE` (128 TiB) as on x86_64.
const VPN_LIMIT: u64 = 1 << (4 * LEVEL_BITS);

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
///
/// A table whose PTEs in use map consecutive frames with the same bits, one
/// after the other (what faulting a fresh mapping in page by page makes: the
/// allocator hands out frames in order), is kept as that run: the words it
/// stands for are the words of the array, and the first change that breaks
/// the run writes the array out. Every read goes through [`PteTable::word`].
#[derive(Clone)]
enum PteTable {
    /// Entries `start .. start + n` hold `first + ((i - start) << PFN_SHIFT)`;
    /// the others are none.
    Run { start: u16, n: u16, first: u64 },
    /// Any words: `pte_t[PTRS_PER_PTE]` and the entries in use.
    Words {
        used: u32,
        words: Box<[u64; PTRS_PER_PTE as usize]>,
    },
}

impl PteTable {
    /// An empty table (`pte_alloc`).
    fn new() -> Box<PteTable> {
        Box::new(PteTable::Run {
            start: 0,
            n: 0,
            first: 0,
        })
    }

    /// The word of entry `i`.
    #[inline]
    fn word(&self, i: usize) -> u64 {
        match *self {
            PteTable::Run { start, n, first } => {
                let k = (i as u64).wrapping_sub(u64::from(start));
                if k < u64::from(n) {
                    first + (k << PFN_SHIFT)
                } else {
                    0
                }
            }
            PteTable::Words { ref words, .. } => words[i],
        }
    }

    /// Entries in use.
    fn used(&self) -> u32 {
        match *self {
            PteTable::Run { n, .. } => u32::from(n),
            PteTable::Words { used, .. } => used,
        }
    }

    /// The table as the array it stands for.
    fn words_mut(&mut self) -> (&mut u32, &mut [u64; PTRS_PER_PTE as usize]) {
        if let PteTable::Run { .. } = self {
            let mut words = Box::new([0; PTRS_PER_PTE as usize]);
            for (i, w) in words.iter_mut().enumerate() {
                *w = self.word(i);
            }
            *self = PteTable::Words {
                used: self.used(),
                words,
            };
        }
        match self {
            PteTable::Words { used, words } => (used, words),
            PteTable::Run { .. } => unreachable!("written out above"),
        }
    }

    /// Sets none entry `i` to the non-zero `w`.
    fn set(&mut self, i: usize, w: u64) {
        if let PteTable::Run { start, n, first } = self {
            let present = w & PAGE_PRESENT != 0;
            if *n == 0 && present {
                (*start, *n, *first) = (i as u16, 1, w);
                return;
            }
            let next = usize::from(*start) + usize::from(*n);
            if present && i == next && w == *first + (u64::from(*n) << PFN_SHIFT) {
                *n += 1;
                return;
            }
        }
        let (used, words) = self.words_mut();
        words[i] = w;
        *used += 1;
    }

    /// Clears entry `i`; returns its word (0 if it was none).
    fn take(&mut self, i: usize) -> u64 {
        let w = self.word(i);
        if w == 0 {
            return 0;
        }
        if let PteTable::Run { start, n, first } = self {
            if i == usize::from(*start) + usize::from(*n) - 1 {
                *n -= 1;
                return w;
            }
            if i == usize::from(*start) {
                (*start, *n, *first) = (*start + 1, *n - 1, *first + (1 << PFN_SHIFT));
                return w;
            }
        }
        let (used, words) = self.words_mut();
        words[i] = 0;
        *used -= 1;
        w
    }
}

/// One upper-level table (`pmd_t[512]`, `pud_t[512]`, `pgd_t[512]`): 512
/// entries, each none or the table below, with the count in use.
#[derive(Clone)]
struct Upper<T> {
    used: u32,
    entries: [Option<Box<T>>; PTRS],
}

impl<T> Upper<T> {
    fn new() -> Box<Upper<T>> {
        Box::new(Upper {
            used: 0,
            entries: [const { None }; PTRS],
        })
    }

    /// The table below entry `i`, allocated if none (`__pmd_alloc` ...).
    fn alloc(&mut self, i: usize, new: impl FnOnce() -> Box<T>) -> (&mut T, bool) {
        let fresh = self.entries[i].is_none();
        if fresh {
            self.used += 1;
        }
        (self.entries[i].get_or_insert_with(new), fresh)
    }

    /// Frees the table below entry `i` (`pmd_free` ...).
    fn free(&mut self, i: usize) {
        if self.entries[i].take().is_some() {
            self.used -= 1;
        }
    }

    /// The present entries among `lo..=hi`, in order.
    fn present(&self, lo: usize, hi: usize) -> impl Iterator<Item = (usize, &T)> + '_ {
        self.entries[lo..=hi]
            .iter()
            .enumerate()
            .filter_map(move |(i, e)| e.as_deref().map(|t| (lo + i, t)))
    }
}

type Pmd = Upper<PteTable>;
type Pud = Upper<Pmd>;
type Pgd = Upper<Pud>;

/// The page tables of one address space.
#[derive(Clone, Default)]
pub struct PageTables {
    /// The top level (`mm->pgd`), allocated with the first PTE.
    pgd: Option<Box<Pgd>>,
    /// The swap entries of the swap PTEs, by virtual page number.
    swap: BTreeMap<u64, SwpEntry>,
    /// PTEs that are not none.
    len: usize,
    /// PTE tables allocated.
    nr_tables: usize,
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

/// The present PTE a hardware word with `_PAGE_PRESENT` stands for.
fn decode_present(w: u64) -> Pte {
    Pte::Present {
        pfn: (w >> PFN_SHIFT) as Pfn,
        write: w & PAGE_RW != 0,
        dirty: w & PAGE_DIRTY != 0,
        young: w & PAGE_ACCESSED != 0,
    }
}

/// The index of `vpn` at each level: PGD, PUD, PMD, PTE (`pgd_index` ...).
fn split(vpn: u64) -> [usize; 4] {
    let at = |level: u32| ((vpn >> (level * LEVEL_BITS)) as usize) & (PTRS - 1);
    [at(3), at(2), at(1), at(0)]
}

impl PageTables {
    /// The PTE table of `vpn`, if allocated: the page walk.
    fn table(&self, vpn: u64) -> Option<(&PteTable, usize)> {
        if vpn >= VPN_LIMIT {
            return None;
        }
        let [g, u, m, i] = split(vpn);
        let pud = self.pgd.as_deref()?.entries[g].as_deref()?;
        let pmd = pud.entries[u].as_deref()?;
        Some((pmd.entries[m].as_deref()?, i))
    }

    /// The hardware word of the PTE of page `vpn` (0: `pte_none`).
    pub fn word(&self, vpn: u64) -> u64 {
        self.table(vpn).map_or(0, |(t, i)| t.word(i))
    }

    fn decode(&self, vpn: u64, w: u64) -> Pte {
        if w & PAGE_PRESENT != 0 {
            decode_present(w)
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
    /// One walk, allocating the tables on the way (`pte_alloc`).
    pub fn insert(&mut self, vpn: u64, pte: Pte) -> Option<Pte> {
        assert!(
            vpn < VPN_LIMIT,
            "invariant: a PTE maps a user page below the page tables' reach (vpn {vpn:#x})"
        );
        let [g, u, m, i] = split(vpn);
        let pgd = self.pgd.get_or_insert_with(Pgd::new);
        let (pud, _) = pgd.alloc(g, Pud::new);
        let (pmd, _) = pud.alloc(u, Pmd::new);
        let (table, fresh) = pmd.alloc(m, PteTable::new);
        let old = match table.take(i) {
            0 => None,
            w if w & PAGE_PRESENT != 0 => Some(decode_present(w)),
            _ => Some(Pte::Swap(
                self.swap.remove(&vpn).expect("a swap PTE's entry"),
            )),
        };
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
        table.set(i, word);
        self.nr_tables += usize::from(fresh);
        self.len += usize::from(old.is_none());
        old
    }

    /// Clears the PTE of page `vpn` (`pte_clear`); returns it. A table left
    /// empty is freed, and each level above it left empty too.
    pub fn remove(&mut self, vpn: u64) -> Option<Pte> {
        if vpn >= VPN_LIMIT {
            return None;
        }
        let [g, u, m, i] = split(vpn);
        let pgd = self.pgd.as_deref_mut()?;
        let pud = pgd.entries[g].as_deref_mut()?;
        let pmd = pud.entries[u].as_deref_mut()?;
        let table = pmd.entries[m].as_deref_mut()?;
        let w = table.take(i);
        if w == 0 {
            return None;
        }
        if table.used() == 0 {
            pmd.free(m);
            self.nr_tables -= 1;
            if pmd.used == 0 {
                pud.free(u);
                if pud.used == 0 {
                    pgd.free(g);
                }
            }
        }
        self.len -= 1;
        Some(if w & PAGE_PRESENT != 0 {
            self.decode(vpn, w)
        } else {
            Pte::Swap(self.swap.remove(&vpn).expect("a swap PTE's entry"))
        })
    }

    /// The PTE tables covering pages `lo..=hi`, in order, with the number
    /// of their first page.
    fn tables_in(&self, lo: u64, hi: u64) -> impl Iterator<Item = (u64, &PteTable)> + '_ {
        let hi = hi.min(VPN_LIMIT - 1);
        let (l, h) = (split(lo), split(hi));
        // At each level, the first and last entries are bounded by `lo` and
        // `hi` only along their own paths.
        let bounds = move |level: usize, path_lo: bool, path_hi: bool| {
            let a = if path_lo { l[level] } else { 0 };
            let b = if path_hi { h[level] } else { PTRS - 1 };
            (a, b)
        };
        let span = move |level: usize| 1u64 << ((3 - level) as u32 * LEVEL_BITS);
        let empty = lo > hi;
        self.pgd
            .as_deref()
            .filter(move |_| !empty)
            .into_iter()
            .flat_map(move |pgd| {
                let (a, b) = bounds(0, true, true);
                pgd.present(a, b)
                    .map(move |(g, pud)| (g, pud, g == l[0], g == h[0]))
            })
            .flat_map(move |(g, pud, pl, ph)| {
                let (a, b) = bounds(1, pl, ph);
                pud.present(a, b).map(move |(u, pmd)| {
                    let base = g as u64 * span(0) + u as u64 * span(1);
                    (base, pmd, pl && u == l[1], ph && u == h[1])
                })
            })
            .flat_map(move |(base, pmd, pl, ph)| {
                let (a, b) = bounds(2, pl, ph);
                pmd.present(a, b)
                    .map(move |(m, t)| (base + m as u64 * span(2), t))
            })
    }

    /// The PTEs that are not none among pages `vpns`, in order.
    pub fn range(&self, vpns: Range<u64>) -> impl Iterator<Item = (u64, Pte)> + '_ {
        let (lo, hi) = (vpns.start, vpns.end);
        let (first, last) = if lo < hi { (lo, hi - 1) } else { (1, 0) };
        self.tables_in(first, last).flat_map(move |(base, table)| {
            let a = lo.max(base) - base;
            let b = hi.min(base + PTRS_PER_PTE) - base;
            (a..b).filter_map(move |i| match table.word(i as usize) {
                0 => None,
                w => Some((base + i, self.decode(base + i, w))),
            })
        })
    }

    /// The PTEs that are not none among pages `vpns`, in order, as runs:
    /// `(vpn, n, pte)` stands for `n` present PTEs from `vpn` on, the first
    /// `pte`, each next one mapping the next frame with the same bits (a
    /// table kept as its run gives one item; any other PTE is a run of 1).
    /// What [`PageTables::range`] gives, at the cost of the tables.
    pub fn runs(&self, vpns: Range<u64>) -> impl Iterator<Item = (u64, u64, Pte)> + '_ {
        let (lo, hi) = (vpns.start, vpns.end);
        let (first, last) = if lo < hi { (lo, hi - 1) } else { (1, 0) };
        self.tables_in(first, last).flat_map(move |(base, table)| {
            let a = lo.max(base) - base;
            let b = hi.min(base + PTRS_PER_PTE) - base;
            let (run, words) = match *table {
                PteTable::Run { start, n, first } => {
                    let (s, e) = (
                        u64::from(start).max(a),
                        (u64::from(start) + u64::from(n)).min(b),
                    );
                    let w = first + ((s.saturating_sub(u64::from(start))) << PFN_SHIFT);
                    let run = (s < e).then(|| (base + s, e - s, decode_present(w)));
                    (run, None)
                }
                PteTable::Words { .. } => (None, Some(a..b)),
            };
            let each =
                words
                    .into_iter()
                    .flatten()
                    .filter_map(move |i| match table.word(i as usize) {
                        0 => None,
                        w => Some((base + i, 1, self.decode(base + i, w))),
                    });
            run.into_iter().chain(each)
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
        self.nr_tables
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

    fn pte(n: u8, vpn: u64) -> Pte {
        if n >= 160 {
            // A frame that follows the page's neighbours' (what a fault-in
            // of fresh pages in order makes), so that runs form and break.
            return Pte::Present {
                pfn: (vpn as u32).wrapping_add(7),
                write: true,
                dirty: n & 1 != 0,
                young: true,
            };
        }
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
        fn page_tables_agree_with_a_map(ops in prop::collection::vec((0u64..3000, any::<u8>(), 0u8..4, 0usize..4), 0..300), lo in 0u64..3000, n in 0u64..1500, far in 0usize..4) {
            // Pages near the start of the address space, or near one of the
            // upper levels' boundaries (a PMD's, a PUD's, the top of TASK_SIZE).
            let bases = [0u64, (1 << 18) - 1500, (1 << 27) - 1500, (1 << 35) - 1500];
            let (mut t, mut m) = (PageTables::default(), BTreeMap::new());
            let lo = bases[far] + lo;
            for (vpn, v, kind, b) in ops {
                let vpn = bases[b] + vpn;
                // 0: clear one; 1, 2: set one; 3: set a run of pages in order.
                let pages = if kind == 3 { u64::from(v % 64) + 1 } else { 1 };
                for vpn in vpn..vpn + pages {
                    if kind == 0 {
                        prop_assert_eq!(t.remove(vpn), m.remove(&vpn));
                    } else {
                        let v = if kind == 3 { v | 160 } else { v };
                        prop_assert_eq!(t.insert(vpn, pte(v, vpn)), m.insert(vpn, pte(v, vpn)));
                    }
                    prop_assert_eq!(t.get(vpn), m.get(&vpn).copied());
                    prop_assert_eq!(t.len(), m.len());
                }
            }
            let want: Vec<(u64, Pte)> = m.range(lo..lo + n).map(|(&k, &v)| (k, v)).collect();
            prop_assert_eq!(t.range(lo..lo + n).collect::<Vec<_>>(), want.clone());
            // The runs, spelled out, are the PTEs.
            let unrun: Vec<(u64, Pte)> = t
                .runs(lo..lo + n)
                .flat_map(|(vpn, n, first)| {
                    (0..n).map(move |k| match first {
                        Pte::Present { pfn, write, dirty, young } => {
                            (vpn + k, Pte::Present { pfn: pfn + k as u32, write, dirty, young })
                        }
                        swap => (vpn, swap),
                    })
                })
                .collect();
            prop_assert_eq!(unrun, want);
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
