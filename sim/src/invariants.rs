//! The kernel's own invariants, checked over the whole model.
//!
//! Not a kernel file: the kernel states these in comments and `VM_BUG_ON`s;
//! the model checks them all at once, after any step, in the property tests
//! (and anyone may call [`Kernel::check_invariants`]). They are split into
//! named [`Check`]s (page caches, page tables, frames, swap, counters, files
//! and System V), run in that order, each learning for the next where every
//! frame is referenced from; a violation is reported under its check's name,
//! so that a failing test says which rule broke.

use crate::fs::vfs::InodeKind;
use crate::kernel::{rss, Kernel, Pte};
use crate::klib::radix_tree::Tag;
use crate::mm::filemap::CacheEntry;
use crate::mm::page::{pg, Mapping, PAGE_SIZE};
use crate::mm::swapfile::{SwapInfo, SWAP_HAS_CACHE};
use crate::mm::swapops::SwpEntry;
use crate::mm::vmscan::Lru;
use std::collections::{BTreeMap, BTreeSet};

/// One named check of [`Kernel::check_invariants`]: a failing test says
/// which rule broke, and a test may run one alone with [`Kernel::check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Each inode's radix tree against `nrpages`, `nrexceptional`, the
    /// pages' `mapping` and `index`, dirty tags and the blocks of its mount.
    PageCaches,
    /// Each process's PTEs against its VMAs, the rmap and its rss counters.
    PageTables,
    /// Each populated frame's refcount and mapcount against who holds it,
    /// the free list, PG_swapcache and the LRU lists.
    Frames,
    /// The swap cache, and each swap slot's `swap_map` count against the
    /// swap PTEs and exceptional entries that name it.
    Swap,
    /// The vmstat counters against a recount.
    Counters,
    /// Open files' `f_count`, inodes' `i_count`, System V `shm_nattch`
    /// and `shm_tot`.
    FilesAndIpc,
}

impl Check {
    /// Every check, in the order [`Kernel::check_invariants`] runs them.
    pub const ALL: [Check; 6] = [
        Check::PageCaches,
        Check::PageTables,
        Check::Frames,
        Check::Swap,
        Check::Counters,
        Check::FilesAndIpc,
    ];

    /// The check's name, as a failure report prints it.
    pub fn name(self) -> &'static str {
        match self {
            Check::PageCaches => "page caches",
            Check::PageTables => "page tables",
            Check::Frames => "frames",
            Check::Swap => "swap",
            Check::Counters => "counters",
            Check::FilesAndIpc => "files and System V",
        }
    }
}

/// What the checks learn of the model as they go, for the ones after them:
/// where each frame is referenced from, and the pages each kind counts.
struct Census {
    /// Frames populated so far (`PhysMem::populated`): only these are checked.
    n: usize,
    in_cache: Vec<bool>,
    ptes_of: Vec<u32>,
    swap_refs: BTreeMap<u64, u64>,
    file_pages: i64,
    shmem_pages: i64,
    file_dirty: i64,
    anon_mapped: i64,
    file_mapped: i64,
    errs: Vec<String>,
}

impl Census {
    fn new(n: usize) -> Census {
        Census {
            n,
            in_cache: vec![false; n],
            ptes_of: vec![0; n],
            swap_refs: BTreeMap::new(),
            file_pages: 0,
            shmem_pages: 0,
            file_dirty: 0,
            anon_mapped: 0,
            file_mapped: 0,
            errs: Vec::new(),
        }
    }
}

impl Kernel {
    /// Checks every invariant; `Err` lists the broken ones, each under the
    /// name of its [`Check`].
    pub fn check_invariants(&self) -> Result<(), String> {
        self.run_checks(&Check::ALL)
    }

    /// Runs one named check (with the ones before it, whose census it needs,
    /// reporting only its own failures).
    pub fn check(&self, which: Check) -> Result<(), String> {
        self.run_checks(&[which])
    }

    fn run_checks(&self, report: &[Check]) -> Result<(), String> {
        let mut c = Census::new(self.mem.populated() as usize);
        let mut errs = Vec::new();
        for check in Check::ALL {
            match check {
                Check::PageCaches => self.check_page_caches(&mut c),
                Check::PageTables => self.check_page_tables(&mut c),
                Check::Frames => self.check_frames(&mut c),
                Check::Swap => self.check_swap(&mut c),
                Check::Counters => self.check_counters(&mut c),
                Check::FilesAndIpc => self.check_files_and_ipc(&mut c),
            }
            let found = std::mem::take(&mut c.errs);
            if report.contains(&check) {
                errs.extend(found.into_iter().map(|e| format!("[{}] {e}", check.name())));
            }
            if report.last() == Some(&check) {
                break;
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs.join("\n"))
        }
    }

    /// [`Check::PageCaches`].
    fn check_page_caches(&self, c: &mut Census) {
        let mut errs = Vec::new();
        let mut err = |s: String| errs.push(s);
        let mut used_blocks = vec![0u64; self.sbs.len()];
        for (ino, inode) in self.inodes.iter() {
            let tree = &inode.mapping.i_pages;
            if let Err(e) = tree.check_invariants() {
                err(format!("radix tree of inode {ino}: {e}"));
            }
            let (mut pages, mut swaps) = (0u64, 0u64);
            for (index, entry) in tree.iter() {
                match entry {
                    CacheEntry::Page(pfn) if pfn as usize >= c.n => {
                        err(format!(
                            "page-cache slot {ino}:{index} holds pfn {pfn}, never allocated"
                        ));
                    }
                    CacheEntry::Page(pfn) => {
                        pages += 1;
                        let p = self.mem.page(pfn);
                        if p.mapping() != Mapping::File(ino) || p.index != index {
                            err(format!("page-cache slot {ino}:{index} holds pfn {pfn} whose mapping/index disagree"));
                        }
                        if c.in_cache[pfn as usize] {
                            err(format!("pfn {pfn} is in the page cache twice"));
                        }
                        c.in_cache[pfn as usize] = true;
                        if inode.shmem().is_none() && p.test(pg::DIRTY) {
                            c.file_dirty += 1;
                            if !tree.tag_get(index, Tag::Dirty) {
                                err(format!(
                                    "dirty page {ino}:{index} lacks PAGECACHE_TAG_DIRTY"
                                ));
                            }
                        }
                    }
                    CacheEntry::Swap(e) => {
                        swaps += 1;
                        *c.swap_refs.entry(e.val).or_default() += 1;
                        if inode.shmem().is_none() {
                            err(format!(
                                "exceptional entry in the cache of non-shmem inode {ino}"
                            ));
                        }
                    }
                }
            }
            if pages != inode.mapping.nrpages || swaps != inode.mapping.nrexceptional {
                err(format!(
                    "inode {ino}: nrpages {} / nrexceptional {} but the tree holds {pages} / {swaps}",
                    inode.mapping.nrpages, inode.mapping.nrexceptional
                ));
            }
            c.file_pages += pages as i64;
            match &inode.kind {
                InodeKind::Shmem(info) => {
                    c.shmem_pages += pages as i64;
                    if info.alloced != inode.mapping.nrpages + info.swapped {
                        err(format!(
                            "inode {ino}: alloced {} != nrpages {} + swapped {}",
                            info.alloced, inode.mapping.nrpages, info.swapped
                        ));
                    }
                    if info.swapped != swaps {
                        err(format!(
                            "inode {ino}: swapped {} but {swaps} exceptional entries",
                            info.swapped
                        ));
                    }
                    used_blocks[inode.sb] += info.alloced;
                }
                InodeKind::Disk { blocks } => used_blocks[inode.sb] += blocks.len() as u64,
                _ => {}
            }
        }
        for (sb, used) in self.sbs.iter().zip(&used_blocks) {
            if sb.used_blocks != *used {
                err(format!(
                    "mount {:?}: used_blocks {} but its files hold {used}",
                    sb.mount_point, sb.used_blocks
                ));
            }
        }
        c.errs.extend(errs);
    }

    /// [`Check::PageTables`].
    fn check_page_tables(&self, c: &mut Census) {
        let (zero, n) = (self.mem.zero_pfn, c.n);
        let mut errs = Vec::new();
        let mut err = |s: String| errs.push(s);
        for (pid, task) in self.tasks.iter() {
            let mut counts = [0i64; 4];
            for (vpn, pte) in task.mm.ptes.iter() {
                let addr = vpn * PAGE_SIZE;
                let Some(vma) = task.mm.vma_at(addr) else {
                    err(format!("pid {pid}: PTE at {addr:#x} outside every VMA"));
                    continue;
                };
                match pte {
                    Pte::Present { pfn, write, .. } => {
                        if pfn == zero {
                            if write {
                                err(format!(
                                    "pid {pid}: the zero page is mapped writable at {addr:#x}"
                                ));
                            }
                            continue;
                        }
                        if pfn as usize >= n {
                            err(format!(
                                "pid {pid}: {addr:#x} maps pfn {pfn}, never allocated"
                            ));
                            continue;
                        }
                        c.ptes_of[pfn as usize] += 1;
                        counts[self.mm_counter(pfn)] += 1;
                        if !self.rmap_walk(pfn).contains(&(pid, addr)) {
                            err(format!(
                                "pid {pid}: PTE {addr:#x} -> pfn {pfn} is not in the frame's rmap"
                            ));
                        }
                        if vma.file.is_some()
                            && !vma.is_shared()
                            && write
                            && !matches!(self.mem.page(pfn).mapping(), Mapping::Anon(_))
                        {
                            err(format!(
                                "pid {pid}: file page writable in a private mapping at {addr:#x}"
                            ));
                        }
                    }
                    Pte::Swap(e) => {
                        counts[rss::SWAPENTS] += 1;
                        *c.swap_refs.entry(e.val).or_default() += 1;
                    }
                }
            }
            if counts != task.mm.rss {
                err(format!(
                    "pid {pid}: rss counters {:?} but the page table holds {counts:?}",
                    task.mm.rss
                ));
            }
        }
        c.errs.extend(errs);
    }

    /// [`Check::Frames`].
    fn check_frames(&self, c: &mut Census) {
        let (zero, n) = (self.mem.zero_pfn, c.n);
        let mut errs = Vec::new();
        let mut err = |s: String| errs.push(s);
        let free: BTreeSet<u32> = self.mem.freed().collect();
        if free.len() != self.mem.freed().count() {
            err("a frame is on the free list twice".into());
        }
        if free.iter().any(|&pfn| pfn as usize >= n) {
            err("a frame never used is on the free list".into());
        }
        let mut lru_count = [0u64; 5];
        for pfn in 0..n as u32 {
            if pfn == zero {
                continue;
            }
            let p = self.mem.page(pfn);
            let is_free = free.contains(&pfn);
            let in_swapcache = p.test(pg::SWAPCACHE);
            let expect_ref =
                c.in_cache[pfn as usize] as u32 + in_swapcache as u32 + c.ptes_of[pfn as usize];
            if is_free {
                if p.refcount != 0
                    || c.in_cache[pfn as usize]
                    || c.ptes_of[pfn as usize] > 0
                    || p.flags != 0
                {
                    err(format!("pfn {pfn} is both free and in use"));
                }
                continue;
            }
            if p.refcount == 0 {
                err(format!(
                    "pfn {pfn} has no references and is not free (leaked)"
                ));
            }
            if p.refcount != expect_ref {
                err(format!(
                    "pfn {pfn}: refcount {} != cache {} + swap cache {} + PTEs {}",
                    p.refcount,
                    c.in_cache[pfn as usize] as u32,
                    in_swapcache as u32,
                    c.ptes_of[pfn as usize]
                ));
            }
            if p.mapcount != c.ptes_of[pfn as usize] {
                err(format!(
                    "pfn {pfn}: mapcount {} but {} PTEs map it",
                    p.mapcount, c.ptes_of[pfn as usize]
                ));
            }
            if p.mapcount > 0 {
                match p.mapping() {
                    Mapping::Anon(_) => c.anon_mapped += 1,
                    _ => c.file_mapped += 1,
                }
            }
            if in_swapcache && self.swap_cache.get(&self.mem.private(pfn)) != Some(&pfn) {
                err(format!(
                    "pfn {pfn} says PG_swapcache but the swap cache disagrees"
                ));
            }
            if p.test(pg::LRU) {
                let lru = self.page_lru(pfn);
                lru_count[lru as usize] += 1;
            } else {
                err(format!("pfn {pfn} is in use but on no LRU list"));
            }
        }
        errs.extend(self.lru_list_errors(&lru_count));
        c.errs.extend(errs);
    }

    /// Each LRU list, walked by its links, against its `len` and the frames
    /// flagged on it (`flagged`, by [`Lru`]).
    fn lru_list_errors(&self, flagged: &[u64; 5]) -> Vec<String> {
        let mut errs = Vec::new();
        for lru in Lru::ALL {
            let list = &self.lru[lru as usize];
            let mut walked = 0u64;
            let mut link = list.head;
            while link != 0 && walked <= list.len {
                walked += 1;
                link = self.mem.page(link - 1).lru_next;
            }
            if walked != list.len || list.len != flagged[lru as usize] {
                errs.push(format!(
                    "{lru:?}: len {} but {walked} linked and {} flagged",
                    list.len, flagged[lru as usize]
                ));
            }
        }
        errs
    }

    /// [`Check::Swap`].
    fn check_swap(&self, c: &mut Census) {
        let mut errs = Vec::new();
        let mut err = |s: String| errs.push(s);
        for (&val, &pfn) in &self.swap_cache {
            let p = self.mem.page(pfn);
            if !p.test(pg::SWAPCACHE) || self.mem.private(pfn) != val {
                err(format!(
                    "swap cache entry {val:#x} -> pfn {pfn} which does not point back"
                ));
            }
        }
        for si in &self.swap {
            if si.max == 0 {
                continue; // an area swapped off
            }
            let mut inuse = 0;
            for off in self.swap_offsets_to_check(si, c) {
                let count = si.swap_map.get(off as usize).copied().unwrap_or(0);
                let val = self
                    .cfg
                    .encoding
                    .swp_entry(si.type_, off)
                    .map_or(u64::MAX, |e| e.val);
                let refs = c.swap_refs.get(&val).copied().unwrap_or(0);
                let cached = self.swap_cache.contains_key(&val);
                if (count & !SWAP_HAS_CACHE) as u64 != refs
                    || (count & SWAP_HAS_CACHE != 0) != cached
                {
                    err(format!(
                        "swap {}:{off}: swap_map {count:#x} but {refs} references, swap cache {cached}",
                        si.type_
                    ));
                }
                if count != 0 {
                    inuse += 1;
                }
                if count == 0 && si.slots.contains_key(&off) {
                    err(format!(
                        "swap {}:{off} is free but still holds data",
                        si.type_
                    ));
                }
            }
            if inuse != si.inuse_pages {
                err(format!(
                    "swap {}: inuse_pages {} but {inuse} slots used",
                    si.type_, si.inuse_pages
                ));
            }
        }
        c.errs.extend(errs);
    }

    /// The slots of a swap area (1..max) that [`Check::Swap`] has anything to
    /// compare at, in order: the used ones in `swap_map`, the ones an entry
    /// in a page table, a page cache or the swap cache names, and the ones
    /// holding data. Every other slot is free, unnamed and empty, which is
    /// consistent; skipping them keeps the check proportional to what is in
    /// swap, not to the area's size (a 1 GiB area has 262,144 slots).
    fn swap_offsets_to_check(&self, si: &SwapInfo, c: &Census) -> BTreeSet<u64> {
        let enc = self.cfg.encoding;
        let of_area = |val: u64| {
            let e = SwpEntry { val };
            let off = enc.swp_offset(e);
            let same = enc
                .swp_entry(si.type_, off)
                .is_ok_and(|back| back.val == val);
            same.then_some(off)
        };
        let used = si.swap_map.iter().enumerate().filter(|(_, &n)| n != 0);
        let used = used.map(|(off, _)| off as u64);
        let named = c.swap_refs.keys().chain(self.swap_cache.keys());
        let named = named.filter_map(|&val| of_area(val));
        let held = si.slots.keys().copied();
        used.chain(named)
            .chain(held)
            .filter(|&off| off >= 1 && off < si.max)
            .collect()
    }

    /// [`Check::Counters`].
    fn check_counters(&self, c: &mut Census) {
        let mut errs = Vec::new();
        let mut err = |s: String| errs.push(s);
        let v = &self.vmstat;
        let recount = [
            (
                "NR_FILE_PAGES",
                v.nr_file_pages,
                c.file_pages + self.swap_cache.len() as i64,
            ),
            ("NR_SHMEM", v.nr_shmem, c.shmem_pages),
            ("NR_ANON_MAPPED", v.nr_anon_mapped, c.anon_mapped),
            ("NR_FILE_MAPPED", v.nr_file_mapped, c.file_mapped),
            ("NR_FILE_DIRTY", v.nr_file_dirty, c.file_dirty),
            ("NR_SWAPCACHE", v.nr_swapcache, self.swap_cache.len() as i64),
        ];
        for (name, kept, counted) in recount {
            if kept != counted {
                err(format!("{name} is {kept} but a recount gives {counted}"));
            }
        }
        c.errs.extend(errs);
    }

    /// [`Check::FilesAndIpc`].
    fn check_files_and_ipc(&self, c: &mut Census) {
        let mut errs = Vec::new();
        let mut err = |s: String| errs.push(s);
        let mut file_refs: BTreeMap<_, u32> = BTreeMap::new();
        for task in self.tasks.values() {
            for &f in task.fds.values() {
                *file_refs.entry(f).or_default() += 1;
            }
            for vma in task.mm.vmas.values() {
                if let Some(f) = vma.file {
                    *file_refs.entry(f).or_default() += 1;
                }
            }
        }
        if let Some(console) = self.console {
            *file_refs.entry(console).or_default() += 1;
        }
        for q in self.in_flight.values() {
            for &f in q {
                *file_refs.entry(f).or_default() += 1;
            }
        }
        let mut shm_tot = 0;
        for shp in self.shm_ids.entries.values() {
            *file_refs.entry(shp.shm_file).or_default() += 1;
            shm_tot += shp.shm_segsz.div_ceil(PAGE_SIZE);
            let attached = self
                .tasks
                .values()
                .flat_map(|t| t.mm.vmas.values())
                .filter(|v| v.shm.is_some_and(|a| a.shmid == shp.perm.id))
                .count() as u64;
            if attached != shp.shm_nattch {
                err(format!(
                    "segment {}: shm_nattch {} but {attached} attached VMAs",
                    shp.perm.id, shp.shm_nattch
                ));
            }
        }
        if shm_tot != self.shm_ids.shm_tot {
            err(format!(
                "shm_tot {} but the segments hold {shm_tot} pages",
                self.shm_ids.shm_tot
            ));
        }
        let mut i_count: BTreeMap<u32, u32> = BTreeMap::new();
        for (key, file) in &self.files {
            let refs = file_refs.get(&key).copied().unwrap_or(0);
            if refs != file.refcount {
                err(format!(
                    "a file of inode {} has f_count {} but {refs} holders",
                    file.ino, file.refcount
                ));
            }
            *i_count.entry(file.ino).or_default() += 1;
        }
        for (ino, inode) in self.inodes.iter() {
            let held = i_count.get(&ino).copied().unwrap_or(0);
            if held != inode.i_count {
                err(format!(
                    "inode {ino}: i_count {} but {held} open files",
                    inode.i_count
                ));
            }
            if inode.nlink == 0 && inode.i_count == 0 {
                err(format!(
                    "inode {ino} has no name and no opener but was not evicted"
                ));
            }
        }
        c.errs.extend(errs);
    }
}
