//! The `why` of each change (issue #9, point 6): which kernel functions of a
//! step changed each observable, as the model records it where it changes
//! state.

mod common;

use sim::runner::{Change, Run, StepOutcome};
use std::path::Path;

fn play(path: &str) -> Vec<StepOutcome> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let s = sim::scenario::load_file(&p).expect("a bundled scenario loads");
    Run::new(&s).run_all()
}

/// The first step whose statement is `do_` (by process `proc_`).
fn step<'a>(out: &'a [StepOutcome], proc_: &str, do_: &str) -> &'a StepOutcome {
    out.iter()
        .find(|o| o.proc.as_deref() == Some(proc_) && o.do_ == do_)
        .unwrap_or_else(|| panic!("no step `{do_}` by {proc_}"))
}

fn change<'a>(o: &'a StepOutcome, name: &str) -> &'a Change {
    o.changes
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| {
            panic!(
                "step {} `{}` does not change {name}: {:?}",
                o.step, o.do_, o.changes
            )
        })
}

fn funcs(c: &Change) -> Vec<&'static str> {
    c.why.iter().map(|w| w.func).collect()
}

#[test]
fn posix_memcpy_shmem_is_from_shmem_add_to_page_cache() {
    let out = play("scenarios/01-posix-producer-consumer.toml");
    let o = step(&out, "producer", "memcpy(ptr, \"Studying \", 9)");
    let shmem = change(o, "meminfo.Shmem");
    assert_eq!(funcs(shmem), ["shmem_add_to_page_cache"], "{shmem:?}");
    assert_eq!(shmem.why[0].file, "mm/shmem.c");
    assert_eq!(shmem.why[0].count, 1);
    let pte = change(o, "pte.ptr@producer");
    assert!(
        funcs(pte).iter().any(|f| [
            "alloc_set_pte",
            "finish_fault",
            "do_shared_fault",
            "__do_fault"
        ]
        .contains(f)),
        "{pte:?}"
    );
    let cache = change(o, "cache./dev/shm/OS");
    assert!(funcs(cache).contains(&"add_to_page_cache_lru"), "{cache:?}");
}

#[test]
fn shmem_pageout_cache_and_swap_used() {
    let out = play("scenarios/12-shmem-swap-out-and-in.toml");
    let o = step(&out, "app", "madvise(p, 16384, MADV_PAGEOUT)");
    let cache = change(o, "cache./dev/shm/swapme");
    // shmem_writepage replaces each page by its swap entry through
    // shmem_delete_from_page_cache (mm/shmem.c, 4.14).
    assert!(
        funcs(cache).contains(&"shmem_delete_from_page_cache"),
        "{cache:?}"
    );
    let used = change(o, "meminfo.SwapUsed");
    assert!(
        funcs(used)
            .iter()
            .any(|f| ["get_swap_page", "add_to_swap", "shmem_writepage"].contains(f)),
        "{used:?}"
    );
    let shmem = change(o, "meminfo.Shmem");
    assert!(
        funcs(shmem).contains(&"shmem_delete_from_page_cache"),
        "{shmem:?}"
    );
}

#[test]
fn sysv_attach_nattch_is_from_do_shmat() {
    let out = play("scenarios/07-sysv-writer-reader.toml");
    let o = out
        .iter()
        .find(|o| o.do_.contains("shmat(") && o.changes.iter().any(|c| c.name.contains(".nattch@")))
        .expect("an attach changes nattch");
    let c = o
        .changes
        .iter()
        .find(|c| c.name.contains(".nattch@"))
        .expect("nattch");
    // shm_open (the VMA's open) is not traced: do_shmat runs it.
    assert_eq!(funcs(c), ["do_shmat"], "{c:?}");
    assert_eq!(c.why[0].file, "ipc/shm.c");
}

/// Every change of a model run has a cause, and every cause is a function
/// of that step's trace.
#[test]
fn every_change_has_a_cause_in_the_trace() {
    let mut bad = Vec::new();
    for (path, _) in common::bundled() {
        let s = sim::scenario::load_file(&path).expect("loads");
        for o in Run::new(&s).run_all() {
            for c in &o.changes {
                if c.why.is_empty() {
                    bad.push(format!(
                        "{}: step {} `{}`: {} {} -> {} has no cause",
                        path.display(),
                        o.step,
                        o.do_,
                        c.name,
                        c.before,
                        c.after
                    ));
                }
                for w in &c.why {
                    if !o.trace.iter().any(|e| e.func == w.func && e.file == w.file) {
                        bad.push(format!(
                            "{}: step {}: {} caused by {} not in the trace",
                            path.display(),
                            o.step,
                            c.name,
                            w.func
                        ));
                    }
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} problems:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// `shmsim run --json` carries `why` on a change that has causes.
#[test]
fn json_carries_why() {
    let out = play("scenarios/01-posix-producer-consumer.toml");
    let o = step(&out, "producer", "memcpy(ptr, \"Studying \", 9)");
    let v = serde_json::to_value(o).expect("serializes");
    let shmem = v["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["name"] == "meminfo.Shmem")
        .expect("Shmem changed");
    assert_eq!(shmem["why"][0]["func"], "shmem_add_to_page_cache");
    assert_eq!(shmem["why"][0]["count"], 1);
}

/// A store to a page mapped clean changes no kernel table but the PTE's
/// dirty bit, which the MMU sets: smaps moves the page from clean to dirty,
/// and the why says so (and the runner, which keeps per-page observables
/// until a touch says otherwise, reads smaps again).
#[test]
fn a_store_to_a_clean_pte_is_the_mmus_and_moves_smaps_to_dirty() {
    let src = r#"
title = "a store after a load"
procs = ["app"]
[[step]]
proc = "app"
do = 'fd = shm_open("/rw", O_CREAT | O_RDWR, 0600)'
[[step]]
proc = "app"
do = "ftruncate(fd, 8192)"
[[step]]
proc = "app"
do = "p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)"
[[step]]
proc = "app"
do = "c = p[0]"
[[step]]
proc = "app"
do = "p[0] = 'x'"
[[step]]
proc = "app"
do = "p[1] = 'y'"
"#;
    let s = sim::scenario::load_str("rw.toml", src).expect("loads");
    let out = Run::new(&s).run_all();
    let store = &out[4];
    assert!(
        store.trace.is_empty(),
        "no kernel function: {:?}",
        store.trace
    );
    let dirty = change(store, "smaps.p.Private_Dirty@app");
    assert_eq!(
        (dirty.before.as_str(), dirty.after.as_str()),
        ("0 kB", "4 kB")
    );
    assert_eq!(funcs(dirty), ["the MMU"], "{dirty:?}");
    assert_eq!(dirty.why[0].file, "hardware");
    // The PTE is dirty now: a second store changes nothing.
    assert!(out[5].changes.is_empty(), "{:?}", out[5].changes);
}
