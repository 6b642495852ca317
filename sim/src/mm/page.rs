//! Physical memory: page frames and their `struct page` state.
//!
//! Mirrors `include/linux/mm_types.h` (`struct page`), `include/linux/page-flags.h`
//! (the `PG_*` bits) and the allocator entry points of `mm/page_alloc.c`.
//!
//! ```text
//!   pfn:   0        1        2        3   ...  nr_pages-1
//!        +--------+--------+--------+--------+--------+
//!        | zero   | free   | cache  | anon   |  ...   |   PhysMem::pages
//!        | page   |        | ino 7  | avma 2 |        |
//!        +--------+--------+--------+--------+--------+
//!   free list (a stack, lowest pfn on top): deterministic allocation order
//! ```
//!
//! The kernel spends 64 bytes of `struct page` per 4 KiB frame; the model's
//! [`Page`] is measured by `cargo bench -p shmsim-sim` and by a unit test below.
//! A frame's contents are not in its `struct page` (they are the frame, in
//! the kernel): [`PhysMem`] keeps them beside, two bytes a frame for one
//! that nobody wrote or that was filled with one byte (`memset`), and a
//! 4 KiB buffer only for a frame written in detail ([`PageData`]).

use crate::trace::FxHashMap;
use serde::Serialize;
use std::collections::BTreeMap;

/// `PAGE_SIZE` on x86_64.
pub const PAGE_SIZE: u64 = 4096;
/// `PAGE_SHIFT` on x86_64.
pub const PAGE_SHIFT: u32 = 12;

/// A page frame number.
pub type Pfn = u32;

/// `PG_*` page flags (`include/linux/page-flags.h`), as a bit set.
pub mod pg {
    /// `PG_locked`: never held across a model operation; kept for the flag dump.
    pub const LOCKED: u32 = 1 << 0;
    /// `PG_referenced`: accessed recently (`mark_page_accessed`).
    pub const REFERENCED: u32 = 1 << 2;
    /// `PG_uptodate`: contents are valid.
    pub const UPTODATE: u32 = 1 << 3;
    /// `PG_dirty`: must be written before the frame can be freed.
    pub const DIRTY: u32 = 1 << 4;
    /// `PG_lru`: on an LRU list.
    pub const LRU: u32 = 1 << 5;
    /// `PG_active`: on an active LRU list.
    pub const ACTIVE: u32 = 1 << 6;
    /// `PG_writeback`: being written out.
    pub const WRITEBACK: u32 = 1 << 13;
    /// `PG_reserved`: not managed by the allocator (the zero page).
    pub const RESERVED: u32 = 1 << 10;
    /// `PG_mlocked`: in a locked VMA or segment (`SHM_LOCK`).
    pub const MLOCKED: u32 = 1 << 21;
    /// `PG_swapbacked`: backed by swap (anonymous and shmem pages).
    pub const SWAPBACKED: u32 = 1 << 19;
    /// `PG_swapcache`: in the swap cache; `private` holds the swap entry.
    pub const SWAPCACHE: u32 = 1 << 15;
    /// `PG_unevictable`.
    pub const UNEVICTABLE: u32 = 1 << 20;

    /// Names of the flags, in bit order, for dumps.
    pub const NAMES: &[(u32, &str)] = &[
        (LOCKED, "locked"),
        (REFERENCED, "referenced"),
        (UPTODATE, "uptodate"),
        (DIRTY, "dirty"),
        (LRU, "lru"),
        (ACTIVE, "active"),
        (RESERVED, "reserved"),
        (WRITEBACK, "writeback"),
        (SWAPCACHE, "swapcache"),
        (SWAPBACKED, "swapbacked"),
        (UNEVICTABLE, "unevictable"),
        (MLOCKED, "mlocked"),
    ];
}

/// What `page->mapping` points at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Mapping {
    /// Nothing: a free page, or a page only in the swap cache.
    #[default]
    None,
    /// A file's `address_space` (by inode number): page-cache pages, tmpfs and shmem.
    File(u32),
    /// An `anon_vma` (with `PAGE_MAPPING_ANON` set): private anonymous pages.
    Anon(u32),
}

/// `PAGE_MAPPING_ANON`: the low bit of `page->mapping` marks an `anon_vma`.
pub const PAGE_MAPPING_ANON: u32 = 1;

/// `PAGES_PER_SECTION` (x86_64 SPARSEMEM: 128 MiB sections).
pub const PAGES_PER_SECTION: u32 = 1 << 15;

/// A frame's contents in [`PhysMem`]'s per-frame word: the fill byte, or
/// this for a frame whose bytes are kept whole.
const WRITTEN: u16 = 0x100;

/// The bytes of one frame, stored no larger than they need to be.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum PageData {
    /// All zeroes (a freshly cleared page).
    #[default]
    Zero,
    /// Every byte the same (after a `memset` of the whole page).
    Fill(u8),
    /// Anything else.
    Bytes(Box<[u8; PAGE_SIZE as usize]>),
}

impl PageData {
    /// Copies `buf.len()` bytes starting at `off` into `buf`.
    pub fn read(&self, off: usize, buf: &mut [u8]) {
        match self {
            PageData::Zero => buf.fill(0),
            PageData::Fill(b) => buf.fill(*b),
            PageData::Bytes(bytes) => buf.copy_from_slice(&bytes[off..off + buf.len()]),
        }
    }

    /// The byte at `off`.
    pub fn byte(&self, off: usize) -> u8 {
        match self {
            PageData::Zero => 0,
            PageData::Fill(b) => *b,
            PageData::Bytes(bytes) => bytes[off],
        }
    }

    /// Writes `src` at `off`, keeping the compact forms where the result allows.
    pub fn write(&mut self, off: usize, src: &[u8]) {
        if src.is_empty() {
            return;
        }
        let uniform = |b: u8| src.iter().all(|&x| x == b);
        match self {
            PageData::Zero if uniform(0) => return,
            PageData::Fill(f) if uniform(*f) => return,
            _ => {}
        }
        if off == 0 && src.len() == PAGE_SIZE as usize && uniform(src[0]) {
            *self = if src[0] == 0 {
                PageData::Zero
            } else {
                PageData::Fill(src[0])
            };
            return;
        }
        if let PageData::Bytes(bytes) = self {
            bytes[off..off + src.len()].copy_from_slice(src);
            return;
        }
        let mut bytes = Box::new([0u8; PAGE_SIZE as usize]);
        self.read(0, &mut bytes[..]);
        bytes[off..off + src.len()].copy_from_slice(src);
        *self = PageData::Bytes(bytes);
    }

    /// Fills `len` bytes at `off` with `b` (`memset`).
    pub fn fill(&mut self, off: usize, len: usize, b: u8) {
        if off == 0 && len == PAGE_SIZE as usize {
            *self = if b == 0 {
                PageData::Zero
            } else {
                PageData::Fill(b)
            };
        } else {
            self.write(off, &vec![b; len]);
        }
    }

    /// Zeroes everything from `off` to the end of the page (a truncation inside it).
    pub fn zero_from(&mut self, off: usize) {
        if off == 0 {
            *self = PageData::Zero;
        } else if !matches!(self, PageData::Zero) {
            self.fill(off, PAGE_SIZE as usize - off, 0);
        }
    }

    /// Heap bytes this page's contents cost beyond the enum itself.
    pub fn heap_bytes(&self) -> usize {
        match self {
            PageData::Bytes(_) => PAGE_SIZE as usize,
            _ => 0,
        }
    }
}

/// The model's `struct page`: one per frame.
#[derive(Clone, Debug, Default)]
pub struct Page {
    /// `PG_*` flags.
    pub flags: u32,
    /// `_refcount`: page cache + swap cache + one per mapping PTE (+1 while
    /// the allocator has handed it out and nobody holds it yet: never across
    /// an operation). 0 = free.
    pub refcount: u32,
    /// `_mapcount + 1`: the number of PTEs that map it.
    pub mapcount: u32,
    /// `page->mapping`, packed in one word as the kernel packs it: the low
    /// bit says anonymous (`PAGE_MAPPING_ANON`), the rest is the inode
    /// number or the `anon_vma` id; 0 is none. Read it with
    /// [`Page::mapping`].
    mapping_word: u32,
    /// `page->index`: offset in pages within the file (or the anonymous
    /// region's linear page index).
    pub index: u64,
    /// LRU list links (pfn + 1; 0 = none): the kernel's `page->lru`.
    pub lru_prev: u32,
    /// See [`Page::lru_prev`].
    pub lru_next: u32,
}

impl Page {
    /// `page->mapping`: what the page belongs to.
    pub fn mapping(&self) -> Mapping {
        match self.mapping_word {
            0 => Mapping::None,
            w if w & PAGE_MAPPING_ANON != 0 => Mapping::Anon(w >> 1),
            w => Mapping::File(w >> 1),
        }
    }

    /// Sets `page->mapping`.
    pub fn set_mapping(&mut self, m: Mapping) {
        self.mapping_word = match m {
            Mapping::None => 0,
            Mapping::File(ino) => {
                assert!(
                    ino != 0 && ino < 1 << 31,
                    "invariant: inode numbers fit the mapping word"
                );
                ino << 1
            }
            Mapping::Anon(av) => {
                assert!(av < 1 << 31, "invariant: anon_vma ids fit the mapping word");
                (av << 1) | PAGE_MAPPING_ANON
            }
        };
    }

    /// Tests a `PG_*` flag.
    pub fn test(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// Sets a `PG_*` flag.
    pub fn set(&mut self, flag: u32) {
        self.flags |= flag;
    }

    /// Clears a `PG_*` flag.
    pub fn clear(&mut self, flag: u32) {
        self.flags &= !flag;
    }

    /// The flag names, comma separated (`"uptodate,dirty,lru,swapbacked"`).
    pub fn flag_names(&self) -> String {
        pg::NAMES
            .iter()
            .filter(|(bit, _)| self.flags & bit != 0)
            .map(|(_, n)| *n)
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The stack of freed frames, kept as runs of consecutive pfns: a
/// truncation frees a file's pages in index order, mostly in pfn order, so
/// freeing 90 GiB leaves a few runs, not 23 million pfns. Pushes and pops
/// are those of a plain stack of pfns, in the same order.
#[derive(Clone, Debug, Default)]
struct FreeStack {
    /// `(first, n)`: pfns `first..first + n`, the last one on top.
    runs: Vec<(Pfn, u32)>,
    len: u64,
}

impl FreeStack {
    fn push(&mut self, pfn: Pfn) {
        self.len += 1;
        if let Some((first, n)) = self.runs.last_mut() {
            if first.checked_add(*n) == Some(pfn) {
                *n += 1;
                return;
            }
        }
        self.runs.push((pfn, 1));
    }

    fn pop(&mut self) -> Option<Pfn> {
        let (first, n) = self.runs.last_mut()?;
        *n -= 1;
        let pfn = *first + *n;
        if *n == 0 {
            self.runs.pop();
        }
        self.len -= 1;
        Some(pfn)
    }

    fn len(&self) -> u64 {
        self.len
    }

    /// Top of the stack last, as a `Vec` of pfns would list them.
    fn iter(&self) -> impl Iterator<Item = Pfn> + '_ {
        self.runs.iter().flat_map(|&(first, n)| first..first + n)
    }

    fn model_bytes(&self) -> usize {
        self.runs.capacity() * std::mem::size_of::<(Pfn, u32)>()
    }
}

/// Physical memory: the frames and the free list (`mm/page_alloc.c`).
#[derive(Clone, Debug)]
pub struct PhysMem {
    /// One [`Page`] per frame used so far, by pfn, in sections of
    /// [`PAGES_PER_SECTION`]: frames are populated on first use, as
    /// SPARSEMEM populates `mem_map` section by section, so a machine's size
    /// costs nothing until its frames are used, and a growing machine never
    /// holds a doubled copy of its `mem_map`.
    sections: Vec<Vec<Page>>,
    /// Per section, per frame, its contents: the byte every byte of it is
    /// (0 for a cleared frame), or [`WRITTEN`] for one in `written`.
    fills: Vec<Vec<u16>>,
    /// The contents of the frames written in detail.
    written: BTreeMap<Pfn, Box<[u8; PAGE_SIZE as usize]>>,
    /// `page->private` of the frames that have one: the swap entry
    /// (`swp_entry_t.val`) of a page in the swap cache. Kept beside the
    /// frames, not in each [`Page`], because few frames have one at a time
    /// (only the swap cache's), while every frame would pay its 8 bytes.
    private: FxHashMap<Pfn, u64>,
    /// Frames used at least once: pfns `0..populated`.
    populated: u32,
    /// Frames in the machine.
    nr_pages: u32,
    /// Frames freed after use, below `populated`; the next allocation pops
    /// the one freed last, and takes the lowest never-used frame when none
    /// is (the same order as one stack of every free pfn, lowest on top).
    free: FreeStack,
    /// A frame never used, as [`PhysMem::page`] shows it.
    blank: Page,
    /// `ZERO_PAGE(0)`: the shared, never-written zero page.
    pub zero_pfn: Pfn,
}

impl PhysMem {
    /// Memory of `nr_pages` frames. Frame 0 is the zero page; frames are
    /// handed out lowest pfn first.
    pub fn new(nr_pages: u32) -> PhysMem {
        assert!(
            nr_pages >= 2,
            "memory must hold the zero page and one more frame"
        );
        let zero = Page {
            flags: pg::RESERVED | pg::UPTODATE,
            refcount: 1,
            ..Page::default()
        };
        // The first section grows as it is used (a small machine stays
        // small); the later ones are allocated whole.
        let first = vec![zero];
        let fills = vec![0];
        PhysMem {
            sections: vec![first],
            fills: vec![fills],
            written: BTreeMap::new(),
            private: FxHashMap::default(),
            populated: 1,
            nr_pages,
            free: FreeStack::default(),
            blank: Page::default(),
            zero_pfn: 0,
        }
    }

    /// The number of frames.
    pub fn nr_pages(&self) -> u32 {
        self.nr_pages
    }

    /// Frames used at least once (pfns `0..populated()`); every frame from
    /// there on is free and blank.
    pub fn populated(&self) -> u32 {
        self.populated
    }

    /// The number of free frames (meminfo's `MemFree`).
    pub fn nr_free(&self) -> u32 {
        (self.free.len() + u64::from(self.nr_pages - self.populated())) as u32
    }

    /// The frames freed after use, the one an allocation takes first last
    /// (every frame from [`PhysMem::populated`] on is free too).
    pub fn freed(&self) -> impl Iterator<Item = Pfn> + '_ {
        self.free.iter()
    }

    /// Takes a frame off the free list (`alloc_page`), zeroed, with refcount 1.
    /// `None` when memory is exhausted.
    pub fn alloc_page(&mut self) -> Option<Pfn> {
        let pfn = match self.free.pop() {
            Some(pfn) => pfn,
            None if self.populated < self.nr_pages => {
                let pfn = self.populated;
                if pfn.is_multiple_of(PAGES_PER_SECTION) {
                    let len = PAGES_PER_SECTION.min(self.nr_pages - pfn);
                    self.sections.push(Vec::with_capacity(len as usize));
                    self.fills.push(Vec::with_capacity(len as usize));
                }
                self.sections
                    .last_mut()
                    .expect("a section")
                    .push(Page::default());
                self.fills.last_mut().expect("a section").push(0);
                self.populated += 1;
                pfn
            }
            None => return None,
        };
        let page = self.page_mut(pfn);
        debug_assert_eq!(page.refcount, 0, "a free frame has no references");
        *page = Page {
            refcount: 1,
            ..Page::default()
        };
        Some(pfn)
    }

    /// Returns a frame to the free list (`free_unref_page`). Panics if the
    /// frame is still referenced: that would be a use-after-free in the kernel.
    pub fn free_page(&mut self, pfn: Pfn) {
        let zero_pfn = self.zero_pfn;
        let page = self.page_mut(pfn);
        assert!(
            page.refcount == 0 && page.mapcount == 0,
            "invariant: a freed frame has no references (pfn {pfn}: refcount {}, mapcount {})",
            page.refcount,
            page.mapcount
        );
        assert!(pfn != zero_pfn, "invariant: the zero page is never freed");
        *page = Page::default();
        self.set_data(pfn, PageData::Zero);
        self.private.remove(&pfn);
        self.free.push(pfn);
    }

    /// The frame `pfn` (a frame never used reads blank).
    pub fn page(&self, pfn: Pfn) -> &Page {
        self.sections
            .get((pfn / PAGES_PER_SECTION) as usize)
            .and_then(|s| s.get((pfn % PAGES_PER_SECTION) as usize))
            .unwrap_or(&self.blank)
    }

    /// The frame `pfn`, mutably: a frame the allocator handed out.
    pub fn page_mut(&mut self, pfn: Pfn) -> &mut Page {
        &mut self.sections[(pfn / PAGES_PER_SECTION) as usize][(pfn % PAGES_PER_SECTION) as usize]
    }

    /// `page_private(page)`: 0 when the frame has none.
    pub fn private(&self, pfn: Pfn) -> u64 {
        self.private.get(&pfn).copied().unwrap_or(0)
    }

    /// `set_page_private(page, val)`; 0 clears it.
    pub fn set_private(&mut self, pfn: Pfn, val: u64) {
        if val == 0 {
            self.private.remove(&pfn);
        } else {
            self.private.insert(pfn, val);
        }
    }

    fn fill_mut(&mut self, pfn: Pfn) -> &mut u16 {
        &mut self.fills[(pfn / PAGES_PER_SECTION) as usize][(pfn % PAGES_PER_SECTION) as usize]
    }

    fn fill(&self, pfn: Pfn) -> u16 {
        self.fills
            .get((pfn / PAGES_PER_SECTION) as usize)
            .and_then(|s| s.get((pfn % PAGES_PER_SECTION) as usize))
            .copied()
            .unwrap_or(0)
    }

    /// The contents of frame `pfn` (a copy).
    pub fn data(&self, pfn: Pfn) -> PageData {
        match self.fill(pfn) {
            0 => PageData::Zero,
            WRITTEN => PageData::Bytes(self.written[&pfn].clone()),
            b => PageData::Fill(b as u8),
        }
    }

    /// Copies `buf.len()` bytes of frame `pfn` from `off` into `buf`.
    pub fn read_data(&self, pfn: Pfn, off: usize, buf: &mut [u8]) {
        match self.fill(pfn) {
            WRITTEN => buf.copy_from_slice(&self.written[&pfn][off..off + buf.len()]),
            b => buf.fill(b as u8),
        }
    }

    /// Sets the contents of frame `pfn`, a frame the allocator handed out.
    pub fn set_data(&mut self, pfn: Pfn, data: PageData) {
        let fill = match data {
            PageData::Zero => 0,
            PageData::Fill(b) => u16::from(b),
            PageData::Bytes(bytes) => {
                self.written.insert(pfn, bytes);
                *self.fill_mut(pfn) = WRITTEN;
                return;
            }
        };
        if std::mem::replace(self.fill_mut(pfn), fill) == WRITTEN {
            self.written.remove(&pfn);
        }
    }

    /// Runs `f` on the contents of frame `pfn` (a frame the allocator handed
    /// out), in place: a `write`, a `fill`, a truncation.
    pub fn with_data<R>(&mut self, pfn: Pfn, f: impl FnOnce(&mut PageData) -> R) -> R {
        let mut data = match *self.fill_mut(pfn) {
            0 => PageData::Zero,
            WRITTEN => PageData::Bytes(self.written.remove(&pfn).expect("written contents")),
            b => PageData::Fill(b as u8),
        };
        *self.fill_mut(pfn) = 0;
        let r = f(&mut data);
        self.set_data(pfn, data);
        r
    }

    /// Bytes of model memory spent on frame metadata and contents.
    pub fn model_bytes(&self) -> usize {
        self.sections
            .iter()
            .map(|s| s.capacity() * std::mem::size_of::<Page>())
            .sum::<usize>()
            + self.fills.iter().map(|s| s.capacity() * 2).sum::<usize>()
            + self.written.len() * (PAGE_SIZE as usize + 3 * std::mem::size_of::<u64>())
            + self.free.model_bytes()
            + self.private.capacity() * 2 * std::mem::size_of::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_page_is_smaller_than_the_kernels_64_bytes() {
        let mut p = Page::default();
        for m in [
            Mapping::None,
            Mapping::File(7),
            Mapping::Anon(0),
            Mapping::Anon(9),
        ] {
            p.set_mapping(m);
            assert_eq!(p.mapping(), m);
        }
        // Half the kernel's: page->private lives beside the frames.
        assert!(
            std::mem::size_of::<Page>() <= 32,
            "{}",
            std::mem::size_of::<Page>()
        );
    }

    #[test]
    fn frames_are_populated_on_first_use_in_the_order_of_one_free_stack() {
        // 124 GiB of frames cost one struct page until they are used.
        let mut m = PhysMem::new(32 << 20);
        assert_eq!((m.populated(), m.nr_free()), (1, (32 << 20) - 1));
        assert!(m.model_bytes() < 4096, "{}", m.model_bytes());
        let a: Vec<Pfn> = (0..3).map(|_| m.alloc_page().unwrap()).collect();
        assert_eq!(a, [1, 2, 3]);
        m.page_mut(2).refcount = 0;
        m.free_page(2);
        // The frame freed last goes first, then the lowest never used.
        assert_eq!(m.alloc_page(), Some(2));
        assert_eq!(m.alloc_page(), Some(4));
        assert_eq!(m.page(1 << 20).refcount, 0, "an unused frame reads blank");
        let mut small = PhysMem::new(3);
        assert_eq!((small.alloc_page(), small.alloc_page()), (Some(1), Some(2)));
        assert_eq!((small.alloc_page(), small.nr_free()), (None, 0));
    }

    #[test]
    fn page_data_stays_compact_until_written_in_detail() {
        let mut d = PageData::Zero;
        d.write(10, &[0, 0]);
        assert_eq!(d, PageData::Zero);
        d.fill(0, PAGE_SIZE as usize, b'x');
        assert_eq!(d, PageData::Fill(b'x'));
        d.write(5, b"hi");
        assert_eq!(d.byte(5), b'h');
        assert_eq!(d.byte(4), b'x');
        assert_eq!(d.heap_bytes(), 4096);
    }

    proptest::proptest! {
        /// The free stack of runs pops what a stack of pfns pops.
        #[test]
        fn the_free_stack_is_a_stack_of_pfns(ops in proptest::collection::vec((0u32..64, proptest::bool::ANY), 0..200)) {
            let (mut runs, mut plain) = (FreeStack::default(), Vec::new());
            for (pfn, push) in ops {
                if push && !plain.contains(&pfn) {
                    runs.push(pfn);
                    plain.push(pfn);
                } else {
                    proptest::prop_assert_eq!(runs.pop(), plain.pop());
                }
                proptest::prop_assert_eq!(runs.len(), plain.len() as u64);
                proptest::prop_assert_eq!(runs.iter().collect::<Vec<_>>(), plain.clone());
            }
        }
    }
}
