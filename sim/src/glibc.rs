//! The C library calls the scenarios use, as glibc implements them.
//!
//! Mirrors glibc's `rt/shm_open.c`, `rt/shm_unlink.c`, `posix/shm-directory.c`
//! (2.38: `__shm_get_name`), `sysvipc/ftok.c` and `misc/mkstemp.c`
//! (`__gen_tempname`). They are library code over the system calls of the
//! [`Kernel`], not kernel functions.

use crate::errno::{Errno, SysResult};
use crate::fs::vfs::{o, NAME_MAX};
use crate::kernel::{Kernel, Pid};

/// `SHMDIR`: where POSIX shared memory objects live.
pub const SHMDIR: &str = "/dev/shm/";

/// `__shm_get_name`: leading slashes are stripped; an empty name or one with
/// another `/` is `EINVAL`; one longer than `NAME_MAX` is `ENAMETOOLONG`.
pub fn shm_get_name(name: &str) -> SysResult<String> {
    let name = name.trim_start_matches('/');
    if name.is_empty() || name.contains('/') {
        return Err(Errno::EINVAL);
    }
    // The buffer holds SHMDIR, "sem." and NAME_MAX bytes.
    if SHMDIR.len() + name.len() + 1 > SHMDIR.len() + 5 + NAME_MAX {
        return Err(if name.len() > NAME_MAX {
            Errno::ENAMETOOLONG
        } else {
            Errno::EINVAL
        });
    }
    Ok(format!("{SHMDIR}{name}"))
}

/// `shm_open(3)`: `open("/dev/shm/" + name, oflag | O_NOFOLLOW | O_CLOEXEC, mode)`;
/// a directory (`"."`, `".."`) is reported as `EINVAL`, not `EISDIR`.
pub fn shm_open(k: &mut Kernel, pid: Pid, name: &str, oflag: u32, mode: u32) -> SysResult<i32> {
    let path = shm_get_name(name)?;
    match k.open(pid, &path, oflag | o::NOFOLLOW | o::CLOEXEC, mode) {
        Err(Errno::EISDIR) => Err(Errno::EINVAL),
        r => r,
    }
}

/// `shm_unlink(3)`: a bad name is `ENOENT`; `EPERM` becomes `EACCES`.
pub fn shm_unlink(k: &mut Kernel, pid: Pid, name: &str) -> SysResult<i32> {
    let path = shm_get_name(name).map_err(|_| Errno::ENOENT)?;
    match k.unlink(pid, &path) {
        Err(Errno::EPERM) => Err(Errno::EACCES),
        Err(Errno::EISDIR) => Err(Errno::EACCES),
        r => r,
    }
}

/// glibc's `st_dev` encoding (`gnu_dev_makedev`).
pub fn makedev(major: u32, minor: u32) -> u64 {
    let (major, minor) = (major as u64, minor as u64);
    ((major & 0xffff_f000) << 32)
        | ((major & 0xfff) << 8)
        | ((minor & 0xffff_ff00) << 12)
        | (minor & 0xff)
}

/// `ftok(3)`: `(st_ino & 0xffff) | ((st_dev & 0xff) << 16) | ((id & 0xff) << 24)`.
pub fn ftok(k: &mut Kernel, pid: Pid, path: &str, id: i32) -> SysResult<i32> {
    let st = k.stat(pid, path)?;
    let dev = makedev(st.dev.0, st.dev.1);
    let key = (st.ino as u64 & 0xffff) | ((dev & 0xff) << 16) | (((id as u64) & 0xff) << 24);
    Ok(key as u32 as i32)
}

/// The letters `__gen_tempname` draws from.
const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// `mkstemp(3)`: replaces the trailing `XXXXXX` and creates the file
/// `O_RDWR | O_CREAT | O_EXCL`, mode 0600, trying again on `EEXIST`.
/// glibc draws the letters at random; the model draws them from a counter,
/// so runs are repeatable. Returns the descriptor and the name.
pub fn mkstemp(k: &mut Kernel, pid: Pid, template: &str) -> SysResult<(i32, String)> {
    let Some(stem) = template.strip_suffix("XXXXXX") else {
        return Err(Errno::EINVAL);
    };
    for attempt in 0..(62u64 * 62 * 62) {
        let mut v = k.next_temp_name();
        let mut suffix = String::new();
        for _ in 0..6 {
            suffix.push(LETTERS[(v % 62) as usize] as char);
            v /= 62;
        }
        let path = format!("{stem}{suffix}");
        match k.open(pid, &path, o::RDWR | o::CREAT | o::EXCL, 0o600) {
            Ok(fd) => return Ok((fd, path)),
            Err(Errno::EEXIST) if attempt < 62 * 62 * 62 - 1 => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Errno::EEXIST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_glibc_2_38() {
        assert_eq!(shm_get_name("/OS").unwrap(), "/dev/shm/OS");
        assert_eq!(shm_get_name("//x").unwrap(), "/dev/shm/x");
        assert_eq!(shm_get_name("bad/name"), Err(Errno::EINVAL));
        assert_eq!(shm_get_name(""), Err(Errno::EINVAL));
        assert_eq!(shm_get_name("/"), Err(Errno::EINVAL));
        assert!(shm_get_name(&"a".repeat(255)).is_ok());
        // glibc's buffer has room for "sem." too: 256..=259 pass here and the
        // kernel's NAME_MAX check refuses them; longer ones stop here.
        assert!(shm_get_name(&"a".repeat(259)).is_ok());
        assert_eq!(shm_get_name(&"a".repeat(260)), Err(Errno::ENAMETOOLONG));
    }

    #[test]
    fn a_name_over_name_max_is_enametoolong_either_way() {
        let mut k = Kernel::new(crate::kernel::Config::default());
        let p = k.spawn("p");
        assert!(shm_open(&mut k, p, &"a".repeat(255), o::CREAT | o::RDWR, 0o600).is_ok());
        for n in [256, 259, 260, 4000] {
            assert_eq!(
                shm_open(&mut k, p, &"b".repeat(n), o::CREAT | o::RDWR, 0o600),
                Err(Errno::ENAMETOOLONG)
            );
        }
    }

    #[test]
    fn makedev_keeps_the_minor_in_the_low_byte() {
        assert_eq!(makedev(254, 1), 0xfe01);
        assert_eq!(makedev(0, 26) & 0xff, 26);
    }
}
