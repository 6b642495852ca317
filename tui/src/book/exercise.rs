//! Exercises whose answers shmsim gives: a line of the notes' exercises
//!
//! ```text
//!    try: swap = "0" => swap = "1 MiB" show: 6 cache./dev/shm/stuck, 7 ret
//! ```
//!
//! makes the change to the scenario's text (the first occurrence of the
//! text before `=>`), plays the changed scenario and shows, hidden until
//! the student opens it, what each named observable reads after its step.
//! A change whose text is no longer in the scenario, or that no longer
//! loads, stops the generator: an exercise cannot silently go stale.

use sim::runner::{Run, StepOutcome};
use sim::scenario;
use std::fmt::Write;

/// The exercises' text with every `try:` line replaced by its answer.
pub fn answer(stem: &str, source: &str, exercises: &str) -> Result<String, String> {
    let mut out = String::new();
    for line in exercises.lines() {
        match line.trim_start().strip_prefix("try:") {
            Some(spec) => out.push_str(&one(stem, source, spec)?),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

fn one(stem: &str, source: &str, spec: &str) -> Result<String, String> {
    let at = format!("book/notes/{stem}.md: try:{spec}");
    let (change, shows) = spec
        .rsplit_once(" show: ")
        .ok_or_else(|| format!("{at}: write `try: OLD => NEW show: STEP OBSERVABLE, ...`"))?;
    let (old, new) = change
        .split_once("=>")
        .map(|(a, b)| (a.trim(), b.trim()))
        .ok_or_else(|| format!("{at}: write `try: OLD => NEW show: STEP OBSERVABLE, ...`"))?;
    if old.is_empty() || !source.contains(old) {
        return Err(format!("{at}: `{old}` is not in scenarios/{stem}.toml"));
    }
    let changed = source.replacen(old, new, 1);
    let name = format!("scenarios/{stem}.toml (changed)");
    let s = scenario::load_str(&name, &changed).map_err(|d| {
        format!(
            "{}{at}: the changed scenario does not load",
            scenario::render_diagnostics(&d, &changed, false)
        )
    })?;
    let outs = Run::new(&s).run_all();
    let mut shown = Vec::new();
    let mut blocks = String::new();
    for want in shows.split(',') {
        let mut w = want.split_whitespace();
        let step: Option<usize> = w.next().and_then(|n| n.parse().ok());
        let (Some(step), Some(obs)) = (step, w.next()) else {
            return Err(format!("{at}: `{want}` is not `STEP OBSERVABLE`"));
        };
        let o = outs
            .get(step.wrapping_sub(1))
            .ok_or_else(|| format!("{at}: the changed scenario has no step {step}"))?;
        let v = read(o, obs);
        if v.contains('\n') {
            shown.push(format!("after step {step}, `{obs}` is printed below"));
            let _ = write!(
                blocks,
                "\n   ```text\n   {}\n   ```\n",
                v.replace('\n', "\n   ")
            );
        } else {
            shown.push(format!("after step {step}, `{obs}` = `{v}`"));
        }
    }
    let mut p = String::new();
    let _ = writeln!(
        p,
        "\n   <details><summary>What shmsim says</summary>\n\n   With `{new}` in place of \
         `{old}`: {}.\n{blocks}\n   </details>\n",
        shown.join("; ")
    );
    Ok(p)
}

/// What `obs` reads after step `o`: the call's result, or an observable
/// by its full name or without its `@proc`.
fn read(o: &StepOutcome, obs: &str) -> String {
    match obs {
        "ret" => o.result.ret.map_or("none".into(), |r| r.to_string()),
        "errno" => o
            .result
            .errno
            .as_ref()
            .map_or("none".into(), |e| e.name().to_string()),
        "signal" => o
            .result
            .signal
            .as_ref()
            .map_or("none".into(), |s| s.name().to_string()),
        "out" => o.out.trim_end().to_string(),
        _ => o
            .observables
            .get(obs)
            .or_else(|| {
                o.observables
                    .iter()
                    .find(|(k, _)| k.split_once('@').is_some_and(|(n, _)| n == obs))
                    .map(|(_, v)| v)
            })
            .cloned()
            .unwrap_or_else(|| "none".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::answer;

    const SRC: &str = r#"title = "t"
procs = ["a"]

[machine]
swap = "0"

[[step]]
proc = "a"
do = "p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)"

[[step]]
proc = "a"
do = "p[0] = 'x'"
"#;

    #[test]
    fn a_try_line_is_answered_by_playing_the_changed_scenario() {
        let ex = "1. Map it privately.\n   try: MAP_SHARED | MAP_ANONYMOUS => MAP_PRIVATE | MAP_ANONYMOUS show: 2 meminfo.AnonPages, 2 meminfo.Shmem\n";
        let a = answer("t", SRC, ex).expect("answers");
        assert!(a.contains("`meminfo.AnonPages` = `+4 kB`"), "{a}");
        assert!(a.contains("`meminfo.Shmem` = `+0 kB`"), "{a}");
    }

    #[test]
    fn a_change_the_scenario_no_longer_has_stops_the_generator() {
        let ex = "   try: MAP_FIXED => MAP_SHARED show: 1 ret\n";
        let e = answer("t", SRC, ex).unwrap_err();
        assert!(e.contains("`MAP_FIXED` is not in scenarios/t.toml"), "{e}");
        let bad = "   try: p[0] => q[0] show: 2 ret\n";
        assert!(answer("t", SRC, bad).unwrap_err().contains("does not load"));
    }
}
