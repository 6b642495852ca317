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
                    matches!(c.verdict, Verdict::Agree)
                        || matches!(c.verdict, Verdict::Allowed(_)) && c.sim == c.real,
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

/// A machine with swap beside one without: `madvise(MADV_PAGEOUT)` swaps the
/// page out on the first only. Only what depends on swap is set apart, and
/// only from that step on; the results, the output and the file's data
/// still compare, and the reason is printed once.
const PAGEOUT: &str = r#"
title = "pageout"
procs = ["a"]
[machine]
ram = "64 MiB"
swap = "32 MiB"
[[step]]
proc = "a"
do = 'fd = shm_open("/po", O_CREAT | O_RDWR, 0600)'
[[step]]
proc = "a"
do = "ftruncate(fd, 4096)"
[[step]]
proc = "a"
do = "p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)"
[[step]]
proc = "a"
do = "p[0] = 'x'"
[[step]]
proc = "a"
do = "madvise(p, 4096, MADV_PAGEOUT)"
[[step]]
proc = "a"
do = 'printf("%s", p)'
[[step]]
proc = "a"
do = "madvise(p, 4096, MADV_PAGEOUT)"
"#;

#[test]
fn swap_on_one_machine_only_sets_apart_only_what_depends_on_swap() {
    let s = sim::scenario::load_str("pageout.toml", PAGEOUT).expect("loads");
    let with = Kernel::new(config_of(&s));
    let without = Kernel::new(Config {
        swap_bytes: 0,
        ..config_of(&s)
    });
    let steps = compare(&s, with, without, DEFAULT_TOLERANCE_KB);
    let na = |st: &sim::compare::StepComparison| -> Vec<String> {
        st.observables
            .iter()
            .filter(|c| matches!(c.verdict, Verdict::NotObservable(_)))
            .map(|c| c.name.clone())
            .collect()
    };
    for st in &steps[..4] {
        assert!(na(st).is_empty(), "step {}: {:?}", st.step, na(st));
    }
    let pageout = &steps[4];
    assert!(
        na(pageout).contains(&"smaps.p.Swap@a".to_string()),
        "{pageout:?}"
    );
    for st in &steps[4..] {
        for c in &st.observables {
            if c.name == "result" || c.name == "out" || c.name.starts_with("data.") {
                assert_eq!(c.verdict, Verdict::Agree, "step {}: {c:?}", st.step);
            }
            if !sim::compare::depends_on_swap(&c.name) {
                assert!(
                    !matches!(c.verdict, Verdict::NotObservable(_)),
                    "step {}: {c:?}",
                    st.step
                );
            }
        }
    }
    let t = text(&steps, false);
    let reason = "step 5 (madvise(p, 4096, MADV_PAGEOUT)) can swap, and the scenario's machine \
                  has 32764 kB of swap, the host 0 kB";
    assert_eq!(t.matches(reason).count(), 1, "{t}");
    assert_eq!(t.matches("n/a      smaps.p.Swap@a").count(), 2, "{t}");
    let (agree, total) = tally(&steps);
    assert_eq!(agree, total, "{t}");
}

#[test]
fn an_allowed_observable_is_allowed_whether_or_not_it_happens_to_agree() {
    // The counts must not move with the host's noise: MemFree is allowed
    // even when the two machines read the same.
    let s = sim::scenario::load_str("pageout.toml", PAGEOUT).expect("loads");
    let steps = compare(
        &s,
        Kernel::new(config_of(&s)),
        Kernel::new(config_of(&s)),
        DEFAULT_TOLERANCE_KB,
    );
    for st in &steps {
        let free = st
            .observables
            .iter()
            .find(|c| c.name == "meminfo.MemFree")
            .expect("MemFree is read");
        assert_eq!(free.sim, free.real);
        assert!(matches!(free.verdict, Verdict::Allowed(_)), "{free:?}");
    }
    let t = text(&steps, false);
    assert_eq!(
        t.matches("allowed: the host's free memory").count(),
        1,
        "{t}"
    );
    assert!(
        !t.contains("    allowed  "),
        "per-step allowed lines only when verbose:\n{t}"
    );
}
