//! Benchmarks of the classroom TUI (`cargo bench -p shmsim-tui`):
//!
//! - a step plus a redraw with 100,000 pages mapped (target: 2 ms), for a
//!   store that faults nothing and for a write fault of a new page;
//! - going back 1 step and 10,000 steps in a scenario of 100,000 steps
//!   (target: 20 ms).
//!
//! Each figure is the median of several runs, printed beside its target.
//! `NSTEPS=400 cargo bench -p shmsim-tui -- fault` plays 400 faults instead
//! of 40, so that a profiler (`perf record`) sees the steps more than the
//! 100,000-page `memset` before them.

use shmsim_tui::app::views::ViewKind;
use shmsim_tui::app::{render, App, Options};
use std::fmt::Write;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn report(what: &str, d: Duration, target_ms: f64) {
    let ms = d.as_secs_f64() * 1e3;
    println!(
        "{what:<58} {ms:>9.3} ms   target {target_ms} ms   ({:.2}x of the target)",
        ms / target_ms
    );
}

/// 100,000 pages of a /dev/shm file mapped and written, then 40 small
/// steps: stores to pages written already (`faults` false: no kernel
/// function runs, as on Linux), or each the first store to a page of the
/// file's next 40 (`faults` true: a shmem write fault each).
fn big_mapping(faults: bool) -> String {
    let pages = 100_000u64;
    let nsteps: u64 = std::env::var("NSTEPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let mut s = format!(
        "title = \"100,000 pages mapped\"\nprocs = [\"app\"]\n[machine]\nram = \"1 GiB\"\n\
         [[step]]\nproc = \"app\"\ndo = 'fd = shm_open(\"/big\", O_CREAT | O_RDWR, 0600)'\n\
         [[step]]\nproc = \"app\"\ndo = \"ftruncate(fd, {map})\"\n\
         [[step]]\nproc = \"app\"\ndo = \"p = mmap(NULL, {map}, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)\"\n\
         [[step]]\nproc = \"app\"\ndo = \"memset(p, 'x', {len})\"\n",
        map = (pages + nsteps) * 4096,
        len = pages * 4096
    );
    for i in 0..nsteps {
        let page = if faults { pages + i } else { i * 2477 % pages };
        let _ = write!(
            s,
            "[[step]]\nproc = \"app\"\ndo = \"p[{}] = 'y'\"\n",
            page * 4096
        );
    }
    s
}

/// A scenario of `n` steps writing pages of a small mapping in turn.
fn long_scenario(n: usize) -> String {
    let mut s = String::from(
        "title = \"a long scenario\"\nprocs = [\"app\"]\n[machine]\nram = \"16 MiB\"\n\
         [[step]]\nproc = \"app\"\ndo = \"p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)\"\n",
    );
    for i in 1..n {
        let _ = write!(
            s,
            "[[step]]\nproc = \"app\"\ndo = \"p[{}] = 'x'\"\n",
            (i % 16) * 4096 + i % 4000
        );
    }
    s
}

fn step_and_redraw(faults: bool) {
    let src = big_mapping(faults);
    let s = sim::scenario::load_str("big.toml", &src).expect("the bench scenario loads");
    let what = if faults {
        "a write fault"
    } else {
        "a store, no fault"
    };
    for view in [ViewKind::Mm, ViewKind::Cache, ViewKind::Frames] {
        let opts = Options {
            quizzes: false,
            view,
            ..Options::default()
        };
        let mut app = App::new(&s, &opts);
        app.goto(4);
        app.sync_views();
        render(&app, 120, 40);
        let (mut times, mut model, mut views) = (Vec::new(), Vec::new(), Vec::new());
        for n in 5..=s.steps.len() {
            let t0 = Instant::now();
            app.goto(n);
            model.push(t0.elapsed());
            app.sync_views();
            views.push(t0.elapsed());
            render(&app, 120, 40);
            times.push(t0.elapsed());
        }
        println!(
            "  of which the model's step (runner, observables): {:.3} ms, + the views built: {:.3} ms",
            median(model).as_secs_f64() * 1e3,
            median(views).as_secs_f64() * 1e3
        );
        report(
            &format!(
                "step ({what}) + redraw, 100,000 pages mapped ({} view)",
                view.name()
            ),
            median(times),
            2.0,
        );
    }
}

fn going_back() {
    let n = 100_000;
    let src = long_scenario(n);
    let t0 = Instant::now();
    let s = sim::scenario::load_str("long.toml", &src).expect("the bench scenario loads");
    let load = t0.elapsed();
    let opts = Options {
        quizzes: false,
        ..Options::default()
    };
    let mut app = App::new(&s, &opts);
    let t0 = Instant::now();
    app.goto(n);
    println!(
        "(a {n}-step scenario: loaded in {:.0} ms, played in {:.0} ms)",
        load.as_secs_f64() * 1e3,
        t0.elapsed().as_secs_f64() * 1e3
    );
    for back in [1, 10_000] {
        let mut times = Vec::new();
        for k in 0..15 {
            let from = n - k * 7;
            app.goto(from);
            app.sync_views();
            let t0 = Instant::now();
            app.goto(from - back);
            app.sync_views();
            times.push(t0.elapsed());
        }
        report(
            &format!("going back {back} step(s) in {n} (model and views)"),
            median(times),
            20.0,
        );
    }
}

/// `cargo bench -p shmsim-tui -- step` or `-- back` runs one of the two.
fn main() {
    let only: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if only.as_deref().is_none_or(|o| "step".contains(o)) {
        step_and_redraw(false);
        step_and_redraw(true);
    } else if only.as_deref() == Some("fault") {
        step_and_redraw(true);
    }
    if only.as_deref().is_none_or(|o| "back".contains(o)) {
        going_back();
    }
}
