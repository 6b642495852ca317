//! The lexer of the statement language: C tokens, with byte spans into the
//! step's `do` string.
//!
//! Integers are written as in C: decimal `4096`, hexadecimal `0x1000`, octal
//! with a leading zero `0666` (so `010` is eight), with an optional `u`/`l`
//! suffix that changes nothing. Characters `'x'` and strings `"..."` take the
//! C escapes `\n \t \r \0 \\ \' \" \a \b \f \v`, octal `\NNN` and hex `\xNN`.

use super::diag::Span;

/// A string literal: its bytes, and where each byte came from in the `do`
/// string (so that a diagnostic can point at one `%` inside a format).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrLit {
    pub bytes: Vec<u8>,
    /// `offsets[i]` is the `do`-string offset of the source of byte `i`;
    /// `offsets[bytes.len()]` is the offset of the closing quote.
    pub offsets: Vec<usize>,
}

impl StrLit {
    /// The text, with any byte that is not UTF-8 replaced.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
    /// The `do`-string span of bytes `a..b` of the literal.
    pub fn span_of(&self, a: usize, b: usize) -> Span {
        let last = self.offsets.len() - 1;
        Span::new(self.offsets[a.min(last)], self.offsets[b.min(last)])
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    Ident(String),
    Int(i64),
    Char(u8),
    Str(StrLit),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Eq,
    Pipe,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Shl,
    Shr,
    Caret,
    Tilde,
    Amp,
    Dot,
    Semi,
    Eof,
}

impl Tok {
    /// How a message shows this token: "`(`", "identifier `fd`", ...
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Int(v) => format!("`{v}`"),
            Tok::Char(_) => "a character literal".into(),
            Tok::Str(_) => "a string literal".into(),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::LBracket => "`[`".into(),
            Tok::RBracket => "`]`".into(),
            Tok::Comma => "`,`".into(),
            Tok::Eq => "`=`".into(),
            Tok::Pipe => "`|`".into(),
            Tok::Plus => "`+`".into(),
            Tok::Minus => "`-`".into(),
            Tok::Star => "`*`".into(),
            Tok::Slash => "`/`".into(),
            Tok::Percent => "`%`".into(),
            Tok::Shl => "`<<`".into(),
            Tok::Shr => "`>>`".into(),
            Tok::Caret => "`^`".into(),
            Tok::Tilde => "`~`".into(),
            Tok::Amp => "`&`".into(),
            Tok::Dot => "`.`".into(),
            Tok::Semi => "`;`".into(),
            Tok::Eof => "the end of the statement".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// A lexical error, spanned in the `do` string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    pub span: Span,
    pub message: String,
    pub label: String,
    pub help: Option<String>,
}

fn err(span: Span, message: impl Into<String>, label: impl Into<String>) -> LexError {
    LexError {
        span,
        message: message.into(),
        label: label.into(),
        help: None,
    }
}

/// Splits a statement into tokens; the last is always [`Tok::Eof`].
pub fn lex(src: &str) -> Result<Vec<Token>, LexError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        // `<<` and `>>` (`<<=`, `>>=`, and comparisons, are not part of the language).
        if (c == b'<' || c == b'>') && b.get(i + 1) == Some(&c) {
            if b.get(i + 2) == Some(&b'=') {
                let s = if c == b'<' { "<<=" } else { ">>=" };
                return Err(err(
                    Span::new(i, i + 3),
                    format!("`{s}` is not part of the statement language"),
                    "not supported",
                ));
            }
            out.push(Token {
                tok: if c == b'<' { Tok::Shl } else { Tok::Shr },
                span: Span::new(i, i + 2),
            });
            i += 2;
            continue;
        }
        let single = match c {
            b'(' => Some(Tok::LParen),
            b')' => Some(Tok::RParen),
            b'[' => Some(Tok::LBracket),
            b']' => Some(Tok::RBracket),
            b',' => Some(Tok::Comma),
            b'=' => Some(Tok::Eq),
            b'|' => Some(Tok::Pipe),
            b'+' => Some(Tok::Plus),
            b'-' => Some(Tok::Minus),
            b'*' => Some(Tok::Star),
            b'/' => Some(Tok::Slash),
            b'%' => Some(Tok::Percent),
            b'^' => Some(Tok::Caret),
            b'~' => Some(Tok::Tilde),
            b'&' => Some(Tok::Amp),
            b'.' => Some(Tok::Dot),
            b';' => Some(Tok::Semi),
            _ => None,
        };
        if let Some(tok) = single {
            // `==`, `||`, `&&`, `+=`, ... are not part of the language.
            if let Some(&n) = b.get(i + 1) {
                let two = [c, n];
                if matches!(
                    &two,
                    b"=="
                        | b"||"
                        | b"&&"
                        | b"+="
                        | b"-="
                        | b"|="
                        | b"*="
                        | b"&="
                        | b"/="
                        | b"%="
                        | b"^="
                        | b"//"
                        | b"/*"
                        | b"++"
                        | b"--"
                        | b"->"
                ) {
                    let s = std::str::from_utf8(&two).unwrap_or("?");
                    return Err(err(
                        Span::new(i, i + 2),
                        format!("`{s}` is not part of the statement language"),
                        "not supported",
                    ));
                }
            }
            out.push(Token {
                tok,
                span: Span::new(i, i + 1),
            });
            i += 1;
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'_' || c.is_ascii_alphabetic() {
            while i < b.len() && (b[i] == b'_' || b[i].is_ascii_alphanumeric()) {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Ident(src[start..i].to_string()),
                span: Span::new(start, i),
            });
            continue;
        }
        if c.is_ascii_digit() {
            let (v, end) = lex_int(src, start)?;
            out.push(Token {
                tok: Tok::Int(v),
                span: Span::new(start, end),
            });
            i = end;
            continue;
        }
        if c == b'\'' {
            let (v, end) = lex_char(src, start)?;
            out.push(Token {
                tok: Tok::Char(v),
                span: Span::new(start, end),
            });
            i = end;
            continue;
        }
        if c == b'"' {
            let (s, end) = lex_str(src, start)?;
            out.push(Token {
                tok: Tok::Str(s),
                span: Span::new(start, end),
            });
            i = end;
            continue;
        }
        let ch = src[i..].chars().next().unwrap_or('?');
        let span = Span::new(i, i + ch.len_utf8());
        let mut e = err(
            span,
            format!("unexpected character `{}`", ch.escape_debug()),
            "not part of the statement language",
        );
        if matches!(ch, '\u{2018}' | '\u{2019}' | '\u{201c}' | '\u{201d}') {
            e.help = Some("this is a typographic quote; write a plain `'` or `\"`".into());
        }
        return Err(e);
    }
    out.push(Token {
        tok: Tok::Eof,
        span: Span::new(b.len(), b.len()),
    });
    Ok(out)
}

fn lex_int(src: &str, start: usize) -> Result<(i64, usize), LexError> {
    let b = src.as_bytes();
    let mut i = start;
    let (radix, digits_start) = if b[i] == b'0' && matches!(b.get(i + 1), Some(b'x' | b'X')) {
        (16, i + 2)
    } else if b[i] == b'0' {
        (8, i + 1)
    } else {
        (10, i)
    };
    i = digits_start;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
        i += 1;
    }
    let end = i;
    let mut body = &src[digits_start..end];
    // Integer suffixes: u, l, ul, lu, ll, ull, llu (any case).
    let trimmed = body.trim_end_matches(['u', 'U', 'l', 'L']);
    let suffix = &body[trimmed.len()..];
    if suffix.len() <= 3 && !(radix == 16 && trimmed.is_empty()) {
        body = trimmed;
    }
    let span = Span::new(start, end);
    if radix == 16 && body.is_empty() {
        return Err(err(
            span,
            "hexadecimal constant without digits",
            "expected digits after `0x`",
        ));
    }
    let mut v: i64 = 0;
    for (k, ch) in body.char_indices() {
        let d = ch.to_digit(radix).ok_or_else(|| {
            let at = digits_start + k;
            let what = match radix {
                8 => "octal",
                16 => "hexadecimal",
                _ => "decimal",
            };
            let mut e = err(
                Span::new(at, at + 1),
                format!("invalid digit `{ch}` in {what} constant"),
                format!("not a{} {what} digit", if radix == 8 { "n" } else { "" }),
            );
            if radix == 8 && ch.is_ascii_digit() {
                e.help = Some(
                    "a leading `0` makes a C constant octal; write it without the `0` for decimal"
                        .into(),
                );
            }
            e
        })?;
        v = v
            .checked_mul(i64::from(radix))
            .and_then(|v| v.checked_add(i64::from(d)))
            .ok_or_else(|| {
                err(
                    span,
                    "integer constant is too large",
                    "does not fit in 64 bits",
                )
            })?;
    }
    Ok((v, end))
}

/// Reads one C escape after the backslash at `i`; returns the byte and the
/// index after the escape.
fn lex_escape(src: &str, i: usize) -> Result<(u8, usize), LexError> {
    let b = src.as_bytes();
    let Some(&e) = b.get(i + 1) else {
        return Err(err(
            Span::new(i, i + 1),
            "unterminated escape",
            "nothing after `\\`",
        ));
    };
    let simple = match e {
        b'n' => Some(b'\n'),
        b't' => Some(b'\t'),
        b'r' => Some(b'\r'),
        b'a' => Some(7),
        b'b' => Some(8),
        b'f' => Some(12),
        b'v' => Some(11),
        b'\\' => Some(b'\\'),
        b'\'' => Some(b'\''),
        b'"' => Some(b'"'),
        b'?' => Some(b'?'),
        _ => None,
    };
    if let Some(v) = simple {
        return Ok((v, i + 2));
    }
    if (b'0'..=b'7').contains(&e) {
        let mut j = i + 1;
        let mut v: u32 = 0;
        while j < b.len() && j < i + 4 && (b'0'..=b'7').contains(&b[j]) {
            v = v * 8 + u32::from(b[j] - b'0');
            j += 1;
        }
        if v > 255 {
            return Err(err(
                Span::new(i, j),
                "octal escape out of range",
                "larger than `\\377`",
            ));
        }
        return Ok((v as u8, j));
    }
    if e == b'x' {
        let mut j = i + 2;
        let mut v: u32 = 0;
        while j < b.len() && b[j].is_ascii_hexdigit() {
            v = v * 16 + (b[j] as char).to_digit(16).unwrap_or(0);
            j += 1;
            if v > 255 {
                return Err(err(
                    Span::new(i, j),
                    "hex escape out of range",
                    "larger than `\\xff`",
                ));
            }
        }
        if j == i + 2 {
            return Err(err(
                Span::new(i, i + 2),
                "`\\x` used with no following hex digits",
                "expected hex digits",
            ));
        }
        return Ok((v as u8, j));
    }
    let ch = src[i + 1..].chars().next().unwrap_or('?');
    let span = Span::new(i, i + 1 + ch.len_utf8());
    let mut e = err(
        span,
        format!("unknown escape sequence `\\{}`", ch.escape_debug()),
        "unknown escape",
    );
    e.help = Some(
        "C escapes are \\n \\t \\r \\0 \\\\ \\' \\\" \\a \\b \\f \\v, octal \\NNN and hex \\xNN"
            .into(),
    );
    Err(e)
}

fn lex_char(src: &str, start: usize) -> Result<(u8, usize), LexError> {
    let b = src.as_bytes();
    let mut i = start + 1;
    let mut bytes = Vec::new();
    loop {
        match b.get(i) {
            None | Some(b'\n') => {
                return Err(err(
                    Span::new(start, i),
                    "unterminated character literal",
                    "no closing `'`",
                ))
            }
            Some(b'\'') => break,
            Some(b'\\') => {
                let (v, j) = lex_escape(src, i)?;
                bytes.push(v);
                i = j;
            }
            Some(_) => {
                let ch = src[i..].chars().next().unwrap_or('?');
                let mut buf = [0; 4];
                bytes.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                i += ch.len_utf8();
            }
        }
    }
    let end = i + 1;
    match bytes.as_slice() {
        [v] => Ok((*v, end)),
        [] => Err(err(
            Span::new(start, end),
            "empty character literal",
            "holds no character",
        )),
        _ => {
            let mut e = err(
                Span::new(start, end),
                "character literal holds more than one byte",
                "a C `char` is one byte",
            );
            e.help = Some("a string is written with double quotes: \"...\"".into());
            Err(e)
        }
    }
}

fn lex_str(src: &str, start: usize) -> Result<(StrLit, usize), LexError> {
    let b = src.as_bytes();
    let mut i = start + 1;
    let mut bytes = Vec::new();
    let mut offsets = Vec::new();
    loop {
        match b.get(i) {
            None => {
                let mut e = err(
                    Span::new(start, b.len()),
                    "unterminated string",
                    "this string has no closing `\"`",
                );
                e.help = Some("close the string with `\"`".into());
                return Err(e);
            }
            Some(b'"') => break,
            Some(b'\\') => {
                let (v, j) = lex_escape(src, i)?;
                bytes.push(v);
                offsets.push(i);
                i = j;
            }
            Some(&c) => {
                bytes.push(c);
                offsets.push(i);
                i += 1;
            }
        }
    }
    offsets.push(i);
    Ok((StrLit { bytes, offsets }, i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn octal_hex_decimal() {
        assert_eq!(toks("0666")[0], Tok::Int(0o666));
        assert_eq!(toks("666")[0], Tok::Int(666));
        assert_eq!(toks("0x1000")[0], Tok::Int(4096));
        assert_eq!(toks("0")[0], Tok::Int(0));
        assert_eq!(toks("010")[0], Tok::Int(8));
        assert_eq!(toks("4096UL")[0], Tok::Int(4096));
        let e = lex("0999").unwrap_err();
        assert_eq!(e.message, "invalid digit `9` in octal constant");
        assert_eq!(e.span, Span::new(1, 2));
        assert!(lex("0x").is_err());
        assert!(lex("99999999999999999999").is_err());
    }

    #[test]
    fn division_modulo_and_shifts() {
        assert_eq!(
            toks("a / b % c << 2 >> 1 & 3"),
            vec![
                Tok::Ident("a".into()),
                Tok::Slash,
                Tok::Ident("b".into()),
                Tok::Percent,
                Tok::Ident("c".into()),
                Tok::Shl,
                Tok::Int(2),
                Tok::Shr,
                Tok::Int(1),
                Tok::Amp,
                Tok::Int(3),
                Tok::Eof
            ]
        );
        assert!(lex("a <<= 1").is_err());
        assert!(lex("a /= 1").is_err());
        assert!(lex("a < 1").is_err());
    }

    #[test]
    fn negative_is_minus_then_number() {
        assert_eq!(toks("-1"), vec![Tok::Minus, Tok::Int(1), Tok::Eof]);
    }

    #[test]
    fn escapes() {
        let Tok::Str(s) = &toks(r#""a\n\t\\\"\0\x41\101""#)[0] else {
            panic!()
        };
        assert_eq!(s.bytes, b"a\n\t\\\"\0AA");
        // Offsets point at the start of each escape.
        assert_eq!(&s.offsets[..4], &[1, 2, 4, 6]);
        assert_eq!(toks(r"'\n'")[0], Tok::Char(b'\n'));
        assert_eq!(toks(r"'\0'")[0], Tok::Char(0));
        assert_eq!(toks(r"'\''")[0], Tok::Char(b'\''));
        assert_eq!(toks("'x'")[0], Tok::Char(b'x'));
        assert_eq!(
            lex(r#""\q""#).unwrap_err().message,
            "unknown escape sequence `\\q`"
        );
        assert!(lex("'ab'").is_err());
        assert!(lex("''").is_err());
    }

    #[test]
    fn unterminated() {
        let e = lex(r#"write(fd, "abc)"#).unwrap_err();
        assert_eq!(e.message, "unterminated string");
        assert_eq!(e.span, Span::new(10, 15));
        assert_eq!(
            lex("p[0] = 'x").unwrap_err().message,
            "unterminated character literal"
        );
    }

    #[test]
    fn spans_are_bytes_into_the_statement() {
        let t = lex("fd = open(\"/tmp/é\", O_RDWR)").unwrap();
        let last = &t[t.len() - 3];
        assert_eq!(last.tok, Tok::Ident("O_RDWR".into()));
        assert_eq!(last.span, Span::new(21, 27));
    }
}
