//! Screen snapshots of the classroom TUI (insta): every view on a bundled
//! scenario at a step that shows it at work, at 80x24 and 120x40, as text;
//! and the styled cells (as the SVG `shmsim frame` writes) in the
//! projector and mono (NO_COLOR) themes, where meaning must not rest on
//! colour. `cargo insta review` after a change that is meant.

mod common;

use shmsim_tui::app::svg::{svg, text};
use shmsim_tui::app::theme::ThemeName;
use shmsim_tui::app::views::ViewKind;
use shmsim_tui::app::{render, App, Options};
use sim::scenario::Scenario;

use common::tui::scenario;

/// (view, scenario, step): a step where the view has something to show.
const SHOTS: [(ViewKind, &str, usize); 6] = [
    (ViewKind::Cache, "12-", 7),
    (ViewKind::Mm, "03-", 4),
    (ViewKind::Frames, "14-", 6),
    (ViewKind::Swap, "12-", 7),
    (ViewKind::Sysv, "08-", 5),
    (ViewKind::Counters, "10-", 4),
];

fn app<'s>(s: &'s Scenario, view: ViewKind, step: usize, theme: ThemeName) -> App<'s> {
    let opts = Options {
        step,
        view,
        theme,
        quizzes: false,
        ..Options::default()
    };
    App::new(s, &opts)
}

#[test]
fn every_view_as_text_at_80x24_and_120x40() {
    for (view, prefix, step) in SHOTS {
        let s = scenario(prefix);
        let a = app(&s, view, step, ThemeName::Dark);
        for (w, h) in [(80, 24), (120, 40)] {
            let name = format!(
                "tui-{}-{}-step{step}-{w}x{h}",
                view.name(),
                prefix.trim_end_matches('-')
            );
            insta::with_settings!({ snapshot_path => "snapshots/tui", prepend_module_to_snapshot => false, omit_expression => true }, {
                insta::assert_snapshot!(name, text(&render(&a, w, h)));
            });
        }
    }
}

#[test]
fn styled_cells_in_the_projector_and_mono_themes() {
    for theme in [ThemeName::Projector, ThemeName::Mono] {
        for (view, prefix, step) in [SHOTS[0], SHOTS[1]] {
            let s = scenario(prefix);
            let a = app(&s, view, step, theme);
            let name = format!(
                "tui-{}-{}-{}-80x24.svg",
                theme.name(),
                view.name(),
                prefix.trim_end_matches('-')
            );
            let picture = svg(&render(&a, 80, 24), false);
            if theme == ThemeName::Mono {
                let colours: Vec<&str> = picture
                    .split("fill=\"")
                    .skip(1)
                    .map(|f| &f[..7])
                    .filter(|c| !matches!(*c, "#1c1c1c" | "#e5e5e5"))
                    .collect();
                assert!(colours.is_empty(), "mono drew colours {colours:?}");
            }
            insta::with_settings!({ snapshot_path => "snapshots/tui", prepend_module_to_snapshot => false, omit_expression => true }, {
                insta::assert_snapshot!(name, picture);
            });
        }
    }
}
