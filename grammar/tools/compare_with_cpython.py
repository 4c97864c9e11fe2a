#!/usr/bin/env python3
"""Differential check of the parser against CPython's: prints each file's AST in the
S-expression form of examples/ast_sexpr.rs and diffs it with conc's.

Usage (from the repository root):
    cargo build --release -p conc-grammar --example ast_sexpr
    grammar/tools/compare_with_cpython.py target/release/examples/ast_sexpr FILE...
Exit status 1 if any file differs; the first differing line is shown.
"""
import ast
import struct
import subprocess
import sys


def s(text):
    return '"' + text.encode("utf-8").hex() + '"'


def opt(e):
    return " None" if e is None else expr(e)


def lst(items, f):
    return " [" + "".join(f(i) for i in items) + " ]"


def arg(a, default):
    return " (arg " + s(a.arg) + opt(a.annotation) + opt(default) + ")"


def params(p):
    positional = p.posonlyargs + p.args
    defaults = [None] * (len(positional) - len(p.defaults)) + list(p.defaults)
    pos = [arg(a, d) for a, d in zip(positional, defaults)]
    n = len(p.posonlyargs)
    out = " (params [" + "".join(pos[:n]) + " ] [" + "".join(pos[n:]) + " ]"
    out += arg(p.vararg, None) if p.vararg else " None"
    out += lst(zip(p.kwonlyargs, p.kw_defaults), lambda x: arg(x[0], x[1]))
    out += arg(p.kwarg, None) if p.kwarg else " None"
    return out + ")"


def keyword(k):
    return " (keyword " + (s(k.arg) if k.arg is not None else "None") + expr(k.value) + ")"


def alias(a):
    return " (alias " + s(a.name) + " " + (s(a.asname) if a.asname else "None") + ")"


def comp(c):
    return " (comprehension" + expr(c.target) + expr(c.iter) + lst(c.ifs, expr) + (" true" if c.is_async else " false") + ")"


def joined(values):
    def part(v):
        if isinstance(v, ast.Constant):
            return " (Constant " + s(v.value) + ")"
        spec = joined(v.format_spec.values) if v.format_spec is not None else " None"
        return " (FormattedValue" + expr(v.value) + " " + str(v.conversion) + spec + ")"

    return " (JoinedStr" + lst(values, part) + ")"


def constant(v):
    if v is None or v is True or v is False or v is Ellipsis:
        return repr(v)
    if isinstance(v, int):
        return "int:" + format(v, "x") if -(2**63) <= v < 2**63 else "big:" + str(v)
    if isinstance(v, float):
        return "float:" + format(struct.unpack("<Q", struct.pack("<d", v))[0], "x")
    if isinstance(v, str):
        return s(v)
    if isinstance(v, bytes):
        return 'b"' + v.hex() + '"'
    raise TypeError(type(v))


def name(o):
    return type(o).__name__


def expr(e):
    t = name(e)
    if t == "Name":
        return " (Name " + s(e.id) + ")"
    if t == "Constant":
        return " (Constant " + constant(e.value) + ")"
    if t == "JoinedStr":
        return joined(e.values)
    out = " (" + t
    if t == "BoolOp":
        out += " " + name(e.op) + lst(e.values, expr)
    elif t == "NamedExpr":
        out += expr(e.target) + expr(e.value)
    elif t == "BinOp":
        out += expr(e.left) + " " + name(e.op) + expr(e.right)
    elif t == "UnaryOp":
        out += " " + name(e.op) + expr(e.operand)
    elif t == "Lambda":
        out += params(e.args) + expr(e.body)
    elif t == "IfExp":
        out += expr(e.test) + expr(e.body) + expr(e.orelse)
    elif t == "Dict":
        out += lst(zip(e.keys, e.values), lambda kv: opt(kv[0]) + expr(kv[1]))
    elif t in ("Set", "List", "Tuple"):
        out += lst(e.elts, expr)
    elif t in ("ListComp", "SetComp", "GeneratorExp"):
        out += expr(e.elt) + lst(e.generators, comp)
    elif t == "DictComp":
        out += expr(e.key) + expr(e.value) + lst(e.generators, comp)
    elif t in ("Await", "YieldFrom", "Starred"):
        out += expr(e.value)
    elif t == "Yield":
        out += opt(e.value)
    elif t == "Compare":
        out += expr(e.left) + " [" + ", ".join(name(o) for o in e.ops) + "]" + lst(e.comparators, expr)
    elif t == "Call":
        out += expr(e.func) + lst(e.args, expr) + lst(e.keywords, keyword)
    elif t == "Attribute":
        out += expr(e.value) + " " + s(e.attr)
    elif t == "Subscript":
        out += expr(e.value) + expr(e.slice)
    elif t == "Slice":
        out += opt(e.lower) + opt(e.upper) + opt(e.step)
    else:
        raise TypeError(t)
    return out + ")"


def stmts(body):
    return lst(body, stmt)


def stmt(st):
    t = name(st)
    out = "\n(" + t
    if t == "Expr":
        out += expr(st.value)
    elif t == "Assign":
        out += lst(st.targets, expr) + expr(st.value)
    elif t == "AugAssign":
        out += expr(st.target) + " " + name(st.op) + expr(st.value)
    elif t == "AnnAssign":
        out += expr(st.target) + expr(st.annotation) + opt(st.value) + " " + str(st.simple)
    elif t == "Delete":
        out += lst(st.targets, expr)
    elif t in ("Pass", "Break", "Continue"):
        pass
    elif t == "Return":
        out += opt(st.value)
    elif t == "Raise":
        out += opt(st.exc) + opt(st.cause)
    elif t in ("Global", "Nonlocal"):
        out += lst(st.names, lambda n: " " + s(n))
    elif t == "Assert":
        out += expr(st.test) + opt(st.msg)
    elif t == "Import":
        out += lst(st.names, alias)
    elif t == "ImportFrom":
        out += " " + (s(st.module) if st.module else "None") + lst(st.names, alias) + " " + str(st.level)
    elif t in ("If", "While"):
        out += expr(st.test) + stmts(st.body) + stmts(st.orelse)
    elif t in ("For", "AsyncFor"):
        out += expr(st.target) + expr(st.iter) + stmts(st.body) + stmts(st.orelse)
    elif t == "Try":
        def handler(h):
            return " (ExceptHandler" + opt(h.type) + " " + (s(h.name) if h.name else "None") + stmts(h.body) + ")"

        out += stmts(st.body) + lst(st.handlers, handler) + stmts(st.orelse) + stmts(st.finalbody)
    elif t in ("With", "AsyncWith"):
        out += lst(st.items, lambda i: " (withitem" + expr(i.context_expr) + opt(i.optional_vars) + ")") + stmts(st.body)
    elif t in ("FunctionDef", "AsyncFunctionDef"):
        out += " " + s(st.name) + params(st.args) + stmts(st.body) + lst(st.decorator_list, expr) + opt(st.returns)
    elif t == "ClassDef":
        out += " " + s(st.name) + lst(st.bases, expr) + lst(st.keywords, keyword) + stmts(st.body) + lst(st.decorator_list, expr)
    else:
        raise TypeError(t)
    return out + ")"


def main():
    tool, files = sys.argv[1], sys.argv[2:]
    status = 0
    for f in files:
        try:
            src = open(f, encoding="utf-8").read()
        except (UnicodeDecodeError, OSError) as e:
            print(f"{f}: skipped, unreadable as UTF-8 ({e.__class__.__name__})")
            continue
        try:
            mine = "(Module" + stmts(ast.parse(src).body) + ")"
        except SyntaxError as e:
            mine = "error: SyntaxError: " + e.msg
        except TypeError as e:
            # A construct conc does not have (match, except*, complex numbers).
            print(f"{f}: skipped, uses {e}")
            continue
        except (RecursionError, MemoryError, ValueError) as e:
            print(f"{f}: skipped, CPython fails with {e.__class__.__name__}")
            continue
        try:
            run = subprocess.run([tool, f], capture_output=True, text=True, timeout=20)
            theirs = run.stdout.rstrip("\n") if run.returncode == 0 else f"conc exited with {run.returncode}: {run.stderr[-500:]}"
        except subprocess.TimeoutExpired:
            theirs = "conc timed out"
        if mine != theirs:
            status = 1
            a, b = mine.splitlines(), theirs.splitlines()
            for i, (x, y) in enumerate(zip(a, b)):
                if x != y:
                    print(f"{f}: statement line {i}:\n  cpython: {x[:300]}\n  conc:    {y[:300]}")
                    break
            else:
                print(f"{f}: lengths differ ({len(a)} vs {len(b)} lines)")
    sys.exit(status)


if __name__ == "__main__":
    main()
