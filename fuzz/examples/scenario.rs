//! Prints the scenario a `play` or `real` input stands for, as the target
//! plays it: `cargo +nightly run --manifest-path fuzz/Cargo.toml --example
//! scenario -- play fuzz/artifacts/play/FILE > case.toml`, then
//! `shmsim check case.toml` or a named test in `tests/fuzz_regressions.rs`.
use arbitrary::{Arbitrary, Unstructured};
use shmsim_fuzz::{Mode, Plan};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, target, file] = &args[..] else {
        eprintln!("usage: scenario play|real FILE");
        std::process::exit(2);
    };
    let bytes = std::fs::read(file).unwrap_or_else(|e| {
        eprintln!("{file}: {e}");
        std::process::exit(1)
    });
    // As libfuzzer-sys builds a target's typed input from its bytes.
    let Ok(plan) = Plan::arbitrary_take_rest(Unstructured::new(&bytes)) else {
        eprintln!("{file}: not a plan");
        std::process::exit(1)
    };
    let (mode, steps) = match target.as_str() {
        "real" => (Mode::Real, 24),
        _ => (Mode::Model, 48),
    };
    print!("{}", plan.scenario(mode, steps));
}
