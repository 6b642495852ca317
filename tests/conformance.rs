//! Sim-vs-real conformance: every bundled scenario played on the kernel
//! model and on the host kernel, observable by observable. Every comparable
//! observable must agree; the divergences the comparison accepts are listed,
//! each with the kernel's reason, in `sim::compare::ALLOWLIST`, and
//! observables one side cannot see here are reported with the reason (for
//! example no swap on the host).
#![cfg(target_os = "linux")]

mod common;

use sim::compare::{compare, tally, text, Verdict, DEFAULT_TOLERANCE_KB};
use sim::kernel::Kernel;
use sim::real::{RealBackend, RealOptions};
use sim::runner::config_of;

fn scenarios() -> Vec<(String, String)> {
    common::bundled()
        .into_iter()
        .map(|(p, t)| (p.display().to_string(), t))
        .collect()
}

/// One test, scenarios in turn: machine-wide counters must not see two real
/// runs at once.
#[test]
fn every_bundled_scenario_agrees_with_the_host_kernel() {
    let mut report = String::new();
    let mut failures = 0;
    let mut compared = 0;
    for (name, src) in scenarios() {
        let s = sim::scenario::load_str(&name, &src).unwrap_or_else(|d| panic!("{name}: {d:?}"));
        let real = match RealBackend::new(&config_of(&s), RealOptions::default()) {
            Ok(r) => r,
            Err(e) => panic!("{name}: a real run was refused: {e}"),
        };
        let steps = compare(&s, Kernel::new(config_of(&s)), real, DEFAULT_TOLERANCE_KB);
        let (agree, total) = tally(&steps);
        compared += total;
        let na = steps
            .iter()
            .flat_map(|s| &s.observables)
            .filter(|c| matches!(c.verdict, Verdict::NotObservable(_)))
            .count();
        report.push_str(&format!(
            "{name}: {agree} of {total} agree, {na} not observable here\n"
        ));
        if agree < total {
            failures += 1;
            report.push_str(&text(&steps, false));
        }
    }
    println!("{report}");
    assert!(
        compared > 1000,
        "too few observables were compared:\n{report}"
    );
    assert_eq!(
        failures, 0,
        "the model and the host kernel disagree:\n{report}"
    );
}
