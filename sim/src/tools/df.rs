//! `df`: coreutils 9.1 `src/df.c` (`get_header`, `get_dev`, `print_table`);
//! its sizes go through gnulib `human.c` ([`super::human`]).

use super::human::{human_readable, Human};
use super::util::{match_long, pad_left, pad_right, split_args, split_opts};
use crate::syscalls::{ShellArgs, ShellOut};
use serde::Serialize;

/// What `statfs(2)` says about one mounted file system, and its mount entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StatfsView {
    /// Mount type, `"tmpfs"` (df's `Type` column, `-T`).
    pub fs_type: String,
    /// Mount source, `"tmpfs"` for /dev/shm (df's `Filesystem` column).
    pub source: String,
    /// Where it is mounted, `"/dev/shm"` (`Mounted on`).
    pub mount_point: String,
    /// `f_frsize` (= `f_bsize` = 4096 on tmpfs): the unit of the block counts.
    pub bsize: u64,
    /// `f_blocks`: size in `bsize` units (tmpfs: `size=` / PAGE_SIZE).
    pub blocks: u64,
    /// `f_bfree`.
    pub bfree: u64,
    /// `f_bavail` (= `f_bfree` on tmpfs).
    pub bavail: u64,
    /// `f_files`: inode limit (tmpfs: `nr_inodes=`).
    pub files: u64,
    /// `f_ffree`.
    pub ffree: u64,
}

/// `df`'s options that change its table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DfOpts {
    /// `-h`: powers of 1024, unit letters (`32M`), headers `Size` and `Avail`.
    pub human: bool,
    /// `-H`/`--si`: like `-h` with powers of 1000 (`34M`, `13k`).
    pub si: bool,
    /// `-i`: inodes instead of blocks.
    pub inodes: bool,
    /// `-T`: a `Type` column.
    pub print_type: bool,
    /// `-P`: POSIX headers (`1024-blocks`, `Capacity`).
    pub posix: bool,
    /// Output block size in bytes: 1024 by default and with `-k`, 1048576
    /// with `-m`, anything with `-B N` (a plain byte count or `K`/`M`/`G`).
    pub block_size: u64,
    /// The operands (`/dev/shm`): which file systems the caller should list.
    pub paths: Vec<String>,
}

impl Default for DfOpts {
    fn default() -> Self {
        DfOpts {
            human: false,
            si: false,
            inodes: false,
            print_type: false,
            posix: false,
            block_size: 1024,
            paths: Vec::new(),
        }
    }
}

impl DfOpts {
    /// Parse `df`'s arguments: `"/dev/shm"`, `"-h /dev/shm"`, `"-hT"`, `"-i"`,
    /// `"-B 1M"`. Non-option words are collected in `paths`.
    pub fn parse(args: &str) -> Result<DfOpts, String> {
        const LONG: &[&str] = &[
            "all",
            "block-size",
            "human-readable",
            "si",
            "inodes",
            "local",
            "portability",
            "print-type",
            "sync",
            "no-sync",
        ];
        let mut o = DfOpts::default();
        let toks = split_args(args);
        let mut i = 0;
        while i < toks.len() {
            let tok = toks[i];
            i += 1;
            if let Some(long) = tok.strip_prefix("--") {
                let (name, val) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (long, None),
                };
                match match_long(name, LONG).map_err(|e| format!("df: {e}"))? {
                    "all" | "local" | "sync" | "no-sync" => {}
                    "human-readable" => o.set_human(false),
                    "si" => o.set_human(true),
                    "inodes" => o.inodes = true,
                    "portability" => o.posix = true,
                    "print-type" => o.print_type = true,
                    "block-size" => {
                        let v = match val {
                            Some(v) => v,
                            None => {
                                i += 1;
                                toks.get(i - 1).copied().ok_or(
                                    "df: option '--block-size' requires an argument".to_string(),
                                )?
                            }
                        };
                        o.set_block_size(v)?;
                    }
                    _ => unreachable!(),
                }
            } else if let Some(shorts) = tok.strip_prefix('-').filter(|s| !s.is_empty()) {
                let chars: Vec<char> = shorts.chars().collect();
                for (k, c) in chars.iter().enumerate() {
                    match c {
                        'a' | 'l' => {}
                        'h' => o.set_human(false),
                        'H' => o.set_human(true),
                        'i' => o.inodes = true,
                        'k' => o.set_block_size("1K")?,
                        'm' => o.set_block_size("1M")?,
                        'P' => o.posix = true,
                        'T' => o.print_type = true,
                        'B' => {
                            let rest: String = chars[k + 1..].iter().collect();
                            let v = if !rest.is_empty() {
                                rest
                            } else {
                                i += 1;
                                toks.get(i - 1)
                                    .map(|s| s.to_string())
                                    .ok_or("df: option requires an argument -- 'B'".to_string())?
                            };
                            o.set_block_size(&v)?;
                            break;
                        }
                        other => return Err(format!("df: invalid option -- '{other}'")),
                    }
                }
            } else {
                o.paths.push(tok.to_string());
            }
        }
        Ok(o)
    }

    fn set_human(&mut self, si: bool) {
        self.human = !si;
        self.si = si;
        self.block_size = 1;
    }

    fn set_block_size(&mut self, v: &str) -> Result<(), String> {
        self.human = false;
        self.si = false;
        let bad = || format!("df: invalid -B argument '{v}'");
        // coreutils' block sizes: K M G T (powers of 1024), KiB MiB ..., and
        // KB MB ... (powers of 1000); a number may come first.
        let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
        let (digits, suffix) = v.split_at(split);
        let n: u64 = if digits.is_empty() {
            1
        } else {
            digits.parse().map_err(|_| bad())?
        };
        let (letter, rest) = match suffix.chars().next() {
            Some(c) => (Some(c.to_ascii_uppercase()), &suffix[c.len_utf8()..]),
            None => (None, ""),
        };
        let exp = match letter {
            None => 0,
            Some('K') => 1,
            Some('M') => 2,
            Some('G') => 3,
            Some('T') => 4,
            Some('P') => 5,
            Some('E') => 6,
            _ => return Err(bad()),
        };
        let base: u64 = match rest {
            "" | "iB" => 1024,
            "B" => 1000,
            _ => return Err(bad()),
        };
        let bytes = (0..exp)
            .try_fold(n, |acc, _| acc.checked_mul(base))
            .ok_or_else(bad)?;
        if bytes == 0 {
            return Err(bad());
        }
        self.block_size = bytes;
        Ok(())
    }

    fn human_opts(&self) -> Human {
        if self.human {
            Human {
                autoscale: true,
                si: true,
                base_1024: true,
                ..Human::default()
            }
        } else if self.si {
            Human {
                autoscale: true,
                si: true,
                ..Human::default()
            }
        } else {
            Human::default()
        }
    }
}

/// df's `Use%`: `used * 100 / (used + available)` rounded *up*; `-` when
/// used + available is 0. (The numbers are unsigned here; tmpfs never has a
/// negative `f_bavail`.)
fn df_percent(used: u64, avail: u64) -> String {
    let total = u128::from(used) + u128::from(avail);
    if total == 0 {
        return "-".into();
    }
    let u100 = u128::from(used) * 100;
    let pct = u100 / total + u128::from(u100 % total != 0);
    format!("{pct}%")
}

/// `df` (coreutils 9.1) for the given file systems, one row each, in order.
///
/// Columns and their minimum widths come from df.c's `field_data`
/// (`Filesystem` 14, `Type` 4, numbers 5, `Use%` 4, `Mounted on` 0); each
/// column is as wide as its widest cell; text columns are left-aligned, numbers
/// right-aligned, one space between columns, and the last column is not
/// padded. The default size header is `1K-blocks` (`human_readable` of the
/// block size), sizes are rounded *up* to the output unit, `Use%` is rounded
/// up, and `-` is printed when nothing can be used.
pub fn render_df(fs: &[StatfsView], o: &DfOpts) -> String {
    #[derive(Clone, Copy, PartialEq)]
    enum Align {
        Left,
        Right,
    }
    let human = o.human_opts();
    let autoscale = human.autoscale;

    // (header, min width, alignment)
    let mut cols: Vec<(String, usize, Align)> = vec![("Filesystem".into(), 14, Align::Left)];
    if o.print_type {
        cols.push(("Type".into(), 4, Align::Left));
    }
    if o.inodes {
        cols.push(("Inodes".into(), 5, Align::Right));
        cols.push(("IUsed".into(), 5, Align::Right));
        cols.push(("IFree".into(), 5, Align::Right));
        cols.push(("IUse%".into(), 4, Align::Right));
    } else {
        let size_head = if autoscale {
            "Size".to_string()
        } else if o.posix {
            format!("{}-blocks", o.block_size)
        } else {
            // get_header(): the block size in the base that states it exactly,
            // "1K", "1M", "512B", "1kB" (for 1000).
            let q = o.block_size;
            let (mut q1000, mut q1024) = (q, q);
            let (mut d1000, mut d1024);
            loop {
                d1000 = q1000 % 1000 == 0;
                q1000 /= 1000;
                d1024 = q1024 % 1024 == 0;
                q1024 /= 1024;
                if !(d1000 && d1024) {
                    break;
                }
            }
            let mut h = Human {
                autoscale: true,
                si: true,
                suppress_point_zero: true,
                base_1024: false,
                b: false,
            };
            if !d1000 && d1024 {
                h.base_1024 = true;
            }
            if !d1024 && d1000 {
                h.base_1024 = false;
            }
            if !h.base_1024 {
                h.b = true;
            }
            format!("{}-blocks", human_readable(o.block_size, h, 1, 1))
        };
        cols.push((size_head, 5, Align::Right));
        cols.push(("Used".into(), 5, Align::Right));
        let avail = if autoscale { "Avail" } else { "Available" };
        cols.push((avail.into(), 5, Align::Right));
        let pct = if o.posix && !autoscale {
            "Capacity"
        } else {
            "Use%"
        };
        cols.push((pct.into(), 4, Align::Right));
    }
    cols.push(("Mounted on".into(), 0, Align::Left));

    let mut rows: Vec<Vec<String>> = vec![cols.iter().map(|c| c.0.clone()).collect()];
    for f in fs {
        let mut row = vec![f.source.clone()];
        if o.print_type {
            row.push(f.fs_type.clone());
        }
        if o.inodes {
            let used = f.files.saturating_sub(f.ffree);
            row.push(human_readable(f.files, human, 1, 1));
            row.push(human_readable(used, human, 1, 1));
            row.push(human_readable(f.ffree, human, 1, 1));
            row.push(df_percent(used, f.ffree));
        } else {
            let used = f.blocks.saturating_sub(f.bfree);
            let out_units = if autoscale { 1 } else { o.block_size };
            row.push(human_readable(f.blocks, human, f.bsize, out_units));
            row.push(human_readable(used, human, f.bsize, out_units));
            row.push(human_readable(f.bavail, human, f.bsize, out_units));
            row.push(df_percent(used, f.bavail));
        }
        row.push(f.mount_point.clone());
        rows.push(row);
    }

    let widths: Vec<usize> = (0..cols.len())
        .map(|c| rows.iter().map(|r| r[c].len()).fold(cols[c].1, usize::max))
        .collect();
    let mut out = String::new();
    for row in &rows {
        for (c, cell) in row.iter().enumerate() {
            if c > 0 {
                out.push(' ');
            }
            let last = c == row.len() - 1;
            match cols[c].2 {
                Align::Left if last => out.push_str(cell),
                Align::Left => out.push_str(&pad_right(cell, widths[c])),
                Align::Right => out.push_str(&pad_left(cell, widths[c])),
            }
        }
        out.push('\n');
    }
    out
}

/// The look step `df(ARGS)` on the kernel model: the file system that
/// holds the path (`/dev/shm` when none is given).
pub fn on_kernel(k: &mut crate::kernel::Kernel, a: &ShellArgs) -> ShellOut {
    ShellOut::printed(df_on_kernel(k, a.text(0)))
}

fn df_on_kernel(k: &crate::kernel::Kernel, arg: &str) -> Result<String, String> {
    let (opts, path) = split_opts(arg);
    let path = if path.is_empty() { "/dev/shm" } else { path };
    let p = crate::fs::vfs::normalize_path(path)
        .map_err(|e| format!("df: {path}: {}\n", e.strerror()))?;
    let sb = k.sbs[k.sb_of_path(&p)].clone();
    Ok(render_df(&[k.statfs_view(&sb)], &DfOpts::parse(opts)?))
}

/// The checker's check of `df`'s command line: coreutils' options, then
/// absolute paths.
pub fn check_arg(arg: &str) -> Result<(), crate::syscalls::ToolRefusal> {
    let help = "for example `df(\"/dev/shm\")`, `df(\"-h /dev/shm\")`";
    DfOpts::parse(arg)
        .map_err(|e| (e, help.to_string()))
        .and_then(|o| {
            let paths: Vec<&str> = o.paths.iter().map(String::as_str).collect();
            super::util::absolute_paths("df", &paths)
        })
        .map_err(|why| super::util::cannot_take("df", arg, why))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    // `df` expectations: coreutils 9.1 on tmpfs mounts made for the purpose in
    // a private mount namespace (unshare -m), then unmounted:
    //   mount -t tmpfs -o size=32m tmpfs /tmp/dfx            (12 KiB written)
    //   mount -t tmpfs -o size=1000k,nr_inodes=100 shmtest /tmp/dfy  (full)
    //   mount -t tmpfs -o size=20g tmpfs /tmp/dfz            (~4.7 GiB written)
    // with `stat -f` giving the statfs numbers below.

    fn dfx() -> StatfsView {
        StatfsView {
            fs_type: "tmpfs".into(),
            source: "tmpfs".into(),
            mount_point: "/tmp/dfx".into(),
            bsize: 4096,
            blocks: 8192,
            bfree: 8189,
            bavail: 8189,
            files: 3085457,
            ffree: 3085455,
        }
    }

    fn dfy() -> StatfsView {
        StatfsView {
            fs_type: "tmpfs".into(),
            source: "shmtest".into(),
            mount_point: "/tmp/dfy".into(),
            bsize: 4096,
            blocks: 250,
            bfree: 0,
            bavail: 0,
            files: 100,
            ffree: 98,
        }
    }

    fn dfz() -> StatfsView {
        StatfsView {
            fs_type: "tmpfs".into(),
            source: "tmpfs".into(),
            mount_point: "/tmp/dfz".into(),
            bsize: 4096,
            blocks: 5242880,
            bfree: 4022176,
            bavail: 4022176,
            files: 3085457,
            ffree: 3085455,
        }
    }

    fn df(fs: &[StatfsView], args: &str) -> String {
        render_df(fs, &DfOpts::parse(args).unwrap())
    }

    /// A block size whose unit is not ASCII is refused as coreutils refuses
    /// it, not split inside its first character (found by the `statement`
    /// fuzz target: `df("-Bی")`).
    #[test]
    fn a_block_size_in_another_script_is_refused() {
        for arg in ["-Bی", "-B1ی", "--block-size=Kی", "-Bé"] {
            let e = DfOpts::parse(arg).err();
            assert!(
                e.as_deref()
                    .is_some_and(|e| e.starts_with("df: invalid -B argument")),
                "{arg}: {e:?}"
            );
        }
    }

    #[test]
    fn df_one_tmpfs_every_mode() {
        let x = [dfx()];
        let cases = [
            (
                "/tmp/dfx",
                "Filesystem     1K-blocks  Used Available Use% Mounted on\n\
                 tmpfs              32768    12     32756   1% /tmp/dfx\n",
            ),
            (
                "-h",
                "Filesystem      Size  Used Avail Use% Mounted on\n\
                 tmpfs            32M   12K   32M   1% /tmp/dfx\n",
            ),
            (
                "-H",
                "Filesystem      Size  Used Avail Use% Mounted on\n\
                 tmpfs            34M   13k   34M   1% /tmp/dfx\n",
            ),
            (
                "-i",
                "Filesystem      Inodes IUsed   IFree IUse% Mounted on\n\
                 tmpfs          3085457     2 3085455    1% /tmp/dfx\n",
            ),
            (
                "-T",
                "Filesystem     Type  1K-blocks  Used Available Use% Mounted on\n\
                 tmpfs          tmpfs     32768    12     32756   1% /tmp/dfx\n",
            ),
            (
                "-m",
                "Filesystem     1M-blocks  Used Available Use% Mounted on\n\
                 tmpfs                 32     1        32   1% /tmp/dfx\n",
            ),
            (
                "-P",
                "Filesystem     1024-blocks  Used Available Capacity Mounted on\n\
                 tmpfs                32768    12     32756       1% /tmp/dfx\n",
            ),
            (
                "-hi",
                "Filesystem     Inodes IUsed IFree IUse% Mounted on\n\
                 tmpfs            3.0M     2  3.0M    1% /tmp/dfx\n",
            ),
            (
                "-k",
                "Filesystem     1K-blocks  Used Available Use% Mounted on\n\
                 tmpfs              32768    12     32756   1% /tmp/dfx\n",
            ),
        ];
        for (args, expected) in cases {
            assert_eq!(df(&x, args), expected, "df {args}");
        }
    }

    #[test]
    fn df_several_widths_full_and_big() {
        let all = [dfx(), dfy(), dfz()];
        assert_eq!(
            df(&all, ""),
            "Filesystem     1K-blocks    Used Available Use% Mounted on
tmpfs              32768      12     32756   1% /tmp/dfx
shmtest             1000    1000         0 100% /tmp/dfy
tmpfs           20971520 4882816  16088704  24% /tmp/dfz
"
        );
        assert_eq!(
            df(&all, "-h"),
            "Filesystem      Size  Used Avail Use% Mounted on
tmpfs            32M   12K   32M   1% /tmp/dfx
shmtest        1000K 1000K     0 100% /tmp/dfy
tmpfs            20G  4.7G   16G  24% /tmp/dfz
"
        );
        assert_eq!(
            df(&all, "-i"),
            "Filesystem      Inodes IUsed   IFree IUse% Mounted on
tmpfs          3085457     2 3085455    1% /tmp/dfx
shmtest            100     2      98    2% /tmp/dfy
tmpfs          3085457     2 3085455    1% /tmp/dfz
"
        );
        assert_eq!(
            df(&all[..2], "-T"),
            "Filesystem     Type  1K-blocks  Used Available Use% Mounted on
tmpfs          tmpfs     32768    12     32756   1% /tmp/dfx
shmtest        tmpfs      1000  1000         0 100% /tmp/dfy
"
        );
        assert_eq!(
            df(&all, "-H"),
            "Filesystem      Size  Used Avail Use% Mounted on
tmpfs            34M   13k   34M   1% /tmp/dfx
shmtest         1.1M  1.1M     0 100% /tmp/dfy
tmpfs            22G  5.1G   17G  24% /tmp/dfz
"
        );
    }

    #[test]
    fn df_empty_and_unusable() {
        // A fresh /dev/shm: 0% (not "-"); a file system with nothing usable
        // and nothing used: "-".
        let mut shm = dfx();
        shm.source = "tmpfs".into();
        shm.mount_point = "/dev/shm".into();
        shm.bfree = shm.blocks;
        shm.bavail = shm.blocks;
        assert_eq!(
            df(&[shm.clone()], "/dev/shm"),
            "Filesystem     1K-blocks  Used Available Use% Mounted on\n\
             tmpfs              32768     0     32768   0% /dev/shm\n"
        );
        shm.blocks = 0;
        shm.bfree = 0;
        shm.bavail = 0;
        assert!(df(&[shm], "").contains("     0     0         0    - /dev/shm"));
    }

    #[test]
    fn df_opts_parse() {
        let o = DfOpts::parse("-hT /dev/shm").unwrap();
        assert!(o.human && o.print_type && !o.inodes);
        assert_eq!(o.paths, vec!["/dev/shm".to_string()]);
        assert_eq!(DfOpts::parse("-B 1M").unwrap().block_size, 1 << 20);
        assert_eq!(DfOpts::parse("-BK").unwrap().block_size, 1024);
        assert_eq!(
            DfOpts::parse("--block-size=1MB").unwrap().block_size,
            1_000_000
        );
        assert!(DfOpts::parse("-q").is_err());
        // -B 512 and -B 1MB headers, from get_header()'s base choice
        assert!(df(&[dfx()], "-B 512").starts_with("Filesystem     512B-blocks"));
        assert!(df(&[dfx()], "-B 1MB").starts_with("Filesystem     1MB-blocks"));
    }
}
