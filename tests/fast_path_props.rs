//! The fast paths change nothing a student can see: a scenario played with
//! every optimisation ([`Run::new`]) and with the plain per-page path
//! ([`Run::plain`]: stores and loads fault-check every page, the trace looks
//! every touch up by its hash map, every observable is read afresh after
//! every step) prints the same transcript, gives the same outcomes (touches
//! included) and leaves the same state, step by step.
//!
//! The scenarios: loads and stores over mappings of every kind (shared and
//! private anonymous memory, a /dev/shm file), at hostile offsets and
//! lengths, mixed with what changes the pages under them (`MADV_PAGEOUT`
//! into a small swap, `MADV_DONTNEED`, `mprotect`, `munmap`, `fork`); and
//! the bundled walkthroughs.

mod common;

use proptest::prelude::*;
use sim::runner::{Run, StepOutcome};
use sim::scenario::Scenario;
use sim::transcript::{self, Style};

/// Each step's outcome as JSON and the state after it.
fn played(mut run: Run<'_>) -> Vec<(String, String)> {
    let mut v = Vec::new();
    while let Some(o) = run.step() {
        let state = transcript::state_text(&transcript::dump(run.kernel()));
        v.push((outcome_json(&o), state));
    }
    v
}

fn outcome_json(o: &StepOutcome) -> String {
    serde_json::to_string(o).expect("an outcome serialises")
}

/// Plays `s` both ways and says where they first differ.
fn agree(s: &Scenario) -> Result<(), TestCaseError> {
    let fast = played(Run::new(s));
    let plain = played(Run::plain(s));
    prop_assert_eq!(fast.len(), plain.len());
    for (i, (f, p)) in fast.iter().zip(&plain).enumerate() {
        prop_assert_eq!(&f.0, &p.0, "{}: step {}'s outcome", s.file, i + 1);
        prop_assert_eq!(&f.1, &p.1, "{}: the state after step {}", s.file, i + 1);
    }
    let text = |mut r: Run<'_>| transcript::text(s, &r.run_all(), Style::new(false));
    prop_assert_eq!(text(Run::new(s)), text(Run::plain(s)));
    Ok(())
}

/// Which mapping a step uses: `a` shared anonymous, `b` private anonymous,
/// `f` a /dev/shm file, each 16 pages (and `b` inherited by a child).
const MAPS: [&str; 3] = ["a", "b", "f"];
const LEN: u64 = 16 * 4096;

/// One step of a generated scenario, by its parts.
#[derive(Clone, Debug)]
enum Op {
    Memset {
        map: usize,
        off: u64,
        len: u64,
        c: u8,
    },
    Memcpy {
        to: usize,
        from: usize,
        off: u64,
        len: u64,
    },
    Printf {
        map: usize,
        off: u64,
    },
    Pageout {
        map: usize,
        off: u64,
        len: u64,
    },
    Dontneed {
        map: usize,
        off: u64,
        len: u64,
    },
    Protect {
        map: usize,
        prot: &'static str,
    },
    Unmap {
        map: usize,
        off: u64,
        len: u64,
    },
    Fork,
    ChildStore {
        off: u64,
        len: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let map = 0usize..3;
    // Offsets and lengths in pages and in bytes, some past the mapping.
    let off = prop_oneof![(0u64..20).prop_map(|p| p * 4096), 0u64..(20 * 4096)];
    let len = prop_oneof![(0u64..18).prop_map(|p| p * 4096), 0u64..(18 * 4096)];
    prop_oneof![
        4 => (map.clone(), off.clone(), len.clone(), any::<u8>())
            .prop_map(|(map, off, len, c)| Op::Memset { map, off, len, c }),
        2 => (map.clone(), map.clone(), off.clone(), len.clone())
            .prop_map(|(to, from, off, len)| Op::Memcpy { to, from, off, len }),
        1 => (map.clone(), off.clone()).prop_map(|(map, off)| Op::Printf { map, off }),
        2 => (map.clone(), off.clone(), len.clone())
            .prop_map(|(map, off, len)| Op::Pageout { map, off, len }),
        1 => (map.clone(), off.clone(), len.clone())
            .prop_map(|(map, off, len)| Op::Dontneed { map, off, len }),
        1 => (map.clone(), prop::sample::select(vec!["PROT_READ", "PROT_NONE", "PROT_READ | PROT_WRITE"]))
            .prop_map(|(map, prot)| Op::Protect { map, prot }),
        1 => (map, off.clone(), len.clone()).prop_map(|(map, off, len)| Op::Unmap { map, off, len }),
        1 => Just(Op::Fork),
        1 => (off, len).prop_map(|(off, len)| Op::ChildStore { off, len }),
    ]
}

fn step(proc: &str, call: &str) -> String {
    format!("[[step]]\nproc = \"{proc}\"\ndo = '{call}'\n\n")
}

/// The scenario of a generated sequence of steps.
fn scenario(ops: &[Op]) -> String {
    let mut s = String::from(
        "title = \"fast and plain paths\"\nprocs = [\"app\"]\n\n\
         [machine]\nram = \"256 KiB\"\nswap = \"128 KiB\"\n\n",
    );
    let prot = "PROT_READ | PROT_WRITE";
    s += &step(
        "app",
        &format!("a = mmap(NULL, {LEN}, {prot}, MAP_SHARED | MAP_ANONYMOUS, -1, 0)"),
    );
    s += &step(
        "app",
        &format!("b = mmap(NULL, {LEN}, {prot}, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)"),
    );
    s += &step("app", "fd = shm_open(\"/fast\", O_CREAT | O_RDWR, 0600)");
    s += &step("app", &format!("ftruncate(fd, {LEN})"));
    s += &step(
        "app",
        &format!("f = mmap(NULL, {LEN}, {prot}, MAP_SHARED, fd, 0)"),
    );
    let mut forked = false;
    for op in ops {
        let m = |i: usize| MAPS[i];
        s += &match op {
            Op::Memset { map, off, len, c } => {
                step("app", &format!("memset({} + {off}, {c}, {len})", m(*map)))
            }
            Op::Memcpy { to, from, off, len } => step(
                "app",
                &format!("memcpy({} + {off}, {}, {len})", m(*to), m(*from)),
            ),
            Op::Printf { map, off } => step("app", &format!("printf(\"%s\", {} + {off})", m(*map))),
            Op::Pageout { map, off, len } => step(
                "app",
                &format!("madvise({} + {off}, {len}, MADV_PAGEOUT)", m(*map)),
            ),
            Op::Dontneed { map, off, len } => step(
                "app",
                &format!("madvise({} + {off}, {len}, MADV_DONTNEED)", m(*map)),
            ),
            Op::Protect { map, prot } => {
                step("app", &format!("mprotect({}, {LEN}, {prot})", m(*map)))
            }
            Op::Unmap { map, off, len } => {
                step("app", &format!("munmap({} + {off}, {len})", m(*map)))
            }
            Op::Fork if !forked => {
                forked = true;
                step("app", "child = fork()")
            }
            Op::Fork => String::new(),
            Op::ChildStore { off, len } if forked => {
                step("child", &format!("memset(b + {off}, 7, {len})"))
            }
            Op::ChildStore { .. } => String::new(),
        };
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Generated loads and stores, and what changes the pages under them.
    #[test]
    fn fast_and_plain_paths_agree_on_loads_and_stores(ops in prop::collection::vec(op(), 1..14)) {
        let src = scenario(&ops);
        let s = match sim::scenario::load_str("fast.toml", &src) {
            Ok(s) => s,
            Err(e) => panic!("a generated scenario does not load: {e:?}\n{src}"),
        };
        agree(&s)?;
    }
}

/// The cases the fast path must not get wrong, by name: a load from a page
/// mapped and accessed already, once its VMA is `PROT_NONE`, is a SIGSEGV
/// (the PTE is still there: only the VMA says no); a store to a page mapped
/// read-only after a write is a SIGSEGV too; a store after `MADV_PAGEOUT`
/// faults the page back in.
#[test]
fn the_fast_path_checks_what_the_mmu_and_the_vma_check() {
    let cases: [&[Op]; 4] = [
        &[
            Op::Memset {
                map: 0,
                off: 0,
                len: LEN,
                c: 1,
            },
            Op::Protect {
                map: 0,
                prot: "PROT_NONE",
            },
            Op::Printf { map: 0, off: 0 },
        ],
        &[
            Op::Memset {
                map: 2,
                off: 0,
                len: LEN,
                c: 1,
            },
            Op::Protect {
                map: 2,
                prot: "PROT_NONE",
            },
            Op::Memcpy {
                to: 1,
                from: 2,
                off: 0,
                len: 4096,
            },
        ],
        &[
            Op::Memset {
                map: 1,
                off: 0,
                len: LEN,
                c: 1,
            },
            Op::Protect {
                map: 1,
                prot: "PROT_READ",
            },
            Op::Memset {
                map: 1,
                off: 4096,
                len: 10,
                c: 2,
            },
        ],
        &[
            Op::Memset {
                map: 2,
                off: 0,
                len: LEN,
                c: 1,
            },
            Op::Pageout {
                map: 2,
                off: 0,
                len: LEN,
            },
            Op::Memset {
                map: 2,
                off: 100,
                len: LEN - 200,
                c: 3,
            },
            Op::Printf { map: 2, off: 0 },
        ],
    ];
    for ops in cases {
        let src = scenario(ops);
        let s = common::cases::load("fast", &src);
        let fast = Run::new(s).run_all();
        let last = fast.last().expect("steps");
        if let Err(e) = agree(s) {
            panic!("{e}\n{src}");
        }
        let signalled = fast
            .iter()
            .any(|o| format!("{:?}", o.result).contains("SIGSEGV"));
        let faults = ops.iter().any(|o| matches!(o, Op::Protect { .. }));
        assert_eq!(
            signalled, faults,
            "step {}: {:?}\n{src}",
            last.step, last.result
        );
    }
}

/// Every bundled walkthrough, both ways.
#[test]
fn fast_and_plain_paths_agree_on_the_bundled_scenarios() {
    for (path, text) in common::bundled() {
        let name = path.file_stem().expect("a file").to_string_lossy();
        let s = common::cases::load(&name, &text);
        if let Err(e) = agree(s) {
            panic!("{e}");
        }
    }
}
