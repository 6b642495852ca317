//! `mm/`: memory management.
pub mod filemap;
pub mod madvise;
pub mod memfd;
pub mod memory;
pub mod mlock;
pub mod mmap;
pub mod mremap;
pub mod page;
pub mod pgtable;
pub mod rmap;
pub mod shmem;
pub mod swap_state;
pub mod swapfile;
pub mod swapops;
pub mod vmscan;
pub mod vmstat;
