//! The C constants a statement may name, with their x86_64 Linux values
//! (`include/uapi/asm-generic/fcntl.h`, `include/uapi/asm-generic/mman-common.h`,
//! `arch/x86/include/uapi/asm/mman.h`, `include/uapi/linux/ipc.h`,
//! `include/uapi/linux/mman.h`, `include/uapi/linux/shm.h`,
//! `include/uapi/linux/fs.h`, `include/uapi/linux/fcntl.h`,
//! `include/uapi/linux/memfd.h`, `<sys/stat.h>`),
//! and the errno and signal names an `expect` may use.

/// Which argument a constant belongs to: a constant of one family passed
/// where another is expected (`mmap(.., O_RDWR, ..)`) is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// `open`/`shm_open` flags.
    Open,
    /// Permission bits, `S_I*`.
    Mode,
    /// `mmap`/`mprotect` protection.
    Prot,
    /// `mmap` flags.
    Map,
    /// `msync` flags.
    Msync,
    /// `madvise` advice.
    Madv,
    /// `mremap` flags, `MREMAP_*`.
    Mremap,
    /// `shmget` flags (with permission bits).
    IpcFlag,
    /// The key `IPC_PRIVATE`.
    IpcKey,
    /// `shmctl` commands.
    IpcCmd,
    /// `shmat` flags.
    Shmat,
    /// `lseek` whence.
    Seek,
    /// `setrlimit` resources, `RLIMIT_*`.
    Rlimit,
    /// `mlockall` flags, `MCL_*`.
    Mcl,
    /// `fcntl` commands, `F_*`.
    Fcntl,
    /// Descriptor flags (`F_SETFD`'s argument), `FD_CLOEXEC`.
    FdFlag,
    /// File seals (`F_ADD_SEALS`'s argument), `F_SEAL_*`.
    Seal,
    /// `memfd_create` flags, `MFD_*`.
    Memfd,
    /// Plain values that fit anywhere: `NULL`, `PAGE_SIZE`, `MAP_FAILED`, `EXIT_*`.
    Value,
}

impl Family {
    /// How a message names the family.
    pub fn describe(self) -> &'static str {
        match self {
            Family::Open => "an open() flag (O_*)",
            Family::Mode => "a permission bit (S_I*)",
            Family::Prot => "a protection (PROT_*)",
            Family::Map => "an mmap() flag (MAP_*)",
            Family::Msync => "an msync() flag (MS_*)",
            Family::Madv => "a madvise() advice (MADV_*)",
            Family::Mremap => "an mremap() flag (MREMAP_*)",
            Family::IpcFlag => "a shmget() flag (IPC_CREAT, IPC_EXCL, ...)",
            Family::IpcKey => "a System V key",
            Family::IpcCmd => "a shmctl() command (IPC_STAT, IPC_RMID, ...)",
            Family::Shmat => "a shmat() flag (SHM_RDONLY, SHM_RND, ...)",
            Family::Seek => "an lseek() whence (SEEK_*)",
            Family::Rlimit => "a setrlimit() resource (RLIMIT_*)",
            Family::Mcl => "an mlockall() flag (MCL_*)",
            Family::Fcntl => "an fcntl() command (F_GETFL, F_DUPFD, F_ADD_SEALS, ...)",
            Family::FdFlag => "a descriptor flag (FD_CLOEXEC)",
            Family::Seal => "a file seal (F_SEAL_*)",
            Family::Memfd => "a memfd_create() flag (MFD_*)",
            Family::Value => "a value",
        }
    }
}

/// A named C constant.
#[derive(Clone, Copy, Debug)]
pub struct Constant {
    pub name: &'static str,
    pub value: i64,
    pub family: Family,
}

macro_rules! constants {
    ($($name:ident = $value:expr, $family:ident;)*) => {
        /// Every constant a statement may name, as x86_64 Linux and glibc define it.
        pub const CONSTANTS: &[Constant] = &[
            $(Constant { name: stringify!($name), value: $value, family: Family::$family }),*
        ];
    };
}

constants! {
    // <fcntl.h>, include/uapi/asm-generic/fcntl.h (octal)
    O_RDONLY = 0, Open;
    O_WRONLY = 0o1, Open;
    O_RDWR = 0o2, Open;
    O_CREAT = 0o100, Open;
    O_EXCL = 0o200, Open;
    O_NOCTTY = 0o400, Open;
    O_TRUNC = 0o1000, Open;
    O_APPEND = 0o2000, Open;
    O_NONBLOCK = 0o4000, Open;
    O_NDELAY = 0o4000, Open;
    O_DSYNC = 0o10000, Open;
    O_ASYNC = 0o20000, Open;
    O_DIRECT = 0o40000, Open;
    O_DIRECTORY = 0o200000, Open;
    O_NOFOLLOW = 0o400000, Open;
    O_NOATIME = 0o1000000, Open;
    O_CLOEXEC = 0o2000000, Open;
    O_SYNC = 0o4010000, Open;
    // <sys/stat.h>
    S_IRWXU = 0o700, Mode;
    S_IRUSR = 0o400, Mode;
    S_IWUSR = 0o200, Mode;
    S_IXUSR = 0o100, Mode;
    S_IRWXG = 0o70, Mode;
    S_IRGRP = 0o40, Mode;
    S_IWGRP = 0o20, Mode;
    S_IXGRP = 0o10, Mode;
    S_IRWXO = 0o7, Mode;
    S_IROTH = 0o4, Mode;
    S_IWOTH = 0o2, Mode;
    S_IXOTH = 0o1, Mode;
    // include/uapi/asm-generic/mman-common.h
    PROT_NONE = 0, Prot;
    PROT_READ = 0x1, Prot;
    PROT_WRITE = 0x2, Prot;
    PROT_EXEC = 0x4, Prot;
    // include/uapi/linux/mman.h
    MAP_SHARED = 0x01, Map;
    MAP_PRIVATE = 0x02, Map;
    MAP_SHARED_VALIDATE = 0x03, Map;
    MAP_DROPPABLE = 0x08, Map;
    // include/uapi/asm-generic/mman-common.h
    MAP_TYPE = 0x0f, Map;
    MAP_FIXED = 0x10, Map;
    MAP_ANONYMOUS = 0x20, Map;
    MAP_ANON = 0x20, Map;
    MAP_FILE = 0, Map;
    // arch/x86/include/uapi/asm/mman.h
    MAP_32BIT = 0x40, Map;
    MAP_ABOVE4G = 0x80, Map;
    // include/uapi/asm-generic/mman.h
    MAP_GROWSDOWN = 0x0100, Map;
    MAP_DENYWRITE = 0x0800, Map;
    MAP_EXECUTABLE = 0x1000, Map;
    MAP_LOCKED = 0x2000, Map;
    MAP_NORESERVE = 0x4000, Map;
    // include/uapi/asm-generic/mman-common.h
    MAP_POPULATE = 0x8000, Map;
    MAP_NONBLOCK = 0x10000, Map;
    MAP_STACK = 0x20000, Map;
    MAP_HUGETLB = 0x40000, Map;
    MAP_SYNC = 0x80000, Map;
    MAP_FIXED_NOREPLACE = 0x100000, Map;
    MAP_UNINITIALIZED = 0x4000000, Map;
    // include/uapi/linux/mman.h, include/uapi/asm-generic/hugetlb_encode.h:
    // log2 of the huge page size, shifted by MAP_HUGE_SHIFT
    MAP_HUGE_SHIFT = 26, Value;
    MAP_HUGE_MASK = 0x3f, Value;
    MAP_HUGE_16KB = 14 << 26, Map;
    MAP_HUGE_64KB = 16 << 26, Map;
    MAP_HUGE_512KB = 19 << 26, Map;
    MAP_HUGE_1MB = 20 << 26, Map;
    MAP_HUGE_2MB = 21 << 26, Map;
    MAP_HUGE_8MB = 23 << 26, Map;
    MAP_HUGE_16MB = 24 << 26, Map;
    MAP_HUGE_32MB = 25 << 26, Map;
    MAP_HUGE_256MB = 28 << 26, Map;
    MAP_HUGE_512MB = 29 << 26, Map;
    MAP_HUGE_1GB = 30 << 26, Map;
    MAP_HUGE_2GB = 31 << 26, Map;
    MAP_HUGE_16GB = 34 << 26, Map;
    MAP_FAILED = -1, Value;
    MS_ASYNC = 1, Msync;
    MS_INVALIDATE = 2, Msync;
    MS_SYNC = 4, Msync;
    MREMAP_MAYMOVE = 1, Mremap;
    MREMAP_FIXED = 2, Mremap;
    MREMAP_DONTUNMAP = 4, Mremap;
    MCL_CURRENT = 1, Mcl;
    MCL_FUTURE = 2, Mcl;
    MCL_ONFAULT = 4, Mcl;
    MADV_NORMAL = 0, Madv;
    MADV_RANDOM = 1, Madv;
    MADV_SEQUENTIAL = 2, Madv;
    MADV_WILLNEED = 3, Madv;
    MADV_DONTNEED = 4, Madv;
    MADV_FREE = 8, Madv;
    MADV_REMOVE = 9, Madv;
    MADV_DONTFORK = 10, Madv;
    MADV_DOFORK = 11, Madv;
    MADV_MERGEABLE = 12, Madv;
    MADV_UNMERGEABLE = 13, Madv;
    MADV_HUGEPAGE = 14, Madv;
    MADV_NOHUGEPAGE = 15, Madv;
    MADV_DONTDUMP = 16, Madv;
    MADV_DODUMP = 17, Madv;
    MADV_WIPEONFORK = 18, Madv;
    MADV_KEEPONFORK = 19, Madv;
    MADV_COLD = 20, Madv;
    MADV_PAGEOUT = 21, Madv;
    MADV_POPULATE_READ = 22, Madv;
    MADV_POPULATE_WRITE = 23, Madv;
    MADV_DONTNEED_LOCKED = 24, Madv;
    MADV_COLLAPSE = 25, Madv;
    MADV_HWPOISON = 100, Madv;
    MADV_SOFT_OFFLINE = 101, Madv;
    MADV_GUARD_INSTALL = 102, Madv;
    MADV_GUARD_REMOVE = 103, Madv;
    // include/uapi/linux/ipc.h
    IPC_PRIVATE = 0, IpcKey;
    IPC_CREAT = 0o1000, IpcFlag;
    IPC_EXCL = 0o2000, IpcFlag;
    IPC_NOWAIT = 0o4000, IpcFlag;
    IPC_RMID = 0, IpcCmd;
    IPC_SET = 1, IpcCmd;
    IPC_STAT = 2, IpcCmd;
    IPC_INFO = 3, IpcCmd;
    // include/uapi/linux/shm.h
    SHM_HUGETLB = 0o4000, IpcFlag;
    SHM_NORESERVE = 0o10000, IpcFlag;
    SHM_RDONLY = 0o10000, Shmat;
    SHM_RND = 0o20000, Shmat;
    SHM_REMAP = 0o40000, Shmat;
    SHM_EXEC = 0o100000, Shmat;
    SHM_LOCK = 11, IpcCmd;
    SHM_UNLOCK = 12, IpcCmd;
    SHM_STAT = 13, IpcCmd;
    SHM_INFO = 14, IpcCmd;
    SHM_STAT_ANY = 15, IpcCmd;
    // shm_perm.mode bits the kernel sets (include/uapi/linux/shm.h)
    SHM_DEST = 0o1000, Value;
    SHM_LOCKED = 0o2000, Value;
    // include/uapi/asm-generic/fcntl.h, include/uapi/linux/fcntl.h
    F_DUPFD = 0, Fcntl;
    F_GETFD = 1, Fcntl;
    F_SETFD = 2, Fcntl;
    F_GETFL = 3, Fcntl;
    F_SETFL = 4, Fcntl;
    F_DUPFD_CLOEXEC = 1030, Fcntl;
    F_ADD_SEALS = 1033, Fcntl;
    F_GET_SEALS = 1034, Fcntl;
    FD_CLOEXEC = 1, FdFlag;
    F_SEAL_SEAL = 0x0001, Seal;
    F_SEAL_SHRINK = 0x0002, Seal;
    F_SEAL_GROW = 0x0004, Seal;
    F_SEAL_WRITE = 0x0008, Seal;
    F_SEAL_FUTURE_WRITE = 0x0010, Seal;
    F_SEAL_EXEC = 0x0020, Seal;
    // include/uapi/linux/memfd.h
    MFD_CLOEXEC = 0x0001, Memfd;
    MFD_ALLOW_SEALING = 0x0002, Memfd;
    MFD_HUGETLB = 0x0004, Memfd;
    MFD_NOEXEC_SEAL = 0x0008, Memfd;
    MFD_EXEC = 0x0010, Memfd;
    // include/uapi/linux/fs.h
    SEEK_SET = 0, Seek;
    SEEK_CUR = 1, Seek;
    SEEK_END = 2, Seek;
    SEEK_DATA = 3, Seek;
    SEEK_HOLE = 4, Seek;
    // include/uapi/asm-generic/resource.h
    RLIMIT_CPU = 0, Rlimit;
    RLIMIT_FSIZE = 1, Rlimit;
    RLIMIT_DATA = 2, Rlimit;
    RLIMIT_STACK = 3, Rlimit;
    RLIMIT_CORE = 4, Rlimit;
    RLIMIT_RSS = 5, Rlimit;
    RLIMIT_NPROC = 6, Rlimit;
    RLIMIT_NOFILE = 7, Rlimit;
    RLIMIT_MEMLOCK = 8, Rlimit;
    RLIMIT_AS = 9, Rlimit;
    RLIMIT_LOCKS = 10, Rlimit;
    RLIMIT_SIGPENDING = 11, Rlimit;
    RLIMIT_MSGQUEUE = 12, Rlimit;
    RLIMIT_NICE = 13, Rlimit;
    RLIMIT_RTPRIO = 14, Rlimit;
    RLIMIT_RTTIME = 15, Rlimit;
    RLIM_INFINITY = -1, Value;
    // plain values
    PAGE_SIZE = 4096, Value;
    NULL = 0, Value;
    EXIT_SUCCESS = 0, Value;
    EXIT_FAILURE = 1, Value;
}

/// The constant called `name`.
pub fn constant(name: &str) -> Option<&'static Constant> {
    CONSTANTS.iter().find(|c| c.name == name)
}

/// Every errno name of x86_64 Linux (`include/uapi/asm-generic/errno-base.h`,
/// `errno.h`), including the aliases `EWOULDBLOCK`, `EDEADLOCK` and `ENOTSUP`.
pub const ERRNO_NAMES: &[&str] = &[
    "EPERM",
    "ENOENT",
    "ESRCH",
    "EINTR",
    "EIO",
    "ENXIO",
    "E2BIG",
    "ENOEXEC",
    "EBADF",
    "ECHILD",
    "EAGAIN",
    "ENOMEM",
    "EACCES",
    "EFAULT",
    "ENOTBLK",
    "EBUSY",
    "EEXIST",
    "EXDEV",
    "ENODEV",
    "ENOTDIR",
    "EISDIR",
    "EINVAL",
    "ENFILE",
    "EMFILE",
    "ENOTTY",
    "ETXTBSY",
    "EFBIG",
    "ENOSPC",
    "ESPIPE",
    "EROFS",
    "EMLINK",
    "EPIPE",
    "EDOM",
    "ERANGE",
    "EDEADLK",
    "ENAMETOOLONG",
    "ENOLCK",
    "ENOSYS",
    "ENOTEMPTY",
    "ELOOP",
    "EWOULDBLOCK",
    "ENOMSG",
    "EIDRM",
    "ECHRNG",
    "EL2NSYNC",
    "EL3HLT",
    "EL3RST",
    "ELNRNG",
    "EUNATCH",
    "ENOCSI",
    "EL2HLT",
    "EBADE",
    "EBADR",
    "EXFULL",
    "ENOANO",
    "EBADRQC",
    "EBADSLT",
    "EDEADLOCK",
    "EBFONT",
    "ENOSTR",
    "ENODATA",
    "ETIME",
    "ENOSR",
    "ENONET",
    "ENOPKG",
    "EREMOTE",
    "ENOLINK",
    "EADV",
    "ESRMNT",
    "ECOMM",
    "EPROTO",
    "EMULTIHOP",
    "EDOTDOT",
    "EBADMSG",
    "EOVERFLOW",
    "ENOTUNIQ",
    "EBADFD",
    "EREMCHG",
    "ELIBACC",
    "ELIBBAD",
    "ELIBSCN",
    "ELIBMAX",
    "ELIBEXEC",
    "EILSEQ",
    "ERESTART",
    "ESTRPIPE",
    "EUSERS",
    "ENOTSOCK",
    "EDESTADDRREQ",
    "EMSGSIZE",
    "EPROTOTYPE",
    "ENOPROTOOPT",
    "EPROTONOSUPPORT",
    "ESOCKTNOSUPPORT",
    "EOPNOTSUPP",
    "ENOTSUP",
    "EPFNOSUPPORT",
    "EAFNOSUPPORT",
    "EADDRINUSE",
    "EADDRNOTAVAIL",
    "ENETDOWN",
    "ENETUNREACH",
    "ENETRESET",
    "ECONNABORTED",
    "ECONNRESET",
    "ENOBUFS",
    "EISCONN",
    "ENOTCONN",
    "ESHUTDOWN",
    "ETOOMANYREFS",
    "ETIMEDOUT",
    "ECONNREFUSED",
    "EHOSTDOWN",
    "EHOSTUNREACH",
    "EALREADY",
    "EINPROGRESS",
    "ESTALE",
    "EUCLEAN",
    "ENOTNAM",
    "ENAVAIL",
    "EISNAM",
    "EREMOTEIO",
    "EDQUOT",
    "ENOMEDIUM",
    "EMEDIUMTYPE",
    "ECANCELED",
    "ENOKEY",
    "EKEYEXPIRED",
    "EKEYREVOKED",
    "EKEYREJECTED",
    "EOWNERDEAD",
    "ENOTRECOVERABLE",
    "ERFKILL",
    "EHWPOISON",
];

/// Every signal name of x86_64 Linux (`arch/x86/include/uapi/asm/signal.h`).
pub const SIGNAL_NAMES: &[&str] = &[
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGIOT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPOLL",
    "SIGPWR",
    "SIGSYS",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_x86_64_linux() {
        let v = |n| constant(n).unwrap().value;
        assert_eq!(v("O_CREAT"), 64);
        assert_eq!(v("O_EXCL"), 128);
        assert_eq!(v("O_TRUNC"), 512);
        assert_eq!(v("O_NOFOLLOW"), 0x20000);
        assert_eq!(v("O_CLOEXEC"), 0x80000);
        assert_eq!(v("MAP_ANONYMOUS"), 0x20);
        assert_eq!(v("MAP_FIXED"), 0x10);
        assert_eq!(v("MADV_PAGEOUT"), 21);
        assert_eq!(v("MADV_COLD"), 20);
        assert_eq!(v("MADV_REMOVE"), 9);
        assert_eq!(v("IPC_CREAT"), 512);
        assert_eq!(v("IPC_EXCL"), 1024);
        assert_eq!(v("SHM_RDONLY"), 4096);
        assert_eq!(v("SHM_RND"), 8192);
        assert_eq!(v("IPC_INFO"), 3);
        assert_eq!(v("SHM_INFO"), 14);
        assert_eq!(v("SHM_LOCK"), 11);
        assert_eq!(v("SHM_UNLOCK"), 12);
        assert_eq!(v("S_IRWXU"), 0o700);
        assert_eq!(v("PAGE_SIZE"), 4096);
        assert_eq!(v("NULL"), 0);
        assert_eq!(v("MAP_32BIT"), 0x40);
        assert_eq!(v("MAP_GROWSDOWN"), 0x100);
        assert_eq!(v("MAP_STACK"), 0x20000);
        assert_eq!(v("MAP_SYNC"), 0x80000);
        assert_eq!(v("MAP_UNINITIALIZED"), 0x400_0000);
        assert_eq!(v("MAP_HUGE_2MB"), 0x5400_0000);
        assert_eq!(v("MAP_HUGE_1GB"), 0x7800_0000);
        assert_eq!(v("MADV_WIPEONFORK"), 18);
        assert_eq!(v("MADV_COLLAPSE"), 25);
        assert_eq!(v("MADV_GUARD_REMOVE"), 103);
        assert_eq!(v("SHM_LOCKED"), 1024);
        assert_eq!(v("F_ADD_SEALS"), 1033);
        assert_eq!(v("F_SEAL_FUTURE_WRITE"), 16);
        assert_eq!(v("MFD_ALLOW_SEALING"), 2);
    }

    #[test]
    fn names_are_unique() {
        for (i, c) in CONSTANTS.iter().enumerate() {
            assert!(
                CONSTANTS[i + 1..].iter().all(|d| d.name != c.name),
                "{}",
                c.name
            );
        }
        for (i, e) in ERRNO_NAMES.iter().enumerate() {
            assert!(!ERRNO_NAMES[i + 1..].contains(e), "{e}");
        }
    }
}
