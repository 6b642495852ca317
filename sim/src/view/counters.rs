//! The counters as the tools print them: `/proc/meminfo`, `free -k`,
//! `df /dev/shm` and `ipcs -m`.
//!
//! Mirrors `meminfo_proc_show` (`fs/proc/meminfo.c`), procps `free`,
//! coreutils `df` over `statfs` (`fs/statfs.c`, `shmem_statfs`) and util-linux
//! `ipcs`; the text is rendered by [`crate::fs::proc`], [`crate::tools`] and
//! [`crate::ipc::proc`], the same renderers the look steps use.

use crate::fs::proc::render_meminfo;
use crate::fs::vfs::SB_DEV_SHM;
use crate::kernel::Kernel;
use crate::tools::df::{render_df, DfOpts};
use crate::tools::free::{render_free, FreeOpts};
use serde::Serialize;

/// One `/proc/meminfo` line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MeminfoField {
    /// Its name (`Shmem`).
    pub name: String,
    /// Its value (kB for the sizes).
    pub value: u64,
}

/// The counters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CountersView {
    /// `/proc/meminfo`, field by field, in its order.
    pub meminfo: Vec<MeminfoField>,
    /// `free -k`, line by line.
    pub free: Vec<String>,
    /// `df /dev/shm`.
    pub df: Vec<String>,
    /// `ipcs -m`.
    pub ipcs: Vec<String>,
}

impl CountersView {
    /// The view of `k`'s counters.
    pub fn of(k: &Kernel) -> CountersView {
        let m = k.meminfo_view();
        let free = FreeOpts::parse("-k").map_or_else(|e| e, |o| render_free(&m, &o));
        let df = k.sbs.get(SB_DEV_SHM).map_or_else(String::new, |sb| {
            render_df(&[k.statfs_view(sb)], &DfOpts::default())
        });
        let ipcs = crate::ipc::proc::render_ipcs_m(k);
        CountersView {
            meminfo: render_meminfo(&m).lines().filter_map(field).collect(),
            free: lines(&free),
            df: lines(&df),
            ipcs: lines(&ipcs),
        }
    }

    /// The `/proc/meminfo` field `name`.
    pub fn meminfo(&self, name: &str) -> Option<u64> {
        self.meminfo
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value)
    }
}

fn field(line: &str) -> Option<MeminfoField> {
    let (name, rest) = line.split_once(':')?;
    let value = rest.split_whitespace().next()?.parse().ok()?;
    Some(MeminfoField {
        name: name.to_string(),
        value,
    })
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}
