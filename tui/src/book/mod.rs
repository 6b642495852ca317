//! The book's generated content: every listing, frame, table and plot in
//! `book/`, and the README's example, made from the bundled scenarios by
//! the same code that the command line and the TUI run.
//!
//! One command writes all of it: `cargo run --release -- book` (the
//! `shmsim book` subcommand, [`write`]); `tests/book.rs` calls [`stale`]
//! and fails, naming that command, when a file differs from what shmsim
//! produces now. Two kinds of output:
//!
//! - whole files, under `book/src/walk/`, `book/src/teach/`,
//!   `book/src/frames/` and `book/src/gen/`: these folders belong to the
//!   generator, and a file in them that it does not produce is stale too;
//! - regions of hand-written pages (`README.md`, `book/src/*.md`), between
//!   `<!-- generated: ID ... -->` and `<!-- end of generated -->`.
//!
//! The prose of a walkthrough (the seed's claim, the question, the learning
//! goal, the exercises) is written by hand in `book/notes/NN-name.md`; the
//! generator puts it around what the scenario shows. What the host kernel
//! showed (`book/src/gen/host/`) is taken only by `shmsim book --real`, as
//! root on Linux: it depends on the host, so it is kept as taken and never
//! compared (see [`host`]).

mod exercise;
pub mod host;
mod notes;
mod pages;
mod plot;
mod tables;

use sim::scenario::{self, Scenario};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The command that regenerates everything, as the check names it.
pub const COMMAND: &str = "cargo run --release -- book";

/// The folders whose every file the generator owns.
pub const OWNED: &[&str] = &[
    "book/src/walk",
    "book/src/teach",
    "book/src/frames",
    "book/src/gen",
];

/// Where a region ends.
pub const END: &str = "<!-- end of generated -->";

/// One generated thing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// A whole file, relative to the repository's root.
    File { path: String, text: String },
    /// The text between a region's markers in a hand-written file.
    Region {
        path: String,
        id: String,
        text: String,
    },
}

impl Output {
    fn path(&self) -> &str {
        match self {
            Output::File { path, .. } | Output::Region { path, .. } => path,
        }
    }
}

fn file(path: impl Into<String>, text: impl Into<String>) -> Output {
    Output::File {
        path: path.into(),
        text: text.into(),
    }
}

fn region(path: &str, id: &str, text: impl Into<String>) -> Output {
    Output::Region {
        path: path.into(),
        id: id.into(),
        text: text.into(),
    }
}

/// A bundled scenario as the book uses it.
pub struct Bundled {
    /// `01-posix-producer-consumer`.
    pub stem: String,
    /// The scenario.
    pub scenario: Scenario,
    /// Its notes (`book/notes/STEM.md`), empty sections when it has none.
    notes: notes::Notes,
}

/// The scenarios in `ROOT/scenarios/`, in name order, with their notes.
pub fn scenarios(root: &Path) -> Result<Vec<Bundled>, String> {
    let dir = root.join("scenarios");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for n in names {
        let rel = format!("scenarios/{n}");
        let text = std::fs::read_to_string(root.join(&rel)).map_err(|e| format!("{rel}: {e}"))?;
        let s = scenario::load_str(&rel, &text).map_err(|d| {
            format!(
                "{}{rel}: does not load",
                scenario::render_diagnostics(&d, &text, false)
            )
        })?;
        let stem = n.trim_end_matches(".toml").to_string();
        let notes = notes::Notes::read(root, &stem)?;
        out.push(Bundled {
            stem,
            scenario: s,
            notes,
        });
    }
    Ok(out)
}

/// Everything the book generates, from the tree at `root`.
pub fn generate(root: &Path) -> Result<Vec<Output>, String> {
    let all = scenarios(root)?;
    let mut out = Vec::new();
    for b in &all {
        out.extend(pages::walkthrough(b)?);
        out.push(pages::lesson(b));
        if !root.join(host::path(&b.stem)).exists() {
            out.push(file(host::path(&b.stem), host::not_taken()));
        }
    }
    out.push(pages::summary(&all));
    out.push(pages::lessons_index(&all));
    out.extend(pages::pictures(&all));
    out.extend(pages::listings(&all)?);
    out.extend(tables::all());
    out.push(region(
        "book/src/tui.md",
        "keys",
        crate::app::keys::markdown(),
    ));
    Ok(out)
}

/// What differs between the tree at `root` and what [`generate`] makes
/// now: one line per stale file, region or orphan.
pub fn stale(root: &Path) -> Result<Vec<String>, String> {
    let outs = generate(root)?;
    let mut bad = Vec::new();
    for o in &outs {
        let now = std::fs::read_to_string(root.join(o.path())).unwrap_or_default();
        match o {
            Output::File { path, text } if &now != text => bad.push(format!("{path}: differs")),
            Output::Region { path, id, text } => match splice(&now, id, text) {
                Ok(new) if new != now => bad.push(format!("{path}: region {id} differs")),
                Ok(_) => {}
                Err(e) => bad.push(format!("{path}: {e}")),
            },
            _ => {}
        }
    }
    for orphan in orphans(root, &outs) {
        bad.push(format!("{orphan}: no longer generated"));
    }
    Ok(bad)
}

/// Writes everything [`generate`] makes and removes the orphans; returns
/// the files it changed.
pub fn write(root: &Path) -> Result<Vec<String>, String> {
    let outs = generate(root)?;
    let mut changed = Vec::new();
    for o in &outs {
        let path = root.join(o.path());
        let now = std::fs::read_to_string(&path).unwrap_or_default();
        let new = match o {
            Output::File { text, .. } => text.clone(),
            Output::Region { id, text, .. } => {
                splice(&now, id, text).map_err(|e| format!("{}: {e}", o.path()))?
            }
        };
        if new != now {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            std::fs::write(&path, new).map_err(|e| format!("{}: {e}", path.display()))?;
            changed.push(o.path().to_string());
        }
    }
    for orphan in orphans(root, &outs) {
        std::fs::remove_file(root.join(&orphan)).map_err(|e| format!("{orphan}: {e}"))?;
        changed.push(orphan);
    }
    Ok(changed)
}

/// Files in the generator's folders that it no longer makes (the host
/// kernel's verdicts are kept while their scenario exists).
fn orphans(root: &Path, outs: &[Output]) -> Vec<String> {
    let made: BTreeSet<&str> = outs.iter().map(Output::path).collect();
    let mut found = Vec::new();
    for dir in OWNED {
        walk(&root.join(dir), &mut found);
    }
    let mut out: Vec<String> = found
        .into_iter()
        .filter_map(|p| {
            let rel = p
                .strip_prefix(root)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            let kept = rel.starts_with("book/src/gen/host/") && host::is_kept(root, &rel);
            (!made.contains(rel.as_str()) && !kept).then_some(rel)
        })
        .collect();
    out.sort();
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The begin marker of region `id`.
pub fn begin(id: &str) -> String {
    format!("<!-- generated: {id} (regenerate: {COMMAND}) -->\n")
}

/// `page` with region `id`'s text replaced by `text`.
fn splice(page: &str, id: &str, text: &str) -> Result<String, String> {
    let b = begin(id);
    let (head, rest) = page
        .split_once(&b)
        .ok_or_else(|| format!("no marker {:?}", b.trim_end()))?;
    let (_, tail) = rest
        .split_once(END)
        .ok_or_else(|| format!("region {id} has no {END:?}"))?;
    Ok(format!("{head}{b}{text}{END}{tail}"))
}

/// The repository's root: the nearest folder, from `start` up, that holds
/// `book/book.toml` and `scenarios/`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join("book/book.toml").is_file() && d.join("scenarios").is_dir())
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_is_replaced_between_its_markers_only() {
        let page = format!("a\n{}old\n{END}\nb\n", begin("x"));
        let new = splice(&page, "x", "new\n").unwrap();
        assert_eq!(new, format!("a\n{}new\n{END}\nb\n", begin("x")));
        assert!(splice(&page, "y", "new\n").is_err());
    }
}
