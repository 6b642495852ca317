//! `free`: procps-ng 4.0.2 `src/free.c` (`scale_size`, `print_head_col`) and
//! `library/meminfo.c` (used = total - available).

use super::util::{match_long, pad_left, pad_right, split_args};
use crate::fs::proc::MeminfoView;
use crate::syscalls::{ShellArgs, ShellOut};
use serde::Serialize;

/// The options of `free` that change what it prints once.
///
/// `exponent` is procps's `args.exponent`: 0 the default (KiB, or kB with
/// `--si`), 1 bytes, 2 kibi/kilo, 3 mebi/mega, 4 gibi/giga, 5 tebi/tera,
/// 6 pebi/peta.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FreeOpts {
    pub exponent: u8,
    /// `--si`, or set by `--kilo`/`--mega`/...: powers of 1000.
    pub si: bool,
    /// `-h`/`--human`.
    pub human: bool,
    /// `-w`/`--wide`: buffers and cache in separate columns.
    pub wide: bool,
    /// `-t`/`--total`: a `Total:` line (RAM + swap).
    pub total: bool,
    /// `-l`/`--lohi`: `Low:` and `High:` lines.
    pub lohi: bool,
    /// `-v`/`--committed`: a `Comm:` line.
    pub committed: bool,
}

impl FreeOpts {
    /// Parse `free`'s arguments (`"-k"`, `"-h -w"`, `"-ht"`, `"--mebi --total"`).
    /// Errors are the messages `free` would print: several unit options, an
    /// unknown option, an operand, or `-s`/`-c`, which repeat over time and
    /// have no meaning in a step-by-step simulation.
    pub fn parse(args: &str) -> Result<FreeOpts, String> {
        const LONG: &[&str] = &[
            "bytes",
            "kilo",
            "mega",
            "giga",
            "tera",
            "peta",
            "kibi",
            "mebi",
            "gibi",
            "tebi",
            "pebi",
            "human",
            "si",
            "lohi",
            "total",
            "committed",
            "seconds",
            "count",
            "wide",
            "help",
            "version",
        ];
        let mut o = FreeOpts::default();
        let mut unit_set = false;
        let mut set_unit = |o: &mut FreeOpts, exp: u8, si: bool| -> Result<(), String> {
            if unit_set {
                return Err("free: Multiple unit options don't make sense.".into());
            }
            unit_set = true;
            o.exponent = exp;
            if si {
                o.si = true;
            }
            Ok(())
        };
        for tok in split_args(args) {
            if let Some(long) = tok.strip_prefix("--") {
                let name = long.split('=').next().unwrap_or(long);
                let name = match_long(name, LONG).map_err(|e| format!("free: {e}"))?;
                match name {
                    "bytes" => set_unit(&mut o, 1, false)?,
                    "kibi" => set_unit(&mut o, 2, false)?,
                    "mebi" => set_unit(&mut o, 3, false)?,
                    "gibi" => set_unit(&mut o, 4, false)?,
                    "tebi" => set_unit(&mut o, 5, false)?,
                    "pebi" => set_unit(&mut o, 6, false)?,
                    "kilo" => set_unit(&mut o, 2, true)?,
                    "mega" => set_unit(&mut o, 3, true)?,
                    "giga" => set_unit(&mut o, 4, true)?,
                    "tera" => set_unit(&mut o, 5, true)?,
                    "peta" => set_unit(&mut o, 6, true)?,
                    "human" => o.human = true,
                    "si" => o.si = true,
                    "lohi" => o.lohi = true,
                    "total" => o.total = true,
                    "committed" => o.committed = true,
                    "wide" => o.wide = true,
                    other => return Err(format!("free: --{other} is not supported here")),
                }
            } else if let Some(shorts) = tok.strip_prefix('-').filter(|s| !s.is_empty()) {
                for c in shorts.chars() {
                    match c {
                        'b' => set_unit(&mut o, 1, false)?,
                        'k' => set_unit(&mut o, 2, false)?,
                        'm' => set_unit(&mut o, 3, false)?,
                        'g' => set_unit(&mut o, 4, false)?,
                        'h' => o.human = true,
                        'l' => o.lohi = true,
                        't' => o.total = true,
                        'v' => o.committed = true,
                        'w' => o.wide = true,
                        's' | 'c' | 'V' => return Err(format!("free: -{c} is not supported here")),
                        other => return Err(format!("free: invalid option -- '{other}'")),
                    }
                }
            } else {
                return Err(format!("free: unexpected operand '{tok}'"));
            }
        }
        Ok(o)
    }
}

/// `power()` of free.c: `base` to the `expo`, as a double.
fn free_power(base: u32, expo: u32) -> f64 {
    (0..expo).fold(1.0, |acc, _| acc * f64::from(base))
}

/// free.c's `scale_size()` (procps-ng 4.0.2): one number, in kB, to its column
/// text. `size` is an `unsigned long` in C; values that went negative by
/// unsigned subtraction (the `Comm:` line) are carried as `i64` the way the
/// C `long long` arithmetic sees them.
fn free_scale(size: i64, o: &FreeOpts) -> String {
    const UP: [char; 6] = ['B', 'K', 'M', 'G', 'T', 'P'];
    let base: u32 = if o.si { 1000 } else { 1024 };
    let bytes: i64 = size.wrapping_mul(1024);
    if !o.human {
        return match o.exponent {
            0 => (bytes / i64::from(base)).to_string(),
            1 => bytes.to_string(),
            e => ((bytes as f64 / free_power(base, u32::from(e) - 1)) as i64).to_string(),
        };
    }
    let mut buf = format!("{bytes}{}", UP[0]);
    if buf.len() <= 4 {
        return buf;
    }
    for (i, up) in UP.iter().enumerate().skip(1) {
        let v = bytes as f64 / free_power(base, i as u32);
        // C: printf("%.1f", (float)v): the float rounding first, then
        // glibc's exact round-half-even, which Rust's formatter also does.
        let tenths = f64::from(v as f32);
        if o.si {
            buf = format!("{tenths:.1}{up}");
            if buf.len() <= 4 {
                return buf;
            }
            buf = format!("{}{up}", v as i64);
            if buf.len() <= 4 {
                return buf;
            }
        } else {
            buf = format!("{tenths:.1}{up}i");
            if buf.len() <= 5 {
                return buf;
            }
            buf = format!("{}{up}i", v as i64);
            if buf.len() <= 5 {
                return buf;
            }
        }
    }
    buf
}

/// `print_head_col`: the row label padded to 9 columns.
fn free_row(out: &mut String, label: &str, cells: &[String]) {
    out.push_str(&pad_right(label, 9));
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&pad_left(c, 11));
    }
    out.push('\n');
}

/// `free` (procps-ng 4.0.2) for the numbers of `m`.
///
/// shared = `Shmem`; buff/cache = `Buffers` + `Cached` + `SReclaimable`
/// (`-w` splits it into `Buffers` and `Cached + SReclaimable`); used =
/// `MemTotal - MemAvailable` (procps 4.0.1+; `MemTotal - MemFree` if that
/// would be negative, and `MemAvailable` is replaced by `MemFree` when it is 0
/// or above `MemTotal`, as `library/meminfo.c` does); swap used =
/// `SwapTotal - SwapFree`. Columns are `%11s` separated by one space after a
/// 9-column row label.
pub fn render_free(m: &MeminfoView, o: &FreeOpts) -> String {
    let total = m.mem_total as i64;
    let free = m.mem_free as i64;
    let mut avail = m.mem_available as i64;
    if avail == 0 || avail > total {
        avail = free;
    }
    let mut used = total - avail;
    if used < 0 {
        used = total - free;
    }
    let cached_all = (m.cached + m.s_reclaimable) as i64;
    let buffers = m.buffers as i64;
    let swap_total = m.swap_total as i64;
    let swap_free = m.swap_free as i64;
    let swap_used = if swap_free < swap_total {
        swap_total - swap_free
    } else {
        0
    };
    let s = |v: i64| free_scale(v, o);

    let mut out = String::new();
    let heads: &[&str] = if o.wide {
        &[
            "total",
            "used",
            "free",
            "shared",
            "buffers",
            "cache",
            "available",
        ]
    } else {
        &["total", "used", "free", "shared", "buff/cache", "available"]
    };
    let heads: Vec<String> = heads.iter().map(|h| h.to_string()).collect();
    free_row(&mut out, "", &heads);

    let mut mem = vec![s(total), s(used), s(free), s(m.shmem as i64)];
    if o.wide {
        mem.push(s(buffers));
        mem.push(s(cached_all));
    } else {
        mem.push(s(buffers + cached_all));
    }
    mem.push(s(avail));
    free_row(&mut out, "Mem:", &mem);

    if o.lohi {
        // No highmem on x86_64: LowTotal/LowFree fall back to the Mem values,
        // High is all zero.
        free_row(&mut out, "Low:", &[s(total), s(total - free), s(free)]);
        free_row(&mut out, "High:", &[s(0), s(0), s(0)]);
    }
    free_row(
        &mut out,
        "Swap:",
        &[s(swap_total), s(swap_used), s(swap_free)],
    );
    if o.total {
        free_row(
            &mut out,
            "Total:",
            &[
                s(total + swap_total),
                s(used + swap_used),
                s(free + swap_free),
            ],
        );
    }
    if o.committed {
        let limit = m.commit_limit as i64;
        let comm = m.committed_as as i64;
        free_row(&mut out, "Comm:", &[s(limit), s(comm), s(limit - comm)]);
    }
    out
}

/// The look step `free(OPTIONS)` on the kernel model: its `/proc/meminfo`.
pub fn on_kernel(k: &mut crate::kernel::Kernel, a: &ShellArgs) -> ShellOut {
    ShellOut::printed(FreeOpts::parse(a.text(0)).map(|o| render_free(&k.meminfo_view(), &o)))
}

/// The checker's check of `free`'s command line: the options procps takes.
pub fn check_arg(arg: &str) -> Result<(), crate::syscalls::ToolRefusal> {
    FreeOpts::parse(arg).map(|_| ()).map_err(|e| {
        let help = "for example `free(\"-k\")`, `free(\"-h -w\")`, `free(\"--mebi\")`";
        super::util::cannot_take("free", arg, (e, help.into()))
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fs::proc::meminfo::tests::sample_meminfo;

    // `free` expectations were captured with procps-ng 4.0.2 reading a
    // fabricated /proc/meminfo bind-mounted in a private mount namespace:
    //   unshare -m sh -c 'mount --bind meminfo1 /proc/meminfo && free ARGS'
    // meminfo1 holds the numbers of `sample_meminfo()`.

    fn free(m: &MeminfoView, args: &str) -> String {
        render_free(m, &FreeOpts::parse(args).unwrap())
    }

    #[test]
    fn free_default_and_k() {
        let m = sample_meminfo();
        let expected =
            "               total        used        free      shared  buff/cache   available
Mem:           65536       17536       50000        4096       10620       48000
Swap:          32768          12       32756
";
        assert_eq!(free(&m, ""), expected);
        assert_eq!(free(&m, "-k"), expected);
        assert_eq!(free(&m, "--kibi"), expected);
    }

    #[test]
    fn free_wide_total() {
        let expected = "               total        used        free      shared     buffers       cache   available
Mem:           65536       17536       50000        4096         120       10500       48000
Swap:          32768          12       32756
Total:         98304       17548       82756
";
        assert_eq!(free(&sample_meminfo(), "-w -t"), expected);
        assert_eq!(free(&sample_meminfo(), "-wt"), expected);
    }

    #[test]
    fn free_human() {
        let expected =
            "               total        used        free      shared  buff/cache   available
Mem:            64Mi        17Mi        48Mi       4.0Mi        10Mi        46Mi
Swap:           32Mi        12Ki        31Mi
";
        assert_eq!(free(&sample_meminfo(), "-h"), expected);
        let si = "               total        used        free      shared     buffers       cache   available
Mem:             67M         17M         51M        4.2M        122K         10M         49M
Swap:            33M         12K         33M
Total:          100M         17M         84M
";
        assert_eq!(free(&sample_meminfo(), "-h -w -t --si"), si);
    }

    #[test]
    fn free_units() {
        let m = sample_meminfo();
        assert_eq!(
            free(&m, "-m"),
            "               total        used        free      shared  buff/cache   available
Mem:              64          17          48           4          10          46
Swap:             32           0          31
"
        );
        assert_eq!(
            free(&m, "-g"),
            "               total        used        free      shared  buff/cache   available
Mem:               0           0           0           0           0           0
Swap:              0           0           0
"
        );
        assert_eq!(
            free(&m, "-b"),
            "               total        used        free      shared  buff/cache   available
Mem:        67108864    17956864    51200000     4194304    10874880    49152000
Swap:       33554432       12288    33542144
"
        );
        let si = "               total        used        free      shared  buff/cache   available
Mem:           67108       17956       51200        4194       10874       49152
Swap:          33554          12       33542
";
        assert_eq!(free(&m, "--si"), si);
        assert_eq!(free(&m, "--kilo"), si);
        assert_eq!(
            free(&m, "--mega"),
            "               total        used        free      shared  buff/cache   available
Mem:              67          17          51           4          10          49
Swap:             33           0          33
"
        );
        assert_eq!(
            free(&m, "--kilo -t"),
            "               total        used        free      shared  buff/cache   available
Mem:           67108       17956       51200        4194       10874       49152
Swap:          33554          12       33542
Total:        100663       17969       84742
"
        );
    }

    /// Big numbers (9 digits, and 12-digit byte counts that overflow the
    /// 11-column cells), no swap, and a rounding tie: Shmem 8960 kB is exactly
    /// 8.75 MiB, which glibc rounds to even (`8.8Mi`).
    fn big_meminfo() -> MeminfoView {
        MeminfoView {
            mem_total: 123456789,
            mem_free: 100000000,
            mem_available: 110000000,
            shmem: 8960,
            buffers: 256,
            cached: 2359296,
            s_reclaimable: 0,
            swap_total: 0,
            swap_free: 0,
            ..sample_meminfo()
        }
    }

    #[test]
    fn free_big_numbers_and_no_swap() {
        let m = big_meminfo();
        // same capture method, meminfo2
        assert_eq!(
            free(&m, ""),
            "               total        used        free      shared  buff/cache   available
Mem:       123456789    13456789   100000000        8960     2359552   110000000
Swap:              0           0           0
"
        );
        assert_eq!(
            free(&m, "-h"),
            "               total        used        free      shared  buff/cache   available
Mem:           117Gi        12Gi        95Gi       8.8Mi       2.3Gi       104Gi
Swap:             0B          0B          0B
"
        );
        assert_eq!(
            free(&m, "-h -w"),
            "               total        used        free      shared     buffers       cache   available
Mem:           117Gi        12Gi        95Gi       8.8Mi       256Ki       2.2Gi       104Gi
Swap:             0B          0B          0B
"
        );
        assert_eq!(
            free(&m, "-h --si"),
            "               total        used        free      shared  buff/cache   available
Mem:            126G         13G        102G        9.2M        2.4G        112G
Swap:             0B          0B          0B
"
        );
        assert_eq!(
            free(&m, "-b"),
            "               total        used        free      shared  buff/cache   available
Mem:     126419751936 13779751936 102400000000     9175040  2416181248 112640000000
Swap:              0           0           0
"
        );
        assert_eq!(
            free(&m, "-t"),
            "               total        used        free      shared  buff/cache   available
Mem:       123456789    13456789   100000000        8960     2359552   110000000
Swap:              0           0           0
Total:     123456789    13456789   100000000
"
        );
        assert_eq!(
            free(&m, "-m"),
            "               total        used        free      shared  buff/cache   available
Mem:          120563       13141       97656           8        2304      107421
Swap:              0           0           0
"
        );
    }

    #[test]
    fn free_lohi_and_committed() {
        // Captured the same way (`free -l -v`): Low/High rows of three
        // columns, Comm = limit, committed, limit - committed.
        let out = free(&sample_meminfo(), "-l -v");
        assert_eq!(
            out,
            "               total        used        free      shared  buff/cache   available
Mem:           65536       17536       50000        4096       10620       48000
Low:           65536       15536       50000
High:              0           0           0
Swap:          32768          12       32756
Comm:          65536       12345       53191
"
        );
    }

    #[test]
    fn free_used_falls_back_like_procps() {
        // MemAvailable 0 (pre-3.14 kernels) or above MemTotal: use MemFree.
        let mut m = sample_meminfo();
        m.mem_available = 0;
        assert!(free(&m, "").contains("Mem:           65536       15536       50000"));
        m.mem_available = 70000;
        assert!(free(&m, "").contains("       50000\n"));
    }

    #[test]
    fn free_opts_parse() {
        assert_eq!(
            FreeOpts::parse("-ht --wide").unwrap(),
            FreeOpts {
                human: true,
                total: true,
                wide: true,
                ..FreeOpts::default()
            }
        );
        assert!(FreeOpts::parse("--hum").unwrap().human);
        assert_eq!(FreeOpts::parse("--mebi").unwrap().exponent, 3);
        let mega = FreeOpts::parse("--mega").unwrap();
        assert_eq!((mega.exponent, mega.si), (3, true));
        assert_eq!(
            FreeOpts::parse("-k -m").unwrap_err(),
            "free: Multiple unit options don't make sense."
        );
        assert!(FreeOpts::parse("-x").is_err());
        assert!(FreeOpts::parse("-s 1").is_err());
        assert!(
            FreeOpts::parse("--t").is_err(),
            "--t is ambiguous (tera, tebi, total)"
        );
    }

    #[test]
    fn free_human_scale_edges() {
        let h = FreeOpts {
            human: true,
            ..FreeOpts::default()
        };
        assert_eq!(free_scale(0, &h), "0B");
        assert_eq!(free_scale(4, &h), "4.0Ki"); // "4096B" is too wide
        assert_eq!(free_scale(9, &h), "9.0Ki");
        assert_eq!(free_scale(1023, &h), "1.0Mi"); // "1023.0Ki" and "1023Ki" are too wide
        assert_eq!(free_scale(1024, &h), "1.0Mi");
    }
}
