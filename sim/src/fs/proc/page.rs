//! `/proc/kpageflags`: the bits Linux 4.14 `fs/proc/page.c`
//! (`stable_page_flags`) reports, as `include/uapi/linux/kernel-page-flags.h`
//! and `include/linux/kernel-page-flags.h` number them.

/// `/proc/kpageflags` bit numbers (`include/uapi/linux/kernel-page-flags.h`
/// of 4.14, then the kernel-internal ones of `include/linux/kernel-page-flags.h`).
pub const KPF_LOCKED: u32 = 0;
pub const KPF_ERROR: u32 = 1;
pub const KPF_REFERENCED: u32 = 2;
pub const KPF_UPTODATE: u32 = 3;
pub const KPF_DIRTY: u32 = 4;
pub const KPF_LRU: u32 = 5;
pub const KPF_ACTIVE: u32 = 6;
pub const KPF_SLAB: u32 = 7;
pub const KPF_WRITEBACK: u32 = 8;
pub const KPF_RECLAIM: u32 = 9;
pub const KPF_BUDDY: u32 = 10;
pub const KPF_MMAP: u32 = 11;
pub const KPF_ANON: u32 = 12;
pub const KPF_SWAPCACHE: u32 = 13;
pub const KPF_SWAPBACKED: u32 = 14;
pub const KPF_COMPOUND_HEAD: u32 = 15;
pub const KPF_COMPOUND_TAIL: u32 = 16;
pub const KPF_HUGE: u32 = 17;
pub const KPF_UNEVICTABLE: u32 = 18;
pub const KPF_HWPOISON: u32 = 19;
pub const KPF_NOPAGE: u32 = 20;
pub const KPF_KSM: u32 = 21;
pub const KPF_THP: u32 = 22;
pub const KPF_BALLOON: u32 = 23;
pub const KPF_ZERO_PAGE: u32 = 24;
pub const KPF_IDLE: u32 = 25;
pub const KPF_RESERVED: u32 = 32;
pub const KPF_MLOCKED: u32 = 33;
pub const KPF_MAPPEDTODISK: u32 = 34;
pub const KPF_PRIVATE: u32 = 35;
pub const KPF_PRIVATE_2: u32 = 36;
pub const KPF_OWNER_PRIVATE: u32 = 37;
pub const KPF_ARCH: u32 = 38;
pub const KPF_UNCACHED: u32 = 39;
pub const KPF_SOFTDIRTY: u32 = 40;
/// page-types' own bits, folded in from the pagemap entry.
pub const KPF_FILE: u32 = 61;
pub const KPF_SWAP: u32 = 62;
pub const KPF_MMAP_EXCLUSIVE: u32 = 63;
