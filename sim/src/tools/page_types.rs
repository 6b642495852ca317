//! How `tools/vm/page-types.c` of the 4.14 era names `/proc/kpageflags` bits
//! (`page_flag_names[]`, `page_flag_name`, `page_flag_longname`).

use crate::fs::proc::page::*;

/// `tools/vm/page-types.c` `page_flag_names[]` of the 4.14 era: bit, short
/// letter, long name. (page-types' overloaded bits 48-51, readahead and the
/// slab variants, are not modelled.)
const PAGE_FLAG_NAMES: &[(u32, char, &str)] = &[
    (KPF_LOCKED, 'L', "locked"),
    (KPF_ERROR, 'E', "error"),
    (KPF_REFERENCED, 'R', "referenced"),
    (KPF_UPTODATE, 'U', "uptodate"),
    (KPF_DIRTY, 'D', "dirty"),
    (KPF_LRU, 'l', "lru"),
    (KPF_ACTIVE, 'A', "active"),
    (KPF_SLAB, 'S', "slab"),
    (KPF_WRITEBACK, 'W', "writeback"),
    (KPF_RECLAIM, 'I', "reclaim"),
    (KPF_BUDDY, 'B', "buddy"),
    (KPF_MMAP, 'M', "mmap"),
    (KPF_ANON, 'a', "anonymous"),
    (KPF_SWAPCACHE, 's', "swapcache"),
    (KPF_SWAPBACKED, 'b', "swapbacked"),
    (KPF_COMPOUND_HEAD, 'H', "compound_head"),
    (KPF_COMPOUND_TAIL, 'T', "compound_tail"),
    (KPF_HUGE, 'G', "huge"),
    (KPF_UNEVICTABLE, 'u', "unevictable"),
    (KPF_HWPOISON, 'X', "hwpoison"),
    (KPF_NOPAGE, 'n', "nopage"),
    (KPF_KSM, 'x', "ksm"),
    (KPF_THP, 't', "thp"),
    (KPF_BALLOON, 'o', "balloon"),
    (KPF_ZERO_PAGE, 'z', "zero_page"),
    (KPF_IDLE, 'i', "idle_page"),
    (KPF_RESERVED, 'r', "reserved"),
    (KPF_MLOCKED, 'm', "mlocked"),
    (KPF_MAPPEDTODISK, 'd', "mappedtodisk"),
    (KPF_PRIVATE, 'P', "private"),
    (KPF_PRIVATE_2, 'p', "private_2"),
    (KPF_OWNER_PRIVATE, 'O', "owner_private"),
    (KPF_ARCH, 'h', "arch"),
    (KPF_UNCACHED, 'c', "uncached"),
    (KPF_SOFTDIRTY, 'f', "softdirty"),
    (KPF_FILE, 'F', "file"),
    (KPF_SWAP, 'w', "swap"),
    (KPF_MMAP_EXCLUSIVE, '1', "mmap_exclusive"),
];

/// The long names of the set `KPF_*` bits, in bit order
/// (`["uptodate", "dirty", "lru", "active", "swapbacked"]`). Unnamed bits are
/// left out.
pub fn kpageflags_names(flags: u64) -> Vec<&'static str> {
    PAGE_FLAG_NAMES
        .iter()
        .filter(|(bit, _, _)| flags & (1 << bit) != 0)
        .map(|(_, _, name)| *name)
        .collect()
}

/// page-types' `page_flag_longname()`: the names joined by commas
/// (`uptodate,dirty,lru,active,swapbacked`).
pub fn page_flag_longname(flags: u64) -> String {
    kpageflags_names(flags).join(",")
}

/// page-types' `page_flag_name()`: one column per named bit, its letter when
/// set and `_` when not (`___UDlA_______b______________________`).
pub fn page_flag_string(flags: u64) -> String {
    PAGE_FLAG_NAMES
        .iter()
        .map(|(bit, c, _)| if flags & (1 << bit) != 0 { *c } else { '_' })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn kpageflags() {
        let f = (1 << KPF_UPTODATE)
            | (1 << KPF_DIRTY)
            | (1 << KPF_LRU)
            | (1 << KPF_ACTIVE)
            | (1 << KPF_SWAPBACKED);
        assert_eq!(
            kpageflags_names(f),
            vec!["uptodate", "dirty", "lru", "active", "swapbacked"]
        );
        assert_eq!(
            page_flag_longname(f),
            "uptodate,dirty,lru,active,swapbacked"
        );
        assert_eq!(
            page_flag_string(f),
            "___UDlA_______b_______________________"
        );
        assert_eq!(page_flag_string(f).len(), 38);
        let mapped_shmem = (1u64 << KPF_MMAP) | (1 << KPF_SWAPBACKED) | (1 << KPF_FILE);
        assert_eq!(page_flag_longname(mapped_shmem), "mmap,swapbacked,file");
        assert_eq!(page_flag_longname(0), "");
    }
}
