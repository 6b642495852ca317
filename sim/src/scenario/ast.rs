//! The syntax tree of one statement. Every span is a byte range in the step's
//! `do` string; [`super::Step::file_span`] turns it into a file span.

use super::diag::Span;
pub use super::lexer::StrLit;

/// One statement: the whole of a step's `do`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StmtKind {
    /// `call(args)`
    Call(Call),
    /// `name = call(args)`: binds `name` in the process to the call's result.
    /// `child = fork()` also names the new process `child`.
    Assign { name: Ident, call: Call },
    /// `name = value`: a C local initialised with a value that touches no
    /// memory: an integer expression (`size = 4 * PAGE_SIZE`), a string
    /// (`name = "/OS"`, a `char name[]`), or a pointer (`q = p + 4096`).
    Let { name: Ident, value: Expr },
    /// `p[i] = value`: a one-byte store through a pointer.
    Store { place: Place, value: Expr },
    /// `c = p[i]`: a one-byte load through a pointer, bound to `c`.
    Load { name: Ident, place: Place },
    /// `buf.shm_perm.mode = 0600`: sets a field of a struct filled by
    /// `shmctl(id, IPC_STAT, &buf)`, to pass back with `IPC_SET`.
    SetField { target: FieldPath, value: Expr },
}

impl StmtKind {
    /// The call this statement makes, if it makes one.
    pub fn call(&self) -> Option<&Call> {
        match self {
            StmtKind::Call(c) | StmtKind::Assign { call: c, .. } => Some(c),
            _ => None,
        }
    }
    /// The name this statement binds, if it binds one.
    pub fn binds(&self) -> Option<&Ident> {
        match self {
            StmtKind::Assign { name, .. }
            | StmtKind::Let { name, .. }
            | StmtKind::Load { name, .. } => Some(name),
            _ => None,
        }
    }
}

/// An identifier with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `name(args)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub name: Ident,
    pub args: Vec<Expr>,
    /// From the name to the closing parenthesis.
    pub span: Span,
}

/// A byte in memory: `base[index]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub base: Expr,
    pub index: Expr,
    pub span: Span,
}

/// `root.field.field`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldPath {
    pub root: Ident,
    pub fields: Vec<Ident>,
    pub span: Span,
}

impl FieldPath {
    /// `shm_perm.mode` (without the root).
    pub fn dotted(&self) -> String {
        self.fields
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(".")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Or,
    Xor,
    And,
    Shl,
    Shr,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "|",
            BinOp::Xor => "^",
            BinOp::And => "&",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
        }
    }

    /// `a op b` as x86_64 computes it on `long`s: wrapping, shifts by the
    /// count masked to 6 bits (`sal`/`sar`), `>>` arithmetic. `None` where
    /// the CPU raises `SIGFPE` (`idiv` by zero, or of `LONG_MIN` by -1).
    pub fn apply(self, a: i64, b: i64) -> Option<i64> {
        Some(match self {
            BinOp::Or => a | b,
            BinOp::Xor => a ^ b,
            BinOp::And => a & b,
            BinOp::Shl => a.wrapping_shl((b & 63) as u32),
            BinOp::Shr => a.wrapping_shr((b & 63) as u32),
            BinOp::Add => a.wrapping_add(b),
            BinOp::Sub => a.wrapping_sub(b),
            BinOp::Mul => a.wrapping_mul(b),
            BinOp::Div => a.checked_div(b)?,
            BinOp::Mod => a.checked_rem(b)?,
        })
    }
}

/// A C type written in a cast or in `sizeof(type)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CType {
    /// An integer type of `bits` bits (`int`, `unsigned long`, `size_t`, ...).
    Int { bits: u32, signed: bool },
    /// A pointer type (`void *`, `char *`, `struct shmid_ds *`).
    Ptr,
    /// `void` alone.
    Void,
    /// `struct NAME`.
    Struct(String),
}

/// A type as written, with its span (the parentheses included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeName {
    pub ty: CType,
    /// The words, as C writes them: `"void *"`, `"unsigned long"`.
    pub text: String,
    pub span: Span,
}

/// The x86_64 sizes of the structs a scenario meets (glibc's layouts).
pub const STRUCT_SIZES: &[(&str, i64)] = &[
    ("shmid_ds", 112),
    ("ipc_perm", 48),
    ("shminfo", 72),
    ("shm_info", 48),
    ("stat", 144),
];

impl CType {
    /// `sizeof(type)` on x86_64; `None` for `void` and an unknown struct.
    pub fn size(&self) -> Option<i64> {
        match self {
            CType::Int { bits, .. } => Some(i64::from(*bits / 8)),
            CType::Ptr => Some(8),
            CType::Void => None,
            CType::Struct(n) => STRUCT_SIZES.iter().find(|(s, _)| s == n).map(|(_, v)| *v),
        }
    }
    /// `(T) v`: the value `v` converted to this integer type (two's
    /// complement truncation, then sign or zero extension to 64 bits).
    pub fn convert(&self, v: i64) -> i64 {
        match *self {
            CType::Int { bits, signed } if bits < 64 => {
                let shift = 64 - bits;
                if signed {
                    (v << shift) >> shift
                } else {
                    ((v as u64) << shift >> shift) as i64
                }
            }
            _ => v,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    /// An integer literal (decimal, `0x` hex or `0` octal).
    Int(i64),
    /// A character literal `'x'`: its byte.
    Char(u8),
    /// A string literal.
    Str(StrLit),
    /// A constant (`O_CREAT`, `NULL`, `PAGE_SIZE`) or a name bound earlier in
    /// the process; the checker tells which.
    Name(String),
    /// `-e`
    Neg(Box<Expr>),
    /// `~e`
    Not(Box<Expr>),
    /// `lhs op rhs`
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `(type) e`: a C cast (`(void *) -1`, `(char *) p`, `(int) n`).
    Cast { ty: TypeName, expr: Box<Expr> },
    /// `sizeof e` or `sizeof(e)`: of a string (its length + 1), a pointer,
    /// or a struct bound by `shmctl`.
    Sizeof(Box<Expr>),
    /// `sizeof(type)`.
    SizeofType(TypeName),
    /// `strlen(s)` of a string literal or a name bound to a string.
    Strlen(Box<Expr>),
    /// `&name`: only as the buffer argument of `shmctl`.
    AddrOf(Ident),
    /// `buf.field` or `buf.shm_perm.mode`: a field of a struct bound by `shmctl`.
    Field(FieldPath),
    /// `p[i]` while parsing; a parsed statement never holds one (a memory
    /// access is a [`StmtKind::Load`] or a [`StmtKind::Store`]).
    Index(Box<Place>),
}

impl Expr {
    /// The bare name this expression is, if it is one.
    pub fn as_name(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Name(n) => Some(n),
            _ => None,
        }
    }
}
