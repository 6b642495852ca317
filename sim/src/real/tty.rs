//! The login terminal a real run's workers get on descriptors 0, 1 and 2.
//!
//! Not a kernel file. The model's processes start with fds 0-2 on one open
//! file of the terminal `/dev/pts/0` (`Kernel::reserve_std_fds`; the boot
//! inode in `fs/vfs.rs`: a character device of the student's, group `tty`,
//! mode 0620), as a program run from a login shell has. So that a real run
//! sees the same thing (`fstat(0)`, `fchmod(0, ...)`, `write(1, ...)`), the
//! driver opens a pseudo-terminal pair (`posix_openpt`, `grantpt`,
//! `unlockpt`, `ptsname`: rustix's `pty`), gives the slave the model's
//! owner, group and mode (as login(1) gives a terminal to its user), and
//! every worker gets the slave dup'd onto 0, 1 and 2 (a worker's fork
//! inherits them, as the model's fork does).
//!
//! Two settings make it answer as the model's terminal, on which no one
//! types and whose output no one reads:
//! - a thread of the driver drains the master, so that what a scenario
//!   writes to fd 1 or 2 never blocks the worker (a pty buffers a few KiB);
//! - the line discipline is non-canonical with `VMIN` = `VTIME` = 0, so that
//!   a `read` with nothing typed returns 0 at once, the model's end of file.
//!
//! When the run ends the driver closes its slave and stops the thread,
//! which closes the master: the kernel then removes `/dev/pts/N`.

use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
use rustix::termios::{tcgetattr, tcsetattr, LocalModes, OptionalActions, SpecialCodeIndex};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// A terminal of the run's: the slave the workers get, and the thread
/// that drains the master.
pub(crate) struct Terminal {
    slave: Option<OwnedFd>,
    stop: Arc<AtomicBool>,
    drain: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Terminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Terminal")
            .field("slave", &self.slave)
            .finish()
    }
}

/// How often the draining thread looks whether the run has ended.
const POLL_MS: i32 = 20;

impl Terminal {
    /// A new pair whose slave is `(uid, gid)`'s with `mode` (the permission
    /// bits of the model's terminal). Ownership is given only as root; a
    /// driver that is not keeps the slave its own, as the workers are.
    pub(crate) fn open(uid: u32, gid: u32, mode: u32, root: bool) -> rustix::io::Result<Terminal> {
        let flags = OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC;
        let master = openpt(flags)?;
        grantpt(&master)?;
        unlockpt(&master)?;
        let name = ptsname(&master, Vec::new())?;
        let oflags =
            rustix::fs::OFlags::RDWR | rustix::fs::OFlags::NOCTTY | rustix::fs::OFlags::CLOEXEC;
        let slave = rustix::fs::open(&*name, oflags, rustix::fs::Mode::empty())?;
        let mut t = tcgetattr(&slave)?;
        t.local_modes.remove(LocalModes::ICANON);
        t.special_codes[SpecialCodeIndex::VMIN] = 0;
        t.special_codes[SpecialCodeIndex::VTIME] = 0;
        tcsetattr(&slave, OptionalActions::Now, &t)?;
        if root {
            use rustix::fs::{Gid, Uid};
            rustix::fs::fchown(&slave, Some(Uid::from_raw(uid)), Some(Gid::from_raw(gid)))?;
        }
        rustix::fs::fchmod(&slave, rustix::fs::Mode::from_raw_mode(mode))?;
        rustix::io::ioctl_fionbio(&master, true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let drain = std::thread::Builder::new()
            .name("shmsim-tty".into())
            .spawn(move || drain(master, &flag))
            .map_err(|_| rustix::io::Errno::AGAIN)?;
        Ok(Terminal {
            slave: Some(slave),
            stop,
            drain: Some(drain),
        })
    }

    /// The slave, for a new worker to dup onto 0-2.
    pub(crate) fn slave(&self) -> Option<BorrowedFd<'_>> {
        self.slave.as_ref().map(AsFd::as_fd)
    }

    /// Closes the driver's slave and stops the thread, which closes the
    /// master (the workers are gone by then: the guard has ended them).
    pub(crate) fn close(&mut self) {
        self.slave = None;
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.drain.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.close();
    }
}

/// Reads and drops what the workers write, until the run ends (`stop`) or
/// no slave is left (`EIO`).
fn drain(master: OwnedFd, stop: &AtomicBool) {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    use rustix::io::Errno;
    let mut buf = vec![0u8; 64 << 10];
    let timeout = Timespec {
        tv_sec: 0,
        tv_nsec: i64::from(POLL_MS) * 1_000_000,
    };
    loop {
        match rustix::io::read(&master, &mut buf) {
            Ok(n) if n > 0 => continue,
            Err(Errno::INTR) => continue,
            Err(Errno::AGAIN) => {}
            _ => return,
        }
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let mut fds = [PollFd::new(&master, PollFlags::IN)];
        let _ = poll(&mut fds, Some(&timeout));
    }
}
