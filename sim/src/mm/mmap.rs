//! Mappings: `mmap`, `munmap`, `mprotect`, `msync`.
//!
//! Mirrors `mm/mmap.c` (`do_mmap`, `mmap_region`, `vma_merge`, `__split_vma`,
//! `do_munmap`, `arch_get_unmapped_area_topdown` via `vm_unmapped_area`),
//! `mm/mprotect.c` (`mprotect_fixup`, `change_protection`), `mm/msync.c`,
//! and `arch/x86/kernel/sys_x86_64.c` (`sys_mmap`).
//!
//! Addresses are chosen top-down from [`MMAP_BASE`], as x86_64 does with
//! `mmap_base` below the stack: the first free gap, searching downwards,
//! that is large enough.
//!
//! [`MMAP_BASE`]: crate::kernel::MMAP_BASE

use crate::errno::{Errno, SysResult};
use crate::fs::vfs::{FileKey, InodeKind};
use crate::kernel::{vm, Kernel, Pid, Pte, Vma};
use crate::mm::page::PAGE_SIZE;
use crate::trace::Touch;

/// `PROT_*` (`include/uapi/asm-generic/mman-common.h`).
pub mod prot {
    /// `PROT_NONE`.
    pub const NONE: u32 = 0;
    /// `PROT_READ`.
    pub const READ: u32 = 1;
    /// `PROT_WRITE`.
    pub const WRITE: u32 = 2;
    /// `PROT_EXEC`.
    pub const EXEC: u32 = 4;
}

/// `MAP_*` (x86_64).
pub mod map {
    /// `MAP_SHARED`.
    pub const SHARED: u32 = 0x01;
    /// `MAP_PRIVATE`.
    pub const PRIVATE: u32 = 0x02;
    /// `MAP_SHARED_VALIDATE` (4.15+).
    pub const SHARED_VALIDATE: u32 = 0x03;
    /// `MAP_TYPE`.
    pub const TYPE: u32 = 0x0f;
    /// `MAP_FIXED`.
    pub const FIXED: u32 = 0x10;
    /// `MAP_ANONYMOUS`.
    pub const ANONYMOUS: u32 = 0x20;
    /// `MAP_LOCKED`.
    pub const LOCKED: u32 = 0x2000;
    /// `MAP_NORESERVE`.
    pub const NORESERVE: u32 = 0x4000;
    /// `MAP_POPULATE`.
    pub const POPULATE: u32 = 0x8000;
    /// `MAP_HUGETLB`.
    pub const HUGETLB: u32 = 0x40000;
    /// `MAP_FIXED_NOREPLACE` (4.17+).
    pub const FIXED_NOREPLACE: u32 = 0x100000;
    /// `MAP_DROPPABLE` (6.11+): a mapping type, private anonymous memory
    /// the kernel may drop under pressure (the model never drops it).
    pub const DROPPABLE: u32 = 0x08;
    /// `MAP_32BIT` (x86_64): below 2 GiB.
    pub const BIT32: u32 = 0x40;
    /// `MAP_ABOVE4G` (x86_64, 6.6+).
    pub const ABOVE4G: u32 = 0x80;
    /// `MAP_GROWSDOWN`: a stack-like VMA. The model maps it as a plain
    /// anonymous mapping (it does not grow on a fault below it).
    pub const GROWSDOWN: u32 = 0x0100;
    /// `MAP_HUGE_SHIFT`: `MAP_HUGE_*` is the huge page size's log2 here.
    pub const HUGE_SHIFT: u32 = 26;
    /// `MAP_HUGE_MASK`.
    pub const HUGE_MASK: u32 = 0x3f;
    /// `LEGACY_MAP_MASK` (`include/linux/mman.h`, 4.15+): the flags every
    /// file's `mmap` supports; `MAP_SHARED_VALIDATE` refuses any other bit
    /// with `EOPNOTSUPP` (`MAP_SYNC` is for DAX files only, and the model
    /// has none). `MAP_SHARED`, `MAP_PRIVATE`, `MAP_FIXED`, `MAP_ANONYMOUS`,
    /// `MAP_DENYWRITE`, `MAP_EXECUTABLE`, `MAP_UNINITIALIZED`,
    /// `MAP_GROWSDOWN`, `MAP_LOCKED`, `MAP_NORESERVE`, `MAP_POPULATE`,
    /// `MAP_NONBLOCK`, `MAP_STACK`, `MAP_HUGETLB`, and since their fixes
    /// `MAP_32BIT` and every `MAP_HUGE_*` (`MAP_ABOVE4G` from 6.6, added by
    /// [`Kernel`]'s check).
    pub const LEGACY_MAP_MASK: u32 = 0x01
        | BIT32
        | HUGE_MASK << HUGE_SHIFT
        | 0x02
        | FIXED
        | ANONYMOUS
        | 0x0800
        | 0x1000
        | 0x0400_0000
        | 0x0100
        | LOCKED
        | NORESERVE
        | POPULATE
        | 0x0001_0000
        | 0x0002_0000
        | HUGETLB;
}

/// `MS_*` for `msync`.
pub mod ms {
    /// `MS_ASYNC`.
    pub const ASYNC: u32 = 1;
    /// `MS_INVALIDATE`.
    pub const INVALIDATE: u32 = 2;
    /// `MS_SYNC`.
    pub const SYNC: u32 = 4;
}

/// `TASK_SIZE` on x86_64 with 4-level page tables.
pub const TASK_SIZE: u64 = 0x7fff_ffff_f000;
/// `mmap_min_addr`: the lowest address a mapping may take.
pub const MMAP_MIN_ADDR: u64 = 0x10000;

fn page_align(len: u64) -> Option<u64> {
    len.checked_add(PAGE_SIZE - 1).map(|l| l & !(PAGE_SIZE - 1))
}

/// `calc_vm_prot_bits`.
fn calc_vm_prot_bits(p: u32) -> u32 {
    let mut f = 0;
    if p & prot::READ != 0 {
        f |= vm::READ;
    }
    if p & prot::WRITE != 0 {
        f |= vm::WRITE;
    }
    if p & prot::EXEC != 0 {
        f |= vm::EXEC;
    }
    f
}

impl Kernel {
    /// `mmap(2)`: maps `len` bytes of the file behind `fd` (or anonymous
    /// memory) and returns the address.
    #[allow(clippy::too_many_arguments)]
    pub fn mmap(
        &mut self,
        pid: Pid,
        addr: u64,
        len: u64,
        prot: u32,
        flags: u32,
        fd: i32,
        off: i64,
    ) -> SysResult<u64> {
        self.tick();
        self.traced("sys_mmap_pgoff", "mm/mmap.c", |k| {
            k.do_mmap(pid, addr, len, prot, flags, fd, off)
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn do_mmap(
        &mut self,
        pid: Pid,
        addr: u64,
        len: u64,
        prot: u32,
        flags: u32,
        fd: i32,
        off: i64,
    ) -> SysResult<u64> {
        self.task(pid)?;
        // arch/x86/kernel/sys_x86_64.c: sys_mmap(): `off & ~PAGE_MASK`.
        if !(off as u64).is_multiple_of(PAGE_SIZE) {
            return Err(Errno::EINVAL);
        }
        // mm/mmap.c: ksys_mmap_pgoff(): the file first, then MAP_HUGETLB.
        let file = if flags & map::ANONYMOUS == 0 {
            let f = self.fdget(pid, fd)?;
            if flags & map::HUGETLB != 0 {
                // Not a hugetlbfs file (the model has none).
                return Err(Errno::EINVAL);
            }
            Some(f)
        } else {
            if flags & map::HUGETLB != 0 {
                // hstate_sizelog(): MAP_HUGE_2MB and MAP_HUGE_1GB are the
                // x86_64 sizes (1 GiB with pdpe1gb); any other is EINVAL.
                let log = (flags >> map::HUGE_SHIFT) & map::HUGE_MASK;
                if ![0, 21, 30].contains(&log) {
                    return Err(Errno::EINVAL);
                }
                // hugetlb_file_setup(): no huge pages are reserved
                // (vm.nr_hugepages = 0), so hugetlb_reserve_pages() fails.
                self.trace
                    .leaf("hugetlb_file_setup", "fs/hugetlbfs/inode.c");
                return Err(Errno::ENOMEM);
            }
            None
        };
        // file_mmap_ok() (mm/mmap.c): an offset past MAX_LFS_FILESIZE.
        if file.is_some() && off < 0 {
            return Err(Errno::EOVERFLOW);
        }
        self.traced("do_mmap", "mm/mmap.c", |k| {
            k.do_mmap_inner(pid, addr, len, prot, flags, file, off as u64 / PAGE_SIZE)
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn do_mmap_inner(
        &mut self,
        pid: Pid,
        addr: u64,
        len: u64,
        prot: u32,
        flags: u32,
        file: Option<FileKey>,
        pgoff: u64,
    ) -> SysResult<u64> {
        // do_mmap() does not check `prot` for unknown bits (mprotect does):
        // calc_vm_prot_bits() ignores them.
        if len == 0 {
            return Err(Errno::EINVAL);
        }
        let len = page_align(len)
            .filter(|&l| l <= TASK_SIZE)
            .ok_or(Errno::ENOMEM)?;
        if pgoff.checked_add(len / PAGE_SIZE).is_none() {
            return Err(Errno::EOVERFLOW);
        }
        // do_mmap(): `mm->map_count > sysctl_max_map_count` (vm.max_map_count).
        if self.tasks[&pid].mm.vmas.len() as u64 > self.max_map_count {
            return Err(Errno::ENOMEM);
        }
        let fixed = flags & (map::FIXED | map::FIXED_NOREPLACE) != 0;
        let low = flags & map::BIT32 != 0;
        let addr = self.get_unmapped_area(pid, addr, len, fixed, low)?;
        if flags & map::FIXED_NOREPLACE != 0 && self.range_mapped(pid, addr, addr + len) {
            return Err(Errno::EEXIST);
        }
        // mm->def_flags: VM_LOCKED (and VM_LOCKONFAULT) after mlockall(MCL_FUTURE).
        let mut vm_flags = calc_vm_prot_bits(prot)
            | self.task(pid)?.mm.def_flags
            | vm::MAYREAD
            | vm::MAYWRITE
            | vm::MAYEXEC;
        if flags & map::LOCKED != 0 {
            if !self.can_do_mlock(pid)? {
                return Err(Errno::EPERM);
            }
            vm_flags |= vm::LOCKED;
        }
        self.mlock_future_check(pid, vm_flags, len)?;
        let mut pgoff = pgoff;
        let mut file = file;
        match file {
            Some(f) => {
                let (readable, writable, ino) = {
                    let file = &self.files[f];
                    (file.readable(), file.writable(), file.ino)
                };
                let mut mask = map::LEGACY_MAP_MASK;
                if self.cfg.release.at_least(6, 6) {
                    mask |= map::ABOVE4G;
                }
                // MAP_SHARED_VALIDATE (4.15) is taken in every release, as
                // the book's "same in every release" says.
                if flags & map::TYPE == map::SHARED_VALIDATE && flags & !mask != 0 {
                    return Err(Errno::EOPNOTSUPP);
                }
                match flags & map::TYPE {
                    map::SHARED | map::SHARED_VALIDATE => {
                        if prot & prot::WRITE != 0 && !writable {
                            return Err(Errno::EACCES);
                        }
                        vm_flags |= vm::SHARED | vm::MAYSHARE;
                        if !writable {
                            vm_flags &= !(vm::MAYWRITE | vm::SHARED);
                        }
                    }
                    map::PRIVATE => {}
                    _ => return Err(Errno::EINVAL),
                }
                if !readable {
                    return Err(Errno::EACCES);
                }
                // do_mmap(): a file mapping cannot grow down.
                if flags & map::GROWSDOWN != 0 {
                    return Err(Errno::EINVAL);
                }
                match self.inodes[&ino].kind {
                    InodeKind::Dir | InodeKind::Tty => return Err(Errno::ENODEV),
                    InodeKind::Zero => {
                        // drivers/char/mem.c: mmap_zero(): a shared mapping
                        // is shmem (shmem_zero_setup, in mmap_region), a
                        // private one anonymous memory.
                        self.trace.leaf("mmap_zero", "drivers/char/mem.c");
                        file = None;
                        if vm_flags & vm::SHARED == 0 {
                            pgoff = addr / PAGE_SIZE;
                        }
                    }
                    _ => {}
                }
            }
            // Anonymous memory knows MAP_SHARED, MAP_PRIVATE and (6.11+)
            // MAP_DROPPABLE: MAP_SHARED_VALIDATE is EINVAL here.
            None => match flags & map::TYPE {
                map::SHARED => {
                    if flags & map::GROWSDOWN != 0 {
                        return Err(Errno::EINVAL);
                    }
                    vm_flags |= vm::SHARED | vm::MAYSHARE;
                    pgoff = 0;
                }
                map::DROPPABLE if self.cfg.release.at_least(6, 11) => {
                    // A locked or stack area cannot be droppable. VM_DROPPABLE
                    // and VM_WIPEONFORK are not modelled: it stays private
                    // anonymous memory that is never dropped.
                    if flags & (map::LOCKED | map::GROWSDOWN) != 0 {
                        return Err(Errno::EINVAL);
                    }
                    vm_flags |= vm::NORESERVE;
                    pgoff = addr / PAGE_SIZE;
                }
                map::PRIVATE => pgoff = addr / PAGE_SIZE,
                _ => return Err(Errno::EINVAL),
            },
        }
        if flags & map::NORESERVE != 0 {
            vm_flags |= vm::NORESERVE;
        } else if vm_flags & (vm::SHARED | vm::WRITE) == vm::WRITE {
            // accountable_mapping(): private writable memory is charged.
            vm_flags |= vm::ACCOUNT;
        }
        if let Some(f) = file {
            vm_flags = self.seals_allow_mmap(self.files[f].ino, vm_flags)?;
        }
        self.mmap_region(pid, file, addr, len, vm_flags, pgoff);
        // do_mmap(): VM_LOCKED, or MAP_POPULATE without MAP_NONBLOCK, sets
        // `*populate`, and vm_mmap_pgoff() calls mm_populate().
        if vm_flags & (vm::LOCKED | vm::LOCKONFAULT) == vm::LOCKED || flags & map::POPULATE != 0 {
            self.mm_populate(pid, addr, addr + len, true)?;
        }
        Ok(addr)
    }

    /// `mlock_future_check` (mm/mmap.c): a locked mapping plus what the
    /// process has locked already must fit `RLIMIT_MEMLOCK` without
    /// `CAP_IPC_LOCK` (root): `EAGAIN`.
    fn mlock_future_check(&self, pid: Pid, vm_flags: u32, len: u64) -> SysResult<()> {
        if vm_flags & vm::LOCKED == 0 {
            return Ok(());
        }
        let task = self.task(pid)?;
        let limit = task.rlim.cur(crate::sys::rlimit::MEMLOCK) / PAGE_SIZE;
        if task.uid != 0 && task.mm.locked_vm() + len / PAGE_SIZE > limit {
            return Err(Errno::EAGAIN);
        }
        Ok(())
    }

    fn mmap_region(
        &mut self,
        pid: Pid,
        file: Option<FileKey>,
        addr: u64,
        len: u64,
        vm_flags: u32,
        pgoff: u64,
    ) {
        self.trace.enter("mmap_region", "mm/mmap.c");
        self.do_munmap(pid, addr, len);
        let shared_anon = file.is_none() && vm_flags & vm::SHARED != 0;
        let mut vma = Vma {
            start: addr,
            end: addr + len,
            flags: vm_flags,
            pgoff,
            file,
            anon_vma: None,
            shm: None,
        };
        match file {
            Some(f) => {
                self.get_file(f);
                let ino = self.files[f].ino;
                if self.inodes[&ino].shmem().is_some() {
                    self.trace.leaf("shmem_mmap", "mm/shmem.c");
                } else {
                    self.trace.leaf("ext4_file_mmap", "fs/ext4/file.c");
                }
            }
            None if shared_anon => vma.file = Some(self.shmem_zero_setup(pid, len)),
            None => {}
        }
        self.insert_vma(pid, vma);
        self.trace.leave();
    }

    /// Inserts a VMA, merging it with its neighbours where `vma_merge` would.
    pub(crate) fn insert_vma(&mut self, pid: Pid, vma: Vma) {
        let start = vma.start;
        self.touch_vma(pid, &vma);
        self.tasks
            .get_mut(&pid)
            .expect("live")
            .mm
            .vmas
            .insert(start, vma);
        self.try_merge(pid, start);
    }

    /// Can `b` (just above) be merged into `a`? (`is_mergeable_vma`,
    /// `is_mergeable_anon_vma`, contiguous `vm_pgoff`.)
    fn can_merge(&self, a: &Vma, b: &Vma) -> bool {
        a.end == b.start
            && a.flags == b.flags
            && a.file == b.file
            && a.shm.is_none()
            && b.shm.is_none()
            && a.pgoff + a.pages() == b.pgoff
            && (a.anon_vma.is_none() || b.anon_vma.is_none() || a.anon_vma == b.anon_vma)
    }

    /// Merges the VMA at `start` with its previous and next neighbours.
    pub(crate) fn try_merge(&mut self, pid: Pid, start: u64) -> u64 {
        let mut start = start;
        let mm = &self.tasks[&pid].mm;
        let cur = mm.vmas[&start].clone();
        if let Some(prev) = mm.vmas.range(..start).next_back().map(|(_, v)| v.clone()) {
            if self.can_merge(&prev, &cur) {
                self.trace.leaf("vma_merge", "mm/mmap.c");
                let mm = &mut self.tasks.get_mut(&pid).expect("live").mm;
                mm.vmas.remove(&start);
                let p = mm.vmas.get_mut(&prev.start).expect("prev");
                p.end = cur.end;
                p.anon_vma = p.anon_vma.or(cur.anon_vma);
                if let Some(f) = cur.file {
                    self.fput(f);
                }
                start = prev.start;
            }
        }
        let mm = &self.tasks[&pid].mm;
        let cur = mm.vmas[&start].clone();
        if let Some(next) = mm.vmas.range(start + 1..).next().map(|(_, v)| v.clone()) {
            if self.can_merge(&cur, &next) {
                self.trace.leaf("vma_merge", "mm/mmap.c");
                let mm = &mut self.tasks.get_mut(&pid).expect("live").mm;
                mm.vmas.remove(&next.start);
                let c = mm.vmas.get_mut(&start).expect("cur");
                c.end = next.end;
                c.anon_vma = c.anon_vma.or(next.anon_vma);
                if let Some(f) = next.file {
                    self.fput(f);
                }
            }
        }
        start
    }

    fn range_mapped(&self, pid: Pid, start: u64, end: u64) -> bool {
        self.tasks[&pid]
            .mm
            .vmas
            .values()
            .any(|v| v.start < end && start < v.end)
    }

    /// `get_unmapped_area` -> `arch_get_unmapped_area_topdown`: a fixed
    /// address as given (if aligned), a free hint as given, else the highest
    /// free gap below `mmap_base` that fits (`vm_unmapped_area`). With
    /// `MAP_32BIT` (`low`), the lowest free gap in [1 GiB, 2 GiB)
    /// (`find_start_end`, bottom-up; the host randomizes the start), and a
    /// hint only there.
    pub(crate) fn get_unmapped_area(
        &mut self,
        pid: Pid,
        addr: u64,
        len: u64,
        fixed: bool,
        low: bool,
    ) -> SysResult<u64> {
        self.trace.leaf(
            "arch_get_unmapped_area_topdown",
            "arch/x86/kernel/sys_x86_64.c",
        );
        if len > TASK_SIZE {
            return Err(Errno::ENOMEM);
        }
        if fixed {
            if !addr.is_multiple_of(PAGE_SIZE) || addr > TASK_SIZE - len {
                return Err(if !addr.is_multiple_of(PAGE_SIZE) {
                    Errno::EINVAL
                } else {
                    Errno::ENOMEM
                });
            }
            return Ok(addr);
        }
        if low {
            const BEGIN: u64 = 0x4000_0000;
            const END: u64 = 0x8000_0000;
            let mm = &self.tasks[&pid].mm;
            if addr != 0 {
                let hint = page_align(addr).unwrap_or(0);
                if hint >= MMAP_MIN_ADDR
                    && hint.checked_add(len).is_some_and(|e| e <= END)
                    && !self.range_mapped(pid, hint, hint + len)
                {
                    return Ok(hint);
                }
            }
            let mut at = BEGIN;
            for vma in mm.vmas.values() {
                if vma.end <= at {
                    continue;
                }
                if vma.start >= at + len {
                    break;
                }
                at = vma.end;
            }
            return if at + len <= END {
                Ok(at)
            } else {
                Err(Errno::ENOMEM)
            };
        }
        if addr != 0 {
            let hint = page_align(addr).unwrap_or(0);
            if hint >= MMAP_MIN_ADDR
                && hint <= TASK_SIZE - len
                && !self.range_mapped(pid, hint, hint + len)
            {
                return Ok(hint);
            }
        }
        let mm = &self.tasks[&pid].mm;
        let mut gap_end = mm.mmap_base;
        for vma in mm.vmas.values().rev() {
            if vma.start >= gap_end {
                gap_end = gap_end.min(vma.start);
                continue;
            }
            if vma.end <= gap_end && gap_end - vma.end >= len {
                return Ok(gap_end - len);
            }
            gap_end = gap_end.min(vma.start);
        }
        if gap_end >= MMAP_MIN_ADDR + len {
            return Ok(gap_end - len);
        }
        Err(Errno::ENOMEM)
    }

    /// Splits the VMA containing `at` so that a VMA starts at `at` (`__split_vma`).
    pub(crate) fn split_vma(&mut self, pid: Pid, at: u64) {
        let mm = &self.tasks[&pid].mm;
        let Some(vma) = mm.vma_at(at).cloned() else {
            return;
        };
        if vma.start == at {
            return;
        }
        self.trace.leaf("__split_vma", "mm/mmap.c");
        let mut upper = vma.clone();
        upper.start = at;
        upper.pgoff = vma.pgoff + (at - vma.start) / PAGE_SIZE;
        if let Some(f) = upper.file {
            self.get_file(f);
        }
        if let Some(attach) = upper.shm {
            self.shm_open(attach.shmid, pid);
        }
        let mm = &mut self.tasks.get_mut(&pid).expect("live").mm;
        mm.vmas.get_mut(&vma.start).expect("vma").end = at;
        mm.vmas.insert(at, upper);
    }

    /// Removes every VMA in `[start, start + len)` (splitting at the edges),
    /// with its page-table entries (`do_munmap` -> `unmap_region`, `remove_vma`).
    pub(crate) fn do_munmap(&mut self, pid: Pid, start: u64, len: u64) {
        let end = start + len;
        if !self.range_mapped(pid, start, end) {
            return;
        }
        self.trace.enter("do_munmap", "mm/mmap.c");
        self.split_vma(pid, start);
        self.split_vma(pid, end);
        let victims: Vec<u64> = self.tasks[&pid]
            .mm
            .vmas
            .range(start..end)
            .map(|(&s, _)| s)
            .collect();
        for s in victims {
            let vma = self
                .tasks
                .get_mut(&pid)
                .expect("live")
                .mm
                .vmas
                .remove(&s)
                .expect("vma");
            self.zap_page_range(pid, vma.start, vma.end);
            self.remove_vma(pid, vma);
        }
        self.trace.leave();
    }

    /// `remove_vma`: `vm_ops->close` (System V's `shm_close`) and `fput`.
    pub(crate) fn remove_vma(&mut self, pid: Pid, vma: Vma) {
        self.touch_vma(pid, &vma);
        if let Some(attach) = vma.shm {
            self.shm_close(attach.shmid, pid);
        }
        if let Some(f) = vma.file {
            self.fput(f);
        }
    }

    /// Records that `pid`'s VMA `vma` was made, changed or removed.
    pub(crate) fn touch_vma(&mut self, pid: Pid, vma: &Vma) {
        self.trace.touch(Touch::Vma {
            pid,
            start: vma.start / PAGE_SIZE,
            end: vma.end.div_ceil(PAGE_SIZE),
        });
    }

    /// `munmap(2)`.
    pub fn munmap(&mut self, pid: Pid, addr: u64, len: u64) -> SysResult<i32> {
        self.tick();
        self.task(pid)?;
        if !addr.is_multiple_of(PAGE_SIZE) || addr > TASK_SIZE || len > TASK_SIZE - addr {
            return Err(Errno::EINVAL);
        }
        let len = page_align(len).ok_or(Errno::EINVAL)?;
        if len == 0 {
            return Err(Errno::EINVAL);
        }
        // do_munmap(): a hole in the middle of one VMA makes one more VMA,
        // refused at `vm.max_map_count`.
        let mm = &self.tasks[&pid].mm;
        if let Some(v) = mm.vma_at(addr) {
            if v.start < addr && addr + len < v.end && mm.vmas.len() as u64 >= self.max_map_count {
                return Err(Errno::ENOMEM);
            }
        }
        self.trace.enter("__vm_munmap", "mm/mmap.c");
        self.do_munmap(pid, addr, len);
        self.trace.leave();
        Ok(0)
    }

    /// `mprotect(2)` (`do_mprotect_pkey` -> `mprotect_fixup` -> `change_protection`).
    pub fn mprotect(&mut self, pid: Pid, start: u64, len: u64, prot: u32) -> SysResult<i32> {
        self.tick();
        self.task(pid)?;
        self.traced("do_mprotect_pkey", "mm/mprotect.c", |k| {
            k.do_mprotect(pid, start, len, prot)
        })
    }

    fn do_mprotect(&mut self, pid: Pid, start: u64, len: u64, prot: u32) -> SysResult<i32> {
        if !start.is_multiple_of(PAGE_SIZE) {
            return Err(Errno::EINVAL);
        }
        if prot & !(prot::READ | prot::WRITE | prot::EXEC) != 0 {
            return Err(Errno::EINVAL);
        }
        if len == 0 {
            return Ok(0);
        }
        let len = page_align(len).ok_or(Errno::ENOMEM)?;
        let end = start.checked_add(len).ok_or(Errno::ENOMEM)?;
        let mut at = start;
        let mm = &self.tasks[&pid].mm;
        if mm.vma_at(start).is_none() {
            return Err(Errno::ENOMEM);
        }
        while at < end {
            let Some(vma) = self.tasks[&pid].mm.vma_at(at).cloned() else {
                return Err(Errno::ENOMEM);
            };
            let newflags =
                (vma.flags & !(vm::READ | vm::WRITE | vm::EXEC)) | calc_vm_prot_bits(prot);
            if (newflags & !(newflags >> 4)) & (vm::READ | vm::WRITE | vm::EXEC) != 0 {
                return Err(Errno::EACCES);
            }
            let seg_end = vma.end.min(end);
            // split_vma(): `mm->map_count >= sysctl_max_map_count` is ENOMEM.
            let splits = (at > vma.start) as u64 + (seg_end < vma.end) as u64;
            if newflags != vma.flags
                && splits > 0
                && self.tasks[&pid].mm.vmas.len() as u64 + splits > self.max_map_count
            {
                return Err(Errno::ENOMEM);
            }
            self.trace.leaf("mprotect_fixup", "mm/mprotect.c");
            self.split_vma(pid, at);
            self.split_vma(pid, seg_end);
            let mm = &mut self.tasks.get_mut(&pid).expect("live").mm;
            let v = mm.vmas.get_mut(&at).expect("split vma");
            v.flags = newflags;
            let v = v.clone();
            self.change_protection(pid, &v);
            let merged = self.try_merge(pid, at);
            let merged_end = self.tasks[&pid].mm.vmas[&merged].end;
            at = seg_end.min(merged_end).max(seg_end);
        }
        Ok(0)
    }

    /// `change_protection`: PTEs of a VMA follow its new protection. A PTE
    /// loses write permission with `VM_WRITE`; it gains it only where
    /// `vm_page_prot` is writable (shared, no write notify), or for a dirty
    /// page of a write-notify mapping. Private mappings stay read-only so
    /// that the next write copies (or reuses) the page.
    fn change_protection(&mut self, pid: Pid, vma: &Vma) {
        self.trace.leaf("change_protection", "mm/mprotect.c");
        self.touch_vma(pid, vma);
        let writable = self.vm_page_prot_writable(vma);
        let notify = self.vma_wants_writenotify(vma);
        let zero = self.mem.zero_pfn;
        let mm = &mut self.tasks.get_mut(&pid).expect("live").mm;
        let present: Vec<(u64, Pte)> = mm
            .ptes
            .range(vma.start / PAGE_SIZE..vma.end / PAGE_SIZE)
            .filter(|(_, pte)| matches!(pte, Pte::Present { .. }))
            .collect();
        for (vpn, pte) in present {
            if let Pte::Present {
                pfn,
                write,
                dirty,
                young,
            } = pte
            {
                let write = if vma.flags & vm::WRITE == 0 || pfn == zero {
                    false
                } else {
                    writable || (notify && dirty) || write
                };
                let pte = Pte::Present {
                    pfn,
                    write,
                    dirty,
                    young,
                };
                mm.ptes.insert(vpn, pte);
            }
        }
    }

    /// `msync(2)`: `MS_SYNC` writes a shared file mapping's dirty pages back.
    pub fn msync(&mut self, pid: Pid, start: u64, len: u64, flags: u32) -> SysResult<i32> {
        self.tick();
        self.task(pid)?;
        self.traced("msync", "mm/msync.c", |k| {
            k.do_msync(pid, start, len, flags)
        })
    }

    fn do_msync(&mut self, pid: Pid, start: u64, len: u64, flags: u32) -> SysResult<i32> {
        if flags & !(ms::ASYNC | ms::INVALIDATE | ms::SYNC) != 0
            || !start.is_multiple_of(PAGE_SIZE)
            || (flags & ms::ASYNC != 0 && flags & ms::SYNC != 0)
        {
            return Err(Errno::EINVAL);
        }
        let len = page_align(len).ok_or(Errno::ENOMEM)?;
        let end = start.checked_add(len).ok_or(Errno::ENOMEM)?;
        let mut unmapped = false;
        let mut at = start;
        while at < end {
            let mm = &self.tasks[&pid].mm;
            let Some(vma) = mm
                .vmas
                .range(..end)
                .find(|(_, v)| v.end > at)
                .map(|(_, v)| v.clone())
            else {
                return Err(Errno::ENOMEM);
            };
            if at < vma.start {
                unmapped = true;
                at = vma.start;
                if at >= end {
                    break;
                }
            }
            if flags & ms::INVALIDATE != 0 && vma.flags & vm::LOCKED != 0 {
                return Err(Errno::EBUSY);
            }
            let fstart = (at - vma.start) + vma.pgoff * PAGE_SIZE;
            let fend = fstart + (end.min(vma.end) - at);
            at = vma.end;
            if flags & ms::SYNC != 0 && vma.flags & vm::SHARED != 0 {
                if let Some(ino) = self.vma_inode(&vma) {
                    self.trace.leaf("vfs_fsync_range", "fs/sync.c");
                    self.filemap_write_and_wait_range(ino, fstart, fend);
                }
            }
        }
        if unmapped {
            Err(Errno::ENOMEM)
        } else {
            Ok(0)
        }
    }

    /// `MAP_POPULATE` (`mm_populate` -> `populate_vma_page_range`): faults
    /// every page in, writing where the mapping is private and writable.
    /// `populate_vma_page_range` (mm/gup.c): faults in each page of
    /// `[start, end)` in `vma` that has no page yet, or only a read-only one
    /// where a private writable mapping wants its own copy (`FOLL_WRITE`).
    pub(crate) fn populate_vma_page_range(&mut self, pid: Pid, vma: &Vma, start: u64, end: u64) {
        self.trace.enter("populate_vma_page_range", "mm/gup.c");
        let write = vma.flags & (vm::WRITE | vm::SHARED) == vm::WRITE;
        let _ = self.faultin_range(pid, start, end, write);
        self.trace.leave();
    }

    /// `__get_user_pages`' loop (mm/gup.c): faults in each page of
    /// `[start, end)` that has no page, or (for a write) only a read-only
    /// one; stops at the first fault that fails (`EFAULT`).
    pub(crate) fn faultin_range(
        &mut self,
        pid: Pid,
        start: u64,
        end: u64,
        write: bool,
    ) -> SysResult<()> {
        let mut at = start;
        while at < end {
            let needs = match self.tasks[&pid].mm.pte(at) {
                None => true,
                Some(Pte::Present { write: w, .. }) => write && !w,
                Some(_) => true,
            };
            if needs && self.handle_mm_fault(pid, at, write).is_err() {
                return Err(Errno::EFAULT);
            }
            at += PAGE_SIZE;
        }
        Ok(())
    }
}

impl Kernel {
    /// Maps an open file for an in-kernel caller (`do_mmap_pgoff` from
    /// `do_shmat`), with the same checks as `mmap(2)`.
    pub(crate) fn mmap_file(
        &mut self,
        pid: Pid,
        addr: u64,
        len: u64,
        prot: u32,
        flags: u32,
        file: FileKey,
    ) -> SysResult<u64> {
        self.traced("do_mmap", "mm/mmap.c", |k| {
            k.do_mmap_inner(pid, addr, len, prot, flags, Some(file), 0)
        })
    }
}
