//! Counters: the node page state and the VM events.
//!
//! Mirrors `include/linux/mmzone.h` (`enum node_stat_item`), `mm/vmstat.c`
//! (`__mod_node_page_state`) and `include/linux/vm_event_item.h`. The model
//! updates each counter where the kernel does; [`Kernel::check_invariants`]
//! recounts them from the frames and compares.
//!
//! [`Kernel::check_invariants`]: crate::kernel::Kernel::check_invariants

use serde::Serialize;

/// The counters, in pages (events in counts).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VmStat {
    /// `NR_FILE_PAGES`: page-cache pages of every file (shmem included) plus
    /// the swap cache.
    pub nr_file_pages: i64,
    /// `NR_SHMEM`: shmem/tmpfs pages in the page cache (not those in the swap cache).
    pub nr_shmem: i64,
    /// `NR_ANON_MAPPED`: anonymous pages mapped by some PTE (meminfo `AnonPages`).
    pub nr_anon_mapped: i64,
    /// `NR_FILE_MAPPED`: file and shmem pages mapped by some PTE (meminfo `Mapped`).
    pub nr_file_mapped: i64,
    /// `NR_FILE_DIRTY`: dirty pages of files with dirty accounting (not shmem).
    pub nr_file_dirty: i64,
    /// `NR_WRITEBACK`.
    pub nr_writeback: i64,
    /// Pages in the swap cache (`total_swapcache_pages()`, meminfo `SwapCached`).
    pub nr_swapcache: i64,
    /// `PGFAULT`: every fault.
    pub pgfault: u64,
    /// `PGMAJFAULT`: faults that had to read from disk or swap.
    pub pgmajfault: u64,
    /// `PGPGIN`: pages read from disk.
    pub pgpgin: u64,
    /// `PGPGOUT`: pages written to disk.
    pub pgpgout: u64,
    /// `PSWPIN`: pages read from swap.
    pub pswpin: u64,
    /// `PSWPOUT`: pages written to swap.
    pub pswpout: u64,
}
