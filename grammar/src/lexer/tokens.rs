//! The two token types: `RawTok`, which logos recognises in one pass over the bytes,
//! and `Tok`, the token the parser consumes (with decoded payloads and the layout
//! tokens NEWLINE, INDENT and DEDENT that only the indentation layer can produce).

use crate::ast::IntLiteral;
use logos::Logos;

/// What logos recognises. Strings are found by a hand-written scanner (a callback),
/// because Python's rules for where a string ends (escapes, triple quotes, line
/// continuations) are easier to state as code than as one regular expression.
#[derive(Logos, Debug, Clone, Copy, PartialEq)]
#[logos(skip r"[ \t\x0C]+")]
pub enum RawTok {
    #[regex(r"#[^\r\n]*")]
    Comment,
    #[regex(r"\r\n|\n|\r")]
    Newline,
    /// A backslash that joins the next physical line to this one.
    #[regex(r"\\(\r\n|\n|\r)")]
    Continuation,
    /// A backslash not followed by a newline (an error outside strings).
    #[token("\\")]
    StrayBackslash,

    /// ASCII and non-ASCII letters alike; the lexer checks afterwards that every
    /// non-ASCII character is allowed in an identifier, so that a stray full-width
    /// comma is reported as CPython does (`invalid character '，' (U+FF0C)`).
    #[regex(r"[A-Za-z_\u{80}-\u{10FFFF}][A-Za-z0-9_\u{80}-\u{10FFFF}]*")]
    Name,

    #[regex(r"[0-9](_?[0-9])*")]
    DecInt,
    #[regex(r"0[xX](_?[0-9a-fA-F])+")]
    HexInt,
    #[regex(r"0[oO](_?[0-7])+")]
    OctInt,
    #[regex(r"0[bB](_?[01])+")]
    BinInt,
    #[regex(r"[0-9](_?[0-9])*\.([0-9](_?[0-9])*)?([eE][+-]?[0-9](_?[0-9])*)?")]
    #[regex(r"\.[0-9](_?[0-9])*([eE][+-]?[0-9](_?[0-9])*)?")]
    #[regex(r"[0-9](_?[0-9])*[eE][+-]?[0-9](_?[0-9])*")]
    Float,

    /// The opening of a string literal: an optional prefix and a quote. The callback
    /// consumes the rest of the literal.
    #[regex(r#"([rRuUfFbB]|[rR][bBfF]|[bBfF][rR])?['"]"#, super::strings::scan_string)]
    Str(super::strings::StrScan),

    #[token("False")]
    False,
    #[token("None")]
    None,
    #[token("True")]
    True,
    #[token("and")]
    And,
    #[token("as")]
    As,
    #[token("assert")]
    Assert,
    #[token("async")]
    Async,
    #[token("await")]
    Await,
    #[token("break")]
    Break,
    #[token("class")]
    Class,
    #[token("continue")]
    Continue,
    #[token("def")]
    Def,
    #[token("del")]
    Del,
    #[token("elif")]
    Elif,
    #[token("else")]
    Else,
    #[token("except")]
    Except,
    #[token("finally")]
    Finally,
    #[token("for")]
    For,
    #[token("from")]
    From,
    #[token("global")]
    Global,
    #[token("if")]
    If,
    #[token("import")]
    Import,
    #[token("in")]
    In,
    #[token("is")]
    Is,
    #[token("lambda")]
    Lambda,
    #[token("nonlocal")]
    Nonlocal,
    #[token("not")]
    Not,
    #[token("or")]
    Or,
    #[token("pass")]
    Pass,
    #[token("raise")]
    Raise,
    #[token("return")]
    Return,
    #[token("try")]
    Try,
    #[token("while")]
    While,
    #[token("with")]
    With,
    #[token("yield")]
    Yield,
    /// The soft keywords `match` and `case`: logos reads them as names; the lexer's
    /// last pass (`soft_keywords.rs`) turns the ones that begin a match statement or
    /// one of its case blocks into these.
    Match,
    Case,

    #[token("(")]
    LPar,
    #[token(")")]
    RPar,
    #[token("[")]
    LSqb,
    #[token("]")]
    RSqb,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token(":")]
    Colon,
    #[token(",")]
    Comma,
    #[token(";")]
    Semi,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("|")]
    Vbar,
    #[token("&")]
    Amper,
    #[token("<")]
    Less,
    #[token(">")]
    Greater,
    #[token("=")]
    Equal,
    #[token(".")]
    Dot,
    #[token("%")]
    Percent,
    #[token("==")]
    EqEqual,
    #[token("!=")]
    NotEqual,
    #[token("<=")]
    LessEqual,
    #[token(">=")]
    GreaterEqual,
    #[token("~")]
    Tilde,
    #[token("^")]
    Circumflex,
    #[token("<<")]
    LeftShift,
    #[token(">>")]
    RightShift,
    #[token("**")]
    DoubleStar,
    #[token("+=")]
    PlusEqual,
    #[token("-=")]
    MinEqual,
    #[token("*=")]
    StarEqual,
    #[token("/=")]
    SlashEqual,
    #[token("%=")]
    PercentEqual,
    #[token("&=")]
    AmperEqual,
    #[token("|=")]
    VbarEqual,
    #[token("^=")]
    CircumflexEqual,
    #[token("<<=")]
    LeftShiftEqual,
    #[token(">>=")]
    RightShiftEqual,
    #[token("**=")]
    DoubleStarEqual,
    #[token("//")]
    DoubleSlash,
    #[token("//=")]
    DoubleSlashEqual,
    #[token("@")]
    At,
    #[token("@=")]
    AtEqual,
    #[token("->")]
    RArrow,
    #[token("...")]
    Ellipsis,
    #[token(":=")]
    ColonEqual,
    #[token("!")]
    Exclamation,
    /// `<>` exists only so that it can be reported as CPython does.
    #[token("<>")]
    NotEqualOld,
}

/// The body of a string literal, already decoded, or the location of an f-string's
/// body, which the parser splits into literal parts and expression fields.
#[derive(Debug, Clone, PartialEq)]
pub enum StrValue {
    Str(String),
    Bytes(Vec<u8>),
    /// `body` is the byte range between the quotes; `raw` is true for `rf"..."`.
    FString {
        body_start: usize,
        body_end: usize,
        raw: bool,
    },
}

/// A token as the parser sees it. Names borrow from the source, so identifiers cost
/// no allocation until the AST is built.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok<'a> {
    Name(&'a str),
    Int(IntLiteral),
    Float(f64),
    Str(StrValue),
    Newline,
    Indent,
    Dedent,
    /// Synthetic first tokens choosing the grammar's start symbol: a whole file, or
    /// the expression inside an f-string field.
    StartModule,
    StartExpr,
    /// The `(` right after `with` when the parentheses hold with-items (see indent.rs).
    WithLPar,
    Kw(RawTok),
    Op(RawTok),
}

impl RawTok {
    /// The text of a keyword or operator token, for messages.
    pub fn text(self) -> &'static str {
        use RawTok::*;
        match self {
            False => "False",
            None => "None",
            True => "True",
            And => "and",
            As => "as",
            Assert => "assert",
            Async => "async",
            Await => "await",
            Break => "break",
            Class => "class",
            Continue => "continue",
            Def => "def",
            Del => "del",
            Elif => "elif",
            Else => "else",
            Except => "except",
            Finally => "finally",
            For => "for",
            From => "from",
            Global => "global",
            If => "if",
            Import => "import",
            In => "in",
            Is => "is",
            Lambda => "lambda",
            Nonlocal => "nonlocal",
            Not => "not",
            Or => "or",
            Pass => "pass",
            Raise => "raise",
            Return => "return",
            Try => "try",
            While => "while",
            With => "with",
            Yield => "yield",
            Match => "match",
            Case => "case",
            LPar => "(",
            RPar => ")",
            LSqb => "[",
            RSqb => "]",
            LBrace => "{",
            RBrace => "}",
            Colon => ":",
            Comma => ",",
            Semi => ";",
            Plus => "+",
            Minus => "-",
            Star => "*",
            Slash => "/",
            Vbar => "|",
            Amper => "&",
            Less => "<",
            Greater => ">",
            Equal => "=",
            Dot => ".",
            Percent => "%",
            EqEqual => "==",
            NotEqual => "!=",
            LessEqual => "<=",
            GreaterEqual => ">=",
            Tilde => "~",
            Circumflex => "^",
            LeftShift => "<<",
            RightShift => ">>",
            DoubleStar => "**",
            PlusEqual => "+=",
            MinEqual => "-=",
            StarEqual => "*=",
            SlashEqual => "/=",
            PercentEqual => "%=",
            AmperEqual => "&=",
            VbarEqual => "|=",
            CircumflexEqual => "^=",
            LeftShiftEqual => "<<=",
            RightShiftEqual => ">>=",
            DoubleStarEqual => "**=",
            DoubleSlash => "//",
            DoubleSlashEqual => "//=",
            At => "@",
            AtEqual => "@=",
            RArrow => "->",
            Ellipsis => "...",
            ColonEqual => ":=",
            Exclamation => "!",
            NotEqualOld => "<>",
            Comment | Newline | Continuation | StrayBackslash | Name | DecInt | HexInt | OctInt | BinInt | Float
            | Str(_) => "",
        }
    }

    /// True for the keyword tokens (as opposed to operators and punctuation).
    pub fn is_keyword(self) -> bool {
        let t = self.text();
        t.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
    }
}
