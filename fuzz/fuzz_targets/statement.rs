//! The statement lexer and parser on arbitrary text: never a panic, and an
//! error's span lies inside the statement.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|src: &str| {
    match sim::scenario::lexer::lex(src) {
        Ok(tokens) => {
            for t in &tokens {
                let _ = t.tok.describe();
                assert!(
                    t.span.start <= t.span.end && t.span.end <= src.len(),
                    "{t:?}"
                );
            }
        }
        Err(e) => {
            assert!(
                e.span.start <= e.span.end && e.span.end <= src.len() + 1,
                "{e:?}"
            );
        }
    }
    if let Err(e) = sim::scenario::parser::parse_stmt(src) {
        assert!(
            e.span.start <= e.span.end && e.span.end <= src.len() + 1,
            "{e:?}"
        );
        assert!(!e.message.is_empty());
    }
    // The same statement inside a scenario: the checker's spans map back into
    // the file through the TOML string's escapes.
    let mut esc = String::new();
    for c in src.chars() {
        match c {
            '"' => esc.push_str("\\\""),
            '\\' => esc.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                esc.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => esc.push(c),
        }
    }
    let file =
        format!("title = \"t\"\nprocs = [\"a\"]\n\n[[step]]\nproc = \"a\"\ndo = \"{esc}\"\n");
    if let Err(diags) = sim::scenario::load_str("stmt.toml", &file) {
        for d in &diags {
            assert!(d.offset <= file.len(), "{d:?}");
            assert!(d.line >= 1 && d.line <= 7, "{d:?}");
        }
    }
});
