//! Output at size (#11): per-page strings fold long runs (`P x 128`),
//! repeated call chains fold in the transcript, and the state dump folds
//! runs of slots and PTEs; an `expect` of a per-page observable holds
//! however it is spelled, folded or not.

mod common;

use common::cases::{broken, load};
use sim::runner::Run;
use sim::transcript::{self, Style};

/// A 1 MiB /dev/shm file, its first half written through a mapping, then
/// closed and unlinked; `expects` go on the `memset` step.
fn case(expects: &str) -> String {
    format!(
        r#"title = "half of a 1 MiB file"
procs = ["p"]

[machine]
ram = "64 MiB"
swap = "0"

[[step]]
proc = "p"
do = 'fd = shm_open("/half", O_CREAT | O_RDWR, 0666)'

[[step]]
proc = "p"
do = "ftruncate(fd, 1048576)"

[[step]]
proc = "p"
do = "p = mmap(NULL, 1048576, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)"

[[step]]
proc = "p"
do = "memset(p, 'x', 524288)"
expect = {{ {expects} }}

[[step]]
proc = "p"
do = "munmap(p, 1048576)"

[[step]]
proc = "p"
do = 'shm_unlink("/half")'

[[step]]
proc = "p"
do = "close(fd)"
"#
    )
}

#[test]
fn folded_and_unfolded_expectations_agree() {
    let unfolded = format!(
        r#"pte.p = "{}{}", core.p = "{}{}", cache.p = "{}{}", data."/dev/shm/half" = "{}{}""#,
        "P".repeat(128),
        "-".repeat(128),
        "1".repeat(128),
        "0".repeat(128),
        "P".repeat(128),
        "-".repeat(128),
        "d".repeat(128),
        "-".repeat(128),
    );
    let folded = r#"pte.p = "P x 128, - x 128", core.p = "1 x 128, 0 x 128", cache.p = "P x 128, - x 128", data."/dev/shm/half" = "d x 128, - x 128""#;
    let mixed = r#"pte.p = "PP, P x 126, ---, - x 125", "pte.p[127]" = "P", "pte.p[128]" = "-", "core.p[200]" = "0""#;
    for (name, e) in [
        ("unfolded", unfolded.as_str()),
        ("folded", folded),
        ("mixed", mixed),
    ] {
        let s = load(name, &case(e));
        let out = Run::new(s).run_all();
        assert_eq!(broken(&out), Vec::<String>::new(), "{name}");
        assert!(out[3].checks.iter().all(|c| c.ok), "{name}");
    }
    // A folded expectation that names other pages fails.
    for wrong in [
        r#"pte.p = "P x 127, - x 129""#,
        r#"pte.p = "P x 128, - x 127""#,
        r#"core.p = "1 x 128, 0 x 64, 1, 0 x 63""#,
    ] {
        let s = load("wrong", &case(wrong));
        let out = Run::new(s).run_all();
        assert_eq!(broken(&out).len(), 1, "{wrong}");
    }
}

#[test]
fn the_transcript_folds_runs_of_pages_and_of_calls() {
    let s = load("plain", &case(r#"ret = "!= MAP_FAILED""#));
    let out = Run::new(s).run_all();
    let text = transcript::text(s, &out, Style::new(false));
    assert!(
        text.contains("changed: pte.p@p: - x 256 -> P x 128, - x 128"),
        "{text}"
    );
    assert!(
        text.contains("changed: cache./dev/shm/half: - x 256 -> P x 128, - x 128"),
        "{text}"
    );
    // One fault per page: one line with its count.
    assert!(
        text.contains("-> fault_dirty_shared_page  (x128)"),
        "{text}"
    );
    // The truncate loop of the last close: once, in brackets.
    assert!(
        text.contains(
            "[__delete_from_page_cache (mm/filemap.c) -> radix_tree_delete (lib/radix-tree.c)] x128"
        ),
        "{text}"
    );
    assert!(text.lines().all(|l| l.len() < 200), "{text}");
}

#[test]
fn the_state_dump_folds_runs_of_slots_and_ptes() {
    let s = load("state", &case(r#"ret = "!= MAP_FAILED""#));
    let mut run = Run::new(s);
    for _ in 0..4 {
        run.step();
    }
    let d = transcript::dump(run.kernel());
    let file = d
        .files
        .iter()
        .find(|f| f.path == "/dev/shm/half")
        .expect("the file");
    assert_eq!(file.slots.len(), 1, "{:?}", file.slots);
    assert_eq!((file.slots[0].index, file.slots[0].run), (0, 128));
    let vma = &d.processes[0].vmas[0];
    assert_eq!(vma.ptes, "P x 128, - x 128");
    assert_eq!(vma.pages.len(), 1, "{:?}", vma.pages);
    let text = transcript::state_text(&d);
    assert!(text.contains("slots 0-127:"), "{text}");
}
