//! What the tools print: `/proc/meminfo`, `free`, `df`, `ls -l`, `/proc/PID/maps`,
//! `/proc/PID/smaps`, `pmap`, and the bits of `/proc/PID/pagemap` and `/proc/kpageflags`.
//!
//! Students put shmsim's output beside what their own machine prints, so every
//! renderer here reproduces the real tool's bytes: column widths, padding, units,
//! header lines, rounding. The renderers are pure functions of plain *view* structs
//! that the kernel model fills; nothing here knows about the rest of the model, and
//! nothing reads a clock (times come in the views, in seconds since the epoch, and
//! are printed in UTC).
//!
//! | renderer | real source it follows |
//! | --- | --- |
//! | [`render_meminfo`] | Linux 4.14 `fs/proc/meminfo.c` (`show_val_kb`), `mm/hugetlb.c` (`hugetlb_report_meminfo`), `arch/x86/mm/pageattr.c` (`arch_report_meminfo`) |
//! | [`render_free`] | procps-ng 4.0.2 `src/free.c` (`scale_size`, `print_head_col`) and `library/meminfo.c` (used = total - available) |
//! | [`render_df`] | coreutils 9.1 `src/df.c` (`get_header`, `get_dev`, `print_table`) and gnulib `human.c` |
//! | [`render_ls_l`] | coreutils 9.1 `src/ls.c` (`print_long_format`, `format_user_or_group`) and gnulib `filemode.c` |
//! | [`render_maps`], [`render_smaps`] | Linux 4.14 `fs/proc/task_mmu.c` (`show_map_vma`, `show_smap`, `show_smap_vma_flags`) and `fs/seq_file.c` (`seq_pad`) |
//! | [`render_pmap`] | procps-ng 4.0.2 `src/pmap.c` (`one_proc`, `mapping_name`) |
//! | [`pagemap_entry`] | Linux `fs/proc/task_mmu.c` (`pte_to_pagemap_entry`), `Documentation/vm/pagemap.txt` |
//! | [`kpageflags_names`], [`page_flag_string`] | `include/uapi/linux/kernel-page-flags.h`, `include/linux/kernel-page-flags.h`, `tools/vm/page-types.c` |
//!
//! The field *lists* are those of 4.14, the model's home era (x86_64, with the
//! config a distribution kernel of the time has: `CONFIG_MEMORY_FAILURE`,
//! `CONFIG_TRANSPARENT_HUGEPAGE`, `CONFIG_CMA`, no highmem). The byte layout rules
//! (widths, padding) are the same on the 6.x kernels students run today, which
//! print a few more lines; the tests quote output captured on such a host
//! (Linux 6.18, procps-ng 4.0.2, coreutils 9.1) wherever the rules coincide.

use serde::Serialize;
use std::fmt::Write as _;

// ---------------------------------------------------------------------------
// small helpers
// ---------------------------------------------------------------------------

/// Right-align `s` in `width` columns (C `%*s`: never truncates).
fn pad_left(s: &str, width: usize) -> String {
    format!("{s:>width$}")
}

/// Left-align `s` in `width` columns (C `%-*s`: never truncates).
fn pad_right(s: &str, width: usize) -> String {
    format!("{s:<width$}")
}

/// Split an argument string the way a shell would for these simple option
/// strings: on whitespace, with no quoting.
fn split_args(args: &str) -> Vec<&str> {
    args.split_whitespace().collect()
}

/// getopt_long's long-option lookup: an exact match wins, otherwise a unique
/// prefix (`--hum` for `--human`).
fn match_long<'a>(given: &str, names: &[&'a str]) -> Result<&'a str, String> {
    if let Some(n) = names.iter().find(|n| **n == given) {
        return Ok(n);
    }
    let hits: Vec<&&str> = names.iter().filter(|n| n.starts_with(given)).collect();
    match hits.len() {
        1 => Ok(hits[0]),
        0 => Err(format!("unrecognized option '--{given}'")),
        _ => Err(format!("option '--{given}' is ambiguous")),
    }
}

// ---------------------------------------------------------------------------
// /proc/meminfo
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// free (procps-ng 4.0.2)
// ---------------------------------------------------------------------------

/// The options of `free` that change what it prints once.
///
/// `exponent` is procps's `args.exponent`: 0 the default (KiB, or kB with
/// `--si`), 1 bytes, 2 kibi/kilo, 3 mebi/mega, 4 gibi/giga, 5 tebi/tera,
/// 6 pebi/peta.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FreeOpts {
    pub exponent: u8,
    /// `--si`, or set by `--kilo`/`--mega`/...: powers of 1000.
    pub si: bool,
    /// `-h`/`--human`.
    pub human: bool,
    /// `-w`/`--wide`: buffers and cache in separate columns.
    pub wide: bool,
    /// `-t`/`--total`: a `Total:` line (RAM + swap).
    pub total: bool,
    /// `-l`/`--lohi`: `Low:` and `High:` lines.
    pub lohi: bool,
    /// `-v`/`--committed`: a `Comm:` line.
    pub committed: bool,
}

impl FreeOpts {
    /// Parse `free`'s arguments (`"-k"`, `"-h -w"`, `"-ht"`, `"--mebi --total"`).
    /// Errors are the messages `free` would print: several unit options, an
    /// unknown option, an operand, or `-s`/`-c`, which repeat over time and
    /// have no meaning in a step-by-step simulation.
    pub fn parse(args: &str) -> Result<FreeOpts, String> {
        const LONG: &[&str] = &[
            "bytes",
            "kilo",
            "mega",
            "giga",
            "tera",
            "peta",
            "kibi",
            "mebi",
            "gibi",
            "tebi",
            "pebi",
            "human",
            "si",
            "lohi",
            "total",
            "committed",
            "seconds",
            "count",
            "wide",
            "help",
            "version",
        ];
        let mut o = FreeOpts::default();
        let mut unit_set = false;
        let mut set_unit = |o: &mut FreeOpts, exp: u8, si: bool| -> Result<(), String> {
            if unit_set {
                return Err("free: Multiple unit options don't make sense.".into());
            }
            unit_set = true;
            o.exponent = exp;
            if si {
                o.si = true;
            }
            Ok(())
        };
        for tok in split_args(args) {
            if let Some(long) = tok.strip_prefix("--") {
                let name = long.split('=').next().unwrap_or(long);
                let name = match_long(name, LONG).map_err(|e| format!("free: {e}"))?;
                match name {
                    "bytes" => set_unit(&mut o, 1, false)?,
                    "kibi" => set_unit(&mut o, 2, false)?,
                    "mebi" => set_unit(&mut o, 3, false)?,
                    "gibi" => set_unit(&mut o, 4, false)?,
                    "tebi" => set_unit(&mut o, 5, false)?,
                    "pebi" => set_unit(&mut o, 6, false)?,
                    "kilo" => set_unit(&mut o, 2, true)?,
                    "mega" => set_unit(&mut o, 3, true)?,
                    "giga" => set_unit(&mut o, 4, true)?,
                    "tera" => set_unit(&mut o, 5, true)?,
                    "peta" => set_unit(&mut o, 6, true)?,
                    "human" => o.human = true,
                    "si" => o.si = true,
                    "lohi" => o.lohi = true,
                    "total" => o.total = true,
                    "committed" => o.committed = true,
                    "wide" => o.wide = true,
                    other => return Err(format!("free: --{other} is not supported here")),
                }
            } else if let Some(shorts) = tok.strip_prefix('-').filter(|s| !s.is_empty()) {
                for c in shorts.chars() {
                    match c {
                        'b' => set_unit(&mut o, 1, false)?,
                        'k' => set_unit(&mut o, 2, false)?,
                        'm' => set_unit(&mut o, 3, false)?,
                        'g' => set_unit(&mut o, 4, false)?,
                        'h' => o.human = true,
                        'l' => o.lohi = true,
                        't' => o.total = true,
                        'v' => o.committed = true,
                        'w' => o.wide = true,
                        's' | 'c' | 'V' => return Err(format!("free: -{c} is not supported here")),
                        other => return Err(format!("free: invalid option -- '{other}'")),
                    }
                }
            } else {
                return Err(format!("free: unexpected operand '{tok}'"));
            }
        }
        Ok(o)
    }
}

/// `power()` of free.c: `base` to the `expo`, as a double.
fn free_power(base: u32, expo: u32) -> f64 {
    (0..expo).fold(1.0, |acc, _| acc * f64::from(base))
}

/// free.c's `scale_size()` (procps-ng 4.0.2): one number, in kB, to its column
/// text. `size` is an `unsigned long` in C; values that went negative by
/// unsigned subtraction (the `Comm:` line) are carried as `i64` the way the
/// C `long long` arithmetic sees them.
fn free_scale(size: i64, o: &FreeOpts) -> String {
    const UP: [char; 6] = ['B', 'K', 'M', 'G', 'T', 'P'];
    let base: u32 = if o.si { 1000 } else { 1024 };
    let bytes: i64 = size.wrapping_mul(1024);
    if !o.human {
        return match o.exponent {
            0 => (bytes / i64::from(base)).to_string(),
            1 => bytes.to_string(),
            e => ((bytes as f64 / free_power(base, u32::from(e) - 1)) as i64).to_string(),
        };
    }
    let mut buf = format!("{bytes}{}", UP[0]);
    if buf.len() <= 4 {
        return buf;
    }
    for (i, up) in UP.iter().enumerate().skip(1) {
        let v = bytes as f64 / free_power(base, i as u32);
        // C: printf("%.1f", (float)v): the float rounding first, then
        // glibc's exact round-half-even, which Rust's formatter also does.
        let tenths = f64::from(v as f32);
        if o.si {
            buf = format!("{tenths:.1}{up}");
            if buf.len() <= 4 {
                return buf;
            }
            buf = format!("{}{up}", v as i64);
            if buf.len() <= 4 {
                return buf;
            }
        } else {
            buf = format!("{tenths:.1}{up}i");
            if buf.len() <= 5 {
                return buf;
            }
            buf = format!("{}{up}i", v as i64);
            if buf.len() <= 5 {
                return buf;
            }
        }
    }
    buf
}

/// `print_head_col`: the row label padded to 9 columns.
fn free_row(out: &mut String, label: &str, cells: &[String]) {
    out.push_str(&pad_right(label, 9));
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&pad_left(c, 11));
    }
    out.push('\n');
}

/// `free` (procps-ng 4.0.2) for the numbers of `m`.
///
/// shared = `Shmem`; buff/cache = `Buffers` + `Cached` + `SReclaimable`
/// (`-w` splits it into `Buffers` and `Cached + SReclaimable`); used =
/// `MemTotal - MemAvailable` (procps 4.0.1+; `MemTotal - MemFree` if that
/// would be negative, and `MemAvailable` is replaced by `MemFree` when it is 0
/// or above `MemTotal`, as `library/meminfo.c` does); swap used =
/// `SwapTotal - SwapFree`. Columns are `%11s` separated by one space after a
/// 9-column row label.
pub fn render_free(m: &MeminfoView, o: &FreeOpts) -> String {
    let total = m.mem_total as i64;
    let free = m.mem_free as i64;
    let mut avail = m.mem_available as i64;
    if avail == 0 || avail > total {
        avail = free;
    }
    let mut used = total - avail;
    if used < 0 {
        used = total - free;
    }
    let cached_all = (m.cached + m.s_reclaimable) as i64;
    let buffers = m.buffers as i64;
    let swap_total = m.swap_total as i64;
    let swap_free = m.swap_free as i64;
    let swap_used = if swap_free < swap_total {
        swap_total - swap_free
    } else {
        0
    };
    let s = |v: i64| free_scale(v, o);

    let mut out = String::new();
    let heads: &[&str] = if o.wide {
        &[
            "total",
            "used",
            "free",
            "shared",
            "buffers",
            "cache",
            "available",
        ]
    } else {
        &["total", "used", "free", "shared", "buff/cache", "available"]
    };
    let heads: Vec<String> = heads.iter().map(|h| h.to_string()).collect();
    free_row(&mut out, "", &heads);

    let mut mem = vec![s(total), s(used), s(free), s(m.shmem as i64)];
    if o.wide {
        mem.push(s(buffers));
        mem.push(s(cached_all));
    } else {
        mem.push(s(buffers + cached_all));
    }
    mem.push(s(avail));
    free_row(&mut out, "Mem:", &mem);

    if o.lohi {
        // No highmem on x86_64: LowTotal/LowFree fall back to the Mem values,
        // High is all zero.
        free_row(&mut out, "Low:", &[s(total), s(total - free), s(free)]);
        free_row(&mut out, "High:", &[s(0), s(0), s(0)]);
    }
    free_row(
        &mut out,
        "Swap:",
        &[s(swap_total), s(swap_used), s(swap_free)],
    );
    if o.total {
        free_row(
            &mut out,
            "Total:",
            &[
                s(total + swap_total),
                s(used + swap_used),
                s(free + swap_free),
            ],
        );
    }
    if o.committed {
        let limit = m.commit_limit as i64;
        let comm = m.committed_as as i64;
        free_row(&mut out, "Comm:", &[s(limit), s(comm), s(limit - comm)]);
    }
    out
}

// ---------------------------------------------------------------------------
// gnulib human.c (used by df and ls)
// ---------------------------------------------------------------------------

/// gnulib `human_readable()` option bits that df and ls use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Human {
    /// `human_autoscale`: pick the unit (K, M, G, ...).
    autoscale: bool,
    /// `human_SI`: append the unit letter.
    si: bool,
    /// `human_base_1024`: powers of 1024 (else 1000, and `k` for kilo).
    base_1024: bool,
    /// `human_suppress_point_zero`: `1K` rather than `1.0K`.
    suppress_point_zero: bool,
    /// `human_B`: append `B` (and `i` with base 1024).
    b: bool,
}

/// `human_readable(n, buf, opts, from_block_size, to_block_size)` with
/// `human_ceiling` rounding (the default, which df and ls use). The C code's
/// exact integer path is taken for every block size; the C floating-point
/// fallback (block sizes that do not divide each other) agrees with this
/// except for last-digit noise on enormous values.
fn human_readable(n: u64, h: Human, from_block_size: u64, to_block_size: u64) -> String {
    const POWER_LETTER: [char; 9] = ['\0', 'K', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];
    let exponent_max = POWER_LETTER.len() as i32 - 1;
    let base: u128 = if h.base_1024 { 1024 } else { 1000 };

    // Exact: n * from / to, with the first decimal and a rounding indicator
    // (0: exact, 1: below .05, 2: exactly .05, 3: above .05), as human.c.
    let num = u128::from(n) * u128::from(from_block_size.max(1));
    let divisor = u128::from(to_block_size.max(1));
    let mut amt = num / divisor;
    let r10 = (num % divisor) * 10;
    let r2 = (r10 % divisor) * 2;
    let mut tenths = r10 / divisor;
    let mut rounding: u128 = if r2 < divisor {
        u128::from(0 < r2)
    } else {
        2 + u128::from(divisor < r2)
    };

    let mut exponent: i32 = -1;
    let mut frac = String::new();
    if h.autoscale {
        exponent = 0;
        if base <= amt {
            loop {
                let r10 = (amt % base) * 10 + tenths;
                let r2 = (r10 % base) * 2 + (rounding >> 1);
                amt /= base;
                tenths = r10 / base;
                rounding = if r2 < base {
                    u128::from(r2 + rounding != 0)
                } else {
                    2 + u128::from(base < r2 + rounding)
                };
                exponent += 1;
                if !(base <= amt && exponent < exponent_max) {
                    break;
                }
            }
            if amt < 10 {
                // human_ceiling
                if 0 < rounding {
                    tenths += 1;
                    rounding = 0;
                    if tenths == 10 {
                        amt += 1;
                        tenths = 0;
                    }
                }
                if amt < 10 && (tenths != 0 || !h.suppress_point_zero) {
                    frac = format!(".{tenths}");
                    tenths = 0;
                    rounding = 0;
                }
            }
        }
    }
    // human_ceiling: round the integer part up if anything is left over.
    if 0 < tenths + rounding {
        amt += 1;
        if h.autoscale && amt == base && exponent < exponent_max {
            exponent += 1;
            if !h.suppress_point_zero {
                frac = ".0".into();
            }
            amt = 1;
        }
    }
    let mut s = format!("{amt}{frac}");
    if h.si {
        if exponent < 0 {
            exponent = 0;
            let mut power: u128 = 1;
            while power < u128::from(to_block_size) {
                exponent += 1;
                if exponent == exponent_max {
                    break;
                }
                power *= base;
            }
        }
        if exponent != 0 {
            let letter = if !h.base_1024 && exponent == 1 {
                'k'
            } else {
                POWER_LETTER[exponent as usize]
            };
            s.push(letter);
        }
        if h.b {
            if h.base_1024 && exponent != 0 {
                s.push('i');
            }
            s.push('B');
        }
    }
    s
}

// ---------------------------------------------------------------------------
// df (coreutils 9.1)
// ---------------------------------------------------------------------------

/// What `statfs(2)` says about one mounted file system, and its mount entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StatfsView {
    /// Mount type, `"tmpfs"` (df's `Type` column, `-T`).
    pub fs_type: String,
    /// Mount source, `"tmpfs"` for /dev/shm (df's `Filesystem` column).
    pub source: String,
    /// Where it is mounted, `"/dev/shm"` (`Mounted on`).
    pub mount_point: String,
    /// `f_frsize` (= `f_bsize` = 4096 on tmpfs): the unit of the block counts.
    pub bsize: u64,
    /// `f_blocks`: size in `bsize` units (tmpfs: `size=` / PAGE_SIZE).
    pub blocks: u64,
    /// `f_bfree`.
    pub bfree: u64,
    /// `f_bavail` (= `f_bfree` on tmpfs).
    pub bavail: u64,
    /// `f_files`: inode limit (tmpfs: `nr_inodes=`).
    pub files: u64,
    /// `f_ffree`.
    pub ffree: u64,
}

/// `df`'s options that change its table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DfOpts {
    /// `-h`: powers of 1024, unit letters (`32M`), headers `Size` and `Avail`.
    pub human: bool,
    /// `-H`/`--si`: like `-h` with powers of 1000 (`34M`, `13k`).
    pub si: bool,
    /// `-i`: inodes instead of blocks.
    pub inodes: bool,
    /// `-T`: a `Type` column.
    pub print_type: bool,
    /// `-P`: POSIX headers (`1024-blocks`, `Capacity`).
    pub posix: bool,
    /// Output block size in bytes: 1024 by default and with `-k`, 1048576
    /// with `-m`, anything with `-B N` (a plain byte count or `K`/`M`/`G`).
    pub block_size: u64,
    /// The operands (`/dev/shm`): which file systems the caller should list.
    pub paths: Vec<String>,
}

impl Default for DfOpts {
    fn default() -> Self {
        DfOpts {
            human: false,
            si: false,
            inodes: false,
            print_type: false,
            posix: false,
            block_size: 1024,
            paths: Vec::new(),
        }
    }
}

impl DfOpts {
    /// Parse `df`'s arguments: `"/dev/shm"`, `"-h /dev/shm"`, `"-hT"`, `"-i"`,
    /// `"-B 1M"`. Non-option words are collected in `paths`.
    pub fn parse(args: &str) -> Result<DfOpts, String> {
        const LONG: &[&str] = &[
            "all",
            "block-size",
            "human-readable",
            "si",
            "inodes",
            "local",
            "portability",
            "print-type",
            "sync",
            "no-sync",
        ];
        let mut o = DfOpts::default();
        let toks = split_args(args);
        let mut i = 0;
        while i < toks.len() {
            let tok = toks[i];
            i += 1;
            if let Some(long) = tok.strip_prefix("--") {
                let (name, val) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (long, None),
                };
                match match_long(name, LONG).map_err(|e| format!("df: {e}"))? {
                    "all" | "local" | "sync" | "no-sync" => {}
                    "human-readable" => o.set_human(false),
                    "si" => o.set_human(true),
                    "inodes" => o.inodes = true,
                    "portability" => o.posix = true,
                    "print-type" => o.print_type = true,
                    "block-size" => {
                        let v = match val {
                            Some(v) => v,
                            None => {
                                i += 1;
                                toks.get(i - 1).copied().ok_or(
                                    "df: option '--block-size' requires an argument".to_string(),
                                )?
                            }
                        };
                        o.set_block_size(v)?;
                    }
                    _ => unreachable!(),
                }
            } else if let Some(shorts) = tok.strip_prefix('-').filter(|s| !s.is_empty()) {
                let chars: Vec<char> = shorts.chars().collect();
                for (k, c) in chars.iter().enumerate() {
                    match c {
                        'a' | 'l' => {}
                        'h' => o.set_human(false),
                        'H' => o.set_human(true),
                        'i' => o.inodes = true,
                        'k' => o.set_block_size("1K")?,
                        'm' => o.set_block_size("1M")?,
                        'P' => o.posix = true,
                        'T' => o.print_type = true,
                        'B' => {
                            let rest: String = chars[k + 1..].iter().collect();
                            let v = if !rest.is_empty() {
                                rest
                            } else {
                                i += 1;
                                toks.get(i - 1)
                                    .map(|s| s.to_string())
                                    .ok_or("df: option requires an argument -- 'B'".to_string())?
                            };
                            o.set_block_size(&v)?;
                            break;
                        }
                        other => return Err(format!("df: invalid option -- '{other}'")),
                    }
                }
            } else {
                o.paths.push(tok.to_string());
            }
        }
        Ok(o)
    }

    fn set_human(&mut self, si: bool) {
        self.human = !si;
        self.si = si;
        self.block_size = 1;
    }

    fn set_block_size(&mut self, v: &str) -> Result<(), String> {
        self.human = false;
        self.si = false;
        let bad = || format!("df: invalid -B argument '{v}'");
        // coreutils' block sizes: K M G T (powers of 1024), KiB MiB ..., and
        // KB MB ... (powers of 1000); a number may come first.
        let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
        let (digits, suffix) = v.split_at(split);
        let n: u64 = if digits.is_empty() {
            1
        } else {
            digits.parse().map_err(|_| bad())?
        };
        let (letter, rest) = match suffix.chars().next() {
            Some(c) => (Some(c.to_ascii_uppercase()), &suffix[1..]),
            None => (None, ""),
        };
        let exp = match letter {
            None => 0,
            Some('K') => 1,
            Some('M') => 2,
            Some('G') => 3,
            Some('T') => 4,
            Some('P') => 5,
            Some('E') => 6,
            _ => return Err(bad()),
        };
        let base: u64 = match rest {
            "" | "iB" => 1024,
            "B" => 1000,
            _ => return Err(bad()),
        };
        let bytes = (0..exp)
            .try_fold(n, |acc, _| acc.checked_mul(base))
            .ok_or_else(bad)?;
        if bytes == 0 {
            return Err(bad());
        }
        self.block_size = bytes;
        Ok(())
    }

    fn human_opts(&self) -> Human {
        if self.human {
            Human {
                autoscale: true,
                si: true,
                base_1024: true,
                ..Human::default()
            }
        } else if self.si {
            Human {
                autoscale: true,
                si: true,
                ..Human::default()
            }
        } else {
            Human::default()
        }
    }
}

/// df's `Use%`: `used * 100 / (used + available)` rounded *up*; `-` when
/// used + available is 0. (The numbers are unsigned here; tmpfs never has a
/// negative `f_bavail`.)
fn df_percent(used: u64, avail: u64) -> String {
    let total = u128::from(used) + u128::from(avail);
    if total == 0 {
        return "-".into();
    }
    let u100 = u128::from(used) * 100;
    let pct = u100 / total + u128::from(u100 % total != 0);
    format!("{pct}%")
}

/// `df` (coreutils 9.1) for the given file systems, one row each, in order.
///
/// Columns and their minimum widths come from df.c's `field_data`
/// (`Filesystem` 14, `Type` 4, numbers 5, `Use%` 4, `Mounted on` 0); each
/// column is as wide as its widest cell; text columns are left-aligned, numbers
/// right-aligned, one space between columns, and the last column is not
/// padded. The default size header is `1K-blocks` (`human_readable` of the
/// block size), sizes are rounded *up* to the output unit, `Use%` is rounded
/// up, and `-` is printed when nothing can be used.
pub fn render_df(fs: &[StatfsView], o: &DfOpts) -> String {
    #[derive(Clone, Copy, PartialEq)]
    enum Align {
        Left,
        Right,
    }
    let human = o.human_opts();
    let autoscale = human.autoscale;

    // (header, min width, alignment)
    let mut cols: Vec<(String, usize, Align)> = vec![("Filesystem".into(), 14, Align::Left)];
    if o.print_type {
        cols.push(("Type".into(), 4, Align::Left));
    }
    if o.inodes {
        cols.push(("Inodes".into(), 5, Align::Right));
        cols.push(("IUsed".into(), 5, Align::Right));
        cols.push(("IFree".into(), 5, Align::Right));
        cols.push(("IUse%".into(), 4, Align::Right));
    } else {
        let size_head = if autoscale {
            "Size".to_string()
        } else if o.posix {
            format!("{}-blocks", o.block_size)
        } else {
            // get_header(): the block size in the base that states it exactly,
            // "1K", "1M", "512B", "1kB" (for 1000).
            let q = o.block_size;
            let (mut q1000, mut q1024) = (q, q);
            let (mut d1000, mut d1024);
            loop {
                d1000 = q1000 % 1000 == 0;
                q1000 /= 1000;
                d1024 = q1024 % 1024 == 0;
                q1024 /= 1024;
                if !(d1000 && d1024) {
                    break;
                }
            }
            let mut h = Human {
                autoscale: true,
                si: true,
                suppress_point_zero: true,
                base_1024: false,
                b: false,
            };
            if !d1000 && d1024 {
                h.base_1024 = true;
            }
            if !d1024 && d1000 {
                h.base_1024 = false;
            }
            if !h.base_1024 {
                h.b = true;
            }
            format!("{}-blocks", human_readable(o.block_size, h, 1, 1))
        };
        cols.push((size_head, 5, Align::Right));
        cols.push(("Used".into(), 5, Align::Right));
        let avail = if autoscale { "Avail" } else { "Available" };
        cols.push((avail.into(), 5, Align::Right));
        let pct = if o.posix && !autoscale {
            "Capacity"
        } else {
            "Use%"
        };
        cols.push((pct.into(), 4, Align::Right));
    }
    cols.push(("Mounted on".into(), 0, Align::Left));

    let mut rows: Vec<Vec<String>> = vec![cols.iter().map(|c| c.0.clone()).collect()];
    for f in fs {
        let mut row = vec![f.source.clone()];
        if o.print_type {
            row.push(f.fs_type.clone());
        }
        if o.inodes {
            let used = f.files.saturating_sub(f.ffree);
            row.push(human_readable(f.files, human, 1, 1));
            row.push(human_readable(used, human, 1, 1));
            row.push(human_readable(f.ffree, human, 1, 1));
            row.push(df_percent(used, f.ffree));
        } else {
            let used = f.blocks.saturating_sub(f.bfree);
            let out_units = if autoscale { 1 } else { o.block_size };
            row.push(human_readable(f.blocks, human, f.bsize, out_units));
            row.push(human_readable(used, human, f.bsize, out_units));
            row.push(human_readable(f.bavail, human, f.bsize, out_units));
            row.push(df_percent(used, f.bavail));
        }
        row.push(f.mount_point.clone());
        rows.push(row);
    }

    let widths: Vec<usize> = (0..cols.len())
        .map(|c| rows.iter().map(|r| r[c].len()).fold(cols[c].1, usize::max))
        .collect();
    let mut out = String::new();
    for row in &rows {
        for (c, cell) in row.iter().enumerate() {
            if c > 0 {
                out.push(' ');
            }
            let last = c == row.len() - 1;
            match cols[c].2 {
                Align::Left if last => out.push_str(cell),
                Align::Left => out.push_str(&pad_right(cell, widths[c])),
                Align::Right => out.push_str(&pad_left(cell, widths[c])),
            }
        }
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------------------
// ls -l (coreutils 9.1, C locale)
// ---------------------------------------------------------------------------

/// `S_IFMT` and the file types `ls` tells apart.
pub const S_IFMT: u32 = 0o170000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFBLK: u32 = 0o060000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFIFO: u32 = 0o010000;
pub const S_ISUID: u32 = 0o4000;
pub const S_ISGID: u32 = 0o2000;
pub const S_ISVTX: u32 = 0o1000;

/// One directory entry as `ls -l` sees it (`lstat` plus the names of the
/// owner and group).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LsEntry {
    /// `st_mode`, file type bits included (`0o100644` for a regular file).
    pub mode: u32,
    pub nlink: u64,
    /// Owner name; a string of digits stands for a uid with no name, which
    /// `ls` right-aligns (`format_user_or_group` prints unknown ids `%*lu`).
    pub user: String,
    /// Group name; digits as for `user`.
    pub group: String,
    /// `st_size` in bytes.
    pub size: u64,
    /// `st_mtime`, seconds since the epoch, shown in UTC.
    pub mtime: i64,
    pub name: String,
}

/// gnulib `filemodestring()`: `-rw-r--r--`, `drwxrwxrwt`, `-rwsr-xr-x`, `-rw-r-Sr--`.
pub fn mode_string(mode: u32) -> String {
    let t = match mode & S_IFMT {
        S_IFREG => '-',
        S_IFDIR => 'd',
        S_IFLNK => 'l',
        S_IFCHR => 'c',
        S_IFBLK => 'b',
        S_IFIFO => 'p',
        S_IFSOCK => 's',
        _ => '?',
    };
    let bit = |b: u32, c: char| if mode & b != 0 { c } else { '-' };
    let exec =
        |x: u32, special: u32, set: char, unset: char| match (mode & special != 0, mode & x != 0) {
            (true, true) => set,
            (true, false) => unset,
            (false, true) => 'x',
            (false, false) => '-',
        };
    [
        t,
        bit(0o400, 'r'),
        bit(0o200, 'w'),
        exec(0o100, S_ISUID, 's', 'S'),
        bit(0o040, 'r'),
        bit(0o020, 'w'),
        exec(0o010, S_ISGID, 's', 'S'),
        bit(0o004, 'r'),
        bit(0o002, 'w'),
        exec(0o001, S_ISVTX, 't', 'T'),
    ]
    .iter()
    .collect()
}

/// Days since 1970-01-01 to (year, month 1-12, day 1-31), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `ls -l`'s time column in the C locale, in UTC: `%b %e %H:%M` when the time
/// is within the last six months (`31556952 / 2` seconds, half an average
/// Gregorian year) and not in the future, else `%b %e  %Y`.
fn ls_time(t: i64, now: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let secs = t.rem_euclid(86_400);
    let six_months_ago = now - 31_556_952 / 2;
    // ls compares with nanoseconds; a file stamped in the current second was
    // written before ls read the clock, so it counts as past.
    let recent = six_months_ago < t && t <= now;
    let mon = MONTHS[(m - 1) as usize];
    if recent {
        format!("{mon} {d:>2} {:02}:{:02}", secs / 3600, secs % 3600 / 60)
    } else {
        format!("{mon} {d:>2}  {y}")
    }
}

/// Whether plain `ls` (no `-a`) lists a name: it hides names starting with `.`.
pub fn ls_visible(name: &str) -> bool {
    !name.starts_with('.')
}

/// `ls -l DIR` (coreutils 9.1, `LC_ALL=C`, output not a terminal, `TZ=UTC`).
///
/// Prints `total N` (`total_blocks_kib`: the listed files' `st_blocks` in
/// KiB, as `ls` sums them) and one line per entry, sorted by name in byte
/// order (C collation): mode, link count right-aligned, owner and group
/// left-aligned (unnamed numeric ids right-aligned), size right-aligned, date,
/// name. Every column is as wide as its widest cell. The entries are printed
/// as given: leave out the dot files plain `ls` hides (see [`ls_visible`]).
/// Names are printed literally, as `ls` does when writing to a pipe.
pub fn render_ls_l(entries: &[LsEntry], total_blocks_kib: u64, now: i64) -> String {
    let mut sorted: Vec<&LsEntry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    let nlink_w = sorted
        .iter()
        .map(|e| e.nlink.to_string().len())
        .max()
        .unwrap_or(0);
    let user_w = sorted.iter().map(|e| e.user.len()).max().unwrap_or(0);
    let group_w = sorted.iter().map(|e| e.group.len()).max().unwrap_or(0);
    let size_w = sorted
        .iter()
        .map(|e| e.size.to_string().len())
        .max()
        .unwrap_or(0);
    let is_id = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let owner = |s: &str, w: usize| {
        if is_id(s) {
            pad_left(s, w)
        } else {
            pad_right(s, w)
        }
    };

    let mut out = format!("total {total_blocks_kib}\n");
    for e in sorted {
        let _ = writeln!(
            out,
            "{} {} {} {} {} {} {}",
            mode_string(e.mode),
            pad_left(&e.nlink.to_string(), nlink_w),
            owner(&e.user, user_w),
            owner(&e.group, group_w),
            pad_left(&e.size.to_string(), size_w),
            ls_time(e.mtime, now),
            e.name
        );
    }
    out
}

// ---------------------------------------------------------------------------
// /proc/PID/maps, /proc/PID/smaps, pmap
// ---------------------------------------------------------------------------

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
        "{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {} ",
        v.start,
        v.end,
        if v.read { 'r' } else { '-' },
        if v.write { 'w' } else { '-' },
        if v.exec { 'x' } else { '-' },
        if v.shared { 's' } else { 'p' },
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

/// pmap's `mapping_name()`: a System V segment (device major 0 and a name
/// starting `/SYSV`) is `  [ shmid=0x<inode> ]`; any other path is its last
/// component (`OS (deleted)`, `zero (deleted)`); the stack is `  [ stack ]`;
/// everything else, `[heap]` and `[vdso]` included, is `  [ anon ]`.
fn pmap_name(v: &VmaView) -> String {
    if v.dev_major == 0 && v.name.starts_with("/SYSV") {
        return format!("  [ shmid=0x{:x} ]", v.ino);
    }
    if let Some(i) = v.name.rfind('/') {
        let base = &v.name[i + 1..];
        return if base.is_empty() {
            "/".into()
        } else {
            base.into()
        };
    }
    if v.name == "[stack]" {
        "  [ stack ]".into()
    } else {
        "  [ anon ]".into()
    }
}

/// `pmap PID` (procps-ng 4.0.2, default format, 64-bit): `PID:   CMDLINE`,
/// one `%016lx %6luK %s %s` line per VMA (permissions as `rwxs-`, private
/// shown as `-`), and ` total %16luK`. `comm` is what pmap prints after the
/// pid: the process's command line.
pub fn render_pmap(pid: u32, comm: &str, vmas: &[VmaView]) -> String {
    let mut out = format!("{pid}:   {comm}\n");
    let mut total: u64 = 0;
    for v in vmas {
        let size = v.end - v.start;
        total += size;
        let perms: String = [
            if v.read { 'r' } else { '-' },
            if v.write { 'w' } else { '-' },
            if v.exec { 'x' } else { '-' },
            if v.shared { 's' } else { '-' },
            '-',
        ]
        .iter()
        .collect();
        let _ = writeln!(
            out,
            "{:016x} {:>6}K {} {}",
            v.start,
            size >> 10,
            perms,
            pmap_name(v)
        );
    }
    let _ = writeln!(out, " total {:>16}K", total >> 10);
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

// ---------------------------------------------------------------------------
// sizes as the scenario contract writes them
// ---------------------------------------------------------------------------

/// A size the way `/proc/meminfo` writes it: `"12 kB"`; with `signed`, a change
/// with its sign always shown: `"+4 kB"`, `"-12 kB"`, `"+0 kB"`.
pub fn render_size_kb(kb: i64, signed: bool) -> String {
    if signed {
        format!("{kb:+} kB")
    } else {
        format!("{kb} kB")
    }
}

/// Read a size in bytes from a scenario or an option: `"64 MiB"`, `"4 kB"`,
/// `"1 GiB"`, `"0"`, `"4096"` (bytes), `"1G"`, `"512M"`, `"64k"` (tmpfs
/// `size=` style), `"0.5 GiB"`.
///
/// Every unit is a power of 1024: `k`/`K`/`KiB`/`kB`/`KB`, `M`/`MiB`/`MB`,
/// `G`/`GiB`/`GB`, `T`/`TiB`/`TB`; `kB` means 1024 as `/proc/meminfo` means it.
/// `B` or no unit is bytes. A fraction must come out to whole bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let bad = |why: &str| format!("bad size {s:?}: {why}");
    let num_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(num_end);
    let unit = unit.trim();
    if num.is_empty() {
        return Err(bad("no number"));
    }
    let shift: u32 = match unit {
        "" | "B" => 0,
        "k" | "K" | "KiB" | "kB" | "KB" | "kiB" => 10,
        "m" | "M" | "MiB" | "MB" => 20,
        "g" | "G" | "GiB" | "GB" => 30,
        "t" | "T" | "TiB" | "TB" => 40,
        other => return Err(bad(&format!("unknown unit {other:?}"))),
    };
    let (int_part, frac_part) = match num.split_once('.') {
        Some((i, f)) => (i, f),
        None => (num, ""),
    };
    if int_part.is_empty() || frac_part.contains('.') || (num.contains('.') && frac_part.is_empty())
    {
        return Err(bad("malformed number"));
    }
    let digits = format!("{int_part}{frac_part}");
    let mantissa: u128 = digits.parse().map_err(|_| bad("number too large"))?;
    let scale = 10u128
        .checked_pow(frac_part.len() as u32)
        .ok_or_else(|| bad("too many decimals"))?;
    let scaled = mantissa
        .checked_mul(1u128 << shift)
        .ok_or_else(|| bad("number too large"))?;
    if scaled % scale != 0 {
        return Err(bad("not a whole number of bytes"));
    }
    u64::try_from(scaled / scale).map_err(|_| bad("number too large"))
}

#[cfg(test)]
mod tests {
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

    fn sample_meminfo() -> MeminfoView {
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

    // `free` expectations were captured with procps-ng 4.0.2 reading a
    // fabricated /proc/meminfo bind-mounted in a private mount namespace:
    //   unshare -m sh -c 'mount --bind meminfo1 /proc/meminfo && free ARGS'
    // meminfo1 holds the numbers of `sample_meminfo()`.

    fn free(m: &MeminfoView, args: &str) -> String {
        render_free(m, &FreeOpts::parse(args).unwrap())
    }

    #[test]
    fn free_default_and_k() {
        let m = sample_meminfo();
        let expected =
            "               total        used        free      shared  buff/cache   available
Mem:           65536       17536       50000        4096       10620       48000
Swap:          32768          12       32756
";
        assert_eq!(free(&m, ""), expected);
        assert_eq!(free(&m, "-k"), expected);
        assert_eq!(free(&m, "--kibi"), expected);
    }

    #[test]
    fn free_wide_total() {
        let expected = "               total        used        free      shared     buffers       cache   available
Mem:           65536       17536       50000        4096         120       10500       48000
Swap:          32768          12       32756
Total:         98304       17548       82756
";
        assert_eq!(free(&sample_meminfo(), "-w -t"), expected);
        assert_eq!(free(&sample_meminfo(), "-wt"), expected);
    }

    #[test]
    fn free_human() {
        let expected =
            "               total        used        free      shared  buff/cache   available
Mem:            64Mi        17Mi        48Mi       4.0Mi        10Mi        46Mi
Swap:           32Mi        12Ki        31Mi
";
        assert_eq!(free(&sample_meminfo(), "-h"), expected);
        let si = "               total        used        free      shared     buffers       cache   available
Mem:             67M         17M         51M        4.2M        122K         10M         49M
Swap:            33M         12K         33M
Total:          100M         17M         84M
";
        assert_eq!(free(&sample_meminfo(), "-h -w -t --si"), si);
    }

    #[test]
    fn free_units() {
        let m = sample_meminfo();
        assert_eq!(
            free(&m, "-m"),
            "               total        used        free      shared  buff/cache   available
Mem:              64          17          48           4          10          46
Swap:             32           0          31
"
        );
        assert_eq!(
            free(&m, "-g"),
            "               total        used        free      shared  buff/cache   available
Mem:               0           0           0           0           0           0
Swap:              0           0           0
"
        );
        assert_eq!(
            free(&m, "-b"),
            "               total        used        free      shared  buff/cache   available
Mem:        67108864    17956864    51200000     4194304    10874880    49152000
Swap:       33554432       12288    33542144
"
        );
        let si = "               total        used        free      shared  buff/cache   available
Mem:           67108       17956       51200        4194       10874       49152
Swap:          33554          12       33542
";
        assert_eq!(free(&m, "--si"), si);
        assert_eq!(free(&m, "--kilo"), si);
        assert_eq!(
            free(&m, "--mega"),
            "               total        used        free      shared  buff/cache   available
Mem:              67          17          51           4          10          49
Swap:             33           0          33
"
        );
        assert_eq!(
            free(&m, "--kilo -t"),
            "               total        used        free      shared  buff/cache   available
Mem:           67108       17956       51200        4194       10874       49152
Swap:          33554          12       33542
Total:        100663       17969       84742
"
        );
    }

    /// Big numbers (9 digits, and 12-digit byte counts that overflow the
    /// 11-column cells), no swap, and a rounding tie: Shmem 8960 kB is exactly
    /// 8.75 MiB, which glibc rounds to even (`8.8Mi`).
    fn big_meminfo() -> MeminfoView {
        MeminfoView {
            mem_total: 123456789,
            mem_free: 100000000,
            mem_available: 110000000,
            shmem: 8960,
            buffers: 256,
            cached: 2359296,
            s_reclaimable: 0,
            swap_total: 0,
            swap_free: 0,
            ..sample_meminfo()
        }
    }

    #[test]
    fn free_big_numbers_and_no_swap() {
        let m = big_meminfo();
        // same capture method, meminfo2
        assert_eq!(
            free(&m, ""),
            "               total        used        free      shared  buff/cache   available
Mem:       123456789    13456789   100000000        8960     2359552   110000000
Swap:              0           0           0
"
        );
        assert_eq!(
            free(&m, "-h"),
            "               total        used        free      shared  buff/cache   available
Mem:           117Gi        12Gi        95Gi       8.8Mi       2.3Gi       104Gi
Swap:             0B          0B          0B
"
        );
        assert_eq!(
            free(&m, "-h -w"),
            "               total        used        free      shared     buffers       cache   available
Mem:           117Gi        12Gi        95Gi       8.8Mi       256Ki       2.2Gi       104Gi
Swap:             0B          0B          0B
"
        );
        assert_eq!(
            free(&m, "-h --si"),
            "               total        used        free      shared  buff/cache   available
Mem:            126G         13G        102G        9.2M        2.4G        112G
Swap:             0B          0B          0B
"
        );
        assert_eq!(
            free(&m, "-b"),
            "               total        used        free      shared  buff/cache   available
Mem:     126419751936 13779751936 102400000000     9175040  2416181248 112640000000
Swap:              0           0           0
"
        );
        assert_eq!(
            free(&m, "-t"),
            "               total        used        free      shared  buff/cache   available
Mem:       123456789    13456789   100000000        8960     2359552   110000000
Swap:              0           0           0
Total:     123456789    13456789   100000000
"
        );
        assert_eq!(
            free(&m, "-m"),
            "               total        used        free      shared  buff/cache   available
Mem:          120563       13141       97656           8        2304      107421
Swap:              0           0           0
"
        );
    }

    #[test]
    fn free_lohi_and_committed() {
        // Captured the same way (`free -l -v`): Low/High rows of three
        // columns, Comm = limit, committed, limit - committed.
        let out = free(&sample_meminfo(), "-l -v");
        assert_eq!(
            out,
            "               total        used        free      shared  buff/cache   available
Mem:           65536       17536       50000        4096       10620       48000
Low:           65536       15536       50000
High:              0           0           0
Swap:          32768          12       32756
Comm:          65536       12345       53191
"
        );
    }

    #[test]
    fn free_used_falls_back_like_procps() {
        // MemAvailable 0 (pre-3.14 kernels) or above MemTotal: use MemFree.
        let mut m = sample_meminfo();
        m.mem_available = 0;
        assert!(free(&m, "").contains("Mem:           65536       15536       50000"));
        m.mem_available = 70000;
        assert!(free(&m, "").contains("       50000\n"));
    }

    #[test]
    fn free_opts_parse() {
        assert_eq!(
            FreeOpts::parse("-ht --wide").unwrap(),
            FreeOpts {
                human: true,
                total: true,
                wide: true,
                ..FreeOpts::default()
            }
        );
        assert!(FreeOpts::parse("--hum").unwrap().human);
        assert_eq!(FreeOpts::parse("--mebi").unwrap().exponent, 3);
        let mega = FreeOpts::parse("--mega").unwrap();
        assert_eq!((mega.exponent, mega.si), (3, true));
        assert_eq!(
            FreeOpts::parse("-k -m").unwrap_err(),
            "free: Multiple unit options don't make sense."
        );
        assert!(FreeOpts::parse("-x").is_err());
        assert!(FreeOpts::parse("-s 1").is_err());
        assert!(
            FreeOpts::parse("--t").is_err(),
            "--t is ambiguous (tera, tebi, total)"
        );
    }

    #[test]
    fn free_human_scale_edges() {
        let h = FreeOpts {
            human: true,
            ..FreeOpts::default()
        };
        assert_eq!(free_scale(0, &h), "0B");
        assert_eq!(free_scale(4, &h), "4.0Ki"); // "4096B" is too wide
        assert_eq!(free_scale(9, &h), "9.0Ki");
        assert_eq!(free_scale(1023, &h), "1.0Mi"); // "1023.0Ki" and "1023Ki" are too wide
        assert_eq!(free_scale(1024, &h), "1.0Mi");
    }

    // `df` expectations: coreutils 9.1 on tmpfs mounts made for the purpose in
    // a private mount namespace (unshare -m), then unmounted:
    //   mount -t tmpfs -o size=32m tmpfs /tmp/dfx            (12 KiB written)
    //   mount -t tmpfs -o size=1000k,nr_inodes=100 shmtest /tmp/dfy  (full)
    //   mount -t tmpfs -o size=20g tmpfs /tmp/dfz            (~4.7 GiB written)
    // with `stat -f` giving the statfs numbers below.

    fn dfx() -> StatfsView {
        StatfsView {
            fs_type: "tmpfs".into(),
            source: "tmpfs".into(),
            mount_point: "/tmp/dfx".into(),
            bsize: 4096,
            blocks: 8192,
            bfree: 8189,
            bavail: 8189,
            files: 3085457,
            ffree: 3085455,
        }
    }

    fn dfy() -> StatfsView {
        StatfsView {
            fs_type: "tmpfs".into(),
            source: "shmtest".into(),
            mount_point: "/tmp/dfy".into(),
            bsize: 4096,
            blocks: 250,
            bfree: 0,
            bavail: 0,
            files: 100,
            ffree: 98,
        }
    }

    fn dfz() -> StatfsView {
        StatfsView {
            fs_type: "tmpfs".into(),
            source: "tmpfs".into(),
            mount_point: "/tmp/dfz".into(),
            bsize: 4096,
            blocks: 5242880,
            bfree: 4022176,
            bavail: 4022176,
            files: 3085457,
            ffree: 3085455,
        }
    }

    fn df(fs: &[StatfsView], args: &str) -> String {
        render_df(fs, &DfOpts::parse(args).unwrap())
    }

    #[test]
    fn df_one_tmpfs_every_mode() {
        let x = [dfx()];
        let cases = [
            (
                "/tmp/dfx",
                "Filesystem     1K-blocks  Used Available Use% Mounted on\n\
                 tmpfs              32768    12     32756   1% /tmp/dfx\n",
            ),
            (
                "-h",
                "Filesystem      Size  Used Avail Use% Mounted on\n\
                 tmpfs            32M   12K   32M   1% /tmp/dfx\n",
            ),
            (
                "-H",
                "Filesystem      Size  Used Avail Use% Mounted on\n\
                 tmpfs            34M   13k   34M   1% /tmp/dfx\n",
            ),
            (
                "-i",
                "Filesystem      Inodes IUsed   IFree IUse% Mounted on\n\
                 tmpfs          3085457     2 3085455    1% /tmp/dfx\n",
            ),
            (
                "-T",
                "Filesystem     Type  1K-blocks  Used Available Use% Mounted on\n\
                 tmpfs          tmpfs     32768    12     32756   1% /tmp/dfx\n",
            ),
            (
                "-m",
                "Filesystem     1M-blocks  Used Available Use% Mounted on\n\
                 tmpfs                 32     1        32   1% /tmp/dfx\n",
            ),
            (
                "-P",
                "Filesystem     1024-blocks  Used Available Capacity Mounted on\n\
                 tmpfs                32768    12     32756       1% /tmp/dfx\n",
            ),
            (
                "-hi",
                "Filesystem     Inodes IUsed IFree IUse% Mounted on\n\
                 tmpfs            3.0M     2  3.0M    1% /tmp/dfx\n",
            ),
            (
                "-k",
                "Filesystem     1K-blocks  Used Available Use% Mounted on\n\
                 tmpfs              32768    12     32756   1% /tmp/dfx\n",
            ),
        ];
        for (args, expected) in cases {
            assert_eq!(df(&x, args), expected, "df {args}");
        }
    }

    #[test]
    fn df_several_widths_full_and_big() {
        let all = [dfx(), dfy(), dfz()];
        assert_eq!(
            df(&all, ""),
            "Filesystem     1K-blocks    Used Available Use% Mounted on
tmpfs              32768      12     32756   1% /tmp/dfx
shmtest             1000    1000         0 100% /tmp/dfy
tmpfs           20971520 4882816  16088704  24% /tmp/dfz
"
        );
        assert_eq!(
            df(&all, "-h"),
            "Filesystem      Size  Used Avail Use% Mounted on
tmpfs            32M   12K   32M   1% /tmp/dfx
shmtest        1000K 1000K     0 100% /tmp/dfy
tmpfs            20G  4.7G   16G  24% /tmp/dfz
"
        );
        assert_eq!(
            df(&all, "-i"),
            "Filesystem      Inodes IUsed   IFree IUse% Mounted on
tmpfs          3085457     2 3085455    1% /tmp/dfx
shmtest            100     2      98    2% /tmp/dfy
tmpfs          3085457     2 3085455    1% /tmp/dfz
"
        );
        assert_eq!(
            df(&all[..2], "-T"),
            "Filesystem     Type  1K-blocks  Used Available Use% Mounted on
tmpfs          tmpfs     32768    12     32756   1% /tmp/dfx
shmtest        tmpfs      1000  1000         0 100% /tmp/dfy
"
        );
        assert_eq!(
            df(&all, "-H"),
            "Filesystem      Size  Used Avail Use% Mounted on
tmpfs            34M   13k   34M   1% /tmp/dfx
shmtest         1.1M  1.1M     0 100% /tmp/dfy
tmpfs            22G  5.1G   17G  24% /tmp/dfz
"
        );
    }

    #[test]
    fn df_empty_and_unusable() {
        // A fresh /dev/shm: 0% (not "-"); a file system with nothing usable
        // and nothing used: "-".
        let mut shm = dfx();
        shm.source = "tmpfs".into();
        shm.mount_point = "/dev/shm".into();
        shm.bfree = shm.blocks;
        shm.bavail = shm.blocks;
        assert_eq!(
            df(&[shm.clone()], "/dev/shm"),
            "Filesystem     1K-blocks  Used Available Use% Mounted on\n\
             tmpfs              32768     0     32768   0% /dev/shm\n"
        );
        shm.blocks = 0;
        shm.bfree = 0;
        shm.bavail = 0;
        assert!(df(&[shm], "").contains("     0     0         0    - /dev/shm"));
    }

    #[test]
    fn df_opts_parse() {
        let o = DfOpts::parse("-hT /dev/shm").unwrap();
        assert!(o.human && o.print_type && !o.inodes);
        assert_eq!(o.paths, vec!["/dev/shm".to_string()]);
        assert_eq!(DfOpts::parse("-B 1M").unwrap().block_size, 1 << 20);
        assert_eq!(DfOpts::parse("-BK").unwrap().block_size, 1024);
        assert_eq!(
            DfOpts::parse("--block-size=1MB").unwrap().block_size,
            1_000_000
        );
        assert!(DfOpts::parse("-q").is_err());
        // -B 512 and -B 1MB headers, from get_header()'s base choice
        assert!(df(&[dfx()], "-B 512").starts_with("Filesystem     512B-blocks"));
        assert!(df(&[dfx()], "-B 1MB").starts_with("Filesystem     1MB-blocks"));
    }

    #[test]
    fn human_readable_rounds_up() {
        let h = Human {
            autoscale: true,
            si: true,
            base_1024: true,
            ..Human::default()
        };
        assert_eq!(human_readable(0, h, 1, 1), "0");
        assert_eq!(human_readable(1023, h, 1, 1), "1023");
        assert_eq!(human_readable(1024, h, 1, 1), "1.0K");
        assert_eq!(human_readable(1025, h, 1, 1), "1.1K");
        assert_eq!(human_readable(10 * 1024 + 1, h, 1, 1), "11K");
        assert_eq!(human_readable(1024 * 1024 - 1, h, 1, 1), "1.0M");
        // plain: 1 block of 4096 in 1K units, and 1 of 4096 in 1M units (up)
        assert_eq!(human_readable(1, Human::default(), 4096, 1024), "4");
        assert_eq!(human_readable(1, Human::default(), 4096, 1 << 20), "1");
    }

    /// `ls -l` of files made with chosen sizes, modes and times
    /// (`truncate -s`, `chmod`, `chown`, `ln`, `touch -d @T`) and listed with
    /// `LC_ALL=C TZ=UTC ls -l` (coreutils 9.1) at `now` = 1795319089
    /// (2026-11-22 03:44:49 UTC).
    #[test]
    fn ls_l_matches_coreutils() {
        let now = 1795319089;
        let e =
            |mode: u32, nlink: u64, user: &str, group: &str, size: u64, mtime: i64, name: &str| {
                LsEntry {
                    mode,
                    nlink,
                    user: user.into(),
                    group: group.into(),
                    size,
                    mtime,
                    name: name.into(),
                }
            };
        // given out of order: ls sorts
        let entries = vec![
            e(0o100666, 3, "root", "root", 34, 1795315489, "OS"),
            e(0o100644, 1, "root", "root", 123456789, 1778039089, "big"),
            e(0o100644, 1, "root", "root", 7, 0, "B_upper"),
            e(0o100666, 3, "root", "root", 34, 1795315489, "OS.link3"),
            e(0o100666, 3, "root", "root", 34, 1795315489, "OS.link2"),
            e(0o100644, 1, "1234", "4321", 0, 1795405489, "empty"),
            e(
                0o100600,
                1,
                "nobody",
                "nogroup",
                4096,
                1795319029,
                "sem.mutex",
            ),
            e(0o102644, 1, "root", "root", 10, 1779540513, "sgid"),
            e(0o041777, 2, "root", "root", 4096, 1700000000, "sticky"),
            e(0o104755, 1, "root", "root", 10, 1779540713, "suid"),
        ];
        let expected = "\
total 16
-rw-r--r-- 1 root   root            7 Jan  1  1970 B_upper
-rw-rw-rw- 3 root   root           34 Nov 22 02:44 OS
-rw-rw-rw- 3 root   root           34 Nov 22 02:44 OS.link2
-rw-rw-rw- 3 root   root           34 Nov 22 02:44 OS.link3
-rw-r--r-- 1 root   root    123456789 May  6  2026 big
-rw-r--r-- 1   1234    4321         0 Nov 23  2026 empty
-rw------- 1 nobody nogroup      4096 Nov 22 03:43 sem.mutex
-rw-r-Sr-- 1 root   root           10 May 23  2026 sgid
drwxrwxrwt 2 root   root         4096 Nov 14  2023 sticky
-rwsr-xr-x 1 root   root           10 May 23 12:51 suid
";
        assert_eq!(render_ls_l(&entries, 16, now), expected);
    }

    #[test]
    fn ls_l_empty_dir_and_single_file() {
        // `ls -l /dev/shm` of an empty /dev/shm printed "total 0".
        assert_eq!(render_ls_l(&[], 0, 0), "total 0\n");
        let one = LsEntry {
            mode: 0o100644,
            nlink: 1,
            user: "student".into(),
            group: "student".into(),
            size: 4096,
            mtime: 86_400 * 31 + 3600 * 9 + 60 * 5,
            name: "OS".into(),
        };
        assert_eq!(
            render_ls_l(&[one], 4, 86_400 * 40),
            "total 4\n-rw-r--r-- 1 student student 4096 Feb  1 09:05 OS\n"
        );
        assert!(!ls_visible(".hidden") && ls_visible("OS"));
    }

    #[test]
    fn ls_time_boundaries_and_calendar() {
        let now = 1_000_000_000; // 2001-09-09 01:46:40 UTC
        assert_eq!(ls_time(now, now), "Sep  9 01:46");
        assert_eq!(ls_time(now + 1, now), "Sep  9  2001"); // future
        assert_eq!(ls_time(now - 15_778_476, now), "Mar 10  2001"); // exactly six months: old
        assert_eq!(ls_time(now - 15_778_475, now), "Mar 10 10:52");
        assert_eq!(ls_time(951_782_400, now), "Feb 29  2000"); // leap day
        assert_eq!(ls_time(-1, now), "Dec 31  1969");
        assert_eq!(mode_string(0o120777), "lrwxrwxrwx");
        assert_eq!(mode_string(0o041776), "drwxrwxrwT");
        assert_eq!(mode_string(0o106610), "-rwS--s---");
        assert_eq!(mode_string(0o104700), "-rws------");
    }

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

    const HOST_PMAP: &str = "\
6751:   ./maps
00005642b5b24000      4K r---- maps
00005642b5b25000      4K r-x-- maps
00005642b5b26000      4K r---- maps
00005642b5b27000      4K r---- maps
00005642b5b28000      4K rw--- maps
00007ff8eab16000     12K rw---   [ anon ]
00007ff8eab19000      4K r--s-   [ shmid=0x2 ]
00007ff8eab1a000      8K rw-s- zero (deleted)
00007ff8eab1c000     12K rw---   [ anon ]
00007ff8eab1f000    152K r---- libc.so.6
00007ff8eab45000   1368K r-x-- libc.so.6
00007ff8eac9b000    332K r---- libc.so.6
00007ff8eacee000     16K r---- libc.so.6
00007ff8eacf2000      8K rw--- libc.so.6
00007ff8eacf4000     52K rw---   [ anon ]
00007ff8ead01000      4K rw-s-   [ shmid=0x2 ]
00007ff8ead02000     16K r--s- shmsim_probe_OS (deleted)
00007ff8ead06000     16K rw-s- shmsim_probe_OS (deleted)
00007ff8ead0a000      8K rw---   [ anon ]
00007ff8ead0c000     16K r----   [ anon ]
00007ff8ead10000      8K r----   [ anon ]
00007ff8ead12000      8K r-x--   [ anon ]
00007ff8ead14000      4K r---- ld-linux-x86-64.so.2
00007ff8ead15000    152K r-x-- ld-linux-x86-64.so.2
00007ff8ead3b000     40K r---- ld-linux-x86-64.so.2
00007ff8ead45000      8K r---- ld-linux-x86-64.so.2
00007ff8ead47000      8K rw--- ld-linux-x86-64.so.2
00007ffcab56f000    132K rw---   [ stack ]
ffffffffff600000      4K --x--   [ anon ]
 total             2408K
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

    fn host_vmas() -> Vec<VmaView> {
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

    #[test]
    fn pmap_matches_the_host_byte_for_byte() {
        assert_eq!(render_pmap(6751, "./maps", &host_vmas()), HOST_PMAP);
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

    #[test]
    fn sizes_as_the_contract_writes_them() {
        assert_eq!(render_size_kb(12, false), "12 kB");
        assert_eq!(render_size_kb(4, true), "+4 kB");
        assert_eq!(render_size_kb(-12, true), "-12 kB");
        assert_eq!(render_size_kb(0, true), "+0 kB");
        assert_eq!(render_size_kb(0, false), "0 kB");
        assert_eq!(parse_size("64 MiB"), Ok(64 << 20));
        assert_eq!(parse_size("32 MiB"), Ok(32 << 20));
        assert_eq!(parse_size("4 kB"), Ok(4096));
        assert_eq!(parse_size("1 GiB"), Ok(1 << 30));
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert_eq!(parse_size(" 0.5 GiB "), Ok(512 << 20));
        assert_eq!(parse_size("1.5k"), Ok(1536));
        assert!(parse_size("0.1 kB").is_err(), "102.4 bytes");
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("12 furlongs").is_err());
        assert!(parse_size("1.").is_err());
        assert!(parse_size("-4 kB").is_err());
        assert!(parse_size("99999999999999 TiB").is_err());
    }
}
