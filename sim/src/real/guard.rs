//! What a run created, and the cleanup that removes all of it.
//!
//! Each run has a [`Guard`] in a process-wide registry. The cleanup runs from
//! `Drop`, from a panic hook (for the runs of the panicking thread), and from
//! a SIGINT/SIGTERM/SIGHUP handler (for every run; a self-pipe wakes a
//! cleanup thread, which then restores the previous disposition and raises
//! the signal again). Workers die with the driver (`PR_SET_PDEATHSIG`).
//! A run folder left by a driver that was killed outright (SIGKILL) is swept
//! by the next run: its manifest names the segments to remove.
//!
//! Processes (kill, getpgid, waitpid), the self-pipe and its reads go
//! through `rustix`. Three things stay raw `libc` in `unsafe`, because no
//! safe wrapper exists: `sigaction`/`signal`/`raise` (rustix offers signal
//! dispositions only in its `runtime` module, unsafe and meant for libc-free
//! programs), the handler's one `write` of a descriptor kept in an atomic
//! (an async-signal-safe handler cannot borrow an `OwnedFd`), and
//! `shmctl(IPC_RMID)` (rustix has no System V IPC).

use super::host::{self, pid_of};
use rustix::process::{
    getpgid, kill_process, kill_process_group, waitpgid, waitpid, Signal, WaitOptions,
};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::os::fd::IntoRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, Once, Weak};
use std::thread::ThreadId;

/// Everything a run created on the host.
#[derive(Debug)]
pub(crate) struct Guard {
    /// The process that owns the run (a forked worker shares this memory
    /// and must never clean up).
    pub driver: u32,
    /// The thread whose panic ends the run.
    pub owner: ThreadId,
    pub run_dir: PathBuf,
    /// The run's folder on the host's /dev/shm, and the scenario's
    /// `/dev/shm` in it (a tmpfs of its own when sized).
    pub shm_root: PathBuf,
    pub shm_dir: PathBuf,
    /// Every worker pid, and which were reaped.
    pub workers: BTreeSet<i32>,
    pub reaped: BTreeSet<i32>,
    /// Process groups the workers live in.
    pub pgids: BTreeSet<i32>,
    /// Segments the run created: id -> host key.
    pub segments: BTreeMap<i32, i32>,
    /// Host keys handed to the run.
    pub host_keys: BTreeSet<i32>,
    /// When the run began (seconds since the epoch).
    pub started: i64,
    pub done: bool,
}

impl Guard {
    fn manifest(&self) -> PathBuf {
        self.run_dir.join(MANIFEST)
    }

    /// Notes a line in the run's manifest (for the sweep after a SIGKILL).
    pub fn note(&self, line: &str) {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(self.manifest())
        {
            let _ = writeln!(f, "{line}");
        }
    }

    /// Kills the workers, removes the segments, the /dev/shm folder and the
    /// run folder. Idempotent; does nothing in any process but the driver.
    pub fn cleanup(&mut self) {
        if self.done || std::process::id() != self.driver {
            return;
        }
        let live: Vec<i32> = self.workers.difference(&self.reaped).copied().collect();
        for &pgid in &self.pgids {
            // Only a group one of our live workers is still in is ours.
            let Some(group) = pid_of(pgid) else { continue };
            let ours = live
                .iter()
                .any(|&p| pid_of(p).is_some_and(|p| getpgid(Some(p)) == Ok(group)));
            if ours {
                let _ = kill_process_group(group, Signal::KILL);
            }
        }
        for p in live.iter().filter_map(|&p| pid_of(p)) {
            let _ = kill_process(p, Signal::KILL);
        }
        reap_killed(&live);
        self.reaped.extend(&live);
        // Children forked by a worker the driver never heard of are in the
        // group too: reap whatever of it is left.
        for group in self.pgids.iter().filter_map(|&g| pid_of(g)) {
            for _ in 0..50 {
                match waitpgid(group, WaitOptions::NOHANG) {
                    Err(_) => break,
                    Ok(None) => std::thread::sleep(std::time::Duration::from_millis(2)),
                    Ok(Some(_)) => {}
                }
            }
        }
        remove_segments(&self.segments, &self.host_keys, &self.workers, self.started);
        super::host::unmount(&self.shm_dir);
        let _ = std::fs::remove_dir_all(&self.shm_root);
        let _ = std::fs::remove_dir_all(&self.run_dir);
        self.done = true;
    }
}

/// Reaps the workers just sent SIGKILL, waiting at most `REAP_WAIT` in all:
/// one stuck in the kernel (an uninterruptible page-in) is left to init
/// rather than keep a signalled program alive.
fn reap_killed(live: &[i32]) {
    const REAP_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
    let until = std::time::Instant::now() + REAP_WAIT;
    let mut left: Vec<i32> = live.to_vec();
    while !left.is_empty() {
        // Still running: waitpid(p, WNOHANG) reaped nothing.
        left.retain(|&p| {
            pid_of(p)
                .is_some_and(|p| waitpid(Some(p), WaitOptions::NOHANG).is_ok_and(|r| r.is_none()))
        });
        if left.is_empty() || std::time::Instant::now() >= until {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// Removes the run's segments: those it recorded, and any other one a worker
/// of the run created under one of the run's keys (or made private).
fn remove_segments(
    segments: &BTreeMap<i32, i32>,
    keys: &BTreeSet<i32>,
    workers: &BTreeSet<i32>,
    started: i64,
) {
    for row in host::sysvipc_rows() {
        let recorded = segments
            .get(&row.id)
            .is_some_and(|&k| row.key == k || row.key == 0 || k == 0);
        let by_us = workers.contains(&row.cpid)
            && row.ctime >= started
            && (keys.contains(&row.key) || row.key == 0);
        if recorded && workers.contains(&row.cpid) || by_us {
            // SAFETY: IPC_RMID of a segment this run created.
            unsafe { libc::shmctl(row.id, libc::IPC_RMID, std::ptr::null_mut()) };
        }
    }
}

pub(crate) const MANIFEST: &str = ".shmsim-manifest";

/// Run folders are `shmsim-run-<driver pid>-<n>`; /dev/shm folders
/// `shmsim-<driver pid>-<n>`.
pub(crate) const RUN_PREFIX: &str = "shmsim-run-";
pub(crate) const SHM_PREFIX: &str = "shmsim-";

fn dead_driver(name: &str, prefix: &str) -> bool {
    let Some(rest) = name.strip_prefix(prefix) else {
        return false;
    };
    let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<i32>().ok()) else {
        return false;
    };
    pid != std::process::id() as i32 && !host::pid_exists(pid)
}

/// Is `path` a folder (not a link) of this user's, as a driver makes them?
/// Anyone may make entries in /tmp and /dev/shm: a folder or link of
/// another user's named like a run's is never read, unmounted or removed,
/// so that no one can make root remove their choice of segments or
/// detach their choice of mounts.
fn made_by_us(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path)
        .is_ok_and(|m| m.is_dir() && m.uid() == rustix::process::geteuid().as_raw())
}

/// Removes what runs of drivers that no longer exist left behind (a driver
/// killed with SIGKILL cannot clean up; its workers died with it).
pub(crate) fn sweep_stale(run_root: &Path) {
    if let Ok(rd) = std::fs::read_dir(run_root) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !dead_driver(&name, RUN_PREFIX) || !made_by_us(&e.path()) {
                continue;
            }
            let dir = e.path();
            let text = std::fs::read_to_string(dir.join(MANIFEST)).unwrap_or_default();
            let (mut segs, mut keys, mut pids, mut started) =
                (BTreeMap::new(), BTreeSet::new(), BTreeSet::new(), i64::MAX);
            for l in text.lines() {
                let w: Vec<&str> = l.split_whitespace().collect();
                match w.as_slice() {
                    ["seg", id, key] => {
                        if let (Ok(id), Ok(key)) = (id.parse(), key.parse()) {
                            segs.insert(id, key);
                        }
                    }
                    ["key", key] => {
                        if let Ok(k) = key.parse() {
                            keys.insert(k);
                        }
                    }
                    ["pid", p] => {
                        if let Ok(p) = p.parse() {
                            pids.insert(p);
                        }
                    }
                    ["started", t] => started = t.parse().unwrap_or(i64::MAX),
                    _ => {}
                }
            }
            remove_segments(&segs, &keys, &pids, started);
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    if let Ok(rd) = std::fs::read_dir("/dev/shm") {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with(RUN_PREFIX)
                && dead_driver(&name, SHM_PREFIX)
                && made_by_us(&e.path())
            {
                super::host::unmount(&e.path().join("shm"));
                super::host::unmount(&e.path());
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

type Registry = Mutex<Vec<Weak<Mutex<Guard>>>>;

fn registry() -> &'static Registry {
    static R: Registry = Mutex::new(Vec::new());
    &R
}

/// Enters a run in the registry (and installs the handlers, once).
pub(crate) fn register(g: &Arc<Mutex<Guard>>) {
    install_handlers();
    let mut r = registry().lock().unwrap_or_else(|e| e.into_inner());
    r.retain(|w| w.strong_count() > 0);
    r.push(Arc::downgrade(g));
}

fn lock(g: &Mutex<Guard>) -> std::sync::MutexGuard<'_, Guard> {
    g.lock().unwrap_or_else(|e| e.into_inner())
}

/// Cleans every run of this process (the signal path).
fn cleanup_all() {
    let runs: Vec<_> = {
        let r = registry().lock().unwrap_or_else(|e| e.into_inner());
        r.iter().filter_map(Weak::upgrade).collect()
    };
    for g in runs {
        lock(&g).cleanup();
    }
}

/// Cleans the runs of the current thread (the panic path). Never blocks:
/// a run whose guard is busy is left to its `Drop`.
fn cleanup_this_thread() {
    let me = std::thread::current().id();
    let runs: Vec<_> = match registry().try_lock() {
        Ok(r) => r.iter().filter_map(Weak::upgrade).collect(),
        Err(_) => return,
    };
    for g in runs {
        if let Ok(mut g) = g.try_lock() {
            if g.owner == me {
                g.cleanup();
            }
        }
    }
}

static PIPE_W: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(sig: libc::c_int) {
    let fd = PIPE_W.load(Ordering::Relaxed);
    let b = sig as u8;
    // SAFETY: write(2), signal(2) and raise(3) are async-signal-safe.
    unsafe {
        if libc::write(fd, (&b as *const u8).cast(), 1) != 1 {
            // No cleanup thread to hand the signal to: end as if we had
            // never caught it, rather than survive it.
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
    }
}

const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

pub(crate) fn install_handlers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            cleanup_this_thread();
            prev(info);
        }));
        // The self-pipe: the handler writes the signal's number, the
        // cleanup thread reads it. The write end lives as long as the
        // process (the handler may run at any time).
        let Ok((rfd, wfd)) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC) else {
            return;
        };
        PIPE_W.store(wfd.into_raw_fd(), Ordering::Relaxed);
        let mut old = BTreeMap::new();
        for sig in SIGNALS {
            // SAFETY: reading and setting dispositions.
            unsafe {
                let mut o: libc::sigaction = std::mem::zeroed();
                libc::sigaction(sig, std::ptr::null(), &mut o);
                if o.sa_sigaction == libc::SIG_IGN {
                    continue; // The program ignores it (nohup): so do we.
                }
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_signal as *const () as usize;
                sa.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(sig, &sa, std::ptr::null_mut());
                old.insert(sig, o);
            }
        }
        let spawned = std::thread::Builder::new()
            .name("shmsim-real-cleanup".into())
            .spawn(move || loop {
                let mut b = [0u8; 1];
                let n = rustix::io::read(&rfd, &mut b);
                if n != Ok(1) {
                    if n == Err(rustix::io::Errno::INTR) {
                        continue;
                    }
                    // The pipe is gone: the program's own dispositions back,
                    // so that a signal is never swallowed by a dead thread.
                    PIPE_W.store(-1, Ordering::Relaxed);
                    for (sig, o) in &old {
                        // SAFETY: restoring a disposition read above.
                        unsafe { libc::sigaction(*sig, o, std::ptr::null_mut()) };
                    }
                    return;
                }
                let sig = libc::c_int::from(b[0]);
                cleanup_all();
                if let Some(o) = old.get(&sig) {
                    // SAFETY: the program's own disposition back, then the
                    // signal again (to the process, not this thread).
                    unsafe {
                        libc::sigaction(sig, o, std::ptr::null_mut());
                        libc::kill(libc::getpid(), sig);
                    }
                }
            });
        if spawned.is_err() {
            for sig in SIGNALS {
                // SAFETY: no thread to clean up: back to the default.
                unsafe { libc::signal(sig, libc::SIG_DFL) };
            }
        }
    });
}
