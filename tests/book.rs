//! The book is generated from the scenarios and its links resolve.
//!
//! - Every generated file and region (listings, frames, tables, plots, the
//!   README's example, the TUI's key table) is what shmsim makes now; when
//!   not, the failure names the one command that regenerates them all,
//!   `cargo run --release -- book`. The generator runs in-process here.
//! - Every local link and `#anchor` of `book/src/*.md` names a page and a
//!   heading that exist (as mdBook makes heading ids), and every image a
//!   file; with `SHMSIM_BOOK_HTML=book/book` (CI sets it after `mdbook
//!   build book`) the built HTML's links and anchors are checked too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn every_generated_file_is_what_shmsim_makes_now() {
    let stale = shmsim_tui::book::stale(Path::new(ROOT)).expect("the book generates");
    assert!(
        stale.is_empty(),
        "the book is stale:\n  {}\nregenerate it with `{}` (and commit the result)",
        stale.join("\n  "),
        shmsim_tui::book::COMMAND
    );
}

#[test]
fn every_bundled_scenario_has_its_walkthrough_notes_and_lesson() {
    let root = Path::new(ROOT);
    for b in shmsim_tui::book::scenarios(root).expect("the scenarios load") {
        for path in [
            format!("book/notes/{}.md", b.stem),
            format!("book/src/walk/{}.md", b.stem),
            format!("book/src/teach/{}.md", b.stem),
            shmsim_tui::book::host::path(&b.stem),
        ] {
            assert!(root.join(&path).is_file(), "{path} is missing");
        }
        let page = std::fs::read_to_string(root.join(format!("book/src/walk/{}.md", b.stem)))
            .expect("the walkthrough reads");
        assert!(
            !page.contains("yet: write it in"),
            "book/notes/{}.md lacks a section the walkthrough needs",
            b.stem
        );
    }
}

#[test]
fn the_host_pages_say_on_which_kernel_they_were_taken() {
    let root = Path::new(ROOT);
    for b in shmsim_tui::book::scenarios(root).expect("the scenarios load") {
        let path = shmsim_tui::book::host::path(&b.stem);
        let text = std::fs::read_to_string(root.join(&path)).expect("generated");
        assert!(
            text.starts_with("Taken on Linux ") || text == shmsim_tui::book::host::not_taken(),
            "{path} neither names its kernel nor says it was not taken"
        );
    }
}

/// mdBook's heading id: lowercase letters, digits, `-` and `_`; spaces
/// become `-`, everything else goes (`mdbook::utils::normalize_id`).
fn normalize_id(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c.to_ascii_lowercase())
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// The heading ids of a Markdown page (duplicates numbered as mdBook does).
fn md_ids(text: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut ids = BTreeSet::new();
    let mut fence = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fence = !fence;
        }
        if fence || !line.starts_with('#') {
            continue;
        }
        let id = normalize_id(line.trim_start_matches('#').trim());
        let n = seen.entry(id.clone()).or_insert(0);
        ids.insert(if *n == 0 {
            id.clone()
        } else {
            format!("{id}-{n}")
        });
        *n += 1;
    }
    ids
}

/// The targets of `[text](target)` and `![alt](target)` outside code.
fn md_links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fence = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fence = !fence;
            continue;
        }
        if fence {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let Some(j) = after.find(')') else { break };
            out.push(after[..j].to_string());
            rest = &after[j..];
        }
    }
    out
}

fn local(target: &str) -> bool {
    !(target.contains("://") || target.starts_with("mailto:") || target.is_empty())
}

/// `{{#include FILE}}` lines of a page, resolved, so that headings and
/// links of included files count where they land.
fn expand(page: &Path) -> String {
    let text = std::fs::read_to_string(page).expect("a page reads");
    let mut out = String::new();
    for line in text.lines() {
        match line
            .trim()
            .strip_prefix("{{#include ")
            .and_then(|r| r.strip_suffix("}}"))
        {
            Some(inc) => {
                let p = page.parent().expect("in a folder").join(inc.trim());
                let body = std::fs::read_to_string(&p)
                    .unwrap_or_else(|e| panic!("{}: {{{{#include {inc}}}}}: {e}", page.display()));
                out.push_str(&body);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("a folder reads").flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

/// Checks every local link of `pages` (path, text, its ids): the file
/// exists and the anchor is one of its ids.
fn check_links(
    pages: &BTreeMap<PathBuf, (String, BTreeSet<String>)>,
    links: fn(&str) -> Vec<String>,
) -> Vec<String> {
    let mut bad = Vec::new();
    for (page, (text, ids)) in pages {
        for t in links(text).into_iter().filter(|t| local(t)) {
            let (file, anchor) = t.split_once('#').unwrap_or((&t, ""));
            let target = if file.is_empty() {
                page.clone()
            } else {
                page.parent().expect("in a folder").join(file)
            };
            let target = normalize(&target);
            let ok = if anchor.is_empty() {
                target.exists()
            } else if target == *page {
                ids.contains(anchor)
            } else {
                pages
                    .get(&target)
                    .is_some_and(|(_, ids)| ids.contains(anchor))
            };
            if !ok {
                bad.push(format!("{}: {t}", page.display()));
            }
        }
    }
    bad
}

/// `a/b/../c` as `a/c`, without touching the file system.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

#[test]
fn every_link_and_anchor_of_the_sources_resolves() {
    let src = Path::new(ROOT).join("book/src");
    let mut list = Vec::new();
    files(&src, "md", &mut list);
    let pages: BTreeMap<PathBuf, (String, BTreeSet<String>)> = list
        .iter()
        .filter(|p| !p.starts_with(src.join("gen/host")))
        .map(|p| {
            let text = expand(p);
            let ids = md_ids(&text);
            (normalize(p), (text, ids))
        })
        .collect();
    assert!(pages.len() > 40, "the book has its pages");
    let bad = check_links(&pages, md_links);
    assert!(
        bad.is_empty(),
        "links that go nowhere:\n  {}",
        bad.join("\n  ")
    );
}

/// `href="..."` and `src="..."` of an HTML page.
fn html_links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        let mut rest = text;
        while let Some(i) = rest.find(attr) {
            let after = &rest[i + attr.len()..];
            let Some(j) = after.find('"') else { break };
            out.push(after[..j].to_string());
            rest = &after[j..];
        }
    }
    out
}

fn html_ids(text: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find(" id=\"") {
        let after = &rest[i + 5..];
        let Some(j) = after.find('"') else { break };
        ids.insert(after[..j].to_string());
        rest = &after[j..];
    }
    ids
}

#[test]
fn every_link_and_anchor_of_the_built_book_resolves() {
    let Some(dir) = std::env::var_os("SHMSIM_BOOK_HTML") else {
        eprintln!("SHMSIM_BOOK_HTML is not set: the built HTML is checked in CI, after `mdbook build book`");
        return;
    };
    let dir = Path::new(ROOT).join(dir);
    let mut list = Vec::new();
    files(&dir, "html", &mut list);
    assert!(!list.is_empty(), "{} holds a built book", dir.display());
    // 404.html links from the site's root; print.html repeats every page.
    let pages: BTreeMap<PathBuf, (String, BTreeSet<String>)> = list
        .iter()
        .filter(|p| !p.ends_with("404.html"))
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("a page reads");
            let ids = html_ids(&text);
            (normalize(p), (text, ids))
        })
        .collect();
    let bad = check_links(&pages, |t| {
        html_links(t)
            .into_iter()
            .map(|l| l.split('?').next().unwrap_or("").to_string())
            .collect()
    });
    assert!(
        bad.is_empty(),
        "links that go nowhere:\n  {}",
        bad.join("\n  ")
    );
}

#[test]
fn the_link_checker_sees_a_missing_page_and_a_missing_anchor() {
    let page = normalize(&Path::new(ROOT).join("book/src/x.md"));
    let text = "# A `b` c\n[ok](#a-b-c) [gone](nowhere.md) [no](#nope) [web](https://x.org)\n";
    let pages = BTreeMap::from([(page.clone(), (text.to_string(), md_ids(text)))]);
    let bad = check_links(&pages, md_links);
    assert_eq!(bad.len(), 2, "{bad:?}");
}
