//! Descriptors 0, 1 and 2 of a real run's processes are a login terminal,
//! as the model's are (`/dev/pts/0`: a character device of the student's,
//! group `tty`, mode 0620). The `real` fuzz target found the difference
//! when they were `/dev/null` (root's): `fchmod(0, 0)` was 0 on the model
//! and -1 `EPERM` on the host. Each test plays its steps on the model and on
//! the host through `compare` and wants every result and output to agree,
//! and the run to leave nothing behind.

#[cfg(not(target_os = "linux"))]
#[test]
fn real_runs_need_linux() {
    println!("skipped: real runs need a Linux host (this is not one)");
}

#[cfg(target_os = "linux")]
mod linux {
    use sim::compare::{compare, Verdict, DEFAULT_TOLERANCE_KB};
    use sim::kernel::Kernel;
    use sim::real::{RealBackend, RealOptions};
    use sim::runner::config_of;
    use sim::scenario::load_str;
    use std::sync::Mutex;

    /// Real runs one at a time.
    static ONE: Mutex<()> = Mutex::new(());

    /// Plays statements `stmts` of one process on the model and the host;
    /// panics on a result or output that differs, or on anything left.
    fn agree(stmts: &[&str]) {
        let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
        let mut src = String::from("title = \"std fds\"\nprocs = [\"p\"]\n");
        for s in stmts {
            src.push_str(&format!("[[step]]\nproc = \"p\"\ndo = '''{s}'''\n"));
        }
        let s = load_str("std_fds.toml", &src).unwrap_or_else(|d| panic!("{d:?}"));
        let real = match RealBackend::new(&config_of(&s), RealOptions::default()) {
            Ok(r) if r.is_root() => r,
            Ok(_) => return println!("skipped: not root (a scenario's uid needs root)"),
            Err(e) => return println!("skipped: {e}"),
        };
        let (run_dir, shm_dir) = (real.run_dir().to_path_buf(), real.shm_root().to_path_buf());
        let fds_before = open_fds();
        let steps = compare(&s, Kernel::new(config_of(&s)), real, DEFAULT_TOLERANCE_KB);
        let mut differ = Vec::new();
        for st in &steps {
            for c in &st.observables {
                if matches!(c.name.as_str(), "result" | "out") && c.verdict == Verdict::Differ {
                    let what: String = st.do_.chars().take(60).collect();
                    differ.push(format!(
                        "step {} `{what}`: {}: the model says {:?}, the host {:?}",
                        st.step, c.name, c.sim, c.real
                    ));
                }
            }
        }
        assert!(differ.is_empty(), "{}", differ.join("\n"));
        assert!(!run_dir.exists(), "{} left", run_dir.display());
        assert!(!shm_dir.exists(), "{} left", shm_dir.display());
        // The terminal's master and slave are closed with the run.
        assert!(open_fds() <= fds_before, "the run left descriptors open");
    }

    /// How many descriptors this process has open.
    fn open_fds() -> usize {
        std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
    }

    /// The fuzz case: the student owns the terminal, so may change its mode.
    #[test]
    fn fchmod_of_fd_0_is_the_students_terminal() {
        agree(&["fchmod(0, 0)", "fchmod(0, 0620)"]);
    }

    /// `fstat(0)`: a character device, its permission bits, its owner and group.
    #[test]
    fn fstat_of_fd_0_is_a_character_device_of_mode_0620() {
        agree(&[
            "fstat(0, &st)",
            r#"printf("%o %d %d", st.st_mode, st.st_uid, st.st_gid)"#,
            "fchmod(0, 0)",
            "fstat(0, &st)",
            r#"printf("%o", st.st_mode)"#,
        ]);
    }

    /// What a scenario writes to its terminal never blocks it, however much
    /// (a pty buffers a few KiB; the driver drains it).
    #[test]
    fn a_write_of_more_than_64_kib_to_fd_1_does_not_block() {
        let big = format!("write(1, \"{}\")", "x".repeat(70_000));
        let small = "write(2, \"to stderr\\n\")";
        agree(&[&big, small, &big]);
    }

    /// No one types at the terminal: a read gives end of file at once, as
    /// the model's does.
    #[test]
    fn a_read_of_fd_0_is_end_of_file() {
        agree(&["read(0, 16)", "write(1, \"x\")", "read(0, 16)"]);
    }
}
