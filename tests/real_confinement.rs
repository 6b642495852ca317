//! Hostile scenarios against the real arm's confinement (issue #13): a
//! student's file may name any path, key or size, and the host must stay
//! untouched. Each test plays a scenario that tries to leave its run (paths
//! with `..`, absolute paths outside the run, `/proc/self/*`, names and keys
//! of objects made outside the run, sizes past the memory cap, a fork bomb)
//! on the host kernel, and checks both that the host is as it was and that
//! the run says what it refused (an errno, and a note for a refusal the
//! kernel would not have made).

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
    use super::common::real::sysv_rows;
    use sim::errno::{Errno, Signal};
    use sim::real::{RealBackend, RealOptions};
    use sim::runner::{config_of, Run, StepOutcome};
    use sim::scenario::load_str;
    use std::path::Path;
    use std::process::Command;
    use std::sync::Mutex;

    /// Real runs one at a time (machine-wide counters, the fork bomb).
    static ONE: Mutex<()> = Mutex::new(());

    /// Plays `steps` (TOML `[[step]]` tables) for processes `procs` on the
    /// host; the outcomes and the run's notes, after the run has ended.
    fn play(procs: &str, steps: &str, cap: u64) -> (Vec<StepOutcome>, Vec<String>) {
        let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
        let src =
            format!("title = \"hostile\"\nprocs = [{procs}]\n[machine]\nram = \"16 MiB\"\n{steps}");
        let s = load_str("hostile.toml", &src).unwrap_or_else(|d| panic!("{d:?}\n{src}"));
        let opts = RealOptions {
            memory_cap: cap,
            ..RealOptions::default()
        };
        let b = RealBackend::new(&config_of(&s), opts).expect("a real run can start here");
        let (run_dir, shm_dir) = (b.run_dir().to_path_buf(), b.shm_root().to_path_buf());
        let mut run = Run::with_backend(&s, b);
        let out = run.run_all();
        let notes = run.backend.notes().to_vec();
        let pids = run.backend.live_pids();
        drop(run);
        assert!(!run_dir.exists(), "run folder left: {}", run_dir.display());
        assert!(
            !shm_dir.exists(),
            "/dev/shm folder left: {}",
            shm_dir.display()
        );
        for p in pids {
            assert!(
                !Path::new(&format!("/proc/{p}")).exists(),
                "worker {p} left"
            );
        }
        (out, notes)
    }

    fn step(proc: &str, stmt: &str) -> String {
        format!("[[step]]\nproc = \"{proc}\"\ndo = '{stmt}'\n")
    }

    fn errno(o: &StepOutcome) -> Option<Errno> {
        o.result.errno
    }

    fn at<'a>(out: &'a [StepOutcome], needle: &str) -> &'a StepOutcome {
        out.iter()
            .find(|o| o.do_.contains(needle))
            .unwrap_or_else(|| panic!("no step `{needle}`"))
    }

    /// A file on the host, made outside any run, with known bytes.
    struct HostFile(std::path::PathBuf);
    impl HostFile {
        fn new(path: &str, bytes: &str) -> HostFile {
            std::fs::write(path, bytes).unwrap();
            HostFile(path.into())
        }
        fn bytes(&self) -> String {
            std::fs::read_to_string(&self.0).unwrap_or_else(|e| panic!("{}: {e}", self.0.display()))
        }
    }
    impl Drop for HostFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn dot_dot_paths_stay_inside_the_run() {
        let host = HostFile::new(
            &format!("/tmp/shmsim-dotdot-{}", std::process::id()),
            "host",
        );
        let name = host.0.file_name().unwrap().to_string_lossy().into_owned();
        let steps = [
            step(
                "a",
                &format!("fd = open(\"/tmp/../../../../tmp/{name}\", O_RDWR | O_TRUNC)"),
            ),
            step(
                "a",
                &format!("g = open(\"../../../../tmp/{name}\", O_RDWR | O_TRUNC)"),
            ),
            step("a", &format!("unlink(\"/dev/shm/../../tmp/{name}\")")),
            step(
                "a",
                "h = open(\"/tmp/../../etc/shmsim-escape\", O_CREAT | O_WRONLY, 0644)",
            ),
        ]
        .concat();
        let (out, _) = play("\"a\"", &steps, 256 << 20);
        for o in &out {
            assert_eq!(errno(o), Some(Errno::ENOENT), "`{}`: {:?}", o.do_, o.result);
        }
        assert_eq!(host.bytes(), "host", "a `..` path reached the host's /tmp");
        assert!(!Path::new("/etc/shmsim-escape").exists());
    }

    #[test]
    fn absolute_paths_outside_the_run_are_the_runs_own() {
        let steps = [
            step("a", "fd = open(\"/etc/passwd\", O_RDONLY)"),
            step("a", "unlink(\"/etc/hostname\")"),
            step(
                "a",
                "w = open(\"/etc/shmsim-made\", O_CREAT | O_WRONLY, 0644)",
            ),
            step(
                "a",
                "x = open(\"/tmp/made-in-run\", O_CREAT | O_RDWR, 0600)",
            ),
            step("a", "write(x, \"confined\")"),
        ]
        .concat();
        let (out, _) = play("\"a\"", &steps, 256 << 20);
        assert_eq!(errno(at(&out, "/etc/passwd")), Some(Errno::ENOENT));
        assert_eq!(errno(at(&out, "/etc/hostname")), Some(Errno::ENOENT));
        assert_eq!(errno(at(&out, "/etc/shmsim-made")), Some(Errno::ENOENT));
        assert_eq!(at(&out, "write(x").result.ret, Some(8));
        assert!(Path::new("/etc/passwd").exists() && Path::new("/etc/hostname").exists());
        assert!(!Path::new("/etc/shmsim-made").exists());
        assert!(
            !Path::new("/tmp/made-in-run").exists(),
            "the run's /tmp is not the host's"
        );
    }

    #[test]
    fn proc_self_is_not_the_workers_proc() {
        let steps = [
            step("a", "m = open(\"/proc/self/mem\", O_RDWR)"),
            step("a", "s = open(\"/proc/self/maps\", O_RDONLY)"),
            step("a", "e = open(\"/proc/self/environ\", O_RDONLY)"),
            step("a", "t = open(\"/proc/sysrq-trigger\", O_WRONLY)"),
        ]
        .concat();
        let (out, _) = play("\"a\"", &steps, 256 << 20);
        for o in &out {
            assert_eq!(
                o.result.ret,
                Some(-1),
                "`{}` opened a host /proc file",
                o.do_
            );
            assert_eq!(errno(o), Some(Errno::ENOENT), "`{}`", o.do_);
        }
    }

    #[test]
    fn a_posix_name_made_outside_the_run_is_not_seen_or_touched() {
        let name = format!("shmsim-outside-{}", std::process::id());
        let host = HostFile::new(&format!("/dev/shm/{name}"), "made outside");
        let steps = [
            step("a", &format!("fd = shm_open(\"/{name}\", O_RDWR, 0)")),
            step("a", &format!("unlink(\"/dev/shm/{name}\")")),
            step(
                "a",
                &format!("g = shm_open(\"/{name}\", O_CREAT | O_RDWR | O_TRUNC, 0600)"),
            ),
            step("a", "write(g, \"the runs own\")"),
            step("a", &format!("shm_unlink(\"/{name}\")")),
        ]
        .concat();
        let (out, _) = play("\"a\"", &steps, 256 << 20);
        assert_eq!(errno(at(&out, "O_RDWR, 0)")), Some(Errno::ENOENT));
        assert_eq!(errno(at(&out, "unlink(\"/dev")), Some(Errno::ENOENT));
        assert_eq!(
            at(&out, "O_TRUNC").result.ret,
            Some(3),
            "the run makes its own object"
        );
        assert_eq!(at(&out, "shm_unlink").result.ret, Some(0));
        assert_eq!(host.bytes(), "made outside");
    }

    /// A System V segment made outside the run, with `ipcmk`; removed at drop.
    struct HostSegment {
        id: i64,
        key: i64,
    }
    impl HostSegment {
        fn new() -> Option<HostSegment> {
            let out = Command::new("ipcmk")
                .args(["-M", "4096", "-p", "0600"])
                .output()
                .ok()?;
            let text = String::from_utf8_lossy(&out.stdout);
            let id: i64 = text.split(':').nth(1)?.trim().parse().ok()?;
            let row = sysv_rows().into_iter().find(|r| r[1] == id.to_string())?;
            Some(HostSegment {
                id,
                key: row[0].parse().ok()?,
            })
        }
        fn exists(&self) -> bool {
            sysv_rows().iter().any(|r| r[1] == self.id.to_string())
        }
    }
    impl Drop for HostSegment {
        fn drop(&mut self) {
            let _ = Command::new("ipcrm")
                .args(["-m", &self.id.to_string()])
                .status();
        }
    }

    #[test]
    fn a_sysv_key_and_id_made_outside_the_run_are_not_reached() {
        let Some(seg) = HostSegment::new() else {
            println!("skipped: ipcmk cannot make a segment here");
            return;
        };
        let steps = [
            step("a", &format!("id = shmget({}, 4096, 0600)", seg.key)),
            step("a", &format!("p = shmat({}, NULL, 0)", seg.id)),
            step("a", &format!("shmctl({}, IPC_RMID, NULL)", seg.id)),
            step(
                "a",
                &format!(
                    "mine = shmget({}, 4096, IPC_CREAT | IPC_EXCL | 0600)",
                    seg.key
                ),
            ),
            step("a", "shmctl(mine, IPC_RMID, NULL)"),
        ]
        .concat();
        let (out, _) = play("\"a\"", &steps, 256 << 20);
        assert_eq!(
            errno(&out[0]),
            Some(Errno::ENOENT),
            "the host's key is not the run's"
        );
        assert!(
            out[1].result.ret == Some(-1),
            "shmat of a host segment: {:?}",
            out[1].result
        );
        assert!(
            out[2].result.ret == Some(-1),
            "IPC_RMID of a host segment: {:?}",
            out[2].result
        );
        assert!(
            out[3].result.ret.is_some_and(|r| r >= 0),
            "the run makes its own: {:?}",
            out[3].result
        );
        assert_eq!(out[4].result.ret, Some(0));
        assert!(seg.exists(), "the host's segment is gone");
    }

    #[test]
    fn sizes_past_the_memory_cap_are_refused_with_a_note() {
        let steps = [
            step("a", "fd = shm_open(\"/big\", O_CREAT | O_RDWR, 0600)"),
            step("a", "ftruncate(fd, 1099511627776)"),
            step("a", "p = mmap(NULL, 1073741824, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)"),
            step("a", "id = shmget(IPC_PRIVATE, 1073741824, IPC_CREAT | 0600)"),
            step("a", "q = mmap(NULL, 67108864, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)"),
            step("a", "memset(q, 1, 67108864)"),
        ]
        .concat();
        // A cap of 32 MiB: a 16 MiB machine fits, 64 MiB of stores do not.
        let (out, notes) = play("\"a\"", &steps, 32 << 20);
        assert_eq!(errno(at(&out, "ftruncate")), Some(Errno::EFBIG));
        assert_eq!(errno(at(&out, "1073741824, PROT")), Some(Errno::ENOMEM));
        assert_eq!(errno(at(&out, "shmget")), Some(Errno::ENOMEM));
        let memset = at(&out, "memset");
        assert!(
            memset.result.ret == Some(-1) || memset.result.signal == Some(Signal::SIGKILL),
            "64 MiB of stores under a 32 MiB cap: {:?}",
            memset.result
        );
        let refused = notes.iter().filter(|n| n.contains("refused")).count();
        assert!(refused >= 3, "each refusal has a note: {notes:?}");
    }

    #[test]
    fn a_fork_bomb_ends_with_the_run() {
        // 2^7 = 128 processes: every process forks at each round.
        let mut procs = vec!["p".to_string()];
        let mut steps = String::new();
        for round in 0..7 {
            let mut born = Vec::new();
            for (i, p) in procs.iter().enumerate() {
                let child = format!("k{round}x{i}");
                steps.push_str(&step(p, &format!("{child} = fork()")));
                born.push(child);
            }
            procs.extend(born);
        }
        let (out, notes) = play("\"p\"", &steps, 256 << 20);
        let forked = out
            .iter()
            .filter(|o| o.result.ret.is_some_and(|r| r > 0))
            .count();
        let failed = out.iter().filter(|o| o.result.ret == Some(-1)).count();
        assert_eq!(
            forked + failed,
            127,
            "each fork forks or fails with an errno"
        );
        if failed > 0 {
            assert!(
                out.iter()
                    .all(|o| o.result.ret != Some(-1) || o.result.errno == Some(Errno::EAGAIN)),
                "a refused fork is EAGAIN; notes: {notes:?}"
            );
        }
        // play() checked that every worker is gone.
    }
}
