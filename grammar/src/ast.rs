//! The abstract syntax tree produced by [`crate::parse`].
//!
//! The shape follows CPython's `ast` module closely (so that Python users and the
//! compiler find familiar names), with two simplifications: every node carries a
//! [`Span`] (a byte range into the file's source) instead of line/column pairs, and
//! literals are kept in a form that needs no value types (big integers stay digits).
//!
//! This module is the contract between the parser and the compiler: change it only
//! together with both.

use crate::span::Span;

/// An identifier as written in the source (already NFKC-normal in practice).
pub type Ident = String;

/// A whole file (or a REPL entry).
#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    pub body: Vec<Stmt>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    /// An expression evaluated for its effect (its value is echoed by the REPL).
    Expr(Expr),
    /// `a = b = value`: `targets` holds `[a, b]` in source order.
    Assign { targets: Vec<Expr>, value: Expr },
    /// `target op= value`; `op` is the binary operator (`+` for `+=`).
    AugAssign { target: Expr, op: BinOp, value: Expr },
    /// `target: annotation [= value]`. `simple` is true for a plain name target
    /// that is not parenthesised (as in CPython).
    AnnAssign { target: Expr, annotation: Expr, value: Option<Expr>, simple: bool },
    Delete(Vec<Expr>),
    Pass,
    Break,
    Continue,
    Return(Option<Expr>),
    /// `raise`, `raise exc`, `raise exc from cause`.
    Raise { exc: Option<Expr>, cause: Option<Expr> },
    Global(Vec<Ident>),
    Nonlocal(Vec<Ident>),
    Assert { test: Expr, msg: Option<Expr> },
    /// `import a.b as c, d`.
    Import(Vec<Alias>),
    /// `from .m import a as b, c` (`level` counts the dots) or `from m import *`.
    ImportFrom { module: Option<String>, names: ImportNames, level: u32 },
    If { test: Expr, body: Vec<Stmt>, orelse: Vec<Stmt> },
    While { test: Expr, body: Vec<Stmt>, orelse: Vec<Stmt> },
    For { target: Expr, iter: Expr, body: Vec<Stmt>, orelse: Vec<Stmt>, is_async: bool },
    Try { body: Vec<Stmt>, handlers: Vec<ExceptHandler>, orelse: Vec<Stmt>, finalbody: Vec<Stmt> },
    With { items: Vec<WithItem>, body: Vec<Stmt>, is_async: bool },
    FunctionDef(Box<FunctionDef>),
    ClassDef(Box<ClassDef>),
    /// `match subject:` with its case blocks, in order.
    Match { subject: Expr, cases: Vec<MatchCase> },
}

/// `case pattern if guard: body`; `span` runs from `case` to the header's `:`.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchCase {
    pub pattern: Pattern,
    pub guard: Option<Expr>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    pub kind: PatternKind,
    pub span: Span,
}

/// The patterns of PEP 634, shaped as CPython's `ast` module shapes them.
#[derive(Debug, Clone, PartialEq)]
pub enum PatternKind {
    /// A literal (number, string, negative number) or a dotted value, compared with `==`.
    Value(Expr),
    /// `None`, `True` or `False`, compared with `is`.
    Singleton(Constant),
    /// `[p, *rest, q]` or `(p, q)` or `p, q`; at most one `Star` among the items.
    Sequence(Vec<Pattern>),
    /// `{key: p, **rest}`: keys are literals or dotted values.
    Mapping { keys: Vec<Expr>, patterns: Vec<Pattern>, rest: Option<Ident> },
    /// `Cls(p, attr=q)`: `cls` is a name or a dotted name.
    Class { cls: Expr, patterns: Vec<Pattern>, kwd_attrs: Vec<Ident>, kwd_patterns: Vec<Pattern> },
    /// `*name` inside a sequence pattern; None for `*_`.
    Star(Option<Ident>),
    /// `p as name`; a capture `name` has no pattern, the wildcard `_` has neither.
    As { pattern: Option<Box<Pattern>>, name: Option<Ident> },
    /// `p | q | ...` (at least two alternatives).
    Or(Vec<Pattern>),
}

/// `name as asname` in an import. For `import a.b.c`, `name` is `"a.b.c"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Alias {
    pub name: String,
    pub asname: Option<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ImportNames {
    /// `from m import *`
    Star,
    Names(Vec<Alias>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExceptHandler {
    /// The exception expression (`except (A, B) as e:` gives a Tuple); None for a bare `except:`.
    pub typ: Option<Expr>,
    pub name: Option<Ident>,
    pub body: Vec<Stmt>,
    /// From `except` to the end of the header's `:`.
    pub span: Span,
    /// `except*` (PEP 654): the clause handles the matching part of an exception group.
    pub star: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WithItem {
    pub context_expr: Expr,
    pub optional_vars: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    pub name: Ident,
    pub params: Parameters,
    pub body: Vec<Stmt>,
    pub decorators: Vec<Expr>,
    pub returns: Option<Expr>,
    pub is_async: bool,
    /// The span of the name after `def`, for diagnostics.
    pub name_span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClassDef {
    pub name: Ident,
    pub bases: Vec<Expr>,
    pub keywords: Vec<Keyword>,
    pub body: Vec<Stmt>,
    pub decorators: Vec<Expr>,
    pub name_span: Span,
}

/// A parameter list, for `def` and `lambda`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Parameters {
    /// Before `/`.
    pub posonly: Vec<Param>,
    /// Ordinary positional-or-keyword parameters.
    pub args: Vec<Param>,
    /// `*args`.
    pub vararg: Option<Param>,
    /// After `*` or `*args`.
    pub kwonly: Vec<Param>,
    /// `**kwargs`.
    pub kwarg: Option<Param>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub annotation: Option<Expr>,
    /// Always None for `*args` and `**kwargs`.
    pub default: Option<Expr>,
    pub span: Span,
}

/// `name=value` in a call or class header; `arg` is None for `**mapping`.
#[derive(Debug, Clone, PartialEq)]
pub struct Keyword {
    pub arg: Option<Ident>,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Name(Ident),
    Constant(Constant),
    /// An f-string, possibly concatenated with plain strings: `"a" f"{x!r:>{w}}"`.
    JoinedStr(Vec<FStringPart>),
    /// `a and b and c` (values has at least two elements).
    BoolOp { op: BoolOp, values: Vec<Expr> },
    /// `target := value`.
    NamedExpr { target: Ident, value: Box<Expr> },
    BinOp { left: Box<Expr>, op: BinOp, right: Box<Expr> },
    UnaryOp { op: UnaryOp, operand: Box<Expr> },
    Lambda { params: Box<Parameters>, body: Box<Expr> },
    /// `body if test else orelse`.
    IfExp { test: Box<Expr>, body: Box<Expr>, orelse: Box<Expr> },
    /// `{k: v, **m}`: a `None` key is a `**` unpacking of the value.
    Dict(Vec<(Option<Expr>, Expr)>),
    Set(Vec<Expr>),
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    ListComp { elt: Box<Expr>, generators: Vec<Comprehension> },
    SetComp { elt: Box<Expr>, generators: Vec<Comprehension> },
    DictComp { key: Box<Expr>, value: Box<Expr>, generators: Vec<Comprehension> },
    GeneratorExp { elt: Box<Expr>, generators: Vec<Comprehension> },
    Await(Box<Expr>),
    /// `yield` or `yield value`.
    Yield(Option<Box<Expr>>),
    YieldFrom(Box<Expr>),
    /// `left op0 c0 op1 c1 ...` (ops and comparators have the same length).
    Compare { left: Box<Expr>, ops: Vec<CmpOp>, comparators: Vec<Expr> },
    /// Positional arguments may contain `Starred` for `*iterable`.
    Call { func: Box<Expr>, args: Vec<Expr>, keywords: Vec<Keyword> },
    Attribute { value: Box<Expr>, attr: Ident, attr_span: Span },
    /// `value[slice]`; `a[1:2, 3]` has a Tuple slice holding a Slice.
    Subscript { value: Box<Expr>, slice: Box<Expr> },
    /// `*value`, in calls, displays and assignment targets.
    Starred(Box<Expr>),
    /// `lower:upper:step`, only as (part of) a subscript.
    Slice { lower: Option<Box<Expr>>, upper: Option<Box<Expr>>, step: Option<Box<Expr>> },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Constant {
    None,
    True,
    False,
    Ellipsis,
    Int(IntLiteral),
    Float(f64),
    /// Adjacent literals are already concatenated.
    Str(String),
    Bytes(Vec<u8>),
}

/// An integer literal. Values that fit in an `i64` are `Small`; larger ones keep their
/// digits (underscores removed, no prefix) and radix so the interpreter can build a
/// big integer without the grammar crate knowing about one.
#[derive(Debug, Clone, PartialEq)]
pub enum IntLiteral {
    Small(i64),
    Big { digits: String, radix: u32 },
}

/// One piece of an f-string.
#[derive(Debug, Clone, PartialEq)]
pub enum FStringPart {
    Literal(String),
    /// `{expr!conv:spec}`. The `=` form is lowered by the parser into a `Literal`
    /// holding the expression text and `=`, followed by a field whose conversion is
    /// `r` unless a conversion or format spec was given (CPython's rule).
    Field { expr: Box<Expr>, conversion: Option<Conversion>, format_spec: Option<Vec<FStringPart>> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversion {
    /// `!s`
    Str,
    /// `!r`
    Repr,
    /// `!a`
    Ascii,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comprehension {
    pub target: Expr,
    pub iter: Expr,
    pub ifs: Vec<Expr>,
    pub is_async: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolOp {
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mult,
    MatMult,
    Div,
    Mod,
    Pow,
    LShift,
    RShift,
    BitOr,
    BitXor,
    BitAnd,
    FloorDiv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Invert,
    Not,
    UAdd,
    USub,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtE,
    Gt,
    GtE,
    Is,
    IsNot,
    In,
    NotIn,
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }
}

impl Stmt {
    pub fn new(kind: StmtKind, span: Span) -> Stmt {
        Stmt { kind, span }
    }
}
