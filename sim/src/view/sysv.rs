//! The System V shared memory table.
//!
//! Mirrors `shm_ids` (`struct ipc_ids`, `ipc/util.c`) and each
//! `struct shmid_kernel` (`ipc/shm.c`): key, owner, mode (with `SHM_DEST`
//! = 01000), size, `shm_nattch`, `shm_cprid`/`shm_lprid`, and the shmem file
//! `SYSV%08x` behind it.

use crate::ipc::shm::{ShmidKernel, SHM_DEST, SHM_LOCKED};
use crate::kernel::Kernel;
use serde::Serialize;

/// One segment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SegmentRow {
    /// `shm_perm.id`.
    pub shmid: i32,
    /// `shm_perm.key` (0 once `IPC_RMID` made it private).
    pub key: i32,
    /// `shm_perm.uid`.
    pub uid: u32,
    /// `shm_perm.cuid`.
    pub cuid: u32,
    /// `shm_perm.mode`, with `SHM_DEST` and `SHM_LOCKED`.
    pub mode: u32,
    /// `shm_segsz`.
    pub size: u64,
    /// `shm_nattch`.
    pub nattch: u64,
    /// `SHM_DEST`: destroyed at the last detach.
    pub dest: bool,
    /// `SHM_LOCKED`.
    pub locked: bool,
    /// `shm_cprid`.
    pub cpid: u32,
    /// `shm_lprid`.
    pub lpid: u32,
    /// The backing file as `d_path` gives it (`/SYSV0000162e (deleted)`).
    pub file: String,
    /// Its inode.
    pub ino: u32,
}

/// The `shmid_kernel` table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SysvView {
    /// By index in the idr.
    pub segments: Vec<SegmentRow>,
}

impl SysvView {
    /// The view of `k`'s segments.
    pub fn of(k: &Kernel) -> SysvView {
        SysvView {
            segments: k.shm_ids.entries.values().map(|s| segment(k, s)).collect(),
        }
    }
}

fn segment(k: &Kernel, s: &ShmidKernel) -> SegmentRow {
    SegmentRow {
        shmid: s.perm.id,
        key: s.perm.key,
        uid: s.perm.uid,
        cuid: s.perm.cuid,
        mode: s.perm.mode,
        size: s.shm_segsz,
        nattch: s.shm_nattch,
        dest: s.perm.mode & SHM_DEST != 0,
        locked: s.perm.mode & SHM_LOCKED != 0,
        cpid: s.shm_cprid,
        lpid: s.shm_lprid,
        file: if k.inodes.contains_key(&s.ino) {
            k.d_path(s.ino)
        } else {
            String::new()
        },
        ino: s.ino,
    }
}
