//! `shmsim run` and `shmsim real` say what held, what failed and what could
//! not be checked, and exit 1 when an expectation failed, as `check` does
//! (issue #10, part 5). `real` does not pass the scenario's narration (the
//! model's story) off as the host's.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_shmsim");

/// A scenario file of its own for this test, removed when dropped.
struct File(std::path::PathBuf);

impl File {
    fn to_str(&self) -> Option<&str> {
        self.0.to_str()
    }
}

impl Drop for File {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn file(name: &str, src: &str) -> File {
    let p = std::env::temp_dir().join(format!("shmsim-cli-{}-{name}", std::process::id()));
    std::fs::write(&p, src).expect("written");
    File(p)
}

fn shmsim(args: &[&str]) -> (Output, String) {
    let o = Command::new(BIN)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("shmsim runs");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    (o, text)
}

const NARRATED: &str = r#"
title = "cli"
procs = ["a"]
[machine]
ram = "64 MiB"
swap = "0"
[[step]]
proc = "a"
do = 'fd = shm_open("/cli", O_CREAT | O_RDWR, 0600)'
say = "THE MODEL'S NARRATION"
expect = { ret = 3 }
[[step]]
proc = "a"
do = 'write(fd, "abc")'
expect = { cache."/dev/shm/cli" = "P" }
[[step]]
proc = "a"
do = 'shm_unlink("/cli")'
"#;

fn failing() -> String {
    NARRATED.replace("expect = { ret = 3 }", "expect = { ret = 4 }")
}

#[test]
fn run_exits_1_when_an_expectation_fails_and_0_when_all_hold() {
    let good = file("good.toml", NARRATED);
    let (o, text) = shmsim(&["run", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("2 of 2 expectations hold"), "{text}");
    let bad = file("bad.toml", &failing());
    let (o, text) = shmsim(&["run", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("1 of 2 expectations hold, 1 failed"),
        "{text}"
    );
    let (o, _) = shmsim(&["run", "--json", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
}

#[cfg(target_os = "linux")]
fn real_runs_here() -> bool {
    // A real run needs /dev/shm as a tmpfs; elsewhere the test says so.
    let ok = std::path::Path::new("/dev/shm").is_dir();
    if !ok {
        eprintln!("no /dev/shm: the real-run CLI tests are skipped");
    }
    ok
}

#[cfg(target_os = "linux")]
#[test]
fn real_does_not_fail_a_sim_only_expectation_nor_tell_the_models_story() {
    if !real_runs_here() {
        return;
    }
    let good = file("real-good.toml", NARRATED);
    let (o, text) = shmsim(&["real", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains("1 of 2 expectations hold on this kernel, 1 cannot be checked here"),
        "{text}"
    );
    assert!(
        text.contains("expect not checked: cache./dev/shm/cli = P (sim only"),
        "{text}"
    );
    assert!(!text.contains("THE MODEL'S NARRATION"), "{text}");
    let (o, json) = shmsim(&["real", "--json", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!json.contains("THE MODEL'S NARRATION"), "{json}");
}

#[cfg(target_os = "linux")]
#[test]
fn real_exits_1_when_an_expectation_fails_on_the_host() {
    if !real_runs_here() {
        return;
    }
    let bad = file("real-bad.toml", &failing());
    let (o, text) = shmsim(&["real", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("expect FAILED: ret = 4, but it is 3"),
        "{text}"
    );
}
