//! What the real-run suites share: what a run made, and the check that
//! none of it is left.

use std::path::{Path, PathBuf};

/// What a run made, to look for afterwards.
#[derive(Clone, Debug, Default)]
pub struct Traces {
    pub run_dir: PathBuf,
    pub shm_dir: PathBuf,
    pub pids: Vec<u32>,
    pub seg_ids: Vec<i64>,
}

impl Traces {
    pub fn parse(line: &str) -> Traces {
        let w: Vec<&str> = line.split_whitespace().collect();
        let list = |s: &str| -> Vec<i64> { s.split(',').filter_map(|x| x.parse().ok()).collect() };
        Traces {
            run_dir: PathBuf::from(w[1]),
            shm_dir: PathBuf::from(w[2]),
            pids: list(w[3]).into_iter().map(|p| p as u32).collect(),
            seg_ids: list(w[4]),
        }
    }

    pub fn line(&self) -> String {
        let j = |v: Vec<String>| {
            if v.is_empty() {
                "-".to_string()
            } else {
                v.join(",")
            }
        };
        format!(
            "READY {} {} {} {}",
            self.run_dir.display(),
            self.shm_dir.display(),
            j(self.pids.iter().map(|p| p.to_string()).collect()),
            j(self.seg_ids.iter().map(|p| p.to_string()).collect())
        )
    }
}

pub fn sysv_rows() -> Vec<Vec<String>> {
    std::fs::read_to_string("/proc/sysvipc/shm")
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().map(String::from).collect())
        .collect()
}

/// Nothing of the run is left: folders, processes, segments.
pub fn assert_gone(t: &Traces) {
    assert!(
        !t.pids.is_empty() && !t.seg_ids.is_empty(),
        "the run made something: {t:?}"
    );
    assert!(
        !t.run_dir.exists(),
        "run folder left: {}",
        t.run_dir.display()
    );
    // The scenario's /dev/shm is `shm` in the run's folder on /dev/shm.
    let shm_root = t.shm_dir.parent().unwrap_or(&t.shm_dir);
    for dir in [&t.shm_dir, shm_root] {
        assert!(!dir.exists(), "/dev/shm folder left: {}", dir.display());
    }
    for p in &t.pids {
        assert!(
            !Path::new(&format!("/proc/{p}")).exists(),
            "process {p} left (or unreaped)"
        );
    }
    for row in sysv_rows() {
        let (id, cpid) = (
            row[1].parse::<i64>().unwrap(),
            row[4].parse::<u32>().unwrap(),
        );
        assert!(!t.seg_ids.contains(&id), "segment {id} left");
        assert!(
            !t.pids.contains(&cpid),
            "a segment of process {cpid} left: {row:?}"
        );
    }
}

/// A run that leaves everything it can behind: a named /dev/shm object,
/// a file in /tmp, a segment by `key` and a private one, a forked child,
/// all processes alive (each suite its own key, so that suites running at
/// once do not meet).
pub fn litter(key: u32) -> String {
    format!(
        r#"
title = "litter"
procs = ["a", "b"]
[[step]]
proc = "a"
do = 'fd = shm_open("/litter", O_CREAT | O_RDWR, 0600)'
[[step]]
proc = "a"
do = "ftruncate(fd, 8192)"
[[step]]
proc = "a"
do = "p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)"
[[step]]
proc = "a"
do = "memset(p, 'x', 8192)"
[[step]]
proc = "a"
do = 'f = open("/tmp/left", O_CREAT | O_RDWR, 0644)'
[[step]]
proc = "a"
do = "id = shmget({key:#x}, 4096, IPC_CREAT | 0600)"
[[step]]
proc = "b"
do = "priv = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600)"
[[step]]
proc = "b"
do = "q = shmat(priv, NULL, 0)"
[[step]]
proc = "b"
do = "q[0] = 'y'"
[[step]]
proc = "a"
do = "kid = fork()"
"#
    )
}

/// Runs this test binary again as a child process, only its test `test`
/// (a child run, which reads its run root from the variable `env`), its
/// standard output piped so that [`wait_ready`] can read it.
pub fn spawn_child(
    test: &str,
    ignored: bool,
    env: &str,
    root: &Path,
    stderr: std::process::Stdio,
) -> std::process::Child {
    let mut args = vec!["--exact", test, "--nocapture", "--test-threads=1"];
    if ignored {
        args.push("--ignored");
    }
    std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args(args)
        .env(env, root)
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("the test binary runs again")
}

/// Reads a child's output up to its `READY` line: what its run made
/// (`None` if it ended first).
pub fn wait_ready(child: &mut std::process::Child) -> Option<Traces> {
    use std::io::{BufRead, BufReader};
    let stdout = child.stdout.take()?;
    BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| line.find("READY ").map(|at| Traces::parse(&line[at..])))
}

/// `kill -SIG pid`; whether it was delivered.
pub fn signal(sig: i32, pid: u32) -> bool {
    std::process::Command::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
