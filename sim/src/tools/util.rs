//! Small helpers the tools share: C's `%*s` and `%-*s` padding, splitting an
//! option string, and getopt_long's long-option lookup (glibc
//! `posix/getopt.c`, `process_long_option`).

/// Right-align `s` in `width` columns (C `%*s`: never truncates).
pub(crate) fn pad_left(s: &str, width: usize) -> String {
    format!("{s:>width$}")
}

/// Left-align `s` in `width` columns (C `%-*s`: never truncates).
pub(crate) fn pad_right(s: &str, width: usize) -> String {
    format!("{s:<width$}")
}

/// Split an argument string the way a shell would for these simple option
/// strings: on whitespace, with no quoting.
pub(crate) fn split_args(args: &str) -> Vec<&str> {
    args.split_whitespace().collect()
}

/// getopt_long's long-option lookup: an exact match wins, otherwise a unique
/// prefix (`--hum` for `--human`).
pub(crate) fn match_long<'a>(given: &str, names: &[&'a str]) -> Result<&'a str, String> {
    if let Some(n) = names.iter().find(|n| **n == given) {
        return Ok(n);
    }
    let hits: Vec<&&str> = names.iter().filter(|n| n.starts_with(given)).collect();
    match hits.len() {
        1 => Ok(hits[0]),
        0 => Err(format!("unrecognized option '--{given}'")),
        _ => Err(format!("option '--{given}' is ambiguous")),
    }
}

/// A look step's command line as its options and the operand after them:
/// `"-h /dev/shm"` is `("-h", "/dev/shm")`.
pub(crate) fn split_opts(arg: &str) -> (&str, &str) {
    let arg = arg.trim();
    let mut opts_end = 0;
    for w in arg.split_whitespace() {
        if w.starts_with('-') {
            opts_end = arg.find(w).map_or(opts_end, |i| i + w.len());
        } else {
            break;
        }
    }
    (arg[..opts_end].trim(), arg[opts_end..].trim())
}

/// The look step `tool`'s operands must be absolute paths: the label and
/// help for the first that is not.
pub(crate) fn absolute_paths(tool: &str, paths: &[&str]) -> Result<(), (String, String)> {
    match paths.iter().find(|p| !p.starts_with('/')) {
        Some(p) => Err((
            format!("`{p}` is not an absolute path"),
            format!("write `{tool}(\"/dev/shm\")`"),
        )),
        None => Ok(()),
    }
}

/// A refusal of look step `tool`'s command line `arg`, with the checker's
/// message.
pub(crate) fn cannot_take(
    tool: &str,
    arg: &str,
    (label, help): (String, String),
) -> crate::syscalls::ToolRefusal {
    crate::syscalls::ToolRefusal {
        message: format!("`{tool}` cannot take `{}`", arg.escape_debug()),
        label,
        help,
    }
}
