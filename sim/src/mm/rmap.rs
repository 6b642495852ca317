//! The reverse map: from a page to the PTEs that map it.
//!
//! Mirrors `mm/rmap.c` (4.14): `page_add_file_rmap`, `page_add_new_anon_rmap`,
//! `page_add_anon_rmap`, `page_dup_rmap`, `page_remove_rmap`, `rmap_walk`,
//! `page_mkclean`.
//!
//! The kernel finds the mappers of a file page through the file's `i_mmap`
//! interval tree, and those of an anonymous page through its `anon_vma`
//! chain; in both cases the address is `vma->vm_start + ((page->index -
//! vma->vm_pgoff) << PAGE_SHIFT)`. The model walks the same VMAs (those
//! mapping the file, or sharing the `anon_vma`), computing addresses the same
//! way, and keeps no per-page list: `page->mapping` and `page->index` are all
//! it needs, as in the kernel.
//!
//! Simplification: at fork the kernel gives the child VMA its own `anon_vma`
//! linked to the parent's; the model lets parent and child share one id, which
//! visits the same VMAs when a page is looked up.

use crate::kernel::{Kernel, Pid, Pte};
use crate::mm::page::{Mapping, Pfn, PAGE_SIZE};
use crate::trace::{Counter, Touch};

impl Kernel {
    /// `page_add_file_rmap`: one more PTE maps this page-cache page; the first
    /// one counts it in `NR_FILE_MAPPED`. The PTE holds a page reference.
    pub(crate) fn page_add_file_rmap(&mut self, pfn: Pfn) {
        let page = self.mem.page_mut(pfn);
        page.refcount += 1;
        page.mapcount += 1;
        if page.mapcount == 1 {
            self.mod_node_page_state(Counter::FileMapped, 1);
        }
    }

    /// `page_add_new_anon_rmap`: a new anonymous page's first mapping; the
    /// allocation's reference becomes the PTE's.
    pub(crate) fn page_add_new_anon_rmap(&mut self, pfn: Pfn, anon_vma: u32, index: u64) {
        let page = self.mem.page_mut(pfn);
        page.mapcount = 1;
        page.set_mapping(Mapping::Anon(anon_vma));
        page.index = index;
        page.set(crate::mm::page::pg::SWAPBACKED);
        self.mod_node_page_state(Counter::AnonMapped, 1);
    }

    /// `page_add_anon_rmap` (swap-in): maps an anonymous page again; the first
    /// mapping sets `page->mapping` (`__page_set_anon_rmap`).
    pub(crate) fn page_add_anon_rmap(&mut self, pfn: Pfn, anon_vma: u32, index: u64) {
        let page = self.mem.page_mut(pfn);
        page.refcount += 1;
        page.mapcount += 1;
        page.set(crate::mm::page::pg::SWAPBACKED);
        if page.mapcount == 1 {
            page.set_mapping(Mapping::Anon(anon_vma));
            page.index = index;
            self.mod_node_page_state(Counter::AnonMapped, 1);
        }
    }

    /// `page_dup_rmap` + `get_page` (fork): one more PTE maps the page.
    pub(crate) fn page_dup_rmap(&mut self, pfn: Pfn) {
        let page = self.mem.page_mut(pfn);
        assert!(
            page.mapcount > 0,
            "invariant: fork duplicates only mapped pages (pfn {pfn})"
        );
        page.refcount += 1;
        page.mapcount += 1;
    }

    /// `page_remove_rmap`: one PTE fewer; the last one takes the page out of
    /// `NR_ANON_MAPPED` or `NR_FILE_MAPPED`. The caller drops the PTE's
    /// reference with `put_page`.
    pub(crate) fn page_remove_rmap(&mut self, pfn: Pfn) {
        let page = self.mem.page_mut(pfn);
        assert!(
            page.mapcount > 0,
            "invariant: page_remove_rmap of an unmapped page (pfn {pfn})"
        );
        page.mapcount -= 1;
        if page.mapcount == 0 {
            match page.mapping() {
                Mapping::Anon(_) => self.mod_node_page_state(Counter::AnonMapped, -1),
                _ => self.mod_node_page_state(Counter::FileMapped, -1),
            }
        }
    }

    /// `rmap_walk`: every (process, address) whose PTE maps frame `pfn`, in
    /// pid and address order.
    pub fn rmap_walk(&self, pfn: Pfn) -> Vec<(Pid, u64)> {
        let page = self.mem.page(pfn);
        let mut found = Vec::new();
        for (pid, task) in self.tasks.iter() {
            for vma in task.mm.vmas.values() {
                let candidate = match page.mapping() {
                    Mapping::File(ino) => self.vma_inode(vma) == Some(ino),
                    Mapping::Anon(av) => vma.anon_vma == Some(av),
                    Mapping::None => false,
                };
                if !candidate || page.index < vma.pgoff || page.index >= vma.pgoff + vma.pages() {
                    continue;
                }
                let addr = vma.start + (page.index - vma.pgoff) * PAGE_SIZE;
                if matches!(task.mm.pte(addr), Some(Pte::Present { pfn: p, .. }) if p == pfn) {
                    found.push((pid, addr));
                }
            }
        }
        found
    }

    /// `page_mkclean`: write-protects and cleans every PTE that maps a page
    /// (before writeback, so that the next write faults and dirties it again).
    pub(crate) fn page_mkclean(&mut self, pfn: Pfn) {
        self.trace.leaf("page_mkclean", "mm/rmap.c");
        for (pid, addr) in self.rmap_walk(pfn) {
            let mm = &mut self.tasks.get_mut(&pid).expect("live").mm;
            if let Some(Pte::Present { pfn, young, .. }) = mm.pte(addr) {
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
                        young,
                    },
                );
            }
        }
    }
}
