//! The virtual file system: mounts, inodes, open files and descriptor tables.
//!
//! Mirrors `fs/open.c` (`do_sys_open`, `do_truncate`), `fs/namei.c`
//! (`path_openat`, `do_unlinkat`, `may_delete`), `fs/read_write.c`
//! (`vfs_read`, `vfs_write`, `vfs_llseek`), `fs/file_table.c` (`fput`),
//! `fs/inode.c` (`iput`, `evict`), `fs/statfs.c` and `fs/stat.c`.
//!
//! ```text
//!  task.fds[3] --> File { ino, flags, pos, refcount } --> Inode { size, nlink, mapping }
//!  vma.file    -/                                          |
//!                                                          +--> AddressSpace (radix tree)
//! ```
//!
//! Three kinds of file system are mounted at boot:
//!
//! | mount | type | what |
//! | --- | --- | --- |
//! | `/` | `ext4` | regular files on a simulated disk, cached in the page cache |
//! | `/dev/shm` | `tmpfs` | POSIX shared memory; `size=` half of RAM unless set |
//! | (internal) | `tmpfs` | `shm_mnt`: System V segments and `MAP_SHARED|MAP_ANONYMOUS` |
//!
//! An inode lives while it has a name (`nlink`) or an open file (`i_count`);
//! a mapping holds its file open, so an unlinked file that is still mapped
//! lives on, exactly as the seeds' `rm /dev/shm/...` experiment shows.

use crate::errno::{Errno, SysResult};
use crate::kernel::{Kernel, Pid};
use crate::klib::radix_tree::RadixTree;
use crate::mm::filemap::CacheEntry;
use crate::mm::page::{PageData, PAGE_SIZE};
use crate::trace::Touch;
use serde::Serialize;
use std::collections::BTreeMap;

slotmap::new_key_type! {
    /// An open file description (`struct file *`).
    pub struct FileKey;
}

/// Open flags (`include/uapi/asm-generic/fcntl.h`, x86_64 values).
pub mod o {
    /// `O_RDONLY`.
    pub const RDONLY: u32 = 0;
    /// `O_WRONLY`.
    pub const WRONLY: u32 = 0o1;
    /// `O_RDWR`.
    pub const RDWR: u32 = 0o2;
    /// `O_ACCMODE`.
    pub const ACCMODE: u32 = 0o3;
    /// `O_CREAT`.
    pub const CREAT: u32 = 0o100;
    /// `O_EXCL`.
    pub const EXCL: u32 = 0o200;
    /// `O_NOCTTY`.
    pub const NOCTTY: u32 = 0o400;
    /// `O_TRUNC`.
    pub const TRUNC: u32 = 0o1000;
    /// `O_APPEND`.
    pub const APPEND: u32 = 0o2000;
    /// `O_NONBLOCK`.
    pub const NONBLOCK: u32 = 0o4000;
    /// `O_DSYNC`.
    pub const DSYNC: u32 = 0o10000;
    /// `FASYNC` (`O_ASYNC`).
    pub const FASYNC: u32 = 0o20000;
    /// `O_DIRECT`.
    pub const DIRECT: u32 = 0o40000;
    /// `O_LARGEFILE`: the kernel's own value, which the 64-bit `open`
    /// system calls add (`force_o_largefile`); glibc's is 0 there.
    pub const LARGEFILE: u32 = 0o100000;
    /// `O_DIRECTORY`.
    pub const DIRECTORY: u32 = 0o200000;
    /// `O_NOFOLLOW`.
    pub const NOFOLLOW: u32 = 0o400000;
    /// `O_NOATIME`.
    pub const NOATIME: u32 = 0o1000000;
    /// `O_CLOEXEC`.
    pub const CLOEXEC: u32 = 0o2000000;
    /// `__O_SYNC` (`O_SYNC` is `__O_SYNC | O_DSYNC`).
    pub const SYNC_: u32 = 0o4000000;
    /// `O_PATH`.
    pub const PATH: u32 = 0o10000000;
    /// `__O_TMPFILE`.
    pub const TMPFILE_: u32 = 0o20000000;
    /// `VALID_OPEN_FLAGS` (`include/linux/fcntl.h`).
    pub const VALID: u32 = ACCMODE
        | CREAT
        | EXCL
        | NOCTTY
        | TRUNC
        | APPEND
        | NONBLOCK
        | SYNC_
        | DSYNC
        | FASYNC
        | DIRECT
        | LARGEFILE
        | DIRECTORY
        | NOFOLLOW
        | NOATIME
        | CLOEXEC
        | PATH
        | TMPFILE_;

    /// The `f_flags` an `open` with `flags` leaves on its file, as
    /// `fcntl(F_GETFL)` reads them: `O_LARGEFILE` added (`open` and
    /// `openat` on 64-bit), unknown bits and `O_CLOEXEC` dropped
    /// (`build_open_flags`: the close-on-exec flag is the descriptor's),
    /// `O_DSYNC` added to `__O_SYNC`, and the flags that only matter while
    /// opening cleared (`do_dentry_open`: `O_CREAT`, `O_EXCL`, `O_NOCTTY`,
    /// `O_TRUNC`).
    pub fn f_flags(flags: u32) -> u32 {
        let mut f = (flags | LARGEFILE) & VALID & !CLOEXEC;
        if f & SYNC_ != 0 {
            f |= DSYNC;
        }
        f & !(CREAT | EXCL | NOCTTY | TRUNC)
    }
}

/// File type bits of `st_mode`.
pub const S_IFMT: u32 = 0o170000;
/// A regular file.
pub const S_IFREG: u32 = 0o100000;
/// A directory.
pub const S_IFDIR: u32 = 0o040000;
/// A character device.
pub const S_IFCHR: u32 = 0o020000;
/// The sticky bit.
pub const S_ISVTX: u32 = 0o1000;

/// `NAME_MAX`: longest path component.
pub const NAME_MAX: usize = 255;
/// `PATH_MAX`.
pub const PATH_MAX: usize = 4096;

/// The directory relative paths are resolved from.
pub const CWD: &str = "/home/student";

/// A mounted file system (`struct super_block` with `shmem_sb_info`).
#[derive(Clone, Debug, Serialize)]
pub struct SuperBlock {
    /// `ext4` or `tmpfs`.
    pub fstype: &'static str,
    /// What `df` shows as the source.
    pub source: &'static str,
    /// Where it is mounted (`""` for the invisible internal shm mount).
    pub mount_point: String,
    /// `s_dev` as (major, minor).
    pub dev: (u32, u32),
    /// shmem: pages are swap-backed and live only in the page cache.
    pub shmem: bool,
    /// `max_blocks` (pages); 0 = unlimited.
    pub max_blocks: u64,
    /// `used_blocks`: pages charged to this mount (tmpfs: `alloced`, which
    /// includes swapped-out pages).
    pub used_blocks: u64,
    /// `max_inodes`; 0 = unlimited.
    pub max_inodes: u64,
    /// `free_inodes`.
    pub free_inodes: u64,
}

/// The inode number of `/dev/zero`.
pub const DEV_ZERO_INO: u32 = 1;

/// Index of the `/` mount in [`Kernel::sbs`].
pub const SB_ROOT: usize = 0;
/// Index of the `/dev/shm` mount.
pub const SB_DEV_SHM: usize = 1;
/// Index of the internal shm mount (`shm_mnt`).
pub const SB_SHM_MNT: usize = 2;

/// `shmem_inode_info`: per-inode shmem accounting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShmemInfo {
    /// `alloced`: data pages charged to the inode (in RAM or in swap).
    pub alloced: u64,
    /// `swapped`: of those, pages in swap (exceptional entries in the cache).
    pub swapped: u64,
    /// `SHM_LOCK`ed (`VM_LOCKED` in `info->flags`): never swapped out.
    pub locked: bool,
    /// `seals` (`F_SEAL_*`, [`crate::mm::memfd::seal`]): `F_SEAL_SEAL` for
    /// every shmem file but a memfd made with `MFD_ALLOW_SEALING`.
    pub seals: u32,
}

impl Default for ShmemInfo {
    /// `shmem_get_inode`: `info->seals = F_SEAL_SEAL`.
    fn default() -> Self {
        ShmemInfo {
            alloced: 0,
            swapped: 0,
            locked: false,
            seals: crate::mm::memfd::seal::SEAL,
        }
    }
}

/// What an inode is.
#[derive(Clone, Debug, Serialize)]
pub enum InodeKind {
    /// A directory.
    Dir,
    /// The terminal behind fds 0, 1 and 2.
    Tty,
    /// `/dev/zero` (`drivers/char/mem.c`, char device 1:5): reads give
    /// zeroes, writes vanish, `mmap_zero` maps shmem or anonymous memory.
    Zero,
    /// A regular file on the simulated disk: its blocks, by page index.
    Disk {
        /// The on-disk contents, by page index; a missing page is a hole.
        #[serde(skip)]
        blocks: BTreeMap<u64, PageData>,
    },
    /// A tmpfs or shmem file.
    Shmem(ShmemInfo),
}

/// `struct address_space`: a file's page cache.
#[derive(Clone, Debug, Default)]
pub struct AddressSpace {
    /// `i_pages` (`page_tree` in 4.14): the radix tree of pages and exceptional entries.
    pub i_pages: RadixTree<CacheEntry>,
    /// `nrpages`: pages in the tree.
    pub nrpages: u64,
    /// `nrexceptional`: exceptional (swap) entries in the tree.
    pub nrexceptional: u64,
}

/// An inode (`struct inode`).
#[derive(Clone, Debug)]
pub struct Inode {
    /// `i_ino`.
    pub ino: u32,
    /// The mount it lives on (index into [`Kernel::sbs`]).
    pub sb: usize,
    /// `i_mode`.
    pub mode: u32,
    /// `i_uid`.
    pub uid: u32,
    /// `i_gid`.
    pub gid: u32,
    /// `i_nlink`.
    pub nlink: u32,
    /// `i_size`.
    pub size: u64,
    /// `i_mtime`.
    pub mtime: i64,
    /// `i_ctime`.
    pub ctime: i64,
    /// `i_count`: open files that reference it.
    pub i_count: u32,
    /// The name it was created with (a path, or `SYSV0000162e`, `dev/zero` on the
    /// internal mount): what `/proc/PID/maps` prints.
    pub name: String,
    /// `i_mapping`.
    pub mapping: AddressSpace,
    /// What it is.
    pub kind: InodeKind,
}

impl Inode {
    /// A regular file (on any file system).
    pub fn is_reg(&self) -> bool {
        self.mode & S_IFMT == S_IFREG
    }

    /// A directory.
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }

    /// Its shmem info, when it is a tmpfs/shmem file.
    pub fn shmem(&self) -> Option<&ShmemInfo> {
        match &self.kind {
            InodeKind::Shmem(info) => Some(info),
            _ => None,
        }
    }

    /// Its shmem info, mutably.
    pub fn shmem_mut(&mut self) -> Option<&mut ShmemInfo> {
        match &mut self.kind {
            InodeKind::Shmem(info) => Some(info),
            _ => None,
        }
    }

    /// Pages spanned by `i_size` (`DIV_ROUND_UP(i_size, PAGE_SIZE)`).
    pub fn size_pages(&self) -> u64 {
        self.size.div_ceil(PAGE_SIZE)
    }
}

/// An open file description (`struct file`).
#[derive(Clone, Debug)]
pub struct File {
    /// The inode it opens.
    pub ino: u32,
    /// `f_flags` (access mode and status flags).
    pub flags: u32,
    /// `f_pos`.
    pub pos: u64,
    /// Can it do direct I/O (`O_DIRECT`)? `FMODE_CAN_ODIRECT` (6.x), or in
    /// 4.14 its mapping's `direct_IO` (see [`Kernel::can_direct_io`]).
    pub direct_io: bool,
    /// `f_count`: descriptors, mappings and in-flight messages holding it.
    pub refcount: u32,
}

impl File {
    /// `FMODE_READ`.
    pub fn readable(&self) -> bool {
        matches!(self.flags & o::ACCMODE, o::RDONLY | o::RDWR)
    }

    /// `FMODE_WRITE`.
    pub fn writable(&self) -> bool {
        matches!(self.flags & o::ACCMODE, o::WRONLY | o::RDWR)
    }
}

/// What `stat(2)` returns (the fields the model keeps).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Stat {
    /// `st_dev` as (major, minor).
    pub dev: (u32, u32),
    /// `st_ino`.
    pub ino: u32,
    /// `st_mode`.
    pub mode: u32,
    /// `st_nlink`.
    pub nlink: u32,
    /// `st_uid`.
    pub uid: u32,
    /// `st_gid`.
    pub gid: u32,
    /// `st_size`.
    pub size: u64,
    /// `st_blocks` (512-byte units).
    pub blocks: u64,
    /// `st_mtime`.
    pub mtime: i64,
}

/// What `statfs(2)` returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatFs {
    /// The file system type name.
    pub fstype: &'static str,
    /// The mount point.
    pub mount_point: String,
    /// `f_bsize`.
    pub bsize: u64,
    /// `f_blocks`.
    pub blocks: u64,
    /// `f_bfree`.
    pub bfree: u64,
    /// `f_bavail`.
    pub bavail: u64,
    /// `f_files`.
    pub files: u64,
    /// `f_ffree`.
    pub ffree: u64,
}

/// Makes `path` absolute and canonical (`.`, `..` and repeated slashes resolved).
pub fn normalize_path(path: &str) -> SysResult<String> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if path.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    let full = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{CWD}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for comp in full.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c if c.len() > NAME_MAX => return Err(Errno::ENAMETOOLONG),
            c => parts.push(c),
        }
    }
    Ok(format!("/{}", parts.join("/")))
}

fn parent_of(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(0) => ("/", &path[1..]),
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("/", path),
    }
}

/// Permission to access: `MAY_READ`, `MAY_WRITE`, `MAY_EXEC` (`include/linux/fs.h`).
pub mod may {
    /// `MAY_EXEC`.
    pub const EXEC: u32 = 1;
    /// `MAY_WRITE`.
    pub const WRITE: u32 = 2;
    /// `MAY_READ`.
    pub const READ: u32 = 4;
}

impl Kernel {
    pub(crate) fn mount_initial_filesystems(&mut self) {
        let ram_pages = self.mem.nr_pages() as u64;
        let dev_shm_pages = match self.cfg.dev_shm_bytes {
            Some(bytes) => bytes / PAGE_SIZE,
            None => ram_pages / 2,
        };
        self.sbs = vec![
            SuperBlock {
                fstype: "ext4",
                source: "/dev/vda1",
                mount_point: "/".into(),
                dev: (254, 1),
                shmem: false,
                max_blocks: 0,
                used_blocks: 0,
                max_inodes: 0,
                free_inodes: 0,
            },
            SuperBlock {
                fstype: "tmpfs",
                source: "tmpfs",
                mount_point: "/dev/shm".into(),
                dev: (0, 26),
                shmem: true,
                max_blocks: dev_shm_pages,
                used_blocks: 0,
                max_inodes: ram_pages / 2,
                free_inodes: ram_pages / 2,
            },
            SuperBlock {
                fstype: "tmpfs",
                source: "shm_mnt",
                mount_point: String::new(),
                dev: (0, 5),
                shmem: true,
                max_blocks: 0,
                used_blocks: 0,
                max_inodes: 0,
                free_inodes: 0,
            },
        ];
        for (path, mode, uid, sb) in [
            ("/", 0o755, 0, SB_ROOT),
            ("/dev", 0o755, 0, SB_ROOT),
            ("/dev/shm", S_ISVTX | 0o777, 0, SB_DEV_SHM),
            ("/home", 0o755, 0, SB_ROOT),
            ("/home/student", 0o755, 1000, SB_ROOT),
            ("/tmp", S_ISVTX | 0o777, 0, SB_ROOT),
        ] {
            let ino = self.new_inode(sb, S_IFDIR | mode, uid, uid, InodeKind::Dir, path);
            self.inodes.get_mut(&ino).expect("just created").nlink = 2;
            self.dentries.insert(path.to_string(), ino);
        }
        let tty = self.new_inode(
            SB_ROOT,
            S_IFCHR | 0o620,
            1000,
            5,
            InodeKind::Tty,
            "/dev/pts/0",
        );
        self.inodes.get_mut(&tty).expect("just created").nlink = 1;
        // /dev/zero lives on devtmpfs, whose inode numbers are its own:
        // inode 1, outside the numbers the model hands out (so that adding
        // it moved no other file's number, nor the ftok keys made of them).
        let (next, zero) = (self.next_ino, DEV_ZERO_INO);
        self.next_ino = zero;
        self.new_inode(SB_ROOT, S_IFCHR | 0o666, 0, 0, InodeKind::Zero, "/dev/zero");
        self.next_ino = next;
        self.inodes.get_mut(&zero).expect("just created").nlink = 1;
        self.dentries.insert("/dev/zero".into(), zero);
    }

    /// Allocates an inode (`new_inode`, `shmem_get_inode`), with no name yet.
    pub(crate) fn new_inode(
        &mut self,
        sb: usize,
        mode: u32,
        uid: u32,
        gid: u32,
        kind: InodeKind,
        name: &str,
    ) -> u32 {
        let ino = self.next_ino;
        self.next_ino += 1;
        let inode = Inode {
            ino,
            sb,
            mode,
            uid,
            gid,
            nlink: 0,
            size: 0,
            mtime: self.now,
            ctime: self.now,
            i_count: 0,
            name: name.to_string(),
            mapping: AddressSpace::default(),
            kind,
        };
        self.inodes.insert(ino, inode);
        self.trace.touch(Touch::Inode { ino });
        ino
    }

    /// The mount a path lives on (longest matching mount point).
    pub fn sb_of_path(&self, path: &str) -> usize {
        if path == "/dev/shm" || path.starts_with("/dev/shm/") {
            SB_DEV_SHM
        } else {
            SB_ROOT
        }
    }

    pub(crate) fn reserve_std_fds(&mut self, pid: Pid) {
        let console = *self.console.get_or_insert_with(|| {
            let tty = self
                .inodes
                .values()
                .find(|i| i.name == "/dev/pts/0")
                .map(|i| i.ino)
                .expect("boot inode");
            self.inodes.get_mut(&tty).expect("the tty exists").i_count += 1;
            self.files.insert(File {
                ino: tty,
                flags: o::RDWR | o::LARGEFILE,
                pos: 0,
                direct_io: false,
                refcount: 1,
            })
        });
        for fd in 0..3 {
            self.files[console].refcount += 1;
            self.tasks
                .get_mut(&pid)
                .expect("spawned")
                .fds
                .insert(fd, console);
        }
    }

    /// `generic_permission`: may `pid` access `ino` as `mask` asks ([`may`])?
    /// Root passes read and write checks (`CAP_DAC_OVERRIDE`).
    pub fn inode_permission(&self, pid: Pid, ino: u32, mask: u32) -> SysResult<()> {
        let task = self.task(pid)?;
        let inode = &self.inodes[&ino];
        if task.uid == 0 {
            if mask & may::EXEC == 0 || inode.is_dir() || inode.mode & 0o111 != 0 {
                return Ok(());
            }
            return Err(Errno::EACCES);
        }
        let bits = if task.uid == inode.uid {
            (inode.mode >> 6) & 7
        } else if task.gid == inode.gid {
            (inode.mode >> 3) & 7
        } else {
            inode.mode & 7
        };
        if mask & !bits & 7 == 0 {
            Ok(())
        } else {
            Err(Errno::EACCES)
        }
    }

    /// Looks a path up (`path_lookupat`): its inode number.
    pub fn lookup(&self, pid: Pid, path: &str) -> SysResult<u32> {
        let path = normalize_path(path)?;
        if let Some(&ino) = self.dentries.get(&path) {
            let (parent, _) = parent_of(&path);
            if path != "/" {
                self.check_dir(pid, parent)?;
            }
            return Ok(ino);
        }
        let (parent, _) = parent_of(&path);
        self.check_dir(pid, parent)?;
        Err(Errno::ENOENT)
    }

    /// Every ancestor must be a directory we may search.
    fn check_dir(&self, pid: Pid, dir: &str) -> SysResult<u32> {
        let &ino = self.dentries.get(dir).ok_or(Errno::ENOENT)?;
        if !self.inodes[&ino].is_dir() {
            return Err(Errno::ENOTDIR);
        }
        self.inode_permission(pid, ino, may::EXEC)?;
        Ok(ino)
    }

    /// `get_unused_fd_flags` -> `__alloc_fd` (fs/file.c): the lowest free
    /// fd, `EMFILE` at the process's `RLIMIT_NOFILE` (1024 unless set).
    pub(crate) fn get_unused_fd_flags(&self, pid: Pid) -> SysResult<i32> {
        let task = self.task(pid)?;
        let fd = task.lowest_free_fd();
        if fd as u64 >= task.rlim.cur(crate::sys::rlimit::NOFILE) {
            return Err(Errno::EMFILE);
        }
        Ok(fd)
    }

    /// Installs `file` at the lowest free fd of `pid` (`get_unused_fd_flags`
    /// + `fd_install`); on `EMFILE` the file is released again.
    pub(crate) fn fd_install(&mut self, pid: Pid, file: FileKey) -> SysResult<i32> {
        self.fd_install_flags(pid, file, false)
    }

    /// [`Kernel::fd_install`] with the descriptor's close-on-exec flag
    /// (`O_CLOEXEC`, `MFD_CLOEXEC`: `__set_close_on_exec`).
    pub(crate) fn fd_install_flags(
        &mut self,
        pid: Pid,
        file: FileKey,
        cloexec: bool,
    ) -> SysResult<i32> {
        let fd = match self.get_unused_fd_flags(pid) {
            Ok(fd) => fd,
            Err(e) => {
                self.fput(file);
                return Err(e);
            }
        };
        let task = self.task_mut(pid)?;
        task.fds.insert(fd, file);
        if cloexec {
            task.close_on_exec.insert(fd);
        } else {
            task.close_on_exec.remove(&fd);
        }
        Ok(fd)
    }

    /// The open file behind `fd` (`fdget`), or `EBADF`.
    pub fn fdget(&self, pid: Pid, fd: i32) -> SysResult<FileKey> {
        self.task(pid)?.fds.get(&fd).copied().ok_or(Errno::EBADF)
    }

    /// Opens a file description on `ino` (`alloc_file` + `get_file`).
    pub(crate) fn alloc_file(&mut self, ino: u32, flags: u32) -> FileKey {
        self.inodes
            .get_mut(&ino)
            .expect("alloc_file on a live inode")
            .i_count += 1;
        self.files.insert(File {
            ino,
            flags,
            pos: 0,
            direct_io: false,
            refcount: 1,
        })
    }

    /// `get_file`: one more reference.
    pub(crate) fn get_file(&mut self, file: FileKey) {
        self.files[file].refcount += 1;
    }

    /// `fput`: drops a reference; the last one releases the inode (`__fput` -> `iput`).
    pub(crate) fn fput(&mut self, file: FileKey) {
        let f = &mut self.files[file];
        f.refcount -= 1;
        if f.refcount > 0 {
            return;
        }
        let ino = f.ino;
        self.files.remove(file);
        self.trace.leaf("__fput", "fs/file_table.c");
        self.iput(ino);
    }

    /// `iput`: the last reference to an unlinked inode evicts it (`evict` ->
    /// `shmem_evict_inode` / `truncate_inode_pages_final`).
    pub(crate) fn iput(&mut self, ino: u32) {
        let inode = self.inodes.get_mut(&ino).expect("iput on a live inode");
        inode.i_count -= 1;
        if inode.i_count == 0 && inode.nlink == 0 {
            self.evict(ino);
        }
    }

    fn evict(&mut self, ino: u32) {
        self.trace.enter("evict", "fs/inode.c");
        self.truncate_inode_pages_range(ino, 0, u64::MAX, true);
        let inode = self.inodes.remove(&ino).expect("evicting a live inode");
        self.trace.touch(Touch::Inode { ino });
        let sb = &mut self.sbs[inode.sb];
        if let InodeKind::Disk { blocks } = &inode.kind {
            sb.used_blocks -= blocks.len() as u64;
        }
        if sb.max_inodes != 0 {
            sb.free_inodes += 1;
        }
        self.trace.leave();
    }

    /// `open(2)` (`do_sys_open` -> `path_openat` -> `do_last`).
    pub fn open(&mut self, pid: Pid, path: &str, flags: u32, mode: u32) -> SysResult<i32> {
        self.tick();
        self.traced("do_sys_open", "fs/open.c", |k| {
            k.do_open(pid, path, flags, mode)
        })
    }

    fn do_open(&mut self, pid: Pid, path: &str, flags: u32, mode: u32) -> SysResult<i32> {
        let path = normalize_path(path)?;
        // do_sys_open: the descriptor is reserved before the path is walked.
        self.get_unused_fd_flags(pid)?;
        let (parent, name) = parent_of(&path);
        let dir = self.check_dir(pid, parent)?;
        let ino = match self.dentries.get(&path).copied() {
            Some(_) if flags & o::CREAT != 0 && flags & o::EXCL != 0 => return Err(Errno::EEXIST),
            Some(ino) => {
                let inode = &self.inodes[&ino];
                if inode.is_dir() && flags & o::ACCMODE != o::RDONLY {
                    return Err(Errno::EISDIR);
                }
                if flags & o::DIRECTORY != 0 && !inode.is_dir() {
                    return Err(Errno::ENOTDIR);
                }
                let mut mask = 0;
                if matches!(flags & o::ACCMODE, o::RDONLY | o::RDWR) {
                    mask |= may::READ;
                }
                if matches!(flags & o::ACCMODE, o::WRONLY | o::RDWR) || flags & o::TRUNC != 0 {
                    mask |= may::WRITE;
                }
                self.inode_permission(pid, ino, mask)?;
                ino
            }
            None if flags & o::CREAT == 0 => return Err(Errno::ENOENT),
            None => {
                if name.is_empty() {
                    return Err(Errno::EISDIR);
                }
                self.inode_permission(pid, dir, may::WRITE | may::EXEC)?;
                let sb = self.sb_of_path(&path);
                if self.sbs[sb].max_inodes != 0 {
                    if self.sbs[sb].free_inodes == 0 {
                        return Err(Errno::ENOSPC);
                    }
                    self.sbs[sb].free_inodes -= 1;
                }
                let task = self.task(pid)?;
                let (uid, gid) = (task.uid, task.gid);
                let mode = S_IFREG | (mode & 0o7777 & !task.umask);
                let kind = if self.sbs[sb].shmem {
                    self.trace.leaf("shmem_get_inode", "mm/shmem.c");
                    InodeKind::Shmem(ShmemInfo::default())
                } else {
                    self.trace.leaf("ext4_new_inode", "fs/ext4/ialloc.c");
                    InodeKind::Disk {
                        blocks: BTreeMap::new(),
                    }
                };
                let ino = self.new_inode(sb, mode, uid, gid, kind, &path);
                self.inodes.get_mut(&ino).expect("new").nlink = 1;
                self.dentries.insert(path.clone(), ino);
                self.trace.touch(Touch::Inode { ino });
                ino
            }
        };
        // may_open: O_NOATIME only for the file's owner or root.
        let uid = self.task(pid)?.uid;
        if flags & o::NOATIME != 0 && uid != 0 && uid != self.inodes[&ino].uid {
            return Err(Errno::EPERM);
        }
        // O_DIRECT where the file cannot do it is EINVAL before anything is
        // truncated (open_check_o_direct in 4.14, do_dentry_open in 6.x).
        let direct_io = self.can_direct_io(ino);
        if flags & o::DIRECT != 0 && !direct_io {
            return Err(Errno::EINVAL);
        }
        // handle_truncate: O_TRUNC truncates a regular file whatever the
        // access mode (O_RDONLY | O_TRUNC too, as Linux does), once
        // may_open has checked write permission.
        if flags & o::TRUNC != 0 && self.inodes[&ino].is_reg() {
            self.do_truncate(ino, 0);
        }
        let file = self.alloc_file(ino, o::f_flags(flags));
        self.files[file].direct_io = direct_io;
        self.fd_install_flags(pid, file, flags & o::CLOEXEC != 0)
    }

    /// Can a file `open` opens on `ino` do direct I/O? In 4.14, when its
    /// mapping has `direct_IO` (`do_dentry_open`): ext4's regular files, not
    /// tmpfs's (`shmem_aops` has none), nor a directory, the terminal or
    /// `/dev/zero`. From 6.6 a tmpfs file opened by path can too
    /// (`shmem_file_open` sets `FMODE_CAN_ODIRECT`); a memfd, which
    /// `shmem_file_setup` makes without opening, still cannot.
    pub(crate) fn can_direct_io(&self, ino: u32) -> bool {
        match self.inodes[&ino].kind {
            InodeKind::Disk { .. } => true,
            InodeKind::Shmem(_) => self.cfg.release.at_least(6, 6),
            InodeKind::Dir | InodeKind::Tty | InodeKind::Zero => false,
        }
    }

    /// `close(2)`.
    pub fn close(&mut self, pid: Pid, fd: i32) -> SysResult<i32> {
        self.tick();
        self.trace.enter("__close_fd", "fs/file.c");
        let r = self.task_mut(pid).and_then(|t| {
            t.close_on_exec.remove(&fd);
            t.fds.remove(&fd).ok_or(Errno::EBADF)
        });
        if let Ok(file) = r {
            self.fput(file);
        }
        self.trace.leave();
        r.map(|_| 0)
    }

    /// `unlink(2)` (`do_unlinkat` -> `vfs_unlink`): removes the name; the inode
    /// lives on while it is open or mapped.
    pub fn unlink(&mut self, pid: Pid, path: &str) -> SysResult<i32> {
        self.tick();
        self.trace.enter("do_unlinkat", "fs/namei.c");
        let r = self.do_unlink(pid, path);
        self.trace.leave();
        r
    }

    fn do_unlink(&mut self, pid: Pid, raw: &str) -> SysResult<i32> {
        let path = normalize_path(raw)?;
        // do_unlinkat: a path that ends in no name (`/`, `.`, `..`) is
        // EISDIR once its directories are walked.
        let end = raw.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        if path == "/" || matches!(end, "." | "..") {
            self.check_dir(pid, &path)?;
            return Err(Errno::EISDIR);
        }
        let (parent, _) = parent_of(&path);
        let dir = self.check_dir(pid, parent)?;
        let &ino = self.dentries.get(&path).ok_or(Errno::ENOENT)?;
        let is_dir = self.inodes[&ino].is_dir();
        // A trailing slash: the name must be a directory, which unlink
        // never removes (do_unlinkat's `slashes`, before any permission).
        if raw.ends_with('/') {
            return Err(if is_dir {
                Errno::EISDIR
            } else {
                Errno::ENOTDIR
            });
        }
        // may_delete(): the directory's write permission, then the sticky
        // bit (only the file's or the directory's owner, or root), then
        // what the victim is.
        self.inode_permission(pid, dir, may::WRITE | may::EXEC)?;
        let uid = self.task(pid)?.uid;
        let (dmode, duid) = (self.inodes[&dir].mode, self.inodes[&dir].uid);
        if dmode & S_ISVTX != 0 && uid != 0 && uid != duid && uid != self.inodes[&ino].uid {
            return Err(Errno::EPERM);
        }
        if is_dir {
            return Err(Errno::EISDIR);
        }
        self.vfs_unlink(&path, ino);
        Ok(0)
    }

    /// `vfs_unlink` once the checks passed: the name goes, the link count
    /// falls, and a file no one holds open or mapped is evicted.
    pub(crate) fn vfs_unlink(&mut self, path: &str, ino: u32) {
        if self.inodes[&ino].shmem().is_some() {
            self.trace.leaf("shmem_unlink", "mm/shmem.c");
        }
        self.dentries.remove(path);
        self.trace.touch(Touch::Inode { ino });
        let now = self.now;
        let inode = self.inodes.get_mut(&ino).expect("looked up");
        inode.nlink -= 1;
        inode.ctime = now;
        if inode.nlink == 0 && inode.i_count == 0 {
            self.evict(ino);
        }
    }

    /// `ftruncate(2)` (`do_sys_ftruncate` -> `do_truncate`).
    pub fn ftruncate(&mut self, pid: Pid, fd: i32, length: i64) -> SysResult<i32> {
        self.tick();
        self.traced("do_sys_ftruncate", "fs/open.c", |k| {
            if length < 0 {
                return Err(Errno::EINVAL);
            }
            let file = k.fdget(pid, fd)?;
            let f = &k.files[file];
            if !f.writable() || !k.inodes[&f.ino].is_reg() {
                return Err(Errno::EINVAL);
            }
            let ino = f.ino;
            let sb = &k.sbs[k.inodes[&ino].sb];
            if sb.shmem && sb.max_blocks == 0 && (length as u64) > (1u64 << 43) {
                return Err(Errno::EFBIG);
            }
            k.shmem_check_resize(ino, length as u64)?;
            k.do_truncate(ino, length as u64);
            Ok(0)
        })
    }

    /// Sets `i_size` (`shmem_setattr` / `ext4_setattr` -> `truncate_setsize`):
    /// shrinking unmaps and frees everything past the new end (and zeroes the
    /// tail of a partial last page).
    pub(crate) fn do_truncate(&mut self, ino: u32, length: u64) {
        let shmem = self.inodes[&ino].shmem().is_some();
        self.trace.enter(
            if shmem {
                "shmem_setattr"
            } else {
                "ext4_setattr"
            },
            if shmem {
                "mm/shmem.c"
            } else {
                "fs/ext4/inode.c"
            },
        );
        let old = self.inodes[&ino].size;
        let now = self.now;
        let inode = self.inodes.get_mut(&ino).expect("truncating a live inode");
        inode.size = length;
        inode.mtime = now;
        inode.ctime = now;
        self.trace.touch(Touch::Inode { ino });
        if length < old {
            let first = length.div_ceil(PAGE_SIZE);
            self.unmap_mapping_range(ino, first, u64::MAX, true);
            self.truncate_inode_pages_range(ino, first, u64::MAX, false);
            if !length.is_multiple_of(PAGE_SIZE) {
                self.zero_partial_page(ino, length / PAGE_SIZE, (length % PAGE_SIZE) as usize);
            }
            let inode = self.inodes.get_mut(&ino).expect("live");
            let sb = inode.sb;
            if let InodeKind::Disk { blocks } = &mut inode.kind {
                let before = blocks.len();
                blocks.retain(|&idx, _| idx < first);
                self.sbs[sb].used_blocks -= (before - blocks.len()) as u64;
                if !length.is_multiple_of(PAGE_SIZE) {
                    if let Some(b) = blocks.get_mut(&(length / PAGE_SIZE)) {
                        b.zero_from((length % PAGE_SIZE) as usize);
                    }
                }
            }
        }
        self.trace.leave();
    }

    /// `read(2)`.
    pub fn read(&mut self, pid: Pid, fd: i32, count: u64) -> SysResult<Vec<u8>> {
        self.tick();
        self.traced("vfs_read", "fs/read_write.c", |k| {
            let file = k.fdget(pid, fd)?;
            let pos = k.files[file].pos;
            let data = k.file_read(pid, file, pos, count)?;
            k.files[file].pos += data.len() as u64;
            Ok(data)
        })
    }

    /// `ESPIPE` for a file opened with `nonseekable_open` (no `FMODE_LSEEK`,
    /// `FMODE_PREAD`, `FMODE_PWRITE`): the terminal (`tty_open`).
    fn unseekable(&self, file: crate::fs::vfs::FileKey) -> SysResult<()> {
        match self.inodes[&self.files[file].ino].kind {
            InodeKind::Tty => Err(Errno::ESPIPE),
            _ => Ok(()),
        }
    }

    /// `pread64(2)`.
    pub fn pread(&mut self, pid: Pid, fd: i32, count: u64, offset: i64) -> SysResult<Vec<u8>> {
        self.tick();
        self.traced("vfs_read", "fs/read_write.c", |k| {
            // ksys_pread64(): the offset is checked before the descriptor.
            if offset < 0 {
                return Err(Errno::EINVAL);
            }
            let file = k.fdget(pid, fd)?;
            k.unseekable(file)?;
            k.file_read(pid, file, offset as u64, count)
        })
    }

    fn file_read(
        &mut self,
        _pid: Pid,
        file: crate::fs::vfs::FileKey,
        pos: u64,
        count: u64,
    ) -> SysResult<Vec<u8>> {
        let f = &self.files[file];
        if !f.readable() {
            return Err(Errno::EBADF);
        }
        let count = count.min(crate::syscalls::READ_BUFFER_MAX);
        let ino = f.ino;
        let inode = &self.inodes[&ino];
        if inode.is_dir() {
            return Err(Errno::EISDIR);
        }
        match inode.kind {
            InodeKind::Tty => Ok(Vec::new()),
            // drivers/char/mem.c: read_iter_zero().
            InodeKind::Zero => Ok(vec![0; count as usize]),
            InodeKind::Shmem(_) => self.shmem_file_read_iter(ino, pos, count),
            InodeKind::Disk { .. } => self.generic_file_read_iter(ino, pos, count),
            InodeKind::Dir => Err(Errno::EISDIR),
        }
    }

    /// `write(2)`.
    pub fn write(&mut self, pid: Pid, fd: i32, buf: &[u8]) -> SysResult<u64> {
        self.tick();
        self.traced("vfs_write", "fs/read_write.c", |k| {
            let file = k.fdget(pid, fd)?;
            let f = &k.files[file];
            let pos = if f.flags & o::APPEND != 0 {
                k.inodes[&f.ino].size
            } else {
                f.pos
            };
            let n = k.file_write(file, pos, buf)?;
            k.files[file].pos = pos + n;
            Ok(n)
        })
    }

    /// `pwrite64(2)`.
    pub fn pwrite(&mut self, pid: Pid, fd: i32, buf: &[u8], offset: i64) -> SysResult<u64> {
        self.tick();
        self.traced("vfs_write", "fs/read_write.c", |k| {
            // ksys_pwrite64(): the offset is checked before the descriptor.
            if offset < 0 {
                return Err(Errno::EINVAL);
            }
            let file = k.fdget(pid, fd)?;
            k.unseekable(file)?;
            // Linux's documented pwrite bug: on an O_APPEND file the data is
            // appended whatever the offset (generic_write_checks).
            let f = &k.files[file];
            let pos = if f.flags & o::APPEND != 0 {
                k.inodes[&f.ino].size
            } else {
                offset as u64
            };
            k.file_write(file, pos, buf)
        })
    }

    fn file_write(&mut self, file: FileKey, pos: u64, buf: &[u8]) -> SysResult<u64> {
        let f = &self.files[file];
        if !f.writable() {
            return Err(Errno::EBADF);
        }
        let ino = f.ino;
        match self.inodes[&ino].kind {
            // drivers/char/mem.c: write_zero() (write_null).
            InodeKind::Tty | InodeKind::Zero => Ok(buf.len() as u64),
            InodeKind::Dir => Err(Errno::EISDIR),
            InodeKind::Shmem(_) | InodeKind::Disk { .. } => {
                let n = self.shmem_write_len(ino, pos, buf.len() as u64)?;
                let r = self.generic_perform_write(ino, pos, &buf[..n as usize]);
                if let Ok(n) = r {
                    if n > 0 {
                        let now = self.now;
                        let inode = self.inodes.get_mut(&ino).expect("live");
                        inode.mtime = now;
                        inode.ctime = now;
                    }
                }
                r
            }
        }
    }

    /// `lseek(2)`, including `SEEK_DATA` and `SEEK_HOLE` (`shmem_file_llseek`).
    pub fn lseek(&mut self, pid: Pid, fd: i32, offset: i64, whence: i32) -> SysResult<i64> {
        self.tick();
        let file = self.fdget(pid, fd)?;
        let ino = self.files[file].ino;
        // ksys_lseek(): a whence past SEEK_MAX is refused before the file's
        // llseek sees it.
        if !(0..=4).contains(&whence) {
            return Err(Errno::EINVAL);
        }
        if matches!(self.inodes[&ino].kind, InodeKind::Zero) {
            // drivers/char/mem.c: null_lseek() (zero_fops' llseek).
            self.files[file].pos = 0;
            return Ok(0);
        }
        self.unseekable(file)?;
        let inode = &self.inodes[&ino];
        if inode.is_dir() && self.sbs[inode.sb].shmem {
            // fs/libfs.c: dcache_dir_lseek (tmpfs's directories): a
            // position among the entries, SEEK_SET and SEEK_CUR only.
            let new = match whence {
                0 => offset,
                1 => (self.files[file].pos as i64).saturating_add(offset),
                _ => return Err(Errno::EINVAL),
            };
            if new < 0 {
                return Err(Errno::EINVAL);
            }
            self.files[file].pos = new as u64;
            return Ok(new);
        }
        let size = self.inodes[&ino].size as i64;
        let new = match whence {
            0 => offset,
            1 => self.files[file].pos as i64 + offset,
            2 => size + offset,
            3 | 4 => {
                if offset < 0 || offset >= size {
                    return Err(Errno::ENXIO);
                }
                let data = self.page_has_data_map(ino);
                let mut idx = offset as u64 / PAGE_SIZE;
                let want_data = whence == 3;
                let last = self.inodes[&ino].size_pages();
                while idx < last && data(idx) != want_data {
                    idx += 1;
                }
                if want_data && idx >= last {
                    return Err(Errno::ENXIO);
                }
                ((idx * PAGE_SIZE) as i64).max(offset).min(size)
            }
            _ => return Err(Errno::EINVAL),
        };
        if new < 0 {
            return Err(Errno::EINVAL);
        }
        self.files[file].pos = new as u64;
        Ok(new)
    }

    /// Does page `idx` of the file hold data (in RAM, in swap, or on disk)?
    /// The predicate behind `SEEK_DATA`/`SEEK_HOLE` and the `data.PATH` observable.
    pub fn page_has_data_map(&self, ino: u32) -> impl Fn(u64) -> bool + '_ {
        let inode = &self.inodes[&ino];
        move |idx| {
            inode.mapping.i_pages.lookup(idx).is_some()
                || matches!(&inode.kind, InodeKind::Disk { blocks } if blocks.contains_key(&idx))
        }
    }

    /// `fsync(2)`: writes a disk file's dirty pages back (`vfs_fsync_range`);
    /// a no-op on tmpfs (`noop_fsync`).
    pub fn fsync(&mut self, pid: Pid, fd: i32) -> SysResult<i32> {
        self.tick();
        self.traced("vfs_fsync_range", "fs/sync.c", |k| {
            let ino = k.files[k.fdget(pid, fd)?].ino;
            // A file without `->fsync` is EINVAL: the terminal, /dev/zero
            // (tmpfs and its directories have `noop_fsync`).
            if matches!(k.inodes[&ino].kind, InodeKind::Tty | InodeKind::Zero) {
                return Err(Errno::EINVAL);
            }
            k.filemap_write_and_wait_range(ino, 0, u64::MAX);
            Ok(0)
        })
    }

    /// `stat(2)`.
    pub fn stat(&mut self, pid: Pid, path: &str) -> SysResult<Stat> {
        let ino = self.lookup(pid, path)?;
        Ok(self.stat_ino(ino))
    }

    /// `fstat(2)`.
    pub fn fstat(&self, pid: Pid, fd: i32) -> SysResult<Stat> {
        let file = self.fdget(pid, fd)?;
        Ok(self.stat_ino(self.files[file].ino))
    }

    /// The `stat` of an inode (`generic_fillattr`).
    pub fn stat_ino(&self, ino: u32) -> Stat {
        let i = &self.inodes[&ino];
        let blocks = match &i.kind {
            InodeKind::Shmem(info) => info.alloced * (PAGE_SIZE / 512),
            InodeKind::Disk { blocks } => blocks.len() as u64 * (PAGE_SIZE / 512),
            InodeKind::Dir => PAGE_SIZE / 512,
            InodeKind::Tty | InodeKind::Zero => 0,
        };
        Stat {
            dev: self.sbs[i.sb].dev,
            ino,
            mode: i.mode,
            nlink: i.nlink,
            uid: i.uid,
            gid: i.gid,
            size: i.size,
            blocks,
            mtime: i.mtime,
        }
    }

    /// `statfs(2)` (`shmem_statfs` for tmpfs).
    pub fn statfs(&self, pid: Pid, path: &str) -> SysResult<StatFs> {
        let ino = self.lookup(pid, path)?;
        let sb = &self.sbs[self.inodes[&ino].sb];
        Ok(self.statfs_sb(sb))
    }

    /// The `statfs` of a mount.
    pub fn statfs_sb(&self, sb: &SuperBlock) -> StatFs {
        let (blocks, bfree) = if sb.max_blocks != 0 {
            (sb.max_blocks, sb.max_blocks - sb.used_blocks)
        } else if sb.shmem {
            (0, 0)
        } else {
            // The simulated disk: 1 GiB, less what its files hold.
            let disk = (1u64 << 30) / PAGE_SIZE;
            (disk, disk.saturating_sub(sb.used_blocks))
        };
        StatFs {
            fstype: sb.fstype,
            mount_point: sb.mount_point.clone(),
            bsize: PAGE_SIZE,
            blocks,
            bfree,
            bavail: bfree,
            files: sb.max_inodes,
            ffree: sb.free_inodes,
        }
    }

    /// Sends an open file to another process (`SCM_RIGHTS` over a socket pair):
    /// the message holds a reference until it is received.
    pub fn send_fd(&mut self, pid: Pid, to: Pid, fd: i32) -> SysResult<i32> {
        self.tick();
        self.trace
            .enter("unix_stream_sendmsg", "net/unix/af_unix.c");
        let r = (|| {
            let file = self.fdget(pid, fd)?;
            self.task(to)?;
            self.trace.leaf("unix_attach_fds", "net/unix/af_unix.c");
            self.get_file(file);
            self.in_flight.entry(to).or_default().push_back(file);
            Ok(0)
        })();
        self.trace.leave();
        r
    }

    /// Receives a file sent with [`Kernel::send_fd`] at the lowest free fd
    /// (`scm_detach_fds`); `EAGAIN` when none is waiting.
    pub fn recv_fd(&mut self, pid: Pid) -> SysResult<i32> {
        self.tick();
        self.trace
            .enter("unix_stream_recvmsg", "net/unix/af_unix.c");
        let r = (|| {
            self.task(pid)?;
            let file = self
                .in_flight
                .get_mut(&pid)
                .and_then(|q| q.pop_front())
                .ok_or(Errno::EAGAIN)?;
            self.trace.leaf("scm_detach_fds", "net/scm.c");
            self.fd_install(pid, file)
        })();
        self.trace.leave();
        r
    }

    /// The path a file is known by in `/proc/PID/maps`: its name, with
    /// `" (deleted)"` once unlinked.
    pub fn d_path(&self, ino: u32) -> String {
        let i = &self.inodes[&ino];
        let name = if self.sbs[i.sb].mount_point.is_empty() {
            format!("/{}", i.name)
        } else {
            i.name.clone()
        };
        if i.nlink == 0 {
            format!("{name} (deleted)")
        } else {
            name
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalize_like_the_kernel_walks_them() {
        assert_eq!(normalize_path("/dev//shm/./x").unwrap(), "/dev/shm/x");
        assert_eq!(normalize_path("/tmp/../dev/shm/x").unwrap(), "/dev/shm/x");
        assert_eq!(normalize_path("data").unwrap(), "/home/student/data");
        assert_eq!(normalize_path(""), Err(Errno::ENOENT));
        assert_eq!(
            normalize_path(&format!("/tmp/{}", "a".repeat(256))),
            Err(Errno::ENAMETOOLONG)
        );
    }
}
