//! The bundled scenarios (`scenarios/*.toml`), played on the kernel model.
//!
//! - every expectation of every scenario holds (a failure lists each broken
//!   one: file, step, observable, expected, seen), and the kernel's own
//!   invariants hold after every step;
//! - the transcript each scenario prints is its golden snapshot in
//!   `tests/snapshots/` (what students read; regenerate with
//!   `INSTA_UPDATE=always cargo test -p shmsim-suite --test scenarios` and
//!   read the diff as a teacher would);
//! - playing a scenario twice gives the same outcomes and states, byte for byte;
//! - the library is a teaching library: every step narrates (`say`), every
//!   scenario has a title and a short `about`, and some steps quiz.
//!
//! A scenario whose honest expectation the model does not meet yet is kept
//! as `NN-topic.toml.pending`: it is neither bundled nor played here.

mod common;

use sim::runner::{Run, StepOutcome};
use sim::scenario::{load_file, render_diagnostics, Scenario};
use sim::transcript::{self, Style};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// Every `scenarios/*.toml`, sorted by name.
fn scenario_files() -> Vec<PathBuf> {
    common::bundled().into_iter().map(|(p, _)| p).collect()
}

/// The file's stem: `01-posix-producer-consumer`.
fn stem(path: &Path) -> String {
    path.file_stem()
        .expect("a file name")
        .to_string_lossy()
        .into_owned()
}

/// Loads a scenario under the name the CLI shows (`scenarios/NAME.toml`),
/// failing with the rendered diagnostics if it does not load.
fn load(path: &Path) -> Scenario {
    let name = format!("scenarios/{}", path.file_name().unwrap().to_string_lossy());
    let text = std::fs::read_to_string(path).expect("readable scenario");
    match load_file(path) {
        Ok(mut s) => {
            s.file = name;
            s
        }
        Err(diags) => panic!(
            "{name} does not load:\n{}",
            render_diagnostics(&diags, &text, false)
        ),
    }
}

/// Plays a scenario step by step; after each step, the outcome and the
/// model's state as text.
fn play(s: &Scenario) -> Vec<(StepOutcome, String)> {
    let mut run = Run::new(s);
    let mut v = Vec::new();
    while let Some(o) = run.step() {
        if let Err(e) = run.kernel().check_invariants() {
            panic!(
                "{}: kernel invariants broken after step {} (`{}`):\n{e}",
                s.file, o.step, o.do_
            );
        }
        let state = transcript::state_text(&transcript::dump(run.kernel()));
        v.push((o, state));
    }
    v
}

#[test]
fn the_library_has_its_walkthroughs() {
    let names: BTreeSet<String> = scenario_files().iter().map(|p| stem(p)).collect();
    assert!(
        names.len() >= 13,
        "only {} scenarios in scenarios/",
        names.len()
    );
    for n in &names {
        let (num, topic) = n.split_once('-').unwrap_or(("", ""));
        assert!(
            num.len() == 2 && num.bytes().all(|b| b.is_ascii_digit()) && !topic.is_empty(),
            "scenario `{n}` is not named NN-topic.toml"
        );
    }
    let numbers: Vec<&str> = names.iter().map(|n| &n[..2]).collect();
    let unique: BTreeSet<&str> = numbers.iter().copied().collect();
    assert_eq!(
        numbers.len(),
        unique.len(),
        "two scenarios share a number: {numbers:?}"
    );
}

#[test]
fn every_step_narrates_and_every_scenario_introduces_itself() {
    let mut problems = Vec::new();
    let mut quizzes = 0;
    for path in scenario_files() {
        let s = load(&path);
        if s.title.value.trim().is_empty() {
            problems.push(format!("{}: empty title", s.file));
        }
        match &s.about {
            None => problems.push(format!("{}: no `about`", s.file)),
            Some(a) => {
                let lines = a.value.trim().lines().count();
                if !(2..=4).contains(&lines) {
                    problems.push(format!(
                        "{}: `about` has {lines} lines (2 to 4 wanted)",
                        s.file
                    ));
                }
            }
        }
        for st in &s.steps {
            if st.say.as_ref().is_none_or(|x| x.value.trim().is_empty()) {
                problems.push(format!(
                    "{}: step {} (`{}`) has no `say`",
                    s.file,
                    st.index + 1,
                    st.do_.value
                ));
            }
        }
        if s.steps.iter().any(|st| st.quiz.is_some()) {
            quizzes += 1;
        }
        if !s.steps.iter().any(|st| st.expect.is_some()) {
            problems.push(format!("{}: no step expects anything", s.file));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(quizzes >= 2, "only {quizzes} scenarios quiz the student");
}

#[test]
fn every_expectation_holds() {
    let files = scenario_files();
    assert!(!files.is_empty(), "no scenarios in scenarios/");
    let mut failed = Vec::new();
    let mut checked = 0;
    for path in &files {
        let s = load(path);
        for (o, _) in play(&s) {
            for c in &o.checks {
                checked += 1;
                if !c.ok {
                    failed.push(format!(
                        "{} step {} (`{}`): {} expected {:?}, seen {:?}",
                        s.file, o.step, o.do_, c.observable, c.expected, c.seen
                    ));
                }
            }
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {checked} expectations failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

#[test]
fn transcripts_match_their_golden_snapshots() {
    for path in scenario_files() {
        let s = load(&path);
        let outcomes: Vec<StepOutcome> = play(&s).into_iter().map(|(o, _)| o).collect();
        let text = transcript::text(&s, &outcomes, Style::new(false));
        assert!(
            !text.contains('\x1b'),
            "{}: colour codes in a plain transcript",
            s.file
        );
        insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(stem(&path), text);
        });
    }
}

#[test]
fn every_snapshot_belongs_to_a_scenario() {
    let names: BTreeSet<String> = scenario_files().iter().map(|p| stem(p)).collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut orphans = Vec::new();
    for e in rd {
        let p = e.expect("readable entry").path();
        let file = p.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(n) = file.strip_suffix(".snap") {
            if !names.contains(n) {
                orphans.push(file);
            }
        }
    }
    assert!(
        orphans.is_empty(),
        "snapshots of no scenario (renamed or .pending? delete them): {orphans:?}"
    );
}

/// Every `scenarios/*.toml.pending`: a scenario whose honest expectations
/// the model does not meet yet.
fn pending_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(scenarios_dir())
        .expect("scenarios/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".toml.pending"))
        .collect();
    v.sort();
    v
}

/// A pending scenario must still load (so it does not rot), and must still
/// fail: once the model meets it, it belongs in the bundled library.
#[test]
fn pending_scenarios_load_and_still_disagree() {
    let mut problems = Vec::new();
    for path in pending_files() {
        let name = format!("scenarios/{}", path.file_name().unwrap().to_string_lossy());
        let text = std::fs::read_to_string(&path).expect("readable scenario");
        let s = match sim::scenario::load_str(&name, &text) {
            Ok(s) => s,
            Err(diags) => {
                problems.push(render_diagnostics(&diags, &text, false));
                continue;
            }
        };
        let failed = play(&s)
            .iter()
            .flat_map(|(o, _)| &o.checks)
            .filter(|c| !c.ok)
            .count();
        if failed == 0 {
            problems.push(format!(
                "{name}: every expectation now holds; rename it to .toml and \
                 generate its snapshot (INSTA_UPDATE=always)"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn playing_twice_gives_the_same_run() {
    for path in scenario_files() {
        let s = load(&path);
        let render = |run: Vec<(StepOutcome, String)>| -> Vec<String> {
            run.into_iter()
                .map(|(o, state)| format!("{o:?}\n{state}"))
                .collect()
        };
        let a = render(play(&s));
        let b = render(play(&s));
        assert_eq!(a.len(), b.len(), "{}: step counts differ", s.file);
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert!(
                x == y,
                "{}: step {} differs between two runs:\n--- first\n{x}\n--- second\n{y}",
                s.file,
                i + 1
            );
        }
    }
}

/// The literal arguments of a shell step as the runner evaluates them: a
/// string is its text, an integer its digits; a `Proc` argument names a
/// live process of `k` by its `comm`. `None` when an argument is not a
/// literal (a name bound earlier: the runner's own evaluation, which the
/// golden snapshots cover).
fn literal_shell_args(
    k: &sim::kernel::Kernel,
    sys: sim::syscalls::Sys,
    args: &[sim::scenario::ast::Expr],
) -> Option<sim::syscalls::ShellArgs> {
    use sim::scenario::ast::ExprKind;
    use sim::scenario::calls::ArgKind;
    let mut a = sim::syscalls::ShellArgs::default();
    for (i, e) in args.iter().enumerate() {
        let (text, int) = match &e.kind {
            ExprKind::Str(s) => (s.text(), 0),
            ExprKind::Int(n) => (n.to_string(), *n),
            _ => return None,
        };
        if sys.sig().params.get(i).map(|p| p.kind) == Some(ArgKind::Proc) {
            let pid = k
                .tasks
                .iter()
                .find(|(_, t)| t.comm == text)
                .map(|(p, _)| p)?;
            a.proc_ = Some((pid, text.clone()));
        }
        a.texts.push(text);
        a.ints.push(int);
    }
    Some(a)
}

/// Every machine-wide and look step is a shell step, run by the kernel
/// function its declaration names: called on the machine as it stood
/// before the step, that function gives the step's result and prints what
/// the step printed in the transcript (`| ...` lines of the snapshots), for
/// every such step of the bundled scenarios whose arguments are literals.
#[test]
fn shell_steps_print_what_their_declared_kernel_function_prints() {
    use sim::scenario::calls::Scope;
    use sim::syscalls::{ShellOut, Sys, CALLS};
    for c in CALLS {
        let shell = matches!(c.scope, Scope::Machine | Scope::Look);
        assert_eq!(
            c.sys.is_shell(),
            shell,
            "{}: a shell step exactly when no process makes it",
            c.name
        );
    }
    let mut seen = BTreeSet::new();
    for path in scenario_files() {
        let s = load(&path);
        let mut run = Run::new(&s);
        loop {
            let step = s.steps.get(run.done());
            let call = step
                .filter(|st| st.proc.is_none())
                .and_then(|st| st.stmt.kind.call());
            let direct = call.and_then(|call| {
                let sys = Sys::named(&call.name.name).expect("a call of the table");
                let a = literal_shell_args(run.kernel(), sys, &call.args)?;
                let mut k = run.kernel().clone();
                Some((sys, sys.shell_on_kernel(&mut k, &a).expect("declared")))
            });
            let Some(o) = run.step() else { break };
            let Some((sys, done)) = direct else { continue };
            let (ret, errno, out) = match done {
                ShellOut::Ret(r) => (r, None, String::new()),
                ShellOut::Errno(e) => (-1, Some(e), String::new()),
                ShellOut::Printed { text, status } => (status, None, text),
                ShellOut::SimOnly => panic!("{}: the model does every shell step", s.file),
            };
            let at = format!("{} step {} `{}`", s.file, o.step, o.do_);
            assert_eq!(o.result.ret, Some(ret), "{at}: ret");
            assert_eq!(o.result.errno, errno, "{at}: errno");
            assert_eq!(o.out, out, "{at}: what it printed");
            seen.insert(sys.name());
        }
    }
    // The bundled scenarios show these through their declared functions.
    for tool in ["free", "df", "ipcs", "cat", "ls", "pmap", "sysctl"] {
        assert!(
            seen.contains(tool),
            "no bundled scenario runs `{tool}` with literal arguments"
        );
    }
}
