//! The call table of the statement language, as the kernel's syscall table
//! (`arch/x86/entry/syscalls/syscall_64.tbl`) is the kernel's: every call is
//! declared here once, and everything else is derived from the declaration.
//!
//! A declaration gives the call's name, its group in the contract, who makes
//! it (a process, the machine, a look step), what `name = call(...)` binds,
//! how many arguments are required, its C prototype, its parameters (C name
//! and kind, checked by `scenario::check`), the errnos its man page's ERRORS
//! section documents and the model can give, and how it is dispatched:
//!
//! - `{ kernel: .., host: .., guard: .. }`: its kernel function is `kernel`,
//!   its real worker's system call is `host`, and `guard` names the
//!   `(addr, length)` parameters a real run must keep off the worker's own
//!   memory. The runner dispatches it through
//!   [`Backend::syscall`](crate::backend::Backend::syscall), the real backend
//!   sends it as the one `Req::Sys` (`crate::real`) and the worker runs
//!   `host`: none of them names the call. Both return a [`Ret`]: an
//!   integer, the bytes it read, or a `struct stat`.
//! - `shell { kernel: .., host: .. }`: a step the shell makes, no process
//!   (the machine-wide steps and the look steps: `by: Machine | Look`). Its
//!   kernel function `fn(&mut Kernel, &ShellArgs) -> ShellOut` runs it on
//!   the model, its host function `fn(&mut RealBackend, &ShellArgs) ->
//!   ShellOut` (in `real/shell.rs`) on the host. The runner
//!   (`Run::machine_call`) evaluates the arguments as their kinds say
//!   ([`ShellArgs`]: a `Proc` resolved to its process, a `ProcPtr` in that
//!   process's scope) and dispatches through
//!   [`Backend::shell`](crate::backend::Backend::shell); the [`ShellOut`]
//!   is the step's result: a return value, an errno, printed text with an
//!   exit status, or sim only.
//! - `custom`: the runner (`runner::Run::call`) has an arm of its own for
//!   it, and [`crate::backend::Backend`] a method. What is left custom, and
//!   why (the test `only_what_cannot_be_declared_is_custom` keeps the list):
//!   `mkstemp` (it rebinds a string name to the file's name, and a real run
//!   opens the model's name), `shmctl` (a struct read *and* written, `IPC_SET`'s fields from
//!   a name, host keys and ids mapped back in `shmid_ds`), `memcpy`,
//!   `memset` and `printf` (loads and stores of the process, faults that end
//!   it, not system calls), and `fork`, `exit`, `send_fd` and `recv_fd` (a
//!   process, a worker and its channel, a descriptor in flight).
//!
//! What a declaration can say besides (each with one implementation that
//! does not name the call: the runner's `bound_by`, `unmapped_by`,
//! `counted`, `printed` and `fill`, and the real backend's
//! `real/dispatch.rs`):
//!
//! - `maps: Len::Arg(N)` / `Len::Segment(N)`: it returns a new mapping, of
//!   the length of parameter N, or of the segment parameter N names.
//! - `real: [Real::..]`: what a real run does around it ([`Real`]: memory
//!   caps, files it opens, POSIX shm names, ranges it maps, moves, unmaps
//!   or attaches,
//!   System V gets). Path, key and shm id parameters, and key and shm id
//!   results, need nothing: their kinds say it.
//! - `unmaps: Unmap::..`: the mappings it takes away ([`Unmap`]), so that
//!   names bound to them name pointers only.
//! - `out: Out::..`: what it prints of the bytes it gives back ([`Out`]).
//! - `counts: (s, n)`: data parameter `s` is counted by parameter `n`.
//! - `check: ToolCheck { arg, example }`: a look step's argument is checked
//!   the way its tool parses it ([`ToolCheck`]; `scenario::check` calls
//!   `arg` and names no tool).
//! - `command: Command { param, modelled, example }`: parameter `param` names a
//!   command; the checker requires a constant and refuses one the model
//!   does not keep ([`Command`]; `fcntl`'s locks, leases, owners, ...).
//! - A parameter of kind `StatBuf` given as `&name` gets the `struct stat`.
//!
//! From the table come: the checker's signatures ([`CALLS`]), the runner's
//! dispatch ([`Sys::on_kernel`], [`Sys::shell_on_kernel`]), the real
//! worker's request and system call ([`Sys::on_host`]), the real driver's
//! shell steps (`Sys::shell_on_host`), and the book's language reference (`shmsim book`,
//! `tui/src/book/tables.rs`, which prints every call with its errnos).
//!
//! # Adding a call
//! 1. One declaration below, in the contract's order, with
//!    `dispatch: { kernel: |k, pid, a| ..., host: |a| ..., guard: None }`
//!    and whichever of `maps`, `real`, `unmaps`, `out`, `counts` it needs.
//! 2. The kernel function it calls, in the file named after the kernel file
//!    it mirrors (`mm/mlock.c` is `sim/src/mm/mlock.rs`), returning
//!    `SysResult<_>` with the errno the kernel returns.
//! 3. The worker's system call: the `host` expression (it runs in the
//!    worker). Through rustix where it has the call, its `Result` made the
//!    table's convention by `host_sys` (`-1` means errno); else libc, which
//!    returns that already; or a [`Ret`], as `host_read` and `host_stat`
//!    make. It is not implicitly `unsafe`: one that needs it (an address, a
//!    raw descriptor, libc) has its own `unsafe` block and SAFETY comment.
//!
//! Then a named test per errno in `tests/errno_conformance.rs` and the
//! call's section in SCENARIOS.md; `cargo run -- book` regenerates the
//! reference. New constants go in `scenario/consts.rs`.
//!
//! # Adding a shell step
//! A machine step (`sync`) or a look step (`vmstat`) is one declaration
//! with `by: Machine` or `by: Look`, its parameters' kinds (`K::ToolArgs`
//! for a tool's command line, `K::Proc` and `K::ProcPtr` for a process and
//! one of its mappings), and `dispatch: shell { kernel: crate::tools::vmstat::on_kernel,
//! host: crate::real::shell::vmstat }`. The kernel function goes in the file
//! named after the tool or kernel file it mirrors (`tools/vmstat.rs`,
//! rendering from the model's views); the host function in `real/shell.rs`
//! runs the host's tool (`run_tool`) or returns `ShellOut::SimOnly` for a
//! step a shared host must not see. Neither the runner nor the `Backend`
//! trait changes. A tool whose command line the model parses declares
//! `check: ToolCheck { arg: crate::tools::vmstat::check_arg, example: "-s" }`
//! as well, so that the checker refuses what the tool would.

use crate::errno::{Errno, SysResult};
use crate::kernel::{Kernel, Pid};
use crate::scenario::calls::{ArgKind as K, CallSig, Param, Returns, Scope};
use crate::scenario::consts::Family as F;
#[cfg(target_os = "linux")]
use rustix::{
    fs::MemfdFlags,
    mm::{MapFlags, MlockAllFlags, MprotectFlags, MsyncFlags, ProtFlags},
};
use serde::{Deserialize, Serialize};
#[cfg(target_os = "linux")]
use std::os::fd::IntoRawFd;

/// The buffer a scenario's `read(fd, n)` and `pread(fd, n, off)` read into
/// is at most this long (64 MiB), on the model as in the real worker, which
/// allocates it: a C program's buffer is as long as it allocated, and a
/// scenario's `n` can be any number (a read of 2^60 bytes of a sparse
/// file would otherwise be a buffer of 2^48 bytes, or the kernel's
/// `MAX_RW_COUNT`, 2 GiB).
pub const READ_BUFFER_MAX: u64 = 1 << 26;

/// The evaluated arguments of one call: every argument's integer value, and
/// the bytes of those that are strings (paths, data).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Args {
    pub ints: Vec<i64>,
    pub strs: Vec<Option<Vec<u8>>>,
}

impl Args {
    /// Argument `i` as C's `long` (0 when left out, as an optional argument).
    pub fn int(&self, i: usize) -> i64 {
        self.ints.get(i).copied().unwrap_or(0)
    }
    /// Argument `i` as an unsigned 64-bit value (`size_t`, an address).
    pub fn u64(&self, i: usize) -> u64 {
        self.int(i) as u64
    }
    /// Argument `i` as C's `int`.
    pub fn i32(&self, i: usize) -> i32 {
        self.int(i) as i32
    }
    /// Argument `i` as C's `unsigned int` (flags, modes).
    pub fn u32(&self, i: usize) -> u32 {
        self.int(i) as u32
    }
    /// The bytes of string argument `i` (empty if it is not a string).
    pub fn bytes(&self, i: usize) -> &[u8] {
        self.strs.get(i).and_then(|s| s.as_deref()).unwrap_or(&[])
    }
    /// String argument `i` as text, as the model's paths are.
    pub fn text(&self, i: usize) -> String {
        String::from_utf8_lossy(self.bytes(i)).into_owned()
    }
    /// Argument `i` as a pointer, for the worker's system call.
    pub fn ptr(&self, i: usize) -> *mut std::ffi::c_void {
        self.u64(i) as usize as *mut std::ffi::c_void
    }
    /// String argument `i` as a C string (up to its first NUL).
    pub fn cstr(&self, i: usize) -> std::ffi::CString {
        let b = self.bytes(i);
        let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        std::ffi::CString::new(&b[..end]).expect("no NUL before end")
    }
}

/// What a call gives back: its C return value, or bytes it read (`read`,
/// `pread`, `mincore`'s vector), which its declaration's `out` prints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ret {
    /// An integer: a count, a descriptor, an address (`-1` on the host
    /// means the call failed with `errno`).
    Int(i64),
    /// Bytes.
    Bytes(Vec<u8>),
    /// A `struct stat`, for the parameter of kind `StatBuf` (`&st`); the
    /// call returns 0.
    Stat(crate::fs::vfs::Stat),
}

impl Ret {
    /// The C return value without an `out` (bytes count as their length).
    pub fn int(&self) -> i64 {
        match self {
            Ret::Int(v) => *v,
            Ret::Bytes(b) => b.len() as i64,
            Ret::Stat(_) => 0,
        }
    }
}

/// A kernel function's success value (or a worker's libc result) as a [`Ret`].
pub trait IntoRet {
    fn into_ret(self) -> Ret;
}
macro_rules! into_ret {
    ($($t:ty),*) => { $(impl IntoRet for $t { fn into_ret(self) -> Ret { Ret::Int(self as i64) } })* };
}
into_ret!(i32, i64, u32, u64, isize, usize);
impl IntoRet for () {
    fn into_ret(self) -> Ret {
        Ret::Int(0)
    }
}
impl IntoRet for *mut std::ffi::c_void {
    fn into_ret(self) -> Ret {
        Ret::Int(self as i64)
    }
}
impl IntoRet for Vec<u8> {
    fn into_ret(self) -> Ret {
        Ret::Bytes(self)
    }
}
impl IntoRet for crate::fs::vfs::Stat {
    fn into_ret(self) -> Ret {
        Ret::Stat(self)
    }
}
impl IntoRet for Ret {
    fn into_ret(self) -> Ret {
        self
    }
}

/// The evaluated arguments of a shell step (a machine or look step: no
/// process makes it), derived from its parameters' kinds by the runner
/// (`runner::Run::shell_args`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShellArgs {
    /// Every argument as text: a string's text, an integer's digits.
    pub texts: Vec<String>,
    /// Every argument's integer value; one of kind `ProcPtr` is evaluated
    /// in the scope of the process the `Proc` argument names.
    pub ints: Vec<i64>,
    /// The process a `Proc` argument names: its pid and its name.
    pub proc_: Option<(Pid, String)>,
}

impl ShellArgs {
    /// Argument `i` as text (empty when left out).
    pub fn text(&self, i: usize) -> &str {
        self.texts.get(i).map_or("", String::as_str)
    }
    /// Argument `i` as C's `long` (0 when left out).
    pub fn int(&self, i: usize) -> i64 {
        self.ints.get(i).copied().unwrap_or(0)
    }
    /// Argument `i` as an unsigned 64-bit value (a count, an address).
    pub fn u64(&self, i: usize) -> u64 {
        self.int(i) as u64
    }
    /// The process the `Proc` argument names, and its name.
    pub fn proc_(&self) -> Option<(Pid, &str)> {
        self.proc_.as_ref().map(|(pid, who)| (*pid, who.as_str()))
    }
}

/// What a shell step gives back, for the runner to make the step's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShellOut {
    /// It returned `.0` and printed nothing (`reclaim`'s pages, 0).
    Ret(i64),
    /// It failed with an errno (`sysctl`'s `EINVAL`): the step returns -1.
    Errno(Errno),
    /// It printed `text` and exited with `status`: a tool's output (0), its
    /// error message (1), `rm`'s coreutils message (1).
    Printed { text: String, status: i64 },
    /// This backend cannot do it: sim only, never done on a shared host.
    SimOnly,
}

impl ShellOut {
    /// A kernel function's result: its value, or its errno.
    pub fn of<T: IntoRet>(r: SysResult<T>) -> ShellOut {
        match r {
            Ok(v) => ShellOut::Ret(v.into_ret().int()),
            Err(e) => ShellOut::Errno(e),
        }
    }
    /// What a tool printed: its output (status 0) or its error (status 1).
    pub fn printed(r: Result<String, String>) -> ShellOut {
        match r {
            Ok(text) => ShellOut::Printed { text, status: 0 },
            Err(text) => ShellOut::Printed { text, status: 1 },
        }
    }
}

/// How the checker checks a look step's argument beyond its kind, the way
/// the tool parses it (its declaration's `check`).
#[derive(Clone, Copy, Debug)]
pub struct ToolCheck {
    /// The argument's text: `Err` for one the tool refuses, or the model
    /// does not show.
    pub arg: fn(&str) -> Result<(), ToolRefusal>,
    /// An argument the tool takes, for the checker's help (`"-k"`).
    pub example: &'static str,
}

/// An integer parameter that names a command (its declaration's
/// `command`): the checker requires a constant there, and refuses one that
/// `modelled` says Linux has and the model does not keep, so that no run
/// makes its answer up (and no real run passes its argument, which may be
/// a pointer, to the host).
#[derive(Clone, Copy, Debug)]
pub struct Command {
    /// The parameter's index.
    pub param: usize,
    /// The command's value: `Err` for one the model does not keep.
    pub modelled: fn(i64) -> Result<(), ToolRefusal>,
    /// The call with a command named, for the checker's help.
    pub example: &'static str,
}

/// Why a look step's tool refuses its argument: the diagnostic's message,
/// its label at the argument, and its help.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolRefusal {
    pub message: String,
    pub label: String,
    pub help: String,
}

/// What a call prints to the step's `out`, from the bytes it gives back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Out {
    /// The bytes it read, as `show_bytes` spells them; it returns their count.
    Read,
    /// `mincore`'s vector: `1` for a resident page, `0` for one that is not;
    /// it returns 0.
    Residency,
}

/// Where the length of the mapping a call returns comes from, so that the
/// name it binds can be observed (`pte.NAME` over the whole mapping).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Len {
    /// Argument `.0` is the length (`mmap`'s `length`, `mremap`'s `new_size`).
    Arg(usize),
    /// The System V segment whose id is argument `.0` (`shmat`): its size.
    Segment(usize),
}

/// What a successful call takes away from the process's mappings: a name
/// bound to a mapping inside it then names only the pointer it held
/// (`runner::Run::forget_unmapped`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unmap {
    /// `[arg .0, arg .0 + arg .1)` (`munmap`).
    Range(usize, usize),
    /// `[arg .0, arg .0 + arg .1)` when flags argument `.2` has bit `.3`
    /// (`mmap` with `MAP_FIXED` replaces what was there).
    RangeIf(usize, usize, usize, u32),
    /// The new mapping's range when flags argument `.0` has bit `.1`
    /// (`shmat` with `SHM_REMAP`).
    NewIf(usize, u32),
    /// The mapping that starts at argument `.0` (`shmdt` detaches the
    /// segment attached there).
    StartingAt(usize),
    /// What `mremap` leaves: the tail of a mapping shrunk in place; the old
    /// range of a moved one (unless `MREMAP_DONTUNMAP`, flags argument 3),
    /// and what `MREMAP_FIXED` replaced at the new one.
    Remap,
}

/// What a real run (`crate::real`) does around a call, beyond what the
/// kinds of its parameters and its result already say. Derived from those,
/// for every call: a `Path` parameter is made the run folder's; a `Key` is
/// the model's key for the model and a host key of the run's for the host;
/// a `ShmId` is the model's id for the model and must be a segment of the
/// run's (else `EINVAL`, as if it did not exist); a `Key` result is learnt
/// as standing for the model's; a `ShmId` result becomes the run's
/// segment; and the `guard` range is kept off the worker's own memory.
/// Each variant has one implementation in `RealBackend::syscall`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Real {
    /// The end of a write, offset argument `off` plus the length of data
    /// argument `data`, above the run's memory cap: refused with `errno`.
    CapEnd {
        off: usize,
        data: usize,
        errno: Errno,
    },
    /// Argument `.0`, a `size_t`, above the run's memory cap: refused with
    /// errno `.1` (and a note) before the model sees it.
    Cap(usize, Errno),
    /// As `Cap`, for an `off_t` (a negative one is the kernel's to refuse).
    CapOff(usize, Errno),
    /// Path argument `path` is opened with flags argument `flags`:
    /// `/dev/zero` stays the host's (harmless to read, write and map), and
    /// with `O_CREAT` a file the model did not have gets `O_EXCL`, so that
    /// a file outside the run is never opened in its place.
    Opens { path: usize, flags: usize },
    /// Argument `.0` is a POSIX shm name: glibc's `__shm_get_name` makes it
    /// the path `/dev/shm/NAME` (then the run folder's); a bad name fails
    /// with errno `.1`, or with `__shm_get_name`'s own when `.1` is `None`.
    ShmName(usize, Option<Errno>),
    /// On success, `[arg .0, arg .0 + arg .1)` is no longer the run's.
    Unmaps(usize, usize),
    /// On success, the System V segment the host had attached at argument
    /// `.0` is no longer the run's.
    Detaches(usize),
    /// A System V get of key argument `key` with flags argument `flags`: the
    /// host's key is one no segment outside the run has (another is taken
    /// if one does), `IPC_EXCL` is added to a create, and a get without
    /// `IPC_CREAT` of a key the run never made is `ENOENT`.
    IpcGet { key: usize, flags: usize },
    /// A new mapping of `[arg addr, + arg len)` with flags argument `flags`:
    /// at the model's address (`MAP_FIXED_NOREPLACE` added, or the address
    /// as a hint for `MAP_SHARED_VALIDATE`, which refuses it), `MAP_FIXED`
    /// only over what the run itself mapped; the new range is the run's.
    MapsAt {
        addr: usize,
        len: usize,
        flags: usize,
    },
    /// `mremap`: where the model moved the mapping the host moves it too
    /// (`MREMAP_FIXED` at the model's address, not over the worker's own
    /// memory), and the run's ranges follow the move.
    Remaps,
    /// A System V attach of segment argument `id` at argument `addr` with
    /// flags argument `flags`: at the model's address, `SHM_REMAP` dropped
    /// over the worker's own memory; the new range is the run's.
    Attaches {
        id: usize,
        addr: usize,
        flags: usize,
    },
}

// ---- the worker's side of the table (`host` expressions) ---------------
//
// The host expressions call rustix where it has the call: its functions
// take the scenario's flags as given (`from_bits_retain`, every bit kept,
// an unknown one is the kernel's to refuse), return a `Result` whose
// `Errno` is the kernel's own number, and most are safe, so only the ones
// that touch memory by address (mmap, munmap, mprotect, ...) or a raw
// descriptor (close) are `unsafe`, each with its SAFETY comment. What
// stays libc says why beside it: a call rustix lacks (mincore, mremap's
// hint, System V IPC, process-wide setuid), or one whose argument rustix
// takes as an enum (lseek's whence, fcntl's command, madvise's advice,
// setrlimit's resource) where the scenario's is any integer.
// [`host_sys`] turns rustix's `Result` into the table's convention (`-1`
// with errno), so that both kinds of expression return alike.

/// `fcntl` in a worker, for the commands the model keeps
/// ([`crate::fs::fcntl::kept`]); any other number is EINVAL, as in every
/// release the model answers for, without the host seeing it.
#[cfg(target_os = "linux")]
fn host_fcntl(fd: i32, cmd: i32, arg: i64) -> Ret {
    if !crate::fs::fcntl::kept(cmd) {
        set_errno(libc::EINVAL);
        return Ret::Int(-1);
    }
    // SAFETY: every command kept takes an integer argument, none a
    // pointer into the worker.
    Ret::Int(i64::from(unsafe {
        libc::fcntl(fd, cmd, arg as libc::c_long)
    }))
}

/// A rustix result in the table's convention: the value, or `-1` with the
/// kernel's errno (rustix's `Errno::raw_os_error`, the number libc would
/// have left in `errno`).
#[cfg(target_os = "linux")]
fn host_sys<T: IntoRet>(r: rustix::io::Result<T>) -> Ret {
    match r {
        Ok(v) => v.into_ret(),
        Err(e) => {
            set_errno(e.raw_os_error());
            Ret::Int(-1)
        }
    }
}

/// The scenario's descriptor number `raw` as rustix takes one.
///
/// A worker uses the numbers the scenario names as a C program does: one
/// that is not open only makes the kernel answer `EBADF`. rustix refuses a
/// negative number (`BorrowedFd` cannot hold -1, and its calls assert
/// `fd >= 0`); the kernel reads a descriptor as an `unsigned int` and
/// answers every number past its table alike (`EBADF`; `MAP_ANONYMOUS`
/// ignores it), and a negative one is past any table, as `i32::MAX` is
/// (`nr_open` is at most 2147483584): so a negative number goes as that.
#[cfg(target_os = "linux")]
pub(crate) fn scenario_raw_fd(raw: i32) -> i32 {
    if raw < 0 {
        i32::MAX
    } else {
        raw
    }
}

/// [`scenario_raw_fd`] as a `BorrowedFd`, for one system call.
#[cfg(target_os = "linux")]
pub(crate) fn scenario_fd(raw: i32) -> std::os::fd::BorrowedFd<'static> {
    // SAFETY: not -1 (above). The number is the scenario's, borrowed for one
    // system call; no Rust value in the worker owns it or relies on it.
    unsafe { std::os::fd::BorrowedFd::borrow_raw(scenario_raw_fd(raw)) }
}

/// The scenario's `open` flags, every bit as given.
#[cfg(target_os = "linux")]
fn oflags(f: i32) -> rustix::fs::OFlags {
    rustix::fs::OFlags::from_bits_retain(f as u32)
}

/// The scenario's mode bits, every bit as given (the kernel masks them).
#[cfg(target_os = "linux")]
fn mode(m: u32) -> rustix::fs::Mode {
    rustix::fs::Mode::from_bits_retain(m)
}

/// A worker's credentials changed: the kernel cleared its parent-death
/// signal (`commit_creds`), which the worker needs to die with the driver.
/// rustix's prctl leaves `errno` as the credential call set it.
#[cfg(target_os = "linux")]
fn after_credentials(r: libc::c_int) -> libc::c_int {
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
    r
}

/// glibc's `shm_open(3)` after `__shm_get_name`: `open(2)` with
/// `O_NOFOLLOW | O_CLOEXEC`; a directory is `EINVAL`, not `EISDIR`.
#[cfg(target_os = "linux")]
fn host_shm_open(path: &std::ffi::CStr, oflag: i32, m: u32) -> Ret {
    use rustix::fs::OFlags;
    let flags = oflags(oflag) | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    host_sys(match rustix::fs::open(path, flags, mode(m)) {
        Err(rustix::io::Errno::ISDIR) => Err(rustix::io::Errno::INVAL),
        r => r.map(IntoRawFd::into_raw_fd),
    })
}

/// glibc's `shm_unlink(3)` after `__shm_get_name`: `unlink(2)`, with
/// `EPERM` (and a directory's `EISDIR`) reported as `EACCES`.
#[cfg(target_os = "linux")]
fn host_shm_unlink(path: &std::ffi::CStr) -> Ret {
    use rustix::io::Errno;
    host_sys(match rustix::fs::unlink(path) {
        Err(Errno::PERM | Errno::ISDIR) => Err(Errno::ACCESS),
        r => r,
    })
}

/// A `read`-like call into a buffer of `n` bytes (at most 64 MiB): the
/// bytes it read, or `-1` with its errno.
#[cfg(target_os = "linux")]
fn host_read(n: u64, f: impl FnOnce(&mut [u8]) -> rustix::io::Result<usize>) -> Ret {
    let mut buf = vec![0u8; n.min(READ_BUFFER_MAX) as usize];
    host_sys(f(&mut buf).map(|r| {
        buf.truncate(r);
        buf
    }))
}

/// A `stat`-like call's `struct stat`: the fields the model keeps, or `-1`
/// with its errno.
#[cfg(target_os = "linux")]
fn host_stat(r: rustix::io::Result<rustix::fs::Stat>) -> Ret {
    use rustix::fs::{major, minor};
    host_sys(r.map(|st| crate::fs::vfs::Stat {
        dev: (major(st.st_dev), minor(st.st_dev)),
        ino: st.st_ino as u32,
        mode: st.st_mode,
        nlink: st.st_nlink as u32,
        uid: st.st_uid,
        gid: st.st_gid,
        size: st.st_size as u64,
        blocks: st.st_blocks as u64,
        mtime: st.st_mtime,
    }))
}

#[cfg(target_os = "linux")]
fn set_errno(e: i32) {
    // SAFETY: glibc's thread-local errno, always valid on the calling thread.
    unsafe { *libc::__errno_location() = e };
}

const fn p(name: &'static str, kind: K) -> Param {
    Param { name, kind }
}

/// The functions one declaration's `dispatch` derives: a table call has a
/// `kernel` and a `host` function, a shell step a `shell_kernel` and a
/// `shell_host`, a custom call none (each `None` where it has none).
macro_rules! dispatch_fns {
    (@none_process) => {
        pub const GUARD: Option<(usize, usize)> = None;
        pub fn kernel(_: &mut Kernel, _: Pid, _: &Args) -> Option<SysResult<Ret>> {
            None
        }
        #[cfg(target_os = "linux")]
        pub unsafe fn host(_: &Args) -> Option<Ret> {
            None
        }
    };
    (@none_shell) => {
        pub fn shell_kernel(_: &mut Kernel, _: &ShellArgs) -> Option<ShellOut> {
            None
        }
        #[cfg(target_os = "linux")]
        pub fn shell_host(_: &mut crate::real::RealBackend, _: &ShellArgs) -> Option<ShellOut> {
            None
        }
    };
    (custom) => {
        pub const DISPATCH: Dispatch = Dispatch::Custom;
        dispatch_fns!(@none_process);
        dispatch_fns!(@none_shell);
    };
    (shell { kernel: $k:path, host: $h:path $(,)? }) => {
        pub const DISPATCH: Dispatch = Dispatch::Shell;
        dispatch_fns!(@none_process);
        pub fn shell_kernel(k: &mut Kernel, a: &ShellArgs) -> Option<ShellOut> {
            Some($k(k, a))
        }
        #[cfg(target_os = "linux")]
        pub fn shell_host(r: &mut crate::real::RealBackend, a: &ShellArgs) -> Option<ShellOut> {
            Some($h(r, a))
        }
    };
    ({ kernel: |$k:ident, $pid:ident, $a:ident| $ke:expr,
       host: |$ha:ident| $he:expr, guard: $g:expr $(,)? }) => {
        pub const DISPATCH: Dispatch = Dispatch::Table;
        pub const GUARD: Option<(usize, usize)> = $g;
        pub fn kernel($k: &mut Kernel, $pid: Pid, $a: &Args) -> Option<SysResult<Ret>> {
            Some(($ke).map(IntoRet::into_ret))
        }
        /// The worker's system call.
        ///
        /// # Safety
        /// The real system call with the scenario's arguments, in a worker.
        /// The expression is not wrapped in `unsafe`: one that needs it says
        /// so itself, with its SAFETY comment.
        #[cfg(target_os = "linux")]
        #[deny(unsafe_op_in_unsafe_fn)]
        pub unsafe fn host($ha: &Args) -> Option<Ret> {
            Some(($he).into_ret())
        }
        dispatch_fns!(@none_shell);
    };
}

/// How a call is dispatched (its declaration's `dispatch`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dispatch {
    /// `{ kernel, host, guard }`: a process's system call, through
    /// [`Backend::syscall`](crate::backend::Backend::syscall).
    Table,
    /// `shell { kernel, host }`: a machine or look step, through
    /// [`Backend::shell`](crate::backend::Backend::shell).
    Shell,
    /// `custom`: an arm of its own in the runner.
    Custom,
}

macro_rules! syscalls {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident {
            group: $group:literal, by: $scope:ident, returns: $ret:ident,
            $(maps: $maps:expr,)? required: $req:literal, $(variadic: $var:literal,)?
            proto: $proto:literal,
            params: [$($pn:ident: $pk:expr),* $(,)?],
            errnos: [$($e:ident),* $(,)?],
            $(real: [$($rp:expr),* $(,)?],)?
            $(unmaps: $um:expr,)?
            $(out: $out:expr,)?
            $(counts: $counts:expr,)?
            $(check: $check:expr,)?
            $(command: $cmd:expr,)?
            dispatch: $($dk:ident)? $({ $($db:tt)* })? $(,)?
        }
    )*) => {
        /// Every call of the statement language, by name.
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
        pub enum Sys { $($name),* }

        #[allow(non_snake_case, unused_variables, clippy::missing_safety_doc)]
        mod decl {
            $(pub mod $name {
                use super::super::*;
                dispatch_fns!($($dk)? $({ $($db)* })?);
            })*
        }

        /// Every call, in the contract's order.
        pub const CALLS: &[CallSig] = &[$(CallSig {
            name: stringify!($name),
            params: &[$(p(stringify!($pn), $pk)),*],
            required: $req,
            variadic: false $(|| $var)?,
            scope: Scope::$scope,
            returns: Returns::$ret,
            group: $group,
            proto: $proto,
            errnos: &[$(Errno::$e),*],
            sys: Sys::$name,
        }),*];

        impl Sys {
            /// The call's declaration.
            pub fn sig(self) -> &'static CallSig {
                &CALLS[self as usize]
            }
            /// The call's name.
            pub fn name(self) -> &'static str {
                self.sig().name
            }
            /// The call called `name`.
            pub fn named(name: &str) -> Option<Sys> {
                match name { $(stringify!($name) => Some(Sys::$name),)* _ => None }
            }
            /// How it is dispatched ([`Dispatch`]).
            pub fn dispatch(self) -> Dispatch {
                match self { $(Sys::$name => decl::$name::DISPATCH),* }
            }
            /// Is it a process's call dispatched from the table (not a
            /// runner arm of its own)?
            pub fn is_generic(self) -> bool {
                self.dispatch() == Dispatch::Table
            }
            /// Is it a shell step dispatched from the table?
            pub fn is_shell(self) -> bool {
                self.dispatch() == Dispatch::Shell
            }
            /// For a call that returns a new mapping from the table: where
            /// the mapping's length comes from.
            pub fn maps(self) -> Option<Len> {
                match self { $(Sys::$name => None $(.or(Some($maps)))?),* }
            }
            /// What a real run does around the call, beyond what its
            /// parameters' kinds and its result say ([`Real`]).
            pub fn real(self) -> &'static [Real] {
                match self { $(Sys::$name => &[$($($rp),*)?]),* }
            }
            /// What the call prints ([`Out`]).
            pub fn out(self) -> Option<Out> {
                match self { $(Sys::$name => None $(.or(Some($out)))?),* }
            }
            /// `(s, n)`: data argument `s` is counted by argument `n`: its
            /// first `n` bytes with the string's NUL (`EFAULT` past them),
            /// or, with `n` left out, `strlen(s)` bytes.
            pub fn counts(self) -> Option<(usize, usize)> {
                match self { $(Sys::$name => None $(.or(Some($counts)))?),* }
            }
            /// How the checker checks a look step's argument ([`ToolCheck`]).
            pub fn check(self) -> Option<ToolCheck> {
                match self { $(Sys::$name => None $(.or(Some($check)))?),* }
            }
            /// The parameter that names a command the model may not keep
            /// ([`Command`]).
            pub fn command(self) -> Option<Command> {
                match self { $(Sys::$name => None $(.or(Some($cmd)))?),* }
            }
            /// The mappings a successful call takes away ([`Unmap`]).
            pub fn unmaps(self) -> Option<Unmap> {
                match self { $(Sys::$name => None $(.or(Some($um)))?),* }
            }
            /// The `(addr, length)` parameters a real run keeps off the
            /// worker's own memory.
            pub fn guard(self) -> Option<(usize, usize)> {
                match self { $(Sys::$name => decl::$name::GUARD),* }
            }
            /// The call on the kernel model (`None`: a custom call).
            pub fn on_kernel(self, k: &mut Kernel, pid: Pid, a: &Args) -> Option<SysResult<Ret>> {
                match self { $(Sys::$name => decl::$name::kernel(k, pid, a)),* }
            }
            /// The shell step on the kernel model (`None`: not a shell step).
            pub fn shell_on_kernel(self, k: &mut Kernel, a: &ShellArgs) -> Option<ShellOut> {
                match self { $(Sys::$name => decl::$name::shell_kernel(k, a)),* }
            }
            /// The shell step on the host, made by the real backend's driver
            /// (`None`: not a shell step).
            #[cfg(target_os = "linux")]
            pub fn shell_on_host(
                self,
                r: &mut crate::real::RealBackend,
                a: &ShellArgs,
            ) -> Option<ShellOut> {
                match self { $(Sys::$name => decl::$name::shell_host(r, a)),* }
            }
            /// The call in a real worker: what the host returns, `-1` with errno on failure (`None`: a custom call).
            ///
            /// # Safety
            /// Makes the real system call with the scenario's arguments: only
            /// a worker may call it.
            #[cfg(target_os = "linux")]
            pub unsafe fn on_host(self, a: &Args) -> Option<Ret> {
                // SAFETY: the caller is a worker, whose memory is the scenario's.
                unsafe { match self { $(Sys::$name => decl::$name::host(a)),* } }
            }
        }
    };
}

syscalls! {
    // ---- files -----------------------------------------------------------
    open {
        group: "files", by: Process, returns: Fd, required: 2,
        proto: "int open(const char *path, int flags, mode_t mode)",
        params: [path: K::Path, flags: K::Int(&[F::Open]), mode: K::Int(&[F::Mode])],
        errnos: [EACCES, EEXIST, EINVAL, EISDIR, EMFILE, ENAMETOOLONG, ENFILE, ENOENT,
                 ENOSPC, ENOTDIR, EROFS],
        real: [Real::Opens { path: 0, flags: 1 }],
        dispatch: {
            kernel: |k, pid, a| k.open(pid, &a.text(0), a.u32(1), a.u32(2)),
            host: |a| host_sys(rustix::fs::open(&*a.cstr(0), oflags(a.i32(1)), mode(a.u32(2))).map(IntoRawFd::into_raw_fd)),
            guard: None,
        },
    }
    close {
        group: "files", by: Process, returns: Int, required: 1,
        proto: "int close(int fd)",
        params: [fd: K::Fd],
        errnos: [EBADF],
        dispatch: {
            kernel: |k, pid, a| k.close(pid, a.i32(0)),
            // SAFETY: the scenario's close(2) of its own number: no Rust value in
            // the worker owns a scenario's descriptor.
            host: |a| host_sys(unsafe { rustix::io::try_close(scenario_raw_fd(a.i32(0))) }),
            guard: None,
        },
    }
    ftruncate {
        group: "files", by: Process, returns: Int, required: 2,
        proto: "int ftruncate(int fd, off_t length)",
        params: [fd: K::Fd, length: K::Int(&[])],
        errnos: [EBADF, EFBIG, EINVAL, EPERM],
        real: [Real::CapOff(1, Errno::EFBIG)],
        dispatch: {
            kernel: |k, pid, a| k.ftruncate(pid, a.i32(0), a.int(1)),
            host: |a| host_sys(rustix::fs::ftruncate(scenario_fd(a.i32(0)), a.u64(1))),
            guard: None,
        },
    }
    read {
        group: "files", by: Process, returns: Int, required: 2,
        proto: "ssize_t read(int fd, size_t n) /* prints what it read to `out` */",
        params: [fd: K::Fd, n: K::Int(&[])],
        errnos: [EBADF, EINVAL, EISDIR],
        out: Out::Read,
        dispatch: {
            kernel: |k, pid, a| k.read(pid, a.i32(0), a.u64(1)),
            host: |a| host_read(a.u64(1), |b| rustix::io::read(scenario_fd(a.i32(0)), b)),
            guard: None,
        },
    }
    pread {
        group: "files", by: Process, returns: Int, required: 3,
        proto: "ssize_t pread(int fd, size_t n, off_t offset) /* prints to `out` */",
        params: [fd: K::Fd, n: K::Int(&[]), offset: K::Int(&[])],
        errnos: [EBADF, EINVAL, EISDIR, ESPIPE],
        out: Out::Read,
        dispatch: {
            kernel: |k, pid, a| k.pread(pid, a.i32(0), a.u64(1), a.int(2)),
            host: |a| host_read(a.u64(1), |b| rustix::io::pread(scenario_fd(a.i32(0)), b, a.u64(2))),
            guard: None,
        },
    }
    write {
        group: "files", by: Process, returns: Int, required: 2,
        proto: "ssize_t write(int fd, const void *s, size_t n) /* n left out: strlen(s) */",
        params: [fd: K::Fd, s: K::Data, n: K::Int(&[])],
        errnos: [EBADF, EFAULT, EFBIG, EINVAL, ENOSPC],
        counts: (1, 2),
        dispatch: {
            kernel: |k, pid, a| k.write(pid, a.i32(0), a.bytes(1)),
            host: |a| host_sys(rustix::io::write(scenario_fd(a.i32(0)), a.bytes(1))),
            guard: None,
        },
    }
    pwrite {
        group: "files", by: Process, returns: Int, required: 3,
        proto: "ssize_t pwrite(int fd, const char *s, off_t offset)",
        params: [fd: K::Fd, s: K::Data, offset: K::Int(&[])],
        errnos: [EBADF, EFBIG, EINVAL, ENOSPC, ESPIPE],
        real: [Real::CapEnd { off: 2, data: 1, errno: Errno::EFBIG }],
        dispatch: {
            kernel: |k, pid, a| k.pwrite(pid, a.i32(0), a.bytes(1), a.int(2)),
            host: |a| host_sys(rustix::io::pwrite(scenario_fd(a.i32(0)), a.bytes(1), a.u64(2))),
            guard: None,
        },
    }
    lseek {
        group: "files", by: Process, returns: Int, required: 3,
        proto: "off_t lseek(int fd, off_t offset, int whence)",
        params: [fd: K::Fd, offset: K::Int(&[]), whence: K::Int(&[F::Seek])],
        errnos: [EBADF, EINVAL, ENXIO, EOVERFLOW, ESPIPE],
        dispatch: {
            kernel: |k, pid, a| k.lseek(pid, a.i32(0), a.int(1), a.i32(2)),
            // libc: rustix's `SeekFrom` names five whences; the scenario's is any
            // integer, and an unknown one is the kernel's EINVAL.
            // SAFETY: lseek(2) touches no memory of the worker.
            host: |a| unsafe { libc::lseek(a.i32(0), a.int(1), a.i32(2)) },
            guard: None,
        },
    }
    unlink {
        group: "files", by: Process, returns: Int, required: 1,
        proto: "int unlink(const char *path)",
        params: [path: K::Path],
        errnos: [EACCES, EBUSY, EISDIR, ENAMETOOLONG, ENOENT, ENOTDIR, EPERM, EROFS],
        dispatch: {
            kernel: |k, pid, a| k.unlink(pid, &a.text(0)),
            host: |a| host_sys(rustix::fs::unlink(&*a.cstr(0))),
            guard: None,
        },
    }
    fsync {
        group: "files", by: Process, returns: Int, required: 1,
        proto: "int fsync(int fd)",
        params: [fd: K::Fd],
        errnos: [EBADF, EINVAL, EIO],
        dispatch: {
            kernel: |k, pid, a| k.fsync(pid, a.i32(0)),
            host: |a| host_sys(rustix::fs::fsync(scenario_fd(a.i32(0)))),
            guard: None,
        },
    }
    fstat {
        group: "files", by: Process, returns: Int, required: 2,
        proto: "int fstat(int fd, struct stat *st)",
        params: [fd: K::Fd, st: K::StatBuf],
        errnos: [EBADF],
        dispatch: {
            kernel: |k, pid, a| {
                k.tick();
                k.trace.leaf("vfs_fstat", "fs/stat.c");
                k.fstat(pid, a.i32(0))
            },
            host: |a| host_stat(rustix::fs::fstat(scenario_fd(a.i32(0)))),
            guard: None,
        },
    }
    stat {
        group: "files", by: Process, returns: Int, required: 2,
        proto: "int stat(const char *path, struct stat *st)",
        params: [path: K::Path, st: K::StatBuf],
        errnos: [EACCES, ENAMETOOLONG, ENOENT, ENOTDIR],
        dispatch: {
            kernel: |k, pid, a| {
                k.tick();
                k.trace.leaf("vfs_statx", "fs/stat.c");
                k.stat(pid, &a.text(0))
            },
            host: |a| host_stat(rustix::fs::stat(&*a.cstr(0))),
            guard: None,
        },
    }
    mkstemp {
        group: "files", by: Process, returns: Fd, required: 1,
        proto: "int mkstemp(char *template) /* a name bound to a string gets the file's name */",
        params: [template: K::Path],
        errnos: [EEXIST, EINVAL, EACCES, EMFILE, ENOENT, ENOSPC],
        dispatch: custom,
    }
    fchmod {
        group: "files", by: Process, returns: Int, required: 2,
        proto: "int fchmod(int fd, mode_t mode)",
        params: [fd: K::Fd, mode: K::Int(&[F::Mode])],
        errnos: [EBADF, EPERM],
        dispatch: {
            kernel: |k, pid, a| k.fchmod(pid, a.i32(0), a.u32(1)),
            host: |a| host_sys(rustix::fs::fchmod(scenario_fd(a.i32(0)), mode(a.u32(1)))),
            guard: None,
        },
    }
    umask {
        group: "files", by: Process, returns: Int, required: 1,
        proto: "mode_t umask(mode_t mask) /* returns the old mask */",
        params: [mask: K::Int(&[F::Mode])],
        errnos: [],
        dispatch: {
            kernel: |k, pid, a| k.umask(pid, a.u32(0)),
            host: |a| rustix::process::umask(mode(a.u32(0))).bits(),
            guard: None,
        },
    }
    fcntl {
        group: "files", by: Process, returns: Int, required: 2,
        proto: "int fcntl(int fd, int cmd, ... /* arg */)",
        params: [fd: K::Fd, cmd: K::Int(&[F::Fcntl]), arg: K::Int(&[F::FdFlag, F::Seal, F::Open])],
        errnos: [EBADF, EBUSY, EINVAL, EMFILE, EPERM],
        command: Command { param: 1, modelled: crate::fs::fcntl::modelled, example: "fcntl(fd, F_GETFL)" },
        dispatch: {
            kernel: |k, pid, a| k.fcntl(pid, a.i32(0), a.i32(1), a.int(2)),
            // libc: rustix has one function per command; the scenario's command
            // is any integer, and an unknown one is the kernel's EINVAL.
            // Only a command the model keeps reaches the host: a number no
            // release up to the newest the model answers for knows is their
            // EINVAL, never passed on (a newer host may know it, and take a
            // pointer).
            host: |a| host_fcntl(a.i32(0), a.i32(1), a.int(2)),
            guard: None,
        },
    }
    // ---- POSIX shm -------------------------------------------------------
    shm_open {
        group: "POSIX shm", by: Process, returns: Fd, required: 3,
        proto: "int shm_open(const char *name, int oflag, mode_t mode)",
        params: [name: K::Path, oflag: K::Int(&[F::Open]), mode: K::Int(&[F::Mode])],
        errnos: [EACCES, EEXIST, EINVAL, EMFILE, ENAMETOOLONG, ENFILE, ENOENT, ENOSPC],
        real: [Real::ShmName(0, None), Real::Opens { path: 0, flags: 1 }],
        dispatch: {
            kernel: |k, pid, a| crate::glibc::shm_open(k, pid, &a.text(0), a.u32(1), a.u32(2)),
            host: |a| host_shm_open(&a.cstr(0), a.i32(1), a.u32(2)),
            guard: None,
        },
    }
    memfd_create {
        group: "POSIX shm", by: Process, returns: Fd, required: 2,
        proto: "int memfd_create(const char *name, unsigned int flags)",
        params: [name: K::Data, flags: K::Int(&[F::Memfd])],
        errnos: [EINVAL, EMFILE],
        dispatch: {
            kernel: |k, pid, a| k.memfd_create(pid, a.bytes(0), a.u32(1)),
            host: |a| host_sys(rustix::fs::memfd_create(&*a.cstr(0), MemfdFlags::from_bits_retain(a.u32(1))).map(IntoRawFd::into_raw_fd)),
            guard: None,
        },
    }
    shm_unlink {
        group: "POSIX shm", by: Process, returns: Int, required: 1,
        proto: "int shm_unlink(const char *name)",
        params: [name: K::Path],
        errnos: [EACCES, ENAMETOOLONG, ENOENT],
        real: [Real::ShmName(0, Some(Errno::ENOENT))],
        dispatch: {
            kernel: |k, pid, a| crate::glibc::shm_unlink(k, pid, &a.text(0)),
            host: |a| host_shm_unlink(&a.cstr(0)),
            guard: None,
        },
    }
    // ---- mappings --------------------------------------------------------
    mmap {
        group: "mappings", by: Process, returns: Mapping, maps: Len::Arg(1), required: 6,
        proto: "void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)",
        params: [addr: K::Hint, length: K::Int(&[]), prot: K::Int(&[F::Prot]),
                 flags: K::Int(&[F::Map]), fd: K::Fd, offset: K::Int(&[])],
        errnos: [EACCES, EAGAIN, EBADF, EEXIST, EINVAL, ENFILE, ENODEV, ENOMEM, EOPNOTSUPP,
                 EOVERFLOW, EPERM],
        real: [Real::Cap(1, Errno::ENOMEM), Real::MapsAt { addr: 0, len: 1, flags: 3 }],
        unmaps: Unmap::RangeIf(0, 1, 3, crate::mm::mmap::map::FIXED),
        dispatch: {
            kernel: |k, pid, a| k.mmap(pid, a.u64(0), a.u64(1), a.u32(2), a.u32(3), a.i32(4), a.int(5)),
            // SAFETY: the scenario's mmap(2); the driver keeps MAP_FIXED off
            // the worker's own memory (guard), and nothing in the worker holds a
            // reference into the scenario's ranges.
            host: |a| host_sys(unsafe {
                rustix::mm::mmap(a.ptr(0), a.u64(1) as usize, ProtFlags::from_bits_retain(a.u32(2)),
                    MapFlags::from_bits_retain(a.u32(3)), scenario_fd(a.i32(4)), a.u64(5))
            }),
            guard: None,
        },
    }
    munmap {
        group: "mappings", by: Process, returns: Int, required: 2,
        proto: "int munmap(void *addr, size_t length)",
        params: [addr: K::Ptr, length: K::Int(&[])],
        errnos: [EINVAL],
        real: [Real::Unmaps(0, 1)],
        unmaps: Unmap::Range(0, 1),
        dispatch: {
            kernel: |k, pid, a| k.munmap(pid, a.u64(0), a.u64(1)),
            // SAFETY: as mmap's: the guard keeps the range the scenario's.
            host: |a| host_sys(unsafe { rustix::mm::munmap(a.ptr(0), a.u64(1) as usize) }),
            guard: Some((0, 1)),
        },
    }
    msync {
        group: "mappings", by: Process, returns: Int, required: 3,
        proto: "int msync(void *addr, size_t length, int flags)",
        params: [addr: K::Ptr, length: K::Int(&[]), flags: K::Int(&[F::Msync])],
        errnos: [EBUSY, EINVAL, ENOMEM],
        dispatch: {
            kernel: |k, pid, a| k.msync(pid, a.u64(0), a.u64(1), a.u32(2)),
            // SAFETY: msync(2) writes back, it changes no memory of the worker.
            host: |a| host_sys(unsafe { rustix::mm::msync(a.ptr(0), a.u64(1) as usize, MsyncFlags::from_bits_retain(a.u32(2))) }),
            guard: None,
        },
    }
    mremap {
        group: "mappings", by: Process, returns: Mapping, maps: Len::Arg(2), required: 4,
        proto: "void *mremap(void *old_address, size_t old_size, size_t new_size, int flags, ... /* void *new_address */)",
        params: [old_address: K::Ptr, old_size: K::Int(&[]), new_size: K::Int(&[]),
                 flags: K::Int(&[F::Mremap]), new_address: K::Hint],
        errnos: [EAGAIN, EFAULT, EINVAL, ENOMEM],
        real: [Real::Remaps],
        unmaps: Unmap::Remap,
        dispatch: {
            kernel: |k, pid, a| k.mremap(pid, a.u64(0), a.u64(1), a.u64(2), a.u32(3), a.u64(4)),
            // The system call itself: glibc's wrapper reads new_address
            // only with MREMAP_FIXED (2.36), not with MREMAP_DONTUNMAP.
            // libc: rustix's `mremap` passes no new_address and `mremap_fixed`
            // adds MREMAP_FIXED, but MREMAP_DONTUNMAP alone takes new_address
            // as a hint: the five arguments go as the scenario gives them.
            // SAFETY: the guard keeps both ranges off the worker's own memory.
            host: |a| unsafe { libc::syscall(libc::SYS_mremap, a.u64(0), a.u64(1), a.u64(2), a.u64(3), a.u64(4)) },
            guard: Some((0, 1)),
        },
    }
    mincore {
        group: "mappings", by: Process, returns: Int, required: 2,
        proto: "int mincore(void *addr, size_t length, unsigned char *vec) /* mincore(addr, length) prints vec to `out`: 1 resident, 0 not, per page */",
        params: [addr: K::Ptr, length: K::Int(&[])],
        errnos: [EINVAL, ENOMEM],
        out: Out::Residency,
        dispatch: {
            kernel: |k, pid, a| {
                k.tick();
                k.trace.leaf("sys_mincore", "mm/mincore.c");
                k.mincore(pid, a.u64(0), a.u64(1))
            },
            host: |a| match crate::real::worker::mincore_vec(a.u64(0), a.u64(1)) {
                Ok(v) => Ret::Bytes(v),
                Err(e) => {
                    set_errno(e);
                    Ret::Int(-1)
                }
            },
            guard: None,
        },
    }
    madvise {
        group: "mappings", by: Process, returns: Int, required: 3,
        proto: "int madvise(void *addr, size_t length, int advice)",
        params: [addr: K::Ptr, length: K::Int(&[]), advice: K::Int(&[F::Madv])],
        errnos: [EACCES, EAGAIN, EBADF, EINVAL, EIO, ENOMEM, EPERM],
        dispatch: {
            kernel: |k, pid, a| k.madvise(pid, a.u64(0), a.u64(1), a.i32(2)),
            // libc: rustix's `Advice` is an enum of the advice it knows; the
            // scenario's is any integer, and an unknown one is the kernel's EINVAL.
            // SAFETY: the guard keeps the range the scenario's.
            host: |a| unsafe { libc::madvise(a.ptr(0), a.u64(1) as usize, a.i32(2)) },
            guard: Some((0, 1)),
        },
    }
    mprotect {
        group: "mappings", by: Process, returns: Int, required: 3,
        proto: "int mprotect(void *addr, size_t length, int prot)",
        params: [addr: K::Ptr, length: K::Int(&[]), prot: K::Int(&[F::Prot])],
        errnos: [EACCES, EINVAL, ENOMEM],
        dispatch: {
            kernel: |k, pid, a| k.mprotect(pid, a.u64(0), a.u64(1), a.u32(2)),
            // SAFETY: the guard keeps the range the scenario's.
            host: |a| host_sys(unsafe { rustix::mm::mprotect(a.ptr(0), a.u64(1) as usize, MprotectFlags::from_bits_retain(a.u32(2))) }),
            guard: Some((0, 1)),
        },
    }
    mlock {
        group: "mappings", by: Process, returns: Int, required: 2,
        proto: "int mlock(const void *addr, size_t length)",
        params: [addr: K::Ptr, length: K::Int(&[])],
        errnos: [EINVAL, ENOMEM, EPERM],
        dispatch: {
            kernel: |k, pid, a| k.mlock(pid, a.u64(0), a.u64(1)),
            // SAFETY: mlock(2) faults pages in, it changes no memory.
            host: |a| host_sys(unsafe { rustix::mm::mlock(a.ptr(0), a.u64(1) as usize) }),
            guard: Some((0, 1)),
        },
    }
    munlock {
        group: "mappings", by: Process, returns: Int, required: 2,
        proto: "int munlock(const void *addr, size_t length)",
        params: [addr: K::Ptr, length: K::Int(&[])],
        errnos: [EINVAL, ENOMEM],
        dispatch: {
            kernel: |k, pid, a| k.munlock(pid, a.u64(0), a.u64(1)),
            // SAFETY: munlock(2) changes no memory.
            host: |a| host_sys(unsafe { rustix::mm::munlock(a.ptr(0), a.u64(1) as usize) }),
            guard: Some((0, 1)),
        },
    }
    mlockall {
        group: "mappings", by: Process, returns: Int, required: 1,
        proto: "int mlockall(int flags)",
        params: [flags: K::Int(&[F::Mcl])],
        errnos: [EINVAL, ENOMEM, EPERM],
        dispatch: {
            kernel: |k, pid, a| k.mlockall(pid, a.u32(0)),
            host: |a| host_sys(rustix::mm::mlockall(MlockAllFlags::from_bits_retain(a.u32(0)))),
            guard: None,
        },
    }
    munlockall {
        group: "mappings", by: Process, returns: Int, required: 0,
        proto: "int munlockall(void)",
        params: [],
        errnos: [],
        dispatch: {
            kernel: |k, pid, a| k.munlockall(pid),
            host: |a| host_sys(rustix::mm::munlockall()),
            guard: None,
        },
    }
    // ---- System V --------------------------------------------------------
    ftok {
        group: "System V", by: Process, returns: Key, required: 2,
        proto: "key_t ftok(const char *path, int id)",
        params: [path: K::Path, id: K::Int(&[])],
        errnos: [EACCES, ENOENT, ENOTDIR],
        dispatch: {
            kernel: |k, pid, a| crate::glibc::ftok(k, pid, &a.text(0), a.i32(1)),
            // libc: rustix has no System V IPC (ftok, shmget, shmat, shmdt).
            // SAFETY: a NUL-terminated path.
            host: |a| unsafe { libc::ftok(a.cstr(0).as_ptr(), a.i32(1)) },
            guard: None,
        },
    }
    shmget {
        group: "System V", by: Process, returns: ShmId, required: 3,
        proto: "int shmget(key_t key, size_t size, int shmflg)",
        params: [key: K::Key, size: K::Int(&[]), shmflg: K::Int(&[F::IpcFlag, F::Mode])],
        errnos: [EACCES, EEXIST, EINVAL, ENFILE, ENOENT, ENOMEM, ENOSPC, EPERM],
        real: [Real::Cap(1, Errno::ENOMEM), Real::IpcGet { key: 0, flags: 2 }],
        dispatch: {
            kernel: |k, pid, a| k.shmget(pid, a.i32(0), a.u64(1), a.i32(2)),
            // SAFETY: shmget(2) touches no memory of the worker.
            host: |a| unsafe { libc::shmget(a.i32(0), a.u64(1) as usize, a.i32(2)) },
            guard: None,
        },
    }
    shmat {
        group: "System V", by: Process, returns: Mapping, maps: Len::Segment(0), required: 3,
        proto: "void *shmat(int shmid, const void *addr, int shmflg)",
        params: [shmid: K::ShmId, addr: K::Hint, shmflg: K::Int(&[F::Shmat])],
        errnos: [EACCES, EIDRM, EINVAL, ENOMEM],
        real: [Real::Attaches { id: 0, addr: 1, flags: 2 }],
        unmaps: Unmap::NewIf(2, crate::ipc::shm::SHM_REMAP as u32),
        dispatch: {
            kernel: |k, pid, a| k.shmat(pid, a.i32(0), a.u64(1), a.i32(2)),
            // SAFETY: the driver drops SHM_REMAP over the worker's own memory.
            host: |a| unsafe { libc::shmat(a.i32(0), a.ptr(1), a.i32(2)) },
            guard: None,
        },
    }
    shmdt {
        group: "System V", by: Process, returns: Int, required: 1,
        proto: "int shmdt(const void *addr)",
        params: [addr: K::Ptr],
        errnos: [EINVAL],
        real: [Real::Detaches(0)],
        unmaps: Unmap::StartingAt(0),
        dispatch: {
            kernel: |k, pid, a| k.shmdt(pid, a.u64(0)),
            // SAFETY: shmdt(2) detaches only a segment the scenario attached.
            host: |a| unsafe { libc::shmdt(a.ptr(0)) },
            guard: None,
        },
    }
    shmctl {
        group: "System V", by: Process, returns: Int, required: 3,
        proto: "int shmctl(int shmid, int cmd, struct shmid_ds *buf)",
        params: [shmid: K::ShmId, cmd: K::Int(&[F::IpcCmd]), buf: K::ShmBuf],
        errnos: [EACCES, EFAULT, EIDRM, EINVAL, ENOMEM, EOVERFLOW, EPERM],
        dispatch: custom,
    }
    // ---- memory ----------------------------------------------------------
    memcpy {
        group: "memory", by: Process, returns: Pointer, required: 3,
        proto: "void *memcpy(void *dst, const void *src, size_t n)",
        params: [dst: K::Ptr, src: K::Src, n: K::Int(&[])],
        errnos: [],
        dispatch: custom,
    }
    memset {
        group: "memory", by: Process, returns: Pointer, required: 3,
        proto: "void *memset(void *dst, int c, size_t n)",
        params: [dst: K::Ptr, c: K::Int(&[]), n: K::Int(&[])],
        errnos: [],
        dispatch: custom,
    }
    printf {
        group: "memory", by: Process, returns: Int, required: 1, variadic: true,
        proto: "int printf(const char *format, ...)",
        params: [format: K::Format],
        errnos: [],
        dispatch: custom,
    }
    // ---- processes -------------------------------------------------------
    fork {
        group: "processes", by: Process, returns: Child, required: 0,
        proto: "pid_t fork(void) /* `child = fork()` names the new process `child` */",
        params: [],
        errnos: [EAGAIN, ENOMEM],
        dispatch: custom,
    }
    exit {
        group: "processes", by: Process, returns: Nothing, required: 1,
        proto: "void exit(int status)",
        params: [status: K::Int(&[])],
        errnos: [],
        dispatch: custom,
    }
    send_fd {
        group: "processes", by: Process, returns: Int, required: 2,
        proto: "int send_fd(const char *proc, int fd) /* SCM_RIGHTS over a socket pair */",
        params: [proc: K::Proc, fd: K::Fd],
        errnos: [EBADF, EPIPE],
        dispatch: custom,
    }
    recv_fd {
        group: "processes", by: Process, returns: Fd, required: 0,
        proto: "int recv_fd(void) /* the oldest fd sent to this process */",
        params: [],
        errnos: [EAGAIN, EMFILE],
        dispatch: custom,
    }
    setuid {
        group: "processes", by: Process, returns: Int, required: 1,
        proto: "int setuid(uid_t uid)",
        params: [uid: K::Int(&[])],
        errnos: [EINVAL, EPERM],
        dispatch: {
            kernel: |k, pid, a| k.setuid(pid, a.u32(0)),
            // libc: rustix has only the per-thread set_thread_uid, not POSIX's
            // process-wide setuid/seteuid.
            // SAFETY: setuid(2) touches no memory.
            host: |a| after_credentials(unsafe { libc::setuid(a.u32(0)) }),
            guard: None,
        },
    }
    seteuid {
        group: "processes", by: Process, returns: Int, required: 1,
        proto: "int seteuid(uid_t euid)",
        params: [euid: K::Int(&[])],
        errnos: [EINVAL, EPERM],
        dispatch: {
            kernel: |k, pid, a| k.seteuid(pid, a.u32(0)),
            // SAFETY: seteuid(3) touches no memory.
            host: |a| after_credentials(unsafe { libc::seteuid(a.u32(0)) }),
            guard: None,
        },
    }
    setrlimit {
        group: "processes", by: Process, returns: Int, required: 3,
        proto: "int setrlimit(int resource, const struct rlimit *rlim) /* setrlimit(resource, rlim_cur, rlim_max) */",
        params: [resource: K::Int(&[F::Rlimit]), rlim_cur: K::Int(&[F::Value]),
                 rlim_max: K::Int(&[F::Value])],
        errnos: [EINVAL, EPERM],
        dispatch: {
            kernel: |k, pid, a| k.setrlimit(pid, a.u32(0), a.u64(1), a.u64(2)),
            // libc: rustix's `Resource` is an enum; the scenario's resource is
            // any integer, and an unknown one is the kernel's EINVAL.
            host: |a| {
                let rl = libc::rlimit { rlim_cur: a.u64(1), rlim_max: a.u64(2) };
                // SAFETY: setrlimit(2) reads the local struct.
                unsafe { libc::setrlimit(a.u32(0) as libc::__rlimit_resource_t, &rl) }
            },
            guard: None,
        },
    }
    sleep {
        group: "processes", by: Process, returns: Int, required: 1,
        proto: "unsigned int sleep(unsigned int seconds)",
        params: [seconds: K::Int(&[])],
        errnos: [],
        dispatch: {
            kernel: |k, pid, a| k.sleep(pid, a.u32(0)),
            // libc: sleep(3)'s unslept seconds, which rustix's nanosleep does not count in.
            // SAFETY: sleep(3) touches no memory.
            host: |a| unsafe { libc::sleep(a.u32(0)) },
            guard: None,
        },
    }
    // ---- machine-wide ----------------------------------------------------
    reclaim {
        group: "machine-wide", by: Machine, returns: Nothing, required: 1,
        proto: "reclaim(long pages) /* global LRU reclaim, as kswapd */",
        params: [pages: K::Int(&[])],
        errnos: [],
        dispatch: shell {
            kernel: crate::mm::vmscan::reclaim,
            host: crate::real::shell::reclaim,
        },
    }
    sysctl {
        group: "machine-wide", by: Machine, returns: Nothing, required: 2,
        proto: "sysctl(const char *name, long value) /* sysctl -w name=value */",
        params: [name: K::Sysctl, value: K::Int(&[])],
        errnos: [EINVAL],
        dispatch: shell {
            kernel: crate::ipc::shm::sysctl,
            host: crate::real::shell::sysctl,
        },
    }
    drop_caches {
        group: "machine-wide", by: Machine, returns: Nothing, required: 1,
        proto: "drop_caches(int what) /* echo what > /proc/sys/vm/drop_caches */",
        params: [what: K::Int(&[])],
        errnos: [],
        dispatch: shell {
            kernel: crate::mm::vmscan::drop_caches,
            host: crate::real::shell::drop_caches,
        },
    }
    rm {
        group: "machine-wide", by: Machine, returns: Nothing, required: 1,
        proto: "rm PATH (coreutils, as root: unlink(2); prints rm's error)",
        params: [path: K::Path],
        errnos: [],
        dispatch: shell {
            kernel: crate::fs::namei::rm,
            host: crate::real::shell::rm,
        },
    }
    // ---- look steps ------------------------------------------------------
    free {
        group: "look", by: Look, returns: Nothing, required: 1,
        proto: "free [OPTIONS] (procps-ng)",
        params: [options: K::ToolArgs],
        errnos: [],
        check: ToolCheck { arg: crate::tools::free::check_arg, example: "-k" },
        dispatch: shell {
            kernel: crate::tools::free::on_kernel,
            host: crate::real::shell::free,
        },
    }
    ipcs {
        group: "look", by: Look, returns: Nothing, required: 1,
        proto: "ipcs -m | -u | -a | -m -i ID",
        params: [options: K::ToolArgs],
        errnos: [],
        check: ToolCheck { arg: crate::ipc::proc::check_ipcs_arg, example: "-m" },
        dispatch: shell {
            kernel: crate::ipc::proc::ipcs,
            host: crate::real::shell::ipcs,
        },
    }
    df {
        group: "look", by: Look, returns: Nothing, required: 1,
        proto: "df [OPTIONS] [PATH...] (coreutils)",
        params: [args: K::ToolArgs],
        errnos: [],
        check: ToolCheck { arg: crate::tools::df::check_arg, example: "/dev/shm" },
        dispatch: shell {
            kernel: crate::tools::df::on_kernel,
            host: crate::real::shell::df,
        },
    }
    cat {
        group: "look", by: Look, returns: Nothing, required: 1,
        proto: "cat PATH",
        params: [path: K::Path],
        errnos: [],
        check: ToolCheck { arg: crate::fs::proc::check_cat_path, example: "/proc/meminfo" },
        dispatch: shell {
            kernel: crate::fs::proc::cat,
            host: crate::real::shell::cat,
        },
    }
    ls {
        group: "look", by: Look, returns: Nothing, required: 1,
        proto: "ls [OPTIONS] PATH (shown as ls -l)",
        params: [args: K::ToolArgs],
        errnos: [],
        check: ToolCheck { arg: crate::tools::ls::check_arg, example: "/dev/shm" },
        dispatch: shell {
            kernel: crate::tools::ls::on_kernel,
            host: crate::real::shell::ls,
        },
    }
    pmap {
        group: "look", by: Look, returns: Nothing, required: 1,
        proto: "pmap PID",
        params: [proc: K::Proc],
        errnos: [],
        dispatch: shell {
            kernel: crate::tools::pmap::on_kernel,
            host: crate::real::shell::pmap,
        },
    }
    smaps {
        group: "look", by: Look, returns: Nothing, required: 2,
        proto: "the /proc/PID/smaps entry of one mapping",
        params: [proc: K::Proc, mapping: K::ProcPtr],
        errnos: [],
        dispatch: shell {
            kernel: crate::fs::proc::smaps,
            host: crate::real::shell::smaps,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The enum and the table agree: `Sys as usize` indexes `CALLS`.
    #[test]
    fn every_call_is_its_own_declaration() {
        for (i, c) in CALLS.iter().enumerate() {
            assert_eq!(c.sys as usize, i);
            assert_eq!(Sys::named(c.name), Some(c.sys));
            assert_eq!(c.sys.name(), c.name);
            assert!(c.required <= c.params.len(), "{}", c.name);
        }
    }

    /// A table call binds what its result says it binds: a mapping needs
    /// to say where its length comes from, and only a process calls.
    #[test]
    fn generic_calls_say_what_they_bind() {
        for c in CALLS.iter().filter(|c| c.sys.is_generic()) {
            let ok = match c.returns {
                Returns::Int | Returns::Fd | Returns::Key | Returns::ShmId => {
                    c.sys.maps().is_none()
                }
                Returns::Mapping => match c.sys.maps() {
                    Some(Len::Arg(i) | Len::Segment(i)) => i < c.params.len(),
                    None => false,
                },
                _ => false,
            };
            assert!(ok, "{}", c.name);
            assert_eq!(c.scope, Scope::Process, "{}", c.name);
        }
    }

    /// The calls still `custom`, each with what it needs that a
    /// declaration cannot say (the module's header says more).
    const STILL_CUSTOM: &[(&str, &str)] = &[
        ("mkstemp", "rebinds a string name to the file's name"),
        ("shmctl", "a struct read and written, host keys mapped back"),
        ("memcpy", "loads and stores of the process: a fault ends it"),
        ("memset", "stores of the process: a fault ends it"),
        ("printf", "loads of the process (%s): a fault ends it"),
        ("fork", "a new process and worker, named by the bound name"),
        ("exit", "ends the process and its worker"),
        ("send_fd", "a descriptor in flight to another process"),
        ("recv_fd", "the descriptor in flight, passed on the channel"),
    ];

    /// A call is `custom` only if it is in [`STILL_CUSTOM`], with its
    /// reason; one converted to the table must leave the list.
    #[test]
    fn only_what_cannot_be_declared_is_custom() {
        for c in CALLS {
            let listed = STILL_CUSTOM.iter().any(|(n, _)| *n == c.name);
            assert_eq!(
                c.sys.dispatch() == Dispatch::Custom,
                listed,
                "{}: custom exactly when STILL_CUSTOM lists it",
                c.name
            );
        }
        for (n, _) in STILL_CUSTOM {
            assert!(Sys::named(n).is_some(), "{n} is no call");
        }
    }

    /// The shell makes exactly the steps no process makes, and each has its
    /// kernel function (its host one is `real/shell.rs`'s, checked by
    /// `tests/real_backend.rs`); no other call has one.
    #[test]
    fn shell_steps_are_the_machine_and_look_steps() {
        let mut k = Kernel::new(crate::kernel::Config::default());
        for c in CALLS {
            let shell = matches!(c.scope, Scope::Machine | Scope::Look);
            assert_eq!(c.sys.is_shell(), shell, "{}", c.name);
            let ran = c.sys.shell_on_kernel(&mut k, &ShellArgs::default());
            assert_eq!(ran.is_some(), shell, "{}", c.name);
        }
    }

    /// Every declared property names parameters the call has, of a kind
    /// that fits it.
    #[test]
    fn declared_properties_name_parameters_of_their_kind() {
        for c in CALLS {
            let kind = |i: usize| c.params.get(i).map(|p| p.kind);
            let int = |i: usize| matches!(kind(i), Some(K::Int(_)));
            let addr = |i: usize| matches!(kind(i), Some(K::Ptr | K::Hint));
            for r in c.sys.real() {
                let ok = match *r {
                    Real::Cap(i, _) | Real::CapOff(i, _) => int(i),
                    Real::CapEnd { off, data, .. } => int(off) && kind(data) == Some(K::Data),
                    Real::Opens { path, flags } | Real::IpcGet { key: path, flags } => {
                        matches!(kind(path), Some(K::Path | K::Key)) && int(flags)
                    }
                    Real::ShmName(i, _) => kind(i) == Some(K::Path),
                    Real::Unmaps(a, l) => addr(a) && int(l),
                    Real::Detaches(a) => addr(a),
                    Real::MapsAt {
                        addr: at,
                        len,
                        flags,
                    } => addr(at) && int(len) && int(flags),
                    Real::Remaps => c.sys.unmaps() == Some(Unmap::Remap),
                    Real::Attaches {
                        id,
                        addr: at,
                        flags,
                    } => kind(id) == Some(K::ShmId) && addr(at) && int(flags),
                };
                assert!(ok, "{}: {r:?}", c.name);
            }
            let ok = match c.sys.unmaps() {
                Some(Unmap::Range(a, l)) => addr(a) && int(l),
                Some(Unmap::RangeIf(a, l, f, _)) => addr(a) && int(l) && int(f),
                Some(Unmap::NewIf(f, _)) => int(f) && c.returns == Returns::Mapping,
                Some(Unmap::StartingAt(a)) => addr(a),
                Some(Unmap::Remap) => c.params.len() == 5 && c.returns == Returns::Mapping,
                None => true,
            };
            assert!(ok, "{}: unmaps", c.name);
            if let Some((s, n)) = c.sys.counts() {
                assert!(kind(s) == Some(K::Data) && int(n), "{}: counts", c.name);
            }
            if c.sys.out().is_some() {
                assert!(
                    c.sys.is_generic() && c.returns == Returns::Int,
                    "{}",
                    c.name
                );
            }
        }
    }
}
