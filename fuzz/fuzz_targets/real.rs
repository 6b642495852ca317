//! The same structured scenarios, with sizes under the memory cap and no
//! machine-wide steps, played on the model and on the host kernel (the real
//! arm: confined, capped, cleaned up; root on CI): every call's result must
//! agree, and nothing of the run may be left on the host. The model plays
//! the host's release, whatever the scenario's `kernel` says, so that an
//! answer that changed between releases is not counted against it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shmsim_fuzz::{Mode, Plan};
use sim::compare::{compare, Verdict, DEFAULT_TOLERANCE_KB};
use sim::kernel::Kernel;
use sim::real::{host_release, RealBackend, RealOptions};
use sim::runner::config_of;

fuzz_target!(|plan: Plan| {
    let src = plan.scenario(Mode::Real, 24);
    let Ok(s) = sim::scenario::load_str("real.toml", &src) else {
        return;
    };
    let opts = RealOptions {
        memory_cap: 32 << 20,
        ..RealOptions::default()
    };
    let mut cfg = config_of(&s);
    if let Some(r) = host_release() {
        cfg.release = r;
    }
    let real = match RealBackend::new(&cfg, opts) {
        Ok(r) => r,
        Err(e) => panic!("a real run was refused: {e}\n{src}"),
    };
    let (run_dir, shm_dir) = (real.run_dir().to_path_buf(), real.shm_root().to_path_buf());
    let steps = compare(&s, Kernel::new(cfg), real, DEFAULT_TOLERANCE_KB);
    assert!(
        !run_dir.exists(),
        "{} left behind\n{src}",
        run_dir.display()
    );
    assert!(
        !shm_dir.exists(),
        "{} left behind\n{src}",
        shm_dir.display()
    );
    if std::env::var_os("SHMSIM_FUZZ_REAL_LOOSE").is_some() {
        return;
    }
    for st in &steps {
        for c in &st.observables {
            if c.name == "result" && c.verdict == Verdict::Differ {
                panic!(
                    "step {} `{}`: the model says {}, the host {}\n--- scenario ---\n{src}",
                    st.step, st.do_, c.sim, c.real
                );
            }
        }
    }
});
