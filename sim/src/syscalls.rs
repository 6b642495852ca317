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
//! - `custom`: the runner (`runner::Run::call`) has an arm of its own for it,
//!   because it binds something special (a mapping, a child, a struct) or
//!   prints; [`crate::backend::Backend`] has a method of its own for it.
//! - `{ kernel: .., host: .., guard: .. }`: a call whose arguments are
//!   integers, descriptors, pointers or paths and whose result is an
//!   integer. Its kernel function is `kernel`, its real worker's libc call is
//!   `host`, and `guard` names the `(addr, length)` parameters a real run
//!   must keep off the worker's own memory. The runner dispatches it through
//!   [`Backend::syscall`](crate::backend::Backend::syscall), the real backend
//!   sends it as [`Req::Sys`](crate::real) and the worker runs `host`: none of
//!   them names the call.
//!
//! A call that returns a new mapping from the table says which parameter
//! is its length (`maps: N`), so that the name it binds can be observed.
//!
//! From the table come: the checker's signatures ([`CALLS`]), the runner's
//! dispatch ([`Sys::on_kernel`]), the real worker's request and libc call
//! ([`Sys::on_host`]), and the book's language reference (`shmsim book`,
//! `tui/src/book/tables.rs`, which prints every call with its errnos).
//!
//! # Adding a call
//! 1. One declaration below, in the contract's order, with
//!    `dispatch: { kernel: |k, pid, a| ..., host: |a| ..., guard: None }`.
//! 2. The kernel function it calls, in the file named after the kernel file
//!    it mirrors (`mm/mlock.c` is `sim/src/mm/mlock.rs`), returning
//!    `SysResult<_>` with the errno the kernel returns.
//! 3. The worker's libc call: the `host` expression (it runs in the worker,
//!    `unsafe`, and returns what libc returns: `-1` means errno).
//!
//! Then a named test per errno in `tests/errno_conformance.rs` and the
//! call's section in SCENARIOS.md; `cargo run -- book` regenerates the
//! reference. New constants go in `scenario/consts.rs`.

use crate::errno::{Errno, SysResult};
use crate::kernel::{Kernel, Pid};
use crate::scenario::calls::{ArgKind as K, CallSig, Param, Returns, Scope};
use crate::scenario::consts::Family as F;
use serde::{Deserialize, Serialize};

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
    /// Argument `i` as a pointer, for the worker's libc call.
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

/// A kernel function's success value as the call's C return value.
pub trait IntoRet {
    fn into_ret(self) -> i64;
}
macro_rules! into_ret {
    ($($t:ty),*) => { $(impl IntoRet for $t { fn into_ret(self) -> i64 { self as i64 } })* };
}
into_ret!(i32, i64, u32, u64);

/// A worker's credentials changed: the kernel cleared its parent-death
/// signal (`commit_creds`), which the worker needs to die with the driver.
///
/// # Safety
/// A plain `prctl` on the calling worker.
#[cfg(target_os = "linux")]
unsafe fn after_credentials(r: libc::c_int) -> libc::c_int {
    // SAFETY: prctl on this process; it does not touch errno on success.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) };
    r
}

const fn p(name: &'static str, kind: K) -> Param {
    Param { name, kind }
}

/// The functions one declaration's `dispatch` derives.
macro_rules! dispatch_fns {
    (custom) => {
        pub const GENERIC: bool = false;
        pub const GUARD: Option<(usize, usize)> = None;
        pub fn kernel(_: &mut Kernel, _: Pid, _: &Args) -> Option<SysResult<i64>> {
            None
        }
        #[cfg(target_os = "linux")]
        pub unsafe fn host(_: &Args) -> Option<i64> {
            None
        }
    };
    ({ kernel: |$k:ident, $pid:ident, $a:ident| $ke:expr,
       host: |$ha:ident| $he:expr, guard: $g:expr $(,)? }) => {
        pub const GENERIC: bool = true;
        pub const GUARD: Option<(usize, usize)> = $g;
        pub fn kernel($k: &mut Kernel, $pid: Pid, $a: &Args) -> Option<SysResult<i64>> {
            Some(($ke).map(IntoRet::into_ret))
        }
        /// The worker's libc call.
        ///
        /// # Safety
        /// The real system call with the scenario's arguments, in a worker.
        #[cfg(target_os = "linux")]
        pub unsafe fn host($ha: &Args) -> Option<i64> {
            #[allow(clippy::unnecessary_cast)]
            // SAFETY: as the caller promises.
            let r = unsafe { ($he) as i64 };
            Some(r)
        }
    };
}

macro_rules! syscalls {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident {
            group: $group:literal, by: $scope:ident, returns: $ret:ident,
            $(maps: $maps:literal,)? required: $req:literal, $(variadic: $var:literal,)?
            proto: $proto:literal,
            params: [$($pn:ident: $pk:expr),* $(,)?],
            errnos: [$($e:ident),* $(,)?],
            dispatch: $d:tt $(,)?
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
                dispatch_fns!($d);
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
            /// Is it dispatched from the table (not a runner arm of its own)?
            pub fn is_generic(self) -> bool {
                match self { $(Sys::$name => decl::$name::GENERIC),* }
            }
            /// For a call that returns a new mapping from the table (`mremap`):
            /// the parameter that gives the mapping's length.
            pub fn maps(self) -> Option<usize> {
                match self { $(Sys::$name => None $(.or(Some($maps)))?),* }
            }
            /// The `(addr, length)` parameters a real run keeps off the
            /// worker's own memory.
            pub fn guard(self) -> Option<(usize, usize)> {
                match self { $(Sys::$name => decl::$name::GUARD),* }
            }
            /// The call on the kernel model (`None`: a custom call).
            pub fn on_kernel(self, k: &mut Kernel, pid: Pid, a: &Args) -> Option<SysResult<i64>> {
                match self { $(Sys::$name => decl::$name::kernel(k, pid, a)),* }
            }
            /// The call in a real worker: what libc returns (`None`: a custom call).
            ///
            /// # Safety
            /// Makes the real system call with the scenario's arguments: only
            /// a worker may call it.
            #[cfg(target_os = "linux")]
            pub unsafe fn on_host(self, a: &Args) -> Option<i64> {
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
        dispatch: custom,
    }
    close {
        group: "files", by: Process, returns: Int, required: 1,
        proto: "int close(int fd)",
        params: [fd: K::Fd],
        errnos: [EBADF],
        dispatch: {
            kernel: |k, pid, a| k.close(pid, a.i32(0)),
            host: |a| libc::close(a.i32(0)),
            guard: None,
        },
    }
    ftruncate {
        group: "files", by: Process, returns: Int, required: 2,
        proto: "int ftruncate(int fd, off_t length)",
        params: [fd: K::Fd, length: K::Int(&[])],
        errnos: [EBADF, EFBIG, EINVAL, EPERM],
        dispatch: custom,
    }
    read {
        group: "files", by: Process, returns: Int, required: 2,
        proto: "ssize_t read(int fd, size_t n) /* prints what it read to `out` */",
        params: [fd: K::Fd, n: K::Int(&[])],
        errnos: [EBADF, EINVAL, EISDIR],
        dispatch: custom,
    }
    pread {
        group: "files", by: Process, returns: Int, required: 3,
        proto: "ssize_t pread(int fd, size_t n, off_t offset) /* prints to `out` */",
        params: [fd: K::Fd, n: K::Int(&[]), offset: K::Int(&[])],
        errnos: [EBADF, EINVAL, EISDIR, ESPIPE],
        dispatch: custom,
    }
    write {
        group: "files", by: Process, returns: Int, required: 2,
        proto: "ssize_t write(int fd, const void *s, size_t n) /* n left out: strlen(s) */",
        params: [fd: K::Fd, s: K::Data, n: K::Int(&[])],
        errnos: [EBADF, EFAULT, EFBIG, EINVAL, ENOSPC],
        dispatch: custom,
    }
    pwrite {
        group: "files", by: Process, returns: Int, required: 3,
        proto: "ssize_t pwrite(int fd, const char *s, off_t offset)",
        params: [fd: K::Fd, s: K::Data, offset: K::Int(&[])],
        errnos: [EBADF, EFBIG, EINVAL, ENOSPC, ESPIPE],
        dispatch: custom,
    }
    lseek {
        group: "files", by: Process, returns: Int, required: 3,
        proto: "off_t lseek(int fd, off_t offset, int whence)",
        params: [fd: K::Fd, offset: K::Int(&[]), whence: K::Int(&[F::Seek])],
        errnos: [EBADF, EINVAL, ENXIO, EOVERFLOW, ESPIPE],
        dispatch: {
            kernel: |k, pid, a| k.lseek(pid, a.i32(0), a.int(1), a.i32(2)),
            host: |a| libc::lseek(a.i32(0), a.int(1), a.i32(2)),
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
            host: |a| libc::unlink(a.cstr(0).as_ptr()),
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
            host: |a| libc::fsync(a.i32(0)),
            guard: None,
        },
    }
    fstat {
        group: "files", by: Process, returns: Int, required: 2,
        proto: "int fstat(int fd, struct stat *st)",
        params: [fd: K::Fd, st: K::StatBuf],
        errnos: [EBADF],
        dispatch: custom,
    }
    stat {
        group: "files", by: Process, returns: Int, required: 2,
        proto: "int stat(const char *path, struct stat *st)",
        params: [path: K::Path, st: K::StatBuf],
        errnos: [EACCES, ENAMETOOLONG, ENOENT, ENOTDIR],
        dispatch: custom,
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
            host: |a| libc::fchmod(a.i32(0), a.u32(1) as libc::mode_t),
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
            host: |a| libc::umask(a.u32(0) as libc::mode_t),
            guard: None,
        },
    }
    fcntl {
        group: "files", by: Process, returns: Int, required: 2,
        proto: "int fcntl(int fd, int cmd, ... /* arg */)",
        params: [fd: K::Fd, cmd: K::Int(&[F::Fcntl]), arg: K::Int(&[F::FdFlag, F::Seal])],
        errnos: [EBADF, EBUSY, EINVAL, EPERM],
        dispatch: {
            kernel: |k, pid, a| k.fcntl(pid, a.i32(0), a.i32(1), a.int(2)),
            host: |a| libc::fcntl(a.i32(0), a.i32(1), a.int(2) as libc::c_long),
            guard: None,
        },
    }
    // ---- POSIX shm -------------------------------------------------------
    shm_open {
        group: "POSIX shm", by: Process, returns: Fd, required: 3,
        proto: "int shm_open(const char *name, int oflag, mode_t mode)",
        params: [name: K::Path, oflag: K::Int(&[F::Open]), mode: K::Int(&[F::Mode])],
        errnos: [EACCES, EEXIST, EINVAL, EMFILE, ENAMETOOLONG, ENFILE, ENOENT, ENOSPC],
        dispatch: custom,
    }
    memfd_create {
        group: "POSIX shm", by: Process, returns: Fd, required: 2,
        proto: "int memfd_create(const char *name, unsigned int flags)",
        params: [name: K::Data, flags: K::Int(&[F::Memfd])],
        errnos: [EINVAL, EMFILE],
        dispatch: {
            kernel: |k, pid, a| k.memfd_create(pid, a.bytes(0), a.u32(1)),
            host: |a| libc::memfd_create(a.cstr(0).as_ptr(), a.u32(1)),
            guard: None,
        },
    }
    shm_unlink {
        group: "POSIX shm", by: Process, returns: Int, required: 1,
        proto: "int shm_unlink(const char *name)",
        params: [name: K::Path],
        errnos: [EACCES, ENAMETOOLONG, ENOENT],
        dispatch: custom,
    }
    // ---- mappings --------------------------------------------------------
    mmap {
        group: "mappings", by: Process, returns: Mapping, required: 6,
        proto: "void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)",
        params: [addr: K::Hint, length: K::Int(&[]), prot: K::Int(&[F::Prot]),
                 flags: K::Int(&[F::Map]), fd: K::Fd, offset: K::Int(&[])],
        errnos: [EACCES, EAGAIN, EBADF, EEXIST, EINVAL, ENFILE, ENODEV, ENOMEM, EOPNOTSUPP,
                 EOVERFLOW, EPERM],
        dispatch: custom,
    }
    munmap {
        group: "mappings", by: Process, returns: Int, required: 2,
        proto: "int munmap(void *addr, size_t length)",
        params: [addr: K::Ptr, length: K::Int(&[])],
        errnos: [EINVAL],
        dispatch: custom,
    }
    msync {
        group: "mappings", by: Process, returns: Int, required: 3,
        proto: "int msync(void *addr, size_t length, int flags)",
        params: [addr: K::Ptr, length: K::Int(&[]), flags: K::Int(&[F::Msync])],
        errnos: [EBUSY, EINVAL, ENOMEM],
        dispatch: {
            kernel: |k, pid, a| k.msync(pid, a.u64(0), a.u64(1), a.u32(2)),
            host: |a| libc::msync(a.ptr(0), a.u64(1) as usize, a.i32(2)),
            guard: None,
        },
    }
    mremap {
        group: "mappings", by: Process, returns: Mapping, maps: 2, required: 4,
        proto: "void *mremap(void *old_address, size_t old_size, size_t new_size, int flags, ... /* void *new_address */)",
        params: [old_address: K::Ptr, old_size: K::Int(&[]), new_size: K::Int(&[]),
                 flags: K::Int(&[F::Mremap]), new_address: K::Hint],
        errnos: [EAGAIN, EFAULT, EINVAL, ENOMEM],
        dispatch: {
            kernel: |k, pid, a| k.mremap(pid, a.u64(0), a.u64(1), a.u64(2), a.u32(3), a.u64(4)),
            // The system call itself: glibc's wrapper reads new_address
            // only with MREMAP_FIXED (2.36), not with MREMAP_DONTUNMAP.
            host: |a| libc::syscall(libc::SYS_mremap, a.u64(0), a.u64(1), a.u64(2), a.u64(3), a.u64(4)),
            guard: Some((0, 1)),
        },
    }
    mincore {
        group: "mappings", by: Process, returns: Int, required: 2,
        proto: "int mincore(void *addr, size_t length, unsigned char *vec) /* mincore(addr, length) prints vec to `out`: 1 resident, 0 not, per page */",
        params: [addr: K::Ptr, length: K::Int(&[])],
        errnos: [EINVAL, ENOMEM],
        dispatch: custom,
    }
    madvise {
        group: "mappings", by: Process, returns: Int, required: 3,
        proto: "int madvise(void *addr, size_t length, int advice)",
        params: [addr: K::Ptr, length: K::Int(&[]), advice: K::Int(&[F::Madv])],
        errnos: [EACCES, EAGAIN, EBADF, EINVAL, EIO, ENOMEM, EPERM],
        dispatch: {
            kernel: |k, pid, a| k.madvise(pid, a.u64(0), a.u64(1), a.i32(2)),
            host: |a| libc::madvise(a.ptr(0), a.u64(1) as usize, a.i32(2)),
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
            host: |a| libc::mprotect(a.ptr(0), a.u64(1) as usize, a.i32(2)),
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
            host: |a| libc::mlock(a.ptr(0), a.u64(1) as usize),
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
            host: |a| libc::munlock(a.ptr(0), a.u64(1) as usize),
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
            host: |a| libc::mlockall(a.i32(0)),
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
            host: |a| libc::munlockall(),
            guard: None,
        },
    }
    // ---- System V --------------------------------------------------------
    ftok {
        group: "System V", by: Process, returns: Key, required: 2,
        proto: "key_t ftok(const char *path, int id)",
        params: [path: K::Path, id: K::Int(&[])],
        errnos: [EACCES, ENOENT, ENOTDIR],
        dispatch: custom,
    }
    shmget {
        group: "System V", by: Process, returns: ShmId, required: 3,
        proto: "int shmget(key_t key, size_t size, int shmflg)",
        params: [key: K::Key, size: K::Int(&[]), shmflg: K::Int(&[F::IpcFlag, F::Mode])],
        errnos: [EACCES, EEXIST, EINVAL, ENFILE, ENOENT, ENOMEM, ENOSPC, EPERM],
        dispatch: custom,
    }
    shmat {
        group: "System V", by: Process, returns: Mapping, required: 3,
        proto: "void *shmat(int shmid, const void *addr, int shmflg)",
        params: [shmid: K::ShmId, addr: K::Hint, shmflg: K::Int(&[F::Shmat])],
        errnos: [EACCES, EIDRM, EINVAL, ENOMEM],
        dispatch: custom,
    }
    shmdt {
        group: "System V", by: Process, returns: Int, required: 1,
        proto: "int shmdt(const void *addr)",
        params: [addr: K::Ptr],
        errnos: [EINVAL],
        dispatch: custom,
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
            host: |a| after_credentials(libc::setuid(a.u32(0))),
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
            host: |a| after_credentials(libc::seteuid(a.u32(0))),
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
            host: |a| {
                let rl = libc::rlimit { rlim_cur: a.u64(1), rlim_max: a.u64(2) };
                libc::setrlimit(a.u32(0) as libc::__rlimit_resource_t, &rl)
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
            host: |a| libc::sleep(a.u32(0)),
            guard: None,
        },
    }
    // ---- machine-wide ----------------------------------------------------
    reclaim {
        group: "machine-wide", by: Machine, returns: Nothing, required: 1,
        proto: "reclaim(long pages) /* global LRU reclaim, as kswapd */",
        params: [pages: K::Int(&[])],
        errnos: [],
        dispatch: custom,
    }
    sysctl {
        group: "machine-wide", by: Machine, returns: Nothing, required: 2,
        proto: "sysctl(const char *name, long value) /* sysctl -w name=value */",
        params: [name: K::Sysctl, value: K::Int(&[])],
        errnos: [EINVAL],
        dispatch: custom,
    }
    drop_caches {
        group: "machine-wide", by: Machine, returns: Nothing, required: 1,
        proto: "drop_caches(int what) /* echo what > /proc/sys/vm/drop_caches */",
        params: [what: K::Int(&[])],
        errnos: [],
        dispatch: custom,
    }
    rm {
        group: "machine-wide", by: Machine, returns: Nothing, required: 1,
        proto: "rm PATH (coreutils, as root: unlink(2); prints rm's error)",
        params: [path: K::Path],
        errnos: [],
        dispatch: custom,
    }
    // ---- look steps ------------------------------------------------------
    free {
        group: "look", by: Look, returns: Nothing, required: 1,
        proto: "free [OPTIONS] (procps-ng)",
        params: [options: K::ToolArgs],
        errnos: [],
        dispatch: custom,
    }
    ipcs {
        group: "look", by: Look, returns: Nothing, required: 1,
        proto: "ipcs -m | -u | -a | -m -i ID",
        params: [options: K::ToolArgs],
        errnos: [],
        dispatch: custom,
    }
    df {
        group: "look", by: Look, returns: Nothing, required: 1,
        proto: "df [OPTIONS] [PATH...] (coreutils)",
        params: [args: K::ToolArgs],
        errnos: [],
        dispatch: custom,
    }
    cat {
        group: "look", by: Look, returns: Nothing, required: 1,
        proto: "cat PATH",
        params: [path: K::Path],
        errnos: [],
        dispatch: custom,
    }
    ls {
        group: "look", by: Look, returns: Nothing, required: 1,
        proto: "ls [OPTIONS] PATH (shown as ls -l)",
        params: [args: K::ToolArgs],
        errnos: [],
        dispatch: custom,
    }
    pmap {
        group: "look", by: Look, returns: Nothing, required: 1,
        proto: "pmap PID",
        params: [proc: K::Proc],
        errnos: [],
        dispatch: custom,
    }
    smaps {
        group: "look", by: Look, returns: Nothing, required: 2,
        proto: "the /proc/PID/smaps entry of one mapping",
        params: [proc: K::Proc, mapping: K::ProcPtr],
        errnos: [],
        dispatch: custom,
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

    /// A table call only binds an integer (a count or a descriptor):
    /// anything else needs a runner arm.
    #[test]
    fn generic_calls_return_integers_or_say_their_mapping_length() {
        for c in CALLS.iter().filter(|c| c.sys.is_generic()) {
            let ok = match c.returns {
                Returns::Int | Returns::Fd => c.sys.maps().is_none(),
                // The name it binds needs the mapping's length.
                Returns::Mapping => c.sys.maps().is_some_and(|i| i < c.params.len()),
                _ => false,
            };
            assert!(ok, "{}", c.name);
            assert_eq!(c.scope, Scope::Process, "{}", c.name);
        }
    }
}
