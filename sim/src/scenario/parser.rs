//! The parser of the statement language: recursive descent for statements, a
//! Pratt loop for expressions with C precedence (`*` over `+ -` over `|`,
//! all left-associative; unary `-` and `&` bind tighter; `[i]` and `.field`
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

    fn stmt(&mut self) -> Result<Stmt, ParseError> {
        if *self.peek() == Tok::Eof {
            let mut e = err(self.tok().span, "empty statement", "nothing to do");
            e.help = Some(STMT_FORMS.into());
            return Err(e);
        }
        if matches!(self.peek(), Tok::Ident(_)) && *self.peek2() == Tok::LParen {
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
        let rhs_is_call = matches!(self.peek(), Tok::Ident(_)) && *self.peek2() == Tok::LParen;
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
                Tok::Plus => (BinOp::Add, 3, 4),
                Tok::Minus => (BinOp::Sub, 3, 4),
                Tok::Star => (BinOp::Mul, 5, 6),
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

    fn prefix(&mut self) -> Result<Expr, ParseError> {
        let t = self.bump();
        let kind = match t.tok {
            Tok::Int(v) => ExprKind::Int(v),
            Tok::Char(c) => ExprKind::Char(c),
            Tok::Str(s) => ExprKind::Str(s),
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
                let e = self.expr(7)?;
                let span = t.span.to(e.span);
                return Ok(Expr {
                    kind: ExprKind::Neg(Box::new(e)),
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
        ExprKind::Neg(x) => no_index(x),
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
            ExprKind::Binary { op, lhs, rhs } => {
                format!("({} {} {})", show(lhs), op.symbol(), show(rhs))
            }
            ExprKind::AddrOf(i) => format!("&{}", i.name),
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
