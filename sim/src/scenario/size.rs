//! Not in the kernel: sizes as the scenario contract writes them (`"12 kB"`,
//! `"+4 kB"`) and reads them (`"64 MiB"`, `"512M"`, `"4096"`).

/// A size the way `/proc/meminfo` writes it: `"12 kB"`; with `signed`, a change
/// with its sign always shown: `"+4 kB"`, `"-12 kB"`, `"+0 kB"`.
pub fn render_size_kb(kb: i64, signed: bool) -> String {
    if signed {
        format!("{kb:+} kB")
    } else {
        format!("{kb} kB")
    }
}

/// Read a size in bytes from a scenario or an option: `"64 MiB"`, `"4 kB"`,
/// `"1 GiB"`, `"0"`, `"4096"` (bytes), `"1G"`, `"512M"`, `"64k"` (tmpfs
/// `size=` style), `"0.5 GiB"`.
///
/// Every unit is a power of 1024: `k`/`K`/`KiB`/`kB`/`KB`, `M`/`MiB`/`MB`,
/// `G`/`GiB`/`GB`, `T`/`TiB`/`TB`; `kB` means 1024 as `/proc/meminfo` means it.
/// `B` or no unit is bytes. A fraction must come out to whole bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let bad = |why: &str| format!("bad size {s:?}: {why}");
    let num_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(num_end);
    let unit = unit.trim();
    if num.is_empty() {
        return Err(bad("no number"));
    }
    let shift: u32 = match unit {
        "" | "B" => 0,
        "k" | "K" | "KiB" | "kB" | "KB" | "kiB" => 10,
        "m" | "M" | "MiB" | "MB" => 20,
        "g" | "G" | "GiB" | "GB" => 30,
        "t" | "T" | "TiB" | "TB" => 40,
        other => return Err(bad(&format!("unknown unit {other:?}"))),
    };
    let (int_part, frac_part) = match num.split_once('.') {
        Some((i, f)) => (i, f),
        None => (num, ""),
    };
    if int_part.is_empty() || frac_part.contains('.') || (num.contains('.') && frac_part.is_empty())
    {
        return Err(bad("malformed number"));
    }
    let digits = format!("{int_part}{frac_part}");
    let mantissa: u128 = digits.parse().map_err(|_| bad("number too large"))?;
    let scale = 10u128
        .checked_pow(frac_part.len() as u32)
        .ok_or_else(|| bad("too many decimals"))?;
    let scaled = mantissa
        .checked_mul(1u128 << shift)
        .ok_or_else(|| bad("number too large"))?;
    if scaled % scale != 0 {
        return Err(bad("not a whole number of bytes"));
    }
    u64::try_from(scaled / scale).map_err(|_| bad("number too large"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn sizes_as_the_contract_writes_them() {
        assert_eq!(render_size_kb(12, false), "12 kB");
        assert_eq!(render_size_kb(4, true), "+4 kB");
        assert_eq!(render_size_kb(-12, true), "-12 kB");
        assert_eq!(render_size_kb(0, true), "+0 kB");
        assert_eq!(render_size_kb(0, false), "0 kB");
        assert_eq!(parse_size("64 MiB"), Ok(64 << 20));
        assert_eq!(parse_size("32 MiB"), Ok(32 << 20));
        assert_eq!(parse_size("4 kB"), Ok(4096));
        assert_eq!(parse_size("1 GiB"), Ok(1 << 30));
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert_eq!(parse_size(" 0.5 GiB "), Ok(512 << 20));
        assert_eq!(parse_size("1.5k"), Ok(1536));
        assert!(parse_size("0.1 kB").is_err(), "102.4 bytes");
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("12 furlongs").is_err());
        assert!(parse_size("1.").is_err());
        assert!(parse_size("-4 kB").is_err());
        assert!(parse_size("99999999999999 TiB").is_err());
    }
}
