//! The real backend: a scenario played on the host kernel (Linux only).
//!
//! Not a kernel file. [`RealBackend`] implements [`Backend`] with real
//! processes, real system calls and real loads and stores, and reads the
//! contract's observables the way a process on the host can:
//!
//! | observable | measured with |
//! | --- | --- |
//! | `pte` | `/proc/PID/pagemap` bits 63 (`P`) and 62 (`s`) |
//! | `core` | `mincore(2)`, made by the worker itself |
//! | `data` | `lseek(SEEK_DATA/SEEK_HOLE)` on the file (a mapping's or a segment's file through `/proc/PID/map_files`, root only) |
//! | `smaps` | the block of `/proc/PID/smaps` whose range holds the address |
//! | `shm` | `/proc/sysvipc/shm`, only segments the run created |
//! | `meminfo` | `/proc/meminfo`, after reading `/proc/sys/vm/stat_refresh` (root) |
//! | `df` | `statvfs` (machine-wide: the runner takes deltas) |
//! | `cache`, `slot` | sim only |
//!
//! How it works:
//!
//! ```text
//!   runner --Backend--> RealBackend --mirror first--> Kernel (shadow model: addresses, names)
//!                            |
//!                            +--socketpair, JSON frames, SCM_RIGHTS--> worker (one real process
//!                                                                      per scenario process)
//! ```
//!
//! Every call goes to the shadow [`Kernel`] first; where the kernel chooses
//! (an `mmap`/`shmat` address, a `mkstemp` name) the real call uses the
//! model's choice (`MAP_FIXED_NOREPLACE`, or the address as a hint for
//! `MAP_SHARED_VALIDATE`, which refuses that flag; `shmat` at that address).
//! What is returned is what the host returned.
//!
//! Confinement: paths live in a private run folder (`/tmp/x` ->
//! `RUN/tmp/x`, relative paths in `RUN/home/student`), `/dev/shm/NAME` is
//! `/dev/shm/shmsim-<pid>-<n>/shm/NAME` (a private folder on the same tmpfs,
//! so names up to 255 bytes still work; root's 1777 in a folder root's
//! 0755, as the model's /dev/shm and /dev), System V keys are rewritten to keys
//! no other segment on the host has (`IPC_PRIVATE` stays private), and the
//! run only touches, attaches or removes what it created. Whatever it
//! created is removed when it ends, fails, panics or is interrupted.
//!
//! What is approximate, and why:
//! - `meminfo` and `df` are machine-wide: on a shared host other processes
//!   (and the driver itself) move them; the runner takes deltas.
//! - A worker is a fork of the driver (no exec): its inherited heap and stack
//!   pages are copied on write as it serves, a few pages of `AnonPages`.
//! - The fault's `si_code`/`si_addr` come from the worker's own handler
//!   (exact); a worker that dies without one reports `SEGV_MAPERR` at 0.
//! - Without swap on the host, `meminfo.SwapCached`/`SwapUsed` are
//!   [`Reading::NotObservable`]; `smaps.Swap` and `shm.swap` read the host's
//!   true 0 (the trait has no way to mark one field).
//! - `shm_open`'s name checks are glibc 2.38's (the model's), then the real
//!   `open(2)`; `mkstemp` uses the model's name.
//! - Refused to protect the worker's own memory (its inherited libraries,
//!   heap, stack): `munmap`/`mprotect`/`madvise` there give `EPERM`, a load or
//!   store there ends the process with SIGSEGV (a note says so), `MAP_FIXED`
//!   over it becomes `MAP_FIXED_NOREPLACE` (`EEXIST`), `SHM_REMAP` over it is
//!   dropped (`EINVAL`). Every other flag a scenario gives is passed as given.
//! - Over the memory cap: `mmap` and `shmget` give `ENOMEM`, `ftruncate` and
//!   `pwrite` `EFBIG`, `memset` ends the process with SIGKILL (as an OOM kill).
//! - `reclaim`, `sysctl`, `drop_caches` are sim only, and not mirrored into
//!   the shadow model either, so that it keeps following the host.
//! - The shell's `rm(path)` runs: the shadow model unlinks first, then the
//!   driver (root) removes the path of the run's own `/dev/shm` folder.
//! - `take_trace` and `take_dmesg` are always empty.
//! - Fds 0-2 are a pseudo-terminal of the run's (`tty.rs`), owned, grouped
//!   and moded as the model's `/dev/pts/0`, drained by the driver and
//!   non-canonical (a read gives 0 at once); its number is the host's
//!   (`/dev/pts/N`), and its `st_dev`/`st_ino`/`st_rdev` are devpts's.
//! - Each worker gets the model's limits: `RLIMIT_NOFILE` 1024, so that the
//!   scenario's descriptors are 0-1023 as in the model (the channel is fd
//!   1024, made before the limit was set), and the release's `RLIMIT_MEMLOCK` (64 KiB for 4.14, 8 MiB from
//!   5.16). Audited flag passing: every call gets the scenario's flags as
//!   given, except `MAP_FIXED_NOREPLACE` added to place a mapping where the
//!   model did (a hint instead for `MAP_SHARED_VALIDATE`), `MAP_FIXED` and
//!   `SHM_REMAP` withheld over the worker's own memory, and `O_EXCL` /
//!   `IPC_EXCL` added where the model creates, so a run never opens or
//!   attaches what it did not make.
//!
//! A front end that must not block (the TUI) plays the run on a thread of
//! its own with [`arm::RealArm`], step by step as the user advances.

pub mod arm;
mod dispatch;
mod guard;
mod host;
mod proto;
pub(crate) mod shell;
mod tty;
pub(crate) mod worker;

use crate::backend::{Backend, FileRef, Reading, ShmRow};
use crate::errno::{Errno, Fault, SigCode, Signal, SysResult};
use crate::fs::proc::SmapsView;
use crate::ipc::shm::{ShmInfo, ShmctlResult, ShmidDs};
use crate::kernel::{Config, ExitStatus, Kernel, Pid};
use crate::scenario::expect::StatusField;
use crate::syscalls::{Args, Ret, ShellArgs, ShellOut, Sys};
use crate::trace::TraceEvent;
use guard::Guard;
use proto::{Rep, Req};
use rustix::process::{WaitId, WaitIdOptions, WaitOptions};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How a real run may use the host.
#[derive(Clone, Debug)]
pub struct RealOptions {
    /// The most memory a run may use, in bytes (default 256 MiB): a scenario
    /// whose `[machine] ram` is larger is refused, and so is any single
    /// mapping, segment or file size above it.
    pub memory_cap: u64,
    /// Where run folders are made (default `std::env::temp_dir()`).
    pub run_root: PathBuf,
}

impl Default for RealOptions {
    fn default() -> Self {
        RealOptions {
            memory_cap: 256 << 20,
            run_root: std::env::temp_dir(),
        }
    }
}

/// The host's release (`/proc/sys/kernel/osrelease`: `6.18.44-...`) as
/// the model names releases, within those it answers for
/// ([`Release::OLDEST`](crate::kernel::Release::OLDEST) to
/// [`Release::NEWEST`](crate::kernel::Release::NEWEST)): the release a model
/// run must play to be held to this host's answers call by call (a 4.14
/// scenario on a 6.18 host differs wherever the answer changed between
/// them).
pub fn host_release() -> Option<crate::kernel::Release> {
    use crate::kernel::Release;
    let text = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
    let mut parts = text.trim().split('.');
    let major = parts.next()?;
    let minor: String = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let r = Release::parse(&format!("{major}.{minor}"))?;
    Some(r.clamp(Release::OLDEST, Release::NEWEST))
}

/// What a host without swap says of the swap observables.
pub const NO_SWAP: &str = "no swap: add one with `fallocate -l 256M /swapfile && chmod 600 /swapfile && mkswap /swapfile && swapon /swapfile`";

/// How long the driver waits for a worker's answer before it kills it.
const REPLY_TIMEOUT_SECS: u64 = 60;

const PAGE: u64 = 4096;
const SHM_INFO: i32 = 14;
const IPC_CREAT: i32 = 0o1000;
const IPC_EXCL: i32 = 0o2000;
const SHM_REMAP: i32 = 0o40000;
const MAP_FIXED: u32 = 0x10;
const MAP_TYPE: u32 = 0x0f;
const MAP_SHARED_VALIDATE: u32 = 0x03;
const MAP_FIXED_NOREPLACE: u32 = 0x10_0000;
const O_CREAT: u32 = 0o100;
const O_EXCL: u32 = 0o200;

/// One real process.
#[derive(Debug)]
struct Worker {
    name: String,
    /// Its pid in the shadow model.
    model: Pid,
    /// The driver's end of its channel.
    chan: OwnedFd,
    dead: bool,
    /// Address ranges the scenario mapped in it (mmap, shmat): the only
    /// memory the driver lets it unmap, protect, advise, load or store
    /// (beyond holes, where the access faults as it should).
    owned: Vec<(u64, u64)>,
}

/// How a request ended.
enum Outcome {
    Rep(Rep, Vec<OwnedFd>),
    Fault(Fault),
    Gone,
}

/// A scenario played on the host kernel.
pub struct RealBackend {
    model: Kernel,
    opts: RealOptions,
    guard: Arc<Mutex<Guard>>,
    run_dir: PathBuf,
    /// The run's folder on the host's /dev/shm (as the model's `/dev`).
    shm_root: PathBuf,
    /// `shm` in it: the scenario's `/dev/shm`.
    shm_dir: PathBuf,
    workers: BTreeMap<Pid, Worker>,
    /// Descriptors sent and not yet received, per receiver (held open, as the
    /// kernel's in-flight message holds a reference).
    in_flight: BTreeMap<Pid, VecDeque<OwnedFd>>,
    /// Real System V id -> the model's.
    ids: BTreeMap<i32, i32>,
    /// Scenario key (an `ftok` result or a literal) -> the model's key.
    key_model: BTreeMap<i32, i32>,
    /// Scenario key -> host key, and back.
    key_host: BTreeMap<i32, i32>,
    key_back: BTreeMap<i32, i32>,
    key_seed: u64,
    cpu: Option<usize>,
    root: bool,
    swap: bool,
    pgid: i32,
    ids_drop: Option<(u32, u32)>,
    umask: u32,
    dead_pids: u32,
    notes: Vec<String>,
    /// The login terminal the workers get on fds 0-2, as the model's
    /// processes have `/dev/pts/0` ([`tty`]).
    tty: Option<tty::Terminal>,
}

fn errno_of(n: i32) -> Errno {
    Errno::ALL
        .iter()
        .copied()
        .find(|e| e.number() == n)
        .unwrap_or(Errno::EIO)
}

fn page_up(n: u64) -> u64 {
    n.div_ceil(PAGE) * PAGE
}

fn cpath(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).expect("run paths have no NUL")
}

/// Makes a folder (private until it has its owner), then gives it `owner`
/// and `mode`; only the `mkdir` may fail the call, as before.
fn mkdir(p: &Path, mode: u32, owner: Option<(u32, u32)>) -> std::io::Result<()> {
    use rustix::fs::{Gid, Mode, Uid};
    rustix::fs::mkdir(p, Mode::from_raw_mode(0o700))?;
    if let Some((u, g)) = owner {
        let _ = rustix::fs::chown(p, Some(Uid::from_raw(u)), Some(Gid::from_raw(g)));
    }
    let _ = rustix::fs::chmod(p, Mode::from_raw_mode(mode));
    Ok(())
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The model's pid of a worker.
fn mp(workers: &BTreeMap<Pid, Worker>, pid: Pid) -> Pid {
    workers.get(&pid).map_or(u32::MAX, |w| w.model)
}

/// The model's id of a real segment id (one it cannot have if unknown).
fn model_id(ids: &BTreeMap<i32, i32>, id: i32) -> i32 {
    ids.get(&id).copied().unwrap_or(i32::MAX)
}

/// Subtracts `owned` from `[a, b)`: the first address left, if any.
fn first_not_owned(owned: &[(u64, u64)], a: u64, b: u64) -> Option<u64> {
    let mut at = a;
    let mut sorted = owned.to_vec();
    sorted.sort_unstable();
    for (s, e) in sorted {
        if e <= at {
            continue;
        }
        if s > at {
            break;
        }
        at = e;
        if at >= b {
            return None;
        }
    }
    (at < b).then_some(at)
}

fn remove_range(owned: &mut Vec<(u64, u64)>, a: u64, b: u64) {
    let mut out = Vec::new();
    for &(s, e) in owned.iter() {
        if e <= a || s >= b {
            out.push((s, e));
            continue;
        }
        if s < a {
            out.push((s, a));
        }
        if e > b {
            out.push((b, e));
        }
    }
    *owned = out;
}

impl RealBackend {
    /// Prepares a run of a scenario whose machine is `cfg`: the shadow model,
    /// the run folder, the private `/dev/shm` folder and the cleanup. Refuses
    /// on a machine larger than the cap, or when the host cannot host the run.
    pub fn new(cfg: &Config, opts: RealOptions) -> Result<RealBackend, String> {
        if cfg.ram_bytes > opts.memory_cap {
            return Err(format!(
                "the scenario's machine has ram = {} MiB, more than a real run may use ({} MiB): \
                 lower [machine] ram or raise the cap (RealOptions::memory_cap)",
                cfg.ram_bytes >> 20,
                opts.memory_cap >> 20
            ));
        }
        if !host::is_tmpfs(Path::new("/dev/shm")) {
            return Err("real runs need /dev/shm mounted as a tmpfs".into());
        }
        let root = rustix::process::geteuid().is_root();
        let ids_drop = (root && cfg.uid != 0).then_some((cfg.uid, cfg.gid));
        guard::sweep_stale(&opts.run_root);
        let me = std::process::id();
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let (run_dir, shm_root, shm_dir) = loop {
            let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let run_dir = opts.run_root.join(format!("{}{me}-{n}", guard::RUN_PREFIX));
            let shm_root = PathBuf::from(format!("/dev/shm/{}{me}-{n}", guard::SHM_PREFIX));
            if run_dir.exists() || shm_root.exists() {
                continue;
            }
            // As root, the run folder is the scenario's `/` as the model's
            // is, root's 0755, and its /dev/shm folder is as /dev/shm
            // itself is: root's, 1777 (sticky: anyone may make files in it;
            // no one else may chmod it or remove it). A process of the
            // scenario then meets the same permissions in both (an `unlink`
            // of `/tmp` is EACCES, of `/dev/shm/` EISDIR).
            let (run_mode, shm_mode) = if root {
                (0o755, 0o1777)
            } else {
                (0o700, 0o700)
            };
            match mkdir(&run_dir, run_mode, None) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(format!(
                        "cannot make the run folder {}: {e}",
                        run_dir.display()
                    ))
                }
            }
            // The run's /dev/shm is `shm` in a folder of its own there, each
            // as the model's /dev and /dev/shm are when the driver is root:
            // root's, 0755 and 1777, so that what a process may do to
            // /dev/shm itself (unlink, chmod: EACCES, EPERM) is the same.
            let shm_dir = shm_root.join("shm");
            let made = mkdir(&shm_root, if root { 0o755 } else { 0o700 }, None).map(|()| {
                // Ours from here: removed if what goes in it fails.
                mkdir(&shm_dir, shm_mode, None).inspect_err(|_| {
                    let _ = std::fs::remove_dir_all(&shm_root);
                })
            });
            if let Err(e) = made.and_then(|r| r) {
                let _ = std::fs::remove_dir_all(&run_dir);
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    continue;
                }
                return Err(format!("cannot make {}: {e}", shm_dir.display()));
            }
            break (run_dir, shm_root, shm_dir);
        };
        let guard = Arc::new(Mutex::new(Guard {
            driver: me,
            owner: std::thread::current().id(),
            run_dir: run_dir.clone(),
            shm_root: shm_root.clone(),
            shm_dir: shm_dir.clone(),
            workers: BTreeSet::new(),
            reaped: BTreeSet::new(),
            pgids: BTreeSet::new(),
            segments: BTreeMap::new(),
            host_keys: BTreeSet::new(),
            started: now_secs() - 1,
            done: false,
        }));
        guard::register(&guard);
        {
            let g = guard.lock().unwrap_or_else(|e| e.into_inner());
            g.note(&format!("started {}", g.started));
        }
        // The model's tree: /dev, /home, /home/student (the cwd), /tmp.
        let user = ids_drop;
        let made = mkdir(&run_dir.join("dev"), 0o755, None)
            .and_then(|_| mkdir(&run_dir.join("home"), 0o755, None))
            .and_then(|_| mkdir(&run_dir.join("home/student"), 0o755, user))
            .and_then(|_| mkdir(&run_dir.join("tmp"), 0o1777, None));
        let cpu = Some(rustix::thread::sched_getcpu());
        let mut seed = (me as u64) << 32
            ^ now_secs() as u64
            ^ COUNTER.load(std::sync::atomic::Ordering::Relaxed) as u64;
        splitmix(&mut seed);
        let b = RealBackend {
            model: Kernel::new(cfg.clone()),
            opts,
            guard,
            run_dir,
            shm_root,
            shm_dir,
            workers: BTreeMap::new(),
            in_flight: BTreeMap::new(),
            ids: BTreeMap::new(),
            key_model: BTreeMap::new(),
            key_host: BTreeMap::new(),
            key_back: BTreeMap::new(),
            key_seed: seed,
            cpu,
            root,
            swap: host::has_swap(),
            pgid: 0,
            ids_drop,
            umask: cfg.umask,
            dead_pids: 0,
            notes: Vec::new(),
            tty: None,
        };
        let mut b = b;
        made.map_err(|e| format!("cannot prepare the run folder: {e}"))?;
        b.open_terminal();
        // `[machine] dev_shm`: as root, the run's /dev/shm folder is a tmpfs
        // of that size of its own, so that ENOSPC, df and free read as on
        // the scenario's machine. The guard unmounts it whatever happens.
        if let (true, Some(bytes)) = (root, cfg.dev_shm_bytes) {
            if let Err(e) = host::mount_tmpfs(&b.shm_dir, bytes, 0o1777, (0, 0)) {
                b.note(format!(
                    "/dev/shm of {} kB: cannot mount a tmpfs of that size ({e}); the host's is used",
                    bytes / 1024
                ));
            }
        }
        Ok(b)
    }

    /// The run's private folder (the scenario's `/`).
    pub fn run_dir(&self) -> &Path {
        &self.run_dir
    }

    /// The scenario's `/dev/shm` on the host: `shm` in [`Self::shm_root`].
    pub fn shm_dir(&self) -> &Path {
        &self.shm_dir
    }

    /// The run's private folder on the host's /dev/shm (the model's
    /// `/dev`), holding [`Self::shm_dir`]: nothing of it is left after the
    /// run.
    pub fn shm_root(&self) -> &Path {
        &self.shm_root
    }

    /// Does the host have swap (else the swap observables are not observable)?
    pub fn host_has_swap(&self) -> bool {
        self.swap
    }

    /// Is the driver root (PFNs, `map_files`, stat_refresh, dropping to the
    /// scenario's uid)?
    pub fn is_root(&self) -> bool {
        self.root
    }

    /// The shadow model (as the run has played it so far).
    pub fn model(&self) -> &Kernel {
        &self.model
    }

    /// Pids of the workers that are still alive.
    pub fn live_pids(&self) -> Vec<Pid> {
        self.workers
            .iter()
            .filter(|(_, w)| !w.dead)
            .map(|(p, _)| *p)
            .collect()
    }

    /// What the run refused or could not do the way the scenario asked.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Ends the run now: workers killed, segments removed, folders removed.
    pub fn cleanup(&mut self) {
        self.in_flight.clear();
        for w in self.workers.values_mut() {
            w.dead = true;
        }
        self.guard().cleanup();
        if let Some(t) = &mut self.tty {
            t.close();
        }
    }

    /// The run's terminal, owned and mode as the model's `/dev/pts/0`.
    fn open_terminal(&mut self) {
        let Some(pts) = self.model.inodes.values().find(|i| i.name == "/dev/pts/0") else {
            return;
        };
        let (uid, gid, mode) = (pts.uid, pts.gid, pts.mode & 0o7777);
        match tty::Terminal::open(uid, gid, mode, self.root) {
            Ok(t) => self.tty = Some(t),
            Err(e) => self.note(format!(
                "no terminal for the processes ({e}): their fds 0-2 are /dev/null"
            )),
        }
    }

    fn guard(&self) -> std::sync::MutexGuard<'_, Guard> {
        self.guard.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn note(&mut self, s: String) {
        self.notes.push(s);
    }

    // ---- paths and names ------------------------------------------------

    /// The host path of a scenario path.
    fn host_path(&self, p: &str) -> SysResult<PathBuf> {
        let n = crate::fs::vfs::normalize_path(p)?;
        let mut hp = if n == "/dev/shm" {
            self.shm_dir.clone()
        } else if let Some(rest) = n.strip_prefix("/dev/shm/") {
            self.shm_dir.join(rest)
        } else {
            self.run_dir.join(n.trim_start_matches('/'))
        };
        // What the path's end says to the kernel stays: a trailing slash
        // (the name must be a directory), a last `.` or `..` (no name).
        let end = p.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        if matches!(end, "." | "..") {
            hp.push(".");
        } else if p.ends_with('/') && n != "/" {
            hp.as_mut_os_string().push("/");
        }
        Ok(hp)
    }

    /// A host path as the scenario names it.
    fn scenario_path(&self, p: &Path) -> String {
        if let Ok(rest) = p.strip_prefix(&self.shm_dir) {
            return format!("/dev/shm/{}", rest.display())
                .trim_end_matches('/')
                .to_string();
        }
        if let Ok(rest) = p.strip_prefix(&self.run_dir) {
            return format!("/{}", rest.display());
        }
        p.display().to_string()
    }

    /// Host names in a tool's output, as the scenario names them.
    fn rewrite_out(&self, text: &str) -> String {
        let shm = self.shm_dir.display().to_string();
        let run = self.run_dir.display().to_string();
        let mut t = text
            .replace(&format!("{shm}/"), "/dev/shm/")
            .replace(&shm, "/dev/shm");
        t = t.replace(&format!("{run}/"), "/").replace(&run, "/");
        for (&h, &s) in &self.key_back {
            t = t
                .replace(
                    &format!("SYSV{:08x}", h as u32),
                    &format!("SYSV{:08x}", s as u32),
                )
                .replace(
                    &format!("0x{:08x}", h as u32),
                    &format!("0x{:08x}", s as u32),
                );
        }
        t
    }

    fn host_bytes(&self, p: &str) -> SysResult<Vec<u8>> {
        Ok(self.host_path(p)?.as_os_str().as_bytes().to_vec())
    }

    /// The scenario key that a host key stands for.
    fn scenario_key(&self, host: i32) -> i32 {
        if host == 0 {
            return 0;
        }
        self.key_back.get(&host).copied().unwrap_or(host)
    }

    /// A key no segment on the host has, for the scenario's `key`.
    fn fresh_key(&mut self, key: i32) -> i32 {
        let used: BTreeSet<i32> = host::sysvipc_rows().iter().map(|r| r.key).collect();
        loop {
            let k = (splitmix(&mut self.key_seed) as u32 & 0x7fff_ffff) as i32;
            if k != 0 && !used.contains(&k) && !self.key_back.contains_key(&k) {
                self.key_host.insert(key, k);
                self.key_back.insert(k, key);
                let g = &mut *self.guard();
                g.host_keys.insert(k);
                g.note(&format!("key {k}"));
                return k;
            }
        }
    }

    fn host_key(&mut self, key: i32) -> i32 {
        match self.key_host.get(&key) {
            Some(&k) => k,
            None => self.fresh_key(key),
        }
    }

    fn ours(&self, id: i32) -> bool {
        self.guard().segments.contains_key(&id)
    }

    // ---- workers ----------------------------------------------------------

    fn setup(&self, name: &str) -> worker::Setup {
        worker::Setup {
            name: CString::new(name.replace('\0', "")).unwrap_or_default(),
            cpu: self.cpu,
            ids: self.ids_drop,
            umask: self.umask,
            cwd: cpath(&self.run_dir.join("home/student")),
            driver: rustix::process::getpid().as_raw_nonzero().get(),
            tty: self
                .tty
                .as_ref()
                .and_then(tty::Terminal::slave)
                .map(|f| f.as_raw_fd()),
            pgid: self.pgid,
            nofile: self.model.cfg.nofile,
            nofile_max: crate::sys::Rlimits::boot(&self.model.cfg).0[crate::sys::rlimit::NOFILE]
                .max,
            memlock: self.model.cfg.release.mlock_limit(),
        }
    }

    fn socketpair() -> std::io::Result<(OwnedFd, OwnedFd)> {
        use rustix::net::{AddressFamily, SocketFlags, SocketType};
        Ok(rustix::net::socketpair(
            AddressFamily::UNIX,
            SocketType::STREAM,
            SocketFlags::CLOEXEC,
            None,
        )?)
    }

    fn set_timeout(fd: &OwnedFd) {
        let _ = rustix::net::sockopt::set_socket_timeout(
            fd,
            rustix::net::sockopt::Timeout::Recv,
            Some(std::time::Duration::from_secs(REPLY_TIMEOUT_SECS)),
        );
    }

    /// Waits for a new worker's "ready" and enters it.
    fn adopt(
        &mut self,
        pid: i32,
        chan: OwnedFd,
        name: &str,
        model: Pid,
        owned: Vec<(u64, u64)>,
    ) -> bool {
        Self::set_timeout(&chan);
        {
            let g = &mut *self.guard();
            g.workers.insert(pid);
            g.note(&format!("pid {pid}"));
        }
        let ok = matches!(
            proto::recv_frame(chan.as_raw_fd(), true),
            Ok(Some((proto::TAG_READY, _, _)))
        );
        let pg =
            rustix::process::getpgid(host::pid_of(pid)).map_or(0, |p| p.as_raw_nonzero().get());
        if self.pgid == 0 && pg > 0 {
            self.pgid = pg;
        }
        if pg > 0 {
            self.guard().pgids.insert(pg);
        }
        self.workers.insert(
            pid as Pid,
            Worker {
                name: name.to_string(),
                model,
                chan,
                dead: !ok,
                owned,
            },
        );
        if !ok {
            self.reap(pid as Pid, None);
        }
        ok
    }

    /// A dead worker: reaped, its model process ended, its in-flight fds dropped.
    fn reap(&mut self, pid: Pid, fault: Option<(i32, i32, u64)>) -> Outcome {
        let status = host::pid_of(pid as i32)
            .and_then(|p| rustix::process::waitpid(Some(p), WaitOptions::empty()).ok())
            .flatten()
            .map(|(_, st)| st);
        self.guard().reaped.insert(pid as i32);
        self.in_flight.remove(&pid);
        let model = self.workers.get_mut(&pid).map(|w| {
            w.dead = true;
            w.model
        });
        let signo = if let Some(s) = status.and_then(|st| st.terminating_signal()) {
            Some(s)
        } else {
            fault.map(|f| f.0)
        };
        let out = match signo {
            Some(s) if s == libc::SIGSEGV || s == libc::SIGBUS => {
                let signal = if s == libc::SIGSEGV {
                    Signal::SIGSEGV
                } else {
                    Signal::SIGBUS
                };
                let (code, addr) = fault.map_or((0, 0), |f| (f.1, f.2));
                let code = match (signal, code) {
                    (Signal::SIGSEGV, 1) => SigCode::SEGV_MAPERR,
                    (Signal::SIGSEGV, _) => SigCode::SEGV_ACCERR,
                    _ => SigCode::BUS_ADRERR,
                };
                Outcome::Fault(Fault { signal, code, addr })
            }
            Some(s) if s == libc::SIGFPE => Outcome::Fault(Fault {
                signal: Signal::SIGFPE,
                code: SigCode::FPE_INTDIV,
                addr: 0,
            }),
            Some(_) => Outcome::Fault(Fault {
                signal: Signal::SIGKILL,
                code: SigCode::SI_KERNEL,
                addr: 0,
            }),
            None => Outcome::Gone,
        };
        if let (Outcome::Fault(f), Some(w)) = (&out, self.workers.get(&pid)) {
            let line = format!("{} ({pid}) ended by {}", w.name, f.signal.name());
            self.note(line);
        }
        if let Some(m) = model {
            if self.model.tasks.contains_key(&m) {
                let status = match &out {
                    Outcome::Fault(f) => ExitStatus::Signaled(f.signal),
                    _ => ExitStatus::Exited(status.and_then(|st| st.exit_status()).unwrap_or(0)),
                };
                self.model.do_exit(m, status);
            }
        }
        out
    }

    fn request(&mut self, pid: Pid, req: &Req, pass: Option<RawFd>) -> Outcome {
        let fd = match self.workers.get(&pid) {
            Some(w) if !w.dead => w.chan.as_raw_fd(),
            _ => return Outcome::Gone,
        };
        let body = serde_json::to_vec(req).expect("requests serialize");
        if proto::send_frame(fd, proto::TAG_JSON, &body, pass).is_err() {
            return self.reap(pid, None);
        }
        if matches!(req, Req::Exit { .. }) {
            return self.reap(pid, None);
        }
        match proto::recv_frame(fd, true) {
            Ok(Some((proto::TAG_JSON, b, fds))) => match serde_json::from_slice::<Rep>(&b) {
                Ok(r) => Outcome::Rep(r, fds),
                Err(_) => Outcome::Rep(Rep::Err(libc::EIO), fds),
            },
            Ok(Some((proto::TAG_FAULT, b, _))) => {
                let f = proto::parse_fault(&b);
                self.reap(pid, f)
            }
            Ok(Some(_)) => Outcome::Rep(Rep::Err(libc::EIO), Vec::new()),
            Ok(None) => self.reap(pid, None),
            Err(_) => {
                // No answer in time (or a broken channel): end it.
                if let Some(p) = host::pid_of(pid as i32) {
                    let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
                }
                self.note(format!("worker {pid} did not answer: killed"));
                self.reap(pid, None)
            }
        }
    }

    /// A system call in `pid`: its value or errno.
    fn sys(&mut self, pid: Pid, req: Req) -> SysResult<i64> {
        self.sys_ret(pid, req).map(|r| r.int())
    }

    /// A system call in `pid`: its value, the bytes it read, or its errno.
    fn sys_ret(&mut self, pid: Pid, req: Req) -> SysResult<Ret> {
        match self.request(pid, &req, None) {
            Outcome::Rep(Rep::Bytes(b), _) => Ok(Ret::Bytes(b)),
            Outcome::Rep(Rep::Ret(r), _) => Ok(r),
            Outcome::Rep(Rep::Int(v), _) => Ok(Ret::Int(v)),
            Outcome::Rep(Rep::Err(e), _) => Err(errno_of(e)),
            Outcome::Rep(Rep::Mkstemp { fd, .. }, _) => Ok(Ret::Int(fd as i64)),
            Outcome::Rep(..) => Err(Errno::EIO),
            Outcome::Fault(_) | Outcome::Gone => Err(Errno::ESRCH),
        }
    }

    /// The first address of `[addr, addr + len)` that is the worker's own
    /// memory (mapped on the host, but not by the scenario).
    fn foreign(&self, pid: Pid, addr: u64, len: u64) -> Option<u64> {
        let w = self.workers.get(&pid)?;
        let end = addr.checked_add(len.max(1))?;
        first_not_owned(&w.owned, addr, end)?;
        for m in host::maps(pid as i32) {
            let (a, b) = (m.start.max(addr), m.end.min(end));
            if a < b {
                if let Some(x) = first_not_owned(&w.owned, a, b) {
                    return Some(x);
                }
            }
        }
        None
    }

    fn own(&mut self, pid: Pid, a: u64, len: u64) {
        if let Some(w) = self.workers.get_mut(&pid) {
            w.owned.push((a, a + page_up(len)));
        }
    }

    /// A real `mremap`: where the model moved the mapping, the host moves it
    /// too (`MREMAP_FIXED` at the model's address, if that is not the
    /// worker's own memory), so that later steps find it at one address;
    /// the run's own ranges follow the move.
    fn mremap(
        &mut self,
        pid: Pid,
        model: Option<SysResult<i64>>,
        mut args: Args,
    ) -> SysResult<i64> {
        const MAYMOVE: i64 = 1;
        const FIXED: i64 = 2;
        const DONTUNMAP: i64 = 4;
        let (from, old_len, new_len) = (args.u64(0), args.u64(1), args.u64(2));
        let flags = args.int(3);
        if let Some(Ok(to)) = model {
            let to = to as u64;
            if to != from
                && flags & (MAYMOVE | FIXED) == MAYMOVE
                && self.foreign(pid, to, new_len).is_none()
            {
                args.ints.resize(5, 0);
                args.ints[3] = flags | FIXED;
                args.ints[4] = to as i64;
            }
        }
        if args.int(3) & FIXED != 0 && self.foreign(pid, args.u64(4), new_len).is_some() {
            self.note(format!(
                "mremap(.., MREMAP_FIXED, {:#x}) refused: it would replace the worker's own memory",
                args.u64(4)
            ));
            return Err(Errno::EPERM);
        }
        let r = self.sys(
            pid,
            Req::Sys {
                sys: Sys::mremap,
                args,
            },
        );
        if let (Ok(to), Some(w)) = (&r, self.workers.get_mut(&pid)) {
            let to = *to as u64;
            let kept = if to == from {
                page_up(new_len).min(page_up(old_len))
            } else {
                0
            };
            // (With MREMAP_DONTUNMAP the old range stays mapped, empty.)
            if to == from || flags & DONTUNMAP == 0 {
                remove_range(
                    &mut w.owned,
                    from + kept,
                    from.saturating_add(page_up(old_len)),
                );
            }
            w.owned.push((to, to + page_up(new_len)));
        }
        r
    }

    /// The flags a real `shmat` gets: the scenario's, all of them, except
    /// `SHM_REMAP` over memory the run did not map (the worker's own), which
    /// is dropped (the host then gives `EINVAL`, as for a busy range).
    fn shmat_flags(&mut self, pid: Pid, id: i32, at: u64, flags: i32) -> i32 {
        if flags & SHM_REMAP == 0 || at == 0 {
            return flags;
        }
        let size = host::sysvipc_rows()
            .into_iter()
            .find(|x| x.id == id)
            .map_or(PAGE, |x| x.size);
        if self.foreign(pid, at, size).is_none() {
            return flags;
        }
        self.note(format!(
            "shmat({id}, {at:#x}, SHM_REMAP): SHM_REMAP dropped, it would replace the worker's own memory"
        ));
        flags & !SHM_REMAP
    }

    /// A memory access: refused (as a SIGSEGV) where it would touch the
    /// worker's own memory, else real.
    fn mem(&mut self, pid: Pid, addr: u64, len: u64, req: Req) -> Result<Rep, Fault> {
        if let Some(at) = self.foreign(pid, addr, len) {
            self.note(format!(
                "pid {pid}: access at {at:#x} is the worker's own memory, not the scenario's: \
                 ended with SIGSEGV instead"
            ));
            let _ = self.request(pid, &Req::Die { sig: libc::SIGSEGV }, None);
            return Err(Fault {
                signal: Signal::SIGSEGV,
                code: SigCode::SEGV_MAPERR,
                addr: at,
            });
        }
        match self.request(pid, &req, None) {
            Outcome::Rep(Rep::Err(_), _) => Err(Fault {
                signal: Signal::SIGSEGV,
                code: SigCode::SEGV_MAPERR,
                addr,
            }),
            Outcome::Rep(r, _) => Ok(r),
            Outcome::Fault(f) => Err(f),
            Outcome::Gone => Err(Fault {
                signal: Signal::SIGKILL,
                code: SigCode::SI_KERNEL,
                addr: 0,
            }),
        }
    }

    /// Does the model have a file at this scenario path?
    fn model_has(&self, path: &str) -> bool {
        crate::fs::vfs::normalize_path(path).is_ok_and(|p| self.model.dentries.contains_key(&p))
    }

    fn too_big(&mut self, what: &str, n: u64) -> bool {
        if n > self.opts.memory_cap {
            self.note(format!(
                "{what} of {} MiB refused: more than a real run may use ({} MiB)",
                n >> 20,
                self.opts.memory_cap >> 20
            ));
            return true;
        }
        false
    }

    /// The host's file behind a mapping of a live worker (root only:
    /// `/proc/PID/map_files`).
    fn map_file(&self, pid: Pid, addr: u64) -> Result<Option<OwnedFd>, Reading> {
        let Some(m) = host::maps(pid as i32)
            .into_iter()
            .find(|m| m.start <= addr && addr < m.end)
        else {
            return Ok(None);
        };
        if m.path.is_empty() || m.path.starts_with('[') {
            return Ok(None);
        }
        let p = PathBuf::from(format!("/proc/{pid}/map_files/{:x}-{:x}", m.start, m.end));
        match host::open_map_file(&p) {
            Ok(f) => Ok(Some(f)),
            Err(e) if !self.root => Err(Reading::NotObservable(format!(
                "reading a mapping's file needs root (/proc/PID/map_files): {e}"
            ))),
            Err(_) => Ok(None),
        }
    }
}

impl Drop for RealBackend {
    fn drop(&mut self) {
        self.cleanup();
    }
}

impl Backend for RealBackend {
    fn spawn(&mut self, name: &str) -> Pid {
        let model = self.model.spawn(name);
        let setup = self.setup(name);
        let spawned = Self::socketpair()
            .and_then(|(drv, wrk)| worker::spawn(&setup, wrk).map(|pid| (pid, drv)));
        match spawned {
            Ok((pid, chan)) => {
                self.adopt(pid, chan, name, model, Vec::new());
                pid as Pid
            }
            Err(e) => {
                self.note(format!("cannot start a process for {name}: {e}"));
                self.model.do_exit(model, ExitStatus::Exited(127));
                // A pid no process has: never alive.
                self.dead_pids += 1;
                u32::MAX - self.dead_pids
            }
        }
    }

    fn alive(&self, pid: Pid) -> bool {
        let Some(w) = self.workers.get(&pid) else {
            return false;
        };
        if w.dead {
            return false;
        }
        // A look at our child's state without reaping it: alive when the
        // call succeeds and finds no exited child.
        let Some(p) = host::pid_of(pid as i32) else {
            return false;
        };
        let opts = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
        matches!(rustix::process::waitid(WaitId::Pid(p), opts), Ok(None))
    }

    /// The host's kernel functions are not visible: always empty.
    fn take_trace(&mut self) -> Vec<TraceEvent> {
        self.model.take_trace();
        Vec::new()
    }

    /// The host's kernel log is not the run's: always empty.
    fn take_dmesg(&mut self) -> Vec<String> {
        Vec::new()
    }

    /// A call of the call table ([`dispatch`]).
    fn syscall(&mut self, pid: Pid, sys: Sys, args: &Args) -> SysResult<Ret> {
        self.table_call(pid, sys, args)
    }

    fn mkstemp(&mut self, pid: Pid, template: &str) -> SysResult<(i32, String)> {
        let m = Backend::mkstemp(&mut self.model, mp(&self.workers, pid), template);
        if let Ok((_, name)) = &m {
            // The model's name, created as glibc would (O_EXCL, 0600).
            let hp = self.host_bytes(name)?;
            return self
                .sys(
                    pid,
                    Req::Sys {
                        sys: Sys::open,
                        args: Args {
                            ints: vec![0, i64::from(0o2 | O_CREAT | O_EXCL), 0o600],
                            strs: vec![Some(hp), None, None],
                        },
                    },
                )
                .map(|fd| (fd as i32, name.clone()));
        }
        // glibc refuses a template that does not end in XXXXXX before it
        // makes any system call (EINVAL): the worker's own glibc is asked
        // with an empty one, so that no path outside the run is named.
        let hp = if template.ends_with("XXXXXX") {
            self.host_bytes(template)?
        } else {
            Vec::new()
        };
        match self.request(pid, &Req::Mkstemp { template: hp }, None) {
            Outcome::Rep(Rep::Mkstemp { fd, path }, _) => {
                let p = PathBuf::from(std::ffi::OsStr::from_bytes(&path));
                Ok((fd, self.scenario_path(&p)))
            }
            Outcome::Rep(Rep::Err(e), _) => Err(errno_of(e)),
            _ => Err(Errno::ESRCH),
        }
    }

    fn shmctl(
        &mut self,
        pid: Pid,
        id: i32,
        cmd: i32,
        set: Option<(u32, u32, u32)>,
    ) -> SysResult<ShmctlResult> {
        let machine_wide = matches!(cmd, libc::IPC_INFO | SHM_INFO);
        let mid = if machine_wide {
            id
        } else {
            model_id(&self.ids, id)
        };
        let _ = Backend::shmctl(&mut self.model, mp(&self.workers, pid), mid, cmd, set);
        if !machine_wide && !self.ours(id) {
            // Not a segment of this run (SHM_STAT's indexes name anyone's).
            return Err(Errno::EINVAL);
        }
        match self.request(pid, &Req::Shmctl { id, cmd, set }, None) {
            Outcome::Rep(Rep::Shmctl { ret, ds, info }, _) => Ok(ShmctlResult {
                ret,
                ds: ds.map(|d| ShmidDs {
                    key: self.scenario_key(d.key),
                    uid: d.uid,
                    gid: d.gid,
                    cuid: d.cuid,
                    cgid: d.cgid,
                    mode: d.mode,
                    seq: d.seq,
                    shm_segsz: d.segsz,
                    shm_atime: d.atime,
                    shm_dtime: d.dtime,
                    shm_ctime: d.ctime,
                    shm_cpid: d.cpid as Pid,
                    shm_lpid: d.lpid as Pid,
                    shm_nattch: d.nattch,
                }),
                info: info.map(|i| {
                    if cmd == libc::IPC_INFO {
                        ShmInfo::Limits {
                            shmmax: i[0],
                            shmmin: i[1],
                            shmmni: i[2],
                            shmseg: i[3],
                            shmall: i[4],
                        }
                    } else {
                        ShmInfo::Usage {
                            used_ids: i[0] as u32,
                            shm_tot: i[1],
                            shm_rss: i[2],
                            shm_swp: i[3],
                        }
                    }
                }),
            }),
            Outcome::Rep(Rep::Err(e), _) => Err(errno_of(e)),
            _ => Err(Errno::ESRCH),
        }
    }

    fn write_user(&mut self, pid: Pid, addr: u64, data: &[u8]) -> Result<(), Fault> {
        let _ = Backend::write_user(&mut self.model, mp(&self.workers, pid), addr, data);
        let req = Req::WriteUser {
            addr,
            data: data.to_vec(),
        };
        self.mem(pid, addr, data.len() as u64, req).map(|_| ())
    }

    fn fill_user(&mut self, pid: Pid, addr: u64, byte: u8, len: u64) -> Result<(), Fault> {
        let _ = Backend::fill_user(&mut self.model, mp(&self.workers, pid), addr, byte, len);
        if len > self.opts.memory_cap {
            self.note(format!("memset of {} MiB refused: over the cap", len >> 20));
            return Err(Fault {
                signal: Signal::SIGKILL,
                code: SigCode::SI_KERNEL,
                addr,
            });
        }
        self.mem(pid, addr, len, Req::FillUser { addr, byte, len })
            .map(|_| ())
    }

    fn read_user(&mut self, pid: Pid, addr: u64, len: u64) -> Result<Vec<u8>, Fault> {
        let _ = Backend::read_user(&mut self.model, mp(&self.workers, pid), addr, len);
        match self.mem(pid, addr, len, Req::ReadUser { addr, len })? {
            Rep::Bytes(b) => Ok(b),
            _ => Ok(Vec::new()),
        }
    }

    fn read_user_cstr(&mut self, pid: Pid, addr: u64, max: u64) -> Result<Vec<u8>, Fault> {
        let _ = Backend::read_user_cstr(&mut self.model, mp(&self.workers, pid), addr, max);
        // Where the string ends is not known before it is read: check the
        // first page here; the worker stops at the NUL.
        match self.mem(pid, addr, 1, Req::ReadCstr { addr, max })? {
            Rep::Bytes(b) => Ok(b),
            _ => Ok(Vec::new()),
        }
    }

    fn fork(&mut self, pid: Pid, name: &str) -> SysResult<Pid> {
        let m = Backend::fork(&mut self.model, mp(&self.workers, pid), name);
        let owned = self
            .workers
            .get(&pid)
            .map(|w| w.owned.clone())
            .unwrap_or_default();
        match self.request(
            pid,
            &Req::Fork {
                name: name.to_string(),
            },
            None,
        ) {
            Outcome::Rep(Rep::Int(child), mut fds) if !fds.is_empty() => {
                let chan = fds.remove(0);
                let model = m.unwrap_or_else(|_| self.model.spawn(name));
                self.adopt(child as i32, chan, name, model, owned);
                Ok(child as Pid)
            }
            Outcome::Rep(Rep::Err(e), _) => Err(errno_of(e)),
            _ => Err(Errno::ESRCH),
        }
    }

    fn trap(&mut self, pid: Pid, fault: Fault) {
        // The worker dies of the signal itself; reaping it ends its model process.
        let _ = self.request(
            pid,
            &Req::Die {
                sig: fault.signal.number(),
            },
            None,
        );
    }

    fn exit(&mut self, pid: Pid, status: i32) -> SysResult<i32> {
        let _ = Backend::exit(&mut self.model, mp(&self.workers, pid), status);
        match self.request(pid, &Req::Exit { status }, None) {
            Outcome::Gone => Ok(0),
            _ => Ok(0),
        }
    }

    fn send_fd(&mut self, pid: Pid, to: Pid, fd: i32) -> SysResult<i32> {
        let _ = Backend::send_fd(
            &mut self.model,
            mp(&self.workers, pid),
            mp(&self.workers, to),
            fd,
        );
        if !self.alive(to) {
            return Err(Errno::EPIPE);
        }
        match self.request(pid, &Req::SendFd { fd }, None) {
            Outcome::Rep(Rep::Int(_), mut fds) if !fds.is_empty() => {
                self.in_flight
                    .entry(to)
                    .or_default()
                    .push_back(fds.remove(0));
                Ok(0)
            }
            Outcome::Rep(Rep::Err(e), _) => Err(errno_of(e)),
            _ => Err(Errno::ESRCH),
        }
    }

    fn recv_fd(&mut self, pid: Pid) -> SysResult<i32> {
        let _ = Backend::recv_fd(&mut self.model, mp(&self.workers, pid));
        let Some(f) = self.in_flight.get_mut(&pid).and_then(VecDeque::pop_front) else {
            // Nothing in flight: a real recvmsg would block; the model says EAGAIN.
            return Err(Errno::EAGAIN);
        };
        let raw = f.as_raw_fd();
        let r = match self.request(pid, &Req::RecvFd, Some(raw)) {
            Outcome::Rep(Rep::Int(v), _) => Ok(v as i32),
            Outcome::Rep(Rep::Err(e), _) => Err(errno_of(e)),
            _ => Err(Errno::ESRCH),
        };
        drop(f);
        r
    }

    fn shell(&mut self, sys: Sys, args: &ShellArgs) -> ShellOut {
        sys.shell_on_host(self, args)
            .expect("the runner dispatches only shell steps here")
    }

    fn pte(&mut self, pid: Pid, addr: u64, len: u64) -> Reading {
        match host::pte_string(pid as i32, addr, len) {
            Ok(s) => Reading::Value(s),
            Err(e) => Reading::NotObservable(format!("/proc/{pid}/pagemap: {e}")),
        }
    }

    fn core(&mut self, pid: Pid, addr: u64, len: u64) -> Reading {
        match self.request(pid, &Req::Mincore { addr, len }, None) {
            Outcome::Rep(Rep::Bytes(v), _) => Reading::Value(
                v.iter()
                    .map(|&b| if b & 1 != 0 { b'1' } else { b'0' })
                    .collect::<crate::observe::PageRuns>()
                    .folded(""),
            ),
            Outcome::Rep(..) => Reading::Value("none".into()),
            _ => Reading::NotObservable("the process is gone".into()),
        }
    }

    fn smaps(&mut self, pid: Pid, addr: u64) -> Result<SmapsView, Reading> {
        let block = host::smaps_block(pid as i32, addr).ok_or(Reading::Value("none".into()))?;
        Ok(host::parse_smaps(&block))
    }

    fn maps(&mut self, pid: Pid, addr: u64) -> Reading {
        Reading::Value(host::maps_perms(pid as i32, addr).unwrap_or_else(|| "none".into()))
    }

    fn shm_row(&mut self, id: i32) -> Option<ShmRow> {
        if !self.ours(id) {
            return None;
        }
        let row = host::sysvipc_rows().into_iter().find(|r| r.id == id)?;
        Some(ShmRow {
            key: self.scenario_key(row.key),
            size: row.size,
            nattch: row.nattch,
            rss: row.rss,
            swap: row.swap,
            perms: row.perms,
            cpid: row.cpid as Pid,
            lpid: row.lpid as Pid,
        })
    }

    fn meminfo(&mut self, field: &str) -> Reading {
        if !self.swap && matches!(field, "SwapCached" | "SwapUsed" | "SwapTotal" | "SwapFree") {
            return Reading::NotObservable(NO_SWAP.into());
        }
        let m = host::meminfo(self.root);
        let v = match field {
            "SwapUsed" => m
                .get("SwapTotal")
                .zip(m.get("SwapFree"))
                .map(|(t, f)| t.saturating_sub(*f)),
            f => m.get(f).copied(),
        };
        v.map_or_else(
            || Reading::NotObservable(format!("no {field} line in /proc/meminfo")),
            |v| Reading::Value(v.to_string()),
        )
    }

    fn status_kb(&mut self, pid: Pid, field: StatusField) -> Reading {
        match host::status_kb(pid as i32, field.name()) {
            Some(kb) => Reading::Value(kb.to_string()),
            None => Reading::Value("none".into()),
        }
    }

    fn df_used_kb(&mut self, path: &str) -> Reading {
        let Ok(hp) = self.host_path(path) else {
            return Reading::NotObservable(format!("no file system at {path}"));
        };
        match host::df_used_kb(&hp) {
            Ok(kb) => Reading::Value(kb.to_string()),
            Err(e) => Reading::NotObservable(format!("statvfs {path}: {e}")),
        }
    }

    fn df_size_kb(&mut self, path: &str) -> Reading {
        let Ok(hp) = self.host_path(path) else {
            return Reading::NotObservable(format!("no file system at {path}"));
        };
        match host::df_size_kb(&hp) {
            Ok(kb) => Reading::Value(kb.to_string()),
            Err(e) => Reading::NotObservable(format!("statvfs {path}: {e}")),
        }
    }

    fn data(&mut self, file: &FileRef) -> Reading {
        let fd = match file {
            FileRef::Path(p) => {
                let Ok(hp) = self.host_path(p) else {
                    return Reading::Value("none".into());
                };
                match host::open_ro(&hp) {
                    Ok(f) => f,
                    Err(_) => return Reading::Value("none".into()),
                }
            }
            FileRef::Mapping(pid, addr) => match self.map_file(*pid, *addr) {
                Ok(Some(f)) => f,
                Ok(None) => return Reading::Value("none".into()),
                Err(r) => return r,
            },
            FileRef::Segment(key) => {
                let hk = if *key == 0 {
                    0
                } else {
                    self.key_host.get(key).copied().unwrap_or(*key)
                };
                let name = format!("/SYSV{:08x}", hk as u32);
                let found = self.live_pids().into_iter().find_map(|p| {
                    host::maps(p as i32)
                        .into_iter()
                        .find(|m| m.path.starts_with(&name))
                        .map(|m| (p, m.start))
                });
                match found {
                    Some((p, a)) => match self.map_file(p, a) {
                        Ok(Some(f)) => f,
                        Ok(None) => return Reading::Value("none".into()),
                        Err(r) => return r,
                    },
                    None => {
                        return Reading::NotObservable(
                            "a segment's file is reachable only while a process of the run has it attached"
                                .into(),
                        )
                    }
                }
            }
        };
        match host::data_string(&fd) {
            Ok(s) => Reading::Value(s),
            Err(e) => Reading::NotObservable(e.to_string()),
        }
    }

    fn cache(&mut self, _file: &FileRef) -> Reading {
        Reading::SimOnly
    }

    fn slot(&mut self, _file: &FileRef, _n: u64) -> Reading {
        Reading::SimOnly
    }

    fn shmem_files(&mut self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.shm_dir)
            .map(|rd| {
                rd.flatten()
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                    .map(|e| format!("/dev/shm/{}", e.file_name().to_string_lossy()))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    fn segment_keys(&mut self) -> Vec<i32> {
        let ours: BTreeSet<i32> = self.guard().segments.keys().copied().collect();
        host::sysvipc_rows()
            .into_iter()
            .filter(|r| ours.contains(&r.id))
            .map(|r| self.scenario_key(r.key))
            .collect()
    }
}
