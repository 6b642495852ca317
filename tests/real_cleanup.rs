//! Real runs on a hostile and faulty host: what exists outside a run is left
//! alone, and nothing a run created survives it, however it ends (well,
//! with a failed expectation, by a panic, by SIGINT or SIGTERM, with a process
//! lost to a signal, or with the driver killed outright).

#[cfg(not(target_os = "linux"))]
#[test]
fn real_runs_need_linux() {
    println!("skipped: real runs need a Linux host (this is not one)");
}

#[cfg(target_os = "linux")]
#[allow(dead_code)] // This suite uses only the real-run helpers.
mod common;

#[cfg(target_os = "linux")]
mod linux {
    use super::common::real::{
        self, assert_gone, signal, spawn_child, sysv_rows, wait_ready, Traces,
    };
    use sim::real::{RealBackend, RealOptions};
    use sim::runner::{config_of, Run};
    use sim::scenario::{load_str, Scenario};
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};

    fn scenario(src: &str) -> &'static Scenario {
        Box::leak(Box::new(
            load_str("t.toml", src).unwrap_or_else(|d| panic!("{d:?}")),
        ))
    }

    /// Plays the litter run (and `extra` steps); the traces, and the backend still
    /// holding everything.
    fn litter(extra: &str) -> (Traces, Run<'static, RealBackend>) {
        let s = scenario(&format!("{}{extra}", real::litter(0x4c17)));
        let b = RealBackend::new(&config_of(s), RealOptions::default()).unwrap();
        let mut run = Run::with_backend(s, b);
        let out = run.run_all();
        let seg_ids = out
            .iter()
            .filter(|o| o.do_.contains("shmget"))
            .filter_map(|o| o.result.ret)
            .filter(|&r| r >= 0)
            .collect();
        let t = Traces {
            run_dir: run.backend.run_dir().to_path_buf(),
            shm_dir: run.backend.shm_dir().to_path_buf(),
            pids: run.backend.live_pids(),
            seg_ids,
        };
        assert_eq!(t.pids.len(), 3, "a, b and a's child are alive");
        assert_eq!(t.seg_ids.len(), 2);
        assert!(t.shm_dir.join("litter").exists() && t.run_dir.join("tmp/left").exists());
        (t, run)
    }

    #[test]
    fn after_a_run_that_ends_well() {
        let (t, run) = litter("");
        drop(run);
        assert_gone(&t);
    }

    #[test]
    fn after_a_failed_expectation() {
        let (t, run) = litter(
            r#"
[[step]]
proc = "a"
do = "c = p[0]"
expect = { out = "not what is there" }
"#,
        );
        // The run went on to the end; the expectation failed.
        drop(run);
        assert_gone(&t);
    }

    #[test]
    fn after_a_process_lost_to_a_signal() {
        let (t, mut run) = litter("");
        // b dies by SIGSEGV in the middle of the run (a store where nothing
        // is mapped) ...
        use sim::backend::Backend;
        let b_pid = t.pids[1];
        let fault = run.backend.write_user(b_pid, 0x1000, b"z");
        assert!(fault.is_err(), "a store at 0x1000 faults");
        // ... is gone at once (reaped, no zombie) ...
        assert!(!Path::new(&format!("/proc/{b_pid}")).exists());
        assert!(!run.backend.alive(b_pid));
        drop(run);
        // ... and the rest is cleaned up at the end.
        assert_gone(&t);
    }

    #[test]
    fn after_a_panic_mid_run() {
        let seen = std::sync::Mutex::new(Traces::default());
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let (t, mut run) = litter("");
            *seen.lock().unwrap() = t;
            run.step();
            panic!("a bug in the middle of a run");
        }));
        assert!(r.is_err());
        assert_gone(&seen.into_inner().unwrap());
    }

    #[test]
    fn objects_outside_the_run_are_left_alone() {
        // A hostile host: /dev/shm/OS and a segment under the scenario's key
        // exist before the run, made by someone else.
        let outside = Path::new("/dev/shm/OS");
        let made_file = !outside.exists();
        if made_file {
            std::fs::write(outside, b"outsider").unwrap();
        }
        let before = std::fs::read(outside).unwrap();
        // `ipcmk` makes a segment under a key of its choosing.
        let made = Command::new("ipcmk")
            .args(["-M", "4096", "-p", "0600"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&made.stdout);
        let id: i64 = text
            .split_whitespace()
            .last()
            .and_then(|w| w.parse().ok())
            .unwrap_or_else(|| panic!("ipcmk said {text:?}"));
        let key: i64 = sysv_rows()
            .iter()
            .find(|r| r[1] == id.to_string())
            .map(|r| r[0].parse().unwrap())
            .unwrap();
        let s = scenario(&format!(
            r#"
title = "hostile"
procs = ["p"]
[[step]]
proc = "p"
do = 'fd = shm_open("/OS", O_CREAT | O_RDWR, 0666)'
expect = {{ ret = 3 }}
[[step]]
proc = "p"
do = 'write(fd, "inside")'
[[step]]
proc = "p"
do = 'shm_unlink("/OS")'
expect = {{ ret = 0 }}
[[step]]
proc = "p"
do = "shm_unlink(\"/OS\")"
expect = {{ ret = -1, errno = "ENOENT" }}
[[step]]
proc = "p"
do = "id = shmget({key}, 0, 0)"
expect = {{ ret = -1, errno = "ENOENT" }}
[[step]]
proc = "p"
do = "id = shmget({key}, 4096, IPC_CREAT | IPC_EXCL | 0600)"
expect = {{ shm.id.key = {key} }}
[[step]]
proc = "p"
do = "shmctl(id, IPC_RMID, NULL)"
expect = {{ ret = 0 }}
[[step]]
proc = "p"
do = "shmctl({id}, IPC_RMID, NULL)"
expect = {{ ret = -1, errno = "EINVAL" }}
[[step]]
proc = "p"
do = "shmat({id}, NULL, 0)"
expect = {{ ret = -1, errno = "EINVAL" }}
"#
        ));
        let b = RealBackend::new(&config_of(s), RealOptions::default()).unwrap();
        let mut run = Run::with_backend(s, b);
        let out = run.run_all();
        drop(run);
        let outside_ok = std::fs::read(outside).ok() == Some(before);
        let seg_ok = sysv_rows()
            .iter()
            .any(|r| r[1] == id.to_string() && r[0] == key.to_string());
        // Clean up what this test made, then judge.
        let _ = Command::new("ipcrm").args(["-m", &id.to_string()]).status();
        if made_file {
            let _ = std::fs::remove_file(outside);
        }
        for o in &out {
            for c in &o.checks {
                assert!(c.ok, "step {} `{}`: {c:?}", o.step, o.do_);
            }
        }
        assert!(outside_ok, "/dev/shm/OS was touched");
        assert!(seg_ok, "the outside segment {id} (key {key}) was touched");
    }

    const SIGINT: i32 = 2;
    const SIGKILL: i32 = 9;
    const SIGTERM: i32 = 15;

    const CHILD_ENV: &str = "SHMSIM_REAL_CLEANUP_CHILD";

    /// Not a test on its own: the body of the child process the signal
    /// tests start (it returns at once when not started by them).
    #[test]
    fn child_run_that_waits_for_a_signal() {
        let Ok(root) = std::env::var(CHILD_ENV) else {
            return;
        };
        let opts = RealOptions {
            run_root: PathBuf::from(root),
            ..RealOptions::default()
        };
        let s = scenario(&real::litter(0x4c17));
        let b = RealBackend::new(&config_of(s), opts).unwrap();
        let mut run = Run::with_backend(s, b);
        let out = run.run_all();
        let t = Traces {
            run_dir: run.backend.run_dir().to_path_buf(),
            shm_dir: run.backend.shm_dir().to_path_buf(),
            pids: run.backend.live_pids(),
            seg_ids: out
                .iter()
                .filter(|o| o.do_.contains("shmget"))
                .filter_map(|o| o.result.ret)
                .collect(),
        };
        println!("{}", t.line());
        use std::io::Write;
        std::io::stdout().flush().unwrap();
        // Wait for the signal (bounded: the parent test sends it at once).
        std::thread::sleep(std::time::Duration::from_secs(60));
    }

    /// Starts the child run, waits until it has made everything, sends `sig`.
    fn signalled_child(sig: i32, root: &Path) -> (Traces, std::process::ExitStatus) {
        let mut child = spawn_child(
            "linux::child_run_that_waits_for_a_signal",
            false,
            CHILD_ENV,
            root,
            Stdio::null(),
        );
        let t = wait_ready(&mut child).expect("the child run got ready");
        assert!(signal(sig, child.id()));
        let st = child.wait().unwrap();
        (t, st)
    }

    /// A run root of the test's own, removed however the test ends.
    struct TestRoot(PathBuf);

    impl Drop for TestRoot {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn test_root(tag: &str) -> TestRoot {
        let d = std::env::temp_dir().join(format!("shmsim-cleanup-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        TestRoot(d)
    }

    #[test]
    fn after_sigint_and_sigterm() {
        use std::os::unix::process::ExitStatusExt;
        for sig in [SIGINT, SIGTERM] {
            let root = test_root("sig");
            let (t, st) = signalled_child(sig, &root.0);
            // The run cleaned up, then the signal ended the process as it would have.
            assert_eq!(st.signal(), Some(sig), "{st:?}");
            assert_gone(&t);
        }
    }

    #[test]
    fn after_the_driver_is_killed_outright() {
        use std::os::unix::process::ExitStatusExt;
        let root = test_root("kill");
        let (t, st) = signalled_child(SIGKILL, &root.0);
        assert_eq!(st.signal(), Some(SIGKILL));
        // The workers die with their driver (PR_SET_PDEATHSIG) ...
        for p in &t.pids {
            let proc_ = format!("/proc/{p}");
            let mut waited = 0;
            while Path::new(&proc_).exists() && waited < 1000 {
                std::thread::sleep(std::time::Duration::from_millis(10));
                waited += 1;
            }
        }
        // ... and the next run on the same root sweeps what is left.
        let s = scenario(
            "title = \"next\"\nprocs = [\"p\"]\n[[step]]\nproc = \"p\"\ndo = \"exit(0)\"\n",
        );
        let next = RealBackend::new(
            &config_of(s),
            RealOptions {
                run_root: root.0.clone(),
                ..RealOptions::default()
            },
        )
        .unwrap();
        drop(next);
        assert_gone(&t);
    }
}
