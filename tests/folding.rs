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

/// The model's per-page observables as the readers build them, as runs at
/// the cost of what an object holds, against the same pages read one at a
/// time by the per-page functions (`pagemap_view`, `mincore`,
/// `find_get_entry`, `page_has_data_map`): in every bundled scenario after
/// every step, and in a scenario of hostile shapes (a 1 TiB PROT_NONE
/// reservation, a sparse 1 TiB file read and mapped by a second process,
/// holes between pages, swap entries).
#[test]
fn the_run_readers_spell_what_the_page_by_page_readers_spell() {
    let mut texts: Vec<(String, String)> = common::bundled()
        .into_iter()
        .map(|(p, t)| (p.display().to_string(), t))
        .collect();
    texts.push(("hostile shapes".into(), HOSTILE.into()));
    for (name, text) in &texts {
        let s = sim::scenario::load_str(name, text).expect("loads");
        let mut run = Run::new(&s);
        loop {
            agree(run.kernel(), name, run.done());
            if run.step().is_none() {
                break;
            }
        }
    }
}

fn agree(k: &sim::kernel::Kernel, name: &str, step: usize) {
    use sim::fs::proc::pte_char;
    use sim::mm::filemap::CacheEntry;
    use sim::mm::page::PAGE_SIZE;
    let at = format!("{name}, after step {step}");
    for p in sim::view::mm::MmView::of(k).procs {
        for v in p.vmas {
            let len = (v.end - v.start).min(1 << 28);
            let one_by_one: String = (v.start..v.start + len)
                .step_by(PAGE_SIZE as usize)
                .map(|a| pte_char(&k.pagemap_view(p.pid, a)))
                .collect();
            let runs = k.pte_runs(p.pid, v.start, len);
            assert_eq!(runs.unfolded(), one_by_one, "pte at {:#x}, {at}", v.start);
            let core = k.core_runs(p.pid, v.start, len).map(|r| r.unfolded());
            let want = k.core_string(p.pid, v.start, len);
            assert_eq!(core.unwrap_or_else(|| "none".into()), want, "core, {at}");
        }
    }
    for (ino, inode) in k.inodes.iter() {
        if !inode.is_reg() {
            continue;
        }
        let (cache, more) = k.cache_runs(ino);
        let last = inode.mapping.i_pages.last().map_or(0, |(i, _)| i + 1);
        let shown = inode
            .size_pages()
            .max(last)
            .min(sim::backend::MAX_OBSERVED_PAGES);
        assert_eq!(cache.pages(), shown, "cache pages of inode {ino}, {at}");
        if shown <= 1 << 16 {
            let one_by_one: String = (0..shown)
                .map(|i| match k.find_get_entry(ino, i) {
                    Some(CacheEntry::Page(_)) => 'P',
                    Some(CacheEntry::Swap(_)) => 'x',
                    None => '-',
                })
                .collect();
            assert_eq!(cache.unfolded(), one_by_one, "cache of inode {ino}, {at}");
        }
        let (data, dmore) = k.data_runs(ino);
        let shown = inode.size_pages().min(sim::backend::MAX_OBSERVED_PAGES);
        assert_eq!(data.pages(), shown, "data pages of inode {ino}, {at}");
        if shown <= 1 << 16 {
            let has = k.page_has_data_map(ino);
            let one_by_one: String = (0..shown).map(|i| if has(i) { 'd' } else { '-' }).collect();
            assert_eq!(data.unfolded(), one_by_one, "data of inode {ino}, {at}");
        }
        let _ = (more, dmore);
    }
}

/// Shapes the bundled scenarios do not have.
const HOSTILE: &str = r#"title = "hostile shapes"
procs = ["a", "b"]

[machine]
ram = "64 MiB"
swap = "64 MiB"

[[step]]
proc = "a"
do = "r = mmap(NULL, 1099511627776, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)"

[[step]]
proc = "a"
do = 'fd = shm_open("/sparse", O_CREAT | O_RDWR, 0644)'

[[step]]
proc = "a"
do = "ftruncate(fd, 1099511627776)"

[[step]]
proc = "a"
do = 'pwrite(fd, "x", 40960)'

[[step]]
proc = "a"
do = 'pwrite(fd, "y", 1073741824)'

[[step]]
proc = "b"
do = 'g = shm_open("/sparse", O_RDONLY, 0)'

[[step]]
proc = "b"
do = "q = mmap(NULL, 8388608, PROT_READ, MAP_SHARED, g, 1069547520)"

[[step]]
proc = "b"
do = "n = read(g, 1)"

[[step]]
proc = "a"
do = "m = mmap(NULL, 1048576, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)"

[[step]]
proc = "a"
do = "memset(m + 8192, 'z', 65536)"

[[step]]
proc = "a"
do = "madvise(m, 1048576, MADV_PAGEOUT)"

[[step]]
proc = "a"
do = "n = m[12288]"

[[step]]
proc = "a"
do = "p = mmap(NULL, 2097152, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)"

[[step]]
proc = "a"
do = "memset(p + 4096, 'w', 1048576)"

[[step]]
proc = "a"
do = "madvise(p, 2097152, MADV_PAGEOUT)"

[[step]]
proc = "a"
do = "n = p[8192]"
"#;
