//! The views of the machine (`sim::view`) and their pictures
//! (`shmsim_tui::app::views`): what a student would notice in them, on the
//! bundled scenarios and on big and random ones.

mod common;

use proptest::prelude::*;
use shmsim_tui::app::theme::{Theme, ThemeName};
use shmsim_tui::app::views::{self, AnyView, MarkKind, Picture, ViewKind};
use sim::kernel::Kernel;
use sim::mm::swapops::Encoding;
use sim::runner::Run;
use sim::scenario::{load_file, load_str, Scenario};
use sim::view::cache::{CacheView, Decoded, FileCache};
use sim::view::frames::{FrameKind, FramesView};
use sim::view::mm::{MmView, PteDecode};
use sim::view::swap::SwapView;
use sim::view::sysv::SysvView;
use std::path::Path;

fn bundled(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    load_file(&path).unwrap_or_else(|d| panic!("{name}: {d:?}"))
}

/// Plays `s` step by step, calling `f` with the kernel after each step.
fn each_step(s: &Scenario, mut f: impl FnMut(usize, &Kernel)) {
    let mut run = Run::new(s);
    let mut i = 0;
    while run.step().is_some() {
        f(i, run.kernel());
        i += 1;
    }
}

/// The first state after a step where `want` holds, with the state before it.
fn first_where<T>(s: &Scenario, build: impl Fn(&Kernel) -> T, want: impl Fn(&T) -> bool) -> (T, T) {
    let mut run = Run::new(s);
    let mut before = build(run.kernel());
    while run.step().is_some() {
        let now = build(run.kernel());
        if want(&now) {
            return (now, before);
        }
        before = now;
    }
    panic!("no step where the view shows it");
}

fn swap_slots(f: &FileCache) -> Vec<(u64, u64, u32, u64)> {
    f.nodes
        .iter()
        .flat_map(|n| &n.slots)
        .filter_map(|r| match r.decoded {
            Decoded::Swap { type_, offset } => Some((r.index, r.word, type_, offset)),
            _ => None,
        })
        .collect()
}

fn has_swap(v: &CacheView) -> bool {
    v.files.iter().any(|f| !swap_slots(f).is_empty())
}

fn text(p: &Picture) -> Vec<String> {
    p.lines
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect()
}

#[test]
fn a_swapped_out_shmem_page_is_an_exceptional_entry_swp_shl_2_or_2() {
    let s = bundled("12-shmem-swap-out-and-in.toml");
    let (v, _) = first_where(&s, CacheView::of, has_swap);
    let f = v
        .files
        .iter()
        .find(|f| f.path == "/dev/shm/swapme")
        .expect("the file");
    let slots = swap_slots(f);
    assert!(!slots.is_empty());
    let enc = Encoding::RADIX_64;
    for (_, word, type_, offset) in slots {
        assert_eq!(word & 3, 2, "{word:#x}: low bits 10, exceptional");
        let e = enc.swp_entry(type_, offset).unwrap();
        assert_eq!(word, (e.val << 2) | 2);
        let back = enc.radix_to_swp_entry(word).unwrap();
        assert_eq!((enc.swp_type(back), enc.swp_offset(back)), (type_, offset));
    }
    assert_eq!(f.shmem.unwrap().swapped, f.nrexceptional);
}

#[test]
fn the_xarray_era_draws_value_entries_swp_shl_1_or_1_and_node_pointers_or_2() {
    let s = bundled("13-xarray-swap-entries.toml");
    let (v, _) = first_where(&s, CacheView::of, has_swap);
    let f = v.files.iter().find(|f| !swap_slots(f).is_empty()).unwrap();
    let enc = Encoding::XARRAY_64;
    for (_, word, type_, offset) in swap_slots(f) {
        assert_eq!(word & 1, 1, "{word:#x}: a value entry");
        let e = enc.swp_entry(type_, offset).unwrap();
        assert_eq!(word, (e.val << 1) | 1);
    }
    assert!(f.height >= 1);
    assert_eq!(f.root_word & 3, 2, "xa_mk_node: the root points at a node");
    assert_eq!(v.era, sim::mm::swapops::Era::XArray);
}

#[test]
fn the_cache_view_agrees_with_the_slot_observable() {
    let s = bundled("12-shmem-swap-out-and-in.toml");
    each_step(&s, |_, k| {
        for f in CacheView::of(k).files {
            for (index, d) in f.entries() {
                let slot = k.slot_string(f.ino, index);
                assert!(
                    slot.starts_with(&format!("{:#x} ", d.word(k.cfg.encoding))),
                    "{slot} vs {d:?}"
                );
            }
        }
    });
}

#[test]
fn a_frame_shared_after_fork_has_the_same_pfn_in_both_processes() {
    let s = bundled("03-fork-shared-anonymous.toml");
    let shared = |v: &MmView| -> Option<u32> {
        let pfns = |p: &sim::view::mm::ProcMm| -> Vec<u32> {
            p.vmas
                .iter()
                .flat_map(|v| v.unfold())
                .filter_map(|d| match d {
                    PteDecode::Present {
                        pfn,
                        frame: FrameKind::Shmem,
                        ..
                    } => Some(pfn),
                    _ => None,
                })
                .collect()
        };
        let (a, b) = (v.procs.first()?, v.procs.get(1)?);
        let pb = pfns(b);
        pfns(a).into_iter().find(|p| pb.contains(p))
    };
    let (v, _) = first_where(&s, MmView::of, |v| shared(v).is_some());
    let pfn = shared(&v).unwrap();
    for p in &v.procs {
        let d = p
            .vmas
            .iter()
            .flat_map(|v| v.unfold())
            .find(|d| matches!(d, PteDecode::Present { pfn: q, .. } if *q == pfn));
        assert!(
            matches!(d, Some(PteDecode::Present { shared: true, .. })),
            "{}: {d:?}",
            p.name
        );
    }
}

#[test]
fn every_view_builds_and_draws_on_every_step_and_frames_total_to_ram() {
    let th = Theme::new(ThemeName::Dark);
    for (path, text) in common::bundled() {
        let name = path.display().to_string();
        let s = load_str(&name, &text).unwrap();
        let mut before: Option<views::MachineView> = None;
        each_step(&s, |i, k| {
            let f = FramesView::of(k);
            let sum: u64 = f.totals.iter().map(|t| t.pages).sum();
            assert_eq!(sum, k.mem.nr_pages() as u64, "{name} step {i}");
            assert_eq!(
                f.total(FrameKind::Free),
                u64::from(k.mem.nr_free()),
                "{name} step {i}: free"
            );
            let now = views::MachineView::all(k);
            for kind in ViewKind::ALL {
                let b = before.as_ref().and_then(|b| b.get(kind));
                let p = views::picture(kind, now.get(kind).unwrap(), b, &th, 100);
                assert!(!p.lines.is_empty(), "{name} {kind:?}");
            }
            before = Some(now);
        });
    }
}

/// Plays `s`, checking after every step that the mm and cache views
/// patched by the step's touches are the views built afresh.
fn patched_views_match(name: &str, s: &Scenario) -> Result<(), TestCaseError> {
    let mut run = Run::new(s);
    let (mut mm, mut cache) = (MmView::of(run.kernel()), CacheView::of(run.kernel()));
    while let Some(o) = run.step() {
        let k = run.kernel();
        let touches = o
            .touches
            .as_ref()
            .expect("the model's touches are complete");
        let (mm_now, cache_now) = (MmView::of(k), CacheView::of(k));
        prop_assert_eq!(
            &mm.after(k, touches),
            &mm_now,
            "{} step {}: the mm view",
            name,
            o.step
        );
        prop_assert_eq!(
            &cache.after(k, touches),
            &cache_now,
            "{} step {}: the cache view",
            name,
            o.step
        );
        (mm, cache) = (mm_now, cache_now);
    }
    Ok(())
}

#[test]
fn views_patched_by_a_steps_touches_are_the_views_built_afresh() {
    for (path, text) in common::bundled() {
        let name = path.display().to_string();
        let s = load_str(&name, &text).unwrap();
        patched_views_match(&name, &s).unwrap();
    }
    let s = load_str("big.toml", BIG).unwrap();
    patched_views_match("big.toml", &s).unwrap();
}

const BIG: &str = r#"
title = "400 MiB of shmem"
procs = ["app"]
[machine]
ram = "1 GiB"
swap = "16 MiB"
dev_shm = "512 MiB"
[[step]]
proc = "app"
do = 'fd = shm_open("/big", O_CREAT | O_RDWR, 0600)'
[[step]]
proc = "app"
do = "ftruncate(fd, 419430400)"
[[step]]
proc = "app"
do = "p = mmap(NULL, 419430400, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)"
[[step]]
proc = "app"
do = "memset(p, 'A', 419430400)"
[[step]]
proc = "app"
do = "madvise(p + 40960, 16384, MADV_PAGEOUT)"
"#;

#[test]
fn a_100000_page_mapping_folds_to_a_few_hundred_rows_in_every_view() {
    let s = load_str("big", BIG).unwrap();
    let mut run = Run::new(&s);
    run.run_all();
    let k = run.kernel();
    let cache = CacheView::of(k);
    let f = cache
        .files
        .iter()
        .find(|f| f.path == "/dev/shm/big")
        .unwrap();
    assert_eq!(f.entries().len(), 102_400);
    assert!(cache.rows() < 500, "cache: {} rows", cache.rows());
    let mm = MmView::of(k);
    assert!(mm.rows() < 500, "mm: {} rows", mm.rows());
    assert_eq!(mm.procs[0].vmas[0].unfold().len(), 102_400);
    let frames = FramesView::of(k);
    assert!(
        frames.runs.len() < 500,
        "frames: {} runs",
        frames.runs.len()
    );
    assert!(frames.lru.iter().map(|l| l.runs.len()).sum::<usize>() < 500);
    assert!(frames.total(FrameKind::Shmem) >= 102_396);
    let swap = SwapView::of(k);
    assert!(swap.rows() < 500);
    let th = Theme::new(ThemeName::Mono);
    for kind in ViewKind::ALL {
        let p = views::picture(kind, &views::build(kind, k), None, &th, 100);
        assert!(p.lines.len() < 500, "{kind:?}: {} lines", p.lines.len());
    }
}

/// A scenario over one shmem file of `n` pages: `writes` pages written,
/// `outs` paged out, `reads` read back, in that order.
fn pattern(n: usize, writes: &[bool], outs: &[bool], reads: &[bool], xa: bool) -> String {
    let mut t = format!(
        "title = \"pattern\"\nprocs = [\"app\"]\n[machine]\nram = \"4 MiB\"\nswap = \"4 MiB\"\nindex = \"{}\"\n",
        if xa { "xarray" } else { "radix" }
    );
    let mut step = |d: String| t += &format!("[[step]]\nproc = \"app\"\ndo = '''{d}'''\n");
    step("fd = shm_open(\"/pat\", O_CREAT | O_RDWR, 0600)".into());
    step(format!("ftruncate(fd, {})", n * 4096));
    step(format!(
        "p = mmap(NULL, {}, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)",
        n * 4096
    ));
    for (i, _) in writes.iter().enumerate().filter(|(_, w)| **w) {
        step(format!("p[{}] = 'w'", i * 4096));
    }
    for (i, _) in outs.iter().enumerate().filter(|(_, w)| **w) {
        step(format!("madvise(p + {}, 4096, MADV_PAGEOUT)", i * 4096));
    }
    for (i, _) in reads.iter().enumerate().filter(|(_, w)| **w) {
        step(format!("c = p[{}]", i * 4096));
    }
    t
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn unfolding_the_runs_gives_the_per_page_observables(
        n in 1usize..200,
        bits in proptest::collection::vec((any::<bool>(), any::<bool>(), any::<bool>()), 200),
        xa in any::<bool>(),
    ) {
        let w: Vec<bool> = bits.iter().take(n).map(|b| b.0).collect();
        let o: Vec<bool> = bits.iter().take(n).map(|b| b.1).collect();
        let r: Vec<bool> = bits.iter().take(n).map(|b| b.2 && b.0).collect();
        let s = load_str("pattern", &pattern(n, &w, &o, &r, xa)).unwrap();
        patched_views_match("pattern", &s)?;
        let mut run = Run::new(&s);
        run.run_all();
        let k = run.kernel();
        for p in MmView::of(k).procs {
            let pid = p.pid;
            for v in p.vmas {
                let letters: String = v.unfold().iter().map(PteDecode::letter).collect();
                prop_assert_eq!(letters, k.pte_string(pid, v.start, v.end - v.start));
            }
        }
        for f in CacheView::of(k).files {
            let want = k.cache_string(f.ino);
            let mut got = vec!['-'; want.chars().count()];
            for (i, d) in f.entries() {
                prop_assert!((i as usize) < got.len());
                got[i as usize] = d.letter();
            }
            prop_assert_eq!(got.into_iter().collect::<String>(), want);
        }
    }
}

#[test]
fn the_cache_picture_shows_the_decoded_exceptional_entry_and_marks_it() {
    let s = bundled("12-shmem-swap-out-and-in.toml");
    let (now, before) = first_where(&s, CacheView::of, has_swap);
    for name in [ThemeName::Dark, ThemeName::Mono] {
        let th = Theme::new(name);
        let p = views::picture(
            ViewKind::Cache,
            &AnyView::Cache(now.clone()),
            Some(&AnyView::Cache(before.clone())),
            &th,
            100,
        );
        let lines = text(&p);
        let exc: Vec<&String> = lines
            .iter()
            .filter(|l| l.contains("EXCEPTIONAL swap type 0 offset 0x1"))
            .collect();
        assert!(!exc.is_empty(), "{lines:#?}");
        // The glyph carries the meaning without colour: `x` before the slot.
        assert!(exc.iter().all(|l| l.contains(" x [")), "{exc:?}");
        for (i, l) in lines.iter().enumerate() {
            let changed = p
                .marks
                .iter()
                .any(|m| m.line == i && m.kind == MarkKind::Changed);
            assert_eq!(changed, l.starts_with("* "), "line {i}: {l}");
            if l.contains("EXCEPTIONAL") {
                assert!(p
                    .marks
                    .iter()
                    .any(|m| m.line == i && m.kind == MarkKind::Exceptional));
            }
        }
        if name == ThemeName::Mono {
            for sp in p.lines.iter().flat_map(|l| &l.spans) {
                assert_eq!((sp.style.fg, sp.style.bg), (None, None), "{sp:?}");
            }
        }
    }
}

#[test]
fn nothing_is_marked_changed_against_the_same_state() {
    let s = bundled("12-shmem-swap-out-and-in.toml");
    let th = Theme::new(ThemeName::Mono);
    each_step(&s, |i, k| {
        for kind in ViewKind::ALL {
            let v = views::build(kind, k);
            let p = views::picture(kind, &v, Some(&v), &th, 80);
            assert!(
                p.marks.iter().all(|m| m.kind != MarkKind::Changed),
                "step {i} {kind:?}"
            );
            assert!(text(&p).iter().all(|l| !l.starts_with("* ")));
        }
    });
}

#[test]
fn an_attach_marks_exactly_the_segments_row_and_the_counters_that_moved() {
    let s = bundled("07-sysv-writer-reader.toml");
    let (now, before) = first_where(&s, SysvView::of, |v| {
        v.segments.iter().any(|s| s.nattch > 0)
    });
    let th = Theme::new(ThemeName::Mono);
    let p = views::picture(
        ViewKind::Sysv,
        &AnyView::Sysv(now.clone()),
        Some(&AnyView::Sysv(before)),
        &th,
        100,
    );
    let lines = text(&p);
    let changed: Vec<&String> = p
        .marks
        .iter()
        .filter(|m| m.kind == MarkKind::Changed)
        .map(|m| &lines[m.line])
        .collect();
    assert_eq!(changed.len(), 1, "{lines:#?}");
    assert!(changed[0].contains(&format!("{:#010x}", now.segments[0].key as u32)));
    assert!(changed[0].contains("/SYSV"), "{}", changed[0]);

    // A write of one page moves Shmem and Cached, not MemTotal.
    let s = bundled("03-fork-shared-anonymous.toml");
    let mut run = Run::new(&s);
    run.step();
    run.step();
    let before = views::build(ViewKind::Counters, run.kernel());
    run.step();
    let now = views::build(ViewKind::Counters, run.kernel());
    let p = views::picture(ViewKind::Counters, &now, Some(&before), &th, 100);
    let lines = text(&p);
    let marked = |f: &str| {
        let i = lines
            .iter()
            .position(|l| l.contains(&format!("{f}:")))
            .unwrap();
        p.marks
            .iter()
            .any(|m| m.line == i && m.kind == MarkKind::Changed)
    };
    assert!(marked("Shmem") && marked("Cached"));
    assert!(!marked("MemTotal") && !marked("SwapTotal"));
}

#[test]
fn the_mm_picture_draws_swap_ptes_with_a_glyph_and_shared_pfns() {
    let s = bundled("14-anon-vs-file-vs-shmem-reclaim.toml");
    let th = Theme::new(ThemeName::Mono);
    let (now, _) = first_where(&s, MmView::of, |v| {
        v.procs
            .iter()
            .flat_map(|p| &p.vmas)
            .flat_map(|v| &v.ptes)
            .any(|r| matches!(r.pte, PteDecode::Swap { .. }))
    });
    let p = views::picture(ViewKind::Mm, &AnyView::Mm(now), None, &th, 100);
    let lines = text(&p);
    let swap: Vec<&String> = lines.iter().filter(|l| l.contains("SWAP type")).collect();
    assert!(!swap.is_empty(), "{lines:#?}");
    assert!(swap.iter().all(|l| l.contains(" x [")));
    assert!(lines
        .iter()
        .any(|l| l.trim_start().starts_with('P') || l.contains('s')));
}

/// Not a check: prints two pictures (`cargo test --test views -- --nocapture show`).
#[test]
fn show_pictures() {
    let th = Theme::new(ThemeName::Mono);
    let s = bundled("12-shmem-swap-out-and-in.toml");
    let (now, before) = first_where(&s, CacheView::of, has_swap);
    let p = views::picture(
        ViewKind::Cache,
        &AnyView::Cache(now),
        Some(&AnyView::Cache(before)),
        &th,
        100,
    );
    println!("{}", text(&p).join("\n"));
    let s = bundled("03-fork-shared-anonymous.toml");
    let (now, before) = first_where(&s, MmView::of, |v| {
        v.procs.len() == 2
            && v.procs[1]
                .vmas
                .iter()
                .flat_map(|v| &v.ptes)
                .any(|r| r.pte.letter() == 'P')
    });
    let p = views::picture(
        ViewKind::Mm,
        &AnyView::Mm(now),
        Some(&AnyView::Mm(before)),
        &th,
        100,
    );
    println!("{}", text(&p).join("\n"));
    let mut run = Run::new(&s);
    run.run_all();
    let p = views::picture(
        ViewKind::Mm,
        &views::build(ViewKind::Mm, run.kernel()),
        None,
        &th,
        100,
    );
    println!("{}", text(&p).join("\n"));
    let p = views::picture(
        ViewKind::Frames,
        &views::build(ViewKind::Frames, run.kernel()),
        None,
        &th,
        80,
    );
    println!(
        "{}",
        text(&p)
            .iter()
            .take(12)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
