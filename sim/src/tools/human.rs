//! gnulib `lib/human.c` (`human_readable`), which df and ls use to print sizes.

/// gnulib `human_readable()` option bits that df and ls use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Human {
    /// `human_autoscale`: pick the unit (K, M, G, ...).
    pub(crate) autoscale: bool,
    /// `human_SI`: append the unit letter.
    pub(crate) si: bool,
    /// `human_base_1024`: powers of 1024 (else 1000, and `k` for kilo).
    pub(crate) base_1024: bool,
    /// `human_suppress_point_zero`: `1K` rather than `1.0K`.
    pub(crate) suppress_point_zero: bool,
    /// `human_B`: append `B` (and `i` with base 1024).
    pub(crate) b: bool,
}

/// `human_readable(n, buf, opts, from_block_size, to_block_size)` with
/// `human_ceiling` rounding (the default, which df and ls use). The C code's
/// exact integer path is taken for every block size; the C floating-point
/// fallback (block sizes that do not divide each other) agrees with this
/// except for last-digit noise on enormous values.
pub(crate) fn human_readable(n: u64, h: Human, from_block_size: u64, to_block_size: u64) -> String {
    const POWER_LETTER: [char; 9] = ['\0', 'K', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];
    let exponent_max = POWER_LETTER.len() as i32 - 1;
    let base: u128 = if h.base_1024 { 1024 } else { 1000 };

    // Exact: n * from / to, with the first decimal and a rounding indicator
    // (0: exact, 1: below .05, 2: exactly .05, 3: above .05), as human.c.
    let num = u128::from(n) * u128::from(from_block_size.max(1));
    let divisor = u128::from(to_block_size.max(1));
    let mut amt = num / divisor;
    let r10 = (num % divisor) * 10;
    let r2 = (r10 % divisor) * 2;
    let mut tenths = r10 / divisor;
    let mut rounding: u128 = if r2 < divisor {
        u128::from(0 < r2)
    } else {
        2 + u128::from(divisor < r2)
    };

    let mut exponent: i32 = -1;
    let mut frac = String::new();
    if h.autoscale {
        exponent = 0;
        if base <= amt {
            loop {
                let r10 = (amt % base) * 10 + tenths;
                let r2 = (r10 % base) * 2 + (rounding >> 1);
                amt /= base;
                tenths = r10 / base;
                rounding = if r2 < base {
                    u128::from(r2 + rounding != 0)
                } else {
                    2 + u128::from(base < r2 + rounding)
                };
                exponent += 1;
                if !(base <= amt && exponent < exponent_max) {
                    break;
                }
            }
            if amt < 10 {
                // human_ceiling
                if 0 < rounding {
                    tenths += 1;
                    rounding = 0;
                    if tenths == 10 {
                        amt += 1;
                        tenths = 0;
                    }
                }
                if amt < 10 && (tenths != 0 || !h.suppress_point_zero) {
                    frac = format!(".{tenths}");
                    tenths = 0;
                    rounding = 0;
                }
            }
        }
    }
    // human_ceiling: round the integer part up if anything is left over.
    if 0 < tenths + rounding {
        amt += 1;
        if h.autoscale && amt == base && exponent < exponent_max {
            exponent += 1;
            if !h.suppress_point_zero {
                frac = ".0".into();
            }
            amt = 1;
        }
    }
    let mut s = format!("{amt}{frac}");
    if h.si {
        if exponent < 0 {
            exponent = 0;
            let mut power: u128 = 1;
            while power < u128::from(to_block_size) {
                exponent += 1;
                if exponent == exponent_max {
                    break;
                }
                power *= base;
            }
        }
        if exponent != 0 {
            let letter = if !h.base_1024 && exponent == 1 {
                'k'
            } else {
                POWER_LETTER[exponent as usize]
            };
            s.push(letter);
        }
        if h.b {
            if h.base_1024 && exponent != 0 {
                s.push('i');
            }
            s.push('B');
        }
    }
    s
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn human_readable_rounds_up() {
        let h = Human {
            autoscale: true,
            si: true,
            base_1024: true,
            ..Human::default()
        };
        assert_eq!(human_readable(0, h, 1, 1), "0");
        assert_eq!(human_readable(1023, h, 1, 1), "1023");
        assert_eq!(human_readable(1024, h, 1, 1), "1.0K");
        assert_eq!(human_readable(1025, h, 1, 1), "1.1K");
        assert_eq!(human_readable(10 * 1024 + 1, h, 1, 1), "11K");
        assert_eq!(human_readable(1024 * 1024 - 1, h, 1, 1), "1.0M");
        // plain: 1 block of 4096 in 1K units, and 1 of 4096 in 1M units (up)
        assert_eq!(human_readable(1, Human::default(), 4096, 1024), "4");
        assert_eq!(human_readable(1, Human::default(), 4096, 1 << 20), "1");
    }
}
