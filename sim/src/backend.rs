//! What a scenario runs on: the kernel model, or the host kernel.
//!
//! Not a kernel file. The runner ([`crate::runner`]) plays statements on a
//! [`Backend`]: the calls a C program makes, the memory accesses, and the
//! observables of the contract, each read the way a real process would read
//! it. [`Kernel`] is the simulated backend; `crate::real` (Linux only) runs
//! the same calls in real processes. Where a backend cannot observe
//! something, it says why ([`Reading::NotObservable`]); what only the
//! simulator can see is [`Reading::SimOnly`] on the real one.

use crate::errno::{Fault, SysResult};
use crate::fs::proc::SmapsView;
use crate::ipc::shm::ShmctlResult;
use crate::kernel::{Kernel, Pid};
use crate::observe::SmapsParts;
use crate::scenario::expect::StatusField;
use crate::syscalls::{Args, Ret, ShellArgs, ShellOut, Sys};
use crate::trace::{Touches, TraceEvent};

/// Per-page observables (`pte`, `core`, `data`, `cache`) show at most this
/// many pages, 128 GiB (the seed's 124 GiB machine whole); a longer object
/// ends with ` (+N pages)`. A sparse file can be exabytes long: its string
/// cannot be. The readers build these strings as runs ([`crate::observe::PageRuns`]), at
/// the cost of what the object holds; the host's `pte` and `core` read a
/// word or a byte per page, of mappings no larger than a real run's cap.
pub const MAX_OBSERVED_PAGES: u64 = 1 << 25;

/// The number of pages a per-page observable shows of `pages`, and the
/// suffix that says how many it leaves out.
pub fn observed_pages(pages: u64) -> (u64, String) {
    if pages > MAX_OBSERVED_PAGES {
        (
            MAX_OBSERVED_PAGES,
            format!(" (+{} pages)", pages - MAX_OBSERVED_PAGES),
        )
    } else {
        (pages, String::new())
    }
}

/// One observable as a backend reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reading {
    /// The value, spelled as the contract spells it (`"PP-"`, `"4 kB"`).
    Value(String),
    /// Only the simulator can see this (the page cache's slots).
    SimOnly,
    /// This backend cannot observe it here, and why.
    NotObservable(String),
}

impl Reading {
    /// The value, if there is one.
    pub fn value(&self) -> Option<&str> {
        match self {
            Reading::Value(v) => Some(v),
            _ => None,
        }
    }
}

/// What `/proc/sysvipc/shm` says of one segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShmRow {
    /// `key` (0 once `IPC_RMID` made it private).
    pub key: i32,
    /// `size` in bytes.
    pub size: u64,
    /// `nattch`.
    pub nattch: u64,
    /// `rss` in bytes: pages in the segment's page cache.
    pub rss: u64,
    /// `swap` in bytes.
    pub swap: u64,
    /// `perms`, with `SHM_DEST` and `SHM_LOCKED`.
    pub perms: u32,
    /// `cpid`.
    pub cpid: Pid,
    /// `lpid`.
    pub lpid: Pid,
}

/// A file an observable names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileRef {
    /// A path (`/dev/shm/OS`, `/tmp/data`), as the scenario writes it.
    Path(String),
    /// A System V segment by key (`/SYSV0000162e`).
    Segment(i32),
    /// The file a process maps at an address.
    Mapping(Pid, u64),
}

/// A machine a scenario can run on.
#[allow(clippy::too_many_arguments)]
pub trait Backend {
    /// Starts a process named `name` (with fds 0, 1 and 2 only).
    fn spawn(&mut self, name: &str) -> Pid;
    /// Is `pid` still alive (not exited, not killed)?
    fn alive(&self, pid: Pid) -> bool;
    /// The kernel functions the last operation went through (empty where
    /// the backend cannot know).
    fn take_trace(&mut self) -> Vec<TraceEvent>;
    /// Kernel log lines since the last call.
    fn take_dmesg(&mut self) -> Vec<String>;
    /// What the kernel functions of the last operation changed, for the
    /// `why` of each change (empty where the backend cannot know). Call it
    /// before [`Backend::take_trace`].
    fn take_touches(&mut self) -> Touches {
        Touches::default()
    }
    /// Does every change of what an observable is made of record a touch?
    /// Then the runner reads again only what a step touched.
    fn touches_complete(&self) -> bool {
        false
    }
    /// The inode number of `file`, as the touches name it (none where the
    /// backend has no touches).
    fn file_inode(&mut self, _file: &FileRef) -> Option<u32> {
        None
    }
    /// The inode number of System V segment `id`'s file.
    fn shm_inode(&mut self, _id: i32) -> Option<u32> {
        None
    }

    /// A call the call table dispatches ([`crate::syscalls`]): `sys` with
    /// its evaluated arguments; its C return value, or the bytes it read.
    fn syscall(&mut self, pid: Pid, sys: Sys, args: &Args) -> SysResult<Ret>;
    /// `mkstemp(3)`: the descriptor and the file's name (as the scenario would write it).
    fn mkstemp(&mut self, pid: Pid, template: &str) -> SysResult<(i32, String)>;
    /// `shmctl(2)`; `set` is `(uid, gid, mode)` for `IPC_SET`.
    fn shmctl(
        &mut self,
        pid: Pid,
        id: i32,
        cmd: i32,
        set: Option<(u32, u32, u32)>,
    ) -> SysResult<ShmctlResult>;
    /// Stores `data` at `addr`; a fault ends the process.
    fn write_user(&mut self, pid: Pid, addr: u64, data: &[u8]) -> Result<(), Fault>;
    /// `memset`.
    fn fill_user(&mut self, pid: Pid, addr: u64, byte: u8, len: u64) -> Result<(), Fault>;
    /// Loads `len` bytes at `addr`.
    fn read_user(&mut self, pid: Pid, addr: u64, len: u64) -> Result<Vec<u8>, Fault>;
    /// Loads a C string at `addr` (at most `max` bytes).
    fn read_user_cstr(&mut self, pid: Pid, addr: u64, max: u64) -> Result<Vec<u8>, Fault>;
    /// `fork(2)`: the child is named `name`.
    fn fork(&mut self, pid: Pid, name: &str) -> SysResult<Pid>;
    /// `exit(2)`.
    fn exit(&mut self, pid: Pid, status: i32) -> SysResult<i32>;
    /// A trap of the process's own code (an integer division by zero): the
    /// CPU's exception becomes `fault`'s signal, which ends the process.
    fn trap(&mut self, pid: Pid, fault: Fault);
    /// Sends `fd` to process `to` (`SCM_RIGHTS`).
    fn send_fd(&mut self, pid: Pid, to: Pid, fd: i32) -> SysResult<i32>;
    /// Receives the oldest descriptor sent to `pid`.
    fn recv_fd(&mut self, pid: Pid) -> SysResult<i32>;

    /// A shell step (a machine or look step, [`crate::syscalls::Dispatch::Shell`]):
    /// `sys` with its evaluated arguments, run by the function its
    /// declaration names for this backend.
    fn shell(&mut self, sys: Sys, args: &ShellArgs) -> ShellOut;

    /// `pte.NAME` over `[addr, addr + len)`.
    fn pte(&mut self, pid: Pid, addr: u64, len: u64) -> Reading;
    /// `core.NAME` over `[addr, addr + len)`.
    fn core(&mut self, pid: Pid, addr: u64, len: u64) -> Reading;
    /// The smaps counters of the VMA containing `addr`.
    fn smaps(&mut self, pid: Pid, addr: u64) -> Result<SmapsView, Reading>;
    /// The smaps counters of the VMA containing `addr` by page table, read
    /// again only where the last step's `touches` (complete) say they may
    /// have moved since `old` ([`Kernel::smaps_parts`]); `None` from a
    /// backend that reads smaps whole.
    fn smaps_parts(
        &mut self,
        _pid: Pid,
        _addr: u64,
        _old: Option<(&SmapsParts, &Touches)>,
    ) -> Option<Result<SmapsParts, Reading>> {
        None
    }
    /// `maps.NAME`: the permissions `/proc/PID/maps` prints for the VMA
    /// containing `addr` (`"rw-s"`), `"none"` when there is none.
    fn maps(&mut self, pid: Pid, addr: u64) -> Reading;
    /// The `/proc/sysvipc/shm` row of segment `id` (`None`: gone).
    fn shm_row(&mut self, id: i32) -> Option<ShmRow>;
    /// A `/proc/meminfo` field in kB (`SwapUsed` = SwapTotal - SwapFree).
    fn meminfo(&mut self, field: &str) -> Reading;
    /// kB used on the file system holding `path` (statvfs).
    /// A line of `/proc/PID/status`, as a size (`"8 kB"`).
    fn status_kb(&mut self, pid: Pid, field: StatusField) -> Reading;
    fn df_used_kb(&mut self, path: &str) -> Reading;
    /// The size in kB of the file system holding `path` (statvfs
    /// `f_blocks * f_frsize`), to know whether two machines' `/dev/shm`
    /// are the same size.
    fn df_size_kb(&mut self, path: &str) -> Reading {
        Reading::NotObservable(format!("the size of the file system at {path}"))
    }
    /// `data.PATH`: `d`/`-` per page of the file.
    fn data(&mut self, file: &FileRef) -> Reading;
    /// `cache.PATH`: `P`/`x`/`-` per page index.
    fn cache(&mut self, file: &FileRef) -> Reading;
    /// `slot.PATH.N`: the raw word in slot `n`.
    fn slot(&mut self, file: &FileRef, n: u64) -> Reading;
    /// The tmpfs files that exist now, as the scenario names them.
    fn shmem_files(&mut self) -> Vec<String>;
    /// The keys of the System V segments that exist now.
    fn segment_keys(&mut self) -> Vec<i32>;
}

impl Backend for Kernel {
    fn spawn(&mut self, name: &str) -> Pid {
        Kernel::spawn(self, name)
    }
    fn alive(&self, pid: Pid) -> bool {
        self.tasks.contains_key(&pid)
    }
    fn take_trace(&mut self) -> Vec<TraceEvent> {
        Kernel::take_trace(self)
    }
    fn take_touches(&mut self) -> Touches {
        Kernel::take_touches(self)
    }
    fn touches_complete(&self) -> bool {
        true
    }
    fn file_inode(&mut self, file: &FileRef) -> Option<u32> {
        self.file_ino(file)
    }
    fn shm_inode(&mut self, id: i32) -> Option<u32> {
        self.shm_ids.obtain_check(id).ok().map(|s| s.ino)
    }
    fn take_dmesg(&mut self) -> Vec<String> {
        let start = self.dmesg_read.min(self.dmesg.len());
        self.dmesg_read = self.dmesg.len();
        self.dmesg[start..].to_vec()
    }
    fn syscall(&mut self, pid: Pid, sys: Sys, args: &Args) -> SysResult<Ret> {
        sys.on_kernel(self, pid, args)
            .expect("the runner dispatches only table calls here")
    }
    fn mkstemp(&mut self, pid: Pid, template: &str) -> SysResult<(i32, String)> {
        crate::glibc::mkstemp(self, pid, template)
    }
    fn shmctl(
        &mut self,
        pid: Pid,
        id: i32,
        cmd: i32,
        set: Option<(u32, u32, u32)>,
    ) -> SysResult<ShmctlResult> {
        Kernel::shmctl(self, pid, id, cmd, set)
    }
    fn write_user(&mut self, pid: Pid, addr: u64, data: &[u8]) -> Result<(), Fault> {
        Kernel::write_user(self, pid, addr, data)
    }
    fn fill_user(&mut self, pid: Pid, addr: u64, byte: u8, len: u64) -> Result<(), Fault> {
        Kernel::fill_user(self, pid, addr, byte, len)
    }
    fn read_user(&mut self, pid: Pid, addr: u64, len: u64) -> Result<Vec<u8>, Fault> {
        Kernel::read_user(self, pid, addr, len)
    }
    fn read_user_cstr(&mut self, pid: Pid, addr: u64, max: u64) -> Result<Vec<u8>, Fault> {
        Kernel::read_user_cstr(self, pid, addr, max)
    }
    fn fork(&mut self, pid: Pid, name: &str) -> SysResult<Pid> {
        Kernel::fork(self, pid, name)
    }
    fn exit(&mut self, pid: Pid, status: i32) -> SysResult<i32> {
        Kernel::exit(self, pid, status)
    }
    fn send_fd(&mut self, pid: Pid, to: Pid, fd: i32) -> SysResult<i32> {
        Kernel::send_fd(self, pid, to, fd)
    }
    fn recv_fd(&mut self, pid: Pid) -> SysResult<i32> {
        Kernel::recv_fd(self, pid)
    }
    fn trap(&mut self, pid: Pid, fault: Fault) {
        if self.tasks.contains_key(&pid) {
            self.force_sig_fault(pid, fault);
        }
    }
    fn shell(&mut self, sys: Sys, args: &ShellArgs) -> ShellOut {
        sys.shell_on_kernel(self, args)
            .expect("the runner dispatches only shell steps here")
    }
    fn pte(&mut self, pid: Pid, addr: u64, len: u64) -> Reading {
        Reading::Value(self.pte_runs(pid, addr, len).folded(""))
    }
    fn core(&mut self, pid: Pid, addr: u64, len: u64) -> Reading {
        Reading::Value(
            self.core_runs(pid, addr, len)
                .map_or_else(|| "none".into(), |r| r.folded("")),
        )
    }
    fn smaps(&mut self, pid: Pid, addr: u64) -> Result<SmapsView, Reading> {
        let vma = self
            .tasks
            .get(&pid)
            .and_then(|t| t.mm.vma_at(addr))
            .ok_or(Reading::Value("none".into()))?;
        Ok(self.smaps_view(pid, vma))
    }
    fn maps(&mut self, pid: Pid, addr: u64) -> Reading {
        Reading::Value(self.maps_perms(pid, addr).unwrap_or_else(|| "none".into()))
    }
    fn smaps_parts(
        &mut self,
        pid: Pid,
        addr: u64,
        old: Option<(&SmapsParts, &Touches)>,
    ) -> Option<Result<SmapsParts, Reading>> {
        let vma = self.tasks.get(&pid).and_then(|t| t.mm.vma_at(addr));
        Some(match vma {
            Some(vma) => Ok(Kernel::smaps_parts(self, pid, vma, old)),
            None => Err(Reading::Value("none".into())),
        })
    }
    fn shm_row(&mut self, id: i32) -> Option<ShmRow> {
        let shp = self.shm_ids.obtain_check(id).ok()?;
        let inode = &self.inodes[&shp.ino];
        Some(ShmRow {
            key: shp.perm.key,
            size: shp.shm_segsz,
            nattch: shp.shm_nattch,
            rss: inode.mapping.nrpages * crate::mm::page::PAGE_SIZE,
            swap: inode.shmem().map_or(0, |i| i.swapped) * crate::mm::page::PAGE_SIZE,
            perms: shp.perm.mode,
            cpid: shp.shm_cprid,
            lpid: shp.shm_lprid,
        })
    }
    fn meminfo(&mut self, field: &str) -> Reading {
        self.meminfo_field(field).map_or_else(
            || Reading::NotObservable(format!("no {field} line")),
            |v| Reading::Value(v.to_string()),
        )
    }
    fn status_kb(&mut self, pid: Pid, field: StatusField) -> Reading {
        Kernel::status_kb(self, pid, field).map_or_else(
            || Reading::Value("none".into()),
            |v| Reading::Value(v.to_string()),
        )
    }
    fn df_used_kb(&mut self, path: &str) -> Reading {
        Kernel::df_used_kb(self, path).map_or_else(
            || Reading::NotObservable(format!("no file system at {path}")),
            |v| Reading::Value(v.to_string()),
        )
    }
    fn df_size_kb(&mut self, path: &str) -> Reading {
        let Ok(p) = crate::fs::vfs::normalize_path(path) else {
            return Reading::NotObservable(format!("no file system at {path}"));
        };
        let st = self.statfs_sb(&self.sbs[self.sb_of_path(&p)]);
        Reading::Value((st.blocks * st.bsize / 1024).to_string())
    }
    fn data(&mut self, file: &FileRef) -> Reading {
        self.file_ino(file)
            .map_or(Reading::Value("none".into()), |ino| {
                let (runs, more) = self.data_runs(ino);
                Reading::Value(runs.folded(&more))
            })
    }
    fn cache(&mut self, file: &FileRef) -> Reading {
        self.file_ino(file)
            .map_or(Reading::Value("none".into()), |ino| {
                let (runs, more) = self.cache_runs(ino);
                Reading::Value(runs.folded(&more))
            })
    }
    fn slot(&mut self, file: &FileRef, n: u64) -> Reading {
        self.file_ino(file)
            .map_or(Reading::Value("none".into()), |ino| {
                Reading::Value(self.slot_string(ino, n))
            })
    }
    fn shmem_files(&mut self) -> Vec<String> {
        self.dentries
            .iter()
            .filter(|(_, ino)| self.inodes[ino].is_reg() && self.inodes[ino].shmem().is_some())
            .map(|(p, _)| p.clone())
            .collect()
    }
    fn segment_keys(&mut self) -> Vec<i32> {
        // The key the file was named after (`SYSV%08x`): IPC_RMID makes the
        // segment's key private but does not rename its file.
        self.shm_ids
            .entries
            .values()
            .filter_map(|s| segment_file_key(&self.inodes[&s.ino].name))
            .collect()
    }
}

impl Kernel {
    /// The inode an observable's file names.
    pub fn file_ino(&self, file: &FileRef) -> Option<u32> {
        match file {
            FileRef::Path(p) => {
                let p = crate::fs::vfs::normalize_path(p).ok()?;
                self.dentries.get(&p).copied()
            }
            FileRef::Segment(key) => self
                .shm_ids
                .entries
                .values()
                .find(|s| segment_file_key(&self.inodes[&s.ino].name) == Some(*key))
                .map(|s| s.ino),
            FileRef::Mapping(pid, addr) => {
                let vma = self.tasks.get(pid)?.mm.vma_at(*addr)?;
                self.vma_inode(vma)
            }
        }
    }
}

/// The key a System V segment's file is named after (`SYSV0000162e`).
pub fn segment_file_key(name: &str) -> Option<i32> {
    name.strip_prefix("SYSV")
        .and_then(|k| u32::from_str_radix(k, 16).ok())
        .map(|k| k as i32)
}
