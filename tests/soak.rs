//! The soak (issue #13), opt-in and bounded in time:
//!
//! ```text
//! SHMSIM_SOAK_SECS=600 cargo test --release --test soak -- --ignored --nocapture
//! ```
//!
//! Real runs, one after another until the time is up, each interrupted at a
//! random moment in one of five ways: a worker killed by SIGKILL, SIGTERM
//! or SIGINT in the middle of the run (the run goes on without it), or the
//! driver itself (a child process of this test) ended by SIGINT, SIGTERM or
//! SIGKILL. After each, and once more at the end: nothing of the run is in
//! /dev/shm, /proc/sysvipc/shm, the run folders or the process table. The
//! seed is printed (`SHMSIM_SOAK_SEED` replays it).

#[cfg(target_os = "linux")]
#[allow(dead_code)] // This suite uses only the real-run helpers.
mod common;

#[cfg(target_os = "linux")]
mod linux {
    use super::common::real::{self, signal, spawn_child, sysv_rows, Traces};
    use sim::real::{RealBackend, RealOptions};
    use sim::runner::{config_of, Run};
    use sim::scenario::{load_str, Scenario};
    use std::io::{BufRead, BufReader};
    use std::path::{Path, PathBuf};
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    const CHILD_ENV: &str = "SHMSIM_SOAK_CHILD";

    fn scenario(seed: u32) -> &'static Scenario {
        Box::leak(Box::new(
            load_str("soak.toml", &real::litter(seed)).unwrap_or_else(|d| panic!("{d:?}")),
        ))
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn kill(sig: i32, pid: u32) {
        signal(sig, pid);
    }

    /// Nothing of `t` is left (waiting up to 5 s for processes that die
    /// with their driver).
    fn assert_nothing_left(t: &Traces, what: &str) {
        assert!(
            !t.run_dir.exists(),
            "{what}: run folder left: {}",
            t.run_dir.display()
        );
        assert!(
            !t.shm_dir.exists(),
            "{what}: /dev/shm folder left: {}",
            t.shm_dir.display()
        );
        for p in &t.pids {
            let proc_ = format!("/proc/{p}");
            let start = Instant::now();
            while Path::new(&proc_).exists() && start.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(10));
            }
            assert!(!Path::new(&proc_).exists(), "{what}: process {p} left");
        }
        for row in sysv_rows() {
            let cpid: u32 = row[4].parse().unwrap_or(0);
            assert!(
                !t.pids.contains(&cpid),
                "{what}: segment {} made by worker {cpid} left",
                row[1]
            );
        }
    }

    /// Not a test on its own: the driver the soak starts and interrupts.
    #[test]
    #[ignore]
    fn soak_child_driver() {
        let Ok(root) = std::env::var(CHILD_ENV) else {
            return;
        };
        let opts = RealOptions {
            run_root: PathBuf::from(root),
            ..RealOptions::default()
        };
        let s = scenario(0x50ac);
        let b = RealBackend::new(&config_of(s), opts).unwrap();
        let mut run = Run::with_backend(s, b);
        // Tell the parent what the run is before it makes anything, then
        // play slowly enough to be interrupted anywhere.
        println!(
            "READY {} {} - -",
            run.backend.run_dir().display(),
            run.backend.shm_dir().display()
        );
        use std::io::Write;
        std::io::stdout().flush().unwrap();
        while let Some(_o) = run.step() {
            let pids: Vec<String> = run
                .backend
                .live_pids()
                .iter()
                .map(|p| p.to_string())
                .collect();
            println!("PIDS {}", pids.join(","));
            std::io::stdout().flush().unwrap();
        }
        std::thread::sleep(Duration::from_secs(30));
    }

    /// A worker killed in the middle of an in-process run.
    fn worker_killed(rng: &mut Rng, root: &Path) -> Traces {
        let s = scenario(0x50ac);
        let opts = RealOptions {
            run_root: root.to_path_buf(),
            ..RealOptions::default()
        };
        let b = RealBackend::new(&config_of(s), opts).unwrap();
        let mut run = Run::with_backend(s, b);
        let at = rng.below(s.steps.len() as u64 + 1) as usize;
        let sig = [9, 15, 2][rng.below(3) as usize];
        let mut t = Traces {
            run_dir: run.backend.run_dir().to_path_buf(),
            shm_dir: run.backend.shm_dir().to_path_buf(),
            ..Traces::default()
        };
        for n in 0.. {
            if n == at {
                let pids = run.backend.live_pids();
                if !pids.is_empty() {
                    kill(sig, pids[rng.below(pids.len() as u64) as usize]);
                }
            }
            for p in run.backend.live_pids() {
                if !t.pids.contains(&p) {
                    t.pids.push(p);
                }
            }
            if run.step().is_none() {
                break;
            }
        }
        drop(run);
        t
    }

    /// The driver (a child process) ended by a signal at a random moment;
    /// then the next run on the same root sweeps what a SIGKILL left.
    fn driver_killed(rng: &mut Rng, root: &Path) -> Traces {
        let mut child = spawn_child(
            "linux::soak_child_driver",
            true,
            CHILD_ENV,
            root,
            Stdio::null(),
        );
        let sig = [9, 15, 2][rng.below(3) as usize];
        let after = rng.below(12);
        let mut t = Traces::default();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut seen = 0;
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            if let Some(at) = line.find("READY ") {
                let w: Vec<&str> = line[at..].split_whitespace().collect();
                t.run_dir = PathBuf::from(w[1]);
                t.shm_dir = PathBuf::from(w[2]);
            } else if let Some(p) = line.strip_prefix("PIDS ") {
                for p in p.split(',').filter_map(|x| x.parse().ok()) {
                    if !t.pids.contains(&p) {
                        t.pids.push(p);
                    }
                }
                seen += 1;
            }
            if seen >= after {
                break;
            }
        }
        kill(sig, child.id());
        drop(lines);
        let _ = child.wait();
        // A driver killed outright cannot clean up: the next run does.
        drop(
            RealBackend::new(
                &config_of(scenario(1)),
                RealOptions {
                    run_root: root.to_path_buf(),
                    ..RealOptions::default()
                },
            )
            .unwrap(),
        );
        t
    }

    #[test]
    #[ignore = "the soak: SHMSIM_SOAK_SECS=600 cargo test --release --test soak -- --ignored"]
    fn soak_real_runs_under_random_interruptions() {
        if std::env::var_os(CHILD_ENV).is_some() {
            return;
        }
        let secs: u64 = std::env::var("SHMSIM_SOAK_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(60);
        let seed: u64 = std::env::var("SHMSIM_SOAK_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64 | 1)
            });
        println!("soak: {secs} s, SHMSIM_SOAK_SEED={seed}");
        let mut rng = Rng(seed);
        let root = std::env::temp_dir().join(format!("shmsim-soak-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        let start = Instant::now();
        let (mut workers, mut drivers) = (0u64, 0u64);
        let mut all = Vec::new();
        while start.elapsed() < Duration::from_secs(secs) {
            let t = if rng.below(2) == 0 {
                workers += 1;
                worker_killed(&mut rng, &root)
            } else {
                drivers += 1;
                driver_killed(&mut rng, &root)
            };
            assert_nothing_left(&t, &format!("run {}", workers + drivers));
            all.push(t);
        }
        for t in &all {
            assert_nothing_left(t, "at the end");
        }
        let left: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        assert!(
            left.is_empty(),
            "run folders left under {}: {left:?}",
            root.display()
        );
        std::fs::remove_dir_all(&root).unwrap();
        println!(
            "soak: {} runs in {:.0} s ({workers} with a worker killed, {drivers} with the driver interrupted): nothing left",
            workers + drivers,
            start.elapsed().as_secs_f64()
        );
    }
}
