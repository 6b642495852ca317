//! Arbitrary bytes through the scenario loader and checker: never a panic,
//! and every diagnostic points inside the file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match sim::scenario::load_bytes("fuzz.toml", data) {
        Ok(s) => {
            assert!(!s.title.is_empty() || s.title.is_empty());
        }
        Err(diags) => {
            assert!(!diags.is_empty(), "an error with no diagnostic");
            let text = String::from_utf8_lossy(data);
            let lines = text.split('\n').count();
            for d in &diags {
                assert_eq!(d.file, "fuzz.toml");
                assert!(
                    d.line >= 1 && d.col >= 1,
                    "{d:?}: lines and columns count from 1"
                );
                assert!(d.line <= lines, "{d:?}: past the last line ({lines})");
                assert!(
                    d.offset <= data.len(),
                    "{d:?}: past the end ({})",
                    data.len()
                );
                assert!(!d.message.is_empty(), "{d:?}: no message");
            }
            let _ = sim::scenario::render_diagnostics(&diags, &text, false);
        }
    }
});
