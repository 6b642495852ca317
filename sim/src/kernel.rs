//! The `Kernel`: one owned struct holding every table of the model.
//!
//! One way in (a system call, a memory access, or a machine event), one way
//! out (the call's result, the trace of kernel functions it went through, and
//! the state that observers read). There are no globals, no wall clock and no
//! unseeded randomness: the same calls give the same state and trace, every
//! time.
//!
//! The behaviour lives in `impl Kernel` blocks in the modules that mirror the
//! kernel files: faults in [`crate::mm::memory`], `mmap` in [`crate::mm::mmap`],
//! shmem in [`crate::mm::shmem`], the VFS in [`crate::fs::vfs`], and so on.

use crate::errno::{Errno, SysResult};
use crate::fs::vfs::{File, FileKey, Inode, SuperBlock};
use crate::klib::idr::Idr;
use crate::mm::page::{Pfn, PhysMem, PAGE_SIZE};
use crate::mm::pgtable::PageTables;
use crate::mm::swapops::{Encoding, SwpEntry};
use crate::mm::vmstat::VmStat;
use crate::trace::{Counter, Touch, Touches, Trace};
use serde::Serialize;
use slotmap::SlotMap;
use std::collections::{BTreeMap, VecDeque};

/// `DEFAULT_MAX_MAP_COUNT` (`include/linux/mm.h`): 65530.
pub const DEFAULT_MAX_MAP_COUNT: u64 = 65530;

/// A process id.
pub type Pid = u32;

/// The machine the model simulates.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Config {
    /// Physical memory in bytes (rounded down to pages).
    pub ram_bytes: u64,
    /// Swap space in bytes; 0 = no swap.
    pub swap_bytes: u64,
    /// `size=` of the `/dev/shm` tmpfs; `None` = the kernel default, half of RAM.
    pub dev_shm_bytes: Option<u64>,
    /// The page-cache index encoding and word size.
    pub encoding: Encoding,
    /// The uid processes run as (an ordinary user, 1000, unless set).
    pub uid: u32,
    /// The gid processes run as.
    pub gid: u32,
    /// The processes' umask.
    pub umask: u32,
    /// `fault_around_bytes` (`mm/memory.c`): 64 KiB.
    pub fault_around_bytes: u64,
    /// The kernel release whose answers the model gives where releases
    /// differ (`[machine] kernel`): 4.14 unless set.
    pub release: Release,
    /// `RLIMIT_NOFILE`'s soft limit for every process (`INR_OPEN_CUR`, 1024).
    pub nofile: u32,
}

/// A kernel release, `KERNEL_VERSION(major, minor, 0)` of
/// `include/generated/uapi/linux/version.h`: what decides the answers that
/// changed between releases (`SHM_STAT_ANY` from 4.17, the default
/// `RLIMIT_MEMLOCK` of 8 MiB from 5.16).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Release {
    /// The major number: 4 of 4.14.
    pub major: u32,
    /// The minor number: 14 of 4.14.
    pub minor: u32,
}

impl Release {
    /// Linux 4.14, the model's home era.
    pub const HOME: Release = Release::new(4, 14);
    /// The oldest release the model answers for.
    pub const OLDEST: Release = Release::HOME;
    /// The newest release the model answers for (the CI host's).
    pub const NEWEST: Release = Release::new(6, 18);

    /// `KERNEL_VERSION(major, minor, 0)`.
    pub const fn new(major: u32, minor: u32) -> Release {
        Release { major, minor }
    }

    /// Is this release `major.minor` or later?
    pub fn at_least(self, major: u32, minor: u32) -> bool {
        self >= Release::new(major, minor)
    }

    /// `"4.14"`, or `None` for text that is not `MAJOR.MINOR`.
    pub fn parse(s: &str) -> Option<Release> {
        let (a, b) = s.trim().split_once('.')?;
        let num = |t: &str| {
            (!t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()))
                .then(|| t.parse().ok())
                .flatten()
        };
        Some(Release::new(num(a)?, num(b)?))
    }

    /// `RLIMIT_MEMLOCK`'s default (`MLOCK_LIMIT` in
    /// `include/uapi/linux/resource.h`): 64 KiB, 8 MiB since 5.16.
    pub fn mlock_limit(self) -> u64 {
        if self.at_least(5, 16) {
            8 << 20
        } else {
            64 << 10
        }
    }
}

impl Default for Release {
    fn default() -> Self {
        Release::HOME
    }
}

impl std::fmt::Display for Release {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ram_bytes: 64 << 20,
            swap_bytes: 0,
            dev_shm_bytes: None,
            encoding: Encoding::default(),
            uid: 1000,
            gid: 1000,
            umask: 0o022,
            fault_around_bytes: 64 << 10,
            release: Release::HOME,
            nofile: 1024,
        }
    }
}

/// A page-table entry (x86_64 PTE, as the model keeps it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Pte {
    /// `pte_present`: maps frame `pfn`.
    Present {
        /// The frame.
        pfn: Pfn,
        /// `_PAGE_RW`.
        write: bool,
        /// `_PAGE_DIRTY`: written through this PTE since it was cleaned.
        dirty: bool,
        /// `_PAGE_ACCESSED`: accessed since the bit was last cleared.
        young: bool,
    },
    /// A swap PTE (`is_swap_pte`): an anonymous page swapped out.
    Swap(SwpEntry),
}

impl Pte {
    /// The frame a load (or, with `write`, a store) reaches through this
    /// PTE with the MMU setting no bit: present and accessed, and for a
    /// store writable and dirty already. `None`: the MMU has work to do (a
    /// bit to set, or a fault).
    pub fn settled(self, write: bool) -> Option<Pfn> {
        match self {
            Pte::Present {
                pfn,
                write: w,
                dirty,
                young: true,
            } if !write || (w && dirty) => Some(pfn),
            _ => None,
        }
    }
}

/// `vm_flags` bits (`include/linux/mm.h`).
pub mod vm {
    /// `VM_READ`.
    pub const READ: u32 = 0x1;
    /// `VM_WRITE`.
    pub const WRITE: u32 = 0x2;
    /// `VM_EXEC`.
    pub const EXEC: u32 = 0x4;
    /// `VM_SHARED`.
    pub const SHARED: u32 = 0x8;
    /// `VM_MAYREAD`.
    pub const MAYREAD: u32 = 0x10;
    /// `VM_MAYWRITE`.
    pub const MAYWRITE: u32 = 0x20;
    /// `VM_MAYEXEC`.
    pub const MAYEXEC: u32 = 0x40;
    /// `VM_MAYSHARE`.
    pub const MAYSHARE: u32 = 0x80;
    /// `VM_LOCKED`.
    pub const LOCKED: u32 = 0x2000;
    /// `VM_LOCKONFAULT`: locked, but only as pages fault in (`MCL_ONFAULT`).
    pub const LOCKONFAULT: u32 = 0x0008_0000;
    /// `VM_NORESERVE`.
    pub const NORESERVE: u32 = 0x0020_0000;
    /// `VM_ACCOUNT`.
    pub const ACCOUNT: u32 = 0x0010_0000;
}

/// A System V attach carried by a VMA (`struct shm_file_data` in ipc/shm.c).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ShmAttach {
    /// The segment's id.
    pub shmid: i32,
}

/// A virtual memory area (`struct vm_area_struct`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Vma {
    /// `vm_start`.
    pub start: u64,
    /// `vm_end` (exclusive).
    pub end: u64,
    /// `vm_flags` ([`vm`]).
    pub flags: u32,
    /// `vm_pgoff`: file offset in pages (for anonymous memory, `vm_start >> PAGE_SHIFT`).
    pub pgoff: u64,
    /// `vm_file`: the open file it maps (holds a reference).
    #[serde(skip)]
    pub file: Option<FileKey>,
    /// `anon_vma`: the family of VMAs its private anonymous pages may be mapped in.
    pub anon_vma: Option<u32>,
    /// A System V attach (`shm_vm_ops`).
    pub shm: Option<ShmAttach>,
}

impl Vma {
    /// `vma_is_accessible`: readable, writable or executable (not
    /// `PROT_NONE`), so that a load may touch it.
    pub fn is_accessible(&self) -> bool {
        self.flags & (vm::READ | vm::WRITE | vm::EXEC) != 0
    }

    /// The number of pages it spans.
    pub fn pages(&self) -> u64 {
        (self.end - self.start) / PAGE_SIZE
    }

    /// The file page index of virtual address `addr` (`linear_page_index`).
    pub fn linear_page_index(&self, addr: u64) -> u64 {
        (addr - self.start) / PAGE_SIZE + self.pgoff
    }

    /// `VM_SHARED`.
    pub fn is_shared(&self) -> bool {
        self.flags & vm::SHARED != 0
    }
}

/// An address space (`struct mm_struct`): VMAs and page tables.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Mm {
    /// VMAs by start address.
    pub vmas: BTreeMap<u64, Vma>,
    /// The page tables, by virtual page number ([`PageTables`]).
    pub ptes: PageTables,
    /// `mmap_base`: where the top-down search for free address space starts.
    pub mmap_base: u64,
    /// `rss_stat`: `MM_FILEPAGES`, `MM_ANONPAGES`, `MM_SWAPENTS`, `MM_SHMEMPAGES`.
    pub rss: [i64; 4],
    /// `def_flags`: flags every new VMA gets (`VM_LOCKED` after
    /// `mlockall(MCL_FUTURE)`).
    pub def_flags: u32,
    /// `vmacache` (mm/vmacache.c): the start of the VMA found last. A
    /// fault over the next page finds it again without a search; a hit is
    /// checked against the VMAs as they are, so nothing needs to clear it.
    #[serde(skip)]
    pub(crate) vmacache: std::cell::Cell<u64>,
}

/// Index into [`Mm::rss`].
pub mod rss {
    /// `MM_FILEPAGES`.
    pub const FILEPAGES: usize = 0;
    /// `MM_ANONPAGES`.
    pub const ANONPAGES: usize = 1;
    /// `MM_SWAPENTS`.
    pub const SWAPENTS: usize = 2;
    /// `MM_SHMEMPAGES`.
    pub const SHMEMPAGES: usize = 3;
}

impl Mm {
    /// The VMA containing `addr` (`find_vma` + the `vm_start <= addr` check).
    pub fn vma_at(&self, addr: u64) -> Option<&Vma> {
        // vmacache_find: the last VMA found, if it is still there and holds
        // `addr`; VMAs never overlap, so it is the one a search would find.
        if let Some(v) = self.vmas.get(&self.vmacache.get()) {
            if v.start <= addr && addr < v.end {
                return Some(v);
            }
        }
        let v = self
            .vmas
            .range(..=addr)
            .next_back()
            .map(|(_, v)| v)
            .filter(|v| addr < v.end)?;
        self.vmacache.set(v.start);
        Some(v)
    }

    /// The PTE for `addr`, if not none.
    pub fn pte(&self, addr: u64) -> Option<Pte> {
        self.ptes.get(addr / PAGE_SIZE)
    }
}

/// A process (`struct task_struct` with its `files_struct` and `mm_struct`).
#[derive(Clone, Debug, Serialize)]
pub struct Task {
    /// Its pid.
    pub pid: Pid,
    /// Its name (the scenario's process name; `comm`).
    pub comm: String,
    /// Effective uid (`cred->euid`, also `fsuid`): what permission checks use.
    pub uid: u32,
    /// Effective gid (`cred->egid`).
    pub gid: u32,
    /// Real and saved uid (`cred->uid`, `cred->suid`): where an unprivileged
    /// `setuid`/`seteuid` may go back to.
    pub ruid: u32,
    /// The saved set-user-id (`cred->suid`).
    pub suid: u32,
    /// Its umask (`fs_struct->umask`).
    pub umask: u32,
    /// Its resource limits (`signal->rlim`), by `RLIMIT_*`.
    pub rlim: crate::sys::Rlimits,
    /// Its address space.
    pub mm: Mm,
    /// Its file descriptor table: fd -> open file.
    #[serde(skip)]
    pub fds: BTreeMap<i32, FileKey>,
    /// `fdt->close_on_exec`: its descriptors with `FD_CLOEXEC`.
    pub close_on_exec: std::collections::BTreeSet<i32>,
    /// The pid of its parent, if it has one in the model.
    pub parent: Option<Pid>,
    /// Minor and major faults it took (`min_flt`, `maj_flt`).
    pub faults: (u64, u64),
}

impl Task {
    /// Lowest free file descriptor (`__alloc_fd`).
    pub fn lowest_free_fd(&self) -> i32 {
        let mut fd = 0;
        for &used in self.fds.keys() {
            if used != fd {
                break;
            }
            fd += 1;
        }
        fd
    }
}

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ExitStatus {
    /// `exit(status)`.
    Exited(i32),
    /// Killed by a signal.
    Signaled(crate::errno::Signal),
}

/// The simulated machine.
#[derive(Clone, Debug)]
pub struct Kernel {
    /// The machine's configuration.
    pub cfg: Config,
    /// Physical memory.
    pub mem: PhysMem,
    /// Counters (`vm_node_stat`, `vm_event_states`).
    pub vmstat: VmStat,
    /// Mounted file systems, by index.
    pub sbs: Vec<SuperBlock>,
    /// Every inode, by number.
    pub inodes: Idr<Inode>,
    /// The directory tree, flattened: absolute path -> inode number.
    pub dentries: BTreeMap<String, u32>,
    /// Open file descriptions (`struct file`).
    pub files: SlotMap<FileKey, File>,
    /// Live processes.
    pub tasks: Idr<Task>,
    /// Processes that have ended, and how.
    pub exited: BTreeMap<Pid, ExitStatus>,
    /// Files in flight between processes (`SCM_RIGHTS`), per receiver.
    pub in_flight: BTreeMap<Pid, VecDeque<FileKey>>,
    /// Swap areas (`swap_info[]`), by type.
    pub swap: Vec<crate::mm::swapfile::SwapInfo>,
    /// The swap cache (`swapper_spaces`): swap entry value -> page.
    pub swap_cache: BTreeMap<u64, Pfn>,
    /// The LRU lists (`lruvec`), indexed by [`crate::mm::vmscan::Lru`].
    pub lru: [crate::mm::vmscan::LruList; 5],
    /// Pages an operation in progress holds locked (`PG_locked` with a
    /// reference): reclaim passes them by, as `trylock_page` would fail.
    pub locked_pages: std::collections::BTreeSet<Pfn>,
    /// System V shared memory (`shm_ids` of the IPC namespace).
    pub shm_ids: crate::ipc::shm::ShmIds,
    /// The kernel log (`dmesg`): the OOM killer's reports.
    pub dmesg: Vec<String>,
    /// The trace of the operation under way.
    pub trace: Trace,
    /// The model's clock, in seconds since the epoch (advances one second per call).
    pub now: i64,
    pub(crate) next_pid: Pid,
    pub(crate) next_ino: u32,
    pub(crate) next_anon_vma: u32,
    pub(crate) next_temp: u64,
    /// The terminal's open file, held by the (unmodelled) login shell that
    /// started every process: their fds 0, 1 and 2 share it.
    pub console: Option<FileKey>,
    /// `vm.swappiness` (default 60).
    pub swappiness: u32,
    /// `vm.max_map_count` (`sysctl_max_map_count`, 65530): the VMAs a
    /// process may have before `mmap` and a split are `ENOMEM`.
    pub max_map_count: u64,
    /// How much of `dmesg` a backend reader has taken.
    pub(crate) dmesg_read: usize,
    /// Every fast path off (see [`Kernel::set_plain`]).
    pub(crate) plain: bool,
}

/// Where the model's clock starts: 2024-01-01 00:00:00 UTC.
pub const EPOCH: i64 = 1_704_067_200;

/// The first pid the model hands out.
pub const FIRST_PID: Pid = 1000;

/// The top of the region that `mmap` fills top-down. x86_64 starts below the
/// stack (`mmap_base()` in arch/x86/mm/mmap.c) at a random offset; the model
/// starts at a fixed address that lies below every ASLR placement of the
/// host's own libraries, so a real run can place its mappings at the same
/// addresses.
pub const MMAP_BASE: u64 = 0x7e00_0000_0000;

impl Kernel {
    /// Turns every fast path off: loads and stores fault-check every page
    /// the way a first touch does, and the trace finds each touch's record
    /// by its hash map. The results must be the same byte for byte (the
    /// property tests in `tests/fast_path_props.rs` play scenarios both ways).
    pub fn set_plain(&mut self, plain: bool) {
        self.plain = plain;
        self.trace.set_plain(plain);
    }

    /// Runs `body` as the kernel function `func` of `file`: the trace
    /// enters it, `body` runs (its own calls nested under it), and the trace
    /// leaves it whatever `body` returns, so that an early `return` or `?`
    /// inside cannot leave the trace's depth wrong.
    pub(crate) fn traced<R>(
        &mut self,
        func: &'static str,
        file: &'static str,
        body: impl FnOnce(&mut Kernel) -> R,
    ) -> R {
        self.trace.enter(func, file);
        let r = body(self);
        self.trace.leave();
        r
    }

    /// A machine booted with `cfg`: memory, the mounts (`/`, `/tmp`, `/dev/shm`,
    /// the internal shm mount) and no processes.
    pub fn new(cfg: Config) -> Kernel {
        let nr_pages = (cfg.ram_bytes / PAGE_SIZE).clamp(16, u32::MAX as u64) as u32;
        let mut k = Kernel {
            mem: PhysMem::new(nr_pages),
            vmstat: VmStat::default(),
            sbs: Vec::new(),
            inodes: Idr::new(),
            dentries: BTreeMap::new(),
            files: SlotMap::with_key(),
            tasks: Idr::new(),
            exited: BTreeMap::new(),
            in_flight: BTreeMap::new(),
            swap: Vec::new(),
            swap_cache: BTreeMap::new(),
            lru: Default::default(),
            locked_pages: Default::default(),
            shm_ids: Default::default(),
            dmesg: Vec::new(),
            trace: Trace::default(),
            plain: false,
            now: EPOCH,
            next_pid: FIRST_PID,
            next_ino: 2,
            next_anon_vma: 1,
            next_temp: 0,
            dmesg_read: 0,
            swappiness: 60,
            max_map_count: DEFAULT_MAX_MAP_COUNT,
            console: None,
            cfg,
        };
        k.mount_initial_filesystems();
        if k.cfg.swap_bytes > 0 {
            let bytes = k.cfg.swap_bytes;
            k.swapon("/swapfile", bytes)
                .expect("the configured swap area fits");
        }
        k
    }

    /// Creates a process named `comm` running as the configured user
    /// (with only fds 0, 1 and 2, which the model leaves out: the first
    /// `open` returns 3).
    pub fn spawn(&mut self, comm: &str) -> Pid {
        let pid = self.next_pid;
        self.next_pid += 1;
        let task = Task {
            pid,
            comm: comm.to_string(),
            uid: self.cfg.uid,
            gid: self.cfg.gid,
            ruid: self.cfg.uid,
            suid: self.cfg.uid,
            umask: self.cfg.umask,
            rlim: crate::sys::Rlimits::boot(&self.cfg),
            mm: Mm {
                mmap_base: MMAP_BASE,
                ..Mm::default()
            },
            fds: BTreeMap::new(),
            close_on_exec: Default::default(),
            parent: None,
            faults: (0, 0),
        };
        self.tasks.insert(pid, task);
        self.reserve_std_fds(pid);
        pid
    }

    /// The live process `pid`.
    pub fn task(&self, pid: Pid) -> SysResult<&Task> {
        self.tasks.get(&pid).ok_or(Errno::ESRCH)
    }

    /// The live process `pid`, mutably.
    pub fn task_mut(&mut self, pid: Pid) -> SysResult<&mut Task> {
        self.tasks.get_mut(&pid).ok_or(Errno::ESRCH)
    }

    /// The live process called `comm`.
    pub fn pid_of(&self, comm: &str) -> Option<Pid> {
        self.tasks.values().find(|t| t.comm == comm).map(|t| t.pid)
    }

    /// Moves a node counter by `delta` pages, and records which kernel
    /// function did (the `why` of a meminfo change).
    ///
    /// Mirrors mm/vmstat.c: `__mod_node_page_state()`.
    pub(crate) fn mod_node_page_state(&mut self, item: Counter, delta: i64) {
        let v = &mut self.vmstat;
        match item {
            Counter::FilePages => v.nr_file_pages += delta,
            Counter::Shmem => v.nr_shmem += delta,
            Counter::AnonMapped => v.nr_anon_mapped += delta,
            Counter::FileMapped => v.nr_file_mapped += delta,
            Counter::SwapCache => v.nr_swapcache += delta,
            Counter::FileDirty => v.nr_file_dirty += delta,
            Counter::FreePages | Counter::SwapSlots | Counter::Mlock => {}
        }
        self.trace.touch(Touch::Counter(item));
    }

    /// Takes what the functions traced since the last call changed (before
    /// [`Kernel::take_trace`], which drops them).
    pub fn take_touches(&mut self) -> Touches {
        self.trace.take_touches()
    }

    /// Takes the trace recorded since the last call.
    pub fn take_trace(&mut self) -> Vec<crate::trace::TraceEvent> {
        self.trace.take()
    }

    /// Advances the clock by a second: every system call is a moment.
    pub(crate) fn tick(&mut self) {
        self.now += 1;
    }

    /// The counter behind `mkstemp`'s names.
    pub(crate) fn next_temp_name(&mut self) -> u64 {
        self.next_temp += 1;
        // Spread successive values over the letters, as a random draw would.
        self.next_temp.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 20
    }

    pub(crate) fn alloc_anon_vma(&mut self) -> u32 {
        let id = self.next_anon_vma;
        self.next_anon_vma += 1;
        id
    }

    /// Bytes of model memory the machine's frames cost (metadata + contents).
    pub fn model_bytes(&self) -> usize {
        self.mem.model_bytes()
    }
}
