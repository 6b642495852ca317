//! Frames without a terminal: a drawn buffer as plain text or as SVG.
//!
//! `shmsim frame` draws the app on ratatui's `TestBackend` and writes the
//! buffer out cell by cell, so the book's pictures are exactly what the TUI
//! shows. The SVG writer is our own (as DESIGN.md advises): one cell is one
//! fixed-size box, runs of cells of one style are one `<text>` stretched to
//! their exact width, so nothing drifts out of its column.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use std::fmt::Write;

/// The buffer as text: one line per row, trailing blanks dropped.
pub fn text(buf: &Buffer) -> String {
    let a = buf.area;
    let mut out = String::new();
    for y in a.top()..a.bottom() {
        let mut line = String::new();
        for x in a.left()..a.right() {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Cell size in SVG units.
const CW: u32 = 9;
const CH: u32 = 18;

/// The 16 ANSI colours as xterm draws them.
fn rgb(c: Color, fallback: &'static str) -> String {
    let s = match c {
        Color::Reset => fallback,
        Color::Black => "#000000",
        Color::Red => "#cd0000",
        Color::Green => "#00cd00",
        Color::Yellow => "#cdcd00",
        Color::Blue => "#0000ee",
        Color::Magenta => "#cd00cd",
        Color::Cyan => "#00cdcd",
        Color::Gray => "#e5e5e5",
        Color::DarkGray => "#7f7f7f",
        Color::LightRed => "#ff0000",
        Color::LightGreen => "#00ff00",
        Color::LightYellow => "#ffff00",
        Color::LightBlue => "#5c5cff",
        Color::LightMagenta => "#ff00ff",
        Color::LightCyan => "#00ffff",
        Color::White => "#ffffff",
        Color::Rgb(r, g, b) => return format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => return indexed(i),
    };
    s.to_string()
}

/// xterm's 256-colour cube and grey ramp.
fn indexed(i: u8) -> String {
    match i {
        0..=15 => rgb(
            [
                Color::Black,
                Color::Red,
                Color::Green,
                Color::Yellow,
                Color::Blue,
                Color::Magenta,
                Color::Cyan,
                Color::Gray,
                Color::DarkGray,
                Color::LightRed,
                Color::LightGreen,
                Color::LightYellow,
                Color::LightBlue,
                Color::LightMagenta,
                Color::LightCyan,
                Color::White,
            ][usize::from(i)],
            "#000000",
        ),
        16..=231 => {
            let v = |n: u8| if n == 0 { 0 } else { 55 + 40 * n };
            let n = i - 16;
            format!("#{:02x}{:02x}{:02x}", v(n / 36), v(n / 6 % 6), v(n % 6))
        }
        _ => {
            let g = 8 + 10 * (i - 232);
            format!("#{g:02x}{g:02x}{g:02x}")
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The buffer as an SVG picture, on a dark or a light page.
pub fn svg(buf: &Buffer, light: bool) -> String {
    let (page, ink) = if light {
        ("#ffffff", "#000000")
    } else {
        ("#1c1c1c", "#e5e5e5")
    };
    let a = buf.area;
    let (w, h) = (u32::from(a.width) * CW, u32::from(a.height) * CH);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="15">"#
    );
    let _ = writeln!(out, r#"<rect width="{w}" height="{h}" fill="{page}"/>"#);
    for y in a.top()..a.bottom() {
        let mut x = a.left();
        while x < a.right() {
            let cell = &buf[(x, y)];
            let style = (cell.fg, cell.bg, cell.modifier);
            let start = x;
            let mut run = String::new();
            while x < a.right() && (buf[(x, y)].fg, buf[(x, y)].bg, buf[(x, y)].modifier) == style {
                run.push_str(buf[(x, y)].symbol());
                x += 1;
            }
            cells(&mut out, start, y, x - start, &run, style, (page, ink));
        }
    }
    out.push_str("</svg>\n");
    out
}

fn cells(
    out: &mut String,
    x: u16,
    y: u16,
    n: u16,
    run: &str,
    (fg, bg, m): (Color, Color, Modifier),
    (page, ink): (&'static str, &'static str),
) {
    let (mut fg, mut bg) = (rgb(fg, ink), rgb(bg, page));
    if m.contains(Modifier::REVERSED) {
        std::mem::swap(&mut fg, &mut bg);
    }
    let (px, py, pw) = (u32::from(x) * CW, u32::from(y) * CH, u32::from(n) * CW);
    if bg != page {
        let _ = writeln!(
            out,
            r#"<rect x="{px}" y="{py}" width="{pw}" height="{CH}" fill="{bg}"/>"#
        );
    }
    if run.trim().is_empty() {
        return;
    }
    let mut attrs = String::new();
    if m.contains(Modifier::BOLD) {
        attrs.push_str(r#" font-weight="bold""#);
    }
    if m.contains(Modifier::UNDERLINED) {
        attrs.push_str(r#" text-decoration="underline""#);
    }
    if m.contains(Modifier::ITALIC) {
        attrs.push_str(r#" font-style="italic""#);
    }
    let _ = writeln!(
        out,
        r#"<text x="{px}" y="{}" fill="{fg}" textLength="{pw}" lengthAdjust="spacingAndGlyphs" xml:space="preserve"{attrs}>{}</text>"#,
        py + CH - 5,
        escape(run)
    );
}
