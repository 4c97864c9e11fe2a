//! The instruction set and code objects.
//!
//! Each instruction documents its operands and its stack effect as
//! `[before] -> [after]`, the top of the stack on the right. Jump targets are
//! instruction indices. Code objects are immutable and immortal once built (they are
//! read by every thread that runs them and are never freed).

use crate::operator::{BinOp, CmpOp};
use crate::value::{ObjRef, Value};
use conc_grammar::Span;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Instr {
    Nop,
    /// `[a] -> []`
    Pop,
    /// `[a] -> [a a]`
    Dup,
    /// `[a b] -> [a b a b]`
    Dup2,
    /// `[a b] -> [b a]`
    Rot2,
    /// `[a b c] -> [c a b]`
    Rot3,
    /// `[a b c d] -> [d a b c]`
    Rot4,

    /// `LoadConst(i)`: `[] -> [consts[i]]`
    LoadConst(u32),
    /// `LoadFast(i)`: `[] -> [locals[i]]`; UnboundLocalError if unbound.
    LoadFast(u32),
    /// `StoreFast(i)`: `[v] -> []`
    StoreFast(u32),
    /// `DeleteFast(i)`: `[] -> []`
    DeleteFast(u32),
    /// `LoadDeref(i)`: `[] -> [cells[i].value]` (cell or free variable i).
    LoadDeref(u32),
    /// `StoreDeref(i)`: `[v] -> []`
    StoreDeref(u32),
    /// `DeleteDeref(i)`: `[] -> []`
    DeleteDeref(u32),
    /// `LoadClosure(i)`: `[] -> [cells[i]]`, the cell itself, for building closures.
    LoadClosure(u32),
    /// `LoadGlobal(i)`: `[] -> [v]`: module slot `names[i]`, falling back to builtins.
    LoadGlobal(u32),
    /// `StoreGlobal(i)`: `[v] -> []`
    StoreGlobal(u32),
    /// `DeleteGlobal(i)`: `[] -> []`
    DeleteGlobal(u32),
    /// `LoadName(i)`: `[] -> [v]`: class namespace, then globals, then builtins.
    LoadName(u32),
    /// `StoreName(i)`: `[v] -> []` into the class namespace.
    StoreName(u32),
    /// `DeleteName(i)`: `[] -> []`
    DeleteName(u32),
    /// `LoadClassDeref(cell, name)`: `[] -> [v]`: class namespace, else the cell.
    LoadClassDeref(u32, u32),

    /// `LoadAttr(name)`: `[obj] -> [obj.name]`
    LoadAttr(u32),
    /// `StoreAttr(name)`: `[v obj] -> []`
    StoreAttr(u32),
    /// `DeleteAttr(name)`: `[obj] -> []`
    DeleteAttr(u32),
    /// `LoadMethod(name)`: `[obj] -> [f self]` when `name` is a plain function found on
    /// the type (no bound method is built), else `[obj.name Null]`.
    LoadMethod(u32),
    /// `CallMethod(argc)`: `[f self a1..an] -> [r]`; `self` Null means call `f(a1..an)`.
    CallMethod(u32),
    /// `CallMethodKw(argc, kwnames)`: like CallMethod; the last `len(consts[kwnames])`
    /// arguments are keywords named by the tuple constant.
    CallMethodKw(u32, u32),
    /// `CallLocalMethod(local, name | argc << 24)`: `[a1..an] -> [r]`, the call
    /// `locals[local].name(a1..an)`. Emitted only when the arguments are constants
    /// and local names (so evaluating them first is not observable), the object is
    /// not reference-counted: a native method with a fast entry gets it in place, a
    /// script method with `CO_STABLE_SELF` holds it uncounted as `self`, and
    /// `generator.send` resumes the generator without counting it.
    CallLocalMethod(u32, u32),
    /// `SubscrFastConst(local, const)`: `[] -> [locals[local][consts[const]]]`, a fused
    /// LoadFast + LoadConst + Subscript that does not count the container.
    SubscrFastConst(u32, u32),
    /// `SubscrFastFast(local, index_local)`: `[] -> [locals[local][locals[index_local]]]`.
    SubscrFastFast(u32, u32),
    /// `StoreSubscrFastConst(local, const)`: `[v] -> []`, `locals[local][consts[const]] = v`.
    StoreSubscrFastConst(u32, u32),
    /// `StoreFastAttr(local, name)`: `[v] -> []`, `locals[local].name = v`.
    StoreFastAttr(u32, u32),
    /// `CompareFastJump(a, b, flags, op, target)`: `[] -> []`, jumps to `target` when
    /// `locals[a] op x` is true (flags bit 1 set) or false (clear), where `x` is
    /// `consts[b]` (flags bit 0 set) or `locals[b]`. `if n < 2:` in one instruction.
    CompareFastJump(u16, u16, u8, CmpOp, u32),
    /// `InplaceSubscrFast(a, k, is_const, op)`: `[v] -> []`, `locals[a][key] op= v`
    /// where key is `consts[k]` (is_const 1) or `locals[k]`. Emitted only when `v` has
    /// no side effects, since it is evaluated before the item is read. A list item
    /// and a number are combined under the list's lock, once.
    InplaceSubscrFast(u16, u16, u8, BinOp),
    /// `BinaryOpFastFast(a, b, op)`: `[] -> [locals[a] op locals[b]]` (e.g. `dx * dx`).
    BinaryOpFastFast(u16, u16, BinOp),
    /// `BinaryOpFastConst(a, c, op)`: `[] -> [locals[a] op consts[c]]` (e.g. `n - 1`).
    BinaryOpFastConst(u16, u16, BinOp),
    /// `LoadFastAttr(local, name)`: `[] -> [locals[local].name]` (e.g. `self.x`).
    LoadFastAttr(u32, u32),
    /// `InplaceFastAttr(local, name, op)`: `[v] -> []`, `locals[local].name op= v`
    /// (e.g. `self.count += 1`). Emitted only when `v` is a constant or a local, since
    /// it is evaluated before the attribute is read. A number attribute of an
    /// instance of a plain class is combined with `v` in place, under one lock.
    InplaceFastAttr(u32, u32, BinOp),
    /// `Subscript`: `[obj key] -> [obj[key]]`
    Subscript,
    /// `StoreSubscript`: `[v obj key] -> []`
    StoreSubscript,
    /// `DeleteSubscript`: `[obj key] -> []`
    DeleteSubscript,
    /// `BuildSlice(n)`: `[lower upper] -> [slice]` or `[lower upper step] -> [slice]`.
    BuildSlice(u32),

    /// `BinaryOp(op)`: `[a b] -> [a op b]`
    BinaryOp(BinOp),
    /// `InplaceOp(op)`: `[a b] -> [a op= b]` (tries `__iop__` first).
    InplaceOp(BinOp),
    /// `[a] -> [-a]`
    UnaryNeg,
    /// `[a] -> [+a]`
    UnaryPos,
    /// `[a] -> [~a]`
    UnaryInvert,
    /// `[a] -> [not a]`
    UnaryNot,
    /// `CompareOp(op)`: `[a b] -> [a op b]` for `== != < <= > >=` (and is/in forms).
    CompareOp(CmpOp),

    /// `Jump(t)`: `[] -> []`, continue at t.
    Jump(u32),
    /// `PopJumpIfFalse(t)`: `[v] -> []`, jump when v is falsy.
    PopJumpIfFalse(u32),
    /// `PopJumpIfTrue(t)`: `[v] -> []`, jump when v is truthy.
    PopJumpIfTrue(u32),
    /// `JumpIfFalseOrPop(t)`: `[v] -> [v]` and jump if falsy, else `[v] -> []`.
    JumpIfFalseOrPop(u32),
    /// `JumpIfTrueOrPop(t)`: `[v] -> [v]` and jump if truthy, else `[v] -> []`.
    JumpIfTrueOrPop(u32),
    /// `CompareJumpIfFalse(op, t)`: `[a b] -> []`, jump to t unless `a op b` (a
    /// comparison fused with the branch that tests it).
    CompareJumpIfFalse(CmpOp, u32),
    /// `CompareJumpIfTrue(op, t)`: `[a b] -> []`, jump to t if `a op b`.
    CompareJumpIfTrue(CmpOp, u32),
    /// `GetIter`: `[obj] -> [iter(obj)]`
    GetIter,
    /// `ForIter(t)`: `[it] -> [it next(it)]`, or when exhausted `[it] -> []` and jump t.
    ForIter(u32),
    /// `Return`: `[v] -> ` returns v from the frame.
    Return,

    /// `BuildTuple(n)`: `[v1..vn] -> [(v1, .., vn)]`
    BuildTuple(u32),
    /// `BuildList(n)`: `[v1..vn] -> [[v1, .., vn]]`
    BuildList(u32),
    /// `BuildSet(n)`: `[v1..vn] -> [{v1, .., vn}]`
    BuildSet(u32),
    /// `BuildMap(n)`: `[k1 v1 .. kn vn] -> [{k1: v1, ..}]`
    BuildMap(u32),
    /// `BuildString(n)`: `[s1..sn] -> [s1 + .. + sn]` (each a str, or an int left by
    /// `FormatValue` with flag 8, written in decimal).
    BuildString(u32),
    /// `FormatValue(flags)`: `[v] -> [str]` or, with bit 4, `[v spec] -> [str]`.
    /// Bits 0-1: conversion (0 none, 1 `!s`, 2 `!r`, 3 `!a`). Bit 8: the result is
    /// a part of `BuildString`, so a plain int (no conversion, no spec) is left as
    /// it is, for `BuildString` to write.
    FormatValue(u32),
    /// `ListAppend(d)`: `[list .. (d-1 items) v] -> [list ..]`, appending v.
    ListAppend(u32),
    /// `SetAdd(d)`: like ListAppend for sets.
    SetAdd(u32),
    /// `MapAdd(d)`: `[map .. k v] -> [map ..]`
    MapAdd(u32),
    /// `ListExtend(d)`: `[list .. iterable] -> [list ..]`
    ListExtend(u32),
    /// `SetUpdate(d)`: `[set .. iterable] -> [set ..]`
    SetUpdate(u32),
    /// `DictUpdate(d)`: `[map .. mapping] -> [map ..]` (`{**m}`)
    DictUpdate(u32),
    /// `DictMerge(d)`: like DictUpdate, but a repeated key is a TypeError (`f(**m)`).
    DictMerge(u32),
    /// `ListToTuple`: `[list] -> [tuple]`
    ListToTuple,
    /// `UnpackSequence(n)`: `[seq] -> [vn .. v1]` (v1 on top).
    UnpackSequence(u32),
    /// `UnpackEx(before, after)`: `[seq] -> [va.. list vb..]`, for `a, *b, c = seq`;
    /// the first target's value on top.
    UnpackEx(u32, u32),

    /// `MakeFunction(code, flags)`: builds a function from `consts[code]`.
    /// Stack, bottom to top, by flag bit: 1 defaults tuple, 2 kw-defaults dict,
    /// 4 closure tuple of cells. `[..] -> [fn]`
    MakeFunction(u32, u32),
    /// `Call(argc)`: `[f a1..an] -> [r]`
    Call(u32),
    /// `CallKw(argc, kwnames)`: `[f a1..an] -> [r]`, the last arguments are keywords
    /// named by the tuple constant `consts[kwnames]`.
    CallKw(u32, u32),
    /// `CallEx(flags)`: `[f args] -> [r]` or with bit 1 `[f args kwargs] -> [r]`.
    CallEx(u32),
    /// `LoadBuildClass`: `[] -> [__build_class__]`
    LoadBuildClass,

    /// `Raise(n)`: `[] -> ` re-raise (n=0), `[exc] -> ` (n=1), `[exc cause] -> ` (n=2).
    Raise(u32),
    /// `Reraise`: `[exc] -> ` raises exc again, keeping its traceback.
    Reraise,
    /// `PushExcInfo`: `[exc] -> [exc]`, making exc the exception being handled.
    PushExcInfo,
    /// `PopExcept`: `[] -> []`, ending the innermost handler.
    PopExcept,
    /// `CheckExcMatch`: `[exc type] -> [exc bool]`
    CheckExcMatch,
    /// `CheckEgMatch`: `[rest type] -> [rest' match]` for an `except* type` clause:
    /// match is the part of rest that type matches (a plain exception wrapped in a
    /// group), None if nothing does; rest' what is left (None when nothing is).
    CheckEgMatch,
    /// `PrepReraiseStar`: `[orig list] -> [orig result]` after the `except*` clauses:
    /// result is what to raise (None when everything was handled), from orig and
    /// the list of what the clauses raised and the unmatched rest.
    PrepReraiseStar,
    /// `BeforeWith`: `[mgr] -> [exit mgr enter()]`, exit is type(mgr).__exit__ unbound,
    /// so no bound method is allocated per `with`.
    BeforeWith,
    /// `WithExitNormal`: `[exit mgr] -> []`, calling exit(mgr, None, None, None).
    WithExitNormal,
    /// `WithExceptStart`: `[exit mgr exc] -> [exit mgr exc r]`, r = exit(mgr, type, exc, tb).
    WithExceptStart,
    /// `LoadAssertionError`: `[] -> [AssertionError]`
    LoadAssertionError,

    /// `YieldValue`: `[v] -> [sent]`: suspends the generator yielding v; resumes with
    /// the sent value (None for `next`).
    YieldValue,
    /// `GetYieldFromIter`: `[x] -> [iter]` (generators are kept as they are).
    GetYieldFromIter,
    /// `Send(t)`: `[it v] -> [it y]` when it yields y (then YieldValue follows), or
    /// `[it v] -> [r]` and jump to t when it returns r.
    Send(u32),
    /// `GetAwaitable(site)`: `[x] -> [iter]` for `await` (site 0), or for what
    /// `__aenter__` (1) or `__aexit__` (2) returned in `async with` (the TypeErrors
    /// name the site). A coroutine is kept as it is; others give `__await__()`.
    GetAwaitable(u32),
    /// `BeforeAsyncWith`: `[mgr] -> [aexit mgr aenter]`: aexit is type(mgr).__aexit__
    /// unbound, aenter the awaitable `__aenter__` returned (awaited next).
    BeforeAsyncWith,
    /// `AsyncWithExit`: `[aexit mgr] -> [r]`, r = aexit(mgr, None, None, None), the
    /// awaitable of a normal exit from `async with` (awaited next, then popped).
    AsyncWithExit,
    /// `GetAIter`: `[x] -> [ait]`, ait = type(x).__aiter__(x), which must have
    /// `__anext__` (`async for`).
    GetAIter,
    /// `GetANext`: `[ait] -> [ait aw]`: aw is the awaitable of `ait.__anext__()`,
    /// awaited next for the loop's next item.
    GetANext,
    /// `EndAsyncFor`: `[ait exc] -> []` when exc is a StopAsyncIteration (the loop
    /// ends normally); any other exception is raised again.
    EndAsyncFor,
    /// `AsyncGenWrap`: `[v] -> [w]` before the `YieldValue` of a `yield` in an async
    /// generator: w marks v as yielded by the generator itself, which its
    /// `asend`/`athrow` awaitables tell apart from the values its awaits pass up.
    AsyncGenWrap,

    /// `ImportName(name, level)`: `[fromlist] -> [module]`; `consts[name]` holds the
    /// dotted name.
    ImportName(u32, u32),
    /// `ImportFrom(name)`: `[module] -> [module module.name]`
    ImportFrom(u32),
    /// `ImportStar`: `[module] -> []`
    ImportStar,

    /// `MatchSequence`: `[subj] -> [subj bool]`: whether subj matches a sequence
    /// pattern (list, tuple, range, deque, `collections.abc.Sequence`; not str,
    /// bytes or bytearray).
    MatchSequence,
    /// `MatchMapping`: `[subj] -> [subj bool]`: whether subj matches a mapping pattern.
    MatchMapping,
    /// `GetLen`: `[subj] -> [subj len(subj)]`
    GetLen,
    /// `MatchKeys`: `[subj keys] -> [subj keys values]`: values is the tuple of
    /// `subj.get(k)` for the keys tuple, or None if a key is missing; a key given
    /// twice is CPython's ValueError.
    MatchKeys,
    /// `CopyDictWithoutKeys`: `[subj keys] -> [subj rest]`: rest is a new dict of
    /// subj's items whose keys are not in the tuple (`**rest`).
    CopyDictWithoutKeys,
    /// `MatchClass(count, kwnames)`: `[subj cls] -> [attrs]`: attrs is the tuple of
    /// `count` positional attributes (named by `cls.__match_args__`, or subj itself
    /// for int, str, ...) and the attributes named by the tuple `consts[kwnames]`,
    /// or None when subj is no instance of cls or lacks one.
    MatchClass(u32, u32),
    /// `PopJumpIfNone(t)`: `[v] -> []`, jump when v is None.
    PopJumpIfNone(u32),

    /// `PrintExpr`: `[v] -> []`, echoing repr(v) unless None (REPL), and setting `_`.
    PrintExpr,
    /// `SetupAnnotations`: `[] -> []`, ensures `__annotations__` exists.
    SetupAnnotations,
}

impl Instr {
    /// The instruction's name as the enum spells it (`LoadConst`), for listings.
    /// Taken from the derived `Debug` text, so a new instruction is named without
    /// another table to keep in step.
    pub fn name(&self) -> String {
        let text = format!("{self:?}");
        match text.find('(') {
            Some(i) => text[..i].to_string(),
            None => text,
        }
    }
}

/// One entry of the exception table: an exception raised by an instruction in
/// `start..end` continues at `handler`, with the operand stack cut to `depth` and the
/// frame's handled-exception stack cut to `exc_depth`, and the exception pushed.
#[derive(Debug, Clone, Copy)]
pub struct ExcEntry {
    pub start: u32,
    pub end: u32,
    pub handler: u32,
    pub depth: u32,
    pub exc_depth: u32,
}

pub const CO_GENERATOR: u32 = 1;
pub const CO_VARARGS: u32 = 2;
pub const CO_VARKEYWORDS: u32 = 4;
pub const CO_COROUTINE: u32 = 8;
/// A class body: names go through the namespace dict.
pub const CO_CLASS_BODY: u32 = 16;
/// Module-level code (or a class body at module level): functions it defines are
/// shared by every thread, so they are made immortal.
pub const CO_TOPLEVEL: u32 = 32;
/// `consts[0]` is the docstring.
pub const CO_HAS_DOC: u32 = 64;
/// The first parameter (`self`) is never rebound, deleted or moved into a cell, so a
/// frame may hold it uncounted while its caller keeps it alive (`Frame::borrowed_self`).
pub const CO_STABLE_SELF: u32 = 128;
/// Top-level code compiled in `eval` mode: it returns the expression's value.
pub const CO_EVAL: u32 = 256;
/// Top-level code compiled in `single` (interactive) mode: expression statements print.
pub const CO_INTERACTIVE: u32 = 512;

/// A compiled function body, class body, comprehension or module.
pub struct Code {
    pub name: String,
    /// `name` interned, for the functions made from this code.
    pub name_obj: ObjRef,
    pub qualname: String,
    pub filename: String,
    pub instrs: Vec<Instr>,
    /// The source span of each instruction (same length as `instrs`).
    pub spans: Vec<Span>,
    pub consts: Vec<Value>,
    /// Interned names for attributes, globals (by slot) and class namespaces.
    pub names: Vec<ObjRef>,
    /// For each name: the position in an instance's attribute dict where it was
    /// last found (`InstanceObj::get_name`); a guess checked on use, so threads may
    /// overwrite each other's guesses. Written only when it changes.
    pub attr_hints: Box<[std::sync::atomic::AtomicU8]>,
    /// For each name read by `LoadGlobal` and found unbound in the module: its slot
    /// in the builtins module (`u32::MAX` until first use), so builtin reads take no
    /// lock (the builtins' name table is shared by every thread).
    pub builtin_slots: Box<[std::sync::atomic::AtomicU32]>,
    /// For `LoadGlobal(i)` etc.: module global slot of names-table entry i.
    pub global_slots: Vec<u32>,
    pub exc_table: Vec<ExcEntry>,
    /// Parameter counts: positional-only, positional (including posonly), kw-only.
    pub posonly_count: u32,
    pub arg_count: u32,
    pub kwonly_count: u32,
    pub flags: u32,
    /// Local variable names (parameters first, in order: positional, kw-only, *args,
    /// **kwargs).
    pub varnames: Vec<ObjRef>,
    /// Variables of this code that inner functions capture.
    pub cellvars: Vec<ObjRef>,
    /// Variables captured from enclosing functions.
    pub freevars: Vec<ObjRef>,
    /// For each cellvar that is also a parameter: (cell index, local index).
    pub cell_params: Vec<(u32, u32)>,
    pub max_stack: u32,
    pub first_line: u32,
    /// The source text of the file, for tracebacks.
    pub source: std::sync::Arc<str>,
    pub line_index: std::sync::Arc<conc_grammar::LineIndex>,
    /// The address of the module whose global slots `global_slots` index: the code
    /// may run only with that module's globals (`Vm::run_module_code` checks).
    pub module_addr: usize,
    /// A counted reference to that module when it is mortal (a namespace made for
    /// `exec` or `eval` with a dict), so the module lives as long as code using its
    /// slots; None for modules, which are immortal.
    pub module_owner: Option<ObjRef>,
}

impl Code {
    pub fn nlocals(&self) -> usize {
        self.varnames.len()
    }

    pub fn ncells(&self) -> usize {
        self.cellvars.len() + self.freevars.len()
    }

    pub fn is_generator(&self) -> bool {
        self.flags & CO_GENERATOR != 0
    }

    /// 1-based line of instruction `ip`.
    pub fn line_of(&self, ip: usize) -> usize {
        let span = self.spans.get(ip).copied().unwrap_or_default();
        self.line_index.line(span.start)
    }

    /// The source line text (stripped), for tracebacks.
    pub fn line_text(&self, line: usize) -> &str {
        self.line_index.line_text(&self.source, line).trim()
    }
}

impl std::fmt::Debug for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<code {}>", self.qualname)
    }
}
