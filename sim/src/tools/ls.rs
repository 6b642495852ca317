//! `ls -l`: coreutils 9.1 `src/ls.c` (`print_long_format`,
//! `format_user_or_group`, the time format) and gnulib `lib/filemode.c`
//! (`filemodestring`), in the C locale.

use super::util::{pad_left, pad_right, split_opts};
use crate::syscalls::{ShellArgs, ShellOut};
use serde::Serialize;
use std::fmt::Write as _;

/// `S_IFMT` and the file types `ls` tells apart.
pub const S_IFMT: u32 = 0o170000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFBLK: u32 = 0o060000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFIFO: u32 = 0o010000;
pub const S_ISUID: u32 = 0o4000;
pub const S_ISGID: u32 = 0o2000;
pub const S_ISVTX: u32 = 0o1000;

/// One directory entry as `ls -l` sees it (`lstat` plus the names of the
/// owner and group).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LsEntry {
    /// `st_mode`, file type bits included (`0o100644` for a regular file).
    pub mode: u32,
    pub nlink: u64,
    /// Owner name; a string of digits stands for a uid with no name, which
    /// `ls` right-aligns (`format_user_or_group` prints unknown ids `%*lu`).
    pub user: String,
    /// Group name; digits as for `user`.
    pub group: String,
    /// `st_size` in bytes.
    pub size: u64,
    /// `st_mtime`, seconds since the epoch, shown in UTC.
    pub mtime: i64,
    pub name: String,
}

/// gnulib `filemodestring()`: `-rw-r--r--`, `drwxrwxrwt`, `-rwsr-xr-x`, `-rw-r-Sr--`.
pub fn mode_string(mode: u32) -> String {
    let t = match mode & S_IFMT {
        S_IFREG => '-',
        S_IFDIR => 'd',
        S_IFLNK => 'l',
        S_IFCHR => 'c',
        S_IFBLK => 'b',
        S_IFIFO => 'p',
        S_IFSOCK => 's',
        _ => '?',
    };
    let bit = |b: u32, c: char| if mode & b != 0 { c } else { '-' };
    let exec =
        |x: u32, special: u32, set: char, unset: char| match (mode & special != 0, mode & x != 0) {
            (true, true) => set,
            (true, false) => unset,
            (false, true) => 'x',
            (false, false) => '-',
        };
    [
        t,
        bit(0o400, 'r'),
        bit(0o200, 'w'),
        exec(0o100, S_ISUID, 's', 'S'),
        bit(0o040, 'r'),
        bit(0o020, 'w'),
        exec(0o010, S_ISGID, 's', 'S'),
        bit(0o004, 'r'),
        bit(0o002, 'w'),
        exec(0o001, S_ISVTX, 't', 'T'),
    ]
    .iter()
    .collect()
}

/// Days since 1970-01-01 to (year, month 1-12, day 1-31), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `ls -l`'s time column in the C locale, in UTC: `%b %e %H:%M` when the time
/// is within the last six months (`31556952 / 2` seconds, half an average
/// Gregorian year) and not in the future, else `%b %e  %Y`.
fn ls_time(t: i64, now: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let secs = t.rem_euclid(86_400);
    let six_months_ago = now - 31_556_952 / 2;
    // ls compares with nanoseconds; a file stamped in the current second was
    // written before ls read the clock, so it counts as past.
    let recent = six_months_ago < t && t <= now;
    let mon = MONTHS[(m - 1) as usize];
    if recent {
        format!("{mon} {d:>2} {:02}:{:02}", secs / 3600, secs % 3600 / 60)
    } else {
        format!("{mon} {d:>2}  {y}")
    }
}

/// Whether plain `ls` (no `-a`) lists a name: it hides names starting with `.`.
pub fn ls_visible(name: &str) -> bool {
    !name.starts_with('.')
}

/// `ls -l DIR` (coreutils 9.1, `LC_ALL=C`, output not a terminal, `TZ=UTC`).
///
/// Prints `total N` (`total_blocks_kib`: the listed files' `st_blocks` in
/// KiB, as `ls` sums them) and one line per entry, sorted by name in byte
/// order (C collation): mode, link count right-aligned, owner and group
/// left-aligned (unnamed numeric ids right-aligned), size right-aligned, date,
/// name. Every column is as wide as its widest cell. The entries are printed
/// as given: leave out the dot files plain `ls` hides (see [`ls_visible`]).
/// Names are printed literally, as `ls` does when writing to a pipe.
pub fn render_ls_l(entries: &[LsEntry], total_blocks_kib: u64, now: i64) -> String {
    render_ls(entries, total_blocks_kib, now, false)
}

/// `ls -l`, or with `human` `ls -lh`: `-h` sets `human_autoscale |
/// human_SI | human_base_1024` and a block size of 1 for both the sizes and
/// the `total` line (ls.c), so a 6 GiB file's size reads `6.0G` and a
/// page `4.0K`; below 1024 bytes the size is the plain number.
pub fn render_ls(entries: &[LsEntry], total_blocks_kib: u64, now: i64, human: bool) -> String {
    use crate::tools::human::{human_readable, Human};
    let h = Human {
        autoscale: true,
        si: true,
        base_1024: true,
        ..Human::default()
    };
    let size_of = |e: &LsEntry| {
        if human {
            human_readable(e.size, h, 1, 1)
        } else {
            e.size.to_string()
        }
    };
    let mut sorted: Vec<&LsEntry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    let nlink_w = sorted
        .iter()
        .map(|e| e.nlink.to_string().len())
        .max()
        .unwrap_or(0);
    let user_w = sorted.iter().map(|e| e.user.len()).max().unwrap_or(0);
    let group_w = sorted.iter().map(|e| e.group.len()).max().unwrap_or(0);
    let size_w = sorted.iter().map(|e| size_of(e).len()).max().unwrap_or(0);
    let is_id = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let owner = |s: &str, w: usize| {
        if is_id(s) {
            pad_left(s, w)
        } else {
            pad_right(s, w)
        }
    };

    let total = if human {
        human_readable(total_blocks_kib, h, 1024, 1)
    } else {
        total_blocks_kib.to_string()
    };
    let mut out = format!("total {total}\n");
    for e in sorted {
        let _ = writeln!(
            out,
            "{} {} {} {} {} {} {}",
            mode_string(e.mode),
            pad_left(&e.nlink.to_string(), nlink_w),
            owner(&e.user, user_w),
            owner(&e.group, group_w),
            pad_left(&size_of(e), size_w),
            ls_time(e.mtime, now),
            e.name
        );
    }
    out
}

/// The look step `ls(ARGS)` on the kernel model: `ls -l` of the directory
/// (`/dev/shm` when none is given), `-h` sizing it for humans.
pub fn on_kernel(k: &mut crate::kernel::Kernel, a: &ShellArgs) -> ShellOut {
    let (opts, dir) = split_opts(a.text(0));
    let dir = if dir.is_empty() { "/dev/shm" } else { dir };
    ShellOut::printed(
        k.ls_view(dir)
            .map_err(|e| format!("ls: cannot access '{dir}': {}\n", e.strerror()))
            .map(|(entries, total)| {
                let human = opts
                    .split_whitespace()
                    .any(|w| !w.starts_with("--") && w.contains('h'));
                render_ls(&entries, total, k.now, human)
            }),
    )
}

/// The checker's check of `ls`'s command line: options, then one absolute
/// path.
pub fn check_arg(arg: &str) -> Result<(), crate::syscalls::ToolRefusal> {
    let paths: Vec<&str> = arg
        .split_whitespace()
        .filter(|w| !w.starts_with('-'))
        .collect();
    let why = if paths.len() > 1 {
        Err((
            "more than one path".into(),
            "`ls` shows one directory per step".into(),
        ))
    } else {
        super::util::absolute_paths("ls", &paths)
    };
    why.map_err(|why| super::util::cannot_take("ls", arg, why))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn the_checker_takes_options_and_one_absolute_path() {
        assert_eq!(check_arg("-lh /dev/shm"), Ok(()));
        let two = check_arg("/dev/shm /tmp").unwrap_err();
        assert_eq!(two.message, "`ls` cannot take `/dev/shm /tmp`");
        assert_eq!(two.label, "more than one path");
        let relative = check_arg("dev/shm").unwrap_err();
        assert_eq!(relative.label, "`dev/shm` is not an absolute path");
        assert_eq!(relative.help, "write `ls(\"/dev/shm\")`");
    }

    /// `ls -l` of files made with chosen sizes, modes and times
    /// (`truncate -s`, `chmod`, `chown`, `ln`, `touch -d @T`) and listed with
    /// `LC_ALL=C TZ=UTC ls -l` (coreutils 9.1) at `now` = 1795319089
    /// (2026-11-22 03:44:49 UTC).
    #[test]
    fn ls_l_matches_coreutils() {
        let now = 1795319089;
        let e =
            |mode: u32, nlink: u64, user: &str, group: &str, size: u64, mtime: i64, name: &str| {
                LsEntry {
                    mode,
                    nlink,
                    user: user.into(),
                    group: group.into(),
                    size,
                    mtime,
                    name: name.into(),
                }
            };
        // given out of order: ls sorts
        let entries = vec![
            e(0o100666, 3, "root", "root", 34, 1795315489, "OS"),
            e(0o100644, 1, "root", "root", 123456789, 1778039089, "big"),
            e(0o100644, 1, "root", "root", 7, 0, "B_upper"),
            e(0o100666, 3, "root", "root", 34, 1795315489, "OS.link3"),
            e(0o100666, 3, "root", "root", 34, 1795315489, "OS.link2"),
            e(0o100644, 1, "1234", "4321", 0, 1795405489, "empty"),
            e(
                0o100600,
                1,
                "nobody",
                "nogroup",
                4096,
                1795319029,
                "sem.mutex",
            ),
            e(0o102644, 1, "root", "root", 10, 1779540513, "sgid"),
            e(0o041777, 2, "root", "root", 4096, 1700000000, "sticky"),
            e(0o104755, 1, "root", "root", 10, 1779540713, "suid"),
        ];
        let expected = "\
total 16
-rw-r--r-- 1 root   root            7 Jan  1  1970 B_upper
-rw-rw-rw- 3 root   root           34 Nov 22 02:44 OS
-rw-rw-rw- 3 root   root           34 Nov 22 02:44 OS.link2
-rw-rw-rw- 3 root   root           34 Nov 22 02:44 OS.link3
-rw-r--r-- 1 root   root    123456789 May  6  2026 big
-rw-r--r-- 1   1234    4321         0 Nov 23  2026 empty
-rw------- 1 nobody nogroup      4096 Nov 22 03:43 sem.mutex
-rw-r-Sr-- 1 root   root           10 May 23  2026 sgid
drwxrwxrwt 2 root   root         4096 Nov 14  2023 sticky
-rwsr-xr-x 1 root   root           10 May 23 12:51 suid
";
        assert_eq!(render_ls_l(&entries, 16, now), expected);
    }

    /// `ls -lh` of a 6 GiB file, a page and a 100-byte file, as coreutils
    /// 9.1 prints them (`truncate -s 6G big; truncate -s 4096 page;
    /// truncate -s 100 small` on tmpfs, the big file written).
    #[test]
    fn ls_lh_prints_sizes_as_coreutils() {
        let e = |name: &str, size: u64| LsEntry {
            mode: 0o100644,
            nlink: 1,
            user: "student".into(),
            group: "student".into(),
            size,
            mtime: 0,
            name: name.into(),
        };
        let entries = [e("big", 6 << 30), e("page", 4096), e("small", 100)];
        let out = render_ls(&entries, 6 << 20, 0, true);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "total 6.0G");
        assert!(
            lines[1].contains(" 6.0G ") && lines[1].ends_with(" big"),
            "{out}"
        );
        assert!(
            lines[2].contains(" 4.0K ") && lines[2].ends_with(" page"),
            "{out}"
        );
        assert!(
            lines[3].contains("  100 ") && lines[3].ends_with(" small"),
            "{out}"
        );
        assert_eq!(
            render_ls(&entries, 6 << 20, 0, false),
            render_ls_l(&entries, 6 << 20, 0)
        );
    }

    #[test]
    fn ls_l_empty_dir_and_single_file() {
        // `ls -l /dev/shm` of an empty /dev/shm printed "total 0".
        assert_eq!(render_ls_l(&[], 0, 0), "total 0\n");
        let one = LsEntry {
            mode: 0o100644,
            nlink: 1,
            user: "student".into(),
            group: "student".into(),
            size: 4096,
            mtime: 86_400 * 31 + 3600 * 9 + 60 * 5,
            name: "OS".into(),
        };
        assert_eq!(
            render_ls_l(&[one], 4, 86_400 * 40),
            "total 4\n-rw-r--r-- 1 student student 4096 Feb  1 09:05 OS\n"
        );
        assert!(!ls_visible(".hidden") && ls_visible("OS"));
    }

    #[test]
    fn ls_time_boundaries_and_calendar() {
        let now = 1_000_000_000; // 2001-09-09 01:46:40 UTC
        assert_eq!(ls_time(now, now), "Sep  9 01:46");
        assert_eq!(ls_time(now + 1, now), "Sep  9  2001"); // future
        assert_eq!(ls_time(now - 15_778_476, now), "Mar 10  2001"); // exactly six months: old
        assert_eq!(ls_time(now - 15_778_475, now), "Mar 10 10:52");
        assert_eq!(ls_time(951_782_400, now), "Feb 29  2000"); // leap day
        assert_eq!(ls_time(-1, now), "Dec 31  1969");
        assert_eq!(mode_string(0o120777), "lrwxrwxrwx");
        assert_eq!(mode_string(0o041776), "drwxrwxrwT");
        assert_eq!(mode_string(0o106610), "-rwS--s---");
        assert_eq!(mode_string(0o104700), "-rws------");
    }
}
