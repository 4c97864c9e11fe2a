//! The compiler: AST to code objects. Split by construct: `scope` (symbol tables),
//! `stmt` (statements and control flow), `expr` (expressions), `func` (functions,
//! lambdas, classes, comprehensions), `target` (assignment targets).
//!
//! Module globals are resolved to slots of the module being compiled, so the caller
//! passes that module; every name a module's code mentions gets a slot at compile time.

mod except_star;
mod expr;
mod func;
mod matching;
pub mod scope;
mod stmt;
mod target;

use crate::bytecode::{Code, ExcEntry, Instr, CO_EVAL, CO_INTERACTIVE, CO_TOPLEVEL};
use crate::value::module::ModuleObj;
use crate::value::str::intern;
use crate::value::{ObjRef, Value};
use conc_grammar::ast::{Module, Stmt};
use conc_grammar::{LineIndex, Span};
use scope::{ScopeKind, SymbolTable};
use std::collections::HashMap;
use std::sync::Arc;

/// A compile-time error (reported as SyntaxError with a span, or as
/// RecursionError when the program nests too deeply to compile: `too_deep`).
#[derive(Debug, Clone)]
pub struct CompileError {
    pub message: String,
    pub span: Span,
    pub too_deep: bool,
}

/// What kind of top-level code is compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A module or script.
    Exec,
    /// A REPL entry: expression statements echo their value.
    Interactive,
    /// One expression whose value the code returns (`eval`).
    Eval,
}

/// How long a compilation's code lives (see `value/code.rs`).
#[derive(Clone)]
pub enum Lifetime {
    /// The code of a module or script: immortal, with immortal constants.
    Module,
    /// Code compiled at run time, freed with its last owner. Holds the module whose
    /// slots the code uses when that module is mortal (a namespace for `exec` with a
    /// dict), so that the code keeps it alive.
    RunTime(Option<ObjRef>),
}

/// Blocks that `break`, `continue` and `return` must leave in order.
enum FBlock {
    /// A loop: `continue` jumps to `start`; `break` jumps are patched at the end.
    /// `for` loops hold their iterator on the stack.
    Loop { start: usize, breaks: Vec<usize>, is_for: bool },
    /// A try body with handlers (nothing to undo).
    TryExcept,
    /// A try body with a finally: leaving it runs the finally body inline.
    Finally { body: *const [Stmt] },
    /// A with body: leaving it calls the exit function (on the stack).
    With,
    /// An `async with` body: leaving it calls `__aexit__` and awaits the result.
    AsyncWith,
    /// An except handler, or the exception path of a finally body (`finally`):
    /// the exception is on the stack and being handled.
    Handler { finally: bool },
    /// The body of an `except*` clause, which `break`, `continue` and `return`
    /// may not leave.
    ExceptStar,
}

impl FBlock {
    /// How much the block counts against the limit of 20 nested blocks: CPython
    /// counts an except handler twice (it also keeps a cleanup block), everything
    /// else once.
    fn weight(&self) -> usize {
        match self {
            FBlock::Handler { finally: false } | FBlock::ExceptStar => 2,
            _ => 1,
        }
    }
}

struct Unit {
    scope: usize,
    name: String,
    qualname: String,
    instrs: Vec<Instr>,
    spans: Vec<Span>,
    consts: Vec<Value>,
    /// Slot of each constant in `consts` (see `ConstKey`).
    const_map: HashMap<ConstKey, u32>,
    names: Vec<ObjRef>,
    name_map: HashMap<String, u32>,
    global_slots: Vec<u32>,
    varnames: Vec<ObjRef>,
    var_map: HashMap<String, u32>,
    cell_map: HashMap<String, u32>,
    cellvars: Vec<ObjRef>,
    freevars: Vec<ObjRef>,
    exc_table: Vec<ExcEntry>,
    fblocks: Vec<FBlock>,
    /// Code emitted to leave blocks early (`return`, `break`, `continue` running a
    /// finally body, closing a with): (start, end, index in `fblocks` of the block
    /// left). An exception there must not reach the handlers of that block or of
    /// the blocks inside it, which the code has already left: `protect` cuts these
    /// ranges out of their protected ranges, so a finally body that raises during a
    /// `return` does not run again.
    leave_ranges: Vec<(usize, usize, usize)>,
    /// Values the enclosing blocks keep on the stack at statement boundaries.
    base_depth: u32,
    /// Handlers currently open (for the exception table's handled-exception depth).
    exc_depth: u32,
    span: Span,
    flags: u32,
    arg_count: u32,
    posonly_count: u32,
    kwonly_count: u32,
    first_line: u32,
}

pub struct Compiler<'a> {
    filename: String,
    source: Arc<str>,
    line_index: Arc<LineIndex>,
    table: SymbolTable,
    module: &'a ModuleObj,
    units: Vec<Unit>,
    mode: Mode,
    /// Module code lives for ever and its constants are made immortal (threads share
    /// them without writing counts); code compiled at run time stays mortal and is
    /// freed with its last owner (`value/code.rs`).
    immortal: bool,
    /// The mortal module the code keeps alive (`Lifetime::RunTime`).
    module_owner: Option<ObjRef>,
}

/// Parses and compiles `source` (from `file`) for `module`. A syntax error comes back
/// rendered as for scripts: a miette diagnostic ending with CPython's message.
/// Returns the top-level code object (see [`compile`]).
pub fn compile_source(
    source: &str,
    file: &str,
    module: &ModuleObj,
    mode: Mode,
    lifetime: Lifetime,
) -> Result<ObjRef, String> {
    let ast = conc_grammar::parse(source, file).map_err(|e| conc_grammar::render(&e, source, file))?;
    compile(&ast, file, source, module, mode, lifetime).map_err(|e| {
        if e.too_deep {
            // Not a syntax error: CPython reports it as a RecursionError.
            return format!("RecursionError: {}\n", e.message);
        }
        let err = conc_grammar::SyntaxError::new(conc_grammar::SyntaxErrorKind::SyntaxError, e.message, e.span);
        conc_grammar::render(&err, source, file)
    })
}

/// Compiles a parsed module for `module` (whose global slots the code will use) into
/// a tree of code objects, returning the top one. Module code and its constants are
/// immortal; code compiled at run time is freed with its last owner.
pub fn compile(
    ast: &Module,
    filename: &str,
    source: &str,
    module: &ModuleObj,
    mode: Mode,
    lifetime: Lifetime,
) -> Result<ObjRef, CompileError> {
    let table =
        scope::analyze(ast).map_err(|e| CompileError { message: e.message, span: e.span, too_deep: e.too_deep })?;
    let source: Arc<str> = Arc::from(source);
    let line_index = Arc::new(LineIndex::new(&source));
    let (immortal, module_owner) = match lifetime {
        Lifetime::Module => (true, None),
        Lifetime::RunTime(owner) => (false, owner),
    };
    let mut c = Compiler {
        filename: filename.to_string(),
        source,
        line_index,
        table,
        module,
        units: Vec::new(),
        mode,
        immortal,
        module_owner,
    };
    c.push_unit(0, "<module>", "<module>", Span::default());
    c.unit().flags |= CO_TOPLEVEL;
    match mode {
        Mode::Eval => {
            c.unit().flags |= CO_EVAL;
            // The source parsed as a module: `eval` accepts exactly one expression.
            match ast.body.as_slice() {
                [Stmt { kind: conc_grammar::ast::StmtKind::Expr(e), .. }] => {
                    c.expr(e)?;
                    c.emit(Instr::Return);
                }
                body => {
                    let span = body.iter().find(|s| !matches!(s.kind, conc_grammar::ast::StmtKind::Expr(_)));
                    let span = span.or(body.get(1)).map(|s| s.span).unwrap_or_default();
                    return Err(CompileError { message: "invalid syntax".into(), span, too_deep: false });
                }
            }
        }
        Mode::Interactive | Mode::Exec => {
            if mode == Mode::Interactive {
                c.unit().flags |= CO_INTERACTIVE;
            }
            c.stmts(&ast.body)?;
            let none = c.const_value(Value::None);
            c.emit(Instr::LoadConst(none));
            c.emit(Instr::Return);
        }
    }
    Ok(c.pop_unit())
}

impl<'a> Compiler<'a> {
    fn unit(&mut self) -> &mut Unit {
        self.units.last_mut().expect("a code unit is open")
    }

    fn unit_ref(&self) -> &Unit {
        self.units.last().expect("a code unit is open")
    }

    fn scope(&self) -> &scope::Scope {
        &self.table.scopes[self.unit_ref().scope]
    }

    /// Whether the nearest enclosing function (looking through comprehensions,
    /// which an `async def` may hold awaits in) is an `async def`.
    fn in_async_function(&self) -> bool {
        let mut at = Some(self.unit_ref().scope);
        while let Some(i) = at {
            let sc = &self.table.scopes[i];
            match sc.kind {
                // An asynchronous generator expression may stand anywhere.
                scope::ScopeKind::Comprehension if sc.is_coroutine && sc.is_generator => return true,
                scope::ScopeKind::Comprehension => at = sc.parent,
                _ => return sc.is_coroutine,
            }
        }
        false
    }

    fn push_unit(&mut self, scope: usize, name: &str, qualname: &str, span: Span) {
        let sc = &self.table.scopes[scope];
        let mut var_map = HashMap::new();
        let mut varnames = Vec::new();
        if sc.is_function_like() {
            for p in &sc.params {
                if !var_map.contains_key(p) {
                    var_map.insert(p.clone(), varnames.len() as u32);
                    varnames.push(intern(p));
                }
            }
            for n in &sc.bound {
                if matches!(sc.symbols.get(n), Some(scope::Sym::Local) | Some(scope::Sym::Cell))
                    && !var_map.contains_key(n)
                {
                    var_map.insert(n.clone(), varnames.len() as u32);
                    varnames.push(intern(n));
                }
            }
        }
        let mut cell_map = HashMap::new();
        let mut cellvars = Vec::new();
        for n in &sc.cellvars {
            cell_map.insert(n.clone(), cellvars.len() as u32);
            cellvars.push(intern(n));
        }
        let mut freevars = Vec::new();
        for n in &sc.freevars {
            cell_map.insert(n.clone(), (cellvars.len() + freevars.len()) as u32);
            freevars.push(intern(n));
        }
        let first_line = self.line_index.line(span.start) as u32;
        self.units.push(Unit {
            scope,
            name: name.to_string(),
            qualname: qualname.to_string(),
            instrs: Vec::new(),
            spans: Vec::new(),
            consts: Vec::new(),
            const_map: HashMap::new(),
            names: Vec::new(),
            name_map: HashMap::new(),
            global_slots: Vec::new(),
            varnames,
            var_map,
            cell_map,
            cellvars,
            freevars,
            exc_table: Vec::new(),
            fblocks: Vec::new(),
            leave_ranges: Vec::new(),
            base_depth: 0,
            exc_depth: 0,
            span,
            flags: 0,
            arg_count: 0,
            posonly_count: 0,
            kwonly_count: 0,
            first_line,
        });
    }

    /// Finishes the innermost unit into a code object (immortal for module code).
    fn pop_unit(&mut self) -> ObjRef {
        let u = self.units.pop().expect("a code unit is open");
        let scope = &self.table.scopes[u.scope];
        // Parameters captured by inner functions start in cells.
        let mut cell_params = Vec::new();
        for (ci, n) in scope.cellvars.iter().enumerate() {
            if let Some(li) = scope.params.iter().position(|p| p == n) {
                cell_params.push((ci as u32, li as u32));
            }
        }
        let max_stack = compute_max_stack(&u.instrs, &u.exc_table);
        let mut flags = u.flags;
        if u.arg_count > 0
            && !cell_params.iter().any(|&(_, li)| li == 0)
            && !u.instrs.iter().any(|i| matches!(i, Instr::StoreFast(0) | Instr::DeleteFast(0)))
        {
            flags |= crate::bytecode::CO_STABLE_SELF;
        }
        let code = Code {
            name_obj: crate::value::str::intern(&u.name),
            name: u.name,
            qualname: u.qualname,
            filename: self.filename.clone(),
            instrs: u.instrs,
            spans: u.spans,
            consts: u.consts,
            attr_hints: u.names.iter().map(|_| std::sync::atomic::AtomicU8::new(u8::MAX)).collect(),
            builtin_slots: u.names.iter().map(|_| std::sync::atomic::AtomicU32::new(u32::MAX)).collect(),
            names: u.names,
            global_slots: u.global_slots,
            exc_table: u.exc_table,
            posonly_count: u.posonly_count,
            arg_count: u.arg_count,
            kwonly_count: u.kwonly_count,
            flags,
            varnames: u.varnames,
            cellvars: u.cellvars,
            freevars: u.freevars,
            cell_params,
            max_stack,
            first_line: u.first_line,
            source: self.source.clone(),
            line_index: self.line_index.clone(),
            module_addr: self.module as *const ModuleObj as usize,
            module_owner: self.module_owner.clone(),
        };
        crate::value::code::new_code_object(code, self.immortal)
    }

    /// Appends an instruction with the current span; returns its index.
    fn emit(&mut self, i: Instr) -> usize {
        let u = self.unit();
        u.instrs.push(i);
        u.spans.push(u.span);
        u.instrs.len() - 1
    }

    fn here(&self) -> usize {
        self.unit_ref().instrs.len()
    }

    /// Points the jump at `at` to `target`.
    fn patch(&mut self, at: usize, target: usize) {
        let t = target as u32;
        let u = self.unit();
        u.instrs[at] = match u.instrs[at] {
            Instr::Jump(_) => Instr::Jump(t),
            Instr::PopJumpIfFalse(_) => Instr::PopJumpIfFalse(t),
            Instr::PopJumpIfTrue(_) => Instr::PopJumpIfTrue(t),
            Instr::JumpIfFalseOrPop(_) => Instr::JumpIfFalseOrPop(t),
            Instr::JumpIfTrueOrPop(_) => Instr::JumpIfTrueOrPop(t),
            Instr::ForIter(_) => Instr::ForIter(t),
            Instr::CompareJumpIfFalse(op, _) => Instr::CompareJumpIfFalse(op, t),
            Instr::CompareJumpIfTrue(op, _) => Instr::CompareJumpIfTrue(op, t),
            Instr::CompareFastJump(a, b, f, op, _) => Instr::CompareFastJump(a, b, f, op, t),
            Instr::Send(_) => Instr::Send(t),
            Instr::PopJumpIfNone(_) => Instr::PopJumpIfNone(t),
            other => other,
        };
    }

    fn set_span(&mut self, span: Span) -> Span {
        std::mem::replace(&mut self.unit().span, span)
    }

    fn const_value(&mut self, v: Value) -> u32 {
        // Immortal constants are shared by every thread that runs the code; those of
        // code compiled at run time are freed with it.
        if let Value::Obj(o) = &v {
            if self.immortal {
                o.make_immortal();
            }
        }
        let u = self.unit();
        // Equal constants share one slot; the map keeps this linear in the number
        // of constants (a display of 100,000 literals).
        let key = ConstKey::of(&v);
        if let Some(i) = key.as_ref().and_then(|k| u.const_map.get(k)) {
            return *i;
        }
        let i = u.consts.len() as u32;
        u.consts.push(v);
        if let Some(k) = key {
            u.const_map.insert(k, i);
        }
        i
    }

    fn const_str(&mut self, s: &str) -> u32 {
        self.const_value(Value::Obj(intern(s)))
    }

    /// Index of a name in the names table (attributes, globals, class names).
    fn name_index(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.unit_ref().name_map.get(name) {
            return i;
        }
        let r = intern(name);
        let slot = self.module.globals.slot_for(&r);
        let u = self.unit();
        let i = u.names.len() as u32;
        u.names.push(r);
        u.global_slots.push(slot);
        u.name_map.insert(name.to_string(), i);
        i
    }

    fn error(&self, message: impl Into<String>, span: Span) -> CompileError {
        CompileError { message: message.into(), span, too_deep: false }
    }

    fn qualname_for(&self, name: &str) -> String {
        let u = self.unit_ref();
        let sc = &self.table.scopes[u.scope];
        match sc.kind {
            ScopeKind::Module => name.to_string(),
            ScopeKind::Class => format!("{}.{}", u.qualname, name),
            _ => format!("{}.<locals>.{}", u.qualname, name),
        }
    }

    fn stmts(&mut self, body: &[Stmt]) -> Result<(), CompileError> {
        for s in body {
            self.stmt(s)?;
        }
        Ok(())
    }
}

/// What makes two constants the same slot: equal values of the same type (floats
/// by their bits, so 0.0 and -0.0 stay apart), equal strings, or the same object.
#[derive(PartialEq, Eq, Hash)]
enum ConstKey {
    None,
    Bool(bool),
    Int(i64),
    Float(u64),
    Str(String),
    Object(usize),
}

impl ConstKey {
    /// None for values that never share a slot.
    fn of(v: &Value) -> Option<ConstKey> {
        Some(match v {
            Value::None => ConstKey::None,
            Value::Bool(b) => ConstKey::Bool(*b),
            Value::Int(i) => ConstKey::Int(*i),
            Value::Float(f) => ConstKey::Float(f.to_bits()),
            Value::Obj(o) => match &**o {
                crate::value::Object::Str(s) => ConstKey::Str(s.as_str().to_string()),
                _ => ConstKey::Object(o.addr()),
            },
            _ => return None,
        })
    }
}

/// The deepest operand stack any path through the code reaches.
fn compute_max_stack(instrs: &[Instr], exc: &[ExcEntry]) -> u32 {
    let n = instrs.len();
    let mut depth_at: Vec<i32> = vec![-1; n + 1];
    let mut work: Vec<(usize, i32)> = vec![(0, 0)];
    for e in exc {
        work.push((e.handler as usize, e.depth as i32 + 1));
    }
    let mut max = 0i32;
    while let Some((mut ip, mut d)) = work.pop() {
        while ip < n {
            if depth_at[ip] >= d {
                break;
            }
            depth_at[ip] = d;
            max = max.max(d);
            let i = instrs[ip];
            let (effect, jump, jump_effect, falls) = stack_effect(i);
            if let Some(t) = jump {
                work.push((t as usize, d + jump_effect));
            }
            d += effect;
            max = max.max(d);
            if !falls {
                break;
            }
            ip += 1;
        }
    }
    max.max(1) as u32 + 2
}

/// (effect when falling through, jump target, effect when jumping, falls through).
fn stack_effect(i: Instr) -> (i32, Option<u32>, i32, bool) {
    use Instr::*;
    let e = match i {
        Nop | Rot2 | Rot3 | Rot4 | UnaryNeg | UnaryPos | UnaryInvert | UnaryNot | GetIter | ListToTuple => 0,
        Pop => -1,
        Dup => 1,
        Dup2 => 2,
        LoadConst(_) | LoadFast(_) | LoadDeref(_) | LoadClosure(_) | LoadGlobal(_) | LoadName(_)
        | LoadClassDeref(..) => 1,
        StoreFast(_) | StoreDeref(_) | StoreGlobal(_) | StoreName(_) => -1,
        DeleteFast(_) | DeleteDeref(_) | DeleteGlobal(_) | DeleteName(_) => 0,
        LoadAttr(_) => 0,
        StoreAttr(_) => -2,
        DeleteAttr(_) => -1,
        LoadMethod(_) => 1,
        CallMethod(n) => -(n as i32) - 1,
        CallMethodKw(n, _) => -(n as i32) - 1,
        CallLocalMethod(_, packed) => 1 - (packed >> 24) as i32,
        Subscript => -1,
        SubscrFastConst(..) | SubscrFastFast(..) | LoadFastAttr(..) => 1,
        BinaryOpFastFast(..) | BinaryOpFastConst(..) => 1,
        InplaceSubscrFast(..) => -1,
        StoreSubscrFastConst(..) | StoreFastAttr(..) | InplaceFastAttr(..) => -1,
        StoreSubscript => -3,
        DeleteSubscript => -2,
        BuildSlice(n) => 1 - n as i32,
        BinaryOp(_) | InplaceOp(_) | CompareOp(_) => -1,
        Jump(t) => return (0, Some(t), 0, false),
        PopJumpIfFalse(t) | PopJumpIfTrue(t) => return (-1, Some(t), -1, true),
        CompareJumpIfFalse(_, t) | CompareJumpIfTrue(_, t) => return (-2, Some(t), -2, true),
        CompareFastJump(.., t) => return (0, Some(t), 0, true),
        JumpIfFalseOrPop(t) | JumpIfTrueOrPop(t) => return (-1, Some(t), 0, true),
        ForIter(t) => return (1, Some(t), -1, true),
        Return => return (-1, None, 0, false),
        BuildTuple(n) | BuildList(n) | BuildSet(n) | BuildString(n) => 1 - n as i32,
        BuildMap(n) => 1 - 2 * n as i32,
        FormatValue(f) => {
            if f & 4 != 0 {
                -1
            } else {
                0
            }
        }
        ListAppend(_) | SetAdd(_) | ListExtend(_) | SetUpdate(_) | DictUpdate(_) | DictMerge(_) => -1,
        MapAdd(_) => -2,
        UnpackSequence(n) => n as i32 - 1,
        UnpackEx(a, b) => (a + b) as i32,
        MakeFunction(_, flags) => 1 - (flags.count_ones() as i32),
        Call(n) => -(n as i32),
        CallKw(n, _) => -(n as i32),
        CallEx(f) => -1 - (f & 1) as i32,
        LoadBuildClass => 1,
        Raise(_) | Reraise => return (0, None, 0, false),
        PushExcInfo | PopExcept => 0,
        CheckExcMatch | CheckEgMatch | PrepReraiseStar => 0,
        BeforeWith => 2,
        WithExitNormal => -2,
        WithExceptStart => 1,
        LoadAssertionError => 1,
        YieldValue => 0,
        GetYieldFromIter | GetAwaitable(_) | GetAIter | AsyncGenWrap => 0,
        BeforeAsyncWith => 2,
        AsyncWithExit => -1,
        GetANext => 1,
        EndAsyncFor => -2,
        Send(t) => return (0, Some(t), -1, true),
        ImportName(..) => 0,
        ImportFrom(_) => 1,
        ImportStar => -1,
        MatchSequence | MatchMapping | GetLen | MatchKeys => 1,
        CopyDictWithoutKeys => 0,
        MatchClass(..) => -1,
        PopJumpIfNone(t) => return (-1, Some(t), -1, true),
        PrintExpr => -1,
        SetupAnnotations => 0,
    };
    (e, None, 0, true)
}
