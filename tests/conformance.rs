//! Sim-vs-real conformance: every bundled scenario played on the kernel
//! model and on the host kernel, observable by observable, one named test
//! per scenario (so a failure names its scenario). Every comparable
//! observable must agree; the divergences the comparison accepts are listed,
//! each with the kernel's reason, in `sim::compare::ALLOWLIST`, and
//! observables one side cannot see here are reported with the reason (for
//! example no swap on the host).
#![cfg(target_os = "linux")]

mod common;

use sim::compare::{compare, tally, text, DEFAULT_TOLERANCE_KB};
use sim::kernel::Kernel;
use sim::real::{RealBackend, RealOptions};
use sim::runner::config_of;
use std::sync::Mutex;

/// Machine-wide counters must not see two real runs at once.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Plays bundled scenario `stem` on the model and on the host, and fails
/// with the comparison if an observable differs.
fn agrees_with_the_host_kernel(stem: &str) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (path, src) = common::bundled()
        .into_iter()
        .find(|(p, _)| p.file_stem().is_some_and(|s| s == stem))
        .unwrap_or_else(|| panic!("no bundled scenario {stem}"));
    let name = path.display().to_string();
    let s = sim::scenario::load_str(&name, &src).unwrap_or_else(|d| panic!("{name}: {d:?}"));
    let real = match RealBackend::new(&config_of(&s), RealOptions::default()) {
        Ok(r) => r,
        Err(e) => panic!("{name}: a real run was refused: {e}"),
    };
    let steps = compare(&s, Kernel::new(config_of(&s)), real, DEFAULT_TOLERANCE_KB);
    let (agree, total) = tally(&steps);
    assert!(total > 0, "{name}: nothing was compared");
    assert_eq!(
        agree,
        total,
        "{name}: the model and the host kernel disagree:\n{}",
        text(&steps, false)
    );
}

macro_rules! conformance {
    ($($test:ident => $stem:literal,)*) => {
        $(
            #[test]
            fn $test() {
                agrees_with_the_host_kernel($stem);
            }
        )*
        /// The bundled scenarios the macro lists.
        const LISTED: &[&str] = &[$($stem),*];
    };
}

conformance! {
    s01_posix_producer_consumer => "01-posix-producer-consumer",
    s02_shm_open_is_open => "02-shm-open-is-open",
    s03_fork_shared_anonymous => "03-fork-shared-anonymous",
    s04_fd_passing_and_unlinked_buffer => "04-fd-passing-and-unlinked-buffer",
    s05_munmap_then_sigsegv => "05-munmap-then-sigsegv",
    s06_file_shared_vs_private => "06-file-shared-vs-private",
    s07_sysv_writer_reader => "07-sysv-writer-reader",
    s08_ipc_rmid_while_attached => "08-ipc-rmid-while-attached",
    s09_shmmax_vs_dev_shm_size => "09-shmmax-vs-dev-shm-size",
    s10_tmpfs_rm_experiment => "10-tmpfs-rm-experiment",
    s11_read_hole_vs_fault_hole => "11-read-hole-vs-fault-hole",
    s12_shmem_swap_out_and_in => "12-shmem-swap-out-and-in",
    s13_xarray_swap_entries => "13-xarray-swap-entries",
    s14_anon_vs_file_vs_shmem_reclaim => "14-anon-vs-file-vs-shmem-reclaim",
    s15_sysv_segment_pageout => "15-sysv-segment-pageout",
    s16_pageout_without_swap => "16-pageout-without-swap",
    s17_pageout_skips_shared_pages => "17-pageout-skips-shared-pages",
    s18_oom_killer_and_tmpfs => "18-oom-killer-and-tmpfs",
    s19_sysv_name_after_rmid => "19-sysv-name-after-rmid",
    s20_the_seeds_error_branches => "20-the-seeds-error-branches",
    s21_memfd_and_seals => "21-memfd-and-seals",
}

#[test]
fn every_bundled_scenario_has_its_conformance_test() {
    let bundled: Vec<String> = common::bundled()
        .iter()
        .map(|(p, _)| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let missing: Vec<&String> = bundled
        .iter()
        .filter(|b| !LISTED.contains(&b.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "add to the conformance! list in tests/conformance.rs: {missing:?}"
    );
    let gone: Vec<&&str> = LISTED
        .iter()
        .filter(|l| !bundled.iter().any(|b| b == *l))
        .collect();
    assert!(gone.is_empty(), "listed but not bundled: {gone:?}");
}
