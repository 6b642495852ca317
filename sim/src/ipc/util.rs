//! IPC identifiers and permissions.
//!
//! Mirrors `ipc/util.c` (4.14): `struct ipc_ids` (`in_use`, `seq`, an idr of
//! entries), `ipc_addid` (the lowest free index), `ipc_buildid`
//! (`id = SEQ_MULTIPLIER * seq + idx`), `ipc_findkey`, `ipcperms`.
//!
//! How 6.x differs: since 4.17 the sequence number is shifted by
//! `ipcmni_seq_shift()` (15 bits, or 24 with `ipcmni_extend`), and the host
//! kernels the CI runs on hand out ids 1, 2, 3, ... that are never reused
//! soon; the model keeps 4.14's formula, so its first three segments get 0,
//! 32769, 65538. Scenarios compare ids by what they name, never by number.

use serde::Serialize;

/// `IPCMNI` = `SEQ_MULTIPLIER` in 4.14: indexes are below it.
pub const IPCMNI: u32 = 32768;
/// `IPCID_SEQ_MAX`: `INT_MAX / SEQ_MULTIPLIER`.
pub const IPCID_SEQ_MAX: u32 = i32::MAX as u32 / IPCMNI;

/// `IPC_PRIVATE`.
pub const IPC_PRIVATE: i32 = 0;
/// `IPC_CREAT`.
pub const IPC_CREAT: i32 = 0o1000;
/// `IPC_EXCL`.
pub const IPC_EXCL: i32 = 0o2000;
/// `IPC_NOWAIT`.
pub const IPC_NOWAIT: i32 = 0o4000;
/// `IPC_RMID`.
pub const IPC_RMID: i32 = 0;
/// `IPC_SET`.
pub const IPC_SET: i32 = 1;
/// `IPC_STAT`.
pub const IPC_STAT: i32 = 2;
/// `IPC_INFO`.
pub const IPC_INFO: i32 = 3;

/// `struct kern_ipc_perm`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KernIpcPerm {
    /// `key` (0 = `IPC_PRIVATE`, also after `IPC_RMID` with attaches left).
    pub key: i32,
    /// `uid`: the owner.
    pub uid: u32,
    /// `gid`.
    pub gid: u32,
    /// `cuid`: the creator.
    pub cuid: u32,
    /// `cgid`.
    pub cgid: u32,
    /// `mode`: permission bits plus `SHM_DEST` (01000) and `SHM_LOCKED` (02000).
    pub mode: u32,
    /// `seq`: the sequence number the id was built from.
    pub seq: u32,
    /// `id`.
    pub id: i32,
    /// `deleted`: removed, only references keep it.
    pub deleted: bool,
}

/// `ipc_buildid`.
pub fn ipc_buildid(idx: u32, seq: u32) -> i32 {
    (IPCMNI * seq + idx) as i32
}

/// `ipcid_to_idx`.
pub fn ipcid_to_idx(id: i32) -> u32 {
    id as u32 % IPCMNI
}

/// `ipcid_to_seqx`.
pub fn ipcid_to_seqx(id: i32) -> u32 {
    id as u32 / IPCMNI
}

/// `ipcperms`: may a process with `uid`/`gid` (root: `CAP_IPC_OWNER`) do
/// what `flag`'s low nine bits ask (any of user/group/other bits spelling
/// read 4 and write 2)?
pub fn ipcperms(perm: &KernIpcPerm, uid: u32, gid: u32, flag: u32) -> bool {
    let requested = (flag >> 6) | (flag >> 3) | flag;
    let mut granted = perm.mode;
    if uid == perm.cuid || uid == perm.uid {
        granted >>= 6;
    } else if gid == perm.cgid || gid == perm.gid {
        granted >>= 3;
    }
    requested & !granted & 0o7 == 0 || uid == 0
}
