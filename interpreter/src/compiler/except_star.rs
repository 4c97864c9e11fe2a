//! `try` with `except*` clauses (PEP 654).
//!
//! While the clauses run, the handler keeps three values on the stack: the
//! exception being handled (`orig`), a list of what the clauses raised, and the
//! part of `orig` no clause has matched yet (`rest`, None once all is matched).
//! Each clause splits `rest` by its type (`CheckEgMatch`); a clause that matches
//! runs with the matched group as the exception being handled, and an exception
//! it raises is appended to the list instead of propagating. After the last
//! clause the unmatched rest joins the list and `PrepReraiseStar` works out what
//! to raise: nothing, the unhandled and re-raised parts of `orig` (with its
//! structure), or a new group of those and what the clauses raised.

use super::{CompileError, Compiler, FBlock};
use crate::bytecode::Instr;
use crate::value::Value;
use conc_grammar::ast::*;

pub(super) const LEAVE_MESSAGE: &str = "'break', 'continue' and 'return' cannot appear in an except* block";

impl<'a> Compiler<'a> {
    pub(super) fn try_star(
        &mut self,
        body: &[Stmt],
        handlers: &[ExceptHandler],
        orelse: &[Stmt],
    ) -> Result<(), CompileError> {
        let depth = self.unit_ref().base_depth;
        let start = self.here();
        self.push_block(FBlock::TryExcept)?;
        self.stmts(body)?;
        self.unit().fblocks.pop();
        let end_body = self.here();
        self.stmts(orelse)?;
        let jend = self.emit(Instr::Jump(0));
        let handler = self.here();
        self.protect(start, end_body, handler, depth);
        self.emit(Instr::PushExcInfo);
        self.unit().exc_depth += 1;
        // [orig] -> [orig list rest]
        self.emit(Instr::Dup);
        self.emit(Instr::BuildList(0));
        self.emit(Instr::Rot2);
        self.unit().base_depth += 3;
        for h in handlers {
            self.star_clause(h)?;
        }
        // [orig list rest] -> [orig list] -> [orig result]
        self.emit(Instr::ListAppend(1));
        self.emit(Instr::PrepReraiseStar);
        self.emit(Instr::Dup);
        let handled = self.emit(Instr::PopJumpIfNone(0));
        self.emit(Instr::Reraise);
        let here = self.here();
        self.patch(handled, here);
        self.emit(Instr::Pop);
        self.emit(Instr::PopExcept);
        self.emit(Instr::Pop);
        self.unit().base_depth -= 3;
        self.unit().exc_depth -= 1;
        let end = self.here();
        self.patch(jend, end);
        Ok(())
    }

    /// One `except* T as name:` clause, with `[orig list rest]` on the stack.
    fn star_clause(&mut self, h: &ExceptHandler) -> Result<(), CompileError> {
        let saved = self.set_span(h.span);
        if let Some(t) = &h.typ {
            self.expr(t)?;
        }
        // [orig list rest match]
        self.emit(Instr::CheckEgMatch);
        self.emit(Instr::Dup);
        let no_match = self.emit(Instr::PopJumpIfNone(0));
        self.emit(Instr::PushExcInfo);
        self.unit().exc_depth += 1;
        self.unit().base_depth += 1;
        if let Some(n) = &h.name {
            self.emit(Instr::Dup);
            self.store_name(n);
        }
        self.set_span(saved);
        let body_start = self.here();
        self.push_block(FBlock::ExceptStar)?;
        self.stmts(&h.body)?;
        self.unit().fblocks.pop();
        let body_end = self.here();
        self.end_star_clause(h);
        let next = self.emit(Instr::Jump(0));
        // An exception the body raised: [orig list rest match exc] -> [orig list rest]
        let raised = self.here();
        let depth = self.unit_ref().base_depth;
        self.protect(body_start, body_end, raised, depth);
        self.emit(Instr::ListAppend(3));
        self.end_star_clause(h);
        let next2 = self.emit(Instr::Jump(0));
        self.unit().base_depth -= 1;
        self.unit().exc_depth -= 1;
        let here = self.here();
        self.patch(no_match, here);
        // No match: drop the None.
        self.emit(Instr::Pop);
        let here = self.here();
        self.patch(next, here);
        self.patch(next2, here);
        Ok(())
    }

    /// Ends a clause's handling of its match: `[.. match] -> [..]`, and unbinds the
    /// name, as `except T as name:` does.
    fn end_star_clause(&mut self, h: &ExceptHandler) {
        self.emit(Instr::PopExcept);
        self.emit(Instr::Pop);
        if let Some(n) = &h.name {
            let c = self.const_value(Value::None);
            self.emit(Instr::LoadConst(c));
            self.store_name(n);
            self.delete_name(n);
        }
    }
}
