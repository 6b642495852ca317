//! `/proc/PID/maps`, `/proc/PID/smaps` and `/proc/PID/pagemap`: Linux 4.14
//! `fs/proc/task_mmu.c` (`show_map_vma`, `show_smap`, `show_smap_vma_flags`,
//! `pte_to_pagemap_entry`), `fs/seq_file.c` (`seq_pad`), the `vm_flags` bits
//! of `include/linux/mm.h` and `Documentation/vm/pagemap.txt`.

use serde::Serialize;
use std::fmt::Write as _;

/// `vm_flags` bits of Linux 4.14 (`include/linux/mm.h`).
pub const VM_READ: u64 = 1 << 0;
pub const VM_WRITE: u64 = 1 << 1;
pub const VM_EXEC: u64 = 1 << 2;
pub const VM_SHARED: u64 = 1 << 3;
pub const VM_MAYREAD: u64 = 1 << 4;
pub const VM_MAYWRITE: u64 = 1 << 5;
pub const VM_MAYEXEC: u64 = 1 << 6;
pub const VM_MAYSHARE: u64 = 1 << 7;
pub const VM_GROWSDOWN: u64 = 1 << 8;
pub const VM_UFFD_MISSING: u64 = 1 << 9;
pub const VM_PFNMAP: u64 = 1 << 10;
pub const VM_DENYWRITE: u64 = 1 << 11;
pub const VM_UFFD_WP: u64 = 1 << 12;
pub const VM_LOCKED: u64 = 1 << 13;
pub const VM_IO: u64 = 1 << 14;
pub const VM_SEQ_READ: u64 = 1 << 15;
pub const VM_RAND_READ: u64 = 1 << 16;
pub const VM_DONTCOPY: u64 = 1 << 17;
pub const VM_DONTEXPAND: u64 = 1 << 18;
pub const VM_LOCKONFAULT: u64 = 1 << 19;
pub const VM_ACCOUNT: u64 = 1 << 20;
pub const VM_NORESERVE: u64 = 1 << 21;
pub const VM_HUGETLB: u64 = 1 << 22;
pub const VM_ARCH_1: u64 = 1 << 24;
pub const VM_WIPEONFORK: u64 = 1 << 25;
pub const VM_DONTDUMP: u64 = 1 << 26;
pub const VM_SOFTDIRTY: u64 = 1 << 27;
pub const VM_MIXEDMAP: u64 = 1 << 28;
pub const VM_HUGEPAGE: u64 = 1 << 29;
pub const VM_NOHUGEPAGE: u64 = 1 << 30;
pub const VM_MERGEABLE: u64 = 1 << 31;

/// `show_smap_vma_flags()` mnemonics of 4.14 on x86_64, by bit. `"??"` is the
/// kernel's own text for a bit it has no name for (4.14 has none for
/// `VM_LOCKONFAULT` and bit 23); `""` bits (the protection key, 32-35) are
/// skipped, as they come out on the `ProtectionKey:` line instead.
const VM_MNEMONICS: [&str; 64] = {
    let mut t = ["??"; 64];
    t[0] = "rd";
    t[1] = "wr";
    t[2] = "ex";
    t[3] = "sh";
    t[4] = "mr";
    t[5] = "mw";
    t[6] = "me";
    t[7] = "ms";
    t[8] = "gd";
    t[9] = "um";
    t[10] = "pf";
    t[11] = "dw";
    t[12] = "uw";
    t[13] = "lo";
    t[14] = "io";
    t[15] = "sr";
    t[16] = "rr";
    t[17] = "dc";
    t[18] = "de";
    t[20] = "ac";
    t[21] = "nr";
    t[22] = "ht";
    t[24] = "ar";
    t[25] = "wf";
    t[26] = "dd";
    t[27] = "sd";
    t[28] = "mm";
    t[29] = "hg";
    t[30] = "nh";
    t[31] = "mg";
    t[32] = "";
    t[33] = "";
    t[34] = "";
    t[35] = "";
    t[36] = "mp";
    t
};

/// The `vm_flags` that `mmap()` gives a new mapping in 4.14 (`do_mmap`,
/// `mmap_region`): the `PROT_*` bits, `VM_MAYREAD|VM_MAYWRITE|VM_MAYEXEC`,
/// `VM_SHARED|VM_MAYSHARE` for `MAP_SHARED` (minus `VM_MAYWRITE|VM_SHARED`
/// when the file was not opened for writing: an `O_RDONLY` fd, or `shmat`
/// with `SHM_RDONLY`), and `VM_ACCOUNT` for a private writable mapping.
/// For anonymous memory pass `fd_writable = true`.
///
/// So `PROT_READ|PROT_WRITE, MAP_SHARED` reads `rd wr sh mr mw me ms`, and a
/// read-only shared mapping of an `O_RDONLY` fd `rd mr me ms` (both checked
/// on a real host). A 4.14 kernel built with `CONFIG_MEM_SOFT_DIRTY` also sets
/// `VM_SOFTDIRTY` (`sd`) on every new mapping; the CI host's kernel does not,
/// so it is left to the caller.
pub fn mmap_vm_flags(
    prot_read: bool,
    prot_write: bool,
    prot_exec: bool,
    map_shared: bool,
    fd_writable: bool,
) -> u64 {
    let mut f = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
    if prot_read {
        f |= VM_READ;
    }
    if prot_write {
        f |= VM_WRITE;
    }
    if prot_exec {
        f |= VM_EXEC;
    }
    if map_shared {
        f |= VM_SHARED | VM_MAYSHARE;
        if !fd_writable {
            f &= !(VM_MAYWRITE | VM_SHARED);
        }
    } else if prot_write {
        f |= VM_ACCOUNT;
    }
    f
}

/// The `VmFlags:` text of `vm_flags`: each set bit's mnemonic followed by a
/// space, in bit order (`"rd wr sh mr mw me ms "`).
pub fn vm_flags_string(vm_flags: u64) -> String {
    let mut s = String::new();
    for (bit, name) in VM_MNEMONICS.iter().enumerate() {
        if !name.is_empty() && vm_flags & (1 << bit) != 0 {
            s.push_str(name);
            s.push(' ');
        }
    }
    s
}

/// `PSS_SHIFT` of task_mmu.c: Pss is summed in units of 2^-12 bytes so that a
/// page shared by 3 does not lose its thirds.
pub const PSS_SHIFT: u32 = 12;

/// The per-mapping counters `show_smap` prints (4.14's `struct
/// mem_size_stats`), in kB except the two proportional sums.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SmapsView {
    pub rss_kb: u64,
    /// Proportional set size in units of 2^-[`PSS_SHIFT`] bytes (the kernel's
    /// `mss->pss`): each resident page adds `(4096 << 12) / mapcount`.
    /// Printed as `pss >> (10 + PSS_SHIFT)`, truncating.
    pub pss: u64,
    pub shared_clean_kb: u64,
    pub shared_dirty_kb: u64,
    pub private_clean_kb: u64,
    pub private_dirty_kb: u64,
    pub referenced_kb: u64,
    pub anonymous_kb: u64,
    pub lazyfree_kb: u64,
    pub anon_huge_pages_kb: u64,
    pub shmem_pmd_mapped_kb: u64,
    pub shared_hugetlb_kb: u64,
    pub private_hugetlb_kb: u64,
    /// Swapped-out pages of this mapping. For shmem (a shared mapping of a
    /// tmpfs file, /dev/zero or SysV segment) this is the object's swapped
    /// pages within the mapped range (`shmem_swap_usage`), and `swap_pss`
    /// stays 0.
    pub swap_kb: u64,
    /// Like `pss`, for swap entries in the page tables: each adds
    /// `(4096 << 12) / swap_count`.
    pub swap_pss: u64,
    /// `ProtectionKey:` line, printed only on CPUs with protection keys
    /// (`X86_FEATURE_OSPKE`); `None` leaves it out as 4.14 on most machines.
    pub protection_key: Option<u32>,
}

impl SmapsView {
    /// `smaps_account()` of 4.14 for one resident 4 KiB page: `mapcount` is
    /// `page_mapcount()` (how many PTEs map it), `dirty` the PTE's or page's
    /// dirty bit, `referenced` the young bit or `PG_referenced`, `anon` and
    /// `swap_backed` the page's `PageAnon`/`PageSwapBacked` (a clean anonymous
    /// page that is not swap-backed counts as LazyFree).
    pub fn account_page(
        &mut self,
        mapcount: u32,
        dirty: bool,
        referenced: bool,
        anon: bool,
        swap_backed: bool,
    ) {
        if anon {
            self.anonymous_kb += 4;
            if !swap_backed && !dirty {
                self.lazyfree_kb += 4;
            }
        }
        self.rss_kb += 4;
        if referenced {
            self.referenced_kb += 4;
        }
        if mapcount >= 2 {
            if dirty {
                self.shared_dirty_kb += 4;
            } else {
                self.shared_clean_kb += 4;
            }
            self.pss += (4096u64 << PSS_SHIFT) / u64::from(mapcount);
        } else {
            if dirty {
                self.private_dirty_kb += 4;
            } else {
                self.private_clean_kb += 4;
            }
            self.pss += 4096u64 << PSS_SHIFT;
        }
    }

    /// Adds the counters of `o` (another part of the same VMA) to these.
    pub fn add(&mut self, o: &SmapsView) {
        self.rss_kb += o.rss_kb;
        self.pss += o.pss;
        self.shared_clean_kb += o.shared_clean_kb;
        self.shared_dirty_kb += o.shared_dirty_kb;
        self.private_clean_kb += o.private_clean_kb;
        self.private_dirty_kb += o.private_dirty_kb;
        self.referenced_kb += o.referenced_kb;
        self.anonymous_kb += o.anonymous_kb;
        self.lazyfree_kb += o.lazyfree_kb;
        self.anon_huge_pages_kb += o.anon_huge_pages_kb;
        self.shmem_pmd_mapped_kb += o.shmem_pmd_mapped_kb;
        self.shared_hugetlb_kb += o.shared_hugetlb_kb;
        self.private_hugetlb_kb += o.private_hugetlb_kb;
        self.swap_kb += o.swap_kb;
        self.swap_pss += o.swap_pss;
        self.protection_key = self.protection_key.or(o.protection_key);
    }

    /// `smaps_pte_entry()` for a swap PTE whose slot has `swap_count` users.
    pub fn account_swap_pte(&mut self, swap_count: u32) {
        self.swap_kb += 4;
        self.swap_pss += (4096u64 << PSS_SHIFT) / u64::from(swap_count.max(1));
    }
}

/// One VMA as `/proc/PID/maps` shows it, with its smaps counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct VmaView {
    pub start: u64,
    pub end: u64,
    pub read: bool,
    pub write: bool,
    pub exec: bool,
    /// `VM_MAYSHARE`: `s` rather than `p` in the permissions.
    pub shared: bool,
    /// `vm_pgoff << PAGE_SHIFT` for a file mapping, 0 otherwise.
    pub pgoff_bytes: u64,
    pub dev_major: u32,
    pub dev_minor: u32,
    pub ino: u64,
    /// The path (`/dev/shm/OS`, `/dev/shm/OS (deleted)`, `/dev/zero (deleted)`
    /// for shared anonymous memory, `/SYSV0000162e (deleted)` for a System V
    /// segment), a bracketed name (`[heap]`, `[stack]`), or `""` for
    /// anonymous memory.
    pub name: String,
    /// The full `vm_flags` for `VmFlags:` and `Locked:`; 0 means "derive it
    /// from read/write/exec/shared" with [`mmap_vm_flags`] and a writable fd.
    pub vm_flags: u64,
    pub smaps: SmapsView,
}

impl VmaView {
    /// The permissions `show_map_vma` prints: `r`, `w`, `x` or `-`, then `s`
    /// for `VM_MAYSHARE` or `p` (`"rw-s"`, `"r--p"`, `"---p"`).
    pub fn perms(&self) -> String {
        [
            if self.read { 'r' } else { '-' },
            if self.write { 'w' } else { '-' },
            if self.exec { 'x' } else { '-' },
            if self.shared { 's' } else { 'p' },
        ]
        .iter()
        .collect()
    }

    /// The flags `VmFlags:` prints (see the `vm_flags` field).
    pub fn effective_vm_flags(&self) -> u64 {
        if self.vm_flags != 0 {
            self.vm_flags
        } else {
            mmap_vm_flags(self.read, self.write, self.exec, self.shared, true)
        }
    }
}

/// One `show_map_vma` line, newline included.
///
/// `%08lx-%08lx %c%c%c%c %08llx %02x:%02x %lu ` then, if the mapping has a
/// name, `seq_pad` fills with spaces to column 72 (`25 + sizeof(void *) * 6 -
/// 1`) and adds one more space before the name; an unnamed mapping ends
/// with the space after the inode. A newline inside a path prints as `\012`.
fn map_line(v: &VmaView) -> String {
    let mut s = format!(
        "{:08x}-{:08x} {} {:08x} {:02x}:{:02x} {} ",
        v.start,
        v.end,
        v.perms(),
        v.pgoff_bytes,
        v.dev_major,
        v.dev_minor,
        v.ino
    );
    if !v.name.is_empty() {
        while s.len() < 72 {
            s.push(' ');
        }
        s.push(' ');
        if v.name.starts_with('/') {
            s.push_str(&v.name.replace('\n', "\\012"));
        } else {
            s.push_str(&v.name);
        }
    }
    s.push('\n');
    s
}

/// `/proc/PID/maps`: one `show_map_vma` line per VMA, in the order given (callers
/// pass them sorted by address, as the kernel walks them).
pub fn render_maps(vmas: &[VmaView]) -> String {
    vmas.iter().map(map_line).collect()
}

/// `/proc/PID/smaps` as 4.14's `show_smap` prints it: the maps line, then
/// `Size`, `KernelPageSize`, `MMUPageSize`, `Rss`, `Pss`, `Shared_Clean`,
/// `Shared_Dirty`, `Private_Clean`, `Private_Dirty`, `Referenced`,
/// `Anonymous`, `LazyFree`, `AnonHugePages`, `ShmemPmdMapped`,
/// `Shared_Hugetlb`, `Private_Hugetlb`, `Swap`, `SwapPss`, `Locked` (each
/// `"%-16s%8lu kB"`, except `"Private_Hugetlb: %7lu kB"`), the optional
/// `ProtectionKey:` and `VmFlags:`. Page sizes are 4 kB (no hugetlb).
/// `Locked` is Pss when the VMA is `VM_LOCKED`, else 0. (Kernels from 4.20 on
/// add `Pss_Dirty`, `KSM`, `FilePmdMapped`, `THPeligible` and so on; 4.14 has
/// none of them.)
pub fn render_smaps(vmas: &[VmaView]) -> String {
    let mut out = String::new();
    for v in vmas {
        out.push_str(&map_line(v));
        let m = &v.smaps;
        let flags = v.effective_vm_flags();
        let pss_kb = m.pss >> (10 + PSS_SHIFT);
        let locked = if flags & VM_LOCKED != 0 { pss_kb } else { 0 };
        let fields: [(&str, u64); 16] = [
            ("Size:", (v.end - v.start) >> 10),
            ("KernelPageSize:", 4),
            ("MMUPageSize:", 4),
            ("Rss:", m.rss_kb),
            ("Pss:", pss_kb),
            ("Shared_Clean:", m.shared_clean_kb),
            ("Shared_Dirty:", m.shared_dirty_kb),
            ("Private_Clean:", m.private_clean_kb),
            ("Private_Dirty:", m.private_dirty_kb),
            ("Referenced:", m.referenced_kb),
            ("Anonymous:", m.anonymous_kb),
            ("LazyFree:", m.lazyfree_kb),
            ("AnonHugePages:", m.anon_huge_pages_kb),
            ("ShmemPmdMapped:", m.shmem_pmd_mapped_kb),
            ("Shared_Hugetlb:", m.shared_hugetlb_kb),
            ("Private_Hugetlb:", m.private_hugetlb_kb),
        ];
        for (label, val) in fields {
            if label == "Private_Hugetlb:" {
                let _ = writeln!(out, "Private_Hugetlb: {val:>7} kB");
            } else {
                let _ = writeln!(out, "{label:<16}{val:>8} kB");
            }
        }
        for (label, val) in [
            ("Swap:", m.swap_kb),
            ("SwapPss:", m.swap_pss >> (10 + PSS_SHIFT)),
            ("Locked:", locked),
        ] {
            let _ = writeln!(out, "{label:<16}{val:>8} kB");
        }
        if let Some(pkey) = m.protection_key {
            let _ = writeln!(out, "ProtectionKey:  {pkey:>8}");
        }
        let _ = writeln!(out, "VmFlags: {}", vm_flags_string(flags));
    }
    out
}

// ---------------------------------------------------------------------------
// /proc/PID/pagemap and /proc/kpageflags
// ---------------------------------------------------------------------------

/// pagemap bit 55: the PTE is soft-dirty (or the VMA is `VM_SOFTDIRTY`).
pub const PM_SOFT_DIRTY: u64 = 1 << 55;
/// pagemap bit 56: the page is mapped by exactly one PTE (since 4.2).
pub const PM_MMAP_EXCLUSIVE: u64 = 1 << 56;
/// pagemap bit 61: a file page or shared anonymous (shmem) page.
pub const PM_FILE: u64 = 1 << 61;
/// pagemap bit 62: the PTE holds a swap entry.
pub const PM_SWAP: u64 = 1 << 62;
/// pagemap bit 63: the page is present.
pub const PM_PRESENT: u64 = 1 << 63;
/// Bits 0-54: the PFN, or the swap entry (type in 0-4, offset in 5-54).
pub const PM_PFRAME_MASK: u64 = (1 << 55) - 1;
/// `MAX_SWAPFILES_SHIFT`: the swap type's width in a pagemap swap entry.
pub const PM_SWAP_TYPE_BITS: u32 = 5;

/// What one page-table entry holds, as far as pagemap can tell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum PteView {
    /// A present page.
    Present {
        pfn: u64,
        /// `page_mapcount(page) == 1`.
        exclusive: bool,
        /// Not `PageAnon`: a page-cache page, shmem included.
        file_or_shared: bool,
        soft_dirty: bool,
    },
    /// A swap entry (private anonymous memory only: a swapped-out shmem page
    /// leaves an empty PTE, since its swap entry lives in the page cache).
    Swap { type_: u32, offset: u64 },
    /// Nothing mapped.
    #[default]
    None,
}

/// The 64-bit `/proc/PID/pagemap` entry for a PTE (`pte_to_pagemap_entry`).
///
/// Without `show_pfn` (a reader lacking `CAP_SYS_ADMIN`) bits 0-54 read 0.
/// That hides the PFN on every kernel since 4.2; that it also hides the swap
/// type and offset is the behaviour of recent kernels (the CI host), which
/// the scenario contract follows; 4.14 itself showed swap entries to anyone.
pub fn pagemap_entry(pte: &PteView, show_pfn: bool) -> u64 {
    match *pte {
        PteView::Present {
            pfn,
            exclusive,
            file_or_shared,
            soft_dirty,
        } => {
            let mut e = PM_PRESENT;
            if show_pfn {
                e |= pfn & PM_PFRAME_MASK;
            }
            if exclusive {
                e |= PM_MMAP_EXCLUSIVE;
            }
            if file_or_shared {
                e |= PM_FILE;
            }
            if soft_dirty {
                e |= PM_SOFT_DIRTY;
            }
            e
        }
        PteView::Swap { type_, offset } => {
            let mut e = PM_SWAP;
            if show_pfn {
                let frame = u64::from(type_ & ((1 << PM_SWAP_TYPE_BITS) - 1))
                    | (offset << PM_SWAP_TYPE_BITS);
                e |= frame & PM_PFRAME_MASK;
            }
            e
        }
        PteView::None => 0,
    }
}

/// The scenario contract's `pte.NAME` letter for a PTE: `P` present (bit 63),
/// `s` swap entry (bit 62), `-` none.
pub fn pte_char(pte: &PteView) -> char {
    match pte {
        PteView::Present { .. } => 'P',
        PteView::Swap { .. } => 's',
        PteView::None => '-',
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    // maps, smaps and pmap: a C program (shm_open + two MAP_SHARED mappings,
    // MAP_SHARED|MAP_ANONYMOUS, shmget/shmat read-write and SHM_RDONLY,
    // MAP_PRIVATE|MAP_ANONYMOUS) printed its own /proc/PID/maps, the smaps
    // blocks of those mappings and `pmap PID` (procps-ng 4.0.2) on the CI host
    // kind (Linux 6.18).

    const HOST_MAPS: &str = "\
5642b5b24000-5642b5b25000 r--p 00000000 fe:00 10011024                   /tmp/procfix/maps
5642b5b25000-5642b5b26000 r-xp 00001000 fe:00 10011024                   /tmp/procfix/maps
5642b5b26000-5642b5b27000 r--p 00002000 fe:00 10011024                   /tmp/procfix/maps
5642b5b27000-5642b5b28000 r--p 00002000 fe:00 10011024                   /tmp/procfix/maps
5642b5b28000-5642b5b29000 rw-p 00003000 fe:00 10011024                   /tmp/procfix/maps
7ff8eab16000-7ff8eab19000 rw-p 00000000 00:00 0 
7ff8eab19000-7ff8eab1a000 r--s 00000000 00:01 2                          /SYSV0000162e (deleted)
7ff8eab1a000-7ff8eab1c000 rw-s 00000000 00:01 1027                       /dev/zero (deleted)
7ff8eab1c000-7ff8eab1f000 rw-p 00000000 00:00 0 
7ff8eab1f000-7ff8eab45000 r--p 00000000 fe:00 326279                     /usr/lib/x86_64-linux-gnu/libc.so.6
7ff8eab45000-7ff8eac9b000 r-xp 00026000 fe:00 326279                     /usr/lib/x86_64-linux-gnu/libc.so.6
7ff8eac9b000-7ff8eacee000 r--p 0017c000 fe:00 326279                     /usr/lib/x86_64-linux-gnu/libc.so.6
7ff8eacee000-7ff8eacf2000 r--p 001cf000 fe:00 326279                     /usr/lib/x86_64-linux-gnu/libc.so.6
7ff8eacf2000-7ff8eacf4000 rw-p 001d3000 fe:00 326279                     /usr/lib/x86_64-linux-gnu/libc.so.6
7ff8eacf4000-7ff8ead01000 rw-p 00000000 00:00 0 
7ff8ead01000-7ff8ead02000 rw-s 00000000 00:01 2                          /SYSV0000162e (deleted)
7ff8ead02000-7ff8ead06000 r--s 00000000 00:1b 2                          /dev/shm/shmsim_probe_OS (deleted)
7ff8ead06000-7ff8ead0a000 rw-s 00000000 00:1b 2                          /dev/shm/shmsim_probe_OS (deleted)
7ff8ead0a000-7ff8ead0c000 rw-p 00000000 00:00 0 
7ff8ead0c000-7ff8ead10000 r--p 00000000 00:00 0                          [vvar]
7ff8ead10000-7ff8ead12000 r--p 00000000 00:00 0                          [vvar_vclock]
7ff8ead12000-7ff8ead14000 r-xp 00000000 00:00 0                          [vdso]
7ff8ead14000-7ff8ead15000 r--p 00000000 fe:00 325843                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7ff8ead15000-7ff8ead3b000 r-xp 00001000 fe:00 325843                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7ff8ead3b000-7ff8ead45000 r--p 00027000 fe:00 325843                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7ff8ead45000-7ff8ead47000 r--p 00031000 fe:00 325843                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7ff8ead47000-7ff8ead49000 rw-p 00033000 fe:00 325843                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7ffcab56f000-7ffcab590000 rw-p 00000000 00:00 0                          [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
";

    /// Read back one maps line into a view (test helper: the inverse of
    /// `map_line`, by fields).
    fn vma_from_maps_line(line: &str) -> VmaView {
        let mut f = line.splitn(6, ' ');
        let (range, perms, off, dev, ino) = (
            f.next().unwrap(),
            f.next().unwrap(),
            f.next().unwrap(),
            f.next().unwrap(),
            f.next().unwrap(),
        );
        let name = f.next().unwrap_or("").trim_start().to_string();
        let (start, end) = range.split_once('-').unwrap();
        let (maj, min) = dev.split_once(':').unwrap();
        let p: Vec<char> = perms.chars().collect();
        VmaView {
            start: u64::from_str_radix(start, 16).unwrap(),
            end: u64::from_str_radix(end, 16).unwrap(),
            read: p[0] == 'r',
            write: p[1] == 'w',
            exec: p[2] == 'x',
            shared: p[3] == 's',
            pgoff_bytes: u64::from_str_radix(off, 16).unwrap(),
            dev_major: u32::from_str_radix(maj, 16).unwrap(),
            dev_minor: u32::from_str_radix(min, 16).unwrap(),
            ino: ino.parse().unwrap(),
            name,
            ..VmaView::default()
        }
    }

    pub(crate) fn host_vmas() -> Vec<VmaView> {
        HOST_MAPS.lines().map(vma_from_maps_line).collect()
    }

    #[test]
    fn maps_match_the_host_byte_for_byte() {
        let vmas = host_vmas();
        assert_eq!(vmas.len(), 29);
        assert_eq!(vmas[5].name, "");
        assert_eq!(vmas[6].name, "/SYSV0000162e (deleted)");
        assert_eq!(render_maps(&vmas), HOST_MAPS);
    }

    #[test]
    fn maps_short_addresses_and_long_prefix() {
        // %08lx pads small addresses; a prefix already past column 72 is not
        // padded, but seq_pad still adds its space after the inode's.
        let v = VmaView {
            start: 0x400000,
            end: 0x401000,
            read: true,
            exec: true,
            dev_major: 8,
            dev_minor: 1,
            ino: 173521,
            name: "/usr/bin/a\nb".into(),
            ..VmaView::default()
        };
        assert_eq!(
            render_maps(&[v]),
            "00400000-00401000 r-xp 00000000 08:01 173521                             /usr/bin/a\\012b\n"
        );
        let wide = VmaView {
            start: 0xffff_ffff_ff60_0000,
            end: 0xffff_ffff_ff60_1000,
            dev_major: 0x103,
            dev_minor: 0x12345,
            ino: 123_456_789_012_345,
            name: "[x]".into(),
            ..VmaView::default()
        };
        let line = render_maps(&[wide]);
        assert_eq!(
            line,
            "ffffffffff600000-ffffffffff601000 ---p 00000000 103:12345 123456789012345  [x]\n"
        );
    }

    /// The host's smaps blocks for the shared mappings (6.18 prints more
    /// lines than 4.14; ours must be the same lines, in the same order).
    const HOST_SMAPS: &str = "\
7ff8eab16000-7ff8eab19000 rw-p 00000000 00:00 0 
Size:                 12 kB
KernelPageSize:        4 kB
MMUPageSize:           4 kB
Rss:                   4 kB
Pss:                   4 kB
Pss_Dirty:             4 kB
Shared_Clean:          0 kB
Shared_Dirty:          0 kB
Private_Clean:         0 kB
Private_Dirty:         4 kB
Referenced:            4 kB
Anonymous:             4 kB
KSM:                   0 kB
LazyFree:              0 kB
AnonHugePages:         0 kB
ShmemPmdMapped:        0 kB
FilePmdMapped:         0 kB
Shared_Hugetlb:        0 kB
Private_Hugetlb:       0 kB
Swap:                  0 kB
SwapPss:               0 kB
Locked:                0 kB
THPeligible:           0
ProtectionKey:         0
VmFlags: rd wr mr mw me ac 
7ff8eab19000-7ff8eab1a000 r--s 00000000 00:01 2                          /SYSV0000162e (deleted)
Size:                  4 kB
KernelPageSize:        4 kB
MMUPageSize:           4 kB
Rss:                   0 kB
Pss:                   0 kB
Pss_Dirty:             0 kB
Shared_Clean:          0 kB
Shared_Dirty:          0 kB
Private_Clean:         0 kB
Private_Dirty:         0 kB
Referenced:            0 kB
Anonymous:             0 kB
KSM:                   0 kB
LazyFree:              0 kB
AnonHugePages:         0 kB
ShmemPmdMapped:        0 kB
FilePmdMapped:         0 kB
Shared_Hugetlb:        0 kB
Private_Hugetlb:       0 kB
Swap:                  0 kB
SwapPss:               0 kB
Locked:                0 kB
THPeligible:           0
ProtectionKey:         0
VmFlags: rd mr me ms 
7ff8eab1a000-7ff8eab1c000 rw-s 00000000 00:01 1027                       /dev/zero (deleted)
Size:                  8 kB
KernelPageSize:        4 kB
MMUPageSize:           4 kB
Rss:                   4 kB
Pss:                   4 kB
Pss_Dirty:             4 kB
Shared_Clean:          0 kB
Shared_Dirty:          0 kB
Private_Clean:         0 kB
Private_Dirty:         4 kB
Referenced:            4 kB
Anonymous:             0 kB
KSM:                   0 kB
LazyFree:              0 kB
AnonHugePages:         0 kB
ShmemPmdMapped:        0 kB
FilePmdMapped:         0 kB
Shared_Hugetlb:        0 kB
Private_Hugetlb:       0 kB
Swap:                  0 kB
SwapPss:               0 kB
Locked:                0 kB
THPeligible:           0
ProtectionKey:         0
VmFlags: rd wr sh mr mw me ms 
7ff8ead01000-7ff8ead02000 rw-s 00000000 00:01 2                          /SYSV0000162e (deleted)
Size:                  4 kB
KernelPageSize:        4 kB
MMUPageSize:           4 kB
Rss:                   4 kB
Pss:                   4 kB
Pss_Dirty:             4 kB
Shared_Clean:          0 kB
Shared_Dirty:          0 kB
Private_Clean:         0 kB
Private_Dirty:         4 kB
Referenced:            4 kB
Anonymous:             0 kB
KSM:                   0 kB
LazyFree:              0 kB
AnonHugePages:         0 kB
ShmemPmdMapped:        0 kB
FilePmdMapped:         0 kB
Shared_Hugetlb:        0 kB
Private_Hugetlb:       0 kB
Swap:                  0 kB
SwapPss:               0 kB
Locked:                0 kB
THPeligible:           0
ProtectionKey:         0
VmFlags: rd wr sh mr mw me ms 
7ff8ead02000-7ff8ead06000 r--s 00000000 00:1b 2                          /dev/shm/shmsim_probe_OS (deleted)
Size:                 16 kB
KernelPageSize:        4 kB
MMUPageSize:           4 kB
Rss:                   8 kB
Pss:                   4 kB
Pss_Dirty:             4 kB
Shared_Clean:          0 kB
Shared_Dirty:          8 kB
Private_Clean:         0 kB
Private_Dirty:         0 kB
Referenced:            8 kB
Anonymous:             0 kB
KSM:                   0 kB
LazyFree:              0 kB
AnonHugePages:         0 kB
ShmemPmdMapped:        0 kB
FilePmdMapped:         0 kB
Shared_Hugetlb:        0 kB
Private_Hugetlb:       0 kB
Swap:                  0 kB
SwapPss:               0 kB
Locked:                0 kB
THPeligible:           0
ProtectionKey:         0
VmFlags: rd mr me ms 
7ff8ead06000-7ff8ead0a000 rw-s 00000000 00:1b 2                          /dev/shm/shmsim_probe_OS (deleted)
Size:                 16 kB
KernelPageSize:        4 kB
MMUPageSize:           4 kB
Rss:                   8 kB
Pss:                   4 kB
Pss_Dirty:             4 kB
Shared_Clean:          0 kB
Shared_Dirty:          8 kB
Private_Clean:         0 kB
Private_Dirty:         0 kB
Referenced:            8 kB
Anonymous:             0 kB
KSM:                   0 kB
LazyFree:              0 kB
AnonHugePages:         0 kB
ShmemPmdMapped:        0 kB
FilePmdMapped:         0 kB
Shared_Hugetlb:        0 kB
Private_Hugetlb:       0 kB
Swap:                  0 kB
SwapPss:               0 kB
Locked:                0 kB
THPeligible:           0
ProtectionKey:         0
VmFlags: rd wr sh mr mw me ms 
";

    #[test]
    fn smaps_lines_match_the_host() {
        let all = host_vmas();
        let pick = |start: u64| all.iter().find(|v| v.start == start).unwrap().clone();
        let mut anon = pick(0x7ff8eab16000);
        let mut sysv_ro = pick(0x7ff8eab19000);
        let mut zero = pick(0x7ff8eab1a000);
        let mut sysv_rw = pick(0x7ff8ead01000);
        let mut shm_ro = pick(0x7ff8ead02000);
        let mut shm_rw = pick(0x7ff8ead06000);
        // What the program did: one written private page, the zero page
        // (not counted) behind the other read; one written page each in the
        // shared anonymous mapping and the SysV segment; two written pages of
        // the POSIX object, both mapped by both of its mappings.
        anon.vm_flags = mmap_vm_flags(true, true, false, false, true);
        anon.smaps.account_page(1, true, true, true, true);
        sysv_ro.vm_flags = mmap_vm_flags(true, false, false, true, false);
        zero.vm_flags = mmap_vm_flags(true, true, false, true, true);
        zero.smaps.account_page(1, true, true, false, true);
        sysv_rw.vm_flags = mmap_vm_flags(true, true, false, true, true);
        sysv_rw.smaps.account_page(1, true, true, false, true);
        shm_ro.vm_flags = mmap_vm_flags(true, false, false, true, false);
        shm_rw.vm_flags = mmap_vm_flags(true, true, false, true, true);
        for v in [&mut shm_ro, &mut shm_rw] {
            v.smaps.account_page(2, true, true, false, true);
            v.smaps.account_page(2, true, true, false, true);
        }
        let mut vmas = vec![anon, sysv_ro, zero, sysv_rw, shm_ro, shm_rw];
        for v in &mut vmas {
            v.smaps.protection_key = Some(0); // the host has protection keys
        }
        let ours = render_smaps(&vmas);
        let host: Vec<&str> = HOST_SMAPS.lines().collect();
        let mut at = 0;
        for line in ours.lines() {
            let found = host[at..].iter().position(|h| *h == line);
            assert!(
                found.is_some(),
                "line {line:?} (after host line {at}) not in the host's smaps"
            );
            at += found.unwrap() + 1;
        }
        // 4.14 prints 19 counters + the maps line + ProtectionKey + VmFlags
        assert_eq!(ours.lines().count(), 6 * 22);
    }

    #[test]
    fn smaps_full_4_14_block_with_pss_fractions_swap_and_lock() {
        // Three pages, each mapped by three processes, one page mapped alone
        // and clean, two swapped-out anonymous pages whose slots two
        // processes share; mlocked.
        let mut v = VmaView {
            start: 0x7f00_0000_0000,
            end: 0x7f00_0000_8000,
            read: true,
            write: true,
            shared: false,
            name: String::new(),
            vm_flags: mmap_vm_flags(true, true, false, false, true) | VM_LOCKED,
            ..VmaView::default()
        };
        for _ in 0..3 {
            v.smaps.account_page(3, false, true, true, true);
        }
        v.smaps.account_page(1, false, false, true, true);
        v.smaps.account_swap_pte(2);
        v.smaps.account_swap_pte(2);
        let expected = "\
7f0000000000-7f0000008000 rw-p 00000000 00:00 0 
Size:                 32 kB
KernelPageSize:        4 kB
MMUPageSize:           4 kB
Rss:                  16 kB
Pss:                   7 kB
Shared_Clean:         12 kB
Shared_Dirty:          0 kB
Private_Clean:         4 kB
Private_Dirty:         0 kB
Referenced:           12 kB
Anonymous:            16 kB
LazyFree:              0 kB
AnonHugePages:         0 kB
ShmemPmdMapped:        0 kB
Shared_Hugetlb:        0 kB
Private_Hugetlb:       0 kB
Swap:                  8 kB
SwapPss:               4 kB
Locked:                7 kB
VmFlags: rd wr mr mw me lo ac 
";
        // Pss: 3 * floor((4096 << 12) / 3) is one unit (2^-12 byte) short of
        // 4096 << 12, so the sum is 8 kB minus 2^-12 bytes and prints 7 kB,
        // as the kernel's would; Locked is that Pss.
        assert_eq!(render_smaps(&[v]), expected);
    }

    #[test]
    fn vm_flags_mnemonics() {
        assert_eq!(
            vm_flags_string(mmap_vm_flags(true, true, false, true, true)),
            "rd wr sh mr mw me ms "
        );
        assert_eq!(
            vm_flags_string(mmap_vm_flags(true, false, false, true, false)),
            "rd mr me ms "
        );
        assert_eq!(
            vm_flags_string(mmap_vm_flags(true, false, false, false, false)),
            "rd mr mw me "
        );
        assert_eq!(
            vm_flags_string(mmap_vm_flags(true, true, true, false, true)),
            "rd wr ex mr mw me ac "
        );
        // 4.14 knows no name for VM_LOCKONFAULT or bit 23; the pkey bits are silent
        assert_eq!(
            vm_flags_string(VM_READ | VM_LOCKONFAULT | (1 << 23) | (1 << 32) | VM_SOFTDIRTY),
            "rd ?? ?? sd "
        );
        // vm_flags 0 derives from the permissions
        let v = VmaView {
            read: true,
            write: true,
            shared: true,
            ..VmaView::default()
        };
        assert_eq!(
            v.effective_vm_flags(),
            mmap_vm_flags(true, true, false, true, true)
        );
    }

    #[test]
    fn pagemap_bits() {
        let shmem_page = PteView::Present {
            pfn: 0x1234,
            exclusive: true,
            file_or_shared: true,
            soft_dirty: false,
        };
        assert_eq!(
            pagemap_entry(&shmem_page, true),
            (1 << 63) | (1 << 61) | (1 << 56) | 0x1234
        );
        assert_eq!(pagemap_entry(&shmem_page, false), 0xa100_0000_0000_0000);
        let anon_shared_by_fork = PteView::Present {
            pfn: 7,
            exclusive: false,
            file_or_shared: false,
            soft_dirty: true,
        };
        assert_eq!(
            pagemap_entry(&anon_shared_by_fork, false),
            0x8080_0000_0000_0000
        );
        let swapped = PteView::Swap {
            type_: 1,
            offset: 0x42,
        };
        assert_eq!(pagemap_entry(&swapped, true), (1 << 62) | (0x42 << 5) | 1);
        assert_eq!(pagemap_entry(&swapped, false), 0x4000_0000_0000_0000);
        assert_eq!(pagemap_entry(&PteView::None, true), 0);
        assert_eq!(pte_char(&shmem_page), 'P');
        assert_eq!(pte_char(&swapped), 's');
        assert_eq!(pte_char(&PteView::None), '-');
        // a huge PFN is cut to 55 bits
        let big = PteView::Present {
            pfn: u64::MAX,
            exclusive: false,
            file_or_shared: false,
            soft_dirty: false,
        };
        assert_eq!(pagemap_entry(&big, true), (1 << 63) | PM_PFRAME_MASK);
    }
}
