//! The `/proc` files shmsim renders: `/proc/meminfo` ([`meminfo`]),
//! `/proc/PID/maps`, `smaps` and `pagemap` ([`task_mmu`]) and the bits of
//! `/proc/kpageflags` ([`page`]). The user-space tools that read them (`free`,
//! `df`, `ls -l`, `pmap`, page-types) are in [`crate::tools`].
//!
//! Students put shmsim's output beside what their own machine prints, so every
//! renderer reproduces the kernel's bytes: column widths, padding, units,
//! header lines, rounding. The renderers are pure functions of plain *view*
//! structs that the kernel model fills; nothing here knows about the rest of
//! the model, and nothing reads a clock.
//!
//! | module | kernel file |
//! | --- | --- |
//! | [`meminfo`] | Linux 4.14 `fs/proc/meminfo.c` (`show_val_kb`), `mm/hugetlb.c` (`hugetlb_report_meminfo`), `arch/x86/mm/pageattr.c` (`arch_report_meminfo`) |
//! | [`task_mmu`] | Linux 4.14 `fs/proc/task_mmu.c` (`show_map_vma`, `show_smap`, `show_smap_vma_flags`, `pte_to_pagemap_entry`) and `fs/seq_file.c` (`seq_pad`) |
//! | [`page`] | `fs/proc/page.c`, `include/uapi/linux/kernel-page-flags.h`, `include/linux/kernel-page-flags.h` |
//!
//! The field *lists* are those of 4.14, the model's home era (x86_64, with the
//! config a distribution kernel of the time has: `CONFIG_MEMORY_FAILURE`,
//! `CONFIG_TRANSPARENT_HUGEPAGE`, `CONFIG_CMA`, no highmem). The byte layout rules
//! (widths, padding) are the same on the 6.x kernels students run today, which
//! print a few more lines; the tests quote output captured on such a host
//! (Linux 6.18) wherever the rules coincide.

pub mod meminfo;
pub mod page;
pub mod task_mmu;

pub use meminfo::{render_meminfo, MeminfoView};
pub use task_mmu::{
    pagemap_entry, pte_char, render_maps, render_smaps, PteView, SmapsView, VmaView, PSS_SHIFT,
};
