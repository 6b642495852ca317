//! Error numbers as the kernel returns them (`include/uapi/asm-generic/errno-base.h`,
//! `include/uapi/asm-generic/errno.h`), and the signals a fault can deliver
//! (`arch/x86/include/uapi/asm/signal.h`, `include/uapi/asm-generic/siginfo.h`).
//!
//! A call that fails in a way a process can see returns an [`Errno`], exactly as
//! the kernel's `-EFOO` return becomes `errno = EFOO` in C. A fault that the
//! kernel answers with a signal is a [`Signal`].

use serde::Serialize;
use std::fmt;

macro_rules! errnos {
    ($($name:ident = $num:expr, $text:expr;)*) => {
        /// An errno value, named as in C.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[allow(clippy::upper_case_acronyms)]
        pub enum Errno { $($name),* }

        impl Errno {
            /// Every errno the model can return.
            pub const ALL: &'static [Errno] = &[$(Errno::$name),*];

            /// The number, as in `<errno.h>` on x86_64 Linux.
            pub fn number(self) -> i32 {
                match self { $(Errno::$name => $num),* }
            }

            /// The C name: `"ENOENT"`.
            pub fn name(self) -> &'static str {
                match self { $(Errno::$name => stringify!($name)),* }
            }

            /// `strerror()` text, as glibc words it.
            pub fn strerror(self) -> &'static str {
                match self { $(Errno::$name => $text),* }
            }

            /// The errno called `name` (`"EEXIST"`), if there is one.
            pub fn from_name(name: &str) -> Option<Errno> {
                match name { $(stringify!($name) => Some(Errno::$name),)* _ => None }
            }
        }
    };
}

errnos! {
    EPERM = 1, "Operation not permitted";
    ENOENT = 2, "No such file or directory";
    ESRCH = 3, "No such process";
    EINTR = 4, "Interrupted system call";
    EIO = 5, "Input/output error";
    EBADF = 9, "Bad file descriptor";
    ECHILD = 10, "No child processes";
    EAGAIN = 11, "Resource temporarily unavailable";
    ENOMEM = 12, "Cannot allocate memory";
    EACCES = 13, "Permission denied";
    EFAULT = 14, "Bad address";
    EBUSY = 16, "Device or resource busy";
    EEXIST = 17, "File exists";
    ENODEV = 19, "No such device";
    ENOTDIR = 20, "Not a directory";
    EISDIR = 21, "Is a directory";
    EINVAL = 22, "Invalid argument";
    ENFILE = 23, "Too many open files in system";
    EMFILE = 24, "Too many open files";
    ETXTBSY = 26, "Text file busy";
    EFBIG = 27, "File too large";
    ENOSPC = 28, "No space left on device";
    ESPIPE = 29, "Illegal seek";
    EROFS = 30, "Read-only file system";
    EPIPE = 32, "Broken pipe";
    ERANGE = 34, "Numerical result out of range";
    ENAMETOOLONG = 36, "File name too long";
    ENOSYS = 38, "Function not implemented";
    ELOOP = 40, "Too many levels of symbolic links";
    ENXIO = 6, "No such device or address";
    EIDRM = 43, "Identifier removed";
    EOVERFLOW = 75, "Value too large for defined data type";
    EOPNOTSUPP = 95, "Operation not supported";
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.strerror())
    }
}

impl std::error::Error for Errno {}

/// A signal the kernel sends to end a faulting process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[allow(clippy::upper_case_acronyms)]
pub enum Signal {
    /// `SIGBUS` (7): a mapped page past the end of its file, or tmpfs full.
    SIGBUS,
    /// `SIGSEGV` (11): no mapping there, or the access breaks its protection.
    SIGSEGV,
    /// `SIGKILL` (9): the OOM killer.
    SIGKILL,
    /// `SIGFPE` (8): an integer division by zero (x86's `#DE`).
    SIGFPE,
}

impl Signal {
    /// The signal number on x86_64 Linux.
    pub fn number(self) -> i32 {
        match self {
            Signal::SIGBUS => 7,
            Signal::SIGFPE => 8,
            Signal::SIGKILL => 9,
            Signal::SIGSEGV => 11,
        }
    }

    /// The C name: `"SIGSEGV"`.
    pub fn name(self) -> &'static str {
        match self {
            Signal::SIGBUS => "SIGBUS",
            Signal::SIGFPE => "SIGFPE",
            Signal::SIGKILL => "SIGKILL",
            Signal::SIGSEGV => "SIGSEGV",
        }
    }

    /// What the shell prints when it kills a process (`strsignal`).
    pub fn text(self) -> &'static str {
        match self {
            Signal::SIGBUS => "Bus error",
            Signal::SIGFPE => "Floating point exception",
            Signal::SIGKILL => "Killed",
            Signal::SIGSEGV => "Segmentation fault",
        }
    }

    /// The signal called `name`, if the model can deliver it.
    pub fn from_name(name: &str) -> Option<Signal> {
        [
            Signal::SIGBUS,
            Signal::SIGFPE,
            Signal::SIGKILL,
            Signal::SIGSEGV,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

/// `si_code` of a fault signal, as `siginfo_t` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[allow(clippy::upper_case_acronyms)]
#[allow(non_camel_case_types)]
pub enum SigCode {
    /// `SEGV_MAPERR`: address not mapped.
    SEGV_MAPERR,
    /// `SEGV_ACCERR`: invalid permissions for the mapping.
    SEGV_ACCERR,
    /// `BUS_ADRERR`: nonexistent physical address (a page past the end of the file).
    BUS_ADRERR,
    /// `SI_KERNEL`: sent by the kernel itself (the OOM killer's SIGKILL).
    SI_KERNEL,
    /// `FPE_INTDIV`: integer divide by zero.
    FPE_INTDIV,
}

/// A fatal signal delivered by a fault: which signal, why, and at what address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Fault {
    /// The signal.
    pub signal: Signal,
    /// Its `si_code`.
    pub code: SigCode,
    /// `si_addr`: the faulting address.
    pub addr: u64,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({:?}) at {:#x}",
            self.signal.name(),
            self.code,
            self.addr
        )
    }
}

/// The result of a system call: a value, or an errno.
pub type SysResult<T> = Result<T, Errno>;
