//! `/proc/meminfo`: Linux 4.14 `fs/proc/meminfo.c` (`meminfo_proc_show`,
//! `show_val_kb`), with the lines of `mm/hugetlb.c` (`hugetlb_report_meminfo`)
//! and `arch/x86/mm/pageattr.c` (`arch_report_meminfo`) it prints.

use serde::Serialize;
use std::fmt::Write as _;

/// The numbers behind `/proc/meminfo`, all in kB (1024 bytes) except the
/// `HugePages_*` counts, which are pages.
///
/// Linux 4.14 x86_64 field list, in the kernel's order. Three lines are not
/// fields here because the kernel computes them from others and so must we:
/// `Active` = `Active(anon)` + `Active(file)`, `Inactive` = `Inactive(anon)` +
/// `Inactive(file)`, `Slab` = `SReclaimable` + `SUnreclaim` (see
/// [`MeminfoView::active`], [`MeminfoView::inactive`], [`MeminfoView::slab`]).
/// Remember what the numbers mean (KERNEL-NOTES section 8): `Cached` counts
/// shmem pages (it is file pages minus swap cache minus buffers), `Shmem` is
/// `NR_SHMEM`, and `MemAvailable` leaves shmem out.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MeminfoView {
    pub mem_total: u64,
    pub mem_free: u64,
    pub mem_available: u64,
    pub buffers: u64,
    pub cached: u64,
    pub swap_cached: u64,
    pub active_anon: u64,
    pub inactive_anon: u64,
    pub active_file: u64,
    pub inactive_file: u64,
    pub unevictable: u64,
    pub mlocked: u64,
    pub swap_total: u64,
    pub swap_free: u64,
    pub dirty: u64,
    pub writeback: u64,
    pub anon_pages: u64,
    pub mapped: u64,
    pub shmem: u64,
    pub s_reclaimable: u64,
    pub s_unreclaim: u64,
    pub kernel_stack: u64,
    pub page_tables: u64,
    pub nfs_unstable: u64,
    pub bounce: u64,
    pub writeback_tmp: u64,
    pub commit_limit: u64,
    pub committed_as: u64,
    /// `VMALLOC_TOTAL >> 10`: 34359738367 on x86_64 with 4-level paging.
    pub vmalloc_total: u64,
    /// Always 0 since 4.4 (the kernel stopped walking vmalloc areas for it).
    pub vmalloc_used: u64,
    /// Always 0 since 4.4.
    pub vmalloc_chunk: u64,
    pub hardware_corrupted: u64,
    pub anon_huge_pages: u64,
    pub shmem_huge_pages: u64,
    pub shmem_pmd_mapped: u64,
    pub cma_total: u64,
    pub cma_free: u64,
    /// Pages, not kB.
    pub huge_pages_total: u64,
    /// Pages, not kB.
    pub huge_pages_free: u64,
    /// Pages, not kB.
    pub huge_pages_rsvd: u64,
    /// Pages, not kB.
    pub huge_pages_surp: u64,
    /// kB: 2048 on x86_64.
    pub hugepagesize: u64,
    pub direct_map_4k: u64,
    pub direct_map_2m: u64,
    /// Printed only when the CPU has gigabyte pages (`direct_gbpages`).
    pub direct_map_1g: Option<u64>,
}

/// How one `/proc/meminfo` line is printed.
#[derive(Clone, Copy)]
enum MemLine {
    /// `show_val_kb` (and the `seq_printf("%-16s%8lu kB")` lines, which print
    /// the same bytes): label padded to 16 columns, value right-aligned in 8.
    Kb,
    /// `"HardwareCorrupted: %5lu kB\n"`.
    Kb5,
    /// `"HugePages_xxx:  %5lu\n"`: the label is followed by spaces up to
    /// column 19, then the count in 5 columns, no unit.
    Count,
}

type MemGetter = fn(&MeminfoView) -> u64;

/// 4.14's lines in order (DirectMap1G is handled separately: it is optional).
const MEMINFO_LINES: &[(&str, MemLine, MemGetter)] = &[
    ("MemTotal", MemLine::Kb, |m| m.mem_total),
    ("MemFree", MemLine::Kb, |m| m.mem_free),
    ("MemAvailable", MemLine::Kb, |m| m.mem_available),
    ("Buffers", MemLine::Kb, |m| m.buffers),
    ("Cached", MemLine::Kb, |m| m.cached),
    ("SwapCached", MemLine::Kb, |m| m.swap_cached),
    ("Active", MemLine::Kb, |m| m.active()),
    ("Inactive", MemLine::Kb, |m| m.inactive()),
    ("Active(anon)", MemLine::Kb, |m| m.active_anon),
    ("Inactive(anon)", MemLine::Kb, |m| m.inactive_anon),
    ("Active(file)", MemLine::Kb, |m| m.active_file),
    ("Inactive(file)", MemLine::Kb, |m| m.inactive_file),
    ("Unevictable", MemLine::Kb, |m| m.unevictable),
    ("Mlocked", MemLine::Kb, |m| m.mlocked),
    ("SwapTotal", MemLine::Kb, |m| m.swap_total),
    ("SwapFree", MemLine::Kb, |m| m.swap_free),
    ("Dirty", MemLine::Kb, |m| m.dirty),
    ("Writeback", MemLine::Kb, |m| m.writeback),
    ("AnonPages", MemLine::Kb, |m| m.anon_pages),
    ("Mapped", MemLine::Kb, |m| m.mapped),
    ("Shmem", MemLine::Kb, |m| m.shmem),
    ("Slab", MemLine::Kb, |m| m.slab()),
    ("SReclaimable", MemLine::Kb, |m| m.s_reclaimable),
    ("SUnreclaim", MemLine::Kb, |m| m.s_unreclaim),
    ("KernelStack", MemLine::Kb, |m| m.kernel_stack),
    ("PageTables", MemLine::Kb, |m| m.page_tables),
    ("NFS_Unstable", MemLine::Kb, |m| m.nfs_unstable),
    ("Bounce", MemLine::Kb, |m| m.bounce),
    ("WritebackTmp", MemLine::Kb, |m| m.writeback_tmp),
    ("CommitLimit", MemLine::Kb, |m| m.commit_limit),
    ("Committed_AS", MemLine::Kb, |m| m.committed_as),
    ("VmallocTotal", MemLine::Kb, |m| m.vmalloc_total),
    ("VmallocUsed", MemLine::Kb, |m| m.vmalloc_used),
    ("VmallocChunk", MemLine::Kb, |m| m.vmalloc_chunk),
    ("HardwareCorrupted", MemLine::Kb5, |m| m.hardware_corrupted),
    ("AnonHugePages", MemLine::Kb, |m| m.anon_huge_pages),
    ("ShmemHugePages", MemLine::Kb, |m| m.shmem_huge_pages),
    ("ShmemPmdMapped", MemLine::Kb, |m| m.shmem_pmd_mapped),
    ("CmaTotal", MemLine::Kb, |m| m.cma_total),
    ("CmaFree", MemLine::Kb, |m| m.cma_free),
    ("HugePages_Total", MemLine::Count, |m| m.huge_pages_total),
    ("HugePages_Free", MemLine::Count, |m| m.huge_pages_free),
    ("HugePages_Rsvd", MemLine::Count, |m| m.huge_pages_rsvd),
    ("HugePages_Surp", MemLine::Count, |m| m.huge_pages_surp),
    ("Hugepagesize", MemLine::Kb, |m| m.hugepagesize),
    ("DirectMap4k", MemLine::Kb, |m| m.direct_map_4k),
    ("DirectMap2M", MemLine::Kb, |m| m.direct_map_2m),
];

impl MeminfoView {
    /// `Active:` = `pages[LRU_ACTIVE_ANON] + pages[LRU_ACTIVE_FILE]`.
    pub fn active(&self) -> u64 {
        self.active_anon + self.active_file
    }

    /// `Inactive:` = `pages[LRU_INACTIVE_ANON] + pages[LRU_INACTIVE_FILE]`.
    pub fn inactive(&self) -> u64 {
        self.inactive_anon + self.inactive_file
    }

    /// `Slab:` = `NR_SLAB_RECLAIMABLE + NR_SLAB_UNRECLAIMABLE`.
    pub fn slab(&self) -> u64 {
        self.s_reclaimable + self.s_unreclaim
    }

    /// `SwapTotal - SwapFree`: the scenario contract's `meminfo.SwapUsed`.
    pub fn swap_used(&self) -> u64 {
        self.swap_total.saturating_sub(self.swap_free)
    }

    /// A field by the name `/proc/meminfo` prints (without the colon), or
    /// `SwapUsed`; `None` for an unknown name. This is what the scenario
    /// observable `meminfo.FIELD` reads.
    pub fn field(&self, name: &str) -> Option<u64> {
        if name == "SwapUsed" {
            return Some(self.swap_used());
        }
        if name == "DirectMap1G" {
            return self.direct_map_1g;
        }
        MEMINFO_LINES
            .iter()
            .find(|(label, _, _)| *label == name)
            .map(|(_, _, get)| get(self))
    }

    /// Read the text of a real `/proc/meminfo` (any kernel: unknown lines are
    /// skipped, missing ones stay 0). `Active`, `Inactive` and `Slab` are
    /// derived, so their lines are not read back.
    pub fn parse(text: &str) -> Result<MeminfoView, String> {
        let mut m = MeminfoView::default();
        for line in text.lines() {
            let Some((label, rest)) = line.split_once(':') else {
                continue;
            };
            let num = rest.trim().trim_end_matches("kB").trim();
            let v: u64 = num
                .parse()
                .map_err(|_| format!("meminfo: bad value in line {line:?}"))?;
            let slot: Option<&mut u64> = match label {
                "MemTotal" => Some(&mut m.mem_total),
                "MemFree" => Some(&mut m.mem_free),
                "MemAvailable" => Some(&mut m.mem_available),
                "Buffers" => Some(&mut m.buffers),
                "Cached" => Some(&mut m.cached),
                "SwapCached" => Some(&mut m.swap_cached),
                "Active(anon)" => Some(&mut m.active_anon),
                "Inactive(anon)" => Some(&mut m.inactive_anon),
                "Active(file)" => Some(&mut m.active_file),
                "Inactive(file)" => Some(&mut m.inactive_file),
                "Unevictable" => Some(&mut m.unevictable),
                "Mlocked" => Some(&mut m.mlocked),
                "SwapTotal" => Some(&mut m.swap_total),
                "SwapFree" => Some(&mut m.swap_free),
                "Dirty" => Some(&mut m.dirty),
                "Writeback" => Some(&mut m.writeback),
                "AnonPages" => Some(&mut m.anon_pages),
                "Mapped" => Some(&mut m.mapped),
                "Shmem" => Some(&mut m.shmem),
                "SReclaimable" => Some(&mut m.s_reclaimable),
                "SUnreclaim" => Some(&mut m.s_unreclaim),
                "KernelStack" => Some(&mut m.kernel_stack),
                "PageTables" => Some(&mut m.page_tables),
                "NFS_Unstable" => Some(&mut m.nfs_unstable),
                "Bounce" => Some(&mut m.bounce),
                "WritebackTmp" => Some(&mut m.writeback_tmp),
                "CommitLimit" => Some(&mut m.commit_limit),
                "Committed_AS" => Some(&mut m.committed_as),
                "VmallocTotal" => Some(&mut m.vmalloc_total),
                "VmallocUsed" => Some(&mut m.vmalloc_used),
                "VmallocChunk" => Some(&mut m.vmalloc_chunk),
                "HardwareCorrupted" => Some(&mut m.hardware_corrupted),
                "AnonHugePages" => Some(&mut m.anon_huge_pages),
                "ShmemHugePages" => Some(&mut m.shmem_huge_pages),
                "ShmemPmdMapped" => Some(&mut m.shmem_pmd_mapped),
                "CmaTotal" => Some(&mut m.cma_total),
                "CmaFree" => Some(&mut m.cma_free),
                "HugePages_Total" => Some(&mut m.huge_pages_total),
                "HugePages_Free" => Some(&mut m.huge_pages_free),
                "HugePages_Rsvd" => Some(&mut m.huge_pages_rsvd),
                "HugePages_Surp" => Some(&mut m.huge_pages_surp),
                "Hugepagesize" => Some(&mut m.hugepagesize),
                "DirectMap4k" => Some(&mut m.direct_map_4k),
                "DirectMap2M" => Some(&mut m.direct_map_2m),
                "DirectMap1G" => {
                    m.direct_map_1g = Some(v);
                    None
                }
                _ => None,
            };
            if let Some(s) = slot {
                *s = v;
            }
        }
        Ok(m)
    }
}

/// `/proc/meminfo` exactly as Linux 4.14 on x86_64 prints it.
///
/// `show_val_kb` writes the 16-byte label (name, colon, spaces), the value
/// right-aligned in 8 columns (wider values are printed whole), and `" kB"`.
/// `HardwareCorrupted` is `"%5lu kB"` after its long label; the four
/// `HugePages_*` lines are counts `"%5lu"` with no unit.
pub fn render_meminfo(m: &MeminfoView) -> String {
    let mut out = String::new();
    for (label, kind, get) in MEMINFO_LINES {
        let v = get(m);
        match kind {
            MemLine::Kb => {
                let _ = writeln!(out, "{:<16}{v:>8} kB", format!("{label}:"));
            }
            MemLine::Kb5 => {
                let _ = writeln!(out, "{label}: {v:>5} kB");
            }
            MemLine::Count => {
                let _ = writeln!(out, "{:<19}{v:>5}", format!("{label}:"));
            }
        }
    }
    if let Some(v) = m.direct_map_1g {
        let _ = writeln!(out, "{:<16}{v:>8} kB", "DirectMap1G:");
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `/proc/meminfo` of the CI host kind (Linux 6.18), `cat /proc/meminfo`,
    /// captured while writing these renderers. 6.18 prints more lines than
    /// 4.14 (Zswap, KReclaimable, Percpu, Hugetlb, ...); every line 4.14 also
    /// prints must come out byte for byte the same.
    const HOST_MEMINFO: &str = "\
MemTotal:       24683656 kB
MemFree:        24577480 kB
MemAvailable:   24473840 kB
Buffers:            1264 kB
Cached:            22964 kB
SwapCached:            0 kB
Active:            11632 kB
Inactive:          10236 kB
Active(anon):       1528 kB
Inactive(anon):     5008 kB
Active(file):      10104 kB
Inactive(file):     5228 kB
Unevictable:       10244 kB
Mlocked:            8740 kB
SwapTotal:             0 kB
SwapFree:              0 kB
Zswap:                 0 kB
Zswapped:              0 kB
Dirty:               140 kB
Writeback:             0 kB
AnonPages:          7988 kB
Mapped:            10244 kB
Shmem:              8896 kB
KReclaimable:      20356 kB
Slab:              39272 kB
SReclaimable:      20356 kB
SUnreclaim:        18916 kB
KernelStack:        1316 kB
PageTables:         1800 kB
SecPageTables:         0 kB
NFS_Unstable:          0 kB
Bounce:                0 kB
WritebackTmp:          0 kB
CommitLimit:    12341828 kB
Committed_AS:      48512 kB
VmallocTotal:   34359738367 kB
VmallocUsed:        5604 kB
VmallocChunk:          0 kB
Percpu:              664 kB
AnonHugePages:         0 kB
ShmemHugePages:        0 kB
ShmemPmdMapped:        0 kB
FileHugePages:         0 kB
FilePmdMapped:         0 kB
Balloon:               0 kB
HugePages_Total:       0
HugePages_Free:        0
HugePages_Rsvd:        0
HugePages_Surp:        0
Hugepagesize:       2048 kB
Hugetlb:               0 kB
DirectMap4k:       20480 kB
DirectMap2M:     2076672 kB
DirectMap1G:    25165824 kB
";

    #[test]
    fn meminfo_lines_match_the_host_byte_for_byte() {
        let m = MeminfoView::parse(HOST_MEMINFO).unwrap();
        let ours = render_meminfo(&m);
        let host: Vec<&str> = HOST_MEMINFO.lines().collect();
        let mut at = 0;
        let config_dependent = ["HardwareCorrupted:", "CmaTotal:", "CmaFree:"];
        for line in ours.lines() {
            if config_dependent.iter().any(|c| line.starts_with(c)) {
                continue;
            }
            // every 4.14 line is in the host's output, in the same order
            let found = host[at..].iter().position(|h| *h == line);
            assert!(found.is_some(), "line {line:?} not in the host's meminfo");
            at += found.unwrap() + 1;
        }
        // HardwareCorrupted and Cma* are config-dependent and absent on the host
        assert_eq!(
            ours.lines().count(),
            host.len() - 9 + 3,
            "the host has 9 lines 4.14 lacks (Zswap, Zswapped, KReclaimable, SecPageTables, \
             Percpu, FileHugePages, FilePmdMapped, Balloon, Hugetlb), 4.14 has 3 it lacks"
        );
        assert_eq!(m.active(), 11632);
        assert_eq!(m.slab(), 39272);
    }

    pub(crate) fn sample_meminfo() -> MeminfoView {
        // The numbers of the fabricated /proc/meminfo used for the `free`
        // captures below (tests free_* cite the commands).
        MeminfoView {
            mem_total: 65536,
            mem_free: 50000,
            mem_available: 48000,
            buffers: 120,
            cached: 9000,
            swap_cached: 12,
            active_anon: 1000,
            inactive_anon: 2000,
            active_file: 2000,
            inactive_file: 2000,
            swap_total: 32768,
            swap_free: 32756,
            dirty: 4,
            anon_pages: 3000,
            mapped: 2000,
            shmem: 4096,
            s_reclaimable: 1500,
            s_unreclaim: 1500,
            kernel_stack: 512,
            page_tables: 256,
            commit_limit: 65536,
            committed_as: 12345,
            vmalloc_total: 34359738367,
            hugepagesize: 2048,
            direct_map_4k: 63488,
            direct_map_2m: 4096,
            ..MeminfoView::default()
        }
    }

    #[test]
    fn meminfo_full_4_14_layout() {
        let mut m = sample_meminfo();
        m.hardware_corrupted = 123456; // wider than %5lu
        m.huge_pages_total = 1234567; // wider than %5lu
        m.huge_pages_free = 7;
        m.mem_total = 123456789; // wider than %8lu
        m.direct_map_1g = Some(1048576);
        let expected = "\
MemTotal:       123456789 kB
MemFree:           50000 kB
MemAvailable:      48000 kB
Buffers:             120 kB
Cached:             9000 kB
SwapCached:           12 kB
Active:             3000 kB
Inactive:           4000 kB
Active(anon):       1000 kB
Inactive(anon):     2000 kB
Active(file):       2000 kB
Inactive(file):     2000 kB
Unevictable:           0 kB
Mlocked:               0 kB
SwapTotal:         32768 kB
SwapFree:          32756 kB
Dirty:                 4 kB
Writeback:             0 kB
AnonPages:          3000 kB
Mapped:             2000 kB
Shmem:              4096 kB
Slab:               3000 kB
SReclaimable:       1500 kB
SUnreclaim:         1500 kB
KernelStack:         512 kB
PageTables:          256 kB
NFS_Unstable:          0 kB
Bounce:                0 kB
WritebackTmp:          0 kB
CommitLimit:       65536 kB
Committed_AS:      12345 kB
VmallocTotal:   34359738367 kB
VmallocUsed:           0 kB
VmallocChunk:          0 kB
HardwareCorrupted: 123456 kB
AnonHugePages:         0 kB
ShmemHugePages:        0 kB
ShmemPmdMapped:        0 kB
CmaTotal:              0 kB
CmaFree:               0 kB
HugePages_Total:   1234567
HugePages_Free:        7
HugePages_Rsvd:        0
HugePages_Surp:        0
Hugepagesize:       2048 kB
DirectMap4k:       63488 kB
DirectMap2M:        4096 kB
DirectMap1G:     1048576 kB
";
        assert_eq!(render_meminfo(&m), expected);
        // and it reads back
        let back = MeminfoView::parse(expected).unwrap();
        assert_eq!(back, m);
        assert_eq!(m.field("Shmem"), Some(4096));
        assert_eq!(m.field("SwapUsed"), Some(12));
        assert_eq!(m.field("Active"), Some(3000));
        assert_eq!(m.field("Nope"), None);
    }
}
