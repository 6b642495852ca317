//! # shmsim's kernel model
//!
//! A user-space model of how Linux (4.14 is the home era) shares memory:
//! the page cache radix tree with its exceptional swap entries, tmpfs and the
//! kernel's internal shm mount, processes with VMAs and page tables, page
//! faults, and the counters that `/proc/meminfo` and `free` print.
//!
//! Modules mirror the kernel files they model, so that a student can put the
//! simulator's code beside the kernel's:
//!
//! | module | kernel file |
//! | --- | --- |
//! | [`klib::radix_tree`] | `lib/radix-tree.c`, `include/linux/radix-tree.h` (and the XArray encoding, `include/linux/xarray.h`) |
//! | [`mm::swapops`] | `include/linux/swapops.h`, `include/linux/swap.h` |
//! | [`mm::page`] | `include/linux/mm_types.h` (`struct page`), `include/linux/page-flags.h`, `mm/page_alloc.c` |
//! | [`mm::filemap`] | `mm/filemap.c` (page cache insert/delete, `filemap_map_pages`, writeback) |
//! | [`mm::shmem`] | `mm/shmem.c` (tmpfs, `shmem_getpage_gfp`, `shmem_fault`, `shmem_zero_setup`) |
//! | [`mm::memory`] | `mm/memory.c` (`handle_mm_fault`, `do_read_fault`, `do_cow_fault`, `do_shared_fault`, `do_anonymous_page`, `do_wp_page`, `copy_page_range`, `zap_pte_range`) |
//! | [`mm::mmap`] | `mm/mmap.c`, `mm/mprotect.c`, `mm/msync.c`, `mm/util.c` (`do_mmap`, `munmap`, top-down address choice) |
//! | [`mm::rmap`] | `mm/rmap.c` (reverse map walk, `page_add_*_rmap`, `page_remove_rmap`) |
//! | [`mm::madvise`] | `mm/madvise.c` |
//! | [`mm::swapfile`] | `mm/swapfile.c` (swap areas, `swap_map`, `get_swap_page`, `swap_free`) |
//! | [`mm::swap_state`] | `mm/swap_state.c` (the swap cache) |
//! | [`mm::vmscan`] | `mm/vmscan.c`, `mm/swap.c`, `mm/oom_kill.c` (LRU lists, reclaim, `MADV_PAGEOUT`, the OOM killer) |
//! | [`mm::vmstat`] | `mm/vmstat.c`, `include/linux/mmzone.h` (`NR_FILE_PAGES`, `NR_SHMEM`, ...) |
//! | [`fs::vfs`] | `fs/open.c`, `fs/read_write.c`, `fs/namei.c`, `fs/statfs.c` (mounts, inodes, fd tables) |
//! | [`fs::proc::meminfo`] | `fs/proc/meminfo.c` |
//! | [`fs::proc::task_mmu`] | `fs/proc/task_mmu.c` (`/proc/PID/maps`, `smaps`, `pagemap`) |
//! | [`fs::proc::page`] | `fs/proc/page.c` (`/proc/kpageflags` bits) |
//! | [`ipc::util`], [`ipc::shm`] | `ipc/util.c`, `ipc/shm.c` (System V shared memory) |
//! | [`process`] | `kernel/fork.c`, `kernel/exit.c` |
//! | [`sys`] | `kernel/sys.c` (`setuid`, `setresuid`, `umask`, `setrlimit`), `kernel/time/hrtimer.c` (`nanosleep`) |
//! | [`invariants`] | not in the kernel: every invariant the kernel states, checked at once |
//! | [`glibc`] | glibc `rt/shm_open.c`, `posix/shm-directory.c`, `sysvipc/ftok.c`, `misc/mkstemp.c` |
//! | [`kernel`] | the `Kernel`: owns every table; one way in (a syscall or event), one way out |
//! | [`trace`] | not in the kernel: the record of kernel functions an operation went through |
//! | [`tools`] | not in the kernel: procps `free` and `pmap`, coreutils `df` and `ls`, gnulib `human.c`, `tools/vm/page-types.c` |
//! | [`view`] | not in the kernel: read-only views of the tables (page caches, page tables, frames, swap, System V, counters) for the TUI |
//!
//! Principles: one owned [`kernel::Kernel`], no globals, no wall clock, no
//! unseeded randomness; a process-visible failure is an [`errno::Errno`]; a
//! broken internal invariant is a panic that names the invariant.

pub mod backend;
pub mod compare;
pub mod errno;
pub mod fs;
pub mod glibc;
pub mod invariants;
pub mod ipc;
pub mod kernel;
pub mod klib;
pub mod mm;
pub mod observe;
pub mod process;
#[cfg(target_os = "linux")]
pub mod real;
pub mod runner;
pub mod scenario;
pub mod sys;
pub mod syscalls;
pub mod tools;
pub mod trace;
pub mod transcript;
pub mod view;
