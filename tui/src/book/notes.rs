//! The hand-written part of a walkthrough: `book/notes/STEM.md`, sections
//! `## Claim`, `## Question`, `## Goal`, `## Exercises` and, optionally,
//! `## Frames` (one `STEP VIEW` a line: the frames to draw, in place of the
//! generator's choice).

use crate::app::views::ViewKind;
use std::path::Path;

/// The notes of one scenario.
#[derive(Clone, Debug, Default)]
pub struct Notes {
    /// The seed article's claim this scenario tests, and where it says it.
    pub claim: String,
    /// The question the claim raises for a student.
    pub question: String,
    /// What a student should be able to explain afterwards.
    pub goal: String,
    /// "Predict, then run": changes to make and what to predict.
    pub exercises: String,
    /// The frames to draw: (step, view).
    pub frames: Option<Vec<(usize, ViewKind)>>,
}

impl Notes {
    /// The path of `stem`'s notes.
    pub fn path(stem: &str) -> String {
        format!("book/notes/{stem}.md")
    }

    /// Reads `stem`'s notes (empty ones when there is no file).
    pub fn read(root: &Path, stem: &str) -> Result<Notes, String> {
        let rel = Notes::path(stem);
        let Ok(text) = std::fs::read_to_string(root.join(&rel)) else {
            return Ok(Notes::default());
        };
        let mut n = Notes::default();
        for (lineno, head, body) in sections(&text) {
            let body = body.trim().to_string();
            match head.as_str() {
                "Claim" => n.claim = body,
                "Question" => n.question = body,
                "Goal" => n.goal = body,
                "Exercises" => n.exercises = body,
                "Frames" => n.frames = Some(frames(&body, &rel, lineno)?),
                other => {
                    return Err(format!(
                        "{rel}:{lineno}:1: no section {other:?} (Claim, Question, Goal, Exercises, Frames)"
                    ))
                }
            }
        }
        Ok(n)
    }
}

/// `(line of the heading, heading, body)` of each `## ` section.
fn sections(text: &str) -> Vec<(usize, String, String)> {
    let mut out: Vec<(usize, String, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(h) = line.strip_prefix("## ") {
            out.push((i + 1, h.trim().to_string(), String::new()));
        } else if let Some((_, _, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

fn frames(body: &str, rel: &str, at: usize) -> Result<Vec<(usize, ViewKind)>, String> {
    let mut out = Vec::new();
    for (i, line) in body
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let lineno = at + 1 + i;
        let mut w = line.split_whitespace();
        let step = w.next().and_then(|s| s.parse().ok());
        let view = w.next().and_then(ViewKind::parse);
        match (step, view) {
            (Some(s), Some(v)) => out.push((s, v)),
            _ => {
                return Err(format!(
                    "{rel}:{lineno}:1: a frame is `STEP VIEW`, e.g. `7 cache`"
                ))
            }
        }
    }
    Ok(out)
}
