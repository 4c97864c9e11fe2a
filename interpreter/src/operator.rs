//! The operators of the bytecode and of the VM's operator API (`Vm::binary_op`,
//! `Vm::compare`, ...). They mirror the AST's `BinOp` and `CmpOp` but belong to the
//! interpreter: the compiler converts once when it emits an instruction, so native
//! modules that call the VM's operators need nothing from the grammar crate, and the
//! instruction set can change without touching the AST.

use conc_grammar::ast;

/// A binary arithmetic or bitwise operator (`+`, `//`, `<<`, ...), also used in place
/// (`+=`) by `InplaceOp` and the fused in-place instructions.
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

impl BinOp {
    /// The operator as written (`+`, `//`, ...), for messages such as
    /// `unsupported operand type(s) for +: 'int' and 'str'`.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mult => "*",
            BinOp::MatMult => "@",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Pow => "** or pow()",
            BinOp::LShift => "<<",
            BinOp::RShift => ">>",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
            BinOp::BitAnd => "&",
            BinOp::FloorDiv => "//",
        }
    }
}

/// A comparison operator, including identity and membership tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

impl From<ast::BinOp> for BinOp {
    fn from(op: ast::BinOp) -> BinOp {
        match op {
            ast::BinOp::Add => BinOp::Add,
            ast::BinOp::Sub => BinOp::Sub,
            ast::BinOp::Mult => BinOp::Mult,
            ast::BinOp::MatMult => BinOp::MatMult,
            ast::BinOp::Div => BinOp::Div,
            ast::BinOp::Mod => BinOp::Mod,
            ast::BinOp::Pow => BinOp::Pow,
            ast::BinOp::LShift => BinOp::LShift,
            ast::BinOp::RShift => BinOp::RShift,
            ast::BinOp::BitOr => BinOp::BitOr,
            ast::BinOp::BitXor => BinOp::BitXor,
            ast::BinOp::BitAnd => BinOp::BitAnd,
            ast::BinOp::FloorDiv => BinOp::FloorDiv,
        }
    }
}

impl From<ast::CmpOp> for CmpOp {
    fn from(op: ast::CmpOp) -> CmpOp {
        match op {
            ast::CmpOp::Eq => CmpOp::Eq,
            ast::CmpOp::NotEq => CmpOp::NotEq,
            ast::CmpOp::Lt => CmpOp::Lt,
            ast::CmpOp::LtE => CmpOp::LtE,
            ast::CmpOp::Gt => CmpOp::Gt,
            ast::CmpOp::GtE => CmpOp::GtE,
            ast::CmpOp::Is => CmpOp::Is,
            ast::CmpOp::IsNot => CmpOp::IsNot,
            ast::CmpOp::In => CmpOp::In,
            ast::CmpOp::NotIn => CmpOp::NotIn,
        }
    }
}
