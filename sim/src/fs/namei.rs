//! The shell's `rm PATH` (coreutils: `unlink(2)`), as root types it: the
//! machine step `rm("/dev/shm/a")`.
//!
//! Mirrors `do_unlinkat` (`fs/namei.c`) for a caller with every capability:
//! no permission or sticky-directory check stops root, so only a missing
//! name (`ENOENT`), a path through a file (`ENOTDIR`) and a directory
//! (`EISDIR`: `rm` without `-r` does not remove one) remain; the unlink
//! itself is the one `unlink(2)` makes ([`Kernel::vfs_unlink`]).

use crate::errno::{Errno, SysResult};
use crate::fs::vfs::normalize_path;
use crate::kernel::Kernel;
use crate::syscalls::{ShellArgs, ShellOut};

impl Kernel {
    /// `rm PATH` as root: `unlink(2)` without a process.
    pub fn rm(&mut self, path: &str) -> SysResult<i32> {
        self.tick();
        self.traced("do_unlinkat", "fs/namei.c", |k| k.do_rm(path))
    }

    fn do_rm(&mut self, path: &str) -> SysResult<i32> {
        let path = normalize_path(path)?;
        let parent = match path.rfind('/') {
            Some(0) | None => "/",
            Some(i) => &path[..i],
        };
        let &dir = self.dentries.get(parent).ok_or(Errno::ENOENT)?;
        if !self.inodes[&dir].is_dir() {
            return Err(Errno::ENOTDIR);
        }
        let &ino = self.dentries.get(&path).ok_or(Errno::ENOENT)?;
        if self.inodes[&ino].is_dir() {
            return Err(Errno::EISDIR);
        }
        self.vfs_unlink(&path, ino);
        Ok(0)
    }
}

/// What `rm` prints for a failed unlink (`rm: cannot remove 'PATH': ...`).
pub fn rm_message(path: &str, e: Errno) -> String {
    format!("rm: cannot remove '{path}': {}\n", e.strerror())
}

/// The machine step `rm(PATH)`: 0, or `rm`'s message and exit status 1.
pub fn rm(k: &mut Kernel, a: &ShellArgs) -> ShellOut {
    let path = a.text(0);
    match k.rm(path) {
        Ok(_) => ShellOut::Ret(0),
        Err(e) => ShellOut::Printed {
            text: rm_message(path, e),
            status: 1,
        },
    }
}
