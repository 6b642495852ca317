//! The parser of the statement language: recursive descent for statements, a
//! Pratt loop for expressions with C precedence (`* / %` over `+ -` over
//! `<< >>` over `&` over `^` over `|`, all left-associative; unary `-`, `~`,
//! `&`, casts, `sizeof` and `strlen` bind tighter; `[i]` and `.field`
//! tightest).

use super::ast::*;
use super::diag::Span;
use super::lexer::{lex, LexError, Tok, Token};

/// A syntax error, spanned in the `do` string.
pub type ParseError = LexError;

/// Parses one statement (an optional trailing `;` is allowed).
pub fn parse_stmt(src: &str) -> Result<Stmt, ParseError> {
    let toks = lex(src)?;
    let mut p = Parser { toks, pos: 0 };
    let stmt = p.stmt()?;
    if p.peek() == &Tok::Semi {
        p.bump();
    }
    let t = p.tok().clone();
    match t.tok {
        Tok::Eof => Ok(stmt),
        Tok::Semi => Err(err(t.span, "unexpected `;`", "one `;` is enough")),
        _ if p.toks[p.pos - 1].tok == Tok::Semi => {
            let mut e = err(
                t.span.to(p.toks[p.toks.len() - 1].span),
                "a step holds one statement",
                "a second statement",
            );
            e.help = Some("put each statement in its own [[step]]".into());
            Err(e)
        }
        _ => Err(err(
            t.span,
            format!("unexpected {} after the statement", t.tok.describe()),
            "expected the end of the statement",
        )),
    }
}

/// Parses one expression (an `expect` value such as `"(void *) -1"`).
pub fn parse_expr(src: &str) -> Result<Expr, ParseError> {
    let toks = lex(src)?;
    let mut p = Parser { toks, pos: 0 };
    let e = p.expr(0)?;
    no_index(&e)?;
    let t = p.tok().clone();
    if t.tok != Tok::Eof {
        return Err(err(
            t.span,
            format!("unexpected {} after the value", t.tok.describe()),
            "expected the end of the value",
        ));
    }
    Ok(e)
}

fn err(span: Span, message: impl Into<String>, label: impl Into<String>) -> ParseError {
    ParseError {
        span,
        message: message.into(),
        label: label.into(),
        help: None,
    }
}

const STMT_FORMS: &str =
    "a statement is `call(args)`, `name = call(args)`, `name = value`, `p[i] = value` or `c = p[i]`";

struct Parser {
    toks: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn tok(&self) -> &Token {
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }
    fn peek(&self) -> &Tok {
        &self.tok().tok
    }
    fn peek2(&self) -> &Tok {
        &self.toks[(self.pos + 1).min(self.toks.len() - 1)].tok
    }
    fn bump(&mut self) -> Token {
        let t = self.tok().clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }
    fn expect(&mut self, want: Tok, what: &str) -> Result<Token, ParseError> {
        if *self.peek() == want {
            return Ok(self.bump());
        }
        let t = self.tok();
        Err(err(
            t.span,
            format!("expected {}, found {}", want.describe(), t.tok.describe()),
            what.to_string(),
        ))
    }

    /// Is the next token a call `name(`? (`sizeof(` and `strlen(` are
    /// values, not calls.)
    fn at_call(&self) -> bool {
        matches!(self.peek(), Tok::Ident(n) if !is_builtin(n)) && *self.peek2() == Tok::LParen
    }

    fn stmt(&mut self) -> Result<Stmt, ParseError> {
        if *self.peek() == Tok::Eof {
            let mut e = err(self.tok().span, "empty statement", "nothing to do");
            e.help = Some(STMT_FORMS.into());
            return Err(e);
        }
        if self.at_call() {
            let call = self.call()?;
            if *self.peek() == Tok::Eq {
                let t = self.tok().clone();
                return Err(err(
                    t.span,
                    "cannot assign to a call",
                    "the left side of `=` is a call",
                ));
            }
            let span = call.span;
            return Ok(Stmt {
                kind: StmtKind::Call(call),
                span,
            });
        }
        let lhs = self.expr(0)?;
        if *self.peek() != Tok::Eq {
            let t = self.tok().clone();
            let mut e = if t.tok == Tok::Eof || t.tok == Tok::Semi {
                err(
                    lhs.span,
                    "this statement does nothing",
                    "a value on its own",
                )
            } else {
                err(
                    t.span,
                    format!("expected `=` or `(`, found {}", t.tok.describe()),
                    "not a statement",
                )
            };
            e.help = Some(STMT_FORMS.into());
            return Err(e);
        }
        self.bump();
        let rhs_is_call = self.at_call();
        let start = lhs.span;
        match lhs.kind {
            ExprKind::Name(name) => {
                let name = Ident {
                    name,
                    span: lhs.span,
                };
                if rhs_is_call {
                    let call = self.call()?;
                    let span = start.to(call.span);
                    return Ok(Stmt {
                        kind: StmtKind::Assign { name, call },
                        span,
                    });
                }
                let rhs = self.expr(0)?;
                let span = start.to(rhs.span);
                if let ExprKind::Index(place) = rhs.kind {
                    return Ok(Stmt {
                        kind: StmtKind::Load {
                            name,
                            place: *place,
                        },
                        span,
                    });
                }
                no_index(&rhs)?;
                Ok(Stmt {
                    kind: StmtKind::Let { name, value: rhs },
                    span,
                })
            }
            ExprKind::Index(place) => {
                no_index(&place.base)?;
                no_index(&place.index)?;
                if rhs_is_call {
                    let call = self.call()?;
                    let mut e = err(call.span, "a store takes a value, not a call", "a call");
                    e.help = Some(format!(
                        "bind the result first: `x = {}(...)`, then store `x`",
                        call.name.name
                    ));
                    return Err(e);
                }
                let rhs = self.expr(0)?;
                no_index(&rhs)?;
                let span = start.to(rhs.span);
                Ok(Stmt {
                    kind: StmtKind::Store {
                        place: *place,
                        value: rhs,
                    },
                    span,
                })
            }
            ExprKind::Field(target) => {
                if rhs_is_call {
                    let call = self.call()?;
                    return Err(err(
                        call.span,
                        "a field takes a value, not a call",
                        "a call",
                    ));
                }
                let rhs = self.expr(0)?;
                no_index(&rhs)?;
                let span = start.to(rhs.span);
                Ok(Stmt {
                    kind: StmtKind::SetField { target, value: rhs },
                    span,
                })
            }
            _ => {
                let mut e = err(
                    start,
                    "cannot assign to this expression",
                    "not a name, `p[i]` or a field",
                );
                e.help = Some(STMT_FORMS.into());
                Err(e)
            }
        }
    }

    fn call(&mut self) -> Result<Call, ParseError> {
        let t = self.bump();
        let Tok::Ident(name) = t.tok else {
            return Err(err(t.span, "expected a call", "not a name"));
        };
        let name = Ident { name, span: t.span };
        self.expect(Tok::LParen, "expected `(`")?;
        let mut args = Vec::new();
        if *self.peek() != Tok::RParen {
            loop {
                let a = self.expr(0)?;
                no_index(&a)?;
                args.push(a);
                match self.peek() {
                    Tok::Comma => {
                        self.bump();
                    }
                    Tok::RParen => break,
                    Tok::Eof | Tok::Semi => {
                        let t = self.tok().clone();
                        let mut e = err(
                            name.span.to(t.span),
                            format!("unclosed call to `{}`", name.name),
                            "no closing `)`",
                        );
                        e.help = Some("add `)`".into());
                        return Err(e);
                    }
                    _ => {
                        let t = self.tok().clone();
                        return Err(err(
                            t.span,
                            format!("expected `,` or `)`, found {}", t.tok.describe()),
                            "expected `,` or `)`",
                        ));
                    }
                }
            }
        }
        let close = self.bump();
        if close.tok != Tok::RParen {
            let mut e = err(
                name.span.to(close.span),
                format!("unclosed call to `{}`", name.name),
                "no closing `)`",
            );
            e.help = Some("add `)`".into());
            return Err(e);
        }
        Ok(Call {
            span: name.span.to(close.span),
            name,
            args,
        })
    }

    /// Pratt loop: parses an expression whose operators bind tighter than `min_bp`.
    fn expr(&mut self, min_bp: u8) -> Result<Expr, ParseError> {
        let mut lhs = self.prefix()?;
        loop {
            match self.peek() {
                Tok::LBracket => {
                    self.bump();
                    let index = self.expr(0)?;
                    let close = self.expect(Tok::RBracket, "expected `]`")?;
                    let span = lhs.span.to(close.span);
                    lhs = Expr {
                        kind: ExprKind::Index(Box::new(Place {
                            base: lhs,
                            index,
                            span,
                        })),
                        span,
                    };
                    continue;
                }
                Tok::Dot => {
                    self.bump();
                    let t = self.bump();
                    let Tok::Ident(fname) = t.tok else {
                        return Err(err(
                            t.span,
                            "expected a field name after `.`",
                            "not a field name",
                        ));
                    };
                    let field = Ident {
                        name: fname,
                        span: t.span,
                    };
                    let span = lhs.span.to(t.span);
                    let path = match lhs.kind {
                        ExprKind::Name(root) => FieldPath {
                            root: Ident {
                                name: root,
                                span: lhs.span,
                            },
                            fields: vec![field],
                            span,
                        },
                        ExprKind::Field(mut p) => {
                            p.fields.push(field);
                            p.span = span;
                            p
                        }
                        _ => {
                            return Err(err(
                                lhs.span,
                                "only a struct name has fields",
                                "not a name",
                            ))
                        }
                    };
                    lhs = Expr {
                        kind: ExprKind::Field(path),
                        span,
                    };
                    continue;
                }
                _ => {}
            }
            let (op, l_bp, r_bp) = match self.peek() {
                Tok::Pipe => (BinOp::Or, 1, 2),
                Tok::Caret => (BinOp::Xor, 3, 4),
                Tok::Amp => (BinOp::And, 5, 6),
                Tok::Shl => (BinOp::Shl, 7, 8),
                Tok::Shr => (BinOp::Shr, 7, 8),
                Tok::Plus => (BinOp::Add, 9, 10),
                Tok::Minus => (BinOp::Sub, 9, 10),
                Tok::Star => (BinOp::Mul, 11, 12),
                Tok::Slash => (BinOp::Div, 11, 12),
                Tok::Percent => (BinOp::Mod, 11, 12),
                _ => break,
            };
            if l_bp < min_bp {
                break;
            }
            self.bump();
            let rhs = self.expr(r_bp)?;
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            };
        }
        Ok(lhs)
    }

    /// Does a type name start at token `i` (just after a `(`)?
    fn type_at(&self, i: usize) -> bool {
        matches!(&self.toks.get(i).map(|t| &t.tok), Some(Tok::Ident(w)) if TYPE_WORDS.contains(&w.as_str()))
    }

    /// Is the next token `(` followed by a type name?
    fn type_follows(&self) -> bool {
        *self.peek() == Tok::LParen && self.type_at(self.pos + 1)
    }

    /// `( type )`: the words of a C type, then `*`s.
    fn type_name(&mut self) -> Result<TypeName, ParseError> {
        let open = self.expect(Tok::LParen, "expected `(`")?;
        let mut words: Vec<(String, Span)> = Vec::new();
        while let Tok::Ident(w) = self.peek().clone() {
            let sp = self.tok().span;
            if !TYPE_WORDS.contains(&w.as_str()) && words.last().is_none_or(|(l, _)| l != "struct")
            {
                return Err(err(
                    sp,
                    format!("`{w}` is not a C type here"),
                    "not a type word",
                ));
            }
            self.bump();
            words.push((w, sp));
        }
        let mut stars = 0;
        while *self.peek() == Tok::Star {
            self.bump();
            stars += 1;
        }
        let close = self.expect(Tok::RParen, "expected `)` after the type")?;
        let span = open.span.to(close.span);
        let mut text = words
            .iter()
            .map(|(w, _)| w.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        if stars > 0 {
            text.push(' ');
            text.push_str(&"*".repeat(stars));
        }
        let base = base_type(&words).map_err(|(sp, m)| {
            let mut e = err(sp.unwrap_or(span), m, "not a C type");
            e.help = Some(
                "types: void *, char *, char, short, int, long, unsigned ..., size_t, ssize_t, off_t, pid_t, key_t, uintptr_t, struct NAME"
                    .into(),
            );
            e
        })?;
        let ty = if stars > 0 { CType::Ptr } else { base };
        Ok(TypeName { ty, text, span })
    }

    fn prefix(&mut self) -> Result<Expr, ParseError> {
        let t = self.bump();
        let kind = match t.tok {
            Tok::Int(v) => ExprKind::Int(v),
            Tok::Char(c) => ExprKind::Char(c),
            Tok::Str(s) => ExprKind::Str(s),
            Tok::Ident(name) if name == "sizeof" => {
                if *self.peek() == Tok::LParen && self.type_follows() {
                    let ty = self.type_name()?;
                    let span = t.span.to(ty.span);
                    return Ok(Expr {
                        kind: ExprKind::SizeofType(ty),
                        span,
                    });
                }
                let e = self.expr(UNARY)?;
                let span = t.span.to(e.span);
                return Ok(Expr {
                    kind: ExprKind::Sizeof(Box::new(e)),
                    span,
                });
            }
            Tok::Ident(name) if name == "strlen" => {
                if *self.peek() != Tok::LParen {
                    let mut e = err(
                        t.span,
                        "`strlen` needs its argument in parentheses",
                        "expected `(`",
                    );
                    e.help = Some("write `strlen(s)`".into());
                    return Err(e);
                }
                self.bump();
                let inner = self.expr(0)?;
                if *self.peek() == Tok::Comma {
                    let c = self.tok().clone();
                    return Err(err(
                        c.span,
                        "`strlen` takes one argument",
                        "a second argument",
                    ));
                }
                let close = self.expect(Tok::RParen, "expected `)`")?;
                return Ok(Expr {
                    kind: ExprKind::Strlen(Box::new(inner)),
                    span: t.span.to(close.span),
                });
            }
            Tok::Ident(name) => {
                if *self.peek() == Tok::LParen {
                    // Parse the call to find its extent, then refuse it.
                    self.pos -= 1;
                    let call = self.call()?;
                    let mut e = err(
                        call.span,
                        format!("a call to `{}` inside an expression", call.name.name),
                        "calls cannot be nested",
                    );
                    e.help = Some(format!(
                        "make it a step of its own and bind its result: `x = {}(...)`",
                        call.name.name
                    ));
                    return Err(e);
                }
                ExprKind::Name(name)
            }
            Tok::LParen if self.type_at(self.pos) => {
                self.pos -= 1;
                let ty = self.type_name()?;
                let e = self.expr(UNARY)?;
                let span = ty.span.to(e.span);
                return Ok(Expr {
                    kind: ExprKind::Cast {
                        ty,
                        expr: Box::new(e),
                    },
                    span,
                });
            }
            Tok::LParen => {
                let inner = self.expr(0)?;
                let close = self.expect(Tok::RParen, "expected `)`")?;
                // Parentheses only group: the span covers them.
                return Ok(Expr {
                    kind: inner.kind,
                    span: t.span.to(close.span),
                });
            }
            Tok::Minus => {
                let e = self.expr(UNARY)?;
                let span = t.span.to(e.span);
                return Ok(Expr {
                    kind: ExprKind::Neg(Box::new(e)),
                    span,
                });
            }
            Tok::Tilde => {
                let e = self.expr(UNARY)?;
                let span = t.span.to(e.span);
                return Ok(Expr {
                    kind: ExprKind::Not(Box::new(e)),
                    span,
                });
            }
            Tok::Amp => {
                let n = self.bump();
                let Tok::Ident(name) = n.tok else {
                    return Err(err(
                        t.span.to(n.span),
                        "`&` takes the name of a struct buffer",
                        "expected a name after `&`",
                    ));
                };
                return Ok(Expr {
                    kind: ExprKind::AddrOf(Ident { name, span: n.span }),
                    span: t.span.to(n.span),
                });
            }
            Tok::Star => {
                let mut e = err(t.span, "`*` cannot dereference here", "not supported");
                e.help = Some("index the pointer instead: `p[0]`".into());
                return Err(e);
            }
            other => {
                let mut e = err(
                    t.span,
                    format!("expected a value, found {}", other.describe()),
                    "expected a value",
                );
                if other == Tok::Eof {
                    e.help = Some(STMT_FORMS.into());
                }
                return Err(e);
            }
        };
        Ok(Expr { kind, span: t.span })
    }
}

/// The binding power of unary operators (`-`, casts, `sizeof`).
const UNARY: u8 = 13;

/// The values that look like calls: `sizeof(x)`, `strlen(s)`.
pub fn is_builtin(name: &str) -> bool {
    matches!(name, "sizeof" | "strlen")
}

/// The words a C type is written with.
const TYPE_WORDS: &[&str] = &[
    "void",
    "char",
    "short",
    "int",
    "long",
    "unsigned",
    "signed",
    "const",
    "struct",
    "size_t",
    "ssize_t",
    "off_t",
    "pid_t",
    "key_t",
    "uid_t",
    "gid_t",
    "mode_t",
    "intptr_t",
    "uintptr_t",
    "int8_t",
    "uint8_t",
    "int16_t",
    "uint16_t",
    "int32_t",
    "uint32_t",
    "int64_t",
    "uint64_t",
];

/// The type the words of a cast name (before its `*`s).
fn base_type(words: &[(String, Span)]) -> Result<CType, (Option<Span>, String)> {
    let ws: Vec<&str> = words
        .iter()
        .map(|(w, _)| w.as_str())
        .filter(|w| *w != "const")
        .collect();
    if ws.is_empty() {
        return Err((None, "a cast needs a type".into()));
    }
    if ws[0] == "struct" {
        return match ws.get(1) {
            Some(n) if ws.len() == 2 => Ok(CType::Struct(n.to_string())),
            _ => Err((words.last().map(|w| w.1), "`struct` needs one name".into())),
        };
    }
    let int = |bits, signed| Ok(CType::Int { bits, signed });
    let one = |name: &str| -> Option<CType> {
        Some(match name {
            "void" => CType::Void,
            "size_t" | "uintptr_t" | "uint64_t" => CType::Int {
                bits: 64,
                signed: false,
            },
            "ssize_t" | "off_t" | "intptr_t" | "int64_t" => CType::Int {
                bits: 64,
                signed: true,
            },
            "pid_t" | "key_t" | "int32_t" => CType::Int {
                bits: 32,
                signed: true,
            },
            "uid_t" | "gid_t" | "mode_t" | "uint32_t" => CType::Int {
                bits: 32,
                signed: false,
            },
            "int16_t" => CType::Int {
                bits: 16,
                signed: true,
            },
            "uint16_t" => CType::Int {
                bits: 16,
                signed: false,
            },
            "int8_t" => CType::Int {
                bits: 8,
                signed: true,
            },
            "uint8_t" => CType::Int {
                bits: 8,
                signed: false,
            },
            _ => return None,
        })
    };
    if ws.len() == 1 {
        if let Some(t) = one(ws[0]) {
            return Ok(t);
        }
    }
    // The C keywords: [signed|unsigned] (char | short [int] | int | long [long] [int]).
    let mut signed = true;
    let mut rest: &[&str] = &ws;
    if let Some((first, r)) = rest.split_first() {
        if *first == "unsigned" || *first == "signed" {
            signed = *first == "signed";
            rest = r;
        }
    }
    match rest {
        [] => int(32, signed),
        ["char"] => int(8, signed),
        ["short"] | ["short", "int"] => int(16, signed),
        ["int"] => int(32, signed),
        ["long"] | ["long", "int"] | ["long", "long"] | ["long", "long", "int"] => int(64, signed),
        _ => Err((
            words.first().map(|w| w.1.to(words[words.len() - 1].1)),
            format!("`{}` is not a C type", ws.join(" ")),
        )),
    }
}

/// A memory access `p[i]` is a statement of its own: `c = p[i]` or `p[i] = v`.
fn no_index(e: &Expr) -> Result<(), ParseError> {
    match &e.kind {
        ExprKind::Index(_) => {
            let mut er = err(
                e.span,
                "a memory access inside an expression",
                "reads memory",
            );
            er.help = Some("read it in a step of its own: `c = p[i]`, then use `c`".into());
            Err(er)
        }
        ExprKind::Neg(x) | ExprKind::Not(x) | ExprKind::Sizeof(x) | ExprKind::Strlen(x) => {
            no_index(x)
        }
        ExprKind::Cast { expr, .. } => no_index(expr),
        ExprKind::Binary { lhs, rhs, .. } => {
            no_index(lhs)?;
            no_index(rhs)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shows an expression fully parenthesised.
    fn show(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Int(v) => v.to_string(),
            ExprKind::Char(c) => format!("'{}'", *c as char),
            ExprKind::Str(s) => format!("{:?}", s.text()),
            ExprKind::Name(n) => n.clone(),
            ExprKind::Neg(x) => format!("(-{})", show(x)),
            ExprKind::Not(x) => format!("(~{})", show(x)),
            ExprKind::Binary { op, lhs, rhs } => {
                format!("({} {} {})", show(lhs), op.symbol(), show(rhs))
            }
            ExprKind::AddrOf(i) => format!("&{}", i.name),
            ExprKind::Cast { ty, expr } => format!("(({}) {})", ty.text, show(expr)),
            ExprKind::Sizeof(x) => format!("sizeof({})", show(x)),
            ExprKind::SizeofType(t) => format!("sizeof({})", t.text),
            ExprKind::Strlen(x) => format!("strlen({})", show(x)),
            ExprKind::Field(p) => format!("{}.{}", p.root.name, p.dotted()),
            ExprKind::Index(p) => format!("{}[{}]", show(&p.base), show(&p.index)),
        }
    }

    fn call_args(src: &str) -> Vec<String> {
        let s = parse_stmt(src).unwrap();
        s.kind.call().unwrap().args.iter().map(show).collect()
    }

    #[test]
    fn c_precedence() {
        assert_eq!(call_args("f(a | b + c * d)"), ["(a | (b + (c * d)))"]);
        assert_eq!(call_args("f(a * b + c | d)"), ["(((a * b) + c) | d)"]);
        assert_eq!(call_args("f(a - b - c)"), ["((a - b) - c)"]);
        assert_eq!(call_args("f((a | b) * 2)"), ["((a | b) * 2)"]);
        assert_eq!(call_args("f(-1, -x * 2)"), ["(-1)", "((-x) * 2)"]);
        assert_eq!(call_args("f(p + 4096)"), ["(p + 4096)"]);
    }

    #[test]
    fn c_precedence_of_division_shifts_and_and() {
        assert_eq!(call_args("f(a + b / c % d)"), ["(a + ((b / c) % d))"]);
        assert_eq!(call_args("f(a << b + c)"), ["(a << (b + c))"]);
        assert_eq!(call_args("f(a & b << c | d)"), ["((a & (b << c)) | d)"]);
        assert_eq!(call_args("f(a >> 1 >> 2)"), ["((a >> 1) >> 2)"]);
        assert_eq!(call_args("f(a | b & c)"), ["(a | (b & c))"]);
        assert_eq!(call_args("f(a | b ^ c & d)"), ["(a | (b ^ (c & d)))"]);
        assert_eq!(call_args("f(~a & b)"), ["((~a) & b)"]);
        assert_eq!(call_args("f(-a / b)"), ["((-a) / b)"]);
    }

    #[test]
    fn casts_sizeof_and_strlen() {
        assert_eq!(call_args("f((void *) -1)"), ["((void *) (-1))"]);
        assert_eq!(call_args("f((char *) p + 1)"), ["(((char *) p) + 1)"]);
        assert_eq!(call_args("f((unsigned long) x)"), ["((unsigned long) x)"]);
        assert_eq!(call_args("f(sizeof(msg) - 1)"), ["(sizeof(msg) - 1)"]);
        assert_eq!(call_args("f(sizeof msg)"), ["sizeof(msg)"]);
        assert_eq!(
            call_args("f(sizeof(struct shmid_ds))"),
            ["sizeof(struct shmid_ds)"]
        );
        assert_eq!(call_args("f(strlen(msg) + 1)"), ["(strlen(msg) + 1)"]);
        let s = parse_stmt("n = strlen(\"abc\")").unwrap();
        assert!(matches!(s.kind, StmtKind::Let { .. }), "{s:?}");
        assert_eq!(
            parse_stmt("f((unsigned float) 1)").unwrap_err().message,
            "`float` is not a C type here"
        );
        assert_eq!(
            parse_stmt("strlen(s)").unwrap_err().message,
            "this statement does nothing"
        );
    }

    #[test]
    fn octal_and_decimal_values() {
        assert_eq!(call_args("f(0666, 666, 0x1b6)"), ["438", "666", "438"]);
    }

    #[test]
    fn parenthesised_span_covers_parentheses() {
        let s = parse_stmt("f((a))").unwrap();
        assert_eq!(s.kind.call().unwrap().args[0].span, Span::new(2, 5));
    }

    #[test]
    fn store_and_load() {
        let s = parse_stmt("p[4096] = 'x'").unwrap();
        let StmtKind::Store { place, value } = &s.kind else {
            panic!("{s:?}")
        };
        assert_eq!(show(&place.base), "p");
        assert_eq!(show(&place.index), "4096");
        assert_eq!(value.kind, ExprKind::Char(b'x'));
        assert_eq!(place.span, Span::new(0, 7));
        let s = parse_stmt("c = (p + 8)[PAGE_SIZE - 1]").unwrap();
        let StmtKind::Load { name, place } = &s.kind else {
            panic!("{s:?}")
        };
        assert_eq!(name.name, "c");
        assert_eq!(show(&place.base), "(p + 8)");
        assert_eq!(show(&place.index), "(PAGE_SIZE - 1)");
    }

    #[test]
    fn statement_forms() {
        let s = parse_stmt(r#"fd = shm_open("/OS", O_CREAT | O_RDWR, 0666);"#).unwrap();
        let StmtKind::Assign { name, call } = &s.kind else {
            panic!()
        };
        assert_eq!(name.name, "fd");
        assert_eq!(call.name.name, "shm_open");
        assert_eq!(call.args.len(), 3);
        assert_eq!(call.span, Span::new(5, 44));
        assert!(matches!(
            parse_stmt("size = 4 * PAGE_SIZE").unwrap().kind,
            StmtKind::Let { .. }
        ));
        assert!(matches!(
            parse_stmt("name = \"/OS\"").unwrap().kind,
            StmtKind::Let { .. }
        ));
        let s = parse_stmt("shmctl(id, IPC_STAT, &buf)").unwrap();
        assert_eq!(show(&s.kind.call().unwrap().args[2]), "&buf");
        let s = parse_stmt("buf.shm_perm.mode = 0600").unwrap();
        let StmtKind::SetField { target, .. } = &s.kind else {
            panic!()
        };
        assert_eq!(target.dotted(), "shm_perm.mode");
        assert_eq!(
            call_args("printf(\"%d\", buf.shm_nattch)")[1],
            "buf.shm_nattch"
        );
        assert_eq!(
            parse_stmt("fork()")
                .unwrap()
                .kind
                .call()
                .unwrap()
                .args
                .len(),
            0
        );
    }

    #[test]
    fn syntax_errors() {
        let e = parse_stmt("x = f(g(1))").unwrap_err();
        assert_eq!(e.message, "a call to `g` inside an expression");
        assert_eq!(e.span, Span::new(6, 10));
        let e = parse_stmt("f(1, 2").unwrap_err();
        assert_eq!(e.message, "unclosed call to `f`");
        let e = parse_stmt("f(1 2)").unwrap_err();
        assert_eq!(e.message, "expected `,` or `)`, found `2`");
        assert!(parse_stmt("").is_err());
        assert!(parse_stmt("fd").is_err());
        assert!(parse_stmt("f(1); g(2)").is_err());
        assert!(parse_stmt("f(1) extra").is_err());
        assert!(parse_stmt("printf(\"%c\", p[0])").is_err());
        assert!(parse_stmt("p[0] = q[1]").is_err());
        assert!(parse_stmt("1 = f()").is_err());
        assert!(parse_stmt("f(a == b)").is_err());
    }
}
