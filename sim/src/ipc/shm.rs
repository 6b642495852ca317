//! System V shared memory.
//!
//! Mirrors `ipc/shm.c` (4.14). `shmget` finds or creates a segment: a
//! `struct shmid_kernel` whose `shm_file` is a shmem file `SYSV%08x` on the
//! kernel's internal mount. `shmat` maps that file (each attach through a
//! `struct file` of its own); the page cache, faults, swap-out and swap-in
//! are shmem's, exactly as for `/dev/shm` files. The segment outlives every
//! process (kernel persistence) until `IPC_RMID`, and even then lives until
//! its last detach (`SHM_DEST`).
//!
//! ```text
//!   shm_ids.entries[idx] --> shmid_kernel { perm{key,mode,seq}, nattch, segsz, ... }
//!                                 | shm_file
//!                                 v
//!                           inode "SYSV0000162e" on shm_mnt --> page cache (radix tree)
//!   process VMA (shm_vm_ops) --> struct file (per attach) -----^
//! ```

use crate::errno::{Errno, SysResult};
use crate::fs::vfs::FileKey;
use crate::ipc::util::*;
use crate::kernel::{Kernel, Pid, ShmAttach};
use crate::mm::filemap::CacheEntry;
use crate::mm::page::PAGE_SIZE;
use crate::syscalls::{ShellArgs, ShellOut};
use crate::trace::Touch;
use serde::Serialize;
use std::collections::BTreeMap;

/// `SHM_RDONLY`.
pub const SHM_RDONLY: i32 = 0o10000;
/// `SHM_RND`.
pub const SHM_RND: i32 = 0o20000;
/// `SHM_REMAP`.
pub const SHM_REMAP: i32 = 0o40000;
/// `SHM_EXEC`.
pub const SHM_EXEC: i32 = 0o100000;
/// `SHM_DEST` in `mode`: destroy at the last detach.
pub const SHM_DEST: u32 = 0o1000;
/// `SHM_LOCKED` in `mode`.
pub const SHM_LOCKED: u32 = 0o2000;
/// `SHM_LOCK`.
pub const SHM_LOCK: i32 = 11;
/// `SHM_UNLOCK`.
pub const SHM_UNLOCK: i32 = 12;
/// `SHM_STAT`.
pub const SHM_STAT: i32 = 13;
/// `SHM_INFO`.
pub const SHM_INFO: i32 = 14;
/// `SHM_STAT_ANY` (4.17+): `SHM_STAT` without the read permission check.
pub const SHM_STAT_ANY: i32 = 15;
/// `SHM_HUGETLB`: a segment of huge pages (`shmget` flag).
pub const SHM_HUGETLB: i32 = 0o4000;
/// `SHMMIN`.
pub const SHMMIN: u64 = 1;
/// `SHMMNI` (default `kernel.shmmni`).
pub const SHMMNI: u64 = 4096;
/// `SHMMAX` (default `kernel.shmmax`): `ULONG_MAX - (1UL << 24)`.
pub const SHMMAX: u64 = u64::MAX - (1 << 24);
/// `SHMALL` (default `kernel.shmall`, in pages).
pub const SHMALL: u64 = u64::MAX - (1 << 24);
/// `SHMLBA` on x86: attach addresses are page aligned.
pub const SHMLBA: u64 = PAGE_SIZE;

/// `struct shmid_kernel`.
#[derive(Clone, Debug, Serialize)]
pub struct ShmidKernel {
    /// `shm_perm`.
    pub perm: KernIpcPerm,
    /// `shm_file`: the shmem file on the internal mount.
    #[serde(skip)]
    pub shm_file: FileKey,
    /// The inode of `shm_file`.
    pub ino: u32,
    /// `shm_nattch`.
    pub shm_nattch: u64,
    /// `shm_segsz`: the size asked for, in bytes.
    pub shm_segsz: u64,
    /// `shm_atim`: last attach.
    pub shm_atim: i64,
    /// `shm_dtim`: last detach.
    pub shm_dtim: i64,
    /// `shm_ctim`: creation or last change.
    pub shm_ctim: i64,
    /// `shm_cprid`: the creator's pid.
    pub shm_cprid: Pid,
    /// `shm_lprid`: the pid of the last attach or detach.
    pub shm_lprid: Pid,
    /// `shm_creator`: the creating task while it lives (for `shm_rmid_forced`).
    pub shm_creator: Option<Pid>,
    /// `info->flags & VM_LOCKED` with `shp->mlock_user`: the uid whose
    /// `locked_shm` this `SHM_LOCK`ed segment is charged to.
    pub mlock_user: Option<u32>,
}

/// `struct ipc_ids` for shm, with the namespace's limits (`struct ipc_namespace`).
#[derive(Clone, Debug, Serialize)]
pub struct ShmIds {
    /// `in_use`.
    pub in_use: u32,
    /// `seq`: the next sequence number.
    pub seq: u32,
    /// The idr: index -> segment.
    pub entries: BTreeMap<u32, ShmidKernel>,
    /// `shm_tot`: pages of all segments.
    pub shm_tot: u64,
    /// `kernel.shmmax` (`shm_ctlmax`), bytes.
    pub shm_ctlmax: u64,
    /// `kernel.shmall` (`shm_ctlall`), pages.
    pub shm_ctlall: u64,
    /// `kernel.shmmni` (`shm_ctlmni`).
    pub shm_ctlmni: u64,
    /// `kernel.shm_rmid_forced`.
    pub shm_rmid_forced: bool,
    /// `next_id` (`kernel.shm_next_id`, `CONFIG_CHECKPOINT_RESTORE`): the id
    /// the next segment takes, or -1 (the lowest free index).
    pub next_id: i64,
}

impl Default for ShmIds {
    fn default() -> Self {
        ShmIds {
            in_use: 0,
            seq: 0,
            entries: BTreeMap::new(),
            shm_tot: 0,
            shm_ctlmax: SHMMAX,
            shm_ctlall: SHMALL,
            shm_ctlmni: SHMMNI,
            shm_rmid_forced: false,
            next_id: -1,
        }
    }
}

impl ShmIds {
    /// The segment with `id` (`ipc_obtain_object_check`): `EINVAL` if no
    /// segment has its index or the index now holds another.
    pub fn obtain_check(&self, id: i32) -> SysResult<&ShmidKernel> {
        if id < 0 {
            return Err(Errno::EINVAL);
        }
        let shp = self.entries.get(&ipcid_to_idx(id)).ok_or(Errno::EINVAL)?;
        if shp.perm.seq != ipcid_to_seqx(id) {
            // ipc_checkid failed: -EINVAL since 4.2. EIDRM comes only from a
            // segment caught mid-destruction, which a sequential model never shows.
            return Err(Errno::EINVAL);
        }
        Ok(shp)
    }

    fn get_mut(&mut self, id: i32) -> Option<&mut ShmidKernel> {
        self.entries
            .get_mut(&ipcid_to_idx(id))
            .filter(|s| s.perm.id == id)
    }

    /// `ipc_findkey`.
    pub fn findkey(&self, key: i32) -> Option<&ShmidKernel> {
        self.entries
            .values()
            .find(|s| s.perm.key == key && key != IPC_PRIVATE && !s.perm.deleted)
    }
}

/// What `shmctl(IPC_STAT)` fills in (`struct shmid64_ds`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShmidDs {
    /// `shm_perm.__key`.
    pub key: i32,
    /// `shm_perm.uid`.
    pub uid: u32,
    /// `shm_perm.gid`.
    pub gid: u32,
    /// `shm_perm.cuid`.
    pub cuid: u32,
    /// `shm_perm.cgid`.
    pub cgid: u32,
    /// `shm_perm.mode`.
    pub mode: u32,
    /// `shm_perm.__seq`.
    pub seq: u32,
    /// `shm_segsz`.
    pub shm_segsz: u64,
    /// `shm_atime`.
    pub shm_atime: i64,
    /// `shm_dtime`.
    pub shm_dtime: i64,
    /// `shm_ctime`.
    pub shm_ctime: i64,
    /// `shm_cpid`.
    pub shm_cpid: Pid,
    /// `shm_lpid`.
    pub shm_lpid: Pid,
    /// `shm_nattch`.
    pub shm_nattch: u64,
}

/// What `shmctl(IPC_INFO)` and `shmctl(SHM_INFO)` fill in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum ShmInfo {
    /// `struct shminfo64` (IPC_INFO).
    Limits {
        /// `shmmax`.
        shmmax: u64,
        /// `shmmin`.
        shmmin: u64,
        /// `shmmni`.
        shmmni: u64,
        /// `shmseg`.
        shmseg: u64,
        /// `shmall`.
        shmall: u64,
    },
    /// `struct shm_info` (SHM_INFO).
    Usage {
        /// `used_ids`.
        used_ids: u32,
        /// `shm_tot`: pages of all segments.
        shm_tot: u64,
        /// `shm_rss`: pages in RAM.
        shm_rss: u64,
        /// `shm_swp`: pages in swap.
        shm_swp: u64,
    },
}

/// The result of `shmctl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShmctlResult {
    /// The return value.
    pub ret: i64,
    /// What the call filled in, for `IPC_STAT`/`SHM_STAT`.
    pub ds: Option<ShmidDs>,
    /// What the call filled in, for `IPC_INFO`/`SHM_INFO`.
    pub info: Option<ShmInfo>,
}

impl Kernel {
    /// `shmget(2)` -> `ipcget`.
    pub fn shmget(&mut self, pid: Pid, key: i32, size: u64, shmflg: i32) -> SysResult<i32> {
        self.tick();
        self.traced("sys_shmget", "ipc/shm.c", |k| {
            k.ipcget(pid, key, size, shmflg)
        })
    }

    fn ipcget(&mut self, pid: Pid, key: i32, size: u64, shmflg: i32) -> SysResult<i32> {
        let (uid, gid) = {
            let t = self.task(pid)?;
            (t.uid, t.gid)
        };
        if key == IPC_PRIVATE {
            self.trace.leaf("ipcget_new", "ipc/util.c");
            return self.newseg(pid, key, size, shmflg);
        }
        self.trace.leaf("ipc_findkey", "ipc/util.c");
        match self.shm_ids.findkey(key) {
            None if shmflg & IPC_CREAT == 0 => Err(Errno::ENOENT),
            None => self.newseg(pid, key, size, shmflg),
            Some(_) if shmflg & IPC_CREAT != 0 && shmflg & IPC_EXCL != 0 => Err(Errno::EEXIST),
            Some(shp) => {
                // ipcget_public: ops->more_checks before ipc_check_perms.
                self.trace.leaf("shm_more_checks", "ipc/shm.c");
                if shp.shm_segsz < size {
                    return Err(Errno::EINVAL);
                }
                if !ipcperms(&shp.perm, uid, gid, shmflg as u32 & 0o777) {
                    return Err(Errno::EACCES);
                }
                let id = shp.perm.id;
                // The id goes to the caller: its `shm.NAME.*` appear.
                self.trace.touch(Touch::Shm { id });
                Ok(id)
            }
        }
    }

    /// `newseg`: checks the limits, creates the shmem file `SYSV%08x` on the
    /// internal mount, and adds the segment at the lowest free index
    /// (`ipc_addid`).
    fn newseg(&mut self, pid: Pid, key: i32, size: u64, shmflg: i32) -> SysResult<i32> {
        self.traced("newseg", "ipc/shm.c", |k| {
            let ids = &k.shm_ids;
            let numpages = size.div_ceil(PAGE_SIZE);
            if size < SHMMIN || size > ids.shm_ctlmax {
                return Err(Errno::EINVAL);
            }
            match ids.shm_tot.checked_add(numpages) {
                Some(tot) if tot <= ids.shm_ctlall => {}
                _ => return Err(Errno::ENOSPC),
            }
            if ids.in_use as u64 >= ids.shm_ctlmni.min(IPCMNI as u64) {
                return Err(Errno::ENOSPC);
            }
            if shmflg & SHM_HUGETLB != 0 {
                return Err(k.hugetlb_file_setup(pid));
            }
            // ipc_addid(): idr_alloc() from next_id's index (0 unset).
            let from = if ids.next_id < 0 {
                0
            } else {
                ipcid_to_idx(ids.next_id as i32)
            };
            let idx = (from..IPCMNI)
                .find(|i| !ids.entries.contains_key(i))
                .ok_or(Errno::ENOSPC)?;
            let (uid, gid) = {
                let t = k.task(pid)?;
                (t.uid, t.gid)
            };
            let name = format!("SYSV{:08x}", key as u32);
            let file = k.shmem_kernel_file_setup(pid, &name, size);
            let ino = k.files[file].ino;
            k.trace.leaf("ipc_addid", "ipc/util.c");
            let ids = &mut k.shm_ids;
            let seq = if ids.next_id >= 0 {
                // A set next_id gives its sequence number, once.
                let seq = ipcid_to_seqx(ids.next_id as i32);
                ids.next_id = -1;
                seq
            } else {
                let seq = ids.seq;
                ids.seq = if ids.seq + 1 > IPCID_SEQ_MAX {
                    0
                } else {
                    ids.seq + 1
                };
                seq
            };
            let id = ipc_buildid(idx, seq);
            ids.in_use += 1;
            ids.shm_tot += numpages;
            ids.entries.insert(
                idx,
                ShmidKernel {
                    perm: KernIpcPerm {
                        key,
                        uid,
                        gid,
                        cuid: uid,
                        cgid: gid,
                        mode: shmflg as u32 & 0o777,
                        seq,
                        id,
                        deleted: false,
                    },
                    shm_file: file,
                    ino,
                    shm_nattch: 0,
                    shm_segsz: size,
                    shm_atim: 0,
                    shm_dtim: 0,
                    shm_ctim: k.now,
                    shm_cprid: pid,
                    shm_lprid: 0,
                    shm_creator: Some(pid),
                    mlock_user: None,
                },
            );
            k.trace.touch(Touch::Shm { id });
            Ok(id)
        })
    }

    /// `hugetlb_file_setup` (fs/hugetlbfs/inode.c) for a `SHM_HUGETLB`
    /// segment: without `CAP_IPC_LOCK` or the `vm.hugetlb_shm_group` (gid 0)
    /// it is `EPERM`, as on the host (4.14 still let a size within
    /// `RLIMIT_MEMLOCK` through, with a warning); otherwise no huge pages
    /// are reserved (`vm.nr_hugepages` = 0): `hugetlb_reserve_pages` fails,
    /// `ENOMEM`.
    fn hugetlb_file_setup(&mut self, pid: Pid) -> Errno {
        self.trace
            .leaf("hugetlb_file_setup", "fs/hugetlbfs/inode.c");
        match self.task(pid) {
            Ok(t) if t.uid == 0 || t.gid == 0 => Errno::ENOMEM,
            Ok(_) => Errno::EPERM,
            Err(e) => e,
        }
    }

    /// `shmat(2)` (`do_shmat`): maps the segment's file, shared, at `shmaddr`
    /// (rounded down with `SHM_RND`) or at an address the kernel picks.
    pub fn shmat(&mut self, pid: Pid, shmid: i32, shmaddr: u64, shmflg: i32) -> SysResult<u64> {
        self.tick();
        self.traced("do_shmat", "ipc/shm.c", |k| {
            k.do_shmat(pid, shmid, shmaddr, shmflg)
        })
    }

    fn do_shmat(&mut self, pid: Pid, shmid: i32, shmaddr: u64, shmflg: i32) -> SysResult<u64> {
        use crate::mm::mmap::{map, prot};
        let (uid, gid) = {
            let t = self.task(pid)?;
            (t.uid, t.gid)
        };
        if shmid < 0 {
            return Err(Errno::EINVAL);
        }
        let mut addr = shmaddr;
        let mut flags = map::SHARED;
        if addr != 0 {
            if !addr.is_multiple_of(SHMLBA) {
                if shmflg & SHM_RND == 0 {
                    return Err(Errno::EINVAL);
                }
                addr &= !(SHMLBA - 1);
                if addr == 0 && shmflg & SHM_REMAP != 0 {
                    return Err(Errno::EINVAL);
                }
            }
            flags |= map::FIXED;
        } else if shmflg & SHM_REMAP != 0 {
            return Err(Errno::EINVAL);
        }
        let (mut p, acc, open_flags) = if shmflg & SHM_RDONLY != 0 {
            (prot::READ, 0o444, crate::fs::vfs::o::RDONLY)
        } else {
            (prot::READ | prot::WRITE, 0o666, crate::fs::vfs::o::RDWR)
        };
        if shmflg & SHM_EXEC != 0 {
            p |= prot::EXEC;
        }
        let shp = self.shm_ids.obtain_check(shmid)?;
        if !ipcperms(&shp.perm, uid, gid, acc) {
            return Err(Errno::EACCES);
        }
        if shp.perm.deleted {
            return Err(Errno::EIDRM);
        }
        let (ino, id) = (shp.ino, shp.perm.id);
        let size = self.inodes[&ino].size;
        if addr != 0 && shmflg & SHM_REMAP == 0 {
            let end = addr.saturating_add(size);
            if self.tasks[&pid]
                .mm
                .vmas
                .values()
                .any(|v| v.start < end && addr < v.end)
            {
                return Err(Errno::EINVAL);
            }
        }
        let file = self.alloc_file(ino, open_flags);
        // The temporary attach that keeps the segment alive meanwhile.
        self.shm_ids.get_mut(id).expect("found").shm_nattch += 1;
        let r = self.mmap_file(pid, addr, size, p, flags, file);
        if let Ok(at) = r {
            self.tasks
                .get_mut(&pid)
                .expect("live")
                .mm
                .vmas
                .get_mut(&at)
                .expect("mapped")
                .shm = Some(ShmAttach { shmid: id });
            self.trace.leaf("shm_mmap", "ipc/shm.c");
            self.shm_open(id, pid);
        }
        self.fput(file);
        self.shm_ids
            .get_mut(id)
            .expect("alive while attached")
            .shm_nattch -= 1;
        self.shm_may_destroy_now(id);
        r
    }

    /// `shm_open` (the VMA's open: attach, fork, split): `nattch++`, the
    /// attach time and `shm_lprid` follow.
    pub(crate) fn shm_open(&mut self, shmid: i32, pid: Pid) {
        let now = self.now;
        let shp = self
            .shm_ids
            .get_mut(shmid)
            .expect("invariant: an attached segment exists");
        shp.shm_atim = now;
        shp.shm_lprid = pid;
        shp.shm_nattch += 1;
        self.trace.touch(Touch::Shm { id: shmid });
    }

    /// `shm_close` (munmap, shmdt, exit): `nattch--`; the segment is
    /// destroyed when no attach is left and `SHM_DEST` is set (or
    /// `kernel.shm_rmid_forced`).
    pub(crate) fn shm_close(&mut self, shmid: i32, pid: Pid) {
        self.trace.leaf("shm_close", "ipc/shm.c");
        let now = self.now;
        let shp = self
            .shm_ids
            .get_mut(shmid)
            .expect("invariant: an attached segment exists");
        shp.shm_lprid = pid;
        shp.shm_dtim = now;
        shp.shm_nattch -= 1;
        self.trace.touch(Touch::Shm { id: shmid });
        self.shm_may_destroy_now(shmid);
    }

    /// `shm_may_destroy`, and `shm_destroy` when it says so.
    fn shm_may_destroy_now(&mut self, shmid: i32) {
        let forced = self.shm_ids.shm_rmid_forced;
        if let Some(shp) = self.shm_ids.get_mut(shmid) {
            if shp.shm_nattch == 0 && (forced || shp.perm.mode & SHM_DEST != 0) {
                self.shm_destroy(shmid);
            }
        }
    }

    /// `shm_destroy`: the id is removed (`shm_rmid`), `shm_tot` falls, and
    /// the file is released, freeing the segment's pages and swap.
    fn shm_destroy(&mut self, shmid: i32) {
        self.trace.enter("shm_destroy", "ipc/shm.c");
        let idx = ipcid_to_idx(shmid);
        let shp = self
            .shm_ids
            .entries
            .remove(&idx)
            .expect("destroying a live segment");
        self.trace.touch(Touch::Shm { id: shmid });
        self.shm_ids.in_use -= 1;
        self.shm_ids.shm_tot -= shp.shm_segsz.div_ceil(PAGE_SIZE);
        if shp.perm.mode & SHM_LOCKED != 0 {
            self.shmem_lock(shp.ino, false);
        }
        self.fput(shp.shm_file);
        self.trace.leave();
    }

    /// `shmdt(2)`: unmaps the attach that starts at `shmaddr` (all of its
    /// pieces, if `mprotect` split it).
    pub fn shmdt(&mut self, pid: Pid, shmaddr: u64) -> SysResult<i32> {
        self.tick();
        self.task(pid)?;
        self.traced("sys_shmdt", "ipc/shm.c", |k| {
            if !shmaddr.is_multiple_of(SHMLBA) {
                return Err(Errno::EINVAL);
            }
            // ksys_shmdt: the first shm VMA at or above shmaddr whose
            // offset matches its distance from shmaddr (a fragment left by
            // munmap or mprotect counts) gives the file and the size; then
            // every fragment of that file within the size goes too.
            let matches = |v: &crate::kernel::Vma| {
                v.shm.is_some() && (v.start - shmaddr) / PAGE_SIZE == v.pgoff
            };
            let mm = &k.tasks[&pid].mm;
            let Some(first) = mm
                .vmas
                .range(shmaddr..)
                .map(|(_, v)| v)
                .find(|v| matches(v))
                .cloned()
            else {
                return Err(Errno::EINVAL);
            };
            let ino = k.vma_inode(&first).expect("shm VMAs map a file");
            let size = k.inodes[&ino].size.div_ceil(PAGE_SIZE) * PAGE_SIZE;
            k.do_munmap(pid, first.start, first.end - first.start);
            let pieces: Vec<(u64, u64)> = k.tasks[&pid]
                .mm
                .vmas
                .range(first.end..)
                .map(|(_, v)| v)
                .take_while(|v| v.end - shmaddr <= size)
                .filter(|v| matches(v) && v.file == first.file)
                .map(|v| (v.start, v.end))
                .collect();
            for (s, e) in pieces {
                k.do_munmap(pid, s, e - s);
            }
            Ok(0)
        })
    }

    /// `shmctl(2)`.
    pub fn shmctl(
        &mut self,
        pid: Pid,
        shmid: i32,
        cmd: i32,
        set: Option<(u32, u32, u32)>,
    ) -> SysResult<ShmctlResult> {
        self.tick();
        self.traced("sys_shmctl", "ipc/shm.c", |k| {
            k.do_shmctl(pid, shmid, cmd, set)
        })
    }

    fn do_shmctl(
        &mut self,
        pid: Pid,
        shmid: i32,
        cmd: i32,
        set: Option<(u32, u32, u32)>,
    ) -> SysResult<ShmctlResult> {
        let (uid, gid) = {
            let t = self.task(pid)?;
            (t.uid, t.gid)
        };
        // ksys_shmctl: `if (cmd < 0 || shmid < 0) return -EINVAL;` first.
        if cmd < 0 || shmid < 0 {
            return Err(Errno::EINVAL);
        }
        let maxid = self
            .shm_ids
            .entries
            .keys()
            .next_back()
            .map_or(0, |&i| i as i64);
        let plain = |ret| ShmctlResult {
            ret,
            ds: None,
            info: None,
        };
        match cmd {
            IPC_INFO => {
                let ids = &self.shm_ids;
                Ok(ShmctlResult {
                    ret: maxid,
                    ds: None,
                    info: Some(ShmInfo::Limits {
                        shmmax: ids.shm_ctlmax,
                        shmmin: SHMMIN,
                        shmmni: ids.shm_ctlmni,
                        shmseg: ids.shm_ctlmni,
                        shmall: ids.shm_ctlall,
                    }),
                })
            }
            SHM_INFO => {
                let (rss, swp) = self.shm_ids.entries.values().fold((0, 0), |(r, s), shp| {
                    let inode = &self.inodes[&shp.ino];
                    (
                        r + inode.mapping.nrpages,
                        s + inode.shmem().map_or(0, |i| i.swapped),
                    )
                });
                Ok(ShmctlResult {
                    ret: maxid,
                    ds: None,
                    info: Some(ShmInfo::Usage {
                        used_ids: self.shm_ids.in_use,
                        shm_tot: self.shm_ids.shm_tot,
                        shm_rss: rss,
                        shm_swp: swp,
                    }),
                })
            }
            // SHM_STAT_ANY arrived in 4.17 (shmctl_stat()); before, the
            // command is unknown: EINVAL.
            SHM_STAT_ANY if !self.cfg.release.at_least(4, 17) => Err(Errno::EINVAL),
            IPC_STAT | SHM_STAT | SHM_STAT_ANY => {
                let shp = if cmd != IPC_STAT {
                    self.shm_ids
                        .entries
                        .get(&(shmid as u32))
                        .ok_or(Errno::EINVAL)?
                } else {
                    self.shm_ids.obtain_check(shmid)?
                };
                if cmd != SHM_STAT_ANY && !ipcperms(&shp.perm, uid, gid, 0o444) {
                    return Err(Errno::EACCES);
                }
                let ds = ShmidDs {
                    key: shp.perm.key,
                    uid: shp.perm.uid,
                    gid: shp.perm.gid,
                    cuid: shp.perm.cuid,
                    cgid: shp.perm.cgid,
                    mode: shp.perm.mode,
                    seq: shp.perm.seq,
                    shm_segsz: shp.shm_segsz,
                    shm_atime: shp.shm_atim,
                    shm_dtime: shp.shm_dtim,
                    shm_ctime: shp.shm_ctim,
                    shm_cpid: shp.shm_cprid,
                    shm_lpid: shp.shm_lprid,
                    shm_nattch: shp.shm_nattch,
                };
                let ret = if cmd != IPC_STAT {
                    shp.perm.id as i64
                } else {
                    0
                };
                Ok(ShmctlResult {
                    ret,
                    ds: Some(ds),
                    info: None,
                })
            }
            IPC_SET | IPC_RMID => {
                let shp = self.shm_ids.obtain_check(shmid)?;
                // ipcctl_pre_down_nolock: owner, creator or CAP_SYS_ADMIN.
                if uid != 0 && uid != shp.perm.uid && uid != shp.perm.cuid {
                    return Err(Errno::EPERM);
                }
                let id = shp.perm.id;
                if cmd == IPC_SET {
                    let (nuid, ngid, nmode) = set.ok_or(Errno::EFAULT)?;
                    // ipc_update_perm: an invalid uid or gid (-1) is EINVAL.
                    if nuid == u32::MAX || ngid == u32::MAX {
                        return Err(Errno::EINVAL);
                    }
                    let now = self.now;
                    let shp = self.shm_ids.get_mut(id).expect("found");
                    shp.perm.uid = nuid;
                    shp.perm.gid = ngid;
                    shp.perm.mode = (shp.perm.mode & !0o777) | (nmode & 0o777);
                    shp.shm_ctim = now;
                    self.trace.touch(Touch::Shm { id });
                } else {
                    self.trace.leaf("do_shm_rmid", "ipc/shm.c");
                    let shp = self.shm_ids.get_mut(id).expect("found");
                    if shp.shm_nattch > 0 {
                        shp.perm.mode |= SHM_DEST;
                        // ipc_set_key_private: the key is free for a new segment.
                        shp.perm.key = IPC_PRIVATE;
                        self.trace.touch(Touch::Shm { id });
                    } else {
                        self.shm_destroy(id);
                    }
                }
                Ok(plain(0))
            }
            SHM_LOCK | SHM_UNLOCK => {
                let shp = self.shm_ids.obtain_check(shmid)?;
                if uid != 0 && uid != shp.perm.uid && uid != shp.perm.cuid {
                    return Err(Errno::EPERM);
                }
                let (id, ino) = (shp.perm.id, shp.ino);
                let lock = cmd == SHM_LOCK;
                let limit = self.task(pid)?.rlim.cur(crate::sys::rlimit::MEMLOCK);
                if lock && uid != 0 && limit == 0 {
                    return Err(Errno::EPERM);
                }
                if lock && shp.mlock_user.is_none() {
                    self.user_shm_lock(uid, limit, shp.shm_segsz)?;
                }
                let shp = self.shm_ids.get_mut(id).expect("found");
                if lock {
                    shp.perm.mode |= SHM_LOCKED;
                    shp.mlock_user.get_or_insert(uid);
                } else {
                    shp.perm.mode &= !SHM_LOCKED;
                    shp.mlock_user = None;
                }
                self.shmem_lock(ino, lock);
                Ok(plain(0))
            }
            _ => Err(Errno::EINVAL),
        }
    }

    /// `user_shm_lock` (mm/mlock.c), from `shmem_lock`: without
    /// `CAP_IPC_LOCK` (root), the pages `uid` has `SHM_LOCK`ed already plus
    /// this segment's must fit the caller's `RLIMIT_MEMLOCK` (`limit`
    /// bytes), else `ENOMEM`.
    fn user_shm_lock(&self, uid: u32, limit: u64, size: u64) -> SysResult<()> {
        if uid == 0 {
            return Ok(());
        }
        let locked: u64 = self
            .shm_ids
            .entries
            .values()
            .filter(|s| s.mlock_user == Some(uid))
            .map(|s| s.shm_segsz.div_ceil(PAGE_SIZE))
            .sum();
        if limit != crate::sys::rlimit::INFINITY
            && locked + size.div_ceil(PAGE_SIZE) > limit / PAGE_SIZE
        {
            return Err(Errno::ENOMEM);
        }
        Ok(())
    }

    /// `shmem_lock`: a locked segment's pages are never swapped out; unlocking
    /// makes them evictable again (`shmem_unlock_mapping` ->
    /// `check_move_unevictable_pages`).
    fn shmem_lock(&mut self, ino: u32, lock: bool) {
        self.trace.leaf("shmem_lock", "mm/shmem.c");
        self.inodes
            .get_mut(&ino)
            .expect("live")
            .shmem_mut()
            .expect("shmem")
            .locked = lock;
        if !lock {
            let pages: Vec<_> = self.inodes[&ino]
                .mapping
                .i_pages
                .iter()
                .filter_map(|(_, e)| match e {
                    CacheEntry::Page(p) => Some(p),
                    CacheEntry::Swap(_) => None,
                })
                .collect();
            for pfn in pages {
                self.putback_evictable(pfn);
            }
        }
    }

    /// `exit_shm`: the exiting task's segments are orphaned; with
    /// `kernel.shm_rmid_forced` those no one has attached are destroyed.
    pub(crate) fn exit_shm(&mut self, pid: Pid) {
        let forced = self.shm_ids.shm_rmid_forced;
        let mine: Vec<i32> = self
            .shm_ids
            .entries
            .values()
            .filter(|s| s.shm_creator == Some(pid))
            .map(|s| s.perm.id)
            .collect();
        for id in mine {
            self.shm_ids.get_mut(id).expect("listed").shm_creator = None;
            if forced {
                self.shm_may_destroy_now(id);
            }
        }
    }

    /// Sets a sysctl: `kernel.shmmax`, `kernel.shmall`, `kernel.shmmni`,
    /// `kernel.shm_rmid_forced` (setting it to 1 destroys orphaned, unattached
    /// segments: `shm_destroy_orphaned`), `kernel.shm_next_id` (the next
    /// `shmget` takes that id: `ipc_addid`), `vm.max_map_count` (the VMAs a
    /// process may have: `mmap`, and `munmap`/`mprotect`/`mlock` splits past it are
    /// `ENOMEM`), and `vm.swappiness` (0 keeps
    /// reclaim off the anon lists while file pages remain, as `get_scan_count`
    /// does for global reclaim).
    pub fn sysctl(&mut self, name: &str, value: u64) -> SysResult<i32> {
        self.tick();
        match name {
            "kernel.shmmax" => self.shm_ids.shm_ctlmax = value,
            "kernel.shmall" => self.shm_ids.shm_ctlall = value,
            "kernel.shmmni" => {
                if value > IPCMNI as u64 {
                    return Err(Errno::EINVAL);
                }
                self.shm_ids.shm_ctlmni = value
            }
            "kernel.shm_rmid_forced" => {
                if value > 1 {
                    return Err(Errno::EINVAL);
                }
                self.shm_ids.shm_rmid_forced = value == 1;
                if value == 1 {
                    self.trace.leaf("shm_destroy_orphaned", "ipc/shm.c");
                    let orphans: Vec<i32> = self
                        .shm_ids
                        .entries
                        .values()
                        .filter(|s| s.shm_creator.is_none())
                        .map(|s| s.perm.id)
                        .collect();
                    for id in orphans {
                        self.shm_may_destroy_now(id);
                    }
                }
            }
            "kernel.shm_next_id" => {
                // proc_ipc_dointvec_minmax: 0 to INT_MAX (-1 reads back unset).
                if value > i32::MAX as u64 {
                    return Err(Errno::EINVAL);
                }
                self.shm_ids.next_id = value as i64;
            }
            "vm.max_map_count" => {
                // proc_dointvec_minmax, extra1 = SYSCTL_ZERO.
                if value > i32::MAX as u64 {
                    return Err(Errno::EINVAL);
                }
                self.max_map_count = value;
            }
            "vm.swappiness" => {
                if value > 200 {
                    return Err(Errno::EINVAL);
                }
                self.swappiness = value as u32;
            }
            _ => return Err(Errno::ENOENT),
        }
        Ok(0)
    }
}

/// The machine step `sysctl(name, value)` (`sysctl -w name=value`): 0, or
/// the errno a write to the `/proc/sys` file gives ([`Kernel::sysctl`]).
pub fn sysctl(k: &mut Kernel, a: &ShellArgs) -> ShellOut {
    ShellOut::of(k.sysctl(a.text(0), a.u64(1)))
}
