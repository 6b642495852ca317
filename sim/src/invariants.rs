//! The kernel's own invariants, checked over the whole model.
//!
//! Not a kernel file: the kernel states these in comments and `VM_BUG_ON`s;
//! the model checks them all at once, after any step, in the property tests
//! (and anyone may call [`Kernel::check_invariants`]). Each violation is
//! named so that a failing test says which rule broke.

use crate::fs::vfs::InodeKind;
use crate::kernel::{rss, Kernel, Pte};
use crate::klib::radix_tree::Tag;
use crate::mm::filemap::CacheEntry;
use crate::mm::page::{pg, Mapping, PAGE_SIZE};
use crate::mm::swapfile::SWAP_HAS_CACHE;
use crate::mm::swapops::SwpEntry;
use crate::mm::vmscan::Lru;
use std::collections::{BTreeMap, BTreeSet};

impl Kernel {
    /// Checks every invariant; `Err` lists the broken ones.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut errs: Vec<String> = Vec::new();
        let mut err = |s: String| errs.push(s);
        let zero = self.mem.zero_pfn;
        // Frames never used are free and blank by construction: only the
        // populated ones are checked.
        let n = self.mem.populated() as usize;

        // Where each frame is referenced from.
        let mut in_cache = vec![false; n];
        let mut ptes_of = vec![0u32; n];
        let mut swap_refs: BTreeMap<u64, u64> = BTreeMap::new();

        // Page caches, per inode.
        let mut file_pages = 0i64;
        let mut shmem_pages = 0i64;
        let mut file_dirty = 0i64;
        let mut used_blocks = vec![0u64; self.sbs.len()];
        for (&ino, inode) in &self.inodes {
            let tree = &inode.mapping.i_pages;
            if let Err(e) = tree.check_invariants() {
                err(format!("radix tree of inode {ino}: {e}"));
            }
            let (mut pages, mut swaps) = (0u64, 0u64);
            for (index, entry) in tree.iter() {
                match entry {
                    CacheEntry::Page(pfn) if pfn as usize >= n => {
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
                        if in_cache[pfn as usize] {
                            err(format!("pfn {pfn} is in the page cache twice"));
                        }
                        in_cache[pfn as usize] = true;
                        if inode.shmem().is_none() && p.test(pg::DIRTY) {
                            file_dirty += 1;
                            if !tree.tag_get(index, Tag::Dirty) {
                                err(format!(
                                    "dirty page {ino}:{index} lacks PAGECACHE_TAG_DIRTY"
                                ));
                            }
                        }
                    }
                    CacheEntry::Swap(e) => {
                        swaps += 1;
                        *swap_refs.entry(e.val).or_default() += 1;
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
            file_pages += pages as i64;
            match &inode.kind {
                InodeKind::Shmem(info) => {
                    shmem_pages += pages as i64;
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

        // Page tables.
        let mut anon_mapped = 0i64;
        let mut file_mapped = 0i64;
        for (&pid, task) in &self.tasks {
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
                        ptes_of[pfn as usize] += 1;
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
                        *swap_refs.entry(e.val).or_default() += 1;
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

        // Frames.
        let free: BTreeSet<u32> = self.mem.freed().iter().copied().collect();
        if free.len() != self.mem.freed().len() {
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
                in_cache[pfn as usize] as u32 + in_swapcache as u32 + ptes_of[pfn as usize];
            if is_free {
                if p.refcount != 0
                    || in_cache[pfn as usize]
                    || ptes_of[pfn as usize] > 0
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
                    in_cache[pfn as usize] as u32,
                    in_swapcache as u32,
                    ptes_of[pfn as usize]
                ));
            }
            if p.mapcount != ptes_of[pfn as usize] {
                err(format!(
                    "pfn {pfn}: mapcount {} but {} PTEs map it",
                    p.mapcount, ptes_of[pfn as usize]
                ));
            }
            if p.mapcount > 0 {
                match p.mapping() {
                    Mapping::Anon(_) => anon_mapped += 1,
                    _ => file_mapped += 1,
                }
            }
            if in_swapcache && self.swap_cache.get(&p.private) != Some(&pfn) {
                err(format!(
                    "pfn {pfn} says PG_swapcache but the swap cache disagrees"
                ));
            }
            if p.test(pg::LRU) {
                let lru = match (
                    p.test(pg::UNEVICTABLE),
                    p.test(pg::SWAPBACKED),
                    p.test(pg::ACTIVE),
                ) {
                    (true, _, _) => Lru::Unevictable,
                    (_, true, false) => Lru::InactiveAnon,
                    (_, true, true) => Lru::ActiveAnon,
                    (_, false, false) => Lru::InactiveFile,
                    (_, false, true) => Lru::ActiveFile,
                };
                lru_count[lru as usize] += 1;
            } else {
                err(format!("pfn {pfn} is in use but on no LRU list"));
            }
        }
        for lru in Lru::ALL {
            let list = &self.lru[lru as usize];
            let mut walked = 0u64;
            let mut link = list.head;
            while link != 0 && walked <= list.len {
                walked += 1;
                link = self.mem.page(link - 1).lru_next;
            }
            if walked != list.len || list.len != lru_count[lru as usize] {
                err(format!(
                    "{lru:?}: len {} but {walked} linked and {} flagged",
                    list.len, lru_count[lru as usize]
                ));
            }
        }

        // Swap.
        for (&val, &pfn) in &self.swap_cache {
            let p = self.mem.page(pfn);
            if !p.test(pg::SWAPCACHE) || p.private != val {
                err(format!(
                    "swap cache entry {val:#x} -> pfn {pfn} which does not point back"
                ));
            }
        }
        let enc = self.cfg.encoding;
        for si in &self.swap {
            if si.max == 0 {
                continue; // an area swapped off
            }
            let mut inuse = 0;
            for off in 1..si.max {
                let count = si.swap_map[off as usize];
                let val = enc
                    .swp_entry(si.type_, off)
                    .map(|e: SwpEntry| e.val)
                    .unwrap_or(u64::MAX);
                let refs = swap_refs.get(&val).copied().unwrap_or(0);
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

        // Counters.
        let v = &self.vmstat;
        let recount = [
            (
                "NR_FILE_PAGES",
                v.nr_file_pages,
                file_pages + self.swap_cache.len() as i64,
            ),
            ("NR_SHMEM", v.nr_shmem, shmem_pages),
            ("NR_ANON_MAPPED", v.nr_anon_mapped, anon_mapped),
            ("NR_FILE_MAPPED", v.nr_file_mapped, file_mapped),
            ("NR_FILE_DIRTY", v.nr_file_dirty, file_dirty),
            ("NR_SWAPCACHE", v.nr_swapcache, self.swap_cache.len() as i64),
        ];
        for (name, kept, counted) in recount {
            if kept != counted {
                err(format!("{name} is {kept} but a recount gives {counted}"));
            }
        }

        // Open files and System V.
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
        for (&ino, inode) in &self.inodes {
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

        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs.join("\n"))
        }
    }
}
