//! `fcntl(2)`: duplicating a descriptor, its flags, the file's status
//! flags, and the seals.
//!
//! Mirrors `fs/fcntl.c` (4.14): `do_fcntl` with `F_DUPFD` and
//! `F_DUPFD_CLOEXEC` (`f_dupfd`, `fs/file.c`), `F_GETFD`, `F_SETFD`,
//! `F_GETFL`, `F_SETFL` (`setfl`), and `F_ADD_SEALS`/`F_GET_SEALS`, which
//! it passes to `shmem_fcntl` ([`crate::mm::memfd`]). A number no release
//! knows as a command is `EINVAL`, as in `do_fcntl`. The commands Linux has
//! and the model does not keep (record locks, owners and signals, leases,
//! directory notification, pipe sizes, write hints, the 6.x queries) the
//! checker refuses ([`modelled`]): the model would have to make their
//! answers up.

use crate::errno::{Errno, SysResult};
use crate::fs::vfs::{o, InodeKind};
use crate::kernel::{Kernel, Pid};
use crate::syscalls::ToolRefusal;

/// `F_*` commands (`include/uapi/asm-generic/fcntl.h`, `linux/fcntl.h`).
pub mod f {
    /// `F_DUPFD`.
    pub const DUPFD: i32 = 0;
    /// `F_GETFD`.
    pub const GETFD: i32 = 1;
    /// `F_SETFD`.
    pub const SETFD: i32 = 2;
    /// `F_GETFL`.
    pub const GETFL: i32 = 3;
    /// `F_SETFL`.
    pub const SETFL: i32 = 4;
    /// `F_DUPFD_CLOEXEC` (`F_LINUX_SPECIFIC_BASE + 6`).
    pub const DUPFD_CLOEXEC: i32 = 1030;
    /// `F_ADD_SEALS` (`F_LINUX_SPECIFIC_BASE + 9`).
    pub const ADD_SEALS: i32 = 1033;
    /// `F_GET_SEALS`.
    pub const GET_SEALS: i32 = 1034;
    /// `FD_CLOEXEC`.
    pub const FD_CLOEXEC: i64 = 1;
}

/// The commands Linux (up to the newest release the model answers for)
/// has and the model does not keep, with what they are about.
const NOT_KEPT: &[(i32, &str, &str)] = &[
    (5, "F_GETLK", "record locks"),
    (6, "F_SETLK", "record locks"),
    (7, "F_SETLKW", "record locks"),
    (8, "F_SETOWN", "the owner that gets SIGIO"),
    (9, "F_GETOWN", "the owner that gets SIGIO"),
    (10, "F_SETSIG", "the signal sent for I/O"),
    (11, "F_GETSIG", "the signal sent for I/O"),
    (15, "F_SETOWN_EX", "the owner that gets SIGIO"),
    (16, "F_GETOWN_EX", "the owner that gets SIGIO"),
    (17, "F_GETOWNER_UIDS", "the owner that gets SIGIO"),
    (36, "F_OFD_GETLK", "record locks"),
    (37, "F_OFD_SETLK", "record locks"),
    (38, "F_OFD_SETLKW", "record locks"),
    (1024, "F_SETLEASE", "leases"),
    (1025, "F_GETLEASE", "leases"),
    (1026, "F_NOTIFY", "directory notification (dnotify)"),
    (1027, "F_DUPFD_QUERY", "a 6.10 query of two descriptors"),
    (
        1028,
        "F_CREATED_QUERY",
        "a 6.12 query of how a file was opened",
    ),
    (1031, "F_SETPIPE_SZ", "pipe sizes (the model has no pipes)"),
    (1032, "F_GETPIPE_SZ", "pipe sizes (the model has no pipes)"),
    (1035, "F_GET_RW_HINT", "write-lifetime hints"),
    (1036, "F_SET_RW_HINT", "write-lifetime hints"),
    (1037, "F_GET_FILE_RW_HINT", "write-lifetime hints"),
    (1038, "F_SET_FILE_RW_HINT", "write-lifetime hints"),
];

/// Is `cmd` a command the model keeps?
pub fn kept(cmd: i32) -> bool {
    matches!(
        cmd,
        f::DUPFD
            | f::DUPFD_CLOEXEC
            | f::GETFD
            | f::SETFD
            | f::GETFL
            | f::SETFL
            | f::ADD_SEALS
            | f::GET_SEALS
    )
}

/// The commands the model keeps, for the checker's help.
pub const KEPT: &str = "F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL, \
                        F_ADD_SEALS, F_GET_SEALS";

/// The checker's question of a command known when the scenario is read:
/// `Err` for one Linux has and the model does not keep. Every other number
/// is either kept or unknown to Linux too (`EINVAL`).
pub fn modelled(cmd: i64) -> Result<(), ToolRefusal> {
    // The kernel's `cmd` is an `unsigned int`: 2^32 + 5 is F_GETLK too.
    let Some(&(_, name, what)) = NOT_KEPT.iter().find(|c| c.0 as u32 == cmd as u32) else {
        return Ok(());
    };
    Err(ToolRefusal {
        message: format!("`{name}` ({cmd}) is a command shmsim does not model: {what}"),
        label: "not modelled".into(),
        help: format!("fcntl here keeps {KEPT}"),
    })
}

/// `SETFL_MASK`: the status flags `F_SETFL` changes (`FASYNC` is set by
/// the file's `fasync`, the terminal's; tmpfs has none).
const SETFL_MASK: u32 = o::APPEND | o::NONBLOCK | o::DIRECT | o::NOATIME;

impl Kernel {
    /// `fcntl(fd, cmd, arg)`: `EBADF` for a closed fd, `EINVAL` for a
    /// number that is no command.
    pub fn fcntl(&mut self, pid: Pid, fd: i32, cmd: i32, arg: i64) -> SysResult<i64> {
        self.tick();
        self.traced("do_fcntl", "fs/fcntl.c", |k| k.do_fcntl(pid, fd, cmd, arg))
    }

    fn do_fcntl(&mut self, pid: Pid, fd: i32, cmd: i32, arg: i64) -> SysResult<i64> {
        let file = self.fdget(pid, fd)?;
        match cmd {
            // `arg` is an `unsigned long` that `f_dupfd` takes as an
            // `unsigned int`.
            f::DUPFD => self.f_dupfd(pid, file, arg as u32, false),
            f::DUPFD_CLOEXEC => self.f_dupfd(pid, file, arg as u32, true),
            f::GETFD => Ok(i64::from(self.task(pid)?.close_on_exec.contains(&fd))),
            f::SETFD => {
                let task = self.task_mut(pid)?;
                if arg & f::FD_CLOEXEC != 0 {
                    task.close_on_exec.insert(fd);
                } else {
                    task.close_on_exec.remove(&fd);
                }
                Ok(0)
            }
            f::GETFL => Ok(i64::from(self.files[file].flags)),
            f::SETFL => self.setfl(pid, file, arg as u32).map(|()| 0),
            f::ADD_SEALS => {
                let (ino, writable) = (self.files[file].ino, self.files[file].writable());
                self.shmem_add_seals(ino, writable, arg as u32)
                    .map(i64::from)
            }
            f::GET_SEALS => {
                let ino = self.files[file].ino;
                self.shmem_get_seals(ino).map(i64::from)
            }
            _ => Err(Errno::EINVAL),
        }
    }

    /// `f_dupfd` (`fs/file.c`): the lowest free descriptor from `from` on,
    /// sharing the open file; `EINVAL` when `from` is past `RLIMIT_NOFILE`,
    /// `EMFILE` when no descriptor under it is free.
    fn f_dupfd(
        &mut self,
        pid: Pid,
        file: crate::fs::vfs::FileKey,
        from: u32,
        cloexec: bool,
    ) -> SysResult<i64> {
        let task = self.task(pid)?;
        let limit = task.rlim.cur(crate::sys::rlimit::NOFILE);
        if u64::from(from) >= limit {
            return Err(Errno::EINVAL);
        }
        let fd = (from..).find(|fd| !task.fds.contains_key(&(*fd as i32)));
        let fd = match fd {
            Some(fd) if u64::from(fd) < limit => fd as i32,
            _ => return Err(Errno::EMFILE),
        };
        self.get_file(file);
        let task = self.task_mut(pid)?;
        task.fds.insert(fd, file);
        if cloexec {
            task.close_on_exec.insert(fd);
        } else {
            task.close_on_exec.remove(&fd);
        }
        Ok(i64::from(fd))
    }

    /// `setfl`: `O_NOATIME` only for the file's owner or root (`EPERM`),
    /// `O_DIRECT` only where the file can do direct I/O (`EINVAL`, see
    /// [`Kernel::can_direct_io`]); then the flags of `SETFL_MASK` are set
    /// as `arg` says and the others kept.
    fn setfl(&mut self, pid: Pid, file: crate::fs::vfs::FileKey, arg: u32) -> SysResult<()> {
        let (flags, ino, direct_io) = {
            let f = &self.files[file];
            (f.flags, f.ino, f.direct_io)
        };
        let uid = self.task(pid)?.uid;
        let inode = &self.inodes[&ino];
        if arg & o::NOATIME != 0 && flags & o::NOATIME == 0 && uid != 0 && uid != inode.uid {
            return Err(Errno::EPERM);
        }
        if arg & o::DIRECT != 0 && !direct_io {
            return Err(Errno::EINVAL);
        }
        let mut new = (arg & SETFL_MASK) | (flags & !SETFL_MASK);
        // The terminal's `tty_fasync` sets `FASYNC` as asked (through
        // `fasync_helper`); a file without `fasync` never has it.
        if matches!(inode.kind, InodeKind::Tty) {
            new = (new & !o::FASYNC) | (arg & o::FASYNC);
        }
        self.files[file].flags = new;
        Ok(())
    }
}
