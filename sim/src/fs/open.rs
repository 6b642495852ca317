//! `fchmod(2)`.
//!
//! Mirrors `fs/open.c` (4.14): `SYSCALL_DEFINE2(fchmod)` -> `chmod_common`
//! -> `notify_change` -> `setattr_prepare` (`fs/attr.c`), which lets only the
//! file's owner or `CAP_FOWNER` (root) change its mode.

use crate::errno::{Errno, SysResult};
use crate::fs::vfs::S_IFMT;
use crate::kernel::{Kernel, Pid};
use crate::trace::Touch;

/// `S_IALLUGO`: the bits `chmod` may set (permissions, set-id, sticky).
const S_IALLUGO: u32 = 0o7777;

impl Kernel {
    /// `fchmod(fd, mode)`: `EBADF` for a closed fd, `EPERM` unless the
    /// caller owns the file or is root; sets the mode's `S_IALLUGO` bits and
    /// the change time.
    pub fn fchmod(&mut self, pid: Pid, fd: i32, mode: u32) -> SysResult<i32> {
        self.tick();
        self.traced("chmod_common", "fs/open.c", |k| {
            k.chmod_common(pid, fd, mode)
        })
    }

    fn chmod_common(&mut self, pid: Pid, fd: i32, mode: u32) -> SysResult<i32> {
        let file = self.fdget(pid, fd)?;
        let ino = self.files[file].ino;
        let uid = self.task(pid)?.uid;
        self.trace.leaf("setattr_prepare", "fs/attr.c");
        let now = self.now;
        let inode = self.inodes.get_mut(&ino).expect("an open file's inode");
        if uid != 0 && uid != inode.uid {
            return Err(Errno::EPERM);
        }
        inode.mode = (inode.mode & S_IFMT) | (mode & S_IALLUGO);
        inode.ctime = now;
        self.trace.touch(Touch::Inode { ino });
        Ok(0)
    }
}
