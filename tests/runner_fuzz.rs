//! Bad input never panics: every bundled scenario, with the numbers in its
//! statements replaced by hostile ones (0, -1, unaligned, huge), either
//! fails to load with diagnostics or plays to the end, each step a value,
//! an errno or a signal, with the kernel's invariants intact.

mod common;

use proptest::prelude::*;

fn scenarios() -> Vec<String> {
    common::bundled().into_iter().map(|(_, t)| t).collect()
}

const HOSTILE: &[&str] = &[
    "0",
    "1",
    "-1",
    "4095",
    "4097",
    "8192",
    "65536",
    "0x7fffffff",
    "0x100000000",
    "0xffffffffffff",
    "-4096",
    "1099511627776",
    "9223372036854775807",
];

/// Replaces the `k`-th decimal literal inside `do = '...'` lines.
fn mutate(src: &str, picks: &[(usize, usize)]) -> String {
    let mut out = String::new();
    let mut literal = 0usize;
    for line in src.lines() {
        if !line.trim_start().starts_with("do = ") {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut new = String::new();
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i] as char;
            let prev_ident =
                i > 0 && ((bytes[i - 1] as char).is_alphanumeric() || bytes[i - 1] == b'_');
            if c.is_ascii_digit() && !prev_ident {
                let start = i;
                while i < bytes.len() && (bytes[i] as char).is_ascii_alphanumeric() {
                    i += 1;
                }
                let lit = &line[start..i];
                match picks.iter().find(|(k, _)| *k == literal) {
                    Some((_, h)) => new.push_str(HOSTILE[*h % HOSTILE.len()]),
                    None => new.push_str(lit),
                }
                literal += 1;
                continue;
            }
            new.push(c);
            i += 1;
        }
        out.push_str(&new);
        out.push('\n');
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]
    #[test]
    fn hostile_numbers_never_panic(which in 0usize..64, picks in prop::collection::vec((0usize..120, 0usize..64), 1..6)) {
        let all = scenarios();
        let src = mutate(&all[which % all.len()], &picks);
        if let Ok(s) = sim::scenario::load_str("fuzz.toml", &src) {
            let mut run = sim::runner::Run::new(&s);
            while run.step().is_some() {}
            if let Err(e) = run.kernel().check_invariants() {
                panic!("invariants broken:\n{e}\n--- scenario ---\n{src}");
            }
        }
    }
}
