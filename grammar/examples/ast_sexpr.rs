//! Developer tool: prints the AST of each file as an S-expression in the shape that
//! grammar/tools/compare_with_cpython.py prints CPython's `ast` in, so the two can
//! be compared line by line (`--ast` dumps are too detailed to compare).

use conc_grammar::ast::*;
use std::fmt::Write;

fn s(out: &mut String, text: &str) {
    // Strings as hex of their UTF-8 bytes: the same in both printers.
    out.push('"');
    for b in text.bytes() {
        let _ = write!(out, "{b:02x}");
    }
    out.push('"');
}

fn opt_expr(out: &mut String, e: &Option<Expr>) {
    match e {
        Some(e) => expr(out, e),
        None => out.push_str(" None"),
    }
}

fn list<T>(out: &mut String, items: &[T], f: impl Fn(&mut String, &T)) {
    out.push_str(" [");
    for i in items {
        f(out, i);
    }
    out.push_str(" ]");
}

fn stmts(out: &mut String, body: &[Stmt]) {
    list(out, body, stmt);
}

fn param(out: &mut String, p: &Param) {
    out.push_str(" (arg ");
    s(out, &p.name);
    opt_expr(out, &p.annotation);
    opt_expr(out, &p.default);
    out.push(')');
}

fn params(out: &mut String, p: &Parameters) {
    out.push_str(" (params");
    list(out, &p.posonly, param);
    list(out, &p.args, param);
    match &p.vararg {
        Some(x) => param(out, x),
        None => out.push_str(" None"),
    }
    list(out, &p.kwonly, param);
    match &p.kwarg {
        Some(x) => param(out, x),
        None => out.push_str(" None"),
    }
    out.push(')');
}

fn keyword(out: &mut String, k: &Keyword) {
    out.push_str(" (keyword ");
    match &k.arg {
        Some(a) => s(out, a),
        None => out.push_str("None"),
    }
    expr(out, &k.value);
    out.push(')');
}

fn alias(out: &mut String, a: &Alias) {
    out.push_str(" (alias ");
    s(out, &a.name);
    out.push(' ');
    match &a.asname {
        Some(n) => s(out, n),
        None => out.push_str("None"),
    }
    out.push(')');
}

fn comp(out: &mut String, c: &Comprehension) {
    out.push_str(" (comprehension");
    expr(out, &c.target);
    expr(out, &c.iter);
    list(out, &c.ifs, expr);
    let _ = write!(out, " {})", c.is_async);
}

fn parts(out: &mut String, ps: &[FStringPart]) {
    out.push_str(" (JoinedStr");
    list(out, ps, |o, p| match p {
        FStringPart::Literal(t) => {
            o.push_str(" (Constant ");
            s(o, t);
            o.push(')');
        }
        FStringPart::Field { expr: e, conversion, format_spec } => {
            o.push_str(" (FormattedValue");
            expr(o, e);
            let c = match conversion {
                None => -1,
                Some(Conversion::Str) => 115,
                Some(Conversion::Repr) => 114,
                Some(Conversion::Ascii) => 97,
            };
            let _ = write!(o, " {c}");
            match format_spec {
                Some(spec) => parts(o, spec),
                None => o.push_str(" None"),
            }
            o.push(')');
        }
    });
    out.push(')');
}

fn expr(out: &mut String, e: &Expr) {
    use ExprKind::*;
    match &e.kind {
        Name(n) => {
            out.push_str(" (Name ");
            s(out, n);
            out.push(')');
            return;
        }
        Constant(c) => {
            out.push_str(" (Constant ");
            match c {
                conc_grammar::ast::Constant::None => out.push_str("None"),
                conc_grammar::ast::Constant::True => out.push_str("True"),
                conc_grammar::ast::Constant::False => out.push_str("False"),
                conc_grammar::ast::Constant::Ellipsis => out.push_str("Ellipsis"),
                conc_grammar::ast::Constant::Int(IntLiteral::Small(i)) => {
                    let _ = write!(out, "int:{i:x}");
                }
                conc_grammar::ast::Constant::Int(IntLiteral::Big { digits, radix }) => {
                    let _ = write!(out, "big:{}", to_decimal(digits, *radix));
                }
                conc_grammar::ast::Constant::Float(f) => {
                    let _ = write!(out, "float:{:x}", f.to_bits());
                }
                conc_grammar::ast::Constant::Str(t) => s(out, t),
                conc_grammar::ast::Constant::Bytes(b) => {
                    out.push_str("b\"");
                    for x in b {
                        let _ = write!(out, "{x:02x}");
                    }
                    out.push('"');
                }
            }
            out.push(')');
            return;
        }
        JoinedStr(ps) => return parts(out, ps),
        _ => {}
    }
    let name = match &e.kind {
        BoolOp { .. } => "BoolOp",
        NamedExpr { .. } => "NamedExpr",
        BinOp { .. } => "BinOp",
        UnaryOp { .. } => "UnaryOp",
        Lambda { .. } => "Lambda",
        IfExp { .. } => "IfExp",
        Dict(_) => "Dict",
        Set(_) => "Set",
        List(_) => "List",
        Tuple(_) => "Tuple",
        ListComp { .. } => "ListComp",
        SetComp { .. } => "SetComp",
        DictComp { .. } => "DictComp",
        GeneratorExp { .. } => "GeneratorExp",
        Await(_) => "Await",
        Yield(_) => "Yield",
        YieldFrom(_) => "YieldFrom",
        Compare { .. } => "Compare",
        Call { .. } => "Call",
        Attribute { .. } => "Attribute",
        Subscript { .. } => "Subscript",
        Starred(_) => "Starred",
        Slice { .. } => "Slice",
        Name(_) | Constant(_) | JoinedStr(_) => unreachable!(),
    };
    let _ = write!(out, " ({name}");
    match &e.kind {
        BoolOp { op, values } => {
            let _ = write!(out, " {op:?}");
            list(out, values, expr);
        }
        NamedExpr { target, value } => {
            out.push_str(" (Name ");
            s(out, target);
            out.push(')');
            expr(out, value);
        }
        BinOp { left, op, right } => {
            expr(out, left);
            let _ = write!(out, " {op:?}");
            expr(out, right);
        }
        UnaryOp { op, operand } => {
            let _ = write!(out, " {op:?}");
            expr(out, operand);
        }
        Lambda { params: p, body } => {
            params(out, p);
            expr(out, body);
        }
        IfExp { test, body, orelse } => {
            expr(out, test);
            expr(out, body);
            expr(out, orelse);
        }
        Dict(items) => list(out, items, |o, (k, v)| {
            opt_expr(o, k);
            expr(o, v);
        }),
        Set(v) | List(v) | Tuple(v) => list(out, v, expr),
        ListComp { elt, generators } | SetComp { elt, generators } | GeneratorExp { elt, generators } => {
            expr(out, elt);
            list(out, generators, comp);
        }
        DictComp { key, value, generators } => {
            expr(out, key);
            expr(out, value);
            list(out, generators, comp);
        }
        Await(v) | YieldFrom(v) | Starred(v) => expr(out, v),
        Yield(v) => match v {
            Some(v) => expr(out, v),
            None => out.push_str(" None"),
        },
        Compare { left, ops, comparators } => {
            expr(out, left);
            let _ = write!(out, " {ops:?}");
            list(out, comparators, expr);
        }
        Call { func, args, keywords } => {
            expr(out, func);
            list(out, args, expr);
            list(out, keywords, keyword);
        }
        Attribute { value, attr, .. } => {
            expr(out, value);
            out.push(' ');
            s(out, attr);
        }
        Subscript { value, slice } => {
            expr(out, value);
            expr(out, slice);
        }
        Slice { lower, upper, step } => {
            for part in [lower, upper, step] {
                match part {
                    Some(x) => expr(out, x),
                    None => out.push_str(" None"),
                }
            }
        }
        _ => {}
    }
    out.push(')');
}

fn stmt(out: &mut String, st: &Stmt) {
    use StmtKind::*;
    out.push_str("\n(");
    match &st.kind {
        Expr(e) => {
            out.push_str("Expr");
            expr(out, e);
        }
        Assign { targets, value } => {
            out.push_str("Assign");
            list(out, targets, expr);
            expr(out, value);
        }
        AugAssign { target, op, value } => {
            out.push_str("AugAssign");
            expr(out, target);
            let _ = write!(out, " {op:?}");
            expr(out, value);
        }
        AnnAssign { target, annotation, value, simple } => {
            out.push_str("AnnAssign");
            expr(out, target);
            expr(out, annotation);
            opt_expr(out, value);
            let _ = write!(out, " {}", u8::from(*simple));
        }
        Delete(t) => {
            out.push_str("Delete");
            list(out, t, expr);
        }
        Pass => out.push_str("Pass"),
        Break => out.push_str("Break"),
        Continue => out.push_str("Continue"),
        Return(v) => {
            out.push_str("Return");
            opt_expr(out, v);
        }
        Raise { exc, cause } => {
            out.push_str("Raise");
            opt_expr(out, exc);
            opt_expr(out, cause);
        }
        Global(n) | Nonlocal(n) => {
            out.push_str(if matches!(st.kind, Global(_)) { "Global" } else { "Nonlocal" });
            list(out, n, |o, x| {
                o.push(' ');
                s(o, x)
            });
        }
        Assert { test, msg } => {
            out.push_str("Assert");
            expr(out, test);
            opt_expr(out, msg);
        }
        Import(names) => {
            out.push_str("Import");
            list(out, names, alias);
        }
        ImportFrom { module, names, level } => {
            out.push_str("ImportFrom ");
            match module {
                Some(m) => s(out, m),
                None => out.push_str("None"),
            }
            match names {
                ImportNames::Star => out.push_str(" [ (alias \"2a\" None) ]"),
                ImportNames::Names(n) => list(out, n, alias),
            }
            let _ = write!(out, " {level}");
        }
        If { test, body, orelse } | While { test, body, orelse } => {
            out.push_str(if matches!(st.kind, If { .. }) { "If" } else { "While" });
            expr(out, test);
            stmts(out, body);
            stmts(out, orelse);
        }
        For { target, iter, body, orelse, is_async } => {
            out.push_str(if *is_async { "AsyncFor" } else { "For" });
            expr(out, target);
            expr(out, iter);
            stmts(out, body);
            stmts(out, orelse);
        }
        // Patterns are not printed: the comparison tool's corpus predates `match`,
        // so only the subject, guards and bodies are compared.
        Match { subject, cases } => {
            out.push_str("Match");
            expr(out, subject);
            for case in cases {
                out.push_str(" (case");
                opt_expr(out, &case.guard);
                list(out, &case.body, stmt);
                out.push(')');
            }
        }
        Try { body, handlers, orelse, finalbody } => {
            out.push_str("Try");
            stmts(out, body);
            list(out, handlers, |o, h| {
                o.push_str(" (ExceptHandler");
                opt_expr(o, &h.typ);
                o.push(' ');
                match &h.name {
                    Some(n) => s(o, n),
                    None => o.push_str("None"),
                }
                stmts(o, &h.body);
                o.push(')');
            });
            stmts(out, orelse);
            stmts(out, finalbody);
        }
        With { items, body, is_async } => {
            out.push_str(if *is_async { "AsyncWith" } else { "With" });
            list(out, items, |o, i| {
                o.push_str(" (withitem");
                expr(o, &i.context_expr);
                opt_expr(o, &i.optional_vars);
                o.push(')');
            });
            stmts(out, body);
        }
        FunctionDef(f) => {
            out.push_str(if f.is_async { "AsyncFunctionDef " } else { "FunctionDef " });
            s(out, &f.name);
            params(out, &f.params);
            stmts(out, &f.body);
            list(out, &f.decorators, expr);
            opt_expr(out, &f.returns);
        }
        ClassDef(c) => {
            out.push_str("ClassDef ");
            s(out, &c.name);
            list(out, &c.bases, expr);
            list(out, &c.keywords, keyword);
            stmts(out, &c.body);
            list(out, &c.decorators, expr);
        }
    }
    out.push(')');
}

/// Converts digits in `radix` to decimal (base-1e9 limbs, least significant first).
fn to_decimal(digits: &str, radix: u32) -> String {
    let mut limbs: Vec<u64> = vec![0];
    for c in digits.chars() {
        let mut carry = c.to_digit(radix).unwrap_or(0) as u64;
        for limb in limbs.iter_mut() {
            let v = *limb * radix as u64 + carry;
            *limb = v % 1_000_000_000;
            carry = v / 1_000_000_000;
        }
        while carry > 0 {
            limbs.push(carry % 1_000_000_000);
            carry /= 1_000_000_000;
        }
    }
    let mut out = limbs.last().copied().unwrap_or(0).to_string();
    for limb in limbs.iter().rev().skip(1) {
        out.push_str(&format!("{limb:09}"));
    }
    out
}

fn main() {
    for file in std::env::args().skip(1) {
        let source = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
        match conc_grammar::parse(&source, &file) {
            Ok(m) => {
                let mut out = String::from("(Module");
                stmts(&mut out, &m.body);
                out.push(')');
                println!("{out}");
            }
            Err(e) => println!("error: {}", e.summary()),
        }
    }
}
