//! The classroom TUI driven by key scripts, without a terminal, as a
//! student would drive it: step forward and back and see the same screens
//! both ways, answer quizzes right and wrong, switch views, go to a step,
//! click. And every bundled scenario, at every step, in every view, at
//! 80x24, 120x40 and 20x8, draws without a panic.

mod common;

use shmsim_tui::app::keys::script;
use shmsim_tui::app::svg::text;
use shmsim_tui::app::theme::ThemeName;
use shmsim_tui::app::views::ViewKind;
use shmsim_tui::app::{render, App, Flow, Options};
use sim::scenario::load_str;

use common::tui::scenario;

fn screen(app: &App, w: u16, h: u16) -> String {
    text(&render(app, w, h))
}

/// Presses `keys` (a key script), drawing after each as the TUI does.
fn press(app: &mut App, keys: &str) -> Flow {
    for k in script(keys).expect("a valid key script") {
        render(app, 120, 40);
        if app.key(k) == Flow::Quit {
            return Flow::Quit;
        }
    }
    render(app, 120, 40);
    Flow::Continue
}

fn no_quiz() -> Options {
    Options {
        quizzes: false,
        ..Options::default()
    }
}

#[test]
fn forward_and_back_give_the_same_screens_in_every_bundled_scenario() {
    for (path, src) in common::bundled() {
        let s = load_str(&path.to_string_lossy(), &src).expect("loads");
        for view in [ViewKind::Cache, ViewKind::Mm] {
            let opts = Options { view, ..no_quiz() };
            let mut app = App::new(&s, &opts);
            let mut forward = vec![screen(&app, 120, 40)];
            for _ in 0..s.steps.len() {
                press(&mut app, "l");
                forward.push(screen(&app, 120, 40));
            }
            assert_eq!(app.pos(), s.steps.len());
            for n in (0..s.steps.len()).rev() {
                press(&mut app, "h");
                assert_eq!(app.pos(), n);
                assert_eq!(
                    screen(&app, 120, 40),
                    forward[n],
                    "{}: step {n} in {view:?} reads differently going back",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn a_quiz_hides_the_result_until_it_is_answered_right() {
    let s = scenario("01-");
    let q = s
        .steps
        .iter()
        .position(|st| st.quiz.is_some())
        .expect("01 has a quiz")
        + 1;
    let quiz = s.steps[q - 1].quiz.as_ref().expect("a quiz");
    let mut app = App::new(&s, &Options::default());
    for _ in 0..q {
        press(&mut app, "l");
    }
    let asked = screen(&app, 120, 40);
    assert!(
        asked.contains(&format!("Quiz: {}", &quiz.ask.value[..20])),
        "{asked}"
    );
    assert!(asked.contains("Answer with 1-"), "{asked}");
    assert!(asked.contains("= ?"), "the result must be hidden:\n{asked}");
    assert!(
        !asked.contains("changed:"),
        "the changes must be hidden:\n{asked}"
    );
    // Stepping on is held until the student answers.
    press(&mut app, "l");
    assert_eq!(app.pos(), q, "a pending quiz holds the step");
    press(&mut app, &quiz.answer.value.to_string());
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("Right:"), "{shown}");
    assert!(!shown.contains("= ?"), "{shown}");
    assert_eq!(app.score(), (1, 1));
    assert!(shown.contains("quiz 1 of 1 right"), "{shown}");
}

#[test]
fn a_wrong_answer_shows_the_right_choice() {
    let s = scenario("01-");
    let q = s
        .steps
        .iter()
        .position(|st| st.quiz.is_some())
        .expect("a quiz")
        + 1;
    let quiz = s.steps[q - 1].quiz.as_ref().expect("a quiz");
    let wrong = if quiz.answer.value == 1 { 2 } else { 1 };
    let mut app = App::new(&s, &Options::default());
    press(&mut app, &"l ".repeat(q));
    press(&mut app, &wrong.to_string());
    let shown = screen(&app, 120, 40);
    assert!(
        shown.contains(&format!("Not quite: the answer is {})", quiz.answer.value)),
        "{shown}"
    );
    assert!(shown.contains(&format!("✗ {wrong})")), "{shown}");
    assert!(
        shown.contains(&format!("✓ {})", quiz.answer.value)),
        "{shown}"
    );
    assert_eq!(app.score(), (0, 1));
    // The answer is kept: going back and forth shows it again, not the question.
    press(&mut app, "h l");
    assert!(screen(&app, 120, 40).contains("Not quite"));
}

#[test]
fn quizzes_off_show_every_result_at_once() {
    let s = scenario("01-");
    let mut app = App::new(&s, &Options::default());
    press(&mut app, "z End");
    let shown = screen(&app, 120, 40);
    assert!(!shown.contains("= ?"), "{shown}");
    assert!(shown.contains("quizzes off"), "{shown}");
}

#[test]
fn go_to_a_step_by_number_and_refuse_one_past_the_end() {
    let s = scenario("12-");
    let mut app = App::new(&s, &no_quiz());
    press(&mut app, "g 1 1 Enter");
    assert_eq!(app.pos(), 11);
    assert!(screen(&app, 120, 40).contains("Step 11 of"));
    press(&mut app, "g 9 9 Enter");
    assert_eq!(app.pos(), 11, "there is no step 99");
    assert!(screen(&app, 120, 40).contains("steps go from 0 to"));
    press(&mut app, "g 3 Backspace 4 Enter");
    assert_eq!(app.pos(), 4);
    press(&mut app, "Home");
    assert_eq!(app.pos(), 0);
    press(&mut app, "End");
    assert_eq!(app.pos(), s.steps.len());
}

#[test]
fn views_switch_by_letter_and_by_tab() {
    let s = scenario("12-");
    let mut app = App::new(&s, &no_quiz());
    let keys = [
        ("c", ViewKind::Cache),
        ("m", ViewKind::Mm),
        ("f", ViewKind::Frames),
        ("s", ViewKind::Swap),
        ("v", ViewKind::Sysv),
        ("i", ViewKind::Counters),
    ];
    for (k, v) in keys {
        press(&mut app, k);
        assert_eq!(app.view, v);
        let shown = screen(&app, 120, 40);
        assert!(
            shown.contains(&format!("┌ {}", v.name())),
            "{v:?}:\n{shown}"
        );
    }
    press(&mut app, "Tab");
    assert_eq!(app.view, ViewKind::Cache, "Tab wraps around");
    press(&mut app, "BackTab");
    assert_eq!(app.view, ViewKind::Counters);
}

#[test]
fn the_help_lists_every_key_of_the_table() {
    let s = scenario("01-");
    let mut app = App::new(&s, &no_quiz());
    press(&mut app, "?");
    let shown = screen(&app, 120, 40);
    for b in shmsim_tui::app::keys::BINDINGS {
        assert!(shown.contains(b.keys), "help lacks {:?}:\n{shown}", b.keys);
    }
    press(&mut app, "l");
    assert_eq!(
        app.pos(),
        0,
        "keys other than ? and Esc do nothing under the help"
    );
    press(&mut app, "Esc");
    assert!(!app.help);
    assert_eq!(press(&mut app, "q"), Flow::Quit);
}

#[test]
fn a_click_on_a_step_goes_to_it_and_on_a_tab_shows_its_view() {
    use shmsim_tui::app::keys::mouse_click as click;
    let s = scenario("12-");
    let mut app = App::new(&s, &no_quiz());
    render(&app, 120, 40);
    let prog = app.areas.borrow().program;
    // Before the first step the first line says so; the third line is step 2.
    app.mouse(click(prog.x + 3, prog.y + 2));
    assert_eq!(app.pos(), 2);
    render(&app, 120, 40);
    let (tab, kind) = app.areas.borrow().tabs[2];
    app.mouse(click(tab.x + 1, tab.y));
    assert_eq!(app.view, kind);
}

#[test]
fn a_fatal_signal_reads_as_the_shell_would_report_it() {
    let s = scenario("05-");
    let mut app = App::new(&s, &no_quiz());
    let n = (1..=s.steps.len())
        .find(|&n| {
            app.goto(n);
            app.outcome().is_some_and(|o| o.result.signal.is_some())
        })
        .expect("05 ends in SIGSEGV");
    app.goto(n);
    app.sync_views();
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("SIGSEGV"), "{shown}");
    assert!(shown.contains("Segmentation fault"), "{shown}");
}

#[test]
fn every_scenario_every_step_every_view_every_size_draws() {
    for (path, src) in common::bundled() {
        let s = load_str(&path.to_string_lossy(), &src).expect("loads");
        for theme in [ThemeName::Dark, ThemeName::Mono] {
            for view in ViewKind::ALL {
                let opts = Options {
                    view,
                    theme,
                    ..no_quiz()
                };
                let mut app = App::new(&s, &opts);
                for n in 0..=s.steps.len() {
                    app.goto(n);
                    app.sync_views();
                    for (w, h) in [(80, 24), (120, 40), (20, 8)] {
                        let t = screen(&app, w, h);
                        assert_eq!(t.lines().count(), usize::from(h), "{}", path.display());
                    }
                }
            }
        }
    }
}

#[test]
fn a_window_too_small_says_how_big_it_must_be() {
    let s = scenario("01-");
    let app = App::new(&s, &no_quiz());
    let t = screen(&app, 20, 8);
    assert!(t.contains("at least"), "{t}");
    assert!(t.replace('\n', " ").contains("60x16"), "{t}");
}

#[test]
fn frames_are_deterministic() {
    let s = scenario("12-");
    let draw = || {
        let mut app = App::new(&s, &no_quiz());
        press(&mut app, "l l l l l l l w");
        (
            screen(&app, 120, 40),
            shmsim_tui::app::svg::svg(&render(&app, 120, 40), false),
        )
    };
    assert_eq!(draw(), draw());
}

/// On an 80x24 screen the step's details do not fit: the bottom border says
/// what is below ("changed", "kernel"), and `J` brings each section's
/// heading to the top, one key per section, `K` back.
#[test]
fn a_short_screen_names_what_is_below_and_j_jumps_to_it() {
    let s = scenario("01");
    let mut app = App::new(&s, &Options::default());
    let draw = |app: &mut App| text(&render(app, 80, 24));
    for k in script("l l l l l 3").unwrap() {
        draw(&mut app);
        app.key(k);
    }
    let first = draw(&mut app);
    let detail_row = |screen: &str, row: usize| -> String {
        let line = screen.lines().nth(row).unwrap_or("");
        line.chars().skip(37).collect::<String>()
    };
    assert!(
        first
            .lines()
            .nth(11)
            .unwrap()
            .contains("more: changed, expect, kernel · J"),
        "{first}"
    );
    app.key(script("J").unwrap()[0]);
    let at_changes = draw(&mut app);
    assert!(
        detail_row(&at_changes, 2).starts_with("changed:"),
        "{at_changes}"
    );
    app.key(script("J").unwrap()[0]);
    let at_checks = draw(&mut app);
    assert!(
        detail_row(&at_checks, 2).starts_with("✓ expect"),
        "{at_checks}"
    );
    app.key(script("J").unwrap()[0]);
    let at_kernel = draw(&mut app);
    assert!(
        detail_row(&at_kernel, 2).starts_with("kernel:"),
        "the expectations are one section, not one per line: {at_kernel}"
    );
    app.key(script("K").unwrap()[0]);
    assert_eq!(draw(&mut app), at_checks, "K goes back a section");
    app.key(script("K").unwrap()[0]);
    assert_eq!(draw(&mut app), at_changes, "K goes back a section");
}

/// A scenario that does not load shows its diagnostics laid out as `shmsim
/// check` prints them: the caret under the column the error names, at any
/// width.
#[test]
fn the_does_not_load_screen_keeps_the_caret_under_the_column() {
    let dir = std::env::temp_dir().join(format!("shmsim-broken-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(
        &path,
        "title = \"bad\"\nprocs = [\"a\"]\n[[step]]\nproc = \"a\"\ndo = \"frob(1)\"\n",
    )
    .unwrap();
    let err = shmsim_tui::bundled::load(path.to_str().unwrap()).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    let th = shmsim_tui::app::theme::Theme::new(ThemeName::Dark);
    for (w, h) in [(80, 24), (120, 40)] {
        let backend = ratatui::backend::TestBackend::new(w, h);
        let mut t = ratatui::Terminal::new(backend).unwrap();
        t.draw(|f| shmsim_tui::app::picker::draw_broken(f, &th, &err, false))
            .unwrap();
        let screen = text(t.backend().buffer());
        let lines: Vec<&str> = screen.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.contains("do = \"frob(1)\""))
            .unwrap_or_else(|| panic!("{w}x{h}: the source line is shown:\n{screen}"));
        let col = |l: &str, pat: &str| l.find(pat).map(|b| l[..b].chars().count());
        assert_eq!(
            col(lines[at + 1], "^^^^"),
            col(lines[at], "frob"),
            "{w}x{h}: the caret is under `frob`:\n{screen}"
        );
        assert!(
            screen.contains(" --> "),
            "{w}x{h}: the location line keeps its indent:\n{screen}"
        );
    }
}
