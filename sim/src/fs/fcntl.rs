//! `fcntl(2)`: the descriptor flags and the seals.
//!
//! Mirrors `fs/fcntl.c` (4.14): `do_fcntl` with `F_GETFD`, `F_SETFD`, and
//! `F_ADD_SEALS`/`F_GET_SEALS`, which it passes to `shmem_fcntl`
//! ([`crate::mm::memfd`]). The commands the model does not keep are
//! `EINVAL`, as an unknown command is.

use crate::errno::{Errno, SysResult};
use crate::kernel::{Kernel, Pid};

/// `F_*` commands (`include/uapi/asm-generic/fcntl.h`, `linux/fcntl.h`).
pub mod f {
    /// `F_GETFD`.
    pub const GETFD: i32 = 1;
    /// `F_SETFD`.
    pub const SETFD: i32 = 2;
    /// `F_ADD_SEALS` (`F_LINUX_SPECIFIC_BASE + 9`).
    pub const ADD_SEALS: i32 = 1033;
    /// `F_GET_SEALS`.
    pub const GET_SEALS: i32 = 1034;
    /// `FD_CLOEXEC`.
    pub const FD_CLOEXEC: i64 = 1;
}

impl Kernel {
    /// `fcntl(fd, cmd, arg)`: `EBADF` for a closed fd, `EINVAL` for a
    /// command the model does not keep.
    pub fn fcntl(&mut self, pid: Pid, fd: i32, cmd: i32, arg: i64) -> SysResult<i64> {
        self.tick();
        self.traced("do_fcntl", "fs/fcntl.c", |k| k.do_fcntl(pid, fd, cmd, arg))
    }

    fn do_fcntl(&mut self, pid: Pid, fd: i32, cmd: i32, arg: i64) -> SysResult<i64> {
        let file = self.fdget(pid, fd)?;
        match cmd {
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
}
