//! The calls a statement can make: each with its C argument order, the kind
//! of each argument, what its result binds, and who makes it (a process, or
//! the machine).

use super::consts::Family;

/// Who makes a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// A process: the step needs `proc`.
    Process,
    /// The machine (`reclaim`, `sysctl`, `drop_caches`, `rm`): no `proc`;
    /// "sim only" in real runs, except the shell's `rm`, which removes the
    /// run's own file.
    Machine,
    /// A look step (`free`, `ipcs`, `df`, `cat`, `ls`, `pmap`, `smaps`): no
    /// `proc`, no side effect; prints what the real tool prints.
    Look,
}

/// What `name = call(...)` binds `name` to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Returns {
    /// A plain integer (a count, 0 or -1).
    Int,
    /// A file descriptor.
    Fd,
    /// The start of a mapping (`mmap`, `shmat`): a name that observables
    /// (`pte.NAME`, `core.NAME`, `smaps.NAME.FIELD`, `cache.NAME`) can name.
    Mapping,
    /// A pointer that is not a new mapping (`memcpy`, `memset` return `dst`).
    Pointer,
    /// A System V shm id (`shmget`): `shm.NAME.FIELD` can name it.
    ShmId,
    /// A System V key (`ftok`).
    Key,
    /// `fork`: the pid of the child, whose process takes the bound name.
    Child,
    /// Nothing: the call does not return (`exit`) or prints only (look steps,
    /// machine steps); it cannot be assigned.
    Nothing,
}

/// The kind of one argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// An integer expression. Constants named in it must be of one of these
    /// families (or plain values); an empty list accepts any constant.
    Int(&'static [Family]),
    /// A file descriptor: a name bound to one (`fd`), or an integer
    /// expression (`-1`, `42` for EBADF).
    Fd,
    /// A System V shm id: a name bound by `shmget`, or an integer expression.
    ShmId,
    /// A System V key: a name bound by `ftok`, `IPC_PRIVATE`, or an integer expression.
    Key,
    /// A pointer into memory: a name bound by `mmap`/`shmat` (or a pointer
    /// name such as `q = p + 8`), `p + n`, `p - n`, or `NULL`.
    Ptr,
    /// An address hint (`mmap`'s and `shmat`'s `addr`): `NULL`, an integer, or a pointer.
    Hint,
    /// A path: a string literal or a name bound to a string (`name = "/OS"`).
    Path,
    /// Bytes to write: a string literal or a name bound to a string.
    Data,
    /// `memcpy`'s source: a string (literal or name) or a pointer.
    Src,
    /// A `printf` format: a string literal; the remaining arguments must agree with it.
    Format,
    /// A process: a string literal `"consumer"` or the bare process name.
    Proc,
    /// `smaps`'s mapping: a name bound to a mapping in the process named by
    /// the first argument.
    ProcPtr,
    /// `shmctl`'s buffer: `&buf` (a `struct shmid_ds`, `struct shminfo` or
    /// `struct shm_info` as the command says) or `NULL`.
    ShmBuf,
    /// `fstat`'s and `stat`'s buffer: `&st`, bound to a `struct stat`.
    StatBuf,
    /// A sysctl name the simulator models (see [`SYSCTLS`]).
    Sysctl,
    /// The command line of a look step's tool, as a string literal, checked
    /// the way the tool parses it: `free` (procps options: `"-k"`, `"-h -w"`,
    /// `"--mebi"`, ...), `df` (coreutils options and absolute paths:
    /// `"/dev/shm"`, `"-h /dev/shm"`), `ipcs` (`"-m"`, `"-u"`, `"-a"`,
    /// `"-m -i ID"`), `ls` (options, then one absolute path).
    ToolArgs,
}

/// One parameter: its C name and kind.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub name: &'static str,
    pub kind: ArgKind,
}

/// One call of the statement language.
#[derive(Clone, Copy, Debug)]
pub struct CallSig {
    pub name: &'static str,
    pub params: &'static [Param],
    /// How many of `params` are required (the rest may be left out, as `open`'s `mode`).
    pub required: usize,
    /// `printf`: any number of arguments after the parameters.
    pub variadic: bool,
    pub scope: Scope,
    pub returns: Returns,
    /// The group of the contract: "files", "POSIX shm", ...
    pub group: &'static str,
    /// The call as C declares it (shown in help).
    pub proto: &'static str,
    /// The errnos its man page documents and the model can give.
    pub errnos: &'static [crate::errno::Errno],
    /// The call, as the call table ([`crate::syscalls`]) names it.
    pub sys: Sys,
}

impl CallSig {
    /// `mmap(addr, length, prot, flags, fd, offset)`.
    pub fn usage(&self) -> String {
        let mut ps: Vec<String> = self
            .params
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if i >= self.required {
                    format!("[{}]", p.name)
                } else {
                    p.name.to_string()
                }
            })
            .collect();
        if self.variadic {
            ps.push("...".into());
        }
        format!("{}({})", self.name, ps.join(", "))
    }
}

/// The sysctls `sysctl(name, value)` may set.
pub const SYSCTLS: &[&str] = &[
    "kernel.shmmax",
    "kernel.shmall",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
    "kernel.shm_next_id",
    "vm.max_map_count",
    "vm.swappiness",
];

/// Files that `cat` shows the way the kernel renders them; any other absolute
/// path is a file whose contents `cat` prints.
pub const PROC_FILES: &[&str] = &[
    "/proc/meminfo",
    "/proc/sysvipc/shm",
    "/proc/swaps",
    "/proc/sys/kernel/shmmax",
    "/proc/sys/kernel/shmall",
    "/proc/sys/kernel/shmmni",
    "/proc/sys/kernel/shm_next_id",
    "/proc/sys/vm/max_map_count",
];

pub use crate::syscalls::{Sys, CALLS};

/// The call called `name`.
pub fn call(name: &str) -> Option<&'static CallSig> {
    CALLS.iter().find(|c| c.name == name)
}

/// C functions a scenario author may reach for that the language does not
/// have, with what to write instead.
pub fn instead_of(name: &str) -> Option<&'static str> {
    Some(match name {
        "strcpy" | "strncpy" | "sprintf" => "copy into a mapping with `memcpy(p, \"text\", n)`",
        "malloc" | "calloc" => {
            "anonymous memory is `p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)`"
        }
        "puts" => "print with `printf(\"%s\", p)`",
        "perror" => "check the error with `expect = { errno = \"ENOENT\" }`",
        "fopen" | "fdopen" => "open files with `fd = open(path, flags, mode)`",
        "wait" | "waitpid" => "steps run one after another; there is nothing to wait for",
        "main" | "return" => "a scenario is a list of steps; there is no main",
        _ => return None,
    })
}
