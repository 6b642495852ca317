//! The real backend plays scenarios on the host kernel: what KERNEL-NOTES
//! section 9 reports must be what real processes see here.
//!
//! Linux only; elsewhere the one test below says why it cannot run.

#[cfg(not(target_os = "linux"))]
#[test]
fn real_runs_need_linux() {
    println!("skipped: real runs need a Linux host (this is not one)");
}

#[cfg(target_os = "linux")]
mod linux {
    use sim::backend::{Backend, Reading};
    use sim::real::{RealBackend, RealOptions};
    use sim::runner::{config_of, Run, StepOutcome};
    use sim::scenario::{load_str, Scenario};
    use sim::syscalls::{ShellArgs, ShellOut, Sys};

    fn scenario(src: &str) -> Scenario {
        load_str("test.toml", src).unwrap_or_else(|d| panic!("scenario does not load: {d:?}"))
    }

    fn backend(s: &Scenario) -> RealBackend {
        RealBackend::new(&config_of(s), RealOptions::default()).expect("a real run can start here")
    }

    /// Plays every step; returns the outcomes and the backend (still alive).
    fn play(src: &str) -> (Vec<StepOutcome>, RealBackend) {
        let s = Box::leak(Box::new(scenario(src)));
        let mut run = Run::with_backend(s, backend(s));
        let out = run.run_all();
        (out, run.backend)
    }

    fn assert_all_ok(out: &[StepOutcome]) {
        for o in out {
            for c in &o.checks {
                assert!(
                    c.ok,
                    "step {} `{}`: {} expected {:?}, saw {:?} (out {:?}, result {:?})",
                    o.step, o.do_, c.observable, c.expected, c.seen, o.out, o.result
                );
            }
        }
    }

    const POSIX: &str = r#"
title = "posix"
procs = ["producer", "consumer"]
[[step]]
proc = "producer"
do = 'fd = shm_open("/OS", O_CREAT | O_RDWR, 0666)'
expect = { ret = 3 }
[[step]]
proc = "producer"
do = "ftruncate(fd, 4096)"
expect = { ret = 0, data."/dev/shm/OS" = "-" }
[[step]]
proc = "producer"
do = "ptr = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)"
expect = { pte.ptr = "-", core.ptr = "0" }
[[step]]
proc = "producer"
do = 'memcpy(ptr, "Studying Operating Systems Is Fun!", 34)'
expect = { pte.ptr = "P", core.ptr = "1", data."/dev/shm/OS" = "d", smaps.ptr.Rss = "4 kB" }
[[step]]
proc = "consumer"
do = 'fd = shm_open("/OS", O_RDONLY, 0666)'
expect = { ret = 3 }
[[step]]
proc = "consumer"
do = "ptr = mmap(0, 4096, PROT_READ, MAP_SHARED, fd, 0)"
expect = { pte.ptr = "-", core.ptr = "1" }
[[step]]
proc = "consumer"
do = 'printf("%s", ptr)'
expect = { out = "Studying Operating Systems Is Fun!", pte.ptr = "P" }
[[step]]
proc = "consumer"
do = 'shm_unlink("/OS")'
expect = { ret = 0, data."/dev/shm/OS" = "none" }
[[step]]
do = 'ls("/dev/shm")'
"#;

    #[test]
    fn posix_shm_is_shared_between_two_real_processes() {
        let (out, b) = play(POSIX);
        assert_all_ok(&out);
        // Two real processes, pids the host chose.
        let pids = b.live_pids();
        assert_eq!(pids.len(), 2);
        for p in &pids {
            assert!(std::path::Path::new(&format!("/proc/{p}")).exists());
        }
        // The mapping is where the shadow model put it.
        let addr = out[2].result.ret.expect("mmap returned") as u64;
        let model_addrs: Vec<u64> = b
            .model()
            .tasks
            .values()
            .flat_map(|t| t.mm.vmas.keys().copied())
            .collect();
        assert!(
            model_addrs.contains(&addr),
            "{addr:#x} not in {model_addrs:x?}"
        );
        // The look step ran the real ls in the run's /dev/shm (empty now).
        assert!(out[8].out.starts_with("total 0"), "{:?}", out[8].out);
    }

    #[test]
    fn sigsegv_after_munmap_ends_the_real_process() {
        let (out, b) = play(
            r#"
title = "segv"
procs = ["first"]
[[step]]
proc = "first"
do = "p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)"
[[step]]
proc = "first"
do = "p[0] = 'A'"
expect = { pte.p = "P" }
[[step]]
proc = "first"
do = "munmap(p, 4096)"
expect = { ret = 0, pte.p = "none" }
[[step]]
proc = "first"
do = "c = p[0]"
expect = { signal = "SIGSEGV" }
"#,
        );
        assert_all_ok(&out);
        assert!(b.live_pids().is_empty(), "the faulting process is gone");
        assert!(b
            .notes()
            .iter()
            .any(|n| n.contains("first") && n.contains("SIGSEGV")));
    }

    #[test]
    fn sigbus_past_the_end_and_eacces_for_a_read_only_fd() {
        let (out, _b) = play(
            r#"
title = "errors"
procs = ["first", "second"]
[[step]]
proc = "first"
do = 'fd = shm_open("/seg", O_CREAT | O_RDWR, 0600)'
expect = { ret = 3 }
[[step]]
proc = "first"
do = "ftruncate(fd, 4096)"
[[step]]
proc = "second"
do = 'fd = shm_open("/seg", O_RDONLY, 0)'
expect = { ret = 3 }
[[step]]
proc = "second"
do = "mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)"
expect = { ret = -1, errno = "EACCES" }
[[step]]
proc = "second"
do = "ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0)"
[[step]]
proc = "second"
do = "ro[0] = 'B'"
expect = { signal = "SIGSEGV" }
[[step]]
proc = "first"
do = "p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)"
[[step]]
proc = "first"
do = "p[4096] = 'C'"
expect = { signal = "SIGBUS" }
"#,
        );
        assert_all_ok(&out);
    }

    #[test]
    fn sysv_writer_and_reader_meet_by_key() {
        let (out, b) = play(
            r#"
title = "sysv"
procs = ["testwrite", "testread"]
[[step]]
proc = "testwrite"
do = 'fd = open("/dev/shm/myshm2", O_CREAT | O_RDWR, 0644)'
expect = { ret = 3 }
[[step]]
proc = "testwrite"
do = 'key = ftok("/dev/shm/myshm2", 0)'
[[step]]
proc = "testwrite"
do = "shm_id = shmget(key, 4096, IPC_CREAT | 0666)"
expect = { shm.shm_id.perms = "666", shm.shm_id.nattch = 0, shm.shm_id.cpid = "testwrite", shm.shm_id.key = "key" }
[[step]]
proc = "testwrite"
do = "p_map = shmat(shm_id, NULL, 0)"
expect = { shm.shm_id.nattch = 1, pte.p_map = "-", shm.shm_id.lpid = "testwrite" }
[[step]]
proc = "testwrite"
do = 'memcpy(p_map, "records", 8)'
expect = { pte.p_map = "P", shm.shm_id.rss = 4096 }
[[step]]
proc = "testwrite"
do = "shmdt(p_map)"
expect = { ret = 0, shm.shm_id.nattch = 0, shm.shm_id.rss = 4096 }
[[step]]
proc = "testwrite"
do = "exit(0)"
[[step]]
proc = "testread"
do = 'key = ftok("/dev/shm/myshm2", 0)'
[[step]]
proc = "testread"
do = "shm_id = shmget(key, 4096, IPC_CREAT)"
expect = { shm.shm_id.key = "key", shm.shm_id.cpid = "testwrite" }
[[step]]
proc = "testread"
do = "p_map = shmat(shm_id, NULL, 0)"
[[step]]
proc = "testread"
do = 'printf("%s", p_map)'
expect = { out = "records" }
[[step]]
proc = "testread"
do = "shmdt(p_map)"
[[step]]
proc = "testread"
do = "shmctl(shm_id, IPC_RMID, NULL)"
expect = { ret = 0, shm.shm_id = "none" }
[[step]]
proc = "testread"
do = "shmget(0x1234, 0, 0)"
expect = { ret = -1, errno = "ENOENT" }
"#,
        );
        assert_all_ok(&out);
        // The same ftok key in both processes, and the segment gone.
        assert_eq!(out[1].result.ret, out[7].result.ret);
        let id = out[2].result.ret.unwrap();
        assert!(!std::fs::read_to_string("/proc/sysvipc/shm")
            .unwrap()
            .lines()
            .skip(1)
            .any(|l| l.split_whitespace().nth(1) == Some(&id.to_string())));
        drop(b);
    }

    #[test]
    fn sysv_literal_keys_keep_their_name_and_rmid_marks() {
        let (out, _b) = play(
            r#"
title = "rmid"
procs = ["owner", "other"]
[[step]]
proc = "owner"
do = "id = shmget(0x1234, 8192, IPC_CREAT | 0666)"
expect = { shm.id.nattch = 0, shm.id.perms = "666", shm.id.key = 0x1234 }
[[step]]
proc = "owner"
do = "p = shmat(id, NULL, 0)"
[[step]]
proc = "other"
do = "id = shmget(0x1234, 0, 0)"
expect = { shm.id.nattch = 1, shm.id.cpid = "owner" }
[[step]]
do = 'ipcs("-m")'
[[step]]
do = "pmap(owner)"
[[step]]
proc = "owner"
do = "shmctl(id, IPC_RMID, NULL)"
expect = { ret = 0, shm.id.perms = "1666", shm.id.key = 0, shm.id.nattch = 1 }
[[step]]
proc = "other"
do = "shmget(0x1234, 0, 0)"
expect = { ret = -1, errno = "ENOENT" }
[[step]]
proc = "owner"
do = "shmdt(p)"
expect = { ret = 0, shm.id = "none" }
"#,
        );
        assert_all_ok(&out);
        // ipcs shows the run's segment only, under the scenario's key; pmap
        // names the process (and the attach, by the host's id).
        let id = out[0].result.ret.unwrap();
        let rows: Vec<&str> = out[3].out.lines().filter(|l| l.starts_with("0x")).collect();
        assert_eq!(rows.len(), 1, "{}", out[3].out);
        assert!(
            rows[0].starts_with("0x00001234")
                && rows[0].split_whitespace().nth(1) == Some(&id.to_string()[..])
        );
        let pmap = &out[4].out;
        assert!(pmap.lines().next().unwrap().ends_with("owner"), "{pmap}");
        assert!(pmap.contains(&format!("shmid={id:#x}")), "{pmap}");
    }

    #[test]
    fn fd_passing_with_scm_rights() {
        let (out, _b) = play(
            r#"
title = "fd passing"
procs = ["server", "client"]
[[step]]
proc = "server"
do = 'fd = shm_open("/buffer", O_CREAT | O_RDWR, 0600)'
expect = { ret = 3 }
[[step]]
proc = "server"
do = 'shm_unlink("/buffer")'
expect = { ret = 0 }
[[step]]
proc = "server"
do = "ftruncate(fd, 8192)"
[[step]]
proc = "server"
do = "buf = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)"
[[step]]
proc = "server"
do = 'memcpy(buf, "object 1", 9)'
expect = { pte.buf = "P-" }
[[step]]
proc = "server"
do = 'send_fd("client", fd)'
expect = { ret = 0 }
[[step]]
proc = "client"
do = "fd = recv_fd()"
expect = { ret = 3 }
[[step]]
proc = "client"
do = "buf = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)"
expect = { pte.buf = "--", core.buf = "10", data.buf = "d-" }
[[step]]
proc = "client"
do = 'printf("%s", buf)'
expect = { out = "object 1" }
[[step]]
proc = "client"
do = 'memcpy(buf + 4096, "object 2", 9)'
[[step]]
proc = "server"
do = 'printf("%s", buf + 4096)'
expect = { out = "object 2" }
"#,
        );
        assert_all_ok(&out);
    }

    #[test]
    fn fork_shares_map_shared_anonymous() {
        let (out, b) = play(
            r#"
title = "fork"
procs = ["parent"]
[[step]]
proc = "parent"
do = "shared = mmap(NULL, 128, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)"
[[step]]
proc = "parent"
do = "priv = mmap(NULL, 128, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)"
[[step]]
proc = "parent"
do = 'memcpy(shared, "hello", 6)'
[[step]]
proc = "parent"
do = 'memcpy(priv, "hello", 6)'
[[step]]
proc = "parent"
do = "child = fork()"
[[step]]
proc = "child"
do = 'printf("%d", child)'
expect = { out = "0", pte.shared = "-", core.shared = "1", pte.priv = "P" }
[[step]]
proc = "child"
do = 'printf("%s", shared)'
expect = { out = "hello", pte.shared = "P" }
[[step]]
proc = "child"
do = 'memcpy(shared, "goodbye", 8)'
[[step]]
proc = "child"
do = 'memcpy(priv, "goodbye", 8)'
[[step]]
proc = "parent"
do = 'printf("%s %s", shared, priv)'
expect = { out = "goodbye hello", smaps.shared.Shared_Dirty = "4 kB", smaps.shared.Pss = "2 kB" }
[[step]]
proc = "child"
do = "exit(0)"
"#,
        );
        assert_all_ok(&out);
        // The fork was real: a second host process existed, and exit ended it.
        let child = out[4].result.ret.unwrap();
        assert!(child > 0);
        assert_eq!(b.live_pids().len(), 1);
        assert!(!std::path::Path::new(&format!("/proc/{child}")).exists());
    }

    /// A shell step on the real backend is the host function its
    /// declaration names, and it says what the model's kernel function
    /// says where both can see the same thing: `rm` of a file neither has
    /// prints coreutils' message and exits 1 on both backends.
    #[test]
    fn shell_steps_run_their_declared_functions_on_both_backends() {
        let src = r#"
title = "shell"
procs = ["p"]
[[step]]
do = 'rm("/dev/shm/none")'
"#;
        let s = scenario(src);
        let mut b = backend(&s);
        let mut k = sim::kernel::Kernel::new(config_of(&s));
        let a = ShellArgs {
            texts: vec!["/dev/shm/none".into()],
            ints: vec![0],
            proc_: None,
        };
        let text = "rm: cannot remove '/dev/shm/none': No such file or directory\n";
        let want = ShellOut::Printed {
            text: text.into(),
            status: 1,
        };
        assert_eq!(Sys::rm.shell_on_host(&mut b, &a).as_ref(), Some(&want));
        assert_eq!(b.shell(Sys::rm, &a), want);
        assert_eq!(Sys::rm.shell_on_kernel(&mut k, &a).as_ref(), Some(&want));
        assert_eq!(k.shell(Sys::rm, &a), want);
        // Played by the runner, the step prints the same on the host.
        let (out, _) = play(src);
        assert_eq!((out[0].result.ret, out[0].out.as_str()), (Some(1), text));
    }

    #[test]
    fn observables_speak_the_contract() {
        let s = scenario(
            r#"
title = "obs"
procs = ["p"]
[[step]]
proc = "p"
do = 'fd = shm_open("/obs", O_CREAT | O_RDWR, 0600)'
"#,
        );
        let mut b = backend(&s);
        assert_eq!(
            b.cache(&sim::backend::FileRef::Path("/dev/shm/x".into())),
            Reading::SimOnly
        );
        let shell = |b: &mut RealBackend, sys: Sys, texts: &[&str], ints: &[i64]| {
            let a = ShellArgs {
                texts: texts.iter().map(|t| t.to_string()).collect(),
                ints: ints.to_vec(),
                proc_: None,
            };
            b.shell(sys, &a)
        };
        assert_eq!(shell(&mut b, Sys::reclaim, &["1"], &[1]), ShellOut::SimOnly);
        assert_eq!(
            shell(&mut b, Sys::drop_caches, &["1"], &[1]),
            ShellOut::SimOnly
        );
        assert_eq!(
            shell(&mut b, Sys::sysctl, &["kernel.shmmax", "1"], &[0, 1]),
            ShellOut::SimOnly
        );
        assert!(b
            .meminfo("Shmem")
            .value()
            .is_some_and(|v| v.parse::<u64>().is_ok()));
        if !b.host_has_swap() {
            assert!(
                matches!(b.meminfo("SwapUsed"), Reading::NotObservable(w) if w.contains("swapon"))
            );
        }
        assert!(b.df_used_kb("/dev/shm").value().is_some());
        assert!(b.take_trace().is_empty() && b.take_dmesg().is_empty());
        // A run folder no other user can list: mode 0700; as root, the
        // scenario's `/`, /dev and /dev/shm as the model's are (root's
        // 0755, 0755 and 1777), so that a process meets the same
        // permissions there (an unlink of /tmp is EACCES).
        use std::os::unix::fs::MetadataExt;
        let modes = [
            (b.run_dir().to_path_buf(), 0o755),
            (b.shm_root().to_path_buf(), 0o755),
            (b.shm_dir().to_path_buf(), 0o1777),
        ];
        for (dir, root_mode) in modes {
            let md = std::fs::metadata(&dir).unwrap();
            let mode = if b.is_root() { root_mode } else { 0o700 };
            assert_eq!(md.mode() & 0o7777, mode, "{}", dir.display());
            if b.is_root() {
                assert_eq!(md.uid(), 0, "{}", dir.display());
            }
        }
    }

    #[test]
    fn a_machine_over_the_cap_is_refused() {
        let s = scenario("title = \"big\"\nprocs = [\"p\"]\n[machine]\nram = \"1024 MiB\"\n[[step]]\nproc = \"p\"\ndo = \"exit(0)\"\n");
        let e = match RealBackend::new(&config_of(&s), RealOptions::default()) {
            Err(e) => e,
            Ok(_) => panic!("a 1 GiB machine is over the 256 MiB cap"),
        };
        assert!(e.contains("1024 MiB") && e.contains("256 MiB"), "{e}");
        let (out, b) = play(
            r#"
title = "big mapping"
procs = ["p"]
[[step]]
proc = "p"
do = "p = mmap(NULL, 0x20000000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)"
expect = { ret = -1, errno = "ENOMEM" }
"#,
        );
        assert_all_ok(&out);
        assert!(b
            .notes()
            .iter()
            .any(|n| n.contains("mmap of 512 MiB refused")));
    }

    /// `[machine] dev_shm` on the host, as root: the run's /dev/shm is a
    /// tmpfs of that size of its own (ENOSPC where the scenario's is
    /// full), and it is unmounted with the run.
    #[test]
    fn a_sized_dev_shm_is_a_tmpfs_of_its_own_and_goes_with_the_run() {
        let text = r#"
title = "small /dev/shm"
procs = ["p"]
[machine]
dev_shm = "64 KiB"
[[step]]
proc = "p"
do = 'fd = shm_open("/f", O_CREAT | O_RDWR, 0600)'
[[step]]
proc = "p"
do = "ftruncate(fd, 131072)"
[[step]]
proc = "p"
do = "p = mmap(NULL, 131072, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)"
[[step]]
proc = "p"
do = "memset(p, 'a', 65536)"
[[step]]
proc = "p"
do = "pwrite(fd, \"x\", 65536)"
expect = { ret = -1, errno = "ENOSPC" }
"#;
        let s = scenario(text);
        let mut b = match RealBackend::new(&config_of(&s), RealOptions::default()) {
            Ok(b) if b.is_root() => b,
            _ => return println!("skipped: not root"),
        };
        assert_eq!(b.df_size_kb("/dev/shm"), Reading::Value("64".into()));
        let mounts = || std::fs::read_to_string("/proc/mounts").unwrap_or_default();
        let dir = b
            .run_dir()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let id = dir.rsplit(['-', '_']).next().unwrap_or("").to_string();
        assert!(
            mounts()
                .lines()
                .any(|l| l.contains("/dev/shm/") && l.contains(&id)),
            "{}",
            mounts()
        );
        let mut run = Run::with_backend(&s, b);
        let out = run.run_all();
        assert_all_ok(&out);
        drop(run);
        assert!(
            !mounts()
                .lines()
                .any(|l| l.contains("/dev/shm/") && l.contains(&id)),
            "{}",
            mounts()
        );
    }
}
