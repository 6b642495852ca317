//! A TOML document as a tree whose every key and value knows its byte span in
//! the file, and the map from a decoded string value back to file offsets.
//!
//! The tree is read from `toml_edit`'s [`ImDocument`](toml_edit::ImDocument),
//! whose keys, values and table headers expose their spans as public API
//! (`span()`). A value without a span (the implicit tables of dotted keys)
//! is kept unspanned, so nothing the parser accepts is refused here: all the
//! schema checks happen later, on the tree, where every error can be
//! collected and placed.

use super::diag::Span;

/// A TOML value with its span (`None` where the parser gave none).
#[derive(Clone, Debug)]
pub struct Node {
    pub span: Option<Span>,
    pub value: Value,
}

/// A key of a table with its span.
#[derive(Clone, Debug)]
pub struct Key {
    pub span: Option<Span>,
    pub name: String,
}

#[derive(Clone, Debug)]
pub enum Value {
    String(String),
    Integer(i64),
    Float,
    Boolean,
    Datetime,
    Array(Vec<Node>),
    /// Entries in document order.
    Table(Vec<(Key, Node)>),
}

impl Value {
    /// How a message names this type: "a string", "an integer", ...
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Float => "a float",
            Value::Boolean => "a boolean",
            Value::Datetime => "a date-time",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

/// Parses a TOML document into a tree rooted at a table spanning the file,
/// reading the spans `toml_edit` exposes on its immutable document.
pub fn parse(src: &str) -> Result<Node, toml_edit::TomlError> {
    let doc = toml_edit::ImDocument::parse(src)?;
    Ok(Node {
        span: Some(Span::new(0, src.len())),
        value: Value::Table(table_entries(doc.as_table())),
    })
}

fn span(r: Option<std::ops::Range<usize>>) -> Option<Span> {
    r.map(|r| Span::new(r.start, r.end.max(r.start)))
}

fn key_of(k: Option<&toml_edit::Key>, name: &str) -> Key {
    Key {
        span: k.and_then(|k| span(k.span())),
        name: name.to_string(),
    }
}

fn table_entries(t: &toml_edit::Table) -> Vec<(Key, Node)> {
    t.iter()
        .map(|(name, item)| (key_of(t.key(name), name), item_node(item)))
        .collect()
}

fn item_node(item: &toml_edit::Item) -> Node {
    use toml_edit::Item;
    let value = match item {
        Item::None => Value::Table(Vec::new()),
        Item::Value(v) => return value_node(v),
        Item::Table(t) => Value::Table(table_entries(t)),
        Item::ArrayOfTables(a) => Value::Array(
            a.iter()
                .map(|t| Node {
                    span: span(t.span()),
                    value: Value::Table(table_entries(t)),
                })
                .collect(),
        ),
    };
    Node {
        span: span(item.span()),
        value,
    }
}

fn value_node(v: &toml_edit::Value) -> Node {
    use toml_edit::Value as V;
    let value = match v {
        V::String(s) => Value::String(s.value().clone()),
        V::Integer(i) => Value::Integer(*i.value()),
        V::Float(_) => Value::Float,
        V::Boolean(_) => Value::Boolean,
        V::Datetime(_) => Value::Datetime,
        V::Array(a) => Value::Array(a.iter().map(value_node).collect()),
        V::InlineTable(t) => Value::Table(
            t.iter()
                .map(|(name, v)| (key_of(t.key(name), name), value_node(v)))
                .collect(),
        ),
    };
    Node {
        span: span(v.span()),
        value,
    }
}

/// Where each byte of a decoded TOML string value sits in the file.
///
/// `offsets[i]` is the file offset of the source text that produced decoded
/// byte `i`; `offsets[len]` is the offset of the closing quote. For literal
/// strings (`'...'`, `'''...'''`) and escape-free basic strings the mapping is
/// exact byte for byte; inside a basic string every byte an escape produces
/// maps to the backslash that starts it.
#[derive(Clone, Debug, Default)]
pub struct StrMap {
    offsets: Vec<usize>,
}

impl StrMap {
    /// Builds the map for the string value `decoded` whose token is
    /// `src[span]`. Falls back to mapping every byte to the token's start when
    /// the token does not decode to `decoded` (which the parser never does).
    pub fn new(src: &str, span: Span, decoded: &str) -> StrMap {
        let fallback = || StrMap {
            offsets: vec![span.start; decoded.len() + 1],
        };
        let Some(raw) = src.get(span.start..span.end) else {
            return fallback();
        };
        match decode_token(raw) {
            Some((text, mut offsets)) if text == decoded => {
                for o in &mut offsets {
                    *o += span.start;
                }
                StrMap { offsets }
            }
            _ => fallback(),
        }
    }

    /// The file span of the decoded byte range `s`.
    pub fn file_span(&self, s: Span) -> Span {
        let last = self.offsets.len().saturating_sub(1);
        let start = self.offsets.get(s.start.min(last)).copied().unwrap_or(0);
        let end = self.offsets.get(s.end.min(last)).copied().unwrap_or(start);
        if s.end > s.start && end <= start {
            // An empty file range for a non-empty decoded range: one escape.
            Span::new(start, start + 1)
        } else {
            Span::new(start, end.max(start))
        }
    }
}

/// Decodes a TOML string token, returning the text and, per decoded byte plus
/// one past the end, the offset inside `raw` it came from.
fn decode_token(raw: &str) -> Option<(String, Vec<usize>)> {
    let b = raw.as_bytes();
    let (open, literal, multi) = if raw.starts_with("'''") {
        (3, true, true)
    } else if raw.starts_with("\"\"\"") {
        (3, false, true)
    } else if raw.starts_with('\'') {
        (1, true, false)
    } else if raw.starts_with('"') {
        (1, false, false)
    } else {
        return None;
    };
    if raw.len() < 2 * open {
        return None;
    }
    let end = raw.len() - open;
    let mut i = open;
    if multi {
        // A newline right after the opening delimiter is trimmed.
        if b.get(i) == Some(&b'\n') {
            i += 1;
        } else if b.get(i) == Some(&b'\r') && b.get(i + 1) == Some(&b'\n') {
            i += 2;
        }
    }
    let mut text = String::new();
    let mut offsets = Vec::new();
    while i < end {
        let c = raw[i..].chars().next()?;
        if literal || c != '\\' {
            if multi && c == '\r' && b.get(i + 1) == Some(&b'\n') {
                // TOML normalises CRLF to LF in multi-line strings.
                offsets.push(i);
                text.push('\n');
                i += 2;
                continue;
            }
            for _ in 0..c.len_utf8() {
                offsets.push(i);
            }
            text.push(c);
            i += c.len_utf8();
            continue;
        }
        // An escape in a basic string.
        let start = i;
        let e = *b.get(i + 1)?;
        let decoded: Option<char> = match e {
            b'b' => Some('\u{8}'),
            b't' => Some('\t'),
            b'n' => Some('\n'),
            b'f' => Some('\u{c}'),
            b'r' => Some('\r'),
            b'e' => Some('\u{1b}'),
            b'"' => Some('"'),
            b'\\' => Some('\\'),
            b'x' | b'u' | b'U' => {
                let n = match e {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let hex = raw.get(i + 2..i + 2 + n)?;
                let v = u32::from_str_radix(hex, 16).ok()?;
                i += n;
                Some(char::from_u32(v)?)
            }
            b' ' | b'\t' | b'\n' | b'\r' if multi => None,
            _ => return None,
        };
        match decoded {
            Some(c) => {
                for _ in 0..c.len_utf8() {
                    offsets.push(start);
                }
                text.push(c);
                i += 2;
            }
            None => {
                // Line-ending backslash: skip all whitespace and newlines.
                i += 1;
                while i < end && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
                    i += 1;
                }
            }
        }
    }
    offsets.push(end);
    Some((text, offsets))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_of(src: &str) -> (String, StrMap) {
        let root = parse(src).unwrap();
        let Value::Table(entries) = root.value else {
            panic!()
        };
        let (_, node) = &entries[0];
        let Value::String(s) = &node.value else {
            panic!()
        };
        (s.clone(), StrMap::new(src, node.span.unwrap(), s))
    }

    #[test]
    fn literal_string_maps_exactly() {
        let src = "do = 'fd = shm_open(\"/OS\", O_CRAET)'\n";
        let (s, m) = map_of(src);
        let at = s.find("O_CRAET").unwrap();
        let f = m.file_span(Span::new(at, at + 7));
        assert_eq!(&src[f.start..f.end], "O_CRAET");
    }

    #[test]
    fn basic_string_with_escapes_maps_past_them() {
        let src = "do = \"printf(\\\"%s\\\\n\\\", ptrr)\"\n";
        let (s, m) = map_of(src);
        assert_eq!(s, "printf(\"%s\\n\", ptrr)");
        let at = s.find("ptrr").unwrap();
        let f = m.file_span(Span::new(at, at + 4));
        assert_eq!(&src[f.start..f.end], "ptrr");
        // The escaped quote maps to its backslash.
        let q = s.find('"').unwrap();
        let f = m.file_span(Span::new(q, q + 1));
        assert_eq!(&src[f.start..f.end], "\\\"");
    }

    #[test]
    fn multiline_strings_map_exactly() {
        let src = "do = '''\nfd = open(\"/tmp/x\", O_RDWR)'''\n";
        let (s, m) = map_of(src);
        let at = s.find("O_RDWR").unwrap();
        let f = m.file_span(Span::new(at, at + 6));
        assert_eq!(&src[f.start..f.end], "O_RDWR");
        let src = "do = \"\"\"\nclose(\\\n   fdd)\"\"\"\n";
        let (s, m) = map_of(src);
        assert_eq!(s, "close(fdd)");
        let f = m.file_span(Span::new(6, 9));
        assert_eq!(&src[f.start..f.end], "fdd");
    }

    #[test]
    fn keys_and_values_carry_spans() {
        let src = "[[step]]\nexpect = { pte.ptr = \"P\" }\n";
        let root = parse(src).unwrap();
        let Value::Table(top) = &root.value else {
            panic!()
        };
        let (k, v) = &top[0];
        assert_eq!(k.name, "step");
        assert_eq!(&src[k.span.unwrap().start..k.span.unwrap().end], "step");
        let Value::Array(steps) = &v.value else {
            panic!()
        };
        let Value::Table(step) = &steps[0].value else {
            panic!()
        };
        let (k, v) = &step[0];
        assert_eq!(&src[k.span.unwrap().start..k.span.unwrap().end], "expect");
        let Value::Table(e) = &v.value else { panic!() };
        let (k, v) = &e[0];
        assert_eq!(&src[k.span.unwrap().start..k.span.unwrap().end], "pte");
        let Value::Table(e) = &v.value else { panic!() };
        let (k, v) = &e[0];
        assert_eq!(&src[k.span.unwrap().start..k.span.unwrap().end], "ptr");
        assert_eq!(&src[v.span.unwrap().start..v.span.unwrap().end], "\"P\"");
    }
}
