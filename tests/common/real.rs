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
    assert!(
        !t.shm_dir.exists(),
        "/dev/shm folder left: {}",
        t.shm_dir.display()
    );
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
