//! Reading the host: `/proc/PID/pagemap`, `/proc/PID/smaps`, `/proc/PID/maps`,
//! `/proc/sysvipc/shm`, `/proc/meminfo`, `statvfs` and `lseek(SEEK_DATA)`.

use crate::fs::proc::{SmapsView, PSS_SHIFT};
use rustix::fs::{seek, OFlags, SeekFrom};
use std::collections::BTreeMap;
use std::ffi::CString;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Mounts a tmpfs of `bytes` (`size=`, rounded up to pages as tmpfs
/// does) on `dir`, its root with `mode` and `owner` (root only).
pub(crate) fn mount_tmpfs(
    dir: &Path,
    bytes: u64,
    mode: u32,
    owner: (u32, u32),
) -> std::io::Result<()> {
    let target = CString::new(dir.as_os_str().as_bytes())?;
    let opts = CString::new(format!(
        "size={bytes},mode={mode:o},uid={},gid={}",
        owner.0, owner.1
    ))?;
    use rustix::mount::MountFlags;
    let flags = MountFlags::NOSUID | MountFlags::NODEV;
    Ok(rustix::mount::mount(
        c"tmpfs", &*target, c"tmpfs", flags, &*opts,
    )?)
}

/// Lazily unmounts whatever is mounted on `dir` (nothing, most often).
pub(crate) fn unmount(dir: &Path) {
    if let Ok(c) = CString::new(dir.as_os_str().as_bytes()) {
        // EINVAL if nothing is mounted there.
        // NOFOLLOW: a symbolic link planted where a run's folder was never
        // makes root detach what it points at.
        let flags = rustix::mount::UnmountFlags::DETACH | rustix::mount::UnmountFlags::NOFOLLOW;
        let _ = rustix::mount::unmount(&*c, flags);
    }
}

/// One row of `/proc/sysvipc/shm`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SysvRow {
    pub key: i32,
    pub id: i32,
    pub perms: u32,
    pub size: u64,
    pub cpid: i32,
    pub lpid: i32,
    pub nattch: u64,
    pub ctime: i64,
    pub rss: u64,
    pub swap: u64,
}

/// Every row of `/proc/sysvipc/shm` (key shmid perms size cpid lpid nattch
/// uid gid cuid cgid atime dtime ctime rss swap).
pub(crate) fn sysvipc_rows() -> Vec<SysvRow> {
    let text = std::fs::read_to_string("/proc/sysvipc/shm").unwrap_or_default();
    text.lines()
        .skip(1)
        .filter_map(parse_sysvipc_line)
        .collect()
}

pub(crate) fn parse_sysvipc_line(line: &str) -> Option<SysvRow> {
    let w: Vec<&str> = line.split_whitespace().collect();
    if w.len() < 16 {
        return None;
    }
    Some(SysvRow {
        key: w[0].parse().ok()?,
        id: w[1].parse().ok()?,
        perms: u32::from_str_radix(w[2], 8).ok()?,
        size: w[3].parse().ok()?,
        cpid: w[4].parse().ok()?,
        lpid: w[5].parse().ok()?,
        nattch: w[6].parse().ok()?,
        ctime: w[13].parse().ok()?,
        rss: w[14].parse().ok()?,
        swap: w[15].parse().ok()?,
    })
}

/// `/proc/meminfo`, field -> kB.
pub(crate) fn meminfo(refresh: bool) -> BTreeMap<String, u64> {
    if refresh {
        // Reading (as root) folds the per-CPU vmstat deltas into the global
        // counters (mm/vmstat.c: vmstat_refresh).
        let _ = std::fs::read("/proc/sys/vm/stat_refresh");
    }
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let (name, rest) = l.split_once(':')?;
            let v = rest.split_whitespace().next()?.parse().ok()?;
            Some((name.trim().to_string(), v))
        })
        .collect()
}

/// `pagemap` characters for `len` bytes from `addr`: `P` present (bit 63),
/// `s` swapped (bit 62), `-` neither.
pub(crate) fn pte_string(pid: i32, addr: u64, len: u64) -> std::io::Result<String> {
    let f = std::fs::File::open(format!("/proc/{pid}/pagemap"))?;
    let pages = len.div_ceil(4096);
    let mut buf = vec![0u8; pages as usize * 8];
    let off = addr / 4096 * 8;
    use std::os::unix::fs::FileExt;
    f.read_exact_at(&mut buf, off)?;
    let runs: crate::observe::PageRuns = buf
        .chunks(8)
        .map(|c| {
            let e = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            if e & (1 << 63) != 0 {
                b'P'
            } else if e & (1 << 62) != 0 {
                b's'
            } else {
                b'-'
            }
        })
        .collect();
    Ok(runs.folded(""))
}

/// One mapping of `/proc/PID/maps`.
#[derive(Clone, Debug)]
pub(crate) struct MapsLine {
    pub start: u64,
    pub end: u64,
    /// The permissions column (`rw-s`).
    pub perms: String,
    pub path: String,
}

pub(crate) fn maps(pid: i32) -> Vec<MapsLine> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    text.lines().filter_map(parse_maps_line).collect()
}

fn parse_maps_line(l: &str) -> Option<MapsLine> {
    let mut w = l.splitn(6, ' ');
    let range = w.next()?;
    let (s, e) = range.split_once('-')?;
    let perms = w.next()?.to_string();
    let path = w.nth(3).unwrap_or("").trim_start().to_string();
    Some(MapsLine {
        start: u64::from_str_radix(s, 16).ok()?,
        end: u64::from_str_radix(e, 16).ok()?,
        perms,
        path,
    })
}

/// The permissions column of the `/proc/PID/maps` line of the mapping
/// containing `addr` (`rw-s`).
pub(crate) fn maps_perms(pid: i32, addr: u64) -> Option<String> {
    maps(pid)
        .into_iter()
        .find(|m| m.start <= addr && addr < m.end)
        .map(|m| m.perms)
}

/// The `/proc/PID/smaps` block of the mapping containing `addr`, as text.
pub(crate) fn smaps_block(pid: i32, addr: u64) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps")).ok()?;
    let mut out = String::new();
    let mut inside = false;
    for l in text.lines() {
        if let Some(m) = header(l) {
            if inside {
                break;
            }
            inside = m.start <= addr && addr < m.end;
        }
        if inside {
            out.push_str(l);
            out.push('\n');
        }
    }
    (!out.is_empty()).then_some(out)
}

/// A `kB` line of `/proc/PID/status` (`VmLck:\t      8 kB`), in kB.
pub(crate) fn status_kb(pid: i32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines().find_map(|l| {
        let v = l.strip_prefix(field)?.strip_prefix(':')?;
        v.trim().strip_suffix(" kB")?.trim().parse().ok()
    })
}

fn header(l: &str) -> Option<MapsLine> {
    let first = l.split(' ').next()?;
    if !first.contains('-') || first.ends_with(':') {
        return None;
    }
    parse_maps_line(l)
}

/// The counters of a smaps block.
pub(crate) fn parse_smaps(block: &str) -> SmapsView {
    let mut v = SmapsView::default();
    for l in block.lines().skip(1) {
        let Some((name, rest)) = l.split_once(':') else {
            continue;
        };
        let n: u64 = rest
            .split_whitespace()
            .next()
            .and_then(|x| x.parse().ok())
            .unwrap_or(0);
        match name {
            "Rss" => v.rss_kb = n,
            "Pss" => v.pss = n << (10 + PSS_SHIFT),
            "Shared_Clean" => v.shared_clean_kb = n,
            "Shared_Dirty" => v.shared_dirty_kb = n,
            "Private_Clean" => v.private_clean_kb = n,
            "Private_Dirty" => v.private_dirty_kb = n,
            "Referenced" => v.referenced_kb = n,
            "Anonymous" => v.anonymous_kb = n,
            "LazyFree" => v.lazyfree_kb = n,
            "AnonHugePages" => v.anon_huge_pages_kb = n,
            "ShmemPmdMapped" => v.shmem_pmd_mapped_kb = n,
            "Shared_Hugetlb" => v.shared_hugetlb_kb = n,
            "Private_Hugetlb" => v.private_hugetlb_kb = n,
            "Swap" => v.swap_kb = n,
            "SwapPss" => v.swap_pss = n << (10 + PSS_SHIFT),
            "ProtectionKey" => v.protection_key = Some(n as u32),
            _ => {}
        }
    }
    v
}

fn cpath(p: &Path) -> Option<CString> {
    CString::new(p.as_os_str().as_bytes()).ok()
}

/// Opens `path` read-only without following a last symlink.
pub(crate) fn open_ro(path: &Path) -> std::io::Result<OwnedFd> {
    open_flags(path, OFlags::NOFOLLOW)
}

/// Opens a `/proc/PID/map_files` entry (a magic link: it must be followed).
pub(crate) fn open_map_file(path: &Path) -> std::io::Result<OwnedFd> {
    open_flags(path, OFlags::empty())
}

fn open_flags(path: &Path, extra: OFlags) -> std::io::Result<OwnedFd> {
    let c = cpath(path).ok_or(std::io::ErrorKind::InvalidInput)?;
    let flags = OFlags::RDONLY | OFlags::CLOEXEC | extra;
    Ok(rustix::fs::open(&*c, flags, rustix::fs::Mode::empty())?)
}

/// `d`/`-` per page of the open file, by `lseek(SEEK_DATA/SEEK_HOLE)`,
/// folded: one run per hole and per extent of data.
pub(crate) fn data_string(fd: &OwnedFd) -> std::io::Result<String> {
    let size = rustix::fs::fstat(fd)?.st_size.max(0) as u64;
    let (pages, more) = crate::backend::observed_pages(size.div_ceil(4096));
    let mut runs = crate::observe::PageRuns::default();
    let mut at = 0; // the first page not yet in `runs`
    let mut off: u64 = 0;
    while off < size && at < pages {
        let Ok(data) = seek(fd, SeekFrom::Data(off)) else {
            break; // ENXIO: no data past off.
        };
        let hole = seek(fd, SeekFrom::Hole(data)).unwrap_or(size);
        let (first, end) = ((data / 4096).min(pages), hole.div_ceil(4096).min(pages));
        if first >= at {
            runs.push(b'-', first - at);
            at = first;
        }
        runs.push(b'd', end.saturating_sub(at));
        at = at.max(end);
        if hole <= data {
            break;
        }
        off = hole;
    }
    runs.push(b'-', pages - at);
    Ok(runs.folded(&more))
}

/// Bytes used on the file system holding `path`, in kB (`statvfs`).
pub(crate) fn df_used_kb(path: &Path) -> std::io::Result<u64> {
    let c = cpath(path).ok_or(std::io::ErrorKind::InvalidInput)?;
    let st = rustix::fs::statvfs(&*c)?;
    Ok((st.f_blocks - st.f_bfree) * st.f_frsize / 1024)
}

/// The size in kB of the file system holding `path`.
pub(crate) fn df_size_kb(path: &Path) -> std::io::Result<u64> {
    let c = cpath(path).ok_or(std::io::ErrorKind::InvalidInput)?;
    let st = rustix::fs::statvfs(&*c)?;
    Ok(st.f_blocks * st.f_frsize / 1024)
}

/// Is this a tmpfs (`TMPFS_MAGIC`)?
pub(crate) fn is_tmpfs(path: &Path) -> bool {
    let Some(c) = cpath(path) else { return false };
    rustix::fs::statfs(&*c).is_ok_and(|st| st.f_type == libc::TMPFS_MAGIC)
}

/// Is swap configured on the host?
pub(crate) fn has_swap() -> bool {
    meminfo(false).get("SwapTotal").copied().unwrap_or(0) > 0
}

/// Does a process with this pid exist (as seen from here)?
pub(crate) fn pid_exists(pid: i32) -> bool {
    let Some(pid) = pid_of(pid) else {
        return false;
    };
    // kill(pid, 0): it exists if we may signal it, or if we may not (EPERM).
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        Err(e) => e == rustix::io::Errno::PERM,
    }
}

/// A host pid as rustix's `Pid` (`None` for 0 and negative values, which
/// name groups or nothing).
pub(crate) fn pid_of(pid: i32) -> Option<rustix::process::Pid> {
    if pid > 0 {
        rustix::process::Pid::from_raw(pid)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysvipc_lines_parse() {
        let l = "      4660          3   1666                  8192  1234  1250      2  1000  1000  1000  1000 1700000000 1700000001 1700000002                  4096                     0";
        let r = parse_sysvipc_line(l).unwrap();
        assert_eq!((r.key, r.id, r.perms, r.size), (4660, 3, 0o1666, 8192));
        assert_eq!(
            (r.cpid, r.lpid, r.nattch, r.rss, r.swap),
            (1234, 1250, 2, 4096, 0)
        );
    }

    #[test]
    fn smaps_blocks_parse() {
        let b = "7e0000000000-7e0000001000 rw-s 00000000 00:01 5 /dev/zero (deleted)\nSize:  4 kB\nRss:   4 kB\nPss:   2 kB\nShared_Dirty:  4 kB\nSwap:  0 kB\n";
        let v = parse_smaps(b);
        assert_eq!(v.rss_kb, 4);
        assert_eq!(v.pss >> (10 + PSS_SHIFT), 2);
        assert_eq!(v.shared_dirty_kb, 4);
        assert!(header(b.lines().next().unwrap()).is_some());
        assert!(header("Rss:   4 kB").is_none());
    }
}
