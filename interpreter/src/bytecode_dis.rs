//! A readable listing of code objects, for `conc dis` and the bytecode golden tests
//! (`tests/bytecode/`), which record when the compiler emits each fused instruction
//! and when it sets `CO_STABLE_SELF`. The text must stay stable between runs: it
//! shows no addresses, and every operand index is checked against its table, so a
//! bad index prints as `<bad const 7>` rather than panicking.

use crate::bytecode::*;
use crate::operator::{BinOp, CmpOp};
use crate::value::{ObjRef, Object, Value};
use crate::vm::Vm;
use std::fmt::Write;

/// The listing of `code` followed by the listings of the code objects among its
/// constants, depth first, in constant order.
pub fn disassemble(vm: &mut Vm, code: &Code) -> String {
    let mut out = String::new();
    list_tree(vm, code, &mut out);
    out
}

fn list_tree(vm: &mut Vm, code: &Code, out: &mut String) {
    list_one(vm, code, out);
    for c in &code.consts {
        if let Some(inner) = code_of(c) {
            out.push('\n');
            list_tree(vm, inner, out);
        }
    }
}

fn code_of(v: &Value) -> Option<&Code> {
    match v {
        Value::Obj(o) => match &**o {
            Object::Code(c) => Some(c),
            _ => None,
        },
        _ => None,
    }
}

/// The names of the flag bits set in `flags`, in bit order; unknown bits in hex.
fn flag_names(flags: u32) -> String {
    const NAMES: [(u32, &str); 10] = [
        (CO_GENERATOR, "GENERATOR"),
        (CO_VARARGS, "VARARGS"),
        (CO_VARKEYWORDS, "VARKEYWORDS"),
        (CO_COROUTINE, "COROUTINE"),
        (CO_CLASS_BODY, "CLASS_BODY"),
        (CO_TOPLEVEL, "TOPLEVEL"),
        (CO_HAS_DOC, "HAS_DOC"),
        (CO_STABLE_SELF, "STABLE_SELF"),
        (CO_EVAL, "EVAL"),
        (CO_INTERACTIVE, "INTERACTIVE"),
    ];
    let mut parts: Vec<String> = NAMES.iter().filter(|(b, _)| flags & b != 0).map(|(_, n)| n.to_string()).collect();
    let known = NAMES.iter().fold(0, |acc, (b, _)| acc | b);
    if flags & !known != 0 {
        parts.push(format!("{:#x}", flags & !known));
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(" | ")
    }
}

fn name_list(names: &[ObjRef]) -> String {
    names.iter().map(text_of).collect::<Vec<_>>().join(", ")
}

fn text_of(o: &ObjRef) -> String {
    match &**o {
        Object::Str(s) => s.as_str().to_string(),
        _ => "<not a str>".into(),
    }
}

fn list_one(vm: &mut Vm, code: &Code, out: &mut String) {
    let _ = writeln!(out, "Disassembly of {} (line {}):", code.qualname, code.first_line);
    let _ = writeln!(out, "  name: {}  qualname: {}", code.name, code.qualname);
    let _ = writeln!(
        out,
        "  args: {} (posonly {}, kwonly {})  flags: {}",
        code.arg_count,
        code.posonly_count,
        code.kwonly_count,
        flag_names(code.flags)
    );
    for (label, names) in [("locals", &code.varnames), ("cells", &code.cellvars), ("frees", &code.freevars)] {
        if !names.is_empty() {
            let _ = writeln!(out, "  {label}: {}", name_list(names));
        }
    }
    let mut last_line = None;
    for (ip, instr) in code.instrs.iter().enumerate() {
        let line = code.line_of(ip);
        let shown = if last_line != Some(line) {
            last_line = Some(line);
            line.to_string()
        } else {
            String::new()
        };
        let (args, note) = operands(vm, code, instr);
        let mut text = format!("{shown:>5} {ip:>6} {:<22}", instr.name());
        if !args.is_empty() {
            let _ = write!(text, " {args}");
        }
        if !note.is_empty() {
            let _ = write!(text, " ({note})");
        }
        let _ = writeln!(out, "{}", text.trim_end());
    }
    if !code.exc_table.is_empty() {
        let _ = writeln!(out, "  exception table:");
        for e in &code.exc_table {
            let _ = writeln!(
                out,
                "    {} to {} -> {} [depth {}, handled {}]",
                e.start, e.end, e.handler, e.depth, e.exc_depth
            );
        }
    }
}

/// Python's spelling of a binary operator (`BinOp::symbol` says `** or pow()` for
/// messages, which is not how the operator is written).
fn bin_symbol(op: BinOp) -> &'static str {
    match op {
        BinOp::Pow => "**",
        _ => op.symbol(),
    }
}

fn cmp_symbol(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "==",
        CmpOp::NotEq => "!=",
        CmpOp::Lt => "<",
        CmpOp::LtE => "<=",
        CmpOp::Gt => ">",
        CmpOp::GtE => ">=",
        CmpOp::Is => "is",
        CmpOp::IsNot => "is not",
        CmpOp::In => "in",
        CmpOp::NotIn => "not in",
    }
}

/// Resolves operand indices against one code object's tables.
struct Resolver<'a> {
    code: &'a Code,
}

impl Resolver<'_> {
    fn constant(&self, vm: &mut Vm, i: u32) -> String {
        match self.code.consts.get(i as usize) {
            None => format!("<bad const {i}>"),
            Some(v) => const_repr(vm, v),
        }
    }

    fn local(&self, i: u32) -> String {
        match self.code.varnames.get(i as usize) {
            Some(n) => text_of(n),
            None => format!("<bad local {i}>"),
        }
    }

    fn name(&self, i: u32) -> String {
        match self.code.names.get(i as usize) {
            Some(n) => text_of(n),
            None => format!("<bad name {i}>"),
        }
    }

    /// Cells are numbered cellvars first, then freevars.
    fn cell(&self, i: u32) -> String {
        let i = i as usize;
        let cells = self.code.cellvars.len();
        if i < cells {
            text_of(&self.code.cellvars[i])
        } else if let Some(n) = self.code.freevars.get(i - cells) {
            text_of(n)
        } else {
            format!("<bad cell {i}>")
        }
    }

    fn target(&self, t: u32) -> String {
        if (t as usize) <= self.code.instrs.len() {
            format!("to {t}")
        } else {
            format!("to <bad target {t}>")
        }
    }
}

/// The repr of a constant; code objects are named rather than shown with their
/// address, so the listing is the same on every run.
fn const_repr(vm: &mut Vm, v: &Value) -> String {
    if let Some(c) = code_of(v) {
        return format!("<code {}>", c.qualname);
    }
    match vm.repr_of(v) {
        Ok(s) => s,
        Err(_) => "<unprintable constant>".into(),
    }
}

/// The operands of `instr` as numbers, and what they mean.
fn operands(vm: &mut Vm, code: &Code, instr: &Instr) -> (String, String) {
    use Instr::*;
    let r = Resolver { code };
    let nums = |xs: &[u32]| xs.iter().map(u32::to_string).collect::<Vec<_>>().join(" ");
    match *instr {
        LoadConst(c) => (nums(&[c]), r.constant(vm, c)),
        LoadFast(i) | StoreFast(i) | DeleteFast(i) => (nums(&[i]), r.local(i)),
        LoadDeref(i) | StoreDeref(i) | DeleteDeref(i) | LoadClosure(i) => (nums(&[i]), r.cell(i)),
        LoadGlobal(i) | StoreGlobal(i) | DeleteGlobal(i) | LoadName(i) | StoreName(i) | DeleteName(i) | LoadAttr(i)
        | StoreAttr(i) | DeleteAttr(i) | LoadMethod(i) | ImportFrom(i) => (nums(&[i]), r.name(i)),
        LoadClassDeref(c, n) => (nums(&[c, n]), format!("{}, {}", r.cell(c), r.name(n))),
        CallMethodKw(argc, k) | CallKw(argc, k) => (nums(&[argc, k]), format!("kwnames {}", r.constant(vm, k))),
        CallLocalMethod(local, packed) => {
            let (name, argc) = (packed & 0xff_ffff, packed >> 24);
            (nums(&[local, packed]), format!("{}.{}, {argc} args", r.local(local), r.name(name)))
        }
        SubscrFastConst(l, c) => (nums(&[l, c]), format!("{}[{}]", r.local(l), r.constant(vm, c))),
        SubscrFastFast(l, k) => (nums(&[l, k]), format!("{}[{}]", r.local(l), r.local(k))),
        StoreSubscrFastConst(l, c) => (nums(&[l, c]), format!("{}[{}] =", r.local(l), r.constant(vm, c))),
        StoreFastAttr(l, n) => (nums(&[l, n]), format!("{}.{} =", r.local(l), r.name(n))),
        LoadFastAttr(l, n) => (nums(&[l, n]), format!("{}.{}", r.local(l), r.name(n))),
        InplaceFastAttr(l, n, op) => (nums(&[l, n]), format!("{}.{} {}=", r.local(l), r.name(n), bin_symbol(op))),
        CompareFastJump(a, b, flags, op, t) => {
            let rhs = if flags & 1 != 0 { r.constant(vm, b as u32) } else { r.local(b as u32) };
            let when = if flags & 2 != 0 { "if true" } else { "if false" };
            let shown = format!("{a} {b} {flags} {} {t}", cmp_symbol(op));
            (shown, format!("{} {} {rhs}, {when} {}", r.local(a as u32), cmp_symbol(op), r.target(t)))
        }
        InplaceSubscrFast(a, k, is_const, op) => {
            let key = if is_const != 0 { r.constant(vm, k as u32) } else { r.local(k as u32) };
            (
                format!("{a} {k} {is_const} {}", bin_symbol(op)),
                format!("{}[{key}] {}=", r.local(a as u32), bin_symbol(op)),
            )
        }
        BinaryOpFastFast(a, b, op) => (
            format!("{a} {b} {}", bin_symbol(op)),
            format!("{} {} {}", r.local(a as u32), bin_symbol(op), r.local(b as u32)),
        ),
        BinaryOpFastConst(a, c, op) => (
            format!("{a} {c} {}", bin_symbol(op)),
            format!("{} {} {}", r.local(a as u32), bin_symbol(op), r.constant(vm, c as u32)),
        ),
        BinaryOp(op) | InplaceOp(op) => (bin_symbol(op).into(), String::new()),
        CompareOp(op) => (cmp_symbol(op).into(), String::new()),
        CompareJumpIfFalse(op, t) | CompareJumpIfTrue(op, t) => (format!("{} {t}", cmp_symbol(op)), r.target(t)),
        Jump(t) | PopJumpIfFalse(t) | PopJumpIfTrue(t) | JumpIfFalseOrPop(t) | JumpIfTrueOrPop(t) | ForIter(t)
        | Send(t) | PopJumpIfNone(t) => (nums(&[t]), r.target(t)),
        MatchClass(n, k) => (nums(&[n, k]), format!("kwnames {}", r.constant(vm, k))),
        MakeFunction(c, flags) => (nums(&[c, flags]), r.constant(vm, c)),
        ImportName(c, level) => (nums(&[c, level]), format!("{}, level {level}", r.constant(vm, c))),
        BuildSlice(n) | CallMethod(n) | BuildTuple(n) | BuildList(n) | BuildSet(n) | BuildMap(n) | BuildString(n)
        | FormatValue(n) | GetAwaitable(n) | ListAppend(n) | SetAdd(n) | MapAdd(n) | ListExtend(n) | SetUpdate(n)
        | DictUpdate(n) | DictMerge(n) | UnpackSequence(n) | Call(n) | CallEx(n) | Raise(n) => {
            (nums(&[n]), String::new())
        }
        UnpackEx(a, b) => (nums(&[a, b]), String::new()),
        Nop | Pop | Dup | Dup2 | Rot2 | Rot3 | Rot4 | Subscript | StoreSubscript | DeleteSubscript | UnaryNeg
        | UnaryPos | UnaryInvert | UnaryNot | GetIter | Return | ListToTuple | LoadBuildClass | Reraise
        | PushExcInfo | PopExcept | CheckExcMatch | BeforeWith | WithExitNormal | WithExceptStart
        | LoadAssertionError | YieldValue | GetYieldFromIter | ImportStar | PrintExpr | SetupAnnotations
        | BeforeAsyncWith | AsyncWithExit | GetAIter | GetANext | EndAsyncFor | AsyncGenWrap | MatchSequence
        | MatchMapping | GetLen | MatchKeys | CopyDictWithoutKeys | CheckEgMatch | PrepReraiseStar => {
            (String::new(), String::new())
        }
    }
}
