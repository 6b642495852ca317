//! The System V picture: the `shmid_kernel` table as a table, one row per
//! segment (`D` in the `dest` column once `SHM_DEST` is set).
//!
//! ```text
//!   shmid  key        owner  perms  bytes   nattch  dest  cpid  lpid  file (ino)
//!   0      0x0000162e 1000   666    4096    1       -     1000  1000  /SYSV0000162e (deleted) (7)
//! ```

use super::{Canvas, Picture};
use crate::app::theme::{Class, Theme};
use sim::view::sysv::{SegmentRow, SysvView};

/// Draws the segment table of `now`, marking rows that differ from `before`.
pub fn picture(now: &SysvView, before: Option<&SysvView>, th: &Theme, _width: u16) -> Picture {
    let mut c = Canvas::new(th);
    c.title(
        format!(
            "{:<6} {:<10} {:<6} {:<5} {:<10} {:<6} {:<4} {:<5} {:<5} file (ino)",
            "shmid", "key", "owner", "perms", "bytes", "nattch", "dest", "cpid", "lpid"
        ),
        false,
    );
    if now.segments.is_empty() {
        let s = c.span("no System V segment", Class::Dim, false);
        c.line(vec![s], false, false);
    }
    for s in &now.segments {
        let changed = before.is_some_and(|b| !b.segments.contains(s));
        row(&mut c, s, changed);
    }
    if let Some(b) = before {
        for gone in b
            .segments
            .iter()
            .filter(|g| !now.segments.iter().any(|s| s.shmid == g.shmid))
        {
            let s = c.span(format!("{:<6} removed", gone.shmid), Class::Dim, true);
            c.line(vec![s], true, false);
        }
    }
    c.done()
}

fn row(c: &mut Canvas, s: &SegmentRow, changed: bool) {
    let text = format!(
        "{:<6} {:<10} {:<6} {:<5o} {:<10} {:<6} {:<4} {:<5} {:<5} ",
        s.shmid,
        format!("{:#010x}", s.key as u32),
        s.uid,
        s.mode & 0o777,
        s.size,
        s.nattch,
        if s.dest { "D" } else { "-" },
        s.cpid,
        s.lpid
    );
    let spans = vec![
        c.span(text, Class::Text, changed),
        c.span(format!("{} ({})", s.file, s.ino), Class::File, changed),
    ];
    c.line(spans, changed, false);
}
