//! Credentials, the umask, resource limits and sleeping.
//!
//! Mirrors `kernel/sys.c` (4.14): `SYSCALL_DEFINE1(setuid)`,
//! `SYSCALL_DEFINE3(setresuid)` (glibc's `seteuid` is `setresuid(-1, euid,
//! -1)`), `SYSCALL_DEFINE1(umask)`, `do_prlimit`; the limits a process starts
//! with are `INIT_RLIMITS` (`include/asm-generic/resource.h`) as `fork_init`
//! (`kernel/fork.c`) completes them; and `kernel/time/hrtimer.c`'s
//! `nanosleep`, which glibc's `sleep` calls.
//!
//! The model keeps one credential per process: the effective uid
//! ([`Task::uid`](crate::kernel::Task::uid), which is also `fsuid`, the one
//! permission checks use), the real uid and the saved set-user-id. Holding
//! `CAP_SETUID`, `CAP_SYS_RESOURCE` and the other capabilities is being
//! effective uid 0, as it is for a process that gained them from uid 0
//! (`cap_emulate_setxuid` in `security/commoncap.c`).

use crate::errno::{Errno, SysResult};
use crate::kernel::{Config, Kernel, Pid};
use crate::mm::page::PAGE_SIZE;
use serde::Serialize;

/// `RLIMIT_*` (`include/uapi/asm-generic/resource.h`).
pub mod rlimit {
    /// `RLIMIT_STACK`.
    pub const STACK: usize = 3;
    /// `RLIMIT_CORE`.
    pub const CORE: usize = 4;
    /// `RLIMIT_NPROC`.
    pub const NPROC: usize = 6;
    /// `RLIMIT_NOFILE`: one more than the highest descriptor `open` may return.
    pub const NOFILE: usize = 7;
    /// `RLIMIT_MEMLOCK`: how many bytes a process without `CAP_IPC_LOCK` may lock.
    pub const MEMLOCK: usize = 8;
    /// `RLIMIT_SIGPENDING`.
    pub const SIGPENDING: usize = 11;
    /// `RLIMIT_MSGQUEUE`.
    pub const MSGQUEUE: usize = 12;
    /// `RLIMIT_NICE`.
    pub const NICE: usize = 13;
    /// `RLIMIT_RTPRIO`.
    pub const RTPRIO: usize = 14;
    /// `RLIM_NLIMITS`.
    pub const NLIMITS: usize = 16;
    /// `RLIM_INFINITY`.
    pub const INFINITY: u64 = u64::MAX;
}

/// `sysctl_nr_open` (`fs/file.c`): the highest `RLIMIT_NOFILE` anyone may set.
pub const NR_OPEN: u64 = 1 << 20;

/// One limit (`struct rlimit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Rlimit {
    /// `rlim_cur`: the soft limit, the one the kernel enforces.
    pub cur: u64,
    /// `rlim_max`: the hard limit, the ceiling of the soft one.
    pub max: u64,
}

/// A process's limits (`signal->rlim[RLIM_NLIMITS]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Rlimits(pub [Rlimit; rlimit::NLIMITS]);

impl Rlimits {
    /// `INIT_RLIMITS`, with `RLIMIT_NPROC` and `RLIMIT_SIGPENDING` set as
    /// `fork_init` sets them from the machine's memory (half of
    /// `max_threads`, one 16 KiB kernel stack per eighth of RAM), the
    /// machine's `RLIMIT_NOFILE` and its era's `RLIMIT_MEMLOCK`.
    pub fn boot(cfg: &Config) -> Rlimits {
        use rlimit::*;
        let inf = Rlimit {
            cur: INFINITY,
            max: INFINITY,
        };
        let both = |n: u64| Rlimit { cur: n, max: n };
        let mut r = [inf; NLIMITS];
        let max_threads = (cfg.ram_bytes / PAGE_SIZE / 32).clamp(20, 0x3fff_ffff);
        r[STACK] = Rlimit {
            cur: 8 << 20,
            max: INFINITY,
        };
        r[CORE] = Rlimit {
            cur: 0,
            max: INFINITY,
        };
        r[NPROC] = both(max_threads / 2);
        r[NOFILE] = Rlimit {
            cur: u64::from(cfg.nofile),
            max: u64::from(cfg.nofile).max(4096),
        };
        r[MEMLOCK] = both(cfg.release.mlock_limit());
        r[SIGPENDING] = both(max_threads / 2);
        r[MSGQUEUE] = both(819_200);
        r[NICE] = both(0);
        r[RTPRIO] = both(0);
        Rlimits(r)
    }

    /// The soft limit of `resource`.
    pub fn cur(&self, resource: usize) -> u64 {
        self.0[resource].cur
    }
}

/// `uid_valid`: `(uid_t) -1` names no user.
fn uid_valid(uid: u32) -> SysResult<u32> {
    if uid == u32::MAX {
        Err(Errno::EINVAL)
    } else {
        Ok(uid)
    }
}

impl Kernel {
    /// `umask(2)`: sets the mask to `mask & 0777`; returns the old one.
    pub fn umask(&mut self, pid: Pid, mask: u32) -> SysResult<u32> {
        self.tick();
        self.trace.leaf("sys_umask", "kernel/sys.c");
        let task = self.task_mut(pid)?;
        Ok(std::mem::replace(&mut task.umask, mask & 0o777))
    }

    /// `setuid(2)`: with `CAP_SETUID` (effective uid 0) every uid becomes
    /// `uid`; without it, only the effective uid, and only back to the real
    /// uid or the saved set-user-id (`EPERM` otherwise).
    pub fn setuid(&mut self, pid: Pid, uid: u32) -> SysResult<i32> {
        self.tick();
        self.trace.leaf("sys_setuid", "kernel/sys.c");
        let uid = uid_valid(uid)?;
        let task = self.task_mut(pid)?;
        if task.uid == 0 {
            (task.ruid, task.suid) = (uid, uid);
        } else if uid != task.ruid && uid != task.suid {
            return Err(Errno::EPERM);
        }
        task.uid = uid;
        Ok(0)
    }

    /// glibc's `seteuid(euid)`: `EINVAL` for -1, else `setresuid(-1, euid,
    /// -1)`: without `CAP_SETUID` the new effective uid must be the real,
    /// effective or saved one (`EPERM`).
    pub fn seteuid(&mut self, pid: Pid, euid: u32) -> SysResult<i32> {
        self.tick();
        self.trace.leaf("sys_setresuid", "kernel/sys.c");
        let euid = uid_valid(euid)?;
        let task = self.task_mut(pid)?;
        if task.uid != 0 && ![task.ruid, task.uid, task.suid].contains(&euid) {
            return Err(Errno::EPERM);
        }
        task.uid = euid;
        Ok(0)
    }

    /// `setrlimit(2)` (`do_prlimit`): `EINVAL` for an unknown resource or
    /// a soft limit above the hard one; `EPERM` for `RLIMIT_NOFILE` above
    /// `nr_open`, or for raising a hard limit without `CAP_SYS_RESOURCE`.
    pub fn setrlimit(&mut self, pid: Pid, resource: u32, cur: u64, max: u64) -> SysResult<i32> {
        self.tick();
        self.trace.leaf("do_prlimit", "kernel/sys.c");
        let r = resource as usize;
        if r >= rlimit::NLIMITS || cur > max {
            return Err(Errno::EINVAL);
        }
        if r == rlimit::NOFILE && max > NR_OPEN {
            return Err(Errno::EPERM);
        }
        let task = self.task_mut(pid)?;
        if max > task.rlim.0[r].max && task.uid != 0 {
            return Err(Errno::EPERM);
        }
        task.rlim.0[r] = Rlimit { cur, max };
        Ok(0)
    }

    /// glibc's `sleep(seconds)` (`nanosleep`): the model's clock moves on
    /// `seconds`; nothing interrupts it, so it returns 0.
    pub fn sleep(&mut self, pid: Pid, seconds: u32) -> SysResult<u32> {
        self.task(pid)?;
        self.trace
            .leaf("hrtimer_nanosleep", "kernel/time/hrtimer.c");
        self.now += i64::from(seconds);
        Ok(0)
    }
}
