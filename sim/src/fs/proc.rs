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

use crate::kernel::Kernel;
use crate::syscalls::{ShellArgs, ShellOut};

pub use meminfo::{render_meminfo, MeminfoView};
pub use task_mmu::{
    pagemap_entry, pte_char, render_maps, render_smaps, PteView, SmapsView, VmaView, PSS_SHIFT,
};

/// The look step `cat(PATH)` of a `/proc` file the model renders.
pub fn cat(k: &mut Kernel, a: &ShellArgs) -> ShellOut {
    ShellOut::printed(match a.text(0) {
        "/proc/meminfo" => Ok(render_meminfo(&k.meminfo_view())),
        "/proc/sys/kernel/shmmax" => Ok(format!("{}\n", k.shm_ids.shm_ctlmax)),
        "/proc/sys/kernel/shmall" => Ok(format!("{}\n", k.shm_ids.shm_ctlall)),
        "/proc/sys/kernel/shmmni" => Ok(format!("{}\n", k.shm_ids.shm_ctlmni)),
        "/proc/sys/kernel/shm_next_id" => Ok(format!("{}\n", k.shm_ids.next_id)),
        "/proc/sys/vm/max_map_count" => Ok(format!("{}\n", k.max_map_count)),
        "/proc/swaps" => Ok(proc_swaps(k)),
        "/proc/sysvipc/shm" => Ok(crate::ipc::proc::render_proc_sysvipc_shm(k)),
        other => Err(format!("cat: {other}: not modelled\n")),
    })
}

/// The checker's check of `cat`'s path: a `/proc` file must be one the
/// model renders (any other absolute path is a file whose bytes it prints).
pub fn check_cat_path(t: &str) -> Result<(), crate::syscalls::ToolRefusal> {
    use crate::scenario::calls::PROC_FILES;
    if !t.starts_with("/proc/") || PROC_FILES.contains(&t) {
        return Ok(());
    }
    let help = match crate::scenario::diag::did_you_mean(t, PROC_FILES.iter().copied()) {
        Some(d) => format!("did you mean \"{d}\"?"),
        None => format!("the simulator renders {}", PROC_FILES.join(", ")),
    };
    Err(crate::syscalls::ToolRefusal {
        message: format!("`cat` cannot show `{t}`"),
        label: "not a /proc file the simulator renders".into(),
        help,
    })
}

/// `/proc/swaps` (`swap_show`, `mm/swapfile.c`): the swap files in use.
fn proc_swaps(k: &Kernel) -> String {
    let mut s = String::from("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
    for si in k.swap.iter().filter(|s| s.writeok) {
        s.push_str(&format!(
            "{:<40}file\t\t{}\t\t{}\t\t-2\n",
            si.path,
            si.pages() * 4,
            si.inuse_pages * 4
        ));
    }
    s
}

/// The look step `smaps(proc, mapping)`: the `/proc/PID/smaps` entry of the
/// mapping that holds the address.
pub fn smaps(k: &mut Kernel, a: &ShellArgs) -> ShellOut {
    ShellOut::printed(smaps_entry(k, a))
}

fn smaps_entry(k: &Kernel, a: &ShellArgs) -> Result<String, String> {
    let (pid, _) = a.proc_().ok_or("smaps: which process?\n")?;
    let at = a.u64(1);
    let vmas = k.vma_views(pid).map_err(|e| e.strerror().to_string())?;
    let one: Vec<_> = vmas
        .into_iter()
        .filter(|v| v.start <= at && at < v.end)
        .collect();
    Ok(render_smaps(&one))
}
