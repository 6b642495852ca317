//! A worker: the real process that plays one scenario process.
//!
//! It is a `fork()` of the driver (no exec): it keeps only fds 0-2 (the
//! run's terminal, see `tty.rs`) and its channel at [`CHAN_FD`], joins the run's process
//! group, pins itself to the run's CPU, refuses to dump core, drops to the
//! scenario's uid/gid, asks for `SIGKILL` when the driver dies, and then
//! serves requests: each one is the real system call or the real loads and
//! stores. A fault is real too: the SIGSEGV/SIGBUS handler writes the
//! `siginfo` to the channel and returns, and the access faults again with the
//! default action restored, which kills the worker.
//!
//! A scenario's `fork` is a real fork of the worker, made with
//! `clone(CLONE_PARENT)` so that the child, like every worker, is a child of
//! the driver (which can then `waitpid` it, and whose death kills it).

//!
//! Its system calls go through `rustix` (typed flags, `Result`s, owned
//! descriptors) wherever rustix has the call. What stays raw `libc`, each
//! in an `unsafe` block with its SAFETY comment, and why:
//! - `fork` and `clone(CLONE_PARENT)`, `_exit`: rustix has neither (its
//!   `runtime` module is for programs without libc, not for a forked child).
//! - `signal`, `sigaction`, `sigprocmask`, `kill` of itself: rustix has no
//!   signal handlers (its `runtime` ones are for programs without libc).
//! - `setgroups`, `setgid`, `setuid`: rustix has only the per-thread
//!   `set_thread_*` system calls, not the process-wide POSIX calls.
//! - `close_range` and `mincore`: rustix has neither.
//! - `mkstemp` (libc's own, the name it makes is the model's) and System V
//!   `shmctl`: rustix has no System V IPC.
//! - The loads and stores of the scenario's memory: raw pointers by nature.

use super::proto::{self, Ds, Rep, Req, CHAN_FD, TAG_FAULT, TAG_JSON, TAG_READY};
use crate::syscalls::Ret;
use rustix::process::{Resource, Rlimit};
use std::ffi::CString;
use std::mem::ManuallyDrop;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

/// What a new worker sets up before it serves.
pub(crate) struct Setup {
    pub name: CString,
    pub cpu: Option<usize>,
    /// Drop to `(uid, gid)` (as root only).
    pub ids: Option<(u32, u32)>,
    pub umask: u32,
    pub cwd: CString,
    pub driver: libc::pid_t,
    /// The driver's descriptor of the run's terminal, for fds 0-2
    /// (`/dev/null` without one).
    pub tty: Option<RawFd>,
    /// The run's process group to join (0: start one).
    pub pgid: libc::pid_t,
    /// `RLIMIT_NOFILE`'s soft limit for the scenario's descriptors (the
    /// model's, 1024); [`CHAN_FD`] sits just above it.
    pub nofile: u32,
    /// `RLIMIT_NOFILE`'s hard limit (the model's, 4096).
    pub nofile_max: u64,
    /// `RLIMIT_MEMLOCK`'s soft and hard limit, in bytes (the model's era
    /// default).
    pub memlock: u64,
}

/// A limit as C's `rlim_t` (`RLIM_INFINITY` is all ones), from rustix's
/// `Option` (`None` is infinity), and back.
fn rlim(v: Option<u64>) -> u64 {
    v.unwrap_or(u64::MAX)
}

fn unrlim(v: u64) -> Option<u64> {
    (v != u64::MAX).then_some(v)
}

/// Lowers the hard limit of `resource` to `max` (a worker may not raise
/// it, as the model's process may not: `setrlimit` answers alike).
fn set_hard_limit(resource: Resource, max: u64) {
    let rl = rustix::process::getrlimit(resource);
    let hard = rlim(rl.maximum).min(max);
    let soft = rlim(rl.current).min(hard);
    let _ = rustix::process::setrlimit(
        resource,
        Rlimit {
            current: unrlim(soft),
            maximum: unrlim(hard),
        },
    );
}

/// Sets the soft limit of `resource` to `cur` (at most the hard limit);
/// returns the soft limit it had.
fn set_soft_limit(resource: Resource, cur: u64) -> u64 {
    let rl = rustix::process::getrlimit(resource);
    let old = rlim(rl.current);
    let soft = cur.min(rlim(rl.maximum));
    let _ = rustix::process::setrlimit(
        resource,
        Rlimit {
            current: unrlim(soft),
            maximum: rl.maximum,
        },
    );
    old
}

/// Makes descriptor `target` a copy of `fd` (`dup2`), for the numbers a
/// worker reserves: the channel's, and 0-2.
fn dup_onto(fd: BorrowedFd<'_>, target: RawFd) {
    // SAFETY: `target` is one of the numbers this process reserves; the
    // OwnedFd made for it is never dropped, so nothing closes it twice.
    let mut t = ManuallyDrop::new(unsafe { OwnedFd::from_raw_fd(target) });
    let _ = rustix::io::dup2(fd, &mut t);
}

fn this_pid() -> libc::pid_t {
    rustix::process::getpid().as_raw_nonzero().get()
}

fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

fn ret(r: i64) -> Rep {
    if r < 0 {
        Rep::Err(errno())
    } else {
        Rep::Int(r)
    }
}

fn cstr(b: &[u8]) -> CString {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    CString::new(&b[..end]).expect("no NUL before end")
}

extern "C" fn on_fault(sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // Async-signal-safe: a stack buffer and one write(2).
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let (code, addr) = unsafe { ((*info).si_code, (*info).si_addr() as u64) };
    let mut f = [0u8; 21];
    f[..4].copy_from_slice(&17u32.to_le_bytes());
    f[4] = TAG_FAULT;
    f[5..9].copy_from_slice(&sig.to_le_bytes());
    f[9..13].copy_from_slice(&code.to_le_bytes());
    f[13..21].copy_from_slice(&addr.to_le_bytes());
    // SAFETY: writing a stack buffer to the channel.
    unsafe { libc::write(CHAN_FD, f.as_ptr().cast(), f.len()) };
    // SA_RESETHAND restored SIG_DFL: returning retries the access, which
    // faults again and ends the process by this signal.
}

/// Everything a fresh process needs, in the child right after `fork`.
/// Only system calls until the channel is in place.
fn setup(chan: RawFd, s: &Setup) {
    if chan != CHAN_FD {
        // SAFETY: the child's end of the channel, open until close_range.
        dup_onto(unsafe { BorrowedFd::borrow_raw(chan) }, CHAN_FD);
    }
    std_fds(s.tty);
    // SAFETY: close_range(2) of every number but 0-2 and the channel; no
    // Rust value of this child owns one of them (the driver's values are
    // not used again here).
    unsafe {
        libc::syscall(libc::SYS_close_range, 3u32, (CHAN_FD - 1) as u32, 0u32);
        libc::syscall(libc::SYS_close_range, (CHAN_FD + 1) as u32, u32::MAX, 0u32);
    }
    let pgid = rustix::process::Pid::from_raw(s.pgid);
    if pgid.is_none() || rustix::process::setpgid(None, pgid).is_err() {
        let _ = rustix::process::setpgid(None, None);
    }
    // SAFETY: plain system calls on this process: dispositions, the mask,
    // the fault handler (async-signal-safe, see on_fault).
    unsafe {
        // Default dispositions (the driver's SIGINT/SIGTERM handlers and
        // Rust's ignored SIGPIPE must not carry over), nothing blocked.
        for sig in [
            libc::SIGINT,
            libc::SIGTERM,
            libc::SIGPIPE,
            libc::SIGHUP,
            libc::SIGCHLD,
        ] {
            libc::signal(sig, libc::SIG_DFL);
        }
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_fault as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_RESETHAND | libc::SA_NODEFER;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGSEGV, &sa, std::ptr::null_mut());
        libc::sigaction(libc::SIGBUS, &sa, std::ptr::null_mut());
    }
    // No core files: 1 byte is below any core's size, and tells a
    // core_pattern pipe not to dump either.
    set_soft_limit(Resource::Core, 1);
    // The model's limits: descriptors 0-1023 for the scenario, and the
    // era's RLIMIT_MEMLOCK. The channel sits at 1024, above the soft limit:
    // RLIMIT_NOFILE bounds only the descriptors made from now on, so the
    // channel works while `open` past 1023 is EMFILE, `fcntl(F_DUPFD)`
    // from 1024 EINVAL, as in the model.
    set_hard_limit(Resource::Nofile, s.nofile_max);
    set_soft_limit(Resource::Nofile, u64::from(s.nofile));
    set_hard_limit(Resource::Memlock, s.memlock);
    set_soft_limit(Resource::Memlock, s.memlock);
    if let Some(cpu) = s.cpu {
        let mut cs = rustix::thread::CpuSet::new();
        cs.set(cpu);
        let _ = rustix::thread::sched_setaffinity(None, &cs);
    }
    let _ = rustix::thread::set_name(&s.name);
    let _ = rustix::process::chdir(&*s.cwd);
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(s.umask));
    // SAFETY: the process-wide credential calls (see the header), and
    // _exit if they fail.
    unsafe {
        if let Some((uid, gid)) = s.ids {
            if libc::setgroups(0, std::ptr::null()) != 0
                || libc::setgid(gid) != 0
                || libc::setuid(uid) != 0
            {
                libc::_exit(120);
            }
        }
    }
    // After the credential change, which clears it.
    die_with_driver(s.driver);
}

/// Fds 0, 1 and 2: the run's terminal (inherited from the driver), or
/// `/dev/null` without one.
fn std_fds(tty: Option<RawFd>) {
    let null;
    let fd = match tty {
        // SAFETY: the driver's slave, open in this fork until close_range.
        Some(t) => unsafe { BorrowedFd::borrow_raw(t) },
        None => match rustix::fs::open(
            c"/dev/null",
            rustix::fs::OFlags::RDWR,
            rustix::fs::Mode::empty(),
        ) {
            Ok(n) => {
                null = ManuallyDrop::new(n);
                null.as_fd()
            }
            Err(_) => return,
        },
    };
    for n in 0..3 {
        if fd.as_raw_fd() != n {
            dup_onto(fd, n);
        }
    }
}

/// `_exit(2)`: ends this process at once.
fn exit_now(status: i32) -> ! {
    // SAFETY: _exit runs no destructor, atexit handler or stdio flush: those
    // are the driver's, of which this process is a fork, and must not run
    // here.
    unsafe { libc::_exit(status) }
}

/// `PR_SET_PDEATHSIG`, then make sure the driver did not die before it.
fn die_with_driver(driver: libc::pid_t) {
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
    if rustix::process::getppid().map(|p| p.as_raw_nonzero().get()) != Some(driver) {
        exit_now(121); // The driver is gone: so are we.
    }
}

/// The worker's life, in the child after `fork`: never returns.
pub(crate) fn run(chan: RawFd, s: &Setup) -> ! {
    setup(chan, s);
    // Break copy-on-write of the heap and stack pages a request uses, so that
    // serving requests does not show up as new anonymous memory later.
    let warm = serde_json::to_vec(&Rep::Bytes(vec![7u8; 64 << 10])).unwrap_or_default();
    drop(serde_json::from_slice::<Rep>(&warm));
    serve(s.driver)
}

fn reply(r: &Rep, pass: Option<RawFd>) {
    let body = serde_json::to_vec(r).expect("a reply serializes");
    if proto::send_frame(CHAN_FD, TAG_JSON, &body, pass).is_err() {
        exit_now(122); // The driver is gone: so are we.
    }
}

fn ready() {
    let pid = this_pid();
    if proto::send_frame(CHAN_FD, TAG_READY, &pid.to_le_bytes(), None).is_err() {
        exit_now(122); // As in reply.
    }
}

fn serve(driver: libc::pid_t) -> ! {
    ready();
    loop {
        let frame = match proto::recv_frame(CHAN_FD, false) {
            Ok(Some(f)) => f,
            // The driver closed the channel: the run is over.
            _ => exit_now(0),
        };
        let (tag, body, mut fds) = frame;
        if tag != TAG_JSON {
            continue;
        }
        let Ok(req) = serde_json::from_slice::<Req>(&body) else {
            reply(&Rep::Err(libc::EINVAL), None);
            continue;
        };
        match req {
            Req::RecvFd => {
                // The kernel installed it at the lowest free number.
                let r = match fds.pop() {
                    Some(f) => Rep::Int(f.into_raw_fd() as i64),
                    None => Rep::Err(libc::EAGAIN),
                };
                reply(&r, None);
            }
            Req::SendFd { fd } => {
                if rustix::io::fcntl_getfd(crate::syscalls::scenario_fd(fd)).is_err() {
                    reply(&Rep::Err(libc::EBADF), None);
                } else {
                    reply(&Rep::Int(0), Some(fd));
                }
            }
            Req::Fork { name } => fork(&name, driver),
            Req::Exit { status } => exit_now(status), // The scenario's exit(2).
            Req::Die { sig } => {
                // SAFETY: default action, then the signal (not raise(3): a
                // cloned child's thread descriptor still names its parent).
                unsafe {
                    libc::signal(sig, libc::SIG_DFL);
                    libc::kill(libc::getpid(), sig);
                    libc::_exit(123);
                }
            }
            other => {
                drop(fds);
                let r = call(other);
                reply(&r, None);
            }
        }
    }
}

/// A real fork: the child gets a new channel whose driver end goes back to
/// the driver with the reply; the child then announces itself on its own.
fn fork(name: &str, driver: libc::pid_t) {
    // Room above the scenario's descriptors for the new channel's two ends,
    // whatever the scenario holds open; the limit is put back after.
    let nofile = set_soft_limit(Resource::Nofile, u64::MAX);
    fork_with_room(name, driver);
    set_soft_limit(Resource::Nofile, nofile);
}

fn fork_with_room(name: &str, driver: libc::pid_t) {
    use rustix::net::{AddressFamily, SocketFlags, SocketType};
    let pair = rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    );
    // Move both ends far above the scenario's descriptors (the low numbers
    // close as the pair is dropped).
    let high = |(x, y): (OwnedFd, OwnedFd)| {
        let x = rustix::io::fcntl_dupfd_cloexec(&x, CHAN_FD + 1)?;
        Ok::<_, rustix::io::Errno>((x, rustix::io::fcntl_dupfd_cloexec(&y, CHAN_FD + 1)?))
    };
    let (a, b) = match pair.and_then(high) {
        Ok(ends) => ends,
        Err(e) => {
            reply(&Rep::Err(e.raw_os_error()), None);
            return;
        }
    };
    let name = CString::new(name.replace('\0', "")).unwrap_or_default();
    // SAFETY: a fork (clone without CLONE_VM) of this single-threaded
    // process; CLONE_PARENT makes the child the driver's child.
    let pid = unsafe {
        libc::syscall(
            libc::SYS_clone,
            (libc::CLONE_PARENT | libc::SIGCHLD) as libc::c_ulong,
            0usize,
            0usize,
            0usize,
            0usize,
        )
    };
    if pid < 0 {
        reply(&Rep::Err(errno()), None);
        return;
    }
    if pid == 0 {
        // The child swaps its channel for the new one.
        dup_onto(b.as_fd(), CHAN_FD);
        drop((a, b));
        let _ = rustix::thread::set_name(&name);
        die_with_driver(driver);
        ready();
        return;
    }
    // The parent keeps nothing of the child's channel; the driver gets its
    // own copy of the other end with the reply.
    drop(b);
    reply(&Rep::Int(pid), Some(a.as_raw_fd()));
}

/// `mincore(2)` of the scenario's range, a million pages at a time, so
/// that the vector is never larger than what the kernel writes into it: a
/// range past `TASK_SIZE` fails before a byte is written, and a bad page
/// anywhere fails the whole call, as one call would.
pub(crate) fn mincore_vec(addr: u64, len: u64) -> Result<Vec<u8>, i32> {
    const CHUNK: u64 = 1 << 20;
    let pages = len.div_ceil(4096);
    let valid = addr
        .checked_add(pages.saturating_mul(4096))
        .is_some_and(|e| e <= 0x7fff_ffff_f000);
    if !valid {
        let mut v = [0u8; 1];
        // SAFETY: the kernel rejects the range (ENOMEM) before writing.
        let r = unsafe { libc::mincore(addr as *mut _, len as usize, v.as_mut_ptr()) };
        return Err(if r != 0 { errno() } else { libc::ENOMEM });
    }
    let mut out = Vec::new();
    let mut done = 0;
    while done < pages || (pages == 0 && done == 0) {
        let n = (pages - done).min(CHUNK);
        let mut v = vec![0u8; n.max(1) as usize];
        let (a, l) = (addr + done * 4096, if pages == 0 { len } else { n * 4096 });
        // SAFETY: a vector of one byte per page of the chunk.
        if unsafe { libc::mincore(a as *mut _, l as usize, v.as_mut_ptr()) } != 0 {
            return Err(errno());
        }
        v.truncate(n as usize);
        out.extend_from_slice(&v);
        done += n.max(1);
    }
    Ok(out)
}

/// One system call or memory access.
fn call(req: Req) -> Rep {
    match req {
        // SAFETY: this is a worker, whose memory beyond its own is the
        // scenario's: the call is the one the scenario makes, with the
        // scenario's arguments (the driver's guard keeps address ranges off
        // the worker's own memory).
        Req::Sys { sys, args } => match unsafe { sys.on_host(&args) } {
            Some(Ret::Int(r)) => ret(r),
            Some(other) => Rep::Ret(other),
            None => Rep::Err(libc::EINVAL),
        },
        Req::Mkstemp { template } => {
            let mut t = cstr(&template).into_bytes_with_nul();
            // SAFETY: mkstemp(3) rewrites the XXXXXX of a NUL-terminated
            // buffer of ours in place.
            let fd = unsafe { libc::mkstemp(t.as_mut_ptr().cast()) };
            if fd < 0 {
                Rep::Err(errno())
            } else {
                t.pop();
                Rep::Mkstemp { fd, path: t }
            }
        }
        Req::Mincore { addr, len } => mincore_vec(addr, len).map_or_else(Rep::Err, Rep::Bytes),
        Req::Shmctl { id, cmd, set } => shmctl(id, cmd, set),
        // SAFETY (the four accesses below): the loads and stores a C program
        // makes at the scenario's addresses: a bad address faults, which is
        // the point (the handler reports it); the driver keeps them off the
        // worker's own memory.
        Req::WriteUser { addr, data } => {
            for (i, b) in data.iter().enumerate() {
                unsafe { std::ptr::write_volatile((addr as usize + i) as *mut u8, *b) };
            }
            Rep::Int(0)
        }
        Req::FillUser { addr, byte, len } => {
            for i in 0..len as usize {
                unsafe { std::ptr::write_volatile((addr as usize + i) as *mut u8, byte) };
            }
            Rep::Int(0)
        }
        Req::ReadUser { addr, len } => {
            let mut v = Vec::with_capacity(len as usize);
            for i in 0..len as usize {
                v.push(unsafe { std::ptr::read_volatile((addr as usize + i) as *const u8) });
            }
            Rep::Bytes(v)
        }
        Req::ReadCstr { addr, max } => {
            let mut v = Vec::new();
            for i in 0..max as usize {
                let b = unsafe { std::ptr::read_volatile((addr as usize + i) as *const u8) };
                if b == 0 {
                    break;
                }
                v.push(b);
            }
            Rep::Bytes(v)
        }
        Req::RecvFd
        | Req::SendFd { .. }
        | Req::Fork { .. }
        | Req::Exit { .. }
        | Req::Die { .. } => Rep::Err(libc::EINVAL),
    }
}

fn shmctl(id: i32, cmd: i32, set: Option<(u32, u32, u32)>) -> Rep {
    // SAFETY: shmctl with a buffer of the size the command writes.
    unsafe {
        match cmd {
            libc::IPC_INFO | 14 => {
                // Both structs fit in a shmid_ds-sized buffer; read as words.
                let mut buf = [0u64; 16];
                let r = libc::shmctl(id, cmd, buf.as_mut_ptr().cast());
                if r < 0 {
                    return Rep::Err(errno());
                }
                let info = if cmd == libc::IPC_INFO {
                    // struct shminfo: shmmax, shmmin, shmmni, shmseg, shmall.
                    [buf[0], buf[1], buf[2], buf[3], buf[4]]
                } else {
                    // struct shm_info: int used_ids; (pad) shm_tot, shm_rss, shm_swp, ...
                    [buf[0] & 0xffff_ffff, buf[1], buf[2], buf[3], 0]
                };
                Rep::Shmctl {
                    ret: r as i64,
                    ds: None,
                    info: Some(info),
                }
            }
            libc::IPC_SET => {
                let mut ds: libc::shmid_ds = std::mem::zeroed();
                if libc::shmctl(id, libc::IPC_STAT, &mut ds) < 0 {
                    return Rep::Err(errno());
                }
                if let Some((uid, gid, mode)) = set {
                    ds.shm_perm.uid = uid;
                    ds.shm_perm.gid = gid;
                    ds.shm_perm.mode = mode as _;
                }
                let r = libc::shmctl(id, libc::IPC_SET, &mut ds);
                if r < 0 {
                    return Rep::Err(errno());
                }
                Rep::Shmctl {
                    ret: r as i64,
                    ds: None,
                    info: None,
                }
            }
            _ => {
                let mut ds: libc::shmid_ds = std::mem::zeroed();
                let r = libc::shmctl(id, cmd, &mut ds);
                if r < 0 {
                    return Rep::Err(errno());
                }
                let filled = matches!(cmd, libc::IPC_STAT | 13 | 15);
                let ds = filled.then_some(Ds {
                    key: ds.shm_perm.__key,
                    uid: ds.shm_perm.uid,
                    gid: ds.shm_perm.gid,
                    cuid: ds.shm_perm.cuid,
                    cgid: ds.shm_perm.cgid,
                    mode: ds.shm_perm.mode as u32,
                    seq: ds.shm_perm.__seq as u32,
                    segsz: ds.shm_segsz as u64,
                    atime: ds.shm_atime,
                    dtime: ds.shm_dtime,
                    ctime: ds.shm_ctime,
                    cpid: ds.shm_cpid,
                    lpid: ds.shm_lpid,
                    nattch: ds.shm_nattch,
                });
                Rep::Shmctl {
                    ret: r as i64,
                    ds,
                    info: None,
                }
            }
        }
    }
}

/// Forks a worker from the driver. In the parent: the child's pid.
pub(crate) fn spawn(s: &Setup, chan_child: std::os::fd::OwnedFd) -> std::io::Result<libc::pid_t> {
    let raw = chan_child.as_raw_fd();
    // SAFETY: fork; the child only makes system calls and uses glibc malloc
    // (made fork-safe by glibc) until it serves, and never returns here.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if pid == 0 {
        run(raw, s);
    }
    drop(chan_child);
    Ok(pid)
}
