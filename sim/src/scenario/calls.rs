//! The calls a statement can make: each with its C argument order, the kind
//! of each argument, what its result binds, and who makes it (a process, or
//! the machine).

use super::consts::Family;

/// Who makes a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// A process: the step needs `proc`.
    Process,
    /// The machine (`reclaim`, `sysctl`, `drop_caches`): no `proc`; "sim only"
    /// in real runs.
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

const fn p(name: &'static str, kind: ArgKind) -> Param {
    Param { name, kind }
}

use ArgKind as K;
use Family as F;

/// The sysctls `sysctl(name, value)` may set.
pub const SYSCTLS: &[&str] = &[
    "kernel.shmmax",
    "kernel.shmall",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
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
];

macro_rules! sig {
    ($name:literal, $group:literal, $scope:ident, $ret:ident, $req:expr, $var:expr,
     $proto:literal, [$($param:expr),* $(,)?]) => {
        CallSig {
            name: $name,
            params: &[$($param),*],
            required: $req,
            variadic: $var,
            scope: Scope::$scope,
            returns: Returns::$ret,
            group: $group,
            proto: $proto,
        }
    };
}

/// Every call, in the contract's order.
#[rustfmt::skip]
pub const CALLS: &[CallSig] = &[
    // files
    sig!("open", "files", Process, Fd, 2, false,
        "int open(const char *path, int flags, mode_t mode)",
        [p("path", K::Path), p("flags", K::Int(&[F::Open])), p("mode", K::Int(&[F::Mode]))]),
    sig!("close", "files", Process, Int, 1, false, "int close(int fd)", [p("fd", K::Fd)]),
    sig!("ftruncate", "files", Process, Int, 2, false,
        "int ftruncate(int fd, off_t length)",
        [p("fd", K::Fd), p("length", K::Int(&[]))]),
    sig!("read", "files", Process, Int, 2, false,
        "ssize_t read(int fd, size_t n) /* prints what it read to `out` */",
        [p("fd", K::Fd), p("n", K::Int(&[]))]),
    sig!("pread", "files", Process, Int, 3, false,
        "ssize_t pread(int fd, size_t n, off_t offset) /* prints to `out` */",
        [p("fd", K::Fd), p("n", K::Int(&[])), p("offset", K::Int(&[]))]),
    sig!("write", "files", Process, Int, 2, false,
        "ssize_t write(int fd, const char *s) /* writes strlen(s) bytes */",
        [p("fd", K::Fd), p("s", K::Data)]),
    sig!("pwrite", "files", Process, Int, 3, false,
        "ssize_t pwrite(int fd, const char *s, off_t offset)",
        [p("fd", K::Fd), p("s", K::Data), p("offset", K::Int(&[]))]),
    sig!("lseek", "files", Process, Int, 3, false,
        "off_t lseek(int fd, off_t offset, int whence)",
        [p("fd", K::Fd), p("offset", K::Int(&[])), p("whence", K::Int(&[F::Seek]))]),
    sig!("unlink", "files", Process, Int, 1, false, "int unlink(const char *path)",
        [p("path", K::Path)]),
    sig!("fsync", "files", Process, Int, 1, false, "int fsync(int fd)", [p("fd", K::Fd)]),
    sig!("mkstemp", "files", Process, Fd, 1, false,
        "int mkstemp(char *template) /* a name bound to a string gets the file's name */",
        [p("template", K::Path)]),
    // POSIX shm
    sig!("shm_open", "POSIX shm", Process, Fd, 3, false,
        "int shm_open(const char *name, int oflag, mode_t mode)",
        [p("name", K::Path), p("oflag", K::Int(&[F::Open])), p("mode", K::Int(&[F::Mode]))]),
    sig!("shm_unlink", "POSIX shm", Process, Int, 1, false,
        "int shm_unlink(const char *name)", [p("name", K::Path)]),
    // mappings
    sig!("mmap", "mappings", Process, Mapping, 6, false,
        "void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)",
        [p("addr", K::Hint), p("length", K::Int(&[])), p("prot", K::Int(&[F::Prot])),
         p("flags", K::Int(&[F::Map])), p("fd", K::Fd), p("offset", K::Int(&[]))]),
    sig!("munmap", "mappings", Process, Int, 2, false,
        "int munmap(void *addr, size_t length)",
        [p("addr", K::Ptr), p("length", K::Int(&[]))]),
    sig!("msync", "mappings", Process, Int, 3, false,
        "int msync(void *addr, size_t length, int flags)",
        [p("addr", K::Ptr), p("length", K::Int(&[])), p("flags", K::Int(&[F::Msync]))]),
    sig!("madvise", "mappings", Process, Int, 3, false,
        "int madvise(void *addr, size_t length, int advice)",
        [p("addr", K::Ptr), p("length", K::Int(&[])), p("advice", K::Int(&[F::Madv]))]),
    sig!("mprotect", "mappings", Process, Int, 3, false,
        "int mprotect(void *addr, size_t length, int prot)",
        [p("addr", K::Ptr), p("length", K::Int(&[])), p("prot", K::Int(&[F::Prot]))]),
    // System V
    sig!("ftok", "System V", Process, Key, 2, false,
        "key_t ftok(const char *path, int id)",
        [p("path", K::Path), p("id", K::Int(&[]))]),
    sig!("shmget", "System V", Process, ShmId, 3, false,
        "int shmget(key_t key, size_t size, int shmflg)",
        [p("key", K::Key), p("size", K::Int(&[])), p("shmflg", K::Int(&[F::IpcFlag, F::Mode]))]),
    sig!("shmat", "System V", Process, Mapping, 3, false,
        "void *shmat(int shmid, const void *addr, int shmflg)",
        [p("shmid", K::ShmId), p("addr", K::Hint), p("shmflg", K::Int(&[F::Shmat]))]),
    sig!("shmdt", "System V", Process, Int, 1, false, "int shmdt(const void *addr)",
        [p("addr", K::Ptr)]),
    sig!("shmctl", "System V", Process, Int, 3, false,
        "int shmctl(int shmid, int cmd, struct shmid_ds *buf)",
        [p("shmid", K::ShmId), p("cmd", K::Int(&[F::IpcCmd])), p("buf", K::ShmBuf)]),
    // memory
    sig!("memcpy", "memory", Process, Pointer, 3, false,
        "void *memcpy(void *dst, const void *src, size_t n)",
        [p("dst", K::Ptr), p("src", K::Src), p("n", K::Int(&[]))]),
    sig!("memset", "memory", Process, Pointer, 3, false,
        "void *memset(void *dst, int c, size_t n)",
        [p("dst", K::Ptr), p("c", K::Int(&[])), p("n", K::Int(&[]))]),
    sig!("printf", "memory", Process, Int, 1, true,
        "int printf(const char *format, ...)", [p("format", K::Format)]),
    // processes
    sig!("fork", "processes", Process, Child, 0, false,
        "pid_t fork(void) /* `child = fork()` names the new process `child` */", []),
    sig!("exit", "processes", Process, Nothing, 1, false, "void exit(int status)",
        [p("status", K::Int(&[]))]),
    sig!("send_fd", "processes", Process, Int, 2, false,
        "int send_fd(const char *proc, int fd) /* SCM_RIGHTS over a socket pair */",
        [p("proc", K::Proc), p("fd", K::Fd)]),
    sig!("recv_fd", "processes", Process, Fd, 0, false,
        "int recv_fd(void) /* the oldest fd sent to this process */", []),
    // machine-wide
    sig!("reclaim", "machine-wide", Machine, Nothing, 1, false,
        "reclaim(long pages) /* global LRU reclaim, as kswapd */",
        [p("pages", K::Int(&[]))]),
    sig!("sysctl", "machine-wide", Machine, Nothing, 2, false,
        "sysctl(const char *name, long value) /* sysctl -w name=value */",
        [p("name", K::Sysctl), p("value", K::Int(&[]))]),
    sig!("drop_caches", "machine-wide", Machine, Nothing, 1, false,
        "drop_caches(int what) /* echo what > /proc/sys/vm/drop_caches */",
        [p("what", K::Int(&[]))]),
    // look steps
    sig!("free", "look", Look, Nothing, 1, false, "free [OPTIONS] (procps-ng)",
        [p("options", K::ToolArgs)]),
    sig!("ipcs", "look", Look, Nothing, 1, false, "ipcs -m | -u | -a | -m -i ID",
        [p("options", K::ToolArgs)]),
    sig!("df", "look", Look, Nothing, 1, false, "df [OPTIONS] [PATH...] (coreutils)",
        [p("args", K::ToolArgs)]),
    sig!("cat", "look", Look, Nothing, 1, false, "cat PATH", [p("path", K::Path)]),
    sig!("ls", "look", Look, Nothing, 1, false, "ls [OPTIONS] PATH (shown as ls -l)",
        [p("args", K::ToolArgs)]),
    sig!("pmap", "look", Look, Nothing, 1, false, "pmap PID", [p("proc", K::Proc)]),
    sig!("smaps", "look", Look, Nothing, 2, false,
        "the /proc/PID/smaps entry of one mapping",
        [p("proc", K::Proc), p("mapping", K::ProcPtr)]),
];

/// The call called `name`.
pub fn call(name: &str) -> Option<&'static CallSig> {
    CALLS.iter().find(|c| c.name == name)
}

/// C functions a scenario author may reach for that the language does not
/// have, with what to write instead.
pub fn instead_of(name: &str) -> Option<&'static str> {
    Some(match name {
        "strcpy" | "strncpy" | "sprintf" => "copy into a mapping with `memcpy(p, \"text\", n)`",
        "strlen" | "sizeof" => "write the length as a number",
        "malloc" | "calloc" => {
            "anonymous memory is `p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)`"
        }
        "puts" => "print with `printf(\"%s\", p)`",
        "perror" => "check the error with `expect = { errno = \"ENOENT\" }`",
        "fopen" | "fdopen" => "open files with `fd = open(path, flags, mode)`",
        "mincore" => "the page residency of a mapping is the observable `core.NAME`",
        "wait" | "waitpid" | "sleep" => "steps run one after another; there is nothing to wait for",
        "main" | "return" => "a scenario is a list of steps; there is no main",
        _ => return None,
    })
}
