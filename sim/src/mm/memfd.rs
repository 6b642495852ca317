//! `memfd_create(2)` and file seals.
//!
//! Mirrors `mm/shmem.c` of 4.14 (`SYSCALL_DEFINE2(memfd_create)`,
//! `shmem_add_seals`, `shmem_get_seals`, `shmem_fcntl`; they moved to
//! `mm/memfd.c` in 4.18) with the checks `shmem_setattr` and
//! `shmem_write_begin` make of the seals, and `mapping_map_writable` /
//! `mapping_deny_writable` (`include/linux/fs.h`), which `mmap_region` and
//! `F_SEAL_WRITE` use.
//!
//! A memfd is a shmem file on the kernel's internal mount named
//! `memfd:NAME` (`/proc/PID/maps` shows `/memfd:NAME (deleted)`): the same
//! page cache, swap and `Shmem` accounting as any tmpfs file, with no path.

use crate::errno::{Errno, SysResult};
use crate::fs::vfs::InodeKind;
use crate::kernel::{vm, Kernel, Pid};
use crate::mm::page::PAGE_SIZE;

/// `F_SEAL_*` (`include/uapi/linux/fcntl.h`).
pub mod seal {
    /// `F_SEAL_SEAL`: no more seals.
    pub const SEAL: u32 = 0x0001;
    /// `F_SEAL_SHRINK`: the file may not shrink.
    pub const SHRINK: u32 = 0x0002;
    /// `F_SEAL_GROW`: the file may not grow.
    pub const GROW: u32 = 0x0004;
    /// `F_SEAL_WRITE`: no writes, no writable shared mappings.
    pub const WRITE: u32 = 0x0008;
    /// `F_SEAL_FUTURE_WRITE` (5.1): no new writes; mappings that exist stay.
    pub const FUTURE_WRITE: u32 = 0x0010;
    /// `F_SEAL_EXEC` (6.3): the file's exec bits stay as they are.
    pub const EXEC: u32 = 0x0020;
}

/// `MFD_*` (`include/uapi/linux/memfd.h`).
pub mod mfd {
    /// `MFD_CLOEXEC`.
    pub const CLOEXEC: u32 = 0x0001;
    /// `MFD_ALLOW_SEALING`.
    pub const ALLOW_SEALING: u32 = 0x0002;
    /// `MFD_HUGETLB`: a hugetlbfs file (not modelled: the model has no huge pages).
    pub const HUGETLB: u32 = 0x0004;
    /// `MFD_NOEXEC_SEAL` (6.3): mode 0666 and `F_SEAL_EXEC`, sealable.
    pub const NOEXEC_SEAL: u32 = 0x0008;
    /// `MFD_EXEC` (6.3): executable, as before 6.3.
    pub const EXEC: u32 = 0x0010;
}

/// `MFD_NAME_MAX_LEN`: `NAME_MAX` less `memfd:`.
const MFD_NAME_MAX_LEN: usize = 255 - 6;

impl Kernel {
    /// `memfd_create(name, flags)`: `EINVAL` for flags the era does not
    /// know (`MFD_HUGETLB` too: the model has no huge pages), for both
    /// `MFD_EXEC` and `MFD_NOEXEC_SEAL`, or a name of more than 249 bytes;
    /// `EMFILE` past `RLIMIT_NOFILE`. The new file is
    /// empty, open read-write, and sealable only with `MFD_ALLOW_SEALING`.
    pub fn memfd_create(&mut self, pid: Pid, name: &[u8], flags: u32) -> SysResult<i32> {
        self.tick();
        self.task(pid)?;
        self.traced("sys_memfd_create", "mm/shmem.c", |k| {
            let mut known = mfd::CLOEXEC | mfd::ALLOW_SEALING;
            if k.cfg.release.at_least(6, 3) {
                known |= mfd::NOEXEC_SEAL | mfd::EXEC;
            }
            let both = mfd::NOEXEC_SEAL | mfd::EXEC;
            if flags & !known != 0 || flags & both == both {
                return Err(Errno::EINVAL);
            }
            let end = name.iter().position(|&c| c == 0).unwrap_or(name.len());
            if end > MFD_NAME_MAX_LEN {
                return Err(Errno::EINVAL);
            }
            k.get_unused_fd_flags(pid)?;
            let name = format!("memfd:{}", String::from_utf8_lossy(&name[..end]));
            let file = k.shmem_kernel_file_setup(pid, &name, 0);
            let ino = k.files[file].ino;
            // `file->f_flags |= O_RDWR | O_LARGEFILE`.
            k.files[file].flags |= crate::fs::vfs::o::LARGEFILE;
            if flags & (mfd::ALLOW_SEALING | mfd::NOEXEC_SEAL) != 0 {
                k.shmem_info_mut(ino).seals &= !seal::SEAL;
            }
            if flags & mfd::NOEXEC_SEAL != 0 {
                // memfd_create since 6.3: no exec bits, sealed so.
                k.shmem_info_mut(ino).seals |= seal::EXEC;
                let inode = k.inodes.get_mut(&ino).expect("new");
                inode.mode &= !0o111;
            }
            k.fd_install_flags(pid, file, flags & mfd::CLOEXEC != 0)
        })
    }

    fn shmem_info_mut(&mut self, ino: u32) -> &mut crate::fs::vfs::ShmemInfo {
        self.inodes
            .get_mut(&ino)
            .and_then(|i| i.shmem_mut())
            .expect("a shmem inode")
    }

    /// The seals of `ino`, or `None` for a file that is not shmem.
    pub(crate) fn seals_of(&self, ino: u32) -> Option<u32> {
        match &self.inodes[&ino].kind {
            InodeKind::Shmem(info) => Some(info.seals),
            _ => None,
        }
    }

    /// The seals the scenario's era knows (`F_ALL_SEALS`).
    fn all_seals(&self) -> u32 {
        let mut all = seal::SEAL | seal::SHRINK | seal::GROW | seal::WRITE;
        if self.cfg.release.at_least(5, 1) {
            all |= seal::FUTURE_WRITE;
        }
        if self.cfg.release.at_least(6, 3) {
            all |= seal::EXEC;
        }
        all
    }

    /// `i_mmap_writable > 0`: a shared mapping that can write maps `ino`
    /// (`VM_SHARED`, which before 6.7 every `MAP_SHARED` mapping of a
    /// file open for writing has, `PROT_READ` or not; from 6.7 only those
    /// that may write, `vma_is_shared_maywrite`).
    fn mapped_writable(&self, ino: u32) -> bool {
        let may = if self.cfg.release.at_least(6, 7) {
            vm::SHARED | vm::MAYWRITE
        } else {
            vm::SHARED
        };
        self.tasks.values().any(|t| {
            t.mm.vmas
                .values()
                .any(|v| v.flags & may == may && v.file.is_some_and(|f| self.files[f].ino == ino))
        })
    }

    /// `F_GET_SEALS`: `EINVAL` on a file that is not shmem.
    pub(crate) fn shmem_get_seals(&self, ino: u32) -> SysResult<u32> {
        self.seals_of(ino).ok_or(Errno::EINVAL)
    }

    /// `shmem_add_seals`: `EINVAL` on a file that is not shmem or for an
    /// unknown seal, `EPERM` if the file is not open for writing or is
    /// sealed against more seals, `EBUSY` for `F_SEAL_WRITE` while a
    /// writable shared mapping exists.
    pub(crate) fn shmem_add_seals(
        &mut self,
        ino: u32,
        writable: bool,
        seals: u32,
    ) -> SysResult<i32> {
        self.trace.leaf("shmem_add_seals", "mm/shmem.c");
        let have = self.seals_of(ino).ok_or(Errno::EINVAL)?;
        if !writable {
            return Err(Errno::EPERM);
        }
        if seals & !self.all_seals() != 0 {
            return Err(Errno::EINVAL);
        }
        if have & seal::SEAL != 0 {
            return Err(Errno::EPERM);
        }
        if seals & seal::WRITE != 0 && have & seal::WRITE == 0 && self.mapped_writable(ino) {
            // mapping_deny_writable
            return Err(Errno::EBUSY);
        }
        self.shmem_info_mut(ino).seals |= seals;
        Ok(0)
    }

    /// `shmem_setattr`: a sealed file may not shrink or grow (`EPERM`).
    pub(crate) fn shmem_check_resize(&self, ino: u32, size: u64) -> SysResult<()> {
        let Some(seals) = self.seals_of(ino) else {
            return Ok(());
        };
        let old = self.inodes[&ino].size;
        if (size < old && seals & seal::SHRINK != 0) || (size > old && seals & seal::GROW != 0) {
            return Err(Errno::EPERM);
        }
        Ok(())
    }

    /// `shmem_write_begin`, page by page as `generic_perform_write` calls
    /// it: how many of `len` bytes at `pos` may be written. None into a
    /// write-sealed file (`EPERM`); into a grow-sealed one, the pages that
    /// end within the file (a short write), `EPERM` if not even the first.
    pub(crate) fn shmem_write_len(&self, ino: u32, pos: u64, len: u64) -> SysResult<u64> {
        let Some(seals) = self.seals_of(ino) else {
            return Ok(len);
        };
        if seals & (seal::WRITE | seal::FUTURE_WRITE) != 0 {
            return Err(Errno::EPERM);
        }
        if seals & seal::GROW == 0 {
            return Ok(len);
        }
        let (size, end) = (self.inodes[&ino].size, pos.saturating_add(len));
        let mut at = pos;
        while at < end {
            let chunk_end = ((at / PAGE_SIZE + 1) * PAGE_SIZE).min(end);
            if chunk_end > size {
                break;
            }
            at = chunk_end;
        }
        match at - pos {
            0 if len > 0 => Err(Errno::EPERM),
            n => Ok(n),
        }
    }

    /// `mapping_map_writable` from `mmap_region`, and the seal checks of
    /// `shmem_mmap`: a write-sealed file takes no new shared mapping that
    /// could write (`EPERM`). From 6.7 (`memfd_check_seals_mmap`) a
    /// read-only shared mapping of it is allowed and loses `VM_MAYWRITE`,
    /// so `mprotect` cannot make it writable. Returns the mapping's flags.
    pub(crate) fn seals_allow_mmap(&self, ino: u32, vm_flags: u32) -> SysResult<u32> {
        let Some(seals) = self.seals_of(ino) else {
            return Ok(vm_flags);
        };
        let sealed = seals & (seal::WRITE | seal::FUTURE_WRITE) != 0;
        let shared_ro = vm_flags & (vm::SHARED | vm::WRITE) == vm::SHARED;
        if sealed && vm_flags & (vm::SHARED | vm::WRITE) == vm::SHARED | vm::WRITE {
            return Err(Errno::EPERM);
        }
        if sealed && shared_ro && self.cfg.release.at_least(6, 7) {
            return Ok(vm_flags & !vm::MAYWRITE);
        }
        if seals & seal::WRITE != 0 && vm_flags & vm::SHARED != 0 {
            return Err(Errno::EPERM);
        }
        Ok(vm_flags)
    }
}
