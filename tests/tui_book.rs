//! The book's page on the TUI lists the keys the TUI really has: the table
//! between the markers in `book/src/tui.md` is generated from the key table
//! that handles the keys. Regenerate it with
//! `SHMSIM_BLESS=1 cargo test --test tui_book`.

const PAGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/book/src/tui.md");
const BEGIN: &str = "<!-- generated: shmsim_tui::app::keys::markdown() -->\n";
const END: &str = "<!-- end of generated -->";

#[test]
fn the_books_key_table_is_the_tuis() {
    let page = std::fs::read_to_string(PAGE).expect("book/src/tui.md exists");
    let (head, rest) = page
        .split_once(BEGIN)
        .expect("the page has the begin marker");
    let (table, tail) = rest.split_once(END).expect("the page has the end marker");
    let now = shmsim_tui::app::keys::markdown();
    if table != now {
        if std::env::var_os("SHMSIM_BLESS").is_some() {
            std::fs::write(PAGE, format!("{head}{BEGIN}{now}{END}{tail}")).expect("writable");
            return;
        }
        panic!(
            "book/src/tui.md's key table differs from the TUI's; regenerate it with \
             `SHMSIM_BLESS=1 cargo test --test tui_book`"
        );
    }
}
