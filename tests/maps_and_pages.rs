//! `maps.NAME` and one page of a per-page observable (`pte.NAME[N]`,
//! `core.NAME[N]`, `data.PATH[N]`), one named case each.
//!
//! Each case is a tiny scenario played on the kernel model and, where the
//! suite runs as root on Linux, on the host kernel by the real arm (as in
//! `tests/errno_conformance.rs`); both must meet the same expectations,
//! and every expectation written must have been checked.

mod common;

use common::cases::{broken, load};
use sim::runner::{Run, StepOutcome};
use sim::scenario::Scenario;

/// One step: the statement and its expectation (TOML inline table, or empty).
type Step<'a> = (&'a str, &'a str);

fn scenario_text(steps: &[Step]) -> String {
    let mut s = String::from("title = \"observable case\"\nprocs = [\"p\"]\n");
    for (stmt, expect) in steps {
        s.push_str("[[step]]\nproc = \"p\"\n");
        s.push_str(&format!("do = '''{stmt}'''\n"));
        if !expect.is_empty() {
            s.push_str(&format!("expect = {expect}\n"));
        }
    }
    s
}

/// How many expectations were checked and held (not merely "cannot be
/// checked here").
fn checked(out: &[StepOutcome]) -> usize {
    out.iter()
        .flat_map(|o| &o.checks)
        .filter(|c| c.ok && c.not_here.is_none())
        .count()
}

/// How many expectations the steps write (`key = value` pairs).
fn written(steps: &[Step]) -> usize {
    steps.iter().map(|(_, e)| e.matches(" = ").count()).sum()
}

fn on_sim(name: &str, s: &'static Scenario, want: usize) {
    let out = Run::new(s).run_all();
    let b = broken(&out);
    assert!(b.is_empty(), "{name}, on the model:\n{}", b.join("\n"));
    assert_eq!(
        checked(&out),
        want,
        "{name}: every expectation is checked and holds"
    );
}

#[cfg(target_os = "linux")]
fn on_host(name: &str, s: &'static Scenario, want: usize) {
    use sim::real::{RealBackend, RealOptions};
    let real = match RealBackend::new(&sim::runner::config_of(s), RealOptions::default()) {
        Ok(r) if r.is_root() => r,
        Ok(_) => return println!("{name}: host arm skipped: not root"),
        Err(e) => return println!("{name}: host arm skipped: {e}"),
    };
    let mut run = Run::with_backend(s, real);
    let out = run.run_all();
    let b = broken(&out);
    assert!(
        b.is_empty(),
        "{name}, on the host kernel:\n{}",
        b.join("\n")
    );
    assert_eq!(
        checked(&out),
        want,
        "{name}: every expectation is checked and holds"
    );
}

#[cfg(not(target_os = "linux"))]
fn on_host(name: &str, _: &'static Scenario, _: usize) {
    println!("{name}: host arm skipped: not Linux");
}

/// The case on the model and on the host.
fn case(name: &str, steps: &[Step]) {
    let s = load(name, &scenario_text(steps));
    on_sim(name, s, written(steps));
    on_host(name, s, written(steps));
}

const SHM_FILE: &[Step] = &[
    (
        "fd = shm_open(\"/maps_case\", O_CREAT | O_RDWR, 0600)",
        "{ ret = \">= 0\" }",
    ),
    ("ftruncate(fd, 2 * PAGE_SIZE)", "{ ret = 0 }"),
];

fn with_shm_file(name: &str, steps: &[Step]) {
    let mut all: Vec<Step> = SHM_FILE.to_vec();
    all.extend_from_slice(steps);
    all.push(("shm_unlink(\"/maps_case\")", "{ ret = 0 }"));
    case(name, &all);
}

#[test]
fn maps_shared_read_write_is_rw_s() {
    with_shm_file(
        "maps_shared_read_write_is_rw_s",
        &[(
            "p = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)",
            "{ maps.p = \"rw-s\" }",
        )],
    );
}

#[test]
fn maps_after_mprotect_read_is_r_s() {
    with_shm_file(
        "maps_after_mprotect_read_is_r_s",
        &[
            (
                "p = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)",
                "",
            ),
            (
                "mprotect(p, 2 * PAGE_SIZE, PROT_READ)",
                "{ ret = 0, maps.p = \"r--s\" }",
            ),
            (
                "mprotect(p, 2 * PAGE_SIZE, PROT_NONE)",
                "{ ret = 0, maps.p = \"---s\" }",
            ),
        ],
    );
}

#[test]
fn maps_private_is_rw_p() {
    with_shm_file(
        "maps_private_is_rw_p",
        &[(
            "p = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)",
            "{ maps.p = \"rw-p\" }",
        )],
    );
}

#[test]
fn maps_private_anonymous_prot_none_is_none_p() {
    case(
        "maps_private_anonymous_prot_none_is_none_p",
        &[(
            "p = mmap(NULL, PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)",
            "{ maps.p = \"---p\" }",
        )],
    );
}

#[test]
fn maps_shmat_read_only_is_r_s() {
    case(
        "maps_shmat_read_only_is_r_s",
        &[
            (
                "id = shmget(IPC_PRIVATE, PAGE_SIZE, IPC_CREAT | 0600)",
                "{ ret = \">= 0\" }",
            ),
            ("p = shmat(id, NULL, SHM_RDONLY)", "{ maps.p = \"r--s\" }"),
            ("shmctl(id, IPC_RMID, NULL)", "{ ret = 0 }"),
        ],
    );
}

#[test]
fn maps_after_munmap_is_none() {
    case(
        "maps_after_munmap_is_none",
        &[
            (
                "p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)",
                "{ maps.p = \"rw-s\" }",
            ),
            ("munmap(p, PAGE_SIZE)", "{ ret = 0, maps.p = \"none\" }"),
        ],
    );
}

#[test]
fn pte_of_the_one_page_touched() {
    case(
        "pte_of_the_one_page_touched",
        &[
            (
                "p = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)",
                "{ \"pte.p[1]\" = \"-\" }",
            ),
            (
                "p[PAGE_SIZE] = 'x'",
                "{ pte.p = \"-P\", \"pte.p[0]\" = \"-\", \"pte.p[1]\" = \"P\", pte.\"p[2]\" = \"none\" }",
            ),
        ],
    );
}

#[test]
fn core_of_the_one_page_touched() {
    case(
        "core_of_the_one_page_touched",
        &[
            (
                "p = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)",
                "",
            ),
            ("p[PAGE_SIZE] = 'x'", "{ \"core.p[0]\" = \"0\", core.\"p[1]\" = \"1\" }"),
        ],
    );
}

#[test]
fn data_of_one_page_of_a_file() {
    with_shm_file(
        "data_of_one_page_of_a_file",
        &[(
            "pwrite(fd, \"a\", PAGE_SIZE)",
            "{ data.\"/dev/shm/maps_case[0]\" = \"-\", \"data./dev/shm/maps_case[1]\" = \"d\", data.\"/dev/shm/maps_case[2]\" = \"none\" }",
        )],
    );
}

/// The cases can fail: a wrong permission string or page is reported, with
/// what was seen.
#[test]
fn a_wrong_maps_or_page_expectation_fails() {
    let steps: &[Step] = &[
        (
            "p = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)",
            "",
        ),
        ("p[PAGE_SIZE] = 'x'", "{ maps.p = \"r--s\", \"pte.p[0]\" = \"P\" }"),
    ];
    let s = load("wrong", &scenario_text(steps));
    let b = broken(&Run::new(s).run_all());
    assert_eq!(
        b,
        [
            "step 2 `p[PAGE_SIZE] = 'x'`: maps.p expected \"r--s\", saw \"rw-s\"",
            "step 2 `p[PAGE_SIZE] = 'x'`: pte.p[0] expected \"P\", saw \"-\"",
        ]
    );
}
