//! The real arm of the TUI (`sim::real::arm`): a real run played on its own
//! thread as far as the front end asks, compared step by step with the
//! model through `sim::compare::Comparer`, and cleaned up however it ends
//! (it finishes, it is dropped half way, its thread panics, the program
//! gets SIGTERM or SIGHUP).

mod common;

use sim::backend::Backend;
use sim::compare::{compare, Comparer, DEFAULT_TOLERANCE_KB};
use sim::kernel::{Config, Kernel};
use sim::runner::{config_of, Run};

/// The `Comparer`, fed one step at a time from two separate runs (as the TUI
/// does), says exactly what `compare()` says, on every bundled scenario and
/// on machine pairs that drift apart (no swap on one, a smaller RAM).
#[test]
fn a_comparer_fed_step_by_step_says_what_compare_says() {
    for (p, src) in common::bundled() {
        let name = p.display().to_string();
        let s = sim::scenario::load_str(&name, &src).unwrap_or_else(|d| panic!("{name}: {d:?}"));
        let cfg = config_of(&s);
        for other in [
            cfg.clone(),
            Config {
                swap_bytes: 0,
                ..cfg.clone()
            },
            Config {
                ram_bytes: cfg.ram_bytes / 4,
                ..cfg.clone()
            },
        ] {
            let whole = compare(
                &s,
                Kernel::new(cfg.clone()),
                Kernel::new(other.clone()),
                DEFAULT_TOLERANCE_KB,
            );
            // The model's run on its own, the other played in full first.
            let mut a = Run::new(&s);
            let mut b = Run::with_backend(&s, Kernel::new(other));
            let (sa, sb) = (
                a.backend.meminfo("SwapTotal"),
                b.backend.meminfo("SwapTotal"),
            );
            let theirs: Vec<_> = b.run_all();
            let mut c = Comparer::new(&s, &sa, &sb, DEFAULT_TOLERANCE_KB);
            let mine: Vec<_> = s
                .steps
                .iter()
                .zip(theirs.iter())
                .map(|(st, y)| {
                    let x = a.step().expect("as many steps");
                    c.step(st, &x, y)
                })
                .collect();
            assert_eq!(
                serde_json::to_string(&mine).unwrap(),
                serde_json::to_string(&whole).unwrap(),
                "{name}"
            );
        }
    }
}

#[cfg(not(target_os = "linux"))]
#[test]
fn the_real_arm_needs_linux() {
    println!("skipped: the real arm plays scenarios on a Linux host (this is not one)");
}

#[cfg(target_os = "linux")]
mod linux {
    use super::common::real::{assert_gone, signal, spawn_child, sysv_rows, wait_ready, Traces};
    use super::*;
    use sim::compare::{StepComparison, Verdict};
    use sim::real::arm::{ArmEvent, RealArm};
    use sim::real::{RealBackend, RealOptions};
    use sim::runner::StepOutcome;
    use sim::scenario::{load_str, Scenario};
    use std::collections::BTreeMap;
    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::process::{ExitStatus, Stdio};
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    /// Real runs one at a time: machine-wide counters, and the scan of this
    /// process's children, must not see two at once.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

    fn serial() -> std::sync::MutexGuard<'static, ()> {
        ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Are the tests root (`/proc/self` belongs to the effective uid)?
    fn is_root() -> bool {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
    }

    fn bundled(file: &str) -> Scenario {
        let path = format!("{}/scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
        let src = std::fs::read_to_string(&path).unwrap();
        load_str(&path, &src).unwrap_or_else(|d| panic!("{path}: {d:?}"))
    }

    /// What `Ready` said.
    #[derive(Debug)]
    struct Ready {
        swap_total: sim::backend::Reading,
        run_dir: PathBuf,
        shm_dir: PathBuf,
    }

    /// Waits for the arm's next event (bounded).
    fn next(arm: &mut RealArm) -> ArmEvent {
        arm.wait(Duration::from_secs(30))
            .expect("the arm said something within 30 s")
    }

    /// Waits for `Ready`; `None` (with the reason printed) where the host
    /// cannot play real runs, which as root is a failure.
    fn ready(arm: &mut RealArm) -> Option<Ready> {
        match next(arm) {
            ArmEvent::Ready {
                swap_total,
                run_dir,
                shm_dir,
                notes,
                ..
            } => {
                for n in notes {
                    println!("note: {n}");
                }
                Some(Ready {
                    swap_total,
                    run_dir,
                    shm_dir,
                })
            }
            ArmEvent::Unavailable(why) if !is_root() => {
                println!("skipped: real runs are unavailable here: {why}");
                None
            }
            e => panic!("expected Ready, got {e:?}"),
        }
    }

    /// Asks for `upto` steps and collects them as they come; did the arm
    /// say it finished?
    fn play_until(arm: &mut RealArm, upto: usize, got: &mut Vec<StepOutcome>) -> bool {
        arm.want(upto);
        while got.len() < upto {
            match next(arm) {
                ArmEvent::Step { outcome, .. } => {
                    assert_eq!(outcome.step, got.len() + 1, "steps come in order");
                    got.push(*outcome);
                }
                e => panic!("expected step {}, got {e:?}", got.len() + 1),
            }
        }
        // Nothing more than was asked for.
        std::thread::sleep(Duration::from_millis(20));
        let mut finished = false;
        for e in arm.poll() {
            assert!(
                !matches!(e, ArmEvent::Step { .. }),
                "a step beyond {upto}: {e:?}"
            );
            assert!(matches!(e, ArmEvent::Finished), "{e:?}");
            finished = true;
        }
        finished
    }

    /// The verdict's kind, with an allowed divergence counted with the
    /// agreements (whether the host's noise made one an agreement on this
    /// run or not is the host's business).
    fn kind(v: &Verdict) -> &'static str {
        match v {
            Verdict::Agree | Verdict::Allowed(_) => "agree or allowed",
            Verdict::Differ => "differ",
            Verdict::SimOnly => "sim only",
            Verdict::NotObservable(_) => "not observable",
        }
    }

    fn counts(steps: &[StepComparison]) -> BTreeMap<&'static str, usize> {
        let mut m = BTreeMap::new();
        for c in steps.iter().flat_map(|s| &s.observables) {
            *m.entry(kind(&c.verdict)).or_default() += 1;
        }
        m
    }

    /// The arm driven in increments of `by`, each step compared with the
    /// model's as it arrives, gives the verdicts `compare()` gives.
    fn arm_agrees_with_compare(file: &str, by: usize) {
        let _one = serial();
        let s = bundled(file);
        let started = Instant::now();
        let mut arm = RealArm::start(s.clone(), RealOptions::default());
        let Some(r) = ready(&mut arm) else { return };
        let mut model = Run::new(&s);
        let sim_swap = model.backend.meminfo("SwapTotal");
        let mut comparer = Comparer::new(&s, &sim_swap, &r.swap_total, DEFAULT_TOLERANCE_KB);
        let mut got = Vec::new();
        let mut steps = Vec::new();
        let n = s.steps.len();
        let mut upto = 0;
        let mut finished = false;
        while upto < n {
            upto = (upto + by).min(n);
            let before = got.len();
            finished = play_until(&mut arm, upto, &mut got);
            assert!(!finished || upto == n, "finished at step {upto} of {n}");
            for real in &got[before..] {
                let sim = model.step().expect("the model has the step");
                steps.push(comparer.step(&s.steps[real.step - 1], &sim, real));
            }
        }
        // The last step played: the run cleans up, then says so.
        if !finished {
            finished = matches!(next(&mut arm), ArmEvent::Finished);
        }
        assert!(finished, "the arm finishes after the last step");
        assert!(!r.run_dir.exists() && !r.shm_dir.exists(), "{r:?} left");
        drop(arm);
        let arm_time = started.elapsed();
        let real = RealBackend::new(&config_of(&s), RealOptions::default()).unwrap();
        let whole = compare(&s, Kernel::new(config_of(&s)), real, DEFAULT_TOLERANCE_KB);
        // A segment's page cache is named by its host key (`/SYSV<key>`),
        // which an `ftok` key takes from the inode of a file of the run.
        let names = |v: &[StepComparison]| -> Vec<(usize, String)> {
            v.iter()
                .flat_map(|s| {
                    s.observables.iter().map(move |c| {
                        let n = match c.name.strip_prefix("cache./SYSV") {
                            Some(_) => "cache./SYSV<key>".to_string(),
                            None => c.name.clone(),
                        };
                        (s.step, n)
                    })
                })
                .collect()
        };
        let (mine, theirs) = (names(&steps), names(&whole));
        let only = |a: &[(usize, String)], b: &[(usize, String)]| -> Vec<(usize, String)> {
            a.iter().filter(|x| !b.contains(x)).cloned().collect()
        };
        assert_eq!(
            mine,
            theirs,
            "{file}: the same observables; only the arm's: {:?}; only compare's: {:?}",
            only(&mine, &theirs),
            only(&theirs, &mine)
        );
        println!(
            "{file}: arm {:?} in {arm_time:?}; compare {:?}",
            counts(&steps),
            counts(&whole)
        );
        assert_eq!(counts(&steps), counts(&whole), "{file}");
        for (a, b) in steps
            .iter()
            .flat_map(|s| &s.observables)
            .zip(whole.iter().flat_map(|s| &s.observables))
        {
            assert_eq!(kind(&a.verdict), kind(&b.verdict), "{file}: {}", a.name);
        }
    }

    #[test]
    fn posix_producer_consumer_step_by_step() {
        arm_agrees_with_compare("01-posix-producer-consumer.toml", 1);
    }

    #[test]
    fn shmem_swap_out_and_in_in_threes() {
        arm_agrees_with_compare("12-shmem-swap-out-and-in.toml", 3);
    }

    #[test]
    fn sysv_writer_reader_in_twos() {
        arm_agrees_with_compare("07-sysv-writer-reader.toml", 2);
    }

    // ---- cleanup ----

    /// A run that leaves everything it can behind (tests/common/real.rs),
    /// and then ends one process; its last step is never asked for.
    fn litter() -> String {
        super::common::real::litter(0x4c18) + "[[step]]\nproc = \"b\"\ndo = \"exit(0)\"\n"
    }
    const LITTERED: usize = 10;

    /// This process's descendants (the workers and what they forked).
    fn descendants() -> Vec<u32> {
        let mut parent_of: BTreeMap<u32, u32> = BTreeMap::new();
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                continue;
            };
            // pid (comm) state ppid ...: comm may hold anything but ')'.
            let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
            if let Some(ppid) = after.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
                parent_of.insert(pid, ppid);
            }
        }
        let mut out: Vec<u32> = vec![std::process::id()];
        let mut i = 0;
        while i < out.len() {
            let p = out[i];
            out.extend(parent_of.iter().filter(|(_, &pp)| pp == p).map(|(&c, _)| c));
            i += 1;
        }
        out.remove(0);
        out
    }

    /// Starts an arm on the litter run with `opts` and plays it up to its last step;
    /// the arm, still holding everything, and what it made.
    fn littering_arm(opts: RealOptions) -> Option<(RealArm, Traces)> {
        let s = load_str("litter.toml", &litter()).unwrap_or_else(|d| panic!("{d:?}"));
        let mut arm = RealArm::start(s, opts);
        let r = ready(&mut arm)?;
        let mut got = Vec::new();
        play_until(&mut arm, LITTERED, &mut got);
        let t = Traces {
            run_dir: r.run_dir,
            shm_dir: r.shm_dir,
            pids: descendants(),
            seg_ids: got
                .iter()
                .filter(|o| o.do_.contains("shmget"))
                .filter_map(|o| o.result.ret)
                .filter(|&r| r >= 0)
                .collect(),
        };
        assert!(t.run_dir.join("tmp/left").exists() && t.shm_dir.join("litter").exists());
        assert!(t.pids.len() >= 3, "a, b and a's child: {t:?}");
        assert_eq!(t.seg_ids.len(), 2, "{t:?}");
        Some((arm, t))
    }

    /// A run the host refuses (here: a machine larger than the memory cap)
    /// is an `Unavailable` with the reason, announced through the notifier,
    /// and the end of the arm.
    #[test]
    fn a_run_the_host_refuses_is_unavailable() {
        let _one = serial();
        let s = bundled("01-posix-producer-consumer.toml");
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = std::sync::Arc::clone(&calls);
        let notify = Box::new(move || {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        });
        let opts = RealOptions {
            memory_cap: 1 << 20,
            ..RealOptions::default()
        };
        let mut arm = RealArm::start_notifying(s, opts, Some(notify));
        arm.want(3);
        match next(&mut arm) {
            ArmEvent::Unavailable(why) => assert!(why.contains("memory_cap"), "{why}"),
            e => panic!("expected Unavailable, got {e:?}"),
        }
        // The notifier runs after the event is sent: give it a moment.
        let t0 = std::time::Instant::now();
        while calls.load(std::sync::atomic::Ordering::SeqCst) == 0
            && t0.elapsed() < Duration::from_secs(5)
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(
            arm.wait(Duration::from_millis(50)).is_none(),
            "nothing after it"
        );
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(arm.steps(), 0);
    }

    #[test]
    fn dropping_an_arm_half_way_leaves_nothing() {
        let _one = serial();
        let Some((arm, t)) = littering_arm(RealOptions::default()) else {
            return;
        };
        let at = Instant::now();
        drop(arm);
        assert!(at.elapsed() < Duration::from_secs(3), "{:?}", at.elapsed());
        assert_gone(&t);
    }

    #[test]
    fn a_panic_in_the_arm_thread_is_failed_and_leaves_nothing() {
        let _one = serial();
        let s = load_str("litter.toml", &litter()).unwrap_or_else(|d| panic!("{d:?}"));
        // The notifier runs on the arm thread: make it panic after step 9
        // (Ready is its first call).
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let notify = Box::new(move || {
            if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == LITTERED - 1 {
                panic!("a bug in the front end's notifier");
            }
        });
        let mut arm = RealArm::start_notifying(s, RealOptions::default(), Some(notify));
        let Some(r) = ready(&mut arm) else { return };
        arm.want(LITTERED);
        let mut got = Vec::new();
        let failed = loop {
            match next(&mut arm) {
                ArmEvent::Step { outcome, .. } => got.push(*outcome),
                ArmEvent::Failed(why) => break why,
                e => panic!("expected a step or Failed, got {e:?}"),
            }
        };
        assert!(
            failed.contains("a bug in the front end's notifier"),
            "{failed}"
        );
        assert_eq!(got.len(), LITTERED - 1, "the panic came after step 9");
        let t = Traces {
            run_dir: r.run_dir,
            shm_dir: r.shm_dir,
            pids: Vec::new(),
            seg_ids: Vec::new(),
        };
        assert!(!t.run_dir.exists() && !t.shm_dir.exists(), "{t:?} left");
        assert!(
            descendants().is_empty(),
            "workers left: {:?}",
            descendants()
        );
        let segs: Vec<i64> = got
            .iter()
            .filter(|o| o.do_.contains("shmget"))
            .filter_map(|o| o.result.ret)
            .collect();
        assert_eq!(segs.len(), 2);
        for row in sysv_rows() {
            assert!(
                !segs.contains(&row[1].parse().unwrap()),
                "segment left: {row:?}"
            );
        }
        drop(arm);
    }

    const CHILD_ENV: &str = "SHMSIM_REAL_ARM_CHILD";

    /// Not a test on its own: the body of the child process the signal test
    /// starts (it returns at once when not started by it). It owns an arm
    /// that holds a littering run, as a TUI would, and waits.
    #[test]
    fn child_owning_an_arm_waits_for_a_signal() {
        let Ok(root) = std::env::var(CHILD_ENV) else {
            return;
        };
        let opts = RealOptions {
            run_root: PathBuf::from(root),
            ..RealOptions::default()
        };
        let (_arm, t) = littering_arm(opts).expect("a real run");
        println!("{}", t.line());
        std::io::stdout().flush().unwrap();
        // Wait for the signal (bounded: the parent sends it at once).
        std::thread::sleep(Duration::from_secs(60));
    }

    /// The child's exit status, or `None` (and the child killed) after `d`.
    fn wait_at_most(child: &mut std::process::Child, d: Duration) -> Option<ExitStatus> {
        let until = std::time::Instant::now() + d;
        while std::time::Instant::now() < until {
            if let Some(st) = child.try_wait().unwrap() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    #[test]
    fn sigterm_and_sighup_while_an_arm_runs_leave_nothing() {
        use std::os::unix::process::ExitStatusExt;
        let _one = serial();
        if !is_root() && !Path::new("/proc/sysvipc/shm").exists() {
            println!("skipped: no /proc/sysvipc/shm");
            return;
        }
        for sig in [15, 1] {
            let root =
                std::env::temp_dir().join(format!("shmsim-arm-sig{sig}-{}", std::process::id()));
            std::fs::create_dir_all(&root).unwrap();
            // The child's stderr, said if it does not end as it should.
            let err = root.with_extension("stderr");
            let mut child = spawn_child(
                "linux::child_owning_an_arm_waits_for_a_signal",
                false,
                CHILD_ENV,
                &root,
                Stdio::from(std::fs::File::create(&err).unwrap()),
            );
            let t = wait_ready(&mut child);
            let Some(t) = t else {
                let _ = child.kill();
                let _ = child.wait();
                let _ = std::fs::remove_dir_all(&root);
                assert!(!is_root(), "the child's real run got ready");
                println!("skipped: the child could not play a real run");
                return;
            };
            assert!(signal(sig, child.id()));
            let st = wait_at_most(&mut child, Duration::from_secs(30));
            let said = std::fs::read_to_string(&err).unwrap_or_default();
            let _ = std::fs::remove_file(&err);
            let Some(st) = st else {
                panic!("SIG{sig} did not end the child in 30 s; it said:\n{said}");
            };
            let left = std::fs::read_dir(&root).map(|d| d.count()).unwrap_or(0);
            let _ = std::fs::remove_dir_all(&root);
            // The run cleaned up, then the signal ended the process.
            assert_eq!(st.signal(), Some(sig), "{st:?}; the child said:\n{said}");
            assert_gone(&t);
            assert_eq!(left, 0, "the run root is empty");
        }
    }
}
