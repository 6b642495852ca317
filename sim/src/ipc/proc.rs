//! System V shared memory as the tools print it.
//!
//! - `/proc/sysvipc/shm`: `sysvipc_shm_proc_show` (ipc/shm.c, 4.14, 64-bit
//!   `SIZE_SPEC` `%21lu`) after the header that `shm_init` registers and
//!   `sysvipc_proc_show` (ipc/util.c) prints first. Rows go by index, as the
//!   idr walk (`sysvipc_find_ipc`) finds them.
//! - util-linux 2.38 `ipcs`: `ipcs -m` (`do_shm`, default format), `ipcs -m
//!   -i ID` (`print_shm`), `ipcs -m -u` and `ipcs -u` (the status summary from
//!   `shmctl(SHM_INFO)`), `ipcs -m -l` (the limits, `ipc_shm_get_limits`).
//!   `ipcs` reads its rows from `/proc/sysvipc/shm` (`ipc_shm_get_info`), so
//!   the mode it shows with `-i` keeps the `SHM_DEST` and `SHM_LOCKED` bits.
//! - `/proc/PID/maps`: a segment's attach maps its shm file, `d_path` of which
//!   is `/SYSV%08x (deleted)` (the file was never linked), and the inode
//!   column shows the shmid (`newseg` sets `file_inode(file)->i_ino =
//!   shp->shm_perm.id`).
//!
//! Times print in UTC (`TZ=UTC`), so that the output depends only on the
//! model's clock. Owner names come from a fixed passwd: uid 0 is `root`,
//! 1000 is `student`; any other uid prints as its number, as `ipcs` does for
//! a uid without a passwd entry.
//!
//! What ipcs prints for the same state on a real machine was checked on
//! util-linux 2.38.1 over Linux 6.18 (whose `sysvipc_shm_proc_show` has the
//! same format as 4.14's): see the unit tests.

use crate::ipc::shm::{ShmidKernel, SHMMIN, SHM_DEST, SHM_LOCKED};
use crate::kernel::Kernel;
use crate::mm::page::PAGE_SIZE;
use crate::syscalls::{ShellArgs, ShellOut};
use std::fmt::Write as _;

/// The header line of `/proc/sysvipc/shm` on a 64-bit kernel (`shm_init`).
pub const PROC_SYSVIPC_SHM_HEADER: &str = "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n";

/// What `shmctl(SHM_INFO)` reports (`struct shm_info`, `shmctl_shm_info`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShmUsage {
    /// `used_ids`: segments in use.
    pub used_ids: u32,
    /// `shm_tot`: pages of all segments (their sizes rounded up).
    pub shm_tot: u64,
    /// `shm_rss`: pages in the segments' page caches.
    pub shm_rss: u64,
    /// `shm_swp`: pages of the segments in swap.
    pub shm_swp: u64,
}

/// `shm_add_rss_swap`: the segment's pages in its page cache
/// (`i_mapping->nrpages`) and in swap (`shmem_inode_info.swapped`). A page
/// that reclaim moved to the swap cache has left the page cache: it counts
/// as swapped, not resident.
pub fn shm_rss_swap(k: &Kernel, shp: &ShmidKernel) -> (u64, u64) {
    let inode = &k.inodes[&shp.ino];
    (
        inode.mapping.nrpages,
        inode.shmem().map_or(0, |i| i.swapped),
    )
}

/// `shmctl_shm_info` with `shm_get_stat`: the totals `ipcs -u` prints.
pub fn shm_usage(k: &Kernel) -> ShmUsage {
    let (rss, swp) = k.shm_ids.entries.values().fold((0, 0), |(r, s), shp| {
        let (a, b) = shm_rss_swap(k, shp);
        (r + a, s + b)
    });
    ShmUsage {
        used_ids: k.shm_ids.in_use,
        shm_tot: k.shm_ids.shm_tot,
        shm_rss: rss,
        shm_swp: swp,
    }
}

/// The segment whose id is `shmid` (index and sequence number both match).
fn segment(k: &Kernel, shmid: i32) -> Option<&ShmidKernel> {
    if shmid < 0 {
        return None;
    }
    k.shm_ids
        .entries
        .get(&crate::ipc::util::ipcid_to_idx(shmid))
        .filter(|s| s.perm.id == shmid)
}

/// One row of `/proc/sysvipc/shm` (`sysvipc_shm_proc_show`):
/// `"%10d %10d  %4o %21lu %5u %5u  %5lu %5u %5u %5u %5u %10lu %10lu %10lu %21lu %21lu\n"`
/// with key, shmid, mode (`SHM_DEST` 01000 and `SHM_LOCKED` 02000
/// included), size, cpid, lpid, nattch, uid, gid, cuid, cgid, atime,
/// dtime, ctime, and rss and swap in bytes.
pub fn proc_sysvipc_shm_row(k: &Kernel, shp: &ShmidKernel) -> String {
    let (rss, swp) = shm_rss_swap(k, shp);
    format!(
        "{:>10} {:>10}  {:>4o} {:>21} {:>5} {:>5}  {:>5} {:>5} {:>5} {:>5} {:>5} {:>10} {:>10} {:>10} {:>21} {:>21}\n",
        shp.perm.key,
        shp.perm.id,
        shp.perm.mode,
        shp.shm_segsz,
        shp.shm_cprid,
        shp.shm_lprid,
        shp.shm_nattch,
        shp.perm.uid,
        shp.perm.gid,
        shp.perm.cuid,
        shp.perm.cgid,
        shp.shm_atim,
        shp.shm_dtim,
        shp.shm_ctim,
        rss * PAGE_SIZE,
        swp * PAGE_SIZE,
    )
}

/// `cat /proc/sysvipc/shm`: the header, then one row per segment by index.
pub fn render_proc_sysvipc_shm(k: &Kernel) -> String {
    let mut out = String::from(PROC_SYSVIPC_SHM_HEADER);
    for shp in k.shm_ids.entries.values() {
        out.push_str(&proc_sysvipc_shm_row(k, shp));
    }
    out
}

/// The passwd entry `ipcs` finds for `uid` (`getpwuid`): the model's
/// machine knows `root` (0) and `student` (1000).
pub fn passwd_name(uid: u32) -> Option<&'static str> {
    match uid {
        0 => Some("root"),
        1000 => Some("student"),
        _ => None,
    }
}

/// `ctime(3)` in UTC without its newline: `"Mon Jan  1 00:00:03 2024"`
/// (`"%.3s %.3s%3d %.2d:%.2d:%.2d %d"`, glibc's `asctime`).
pub fn ctime_utc(t: i64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // 1970-01-01 was a Thursday.
    let wday = (days + 4).rem_euclid(7) as usize;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{} {}{:>3} {:02}:{:02}:{:02} {}",
        DAYS[wday],
        MONTHS[(month - 1) as usize],
        day,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        year
    )
}

/// C's `%#o`: octal with a leading 0, except for 0 itself.
fn alt_octal(n: u32) -> String {
    if n == 0 {
        "0".into()
    } else {
        format!("0{n:o}")
    }
}

/// `ipcs -m`: a blank line, the title, the column header (each name
/// `%-10s`, `status` `%-12s`), one row per segment
/// (`"0x%08x "`, `"%-10d %-10.10s"` with the owner's name or `"%-10d %-10u"`,
/// then `" %-10o %-10lu %-10ld %-6s %-6s\n"`: permission bits, bytes,
/// nattch, `dest` or `" "`, `locked` or `" "`), and the blank line `ipcs`
/// prints after each resource.
pub fn render_ipcs_m(k: &Kernel) -> String {
    let mut out = String::from(
        "\n------ Shared Memory Segments --------\n\
         key        shmid      owner      perms      bytes      nattch     status      \n",
    );
    for shp in k.shm_ids.entries.values() {
        let _ = write!(out, "0x{:08x} ", shp.perm.key as u32);
        match passwd_name(shp.perm.uid) {
            Some(name) => {
                let _ = write!(out, "{:<10} {:<10.10}", shp.perm.id, name);
            }
            None => {
                let _ = write!(out, "{:<10} {:<10}", shp.perm.id, shp.perm.uid);
            }
        }
        let _ = writeln!(
            out,
            " {:<10o} {:<10} {:<10} {:<6} {:<6}",
            shp.perm.mode & 0o777,
            shp.shm_segsz,
            shp.shm_nattch,
            if shp.perm.mode & SHM_DEST != 0 {
                "dest"
            } else {
                " "
            },
            if shp.perm.mode & SHM_LOCKED != 0 {
                "locked"
            } else {
                " "
            },
        );
    }
    out.push('\n');
    out
}

/// `ipcs -m -i ID` (`print_shm`): `Ok(stdout)`, or `Err(stderr)` =
/// `"ipcs: id ID not found\n"` when no segment has that id (ipcs still
/// exits 0). A negative id matches every row of `/proc/sysvipc/shm` in
/// `ipc_shm_get_info`, so ipcs shows the first segment under the id asked
/// for (`shmid=-1`), as util-linux 2.38.1 does.
///
/// The times are `%-26.24s` of `ctime()` (24 characters, two spaces of
/// padding), or `Not set` padded likewise when zero; `change_time` is
/// always a date.
pub fn render_ipcs_m_i(k: &Kernel, shmid: i32) -> Result<String, String> {
    let shp = if shmid < 0 {
        k.shm_ids.entries.values().next()
    } else {
        k.shm_ids.entries.values().find(|s| s.perm.id == shmid)
    };
    let Some(shp) = shp else {
        return Err(format!("ipcs: id {shmid} not found\n"));
    };
    let p = &shp.perm;
    let time = |t: i64| {
        if t == 0 {
            "Not set".to_string()
        } else {
            ctime_utc(t)
        }
    };
    let mut out = String::new();
    let _ = writeln!(out, "\nShared memory Segment shmid={shmid}");
    let _ = writeln!(
        out,
        "uid={}\tgid={}\tcuid={}\tcgid={}",
        p.uid, p.gid, p.cuid, p.cgid
    );
    let _ = writeln!(
        out,
        "mode={}\taccess_perms={}",
        alt_octal(p.mode),
        alt_octal(p.mode & 0o777)
    );
    let _ = writeln!(
        out,
        "bytes={}\tlpid={}\tcpid={}\tnattch={}",
        shp.shm_segsz, shp.shm_lprid, shp.shm_cprid, shp.shm_nattch
    );
    let _ = writeln!(out, "att_time={:<26}", time(shp.shm_atim));
    let _ = writeln!(out, "det_time={:<26}", time(shp.shm_dtim));
    let _ = writeln!(out, "change_time={:<26}", ctime_utc(shp.shm_ctim));
    out.push('\n');
    Ok(out)
}

/// The `------ Shared Memory Status --------` block of `ipcs -u`
/// (`do_shm(STATUS)`, from `shmctl(SHM_INFO)`; the kernel's swap counters
/// are always 0), without the blank lines around it.
fn shm_status_block(k: &Kernel) -> String {
    let u = shm_usage(k);
    format!(
        "------ Shared Memory Status --------\n\
         segments allocated {}\n\
         pages allocated {}\n\
         pages resident  {}\n\
         pages swapped   {}\n\
         Swap performance: 0 attempts\t 0 successes\n",
        u.used_ids, u.shm_tot, u.shm_rss, u.shm_swp
    )
}

/// `ipcs -m -u`: the shared memory summary alone.
pub fn render_ipcs_m_u(k: &Kernel) -> String {
    format!("\n{}\n", shm_status_block(k))
}

/// `ipcs -u`: message queues, shared memory and semaphores, in that order;
/// the model has no queues and no semaphore arrays, so theirs are zeros.
pub fn render_ipcs_u(k: &Kernel) -> String {
    format!(
        "\n------ Messages Status --------\n\
         allocated queues = 0\n\
         used headers = 0\n\
         used space = 0 bytes\n\
         \n{}\n\
         ------ Semaphore Status --------\n\
         used arrays = 0\n\
         allocated semaphores = 0\n\
         \n",
        shm_status_block(k)
    )
}

/// `ipcs -m -l` (`do_shm(LIMITS)` over `kernel.shmmni`, `kernel.shmmax`,
/// `kernel.shmall`): the total in kbytes is `shmall * (pagesize / 1024)`,
/// or `UINT64_MAX - UINT64_MAX % 4` when that overflows (as the defaults
/// do: 18446744073709551612).
pub fn render_ipcs_m_l(k: &Kernel) -> String {
    let ids = &k.shm_ids;
    let per = PAGE_SIZE / 1024;
    let total = ids
        .shm_ctlall
        .checked_mul(per)
        .unwrap_or(u64::MAX - u64::MAX % per);
    format!(
        "\n------ Shared Memory Limits --------\n\
         max number of segments = {}\n\
         max seg size (kbytes) = {}\n\
         max total shared memory (kbytes) = {}\n\
         min seg size (bytes) = {}\n\
         \n",
        ids.shm_ctlmni,
        ids.shm_ctlmax / 1024,
        total,
        SHMMIN
    )
}

/// What `/proc/PID/maps` shows for an attach of segment `shmid`: the inode
/// column (the shmid: `newseg` sets the file's `i_ino` to it) and the name
/// (`/SYSV%08x (deleted)`, with the key the segment was created with: the
/// file keeps its name after `IPC_RMID` makes the key private). `None` when
/// no segment has that id.
pub fn try_sysv_maps_name(k: &Kernel, shmid: i32) -> Option<(u64, String)> {
    let shp = segment(k, shmid)?;
    Some((shp.perm.id as u64, k.d_path(shp.ino)))
}

/// [`try_sysv_maps_name`] for a segment known to exist.
///
/// # Panics
///
/// If no segment has id `shmid` (an attached segment always exists).
pub fn sysv_maps_name(k: &Kernel, shmid: i32) -> (u64, String) {
    try_sysv_maps_name(k, shmid)
        .unwrap_or_else(|| panic!("sysv_maps_name: no System V segment has id {shmid}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::shm::{SHM_LOCK, SHM_RDONLY};
    use crate::ipc::util::{IPC_CREAT, IPC_PRIVATE, IPC_RMID};
    use crate::kernel::{Config, EPOCH};
    use crate::mm::madvise::madv;

    fn root_machine() -> Kernel {
        Kernel::new(Config {
            uid: 0,
            gid: 0,
            swap_bytes: 1 << 20,
            ..Config::default()
        })
    }

    /// The state of the host probe (see the tests below): as root,
    /// segment 0x162e (10000 bytes, 0666, attached, 5000 bytes written),
    /// a private 0600 segment attached and removed (dest), 0xdeadbeef
    /// (8192 bytes, 0640, locked, never attached), and 0x1234 (1 byte,
    /// 0644) created by uid 1000.
    fn probe_state() -> (Kernel, u32, [i32; 4]) {
        let mut k = root_machine();
        let p = k.spawn("probe");
        let a = k.shmget(p, 0x162e, 10000, IPC_CREAT | 0o666).unwrap();
        let pa = k.shmat(p, a, 0, 0).unwrap();
        k.fill_user(p, pa, b'x', 5000).unwrap();
        let b = k.shmget(p, IPC_PRIVATE, 4096, IPC_CREAT | 0o600).unwrap();
        let pb = k.shmat(p, b, 0, 0).unwrap();
        k.write_user(p, pb, &[1]).unwrap();
        k.shmctl(p, b, IPC_RMID, None).unwrap();
        let c = k
            .shmget(p, 0xdead_beef_u32 as i32, 8192, IPC_CREAT | 0o640)
            .unwrap();
        k.shmctl(p, c, SHM_LOCK, None).unwrap();
        let u = k.spawn("student");
        let t = k.tasks.get_mut(&u).unwrap();
        (t.uid, t.gid) = (1000, 1000);
        let d = k.shmget(u, 0x1234, 1, IPC_CREAT | 0o644).unwrap();
        // The clock: boot's swapon took second 1, and every call after it
        // (memory accesses included) takes the next second.
        (k, p, [a, b, c, d])
    }

    /// [`probe_state`] with the host's ids, pids and times put in, so that
    /// the renderers must print what the host printed, byte for byte.
    fn as_on_host(k: &mut Kernel) {
        let host = [
            (4, 19957, [1_795_319_595; 3]),
            (5, 19957, [1_795_319_595; 3]),
            (6, 0, [0, 0, 1_795_319_595]),
            (7, 0, [0, 0, 1_795_319_595]),
        ];
        for (shp, (id, lpid, [a, d, c])) in k.shm_ids.entries.values_mut().zip(host) {
            shp.perm.id = id;
            shp.shm_cprid = if id == 7 { 19957 } else { 19956 };
            shp.shm_lprid = lpid;
            (shp.shm_atim, shp.shm_dtim, shp.shm_ctim) = (a, d, c);
        }
    }

    #[test]
    fn renders_the_host_probe_verbatim() {
        // Captured on this machine (Linux 6.18, util-linux 2.38.1, TZ=UTC)
        // after creating the probe state with a C program; uid 1000 is
        // named cloudsdk there and student in the model.
        let (mut k, _, _) = probe_state();
        as_on_host(&mut k);
        let proc_shm = "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap
      5678          4   666                 10000 19956 19957      1     0     0     0     0 1795319595 1795319595 1795319595                  8192                     0
         0          5  1600                  4096 19956 19957      1     0     0     0     0 1795319595 1795319595 1795319595                  4096                     0
-559038737          6  2640                  8192 19956     0      0     0     0     0     0          0          0 1795319595                     0                     0
      4660          7   644                     1 19957     0      0  1000  1000  1000  1000          0          0 1795319595                     0                     0
";
        assert_eq!(render_proc_sysvipc_shm(&k), proc_shm);
        let ipcs_m = "
------ Shared Memory Segments --------
key        shmid      owner      perms      bytes      nattch     status      
0x0000162e 4          root       666        10000      1                       
0x00000000 5          root       600        4096       1          dest         
0xdeadbeef 6          root       640        8192       0                 locked
0x00001234 7          cloudsdk   644        1          0                       

";
        assert_eq!(
            render_ipcs_m(&k),
            ipcs_m.replace("cloudsdk  ", "student   ")
        );
        let ipcs_i = [
            (
                4,
                "
Shared memory Segment shmid=4
uid=0\tgid=0\tcuid=0\tcgid=0
mode=0666\taccess_perms=0666
bytes=10000\tlpid=19957\tcpid=19956\tnattch=1
att_time=Sun Nov 22 03:53:15 2026  
det_time=Sun Nov 22 03:53:15 2026  
change_time=Sun Nov 22 03:53:15 2026  

",
            ),
            (
                5,
                "
Shared memory Segment shmid=5
uid=0\tgid=0\tcuid=0\tcgid=0
mode=01600\taccess_perms=0600
bytes=4096\tlpid=19957\tcpid=19956\tnattch=1
att_time=Sun Nov 22 03:53:15 2026  
det_time=Sun Nov 22 03:53:15 2026  
change_time=Sun Nov 22 03:53:15 2026  

",
            ),
            (
                6,
                "
Shared memory Segment shmid=6
uid=0\tgid=0\tcuid=0\tcgid=0
mode=02640\taccess_perms=0640
bytes=8192\tlpid=0\tcpid=19956\tnattch=0
att_time=Not set                   
det_time=Not set                   
change_time=Sun Nov 22 03:53:15 2026  

",
            ),
        ];
        for (id, text) in ipcs_i {
            assert_eq!(render_ipcs_m_i(&k, id).unwrap(), text);
        }
    }

    #[test]
    fn ctime_matches_glibc_in_utc() {
        // Checked with `TZ=UTC date -d @T '+%a %b %e %H:%M:%S %Y'` and
        // Python's time.asctime(time.gmtime(T)).
        assert_eq!(ctime_utc(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(ctime_utc(EPOCH), "Mon Jan  1 00:00:00 2024");
        assert_eq!(ctime_utc(EPOCH + 3), "Mon Jan  1 00:00:03 2024");
        assert_eq!(ctime_utc(1_709_210_096), "Thu Feb 29 12:34:56 2024");
        assert_eq!(ctime_utc(1_795_319_595), "Sun Nov 22 03:53:15 2026");
        assert_eq!(ctime_utc(951_825_600), "Tue Feb 29 12:00:00 2000");
        assert_eq!(ctime_utc(4_107_542_399), "Sun Feb 28 23:59:59 2100");
    }

    #[test]
    fn proc_sysvipc_shm_has_the_kernel_widths() {
        // Same layout as the host's /proc/sysvipc/shm for the same state
        // (Linux 6.18, whose format string is 4.14's): its rows were
        //       5678          4   666                 10000 19956 19957      1     0     0     0     0 1795319595 1795319595 1795319595                  8192                     0
        //          0          5  1600                  4096 19956 19957      1     0     0     0     0 1795319595 1795319595 1795319595                  4096                     0
        // -559038737          6  2640                  8192 19956     0      0     0     0     0     0          0          0 1795319595                     0                     0
        //       4660          7   644                     1 19957     0      0  1000  1000  1000  1000          0          0 1795319595                     0                     0
        // (the host's lpid there was a forked helper's; ids and times are the host's).
        let (k, _, _) = probe_state();
        let expected = "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n\
\x20     5678          0   666                 10000  1000  1000      1     0     0     0     0 1704067203          0 1704067202                  8192                     0\n\
\x20        0      32769  1600                  4096  1000  1000      1     0     0     0     0 1704067206          0 1704067205                  4096                     0\n\
-559038737      65538  2640                  8192  1000     0      0     0     0     0     0          0          0 1704067209                     0                     0\n\
\x20     4660      98307   644                     1  1001     0      0  1000  1000  1000  1000          0          0 1704067211                     0                     0\n";
        assert_eq!(render_proc_sysvipc_shm(&k), expected);
    }

    #[test]
    fn proc_rss_counts_the_page_cache_and_swap_the_swapped() {
        let mut k = root_machine();
        let p = k.spawn("p");
        let id = k.shmget(p, 7, 4 * 4096, IPC_CREAT | 0o600).unwrap();
        let at = k.shmat(p, id, 0, 0).unwrap();
        for i in 0..3 {
            k.write_user(p, at + i * 4096, b"x").unwrap();
        }
        k.madvise(p, at, 2 * 4096, madv::PAGEOUT).unwrap();
        let row = proc_sysvipc_shm_row(&k, &k.shm_ids.entries[&0]);
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!((cols[14], cols[15]), ("4096", "8192"), "{row}");
        assert_eq!(
            shm_usage(&k),
            ShmUsage {
                used_ids: 1,
                shm_tot: 4,
                shm_rss: 1,
                shm_swp: 2
            }
        );
    }

    #[test]
    fn ipcs_m_matches_util_linux_2_38() {
        // Host (util-linux 2.38.1, uid 1000 there named cloudsdk):
        //
        // ------ Shared Memory Segments --------
        // key        shmid      owner      perms      bytes      nattch     status
        // 0x0000162e 4          root       666        10000      1
        // 0x00000000 5          root       600        4096       1          dest
        // 0xdeadbeef 6          root       640        8192       0                 locked
        // 0x00001234 7          cloudsdk   644        1          0
        //
        // with the same trailing blanks as below (checked with cat -A).
        let (k, _, _) = probe_state();
        let expected = "\n------ Shared Memory Segments --------\n\
key        shmid      owner      perms      bytes      nattch     status      \n\
0x0000162e 0          root       666        10000      1                       \n\
0x00000000 32769      root       600        4096       1          dest         \n\
0xdeadbeef 65538      root       640        8192       0                 locked\n\
0x00001234 98307      student    644        1          0                       \n\
\n";
        assert_eq!(render_ipcs_m(&k), expected);
    }

    #[test]
    fn ipcs_m_owner_without_passwd_entry_is_numeric_and_long_names_are_cut() {
        let mut k = root_machine();
        let p = k.spawn("p");
        k.tasks.get_mut(&p).unwrap().uid = 4_000_000_000;
        k.shmget(p, 1, 1, IPC_CREAT | 0o600).unwrap();
        let out = render_ipcs_m(&k);
        assert!(
            out.contains("\n0x00000001 0          4000000000 600        1          0"),
            "{out}"
        );
    }

    #[test]
    fn ipcs_m_i_matches_util_linux_2_38() {
        // Host, for the attached and for the locked segment:
        //
        // Shared memory Segment shmid=4
        // uid=0	gid=0	cuid=0	cgid=0
        // mode=0666	access_perms=0666
        // bytes=10000	lpid=19957	cpid=19956	nattch=1
        // att_time=Sun Nov 22 03:53:15 2026
        // det_time=Sun Nov 22 03:53:15 2026
        // change_time=Sun Nov 22 03:53:15 2026
        //
        // Shared memory Segment shmid=6
        // uid=0	gid=0	cuid=0	cgid=0
        // mode=02640	access_perms=0640
        // bytes=8192	lpid=0	cpid=19956	nattch=0
        // att_time=Not set
        // det_time=Not set
        // change_time=Sun Nov 22 03:53:15 2026
        //
        // each time padded to 26 columns, a blank line before and after.
        let (k, _, [a, b, c, _]) = probe_state();
        assert_eq!(
            render_ipcs_m_i(&k, a).unwrap(),
            "\nShared memory Segment shmid=0\n\
uid=0\tgid=0\tcuid=0\tcgid=0\n\
mode=0666\taccess_perms=0666\n\
bytes=10000\tlpid=1000\tcpid=1000\tnattch=1\n\
att_time=Mon Jan  1 00:00:03 2024  \n\
det_time=Not set                   \n\
change_time=Mon Jan  1 00:00:02 2024  \n\n"
        );
        assert!(render_ipcs_m_i(&k, b)
            .unwrap()
            .contains("\nmode=01600\taccess_perms=0600\n"));
        assert_eq!(
            render_ipcs_m_i(&k, c).unwrap(),
            "\nShared memory Segment shmid=65538\n\
uid=0\tgid=0\tcuid=0\tcgid=0\n\
mode=02640\taccess_perms=0640\n\
bytes=8192\tlpid=0\tcpid=1000\tnattch=0\n\
att_time=Not set                   \n\
det_time=Not set                   \n\
change_time=Mon Jan  1 00:00:09 2024  \n\n"
        );
        // Host: `ipcs -m -i 99999` wrote "ipcs: id 99999 not found" to
        // stderr and exited 0; `ipcs -m -i -1` showed the first segment as
        // "shmid=-1".
        assert_eq!(
            render_ipcs_m_i(&k, 99999),
            Err("ipcs: id 99999 not found\n".into())
        );
        assert!(render_ipcs_m_i(&k, -1).unwrap().starts_with(
            "\nShared memory Segment shmid=-1\nuid=0\tgid=0\tcuid=0\tcgid=0\nmode=0666\t"
        ));
        // A mode of 0 prints as "0", as C's %#o does.
        let mut k = root_machine();
        let p = k.spawn("p");
        let id = k.shmget(p, 9, 1, IPC_CREAT).unwrap();
        assert!(render_ipcs_m_i(&k, id)
            .unwrap()
            .contains("\nmode=0\taccess_perms=0\n"));
    }

    #[test]
    fn ipcs_u_matches_util_linux_2_38() {
        // Host, for the probe state (4 segments, 1 + 1 + 2 + 3 pages, 2 + 1
        // resident): exactly these lines, a tab before " 0 successes".
        let (k, _, _) = probe_state();
        let shm = "------ Shared Memory Status --------\n\
segments allocated 4\n\
pages allocated 7\n\
pages resident  3\n\
pages swapped   0\n\
Swap performance: 0 attempts\t 0 successes\n";
        assert_eq!(render_ipcs_m_u(&k), format!("\n{shm}\n"));
        assert_eq!(
            render_ipcs_u(&k),
            format!(
                "\n------ Messages Status --------\nallocated queues = 0\nused headers = 0\nused space = 0 bytes\n\n{shm}\n------ Semaphore Status --------\nused arrays = 0\nallocated semaphores = 0\n\n"
            )
        );
    }

    #[test]
    fn ipcs_m_l_matches_util_linux_2_38() {
        // Host, default limits (4.14 has the same SHMMAX and SHMALL).
        let mut k = root_machine();
        assert_eq!(
            render_ipcs_m_l(&k),
            "\n------ Shared Memory Limits --------\n\
max number of segments = 4096\n\
max seg size (kbytes) = 18014398509465599\n\
max total shared memory (kbytes) = 18446744073709551612\n\
min seg size (bytes) = 1\n\n"
        );
        k.sysctl("kernel.shmmax", 32 << 20).unwrap();
        k.sysctl("kernel.shmall", 2_097_152).unwrap();
        k.sysctl("kernel.shmmni", 128).unwrap();
        assert_eq!(
            render_ipcs_m_l(&k),
            "\n------ Shared Memory Limits --------\n\
max number of segments = 128\n\
max seg size (kbytes) = 32768\n\
max total shared memory (kbytes) = 8388608\n\
min seg size (bytes) = 1\n\n"
        );
    }

    #[test]
    fn maps_name_is_the_creation_key_and_the_inode_the_shmid() {
        // Host, after IPC_RMID of an attached 0x162e segment (id 8): the
        // maps line still read
        // 7fb8dd939000-7fb8dd93c000 rw-s 00000000 00:01 8                          /SYSV0000162e (deleted)
        // while /proc/sysvipc/shm showed key 0.
        let mut k = root_machine();
        let p = k.spawn("p");
        let first = k.shmget(p, IPC_PRIVATE, 1, IPC_CREAT | 0o600).unwrap();
        let id = k.shmget(p, 0x162e, 3 * 4096, IPC_CREAT | 0o666).unwrap();
        assert_eq!((first, id), (0, 32769));
        let at = k.shmat(p, id, 0, SHM_RDONLY).unwrap();
        k.shmctl(p, id, IPC_RMID, None).unwrap();
        assert_eq!(k.shm_ids.entries[&1].perm.key, 0);
        let (ino, name) = sysv_maps_name(&k, id);
        assert_eq!((ino, name.as_str()), (32769, "/SYSV0000162e (deleted)"));
        assert_eq!(
            sysv_maps_name(&k, first),
            (0, "/SYSV00000000 (deleted)".to_string())
        );
        // The maps view of the attach agrees.
        let views = k.vma_views(p).unwrap();
        let v = views.iter().find(|v| v.start == at).unwrap();
        assert_eq!((v.ino, v.name.as_str()), (ino, name.as_str()));
        let line = crate::fs::proc::render_maps(std::slice::from_ref(v));
        assert!(
            line.ends_with(" 32769                      /SYSV0000162e (deleted)\n"),
            "{line}"
        );
        assert!(line.contains(" r--s 00000000 "), "{line}");
        // Not a segment (any more).
        assert_eq!(try_sysv_maps_name(&k, 5), None);
        assert_eq!(try_sysv_maps_name(&k, -1), None);
        k.shmdt(p, at).unwrap();
        assert_eq!(
            try_sysv_maps_name(&k, id),
            None,
            "destroyed at the last detach"
        );
    }
}

/// What `ipcs` is asked to show, from the options a look step passes
/// (`-m`, `-u`, `-a`, `-m -i ID`): the one parser for the scenario checker
/// and the runner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpcsView {
    /// `ipcs -m` (also `ipcs`, `ipcs -a`): the segments.
    Segments,
    /// `ipcs -u`: the usage summary of every facility.
    Usage,
    /// `ipcs -m -u`: the shared memory usage summary.
    SegmentUsage,
    /// `ipcs -m -i ID`: one segment in detail.
    Segment(i32),
}

impl IpcsView {
    /// Parses the options; `Err((message, help))` for one the simulator's
    /// `ipcs` does not show.
    pub fn parse(args: &str) -> Result<IpcsView, (String, String)> {
        let words: Vec<&str> = args.split_whitespace().collect();
        let (mut m, mut u, mut id) = (false, false, None);
        let mut i = 0;
        while i < words.len() {
            match words[i] {
                "-m" => m = true,
                "-u" => u = true,
                "-a" => {}
                "-i" => match words.get(i + 1).and_then(|w| w.parse::<i32>().ok()) {
                    Some(n) => {
                        id = Some(n);
                        i += 1;
                    }
                    None => {
                        return Err((
                            "`-i` needs a segment id".into(),
                            "write `ipcs(\"-m -i ID\")`".into(),
                        ));
                    }
                },
                w => {
                    return Err((
                        format!("`{w}` is not an option the simulator's ipcs shows"),
                        "ipcs takes -m, -u, -a, and -m -i ID".into(),
                    ));
                }
            }
            i += 1;
        }
        Ok(match (id, u, m) {
            (Some(n), _, _) => IpcsView::Segment(n),
            (None, true, true) => IpcsView::SegmentUsage,
            (None, true, false) => IpcsView::Usage,
            (None, false, _) => IpcsView::Segments,
        })
    }
}

/// `ipcs` with the options of a look step.
pub fn render_ipcs(k: &Kernel, args: &str) -> Result<String, String> {
    match IpcsView::parse(args).map_err(|(m, _)| format!("ipcs: {m}\n"))? {
        IpcsView::Segments => Ok(render_ipcs_m(k)),
        IpcsView::Usage => Ok(render_ipcs_u(k)),
        IpcsView::SegmentUsage => Ok(render_ipcs_m_u(k)),
        IpcsView::Segment(id) => render_ipcs_m_i(k, id),
    }
}

/// The checker's check of `ipcs`'s command line: the views the model shows.
pub fn check_ipcs_arg(arg: &str) -> Result<(), crate::syscalls::ToolRefusal> {
    let words: Vec<&str> = arg.split_whitespace().collect();
    IpcsView::parse(&words.join(" "))
        .map(|_| ())
        .map_err(|why| crate::tools::util::cannot_take("ipcs", arg, why))
}

/// The look step `ipcs(OPTIONS)`.
pub fn ipcs(k: &mut Kernel, a: &ShellArgs) -> ShellOut {
    ShellOut::printed(render_ipcs(k, a.text(0)))
}
