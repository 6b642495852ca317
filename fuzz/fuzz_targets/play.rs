//! Whole scenarios made structurally (`shmsim_fuzz::Plan`: calls with
//! hostile numbers, sizes, offsets, flags and names) played on the model,
//! with the kernel's invariants checked after every step.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shmsim_fuzz::{Mode, Plan};

fuzz_target!(|plan: Plan| {
    let src = plan.scenario(Mode::Model, 48);
    let Ok(s) = sim::scenario::load_str("play.toml", &src) else {
        return;
    };
    let mut run = sim::runner::Run::new(&s);
    while let Some(out) = run.step() {
        if let Err(e) = run.kernel().check_invariants() {
            panic!(
                "invariants broken after step {}:\n{e}\n--- scenario ---\n{src}",
                out.step
            );
        }
    }
});
