//! The comparison machinery on two runs of the model: the 4.14 radix-tree
//! encoding and the 4.20+ XArray encoding store swap entries differently in
//! the page cache, but no process can tell. Every bundled scenario, played in
//! both eras, must agree on every observable a process can see; only the raw
//! slot words (sim only) may differ.

mod common;

use sim::compare::{compare, tally, text, Verdict, DEFAULT_TOLERANCE_KB};
use sim::kernel::{Config, Kernel};
use sim::mm::swapops::{Encoding, Era};
use sim::runner::config_of;

fn scenarios() -> Vec<(String, String)> {
    common::bundled()
        .into_iter()
        .map(|(p, t)| (p.display().to_string(), t))
        .collect()
}

fn with_era(cfg: &Config, era: Era) -> Kernel {
    Kernel::new(Config {
        encoding: Encoding {
            era,
            ..cfg.encoding
        },
        ..cfg.clone()
    })
}

#[test]
fn every_scenario_agrees_across_the_two_encodings() {
    let all = scenarios();
    assert!(!all.is_empty());
    for (name, src) in all {
        let s = sim::scenario::load_str(&name, &src).unwrap_or_else(|d| panic!("{name}: {d:?}"));
        let cfg = config_of(&s);
        let steps = compare(
            &s,
            with_era(&cfg, Era::Radix),
            with_era(&cfg, Era::XArray),
            DEFAULT_TOLERANCE_KB,
        );
        let (agree, total) = tally(&steps);
        assert_eq!(agree, total, "{name}:\n{}", text(&steps, false));
        for st in &steps {
            for c in &st.observables {
                if c.name.starts_with("slot.") {
                    continue;
                }
                assert!(
                    matches!(c.verdict, Verdict::Agree),
                    "{name} step {}: {} is {:?} (sim {} / xarray {})",
                    st.step,
                    c.name,
                    c.verdict,
                    c.sim,
                    c.real
                );
            }
        }
    }
}

#[test]
fn a_difference_is_reported_as_one() {
    // The same scenario on machines whose /dev/shm differs in size: a write
    // that fits on one is ENOSPC on the other.
    let src = r#"
title = "differ"
procs = ["a"]
[[step]]
proc = "a"
do = 'fd = shm_open("/x", O_CREAT | O_RDWR, 0600)'
[[step]]
proc = "a"
do = 'write(fd, "0123456789")'
[[step]]
proc = "a"
do = 'pwrite(fd, "more", 8192)'
"#;
    let s = sim::scenario::load_str("differ.toml", src).expect("loads");
    let roomy = Kernel::new(config_of(&s));
    let small = Kernel::new(Config {
        dev_shm_bytes: Some(4096),
        ..config_of(&s)
    });
    let steps = compare(&s, roomy, small, DEFAULT_TOLERANCE_KB);
    let (agree, total) = tally(&steps);
    assert!(agree < total, "{}", text(&steps, true));
    let last = steps.last().expect("three steps");
    let result = &last.observables[0];
    assert_eq!(
        (result.sim.as_str(), result.real.as_str()),
        ("4", "-1 ENOSPC")
    );
    assert_eq!(result.verdict, Verdict::Differ);
}
