//! The observables of the scenario contract (`SCENARIOS.md`), as the
//! simulator reads them, and the views the `/proc` renderers print.
//!
//! Each observable is defined once, here, by what a real process measures
//! (`/proc/PID/pagemap`, `mincore(2)`, `lseek(SEEK_DATA)`, `/proc/PID/smaps`,
//! `/proc/sysvipc/shm`, `/proc/meminfo`, `statvfs`); the real-kernel runner
//! measures the same names on the host. `cache` and `slot` are sim only.

use crate::errno::{Errno, SysResult};
use crate::fs::proc::{MeminfoView, PteView, SmapsView, VmaView};
use crate::fs::vfs::SuperBlock;
use crate::kernel::{rss, vm, Kernel, Pid, Pte, Vma};
use crate::mm::filemap::CacheEntry;
use crate::mm::page::{pg, Mapping, Pfn, PAGE_SIZE};
use crate::mm::swapops::SwpEntry;
use crate::mm::vmscan::Lru;
use crate::scenario::expect::StatusField;
use crate::tools::df::StatfsView;
use crate::tools::ls::LsEntry;
use crate::trace::{TouchKey, Touches};
use std::collections::{BTreeMap, BTreeSet};

/// The name `ls -l` shows for a uid or gid.
pub fn user_name(id: u32) -> String {
    match id {
        0 => "root".into(),
        1000 => "student".into(),
        5 => "tty".into(),
        n => n.to_string(),
    }
}

impl Kernel {
    /// `/proc/meminfo` (`meminfo_proc_show`), in kB, from the model's counters.
    pub fn meminfo_view(&self) -> MeminfoView {
        let kb = |pages: i64| (pages.max(0) as u64) * (PAGE_SIZE / 1024);
        let v = &self.vmstat;
        let lru = |l: Lru| self.lru[l as usize].len as i64;
        let free = i64::from(self.mem.nr_free());
        let file_lru = lru(Lru::ActiveFile) + lru(Lru::InactiveFile);
        // si_mem_available: free memory plus the file LRU that reclaim could
        // drop, less what the low watermark keeps back; shmem is on the anon
        // LRU and not counted.
        let wmark_low = (self.mem.nr_pages() as i64 / 256).max(8);
        let available = (free - wmark_low + file_lru - (file_lru / 2).min(wmark_low)).max(0);
        let swap_total = self.total_swap_pages() as i64;
        MeminfoView {
            mem_total: kb(self.mem.nr_pages() as i64),
            mem_free: kb(free),
            mem_available: kb(available),
            buffers: 0,
            cached: kb(v.nr_file_pages - v.nr_swapcache),
            swap_cached: kb(v.nr_swapcache),
            active_anon: kb(lru(Lru::ActiveAnon)),
            inactive_anon: kb(lru(Lru::InactiveAnon)),
            active_file: kb(lru(Lru::ActiveFile)),
            inactive_file: kb(lru(Lru::InactiveFile)),
            unevictable: kb(lru(Lru::Unevictable)),
            // NR_MLOCK: pages mapped in locked VMAs (SHM_LOCK makes pages
            // unevictable, not mlocked).
            mlocked: kb(self.nr_mlock() as i64),
            swap_total: kb(swap_total),
            swap_free: kb(self.nr_swap_pages() as i64),
            dirty: kb(v.nr_file_dirty),
            writeback: kb(v.nr_writeback),
            anon_pages: kb(v.nr_anon_mapped),
            mapped: kb(v.nr_file_mapped),
            shmem: kb(v.nr_shmem),
            commit_limit: kb(self.mem.nr_pages() as i64 / 2 + swap_total),
            vmalloc_total: 34_359_738_367,
            hugepagesize: 2048,
            direct_map_4k: kb(self.mem.nr_pages() as i64),
            ..MeminfoView::default()
        }
    }

    /// One `/proc/meminfo` field in kB, by its name there (`"Shmem"`), plus
    /// the contract's `SwapUsed` (SwapTotal - SwapFree).
    pub fn meminfo_field(&self, name: &str) -> Option<u64> {
        let m = self.meminfo_view();
        match name {
            "SwapUsed" => Some(m.swap_total - m.swap_free),
            _ => m.field(name),
        }
    }

    /// A line of `/proc/PID/status` in kB (`task_mem` in
    /// fs/proc/task_mmu.c): `VmLck` is `locked_vm`, `RssShmem` and `VmSwap`
    /// the process's `MM_SHMEMPAGES` and `MM_SWAPENTS`. `None` for a
    /// process that is gone.
    pub fn status_kb(&self, pid: Pid, field: StatusField) -> Option<u64> {
        let mm = &self.tasks.get(&pid)?.mm;
        let pages = match field {
            StatusField::VmLck => mm.locked_vm(),
            StatusField::RssShmem => mm.rss[rss::SHMEMPAGES].max(0) as u64,
            StatusField::VmSwap => mm.rss[rss::SWAPENTS].max(0) as u64,
        };
        Some(pages * (PAGE_SIZE / 1024))
    }

    /// `statfs` of a mount as `df` reads it.
    pub fn statfs_view(&self, sb: &SuperBlock) -> StatfsView {
        let st = self.statfs_sb(sb);
        StatfsView {
            fs_type: st.fstype.to_string(),
            source: sb.source.to_string(),
            mount_point: st.mount_point,
            bsize: st.bsize,
            blocks: st.blocks,
            bfree: st.bfree,
            bavail: st.bavail,
            files: st.files,
            ffree: st.ffree,
        }
    }

    /// The entries of a directory for `ls -l`, and the `total` line (KiB).
    pub fn ls_view(&self, dir: &str) -> SysResult<(Vec<LsEntry>, u64)> {
        let dir = crate::fs::vfs::normalize_path(dir)?;
        let &dino = self.dentries.get(&dir).ok_or(Errno::ENOENT)?;
        if !self.inodes[&dino].is_dir() {
            return Err(Errno::ENOTDIR);
        }
        let prefix = if dir == "/" {
            "/".to_string()
        } else {
            format!("{dir}/")
        };
        let mut entries = Vec::new();
        let mut total = 0;
        for (path, &ino) in self.dentries.range(prefix.clone()..) {
            let Some(name) = path.strip_prefix(&prefix) else {
                break;
            };
            if name.is_empty() || name.contains('/') {
                continue;
            }
            let st = self.stat_ino(ino);
            total += st.blocks / 2;
            entries.push(LsEntry {
                mode: st.mode,
                nlink: st.nlink as u64,
                user: user_name(st.uid),
                group: user_name(st.gid),
                size: st.size,
                mtime: st.mtime,
                name: name.to_string(),
            });
        }
        Ok((entries, total))
    }

    /// The VMAs of a process as `/proc/PID/maps` and `smaps` show them.
    pub fn vma_views(&self, pid: Pid) -> SysResult<Vec<VmaView>> {
        let task = self.task(pid)?;
        Ok(task
            .mm
            .vmas
            .values()
            .map(|vma| self.vma_view(pid, vma))
            .collect())
    }

    /// The permissions `/proc/PID/maps` prints for the VMA containing `addr`
    /// (`"rw-s"`), `None` when there is no such VMA.
    pub fn maps_perms(&self, pid: Pid, addr: u64) -> Option<String> {
        let vma = self.tasks.get(&pid)?.mm.vma_at(addr)?;
        Some(self.vma_view(pid, vma).perms())
    }

    fn vma_view(&self, pid: Pid, vma: &Vma) -> VmaView {
        use crate::kernel::vm;
        let ino = self.vma_inode(vma);
        let (dev, shown_ino, name) = match ino {
            Some(ino) => {
                let inode = &self.inodes[&ino];
                // newseg() sets the segment file's i_ino to the shmid.
                let shown = vma.shm.map_or(ino as u64, |a| a.shmid as u64);
                (self.sbs[inode.sb].dev, shown, self.d_path(ino))
            }
            None => ((0, 0), 0, String::new()),
        };
        VmaView {
            start: vma.start,
            end: vma.end,
            read: vma.flags & vm::READ != 0,
            write: vma.flags & vm::WRITE != 0,
            exec: vma.flags & vm::EXEC != 0,
            shared: vma.flags & vm::MAYSHARE != 0,
            pgoff_bytes: if ino.is_some() {
                vma.pgoff * PAGE_SIZE
            } else {
                0
            },
            dev_major: dev.0,
            dev_minor: dev.1,
            ino: shown_ino,
            name,
            vm_flags: vma.flags as u64,
            smaps: self.smaps_view(pid, vma),
        }
    }

    /// `show_smap` counters of one VMA (`smaps_pte_entry`, `smaps_account`,
    /// `shmem_swap_usage`).
    pub fn smaps_view(&self, pid: Pid, vma: &Vma) -> SmapsView {
        let mut s = self.smaps_ptes(pid, vma.start / PAGE_SIZE..vma.end / PAGE_SIZE);
        if let Some(ino) = self.vma_inode(vma) {
            s.swap_kb = self.shmem_swap_usage(ino, vma) * 4;
        }
        s
    }

    /// What the PTEs of pages `vpns` of `pid` add to smaps (`smaps_pte_entry`).
    fn smaps_ptes(&self, pid: Pid, vpns: std::ops::Range<u64>) -> SmapsView {
        let mut s = SmapsView::default();
        for (_, n, pte) in self.tasks[&pid].mm.ptes.runs(vpns) {
            match pte {
                Pte::Present {
                    pfn, dirty, young, ..
                } => {
                    // A run maps the next frame each, with the same bits.
                    for pfn in pfn..pfn + n as Pfn {
                        if pfn == self.mem.zero_pfn {
                            continue; // vm_normal_page() is NULL for the zero page
                        }
                        let p = self.mem.page(pfn);
                        let anon = matches!(p.mapping(), Mapping::Anon(_));
                        s.account_page(
                            p.mapcount,
                            dirty || p.test(pg::DIRTY),
                            young || p.test(pg::REFERENCED),
                            anon,
                            p.test(pg::SWAPBACKED),
                        );
                    }
                }
                Pte::Swap(e) => s.account_swap_pte(self.swap_count(e) as u32),
            }
        }
        s
    }

    /// The smaps counters of `pid`'s VMA `vma` by page table; with `old`,
    /// the same VMA's counters before a step that made the changes
    /// `touches` records, only the page tables that step touched are read
    /// again, when nothing else can have moved them (see
    /// [`Kernel::ptes_apart`]). Totals equal [`Kernel::smaps_view`].
    pub fn smaps_parts(
        &self,
        pid: Pid,
        vma: &Vma,
        old: Option<(&SmapsParts, &Touches)>,
    ) -> SmapsParts {
        let first_table = vma.start / PAGE_SIZE / PTRS_PER_PTE;
        let tables = (vma.end / PAGE_SIZE).div_ceil(PTRS_PER_PTE) - first_table;
        let read = |t: u64| {
            let lo = ((first_table + t) * PTRS_PER_PTE).max(vma.start / PAGE_SIZE);
            let hi = ((first_table + t + 1) * PTRS_PER_PTE).min(vma.end / PAGE_SIZE);
            self.smaps_ptes(pid, lo..hi)
        };
        let swap_kb = self
            .vma_inode(vma)
            .map_or(0, |ino| self.shmem_swap_usage(ino, vma) * 4);
        let kept = old.and_then(|(parts, touches)| {
            let touched = self.smaps_tables_touched(pid, vma, touches)?;
            (parts.vma == (vma.start, vma.end)).then_some((parts, touched))
        });
        // Only the page tables that hold a PTE of the VMA have a part: a
        // VMA of 64 TiB reserved with PROT_NONE has 33 million page tables'
        // worth of address and none of them (a part for each was 3 GiB).
        let put = |parts: &mut BTreeMap<u64, SmapsView>, t: u64| match read(t) {
            v if v == SmapsView::default() => parts.remove(&t),
            v => parts.insert(t, v),
        };
        let tables = match kept {
            Some((parts, touched)) => {
                let mut kept = parts.tables.clone();
                for t in touched {
                    if (first_table..first_table + tables).contains(&t) {
                        put(&mut kept, t - first_table);
                    }
                }
                kept
            }
            None => {
                let (start, end) = (vma.start / PAGE_SIZE, vma.end / PAGE_SIZE);
                let ptes = self.tasks[&pid].mm.ptes.range(start..end);
                let used: BTreeSet<u64> = ptes
                    .map(|(vpn, _)| vpn / PTRS_PER_PTE - first_table)
                    .collect();
                let mut all = BTreeMap::new();
                for t in used {
                    put(&mut all, t);
                }
                all
            }
        };
        SmapsParts {
            vma: (vma.start, vma.end),
            tables,
            swap_kb,
        }
    }

    /// The page tables (by `vpn / 512`) of `pid`'s `vma` whose smaps
    /// counters the changes `touches` records may have moved; `None` when
    /// they may have moved anywhere (the VMA or its file changed, or a PTE
    /// elsewhere may map a frame it maps).
    fn smaps_tables_touched(&self, pid: Pid, vma: &Vma, touches: &Touches) -> Option<Vec<u64>> {
        let ino = self.vma_inode(vma);
        let (start, end) = (vma.start / PAGE_SIZE, vma.end / PAGE_SIZE);
        let mut ptes = Vec::new();
        let mut tables = Vec::new();
        for r in &touches.records {
            match r.key {
                TouchKey::Ptes(p) => {
                    ptes.push((p, r.lo, r.hi));
                    if p == pid && r.lo < end && r.hi >= start {
                        tables.extend(
                            r.lo.max(start) / PTRS_PER_PTE..=r.hi.min(end - 1) / PTRS_PER_PTE,
                        );
                    }
                }
                // A page's flags (dirty, referenced) move with its slot.
                TouchKey::Cache(i) if Some(i) == ino => {
                    let (first, last) = (vma.pgoff, vma.pgoff + vma.pages() - 1);
                    if r.lo <= last && r.hi >= first {
                        let lo = start + (r.lo.max(first) - vma.pgoff);
                        let hi = start + (r.hi.min(last) - vma.pgoff);
                        tables.extend(lo / PTRS_PER_PTE..=hi / PTRS_PER_PTE);
                    }
                }
                TouchKey::Inode(i) if Some(i) == ino => return None,
                TouchKey::Vmas(p) if p == pid && r.lo < end && r.hi >= start => return None,
                TouchKey::Task(p) if p == pid => return None,
                _ => {}
            }
        }
        if !self.ptes_apart(pid, vma, &ptes) {
            return None;
        }
        tables.sort_unstable();
        tables.dedup();
        Some(tables)
    }

    /// Can no PTE of `touched` (`(pid, first vpn, last vpn)`), other than
    /// `pid`'s own in `v`, map a frame `pid`'s VMA `v` maps? A frame is
    /// mapped elsewhere only through the same file (any process) or, for
    /// private pages, through a fork (another process); a range no VMA
    /// covers now was unmapped, mapping what no one can tell.
    pub(crate) fn ptes_apart(&self, pid: Pid, v: &Vma, touched: &[(u32, u64, u64)]) -> bool {
        let ino = self.vma_inode(v);
        let private = v.flags & vm::MAYSHARE == 0;
        touched.iter().all(|&(tpid, lo, hi)| {
            let Some(task) = self.tasks.get(&tpid) else {
                return false; // a process that has gone
            };
            let (lo_addr, hi_addr) = (lo * PAGE_SIZE, (hi + 1) * PAGE_SIZE);
            let mut covered = 0;
            let all_apart = task
                .mm
                .vmas
                .range(..hi_addr)
                .rev()
                .take_while(|(_, w)| w.end > lo_addr)
                .all(|(_, w)| {
                    covered += w.end.min(hi_addr) - w.start.max(lo_addr);
                    if tpid == pid && w.start == v.start {
                        return true; // its own pages
                    }
                    let same_file = ino.is_some() && self.vma_inode(w) == ino;
                    let forked = tpid != pid && (private || w.flags & vm::MAYSHARE == 0);
                    !same_file && !forked
                });
            all_apart && covered == hi_addr - lo_addr
        })
    }

    /// Mirrors `shmem_swap_usage` (`mm/shmem.c`): the pages of a shmem
    /// file's mapped range that are in swap. The easy cases use the count
    /// kept as pages go out and come in (`info->swapped`): nothing in swap,
    /// or a mapping of the whole file; else `shmem_partial_swap_usage`
    /// counts the exceptional entries in the range.
    fn shmem_swap_usage(&self, ino: u32, vma: &Vma) -> u64 {
        let inode = &self.inodes[&ino];
        let Some(info) = inode.shmem() else {
            return 0;
        };
        if info.swapped == 0 {
            return 0;
        }
        if vma.pgoff == 0 && vma.pages() >= inode.size / PAGE_SIZE {
            return info.swapped;
        }
        let (first, last) = (vma.pgoff, vma.pgoff + vma.pages());
        inode
            .mapping
            .i_pages
            .iter_from(first)
            .take_while(|&(i, _)| i < last)
            .filter(|(_, e)| matches!(e, CacheEntry::Swap(_)))
            .count() as u64
    }

    /// What `/proc/PID/pagemap` says of the page at `addr` (`pte_to_pagemap_entry`).
    pub fn pagemap_view(&self, pid: Pid, addr: u64) -> PteView {
        let Some(task) = self.tasks.get(&pid) else {
            return PteView::None;
        };
        let enc = self.cfg.encoding;
        match task.mm.pte(addr) {
            None => PteView::None,
            Some(Pte::Swap(e)) => PteView::Swap {
                type_: enc.swp_type(e),
                offset: enc.swp_offset(e),
            },
            Some(Pte::Present { pfn, .. }) => {
                let p = self.mem.page(pfn);
                let zero = pfn == self.mem.zero_pfn;
                PteView::Present {
                    pfn: pfn as u64,
                    exclusive: !zero && p.mapcount == 1,
                    file_or_shared: !zero && !matches!(p.mapping(), Mapping::Anon(_)),
                    soft_dirty: false,
                }
            }
        }
    }

    /// The `pte.NAME` observable: per page of `[addr, addr + len)`, `P`
    /// present, `s` a swap entry, `-` none.
    pub fn pte_string(&self, pid: Pid, addr: u64, len: u64) -> String {
        self.pte_runs(pid, addr, len).unfolded()
    }

    /// [`Kernel::pte_string`] as its runs, at the cost of the PTEs that are
    /// not none (the letters are [`crate::fs::proc::pte_char`]'s).
    pub fn pte_runs(&self, pid: Pid, addr: u64, len: u64) -> PageRuns {
        let (first, end) = (addr / PAGE_SIZE, addr / PAGE_SIZE + len.div_ceil(PAGE_SIZE));
        let ptes = self
            .tasks
            .get(&pid)
            .into_iter()
            .flat_map(|t| t.mm.ptes.runs(first..end));
        let letter = |pte: Pte| {
            if matches!(pte, Pte::Swap(_)) {
                b's'
            } else {
                b'P'
            }
        };
        let mut runs = PageRuns::default();
        runs.spaced_runs(
            first,
            end,
            b'-',
            ptes.map(|(vpn, n, pte)| (vpn, n, letter(pte))),
        );
        runs
    }

    /// Is the swap entry's page in the swap cache?
    fn in_swap_cache(&self, e: SwpEntry) -> bool {
        self.swap_cache.contains_key(&e.val)
    }

    /// `mincore(2)` as 5.2+ kernels answer it (the scenario's observable is
    /// measured there): a page is resident when its PTE maps it, or its page
    /// (or, for a swapped page, the swap-cache copy) is in memory. For a file
    /// mapping of a file the caller neither owns nor may write,
    /// `can_do_mincore` fails and every page reads resident.
    pub fn mincore(&self, pid: Pid, addr: u64, len: u64) -> SysResult<Vec<u8>> {
        let mut out = Vec::new();
        for seg in self.mincore_segments(pid, addr, len)? {
            let Some(ino) = seg.ino.filter(|_| seg.owner) else {
                if !seg.owner {
                    out.resize(out.len() + (seg.end - seg.start) as usize, 1);
                    continue;
                }
                let mut ptes = self.tasks[&pid]
                    .mm
                    .ptes
                    .range(seg.start..seg.end)
                    .peekable();
                for vpn in seg.start..seg.end {
                    let pte = ptes.next_if(|&(v, _)| v == vpn).map(|(_, p)| p);
                    out.push(pte.is_some_and(|p| self.pte_resident(p)) as u8);
                }
                continue;
            };
            let mut ptes = self.tasks[&pid]
                .mm
                .ptes
                .range(seg.start..seg.end)
                .peekable();
            for vpn in seg.start..seg.end {
                let resident = match ptes.next_if(|&(v, _)| v == vpn) {
                    Some((_, p)) => self.pte_resident(p),
                    None => self
                        .find_get_entry(ino, seg.pgoff + (vpn - seg.start))
                        .is_some_and(|e| self.entry_resident(e)),
                };
                out.push(resident as u8);
            }
        }
        Ok(out)
    }

    /// `do_mincore`'s walk, one VMA at a time up to its end: each piece's
    /// pages, its file and first page index in it, and whether the caller
    /// may see its cache (`can_do_mincore`: the file's owner, or one who
    /// may write it; else every page reads resident).
    fn mincore_segments(&self, pid: Pid, addr: u64, len: u64) -> SysResult<Vec<CoreSegment>> {
        let task = self.task(pid)?;
        if !addr.is_multiple_of(PAGE_SIZE) {
            return Err(Errno::EINVAL);
        }
        // access_ok(start, pages << PAGE_SHIFT): a range past TASK_SIZE
        // (or one that wraps) is ENOMEM.
        let end = len
            .div_ceil(PAGE_SIZE)
            .checked_mul(PAGE_SIZE)
            .and_then(|l| addr.checked_add(l))
            .filter(|&e| e <= crate::mm::mmap::TASK_SIZE)
            .ok_or(Errno::ENOMEM)?;
        let mut segs = Vec::new();
        let mut a = addr;
        while a < end {
            let vma = task.mm.vma_at(a).ok_or(Errno::ENOMEM)?;
            let stop = vma.end.min(end);
            let ino = self.vma_inode(vma);
            let owner = ino.is_none_or(|ino| {
                task.uid == 0
                    || task.uid == self.inodes[&ino].uid
                    || self
                        .inode_permission(pid, ino, crate::fs::vfs::may::WRITE)
                        .is_ok()
            });
            segs.push(CoreSegment {
                start: a / PAGE_SIZE,
                end: stop / PAGE_SIZE,
                ino,
                pgoff: vma.linear_page_index(a),
                owner,
            });
            a = stop;
        }
        Ok(segs)
    }

    /// Is the page a PTE maps or names in memory (for a swap PTE: in the
    /// swap cache)?
    fn pte_resident(&self, pte: Pte) -> bool {
        match pte {
            Pte::Present { .. } => true,
            Pte::Swap(e) => self.in_swap_cache(e),
        }
    }

    /// Is a page-cache entry's page in memory?
    fn entry_resident(&self, e: CacheEntry) -> bool {
        match e {
            CacheEntry::Page(_) => true,
            CacheEntry::Swap(e) => self.in_swap_cache(e),
        }
    }

    /// [`Kernel::mincore`]'s answer as runs of `1` and `0`, at the cost of
    /// the PTEs and cache entries in the range, not of its pages: a gap
    /// between PTEs is read from the file's cache entries in it, or is `0`
    /// in anonymous memory. `None` where mincore fails.
    pub fn core_runs(&self, pid: Pid, addr: u64, len: u64) -> Option<PageRuns> {
        let mut runs = PageRuns::default();
        for seg in self.mincore_segments(pid, addr, len).ok()? {
            if !seg.owner {
                runs.push(b'1', seg.end - seg.start);
                continue;
            }
            let mut at = seg.start;
            for (vpn, n, pte) in self.tasks[&pid].mm.ptes.runs(seg.start..seg.end) {
                self.core_gap(&mut runs, &seg, at, vpn);
                // A run of present PTEs is resident throughout.
                runs.push(if self.pte_resident(pte) { b'1' } else { b'0' }, n);
                at = vpn + n;
            }
            self.core_gap(&mut runs, &seg, at, seg.end);
        }
        Some(runs)
    }

    /// The pages `from..to` of a piece that no PTE maps: resident where
    /// the file's cache holds them.
    fn core_gap(&self, runs: &mut PageRuns, seg: &CoreSegment, from: u64, to: u64) {
        let Some(ino) = seg.ino.filter(|_| from < to) else {
            runs.push(b'0', to.saturating_sub(from));
            return;
        };
        let index = |vpn: u64| seg.pgoff + (vpn - seg.start);
        let entries = self.inodes[&ino].mapping.i_pages.iter_from(index(from));
        let resident = entries.take_while(|&(i, _)| i < index(to)).map(|(i, e)| {
            (
                seg.start + (i - seg.pgoff),
                b'0' + u8::from(self.entry_resident(e)),
            )
        });
        runs.spaced(from, to, b'0', resident);
    }

    /// The `core.NAME` observable: `mincore` as `1`/`0` per page.
    pub fn core_string(&self, pid: Pid, addr: u64, len: u64) -> String {
        match self.mincore(pid, addr, len) {
            Ok(v) => v.iter().map(|&b| if b != 0 { '1' } else { '0' }).collect(),
            Err(_) => "none".into(),
        }
    }

    /// The `data.PATH` observable: per page of the file, `d` data (in RAM, in
    /// swap or on disk) or `-` a hole, as `lseek(SEEK_DATA/SEEK_HOLE)` tells.
    pub fn data_string(&self, ino: u32) -> String {
        let (runs, more) = self.data_runs(ino);
        runs.unfolded() + &more
    }

    /// [`Kernel::data_string`] as its runs and what it leaves out, at the
    /// cost of the pages and blocks the file has.
    pub fn data_runs(&self, ino: u32) -> (PageRuns, String) {
        let inode = &self.inodes[&ino];
        let (shown, more) = crate::backend::observed_pages(inode.size_pages());
        let mut runs = PageRuns::default();
        let crate::fs::vfs::InodeKind::Disk { blocks } = &inode.kind else {
            // Only the cache holds data: read it by runs.
            let cached = inode.mapping.i_pages.runs();
            let data = cached
                .take_while(|&(i, _, _)| i < shown)
                .map(|(i, n, _)| (i, n.min(shown - i), b'd'));
            runs.spaced_runs(0, shown, b'-', data);
            return (runs, more);
        };
        let cached = inode.mapping.i_pages.iter().map(|(i, _)| i);
        let data = merged(cached, blocks.keys().copied());
        runs.spaced(
            0,
            shown,
            b'-',
            data.take_while(|&i| i < shown).map(|i| (i, b'd')),
        );
        (runs, more)
    }

    /// The sim-only `cache.PATH` observable: per page index up to `i_size`
    /// (or the last entry, if further), `P` page, `x` exceptional entry, `-` empty.
    pub fn cache_string(&self, ino: u32) -> String {
        let (runs, more) = self.cache_runs(ino);
        runs.unfolded() + &more
    }

    /// [`Kernel::cache_string`] as its runs and what it leaves out, at the
    /// cost of the entries the cache holds.
    pub fn cache_runs(&self, ino: u32) -> (PageRuns, String) {
        let tree = &self.inodes[&ino].mapping.i_pages;
        let last = tree.last().map_or(0, |(i, _)| i + 1);
        let (shown, more) =
            crate::backend::observed_pages(self.inodes[&ino].size_pages().max(last));
        let letter = |e: CacheEntry| {
            if matches!(e, CacheEntry::Swap(_)) {
                b'x'
            } else {
                b'P'
            }
        };
        // A full leaf of one kind is one run (`RadixTree::runs`).
        let entries = tree.runs().take_while(|&(i, _, _)| i < shown);
        let mut runs = PageRuns::default();
        runs.spaced_runs(
            0,
            shown,
            b'-',
            entries.map(|(i, n, e)| (i, n.min(shown - i), letter(e))),
        );
        (runs, more)
    }

    /// The sim-only `slot.PATH.N` observable: the raw word in slot `n` as
    /// the era writes it, and what it decodes to.
    pub fn slot_string(&self, ino: u32, n: u64) -> String {
        let enc = self.cfg.encoding;
        match self.inodes[&ino].mapping.i_pages.lookup(n) {
            None => "0x0 (empty)".into(),
            Some(e @ CacheEntry::Page(pfn)) => {
                format!(
                    "{:#x} (page, pfn {pfn:#x})",
                    crate::klib::radix_tree::RadixItem::raw_word(&e, enc)
                )
            }
            Some(e @ CacheEntry::Swap(s)) => format!(
                "{:#x} (swap type {}, offset {:#x})",
                crate::klib::radix_tree::RadixItem::raw_word(&e, enc),
                enc.swp_type(s),
                enc.swp_offset(s)
            ),
        }
    }

    /// The `df.PATH` observable: kB used on the mount holding `path`
    /// (statvfs: blocks - free).
    pub fn df_used_kb(&self, path: &str) -> Option<u64> {
        let path = crate::fs::vfs::normalize_path(path).ok()?;
        let sb = &self.sbs[self.sb_of_path(&path)];
        let st = self.statfs_sb(sb);
        Some((st.blocks - st.bfree) * st.bsize / 1024)
    }
}

/// PTEs in one page table (`PTRS_PER_PTE`): `walk_page_range` calls
/// `smaps_pte_range` once for each.
pub const PTRS_PER_PTE: u64 = 512;

/// A VMA's smaps counters by page table, as [`Kernel::smaps_parts`] reads
/// them: kept by a front end from one step to the next so that a step that
/// touched a few PTEs costs a few page tables, not the whole VMA.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SmapsParts {
    /// The VMA read (`vm_start`, `vm_end`).
    vma: (u64, u64),
    /// What each page table's part of the VMA adds, by the table's index
    /// from the VMA's first; a table that adds nothing has no entry.
    tables: BTreeMap<u64, SmapsView>,
    /// `shmem_swap_usage`, in kB.
    swap_kb: u64,
}

impl SmapsParts {
    /// The VMA's counters, as `show_smap` prints them.
    pub fn total(&self) -> SmapsView {
        let mut s = SmapsView {
            swap_kb: self.swap_kb,
            ..SmapsView::default()
        };
        for t in self.tables.values() {
            s.add(t);
        }
        s
    }
}

/// One VMA's piece of a `mincore` range (pages `start..end`).
struct CoreSegment {
    start: u64,
    end: u64,
    ino: Option<u32>,
    /// The file page index of page `start`.
    pgoff: u64,
    owner: bool,
}

/// The indexes of two ascending iterators, ascending, each once.
fn merged(a: impl Iterator<Item = u64>, b: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    std::iter::from_fn(move || match (a.peek().copied(), b.peek().copied()) {
        (Some(x), Some(y)) => {
            if x <= y {
                a.next();
            }
            if y <= x {
                b.next();
            }
            Some(x.min(y))
        }
        (Some(_), None) => a.next(),
        (None, _) => b.next(),
    })
}

/// A per-page string as its runs (`[(P, 786432)]`), as the model's and
/// the host's readers build it: its cost is its runs, not its pages, so
/// an observable of a 90 GiB file is a few bytes from first to last.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageRuns {
    runs: Vec<(u8, u64)>,
}

impl PageRuns {
    /// `n` more pages of kind `c` (one of `Ps-01dx`).
    pub fn push(&mut self, c: u8, n: u64) {
        if n == 0 {
            return;
        }
        match self.runs.last_mut() {
            Some((last, m)) if *last == c => *m += n,
            _ => self.runs.push((c, n)),
        }
    }

    /// Pages `from..to`: each of `pages` (ascending `(page, kind)` inside
    /// the range) where it says, `gap` between and around them.
    pub fn spaced(
        &mut self,
        from: u64,
        to: u64,
        gap: u8,
        pages: impl IntoIterator<Item = (u64, u8)>,
    ) {
        self.spaced_runs(from, to, gap, pages.into_iter().map(|(p, c)| (p, 1, c)));
    }

    /// [`PageRuns::spaced`] of runs: `(page, n, c)` is `n` pages `c` from
    /// `page` on.
    pub fn spaced_runs(
        &mut self,
        from: u64,
        to: u64,
        gap: u8,
        runs: impl IntoIterator<Item = (u64, u64, u8)>,
    ) {
        let mut at = from;
        for (page, n, c) in runs {
            self.push(gap, page - at);
            self.push(c, n);
            at = page + n;
        }
        self.push(gap, to - at);
    }

    /// The pages it holds.
    pub fn pages(&self) -> u64 {
        self.runs.iter().map(|&(_, n)| n).sum()
    }

    /// The string, folded as [`fold_pages`] folds it spelled out, then `more`.
    pub fn folded(&self, more: &str) -> String {
        let mut pieces: Vec<String> = Vec::new();
        let mut literal = String::new();
        for &(c, n) in &self.runs {
            if n >= FOLDED_RUN as u64 {
                if !literal.is_empty() {
                    pieces.push(std::mem::take(&mut literal));
                }
                pieces.push(format!("{} x {n}", c as char));
            } else {
                literal.extend(std::iter::repeat_n(c as char, n as usize));
            }
        }
        if !literal.is_empty() {
            pieces.push(literal);
        }
        pieces.join(", ") + more
    }

    /// The string spelled out page by page (for small objects and tests).
    pub fn unfolded(&self) -> String {
        self.runs
            .iter()
            .flat_map(|&(c, n)| std::iter::repeat_n(c as char, n as usize))
            .collect()
    }
}

impl FromIterator<u8> for PageRuns {
    /// One page per byte.
    fn from_iter<I: IntoIterator<Item = u8>>(pages: I) -> PageRuns {
        let mut runs = PageRuns::default();
        for c in pages {
            runs.push(c, 1);
        }
        runs
    }
}

/// A run of at least this many pages of one kind folds in a per-page
/// string (`P x 786432`); shorter runs print page by page, so a string of
/// a few pages (every bundled scenario's, 32 at most) reads as it always
/// has.
pub const FOLDED_RUN: usize = 64;

/// The characters of per-page strings (`pte`, `core`, `data`, `cache`).
const PAGE_CHARS: &str = "Ps-01dx";

/// A per-page string with its long runs folded: `PP-` stays `PP-`, a
/// mapping of 786,432 present pages reads `P x 786432`, and pieces join
/// with `, ` (`PP-, P x 4096, -`). What follows the pages (` (+N pages)`)
/// and a reading that is not a page string (`none`, `(sim only)`) are
/// left as they are.
pub fn fold_pages(s: &str) -> String {
    let head = s.find(|c: char| !PAGE_CHARS.contains(c)).unwrap_or(s.len());
    let (pages, tail) = s.split_at(head);
    let bytes = pages.as_bytes();
    let mut pieces: Vec<String> = Vec::new();
    let mut literal = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let run = bytes[i..].iter().take_while(|&&b| b == bytes[i]).count();
        if run >= FOLDED_RUN {
            if !literal.is_empty() {
                pieces.push(std::mem::take(&mut literal));
            }
            pieces.push(format!("{} x {run}", bytes[i] as char));
        } else {
            literal.push_str(&pages[i..i + run]);
        }
        i += run;
    }
    if !literal.is_empty() {
        pieces.push(literal);
    }
    pieces.join(", ") + tail
}

/// The runs of a per-page string, folded or not or a mix (`"P x 3, -"`
/// and `"PPP-"` are both `[(P, 3), (-, 1)]`), adjacent runs of one kind
/// joined, and what follows the pages (` (+N pages)`). `None` when `s` is
/// not a page string. Costs what the string holds, not the pages it names.
pub fn page_runs(s: &str) -> Option<(Vec<(u8, u64)>, &str)> {
    let (pages, tail) = match s.find(" (+") {
        Some(i) => s.split_at(i),
        None => (s, ""),
    };
    let mut runs: Vec<(u8, u64)> = Vec::new();
    let mut add = |c: u8, n: u64| match runs.last_mut() {
        Some((last, m)) if *last == c => *m = m.saturating_add(n),
        _ => runs.push((c, n)),
    };
    if pages.is_empty() {
        return Some((runs, tail));
    }
    for piece in pages.split(", ") {
        match piece.split_once(" x ") {
            Some((c, n)) if c.len() == 1 && PAGE_CHARS.contains(c) => {
                let n: u64 = n.parse().ok().filter(|&n| n > 0)?;
                add(c.as_bytes()[0], n);
            }
            Some(_) => return None,
            None if !piece.is_empty() && piece.chars().all(|c| PAGE_CHARS.contains(c)) => {
                for b in piece.bytes() {
                    add(b, 1);
                }
            }
            None => return None,
        }
    }
    Some((runs, tail))
}

/// Does `s` spell pages of `alphabet` only, folded or not?
pub fn is_page_string(s: &str, alphabet: &str) -> bool {
    page_runs(s).is_some_and(|(runs, tail)| {
        tail.is_empty() && runs.iter().all(|&(c, _)| alphabet.as_bytes().contains(&c))
    })
}

/// A per-page string as one character a page again: the inverse of
/// [`fold_pages`], for any mix of folded and unfolded pieces (`"P x 3, -"`
/// is `"PPP-"`). `None` when `s` is not a page string or names more than
/// 2^32 pages.
pub fn unfold_pages(s: &str) -> Option<String> {
    let (runs, tail) = page_runs(s)?;
    if runs.iter().map(|&(_, n)| n).sum::<u64>() > 1 << 32 {
        return None;
    }
    let mut out = String::new();
    for (c, n) in runs {
        out.extend(std::iter::repeat_n(c as char, n as usize));
    }
    Some(out + tail)
}

/// Page `n` of a per-page string, folded or not: its one character.
pub fn nth_page(s: &str, n: u64) -> Option<char> {
    let (runs, _) = page_runs(s)?;
    let mut first = 0u64;
    for (c, len) in runs {
        if n < first + len {
            return Some(c as char);
        }
        first += len;
    }
    None
}

/// Do two spellings of a per-page string name the same pages, folded or
/// not (`"P x 64"` and sixty-four `P`s)? Compared run by run, without
/// spelling either out.
pub fn same_pages(a: &str, b: &str) -> bool {
    a == b || matches!((page_runs(a), page_runs(b)), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Page strings with long runs: runs of one page kind, of any length.
    fn pages() -> impl Strategy<Value = String> {
        prop::collection::vec((0usize..7, 1usize..200), 0..12).prop_map(|runs| {
            runs.into_iter()
                .map(|(c, n)| PAGE_CHARS[c..=c].repeat(n))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn fold_then_unfold_is_the_string(s in pages(), more in prop::option::of(1u64..1_000_000)) {
            let s = match more {
                Some(n) => format!("{s} (+{n} pages)"),
                None => s,
            };
            let folded = fold_pages(&s);
            prop_assert!(folded.len() <= s.len() + 2 * s.len() / FOLDED_RUN + 2);
            prop_assert_eq!(unfold_pages(&folded), Some(s.clone()));
            prop_assert!(same_pages(&folded, &s));
        }

        #[test]
        fn a_folded_and_an_unfolded_expectation_agree(s in pages(), cut in 0usize..2000) {
            // Any mix of pieces, folded or not, names the same pages.
            let cut = cut.min(s.len());
            let mixed = [fold_pages(&s[..cut]), s[cut..].to_string()]
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            prop_assert!(same_pages(&mixed, &s));
            prop_assert!(same_pages(&mixed, &fold_pages(&s)));
            if !s.is_empty() {
                let other = s.replacen(&s[..1], if &s[..1] == "P" { "-" } else { "P" }, 1);
                prop_assert!(!same_pages(&fold_pages(&other), &s));
            }
        }
    }

    #[test]
    fn short_strings_stay_as_they_are() {
        for s in [
            "",
            "P",
            "PP-s",
            "none",
            "(sim only)",
            &"d".repeat(FOLDED_RUN - 1),
        ] {
            assert_eq!(fold_pages(s), s);
        }
        let six_gib = "P".repeat(786_432);
        assert_eq!(fold_pages(&six_gib), "P x 786432");
        let mixed = format!("PP-{}-{} (+5 pages)", "1".repeat(100), "0".repeat(64));
        assert_eq!(fold_pages(&mixed), "PP-, 1 x 100, -, 0 x 64 (+5 pages)");
        assert_eq!(unfold_pages("P x 2, s"), Some("PPs".into()));
        assert_eq!(unfold_pages("Q x 2"), None);
        assert_eq!(unfold_pages("none"), None);
        assert_eq!(nth_page("PP-, 1 x 100", 50), Some('1'));
        assert_eq!(nth_page("PP-, 1 x 100", 103), None);
        assert!(is_page_string("P x 18446744073709551615", "Ps-"));
        assert!(!same_pages("P x 18446744073709551615", "P"));
        assert!(!is_page_string("P x 0", "Ps-"));
        assert!(!is_page_string("1 x 2", "Ps-"));
    }
}
