//! The counters picture: `/proc/meminfo` (with the change since the step
//! before), then `free -k`, `df /dev/shm` and `ipcs -m` exactly as the tools
//! print them.

use super::{Canvas, Picture};
use crate::app::theme::{Class, Theme};
use sim::view::counters::CountersView;

/// Draws the counters of `now`, marking what differs from `before`.
pub fn picture(
    now: &CountersView,
    before: Option<&CountersView>,
    th: &Theme,
    _width: u16,
) -> Picture {
    let mut c = Canvas::new(th);
    c.title("$ cat /proc/meminfo", false);
    for f in &now.meminfo {
        let old = before.and_then(|b| b.meminfo(&f.name));
        let changed = before.is_some() && old != Some(f.value);
        let delta = match old {
            Some(o) if changed => format!("  ({:+})", f.value as i64 - o as i64),
            _ => String::new(),
        };
        let spans = vec![
            c.span(
                format!("{:<16}{:>10} kB", format!("{}:", f.name), f.value),
                Class::Text,
                changed,
            ),
            c.span(delta, Class::Changed, false),
        ];
        c.line(spans, changed, f.name == "SwapCached" && f.value > 0);
    }
    block(&mut c, "$ free -k", &now.free, before.map(|b| &b.free[..]));
    block(&mut c, "$ df /dev/shm", &now.df, before.map(|b| &b.df[..]));
    block(&mut c, "$ ipcs -m", &now.ipcs, before.map(|b| &b.ipcs[..]));
    c.done()
}

fn block(c: &mut Canvas, title: &str, now: &[String], before: Option<&[String]>) {
    c.title(title, false);
    for (i, l) in now.iter().enumerate() {
        let changed = before.is_some_and(|b| b.get(i) != Some(l));
        let s = c.span(l.clone(), Class::Text, changed);
        c.line(vec![s], changed, false);
    }
}
