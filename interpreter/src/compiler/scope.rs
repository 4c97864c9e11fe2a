//! Symbol tables: which names are local, cell, free, global or class-namespace names
//! in each scope (module, function, lambda, class, comprehension), following Python's
//! rules. Scopes are found again during code generation by the address of their AST
//! node.

use conc_grammar::ast::*;
use conc_grammar::Span;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Module,
    Function,
    Class,
    Comprehension,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sym {
    /// A fast local (slot).
    Local,
    /// A local captured by inner functions (lives in a cell).
    Cell,
    /// A variable of an enclosing function.
    Free,
    /// `global x`, or a module-level name.
    GlobalExplicit,
    /// Not bound anywhere visible: a global or builtin.
    GlobalImplicit,
    /// Bound in a class body: the namespace dict.
    ClassName,
}

#[derive(Debug)]
pub struct Scope {
    pub kind: ScopeKind,
    pub name: String,
    pub parent: Option<usize>,
    pub params: Vec<String>,
    /// Names bound in this scope, in first-binding order.
    pub bound: Vec<String>,
    bound_set: HashSet<String>,
    pub used: HashSet<String>,
    pub globals: HashSet<String>,
    pub nonlocals: HashSet<String>,
    pub children: Vec<usize>,
    pub is_generator: bool,
    pub is_coroutine: bool,
    pub symbols: HashMap<String, Sym>,
    pub cellvars: Vec<String>,
    pub freevars: Vec<String>,
    /// A class body whose methods use `super()` or `__class__`.
    pub needs_class_cell: bool,
    pub span: Span,
}

impl Scope {
    fn new(kind: ScopeKind, name: &str, parent: Option<usize>, span: Span) -> Scope {
        Scope {
            kind,
            name: name.to_string(),
            parent,
            params: Vec::new(),
            bound: Vec::new(),
            bound_set: HashSet::new(),
            used: HashSet::new(),
            globals: HashSet::new(),
            nonlocals: HashSet::new(),
            children: Vec::new(),
            is_generator: false,
            is_coroutine: false,
            symbols: HashMap::new(),
            cellvars: Vec::new(),
            freevars: Vec::new(),
            needs_class_cell: false,
            span,
        }
    }

    fn bind(&mut self, name: &str) {
        if self.bound_set.insert(name.to_string()) {
            self.bound.push(name.to_string());
        }
    }

    pub fn sym(&self, name: &str) -> Sym {
        match self.symbols.get(name) {
            Some(s) => *s,
            None => match self.kind {
                ScopeKind::Module => Sym::GlobalImplicit,
                ScopeKind::Class => Sym::GlobalImplicit,
                _ => Sym::GlobalImplicit,
            },
        }
    }

    pub fn is_function_like(&self) -> bool {
        matches!(self.kind, ScopeKind::Function | ScopeKind::Comprehension)
    }
}

/// A scope-analysis error (reported as SyntaxError, or RecursionError when
/// `too_deep`).
#[derive(Debug)]
pub struct ScopeError {
    pub message: String,
    pub span: Span,
    pub too_deep: bool,
}

/// The deepest nesting of statements compiled (an `elif` nests one level): the
/// analysis and the compiler recurse per level, and must stay within the stack
/// of any thread (16 MB) however the program was written. CPython refuses such
/// programs at a similar depth with the same RecursionError.
pub const MAX_STATEMENT_DEPTH: usize = 2500;

pub struct SymbolTable {
    pub scopes: Vec<Scope>,
    /// AST node address -> scope index.
    pub by_node: HashMap<usize, usize>,
}

pub fn node_key<T>(node: &T) -> usize {
    node as *const T as usize
}

pub fn analyze(module: &Module) -> Result<SymbolTable, ScopeError> {
    let mut b = Builder {
        scopes: vec![Scope::new(ScopeKind::Module, "<module>", None, Span::default())],
        by_node: HashMap::new(),
        cur: 0,
        errors: Vec::new(),
        depth: 0,
    };
    b.stmts(&module.body);
    if let Some(e) = b.errors.into_iter().next() {
        return Err(e);
    }
    let mut t = SymbolTable { scopes: b.scopes, by_node: b.by_node };
    resolve(&mut t, 0, &HashSet::new())?;
    Ok(t)
}

struct Builder {
    scopes: Vec<Scope>,
    by_node: HashMap<usize, usize>,
    cur: usize,
    errors: Vec<ScopeError>,
    /// Statements entered and not yet left (see `MAX_STATEMENT_DEPTH`).
    depth: usize,
}

impl Builder {
    fn scope(&mut self) -> &mut Scope {
        &mut self.scopes[self.cur]
    }

    fn push(&mut self, kind: ScopeKind, name: &str, key: usize, span: Span) -> usize {
        let id = self.scopes.len();
        self.scopes.push(Scope::new(kind, name, Some(self.cur), span));
        self.scopes[self.cur].children.push(id);
        self.by_node.insert(key, id);
        let prev = self.cur;
        self.cur = id;
        prev
    }

    fn bind(&mut self, name: &str, span: Span) {
        let s = &mut self.scopes[self.cur];
        if s.globals.contains(name) || s.nonlocals.contains(name) {
            // Still a binding of the global/nonlocal.
        }
        let _ = span;
        s.bind(name);
    }

    fn use_name(&mut self, name: &str) {
        self.scope().used.insert(name.to_string());
    }

    fn stmts(&mut self, body: &[Stmt]) {
        for s in body {
            if self.depth >= MAX_STATEMENT_DEPTH {
                if !self.errors.iter().any(|e| e.too_deep) {
                    self.errors.insert(
                        0,
                        ScopeError {
                            message: "maximum recursion depth exceeded during compilation".into(),
                            span: s.span,
                            too_deep: true,
                        },
                    );
                }
                return;
            }
            self.depth += 1;
            self.stmt(s);
            self.depth -= 1;
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match &s.kind {
            StmtKind::Expr(e) => self.expr(e),
            StmtKind::Assign { targets, value } => {
                self.expr(value);
                for t in targets {
                    self.target(t);
                }
            }
            StmtKind::AugAssign { target, value, .. } => {
                self.expr(value);
                if let ExprKind::Name(n) = &target.kind {
                    self.use_name(n);
                }
                self.target(target);
            }
            StmtKind::AnnAssign { target, annotation, value, .. } => {
                // Module and class bodies evaluate the annotation (for
                // `__annotations__`), so a lambda or comprehension in it needs its scope.
                if self.scopes[self.cur].kind != ScopeKind::Function {
                    self.expr(annotation);
                }
                if let Some(v) = value {
                    self.expr(v);
                    self.target(target);
                } else if let ExprKind::Name(n) = &target.kind {
                    // A bare annotation still makes the name local in a function.
                    if self.scopes[self.cur].kind != ScopeKind::Module {
                        let n = n.clone();
                        self.bind(&n, target.span);
                    }
                } else {
                    self.target_subexprs(target);
                }
            }
            StmtKind::Delete(ts) => {
                for t in ts {
                    self.target(t);
                }
            }
            StmtKind::Pass | StmtKind::Break | StmtKind::Continue => {}
            StmtKind::Return(v) => {
                if let Some(v) = v {
                    self.expr(v);
                }
            }
            StmtKind::Raise { exc, cause } => {
                if let Some(e) = exc {
                    self.expr(e);
                }
                if let Some(c) = cause {
                    self.expr(c);
                }
            }
            StmtKind::Global(names) => {
                for n in names {
                    let sc = &self.scopes[self.cur];
                    if sc.bound_set.contains(n) || sc.used.contains(n) {
                        let msg = if sc.params.contains(n) {
                            format!("name '{n}' is parameter and global")
                        } else if sc.bound_set.contains(n) {
                            format!("name '{n}' is assigned to before global declaration")
                        } else {
                            format!("name '{n}' is used prior to global declaration")
                        };
                        self.errors.push(ScopeError { message: msg, span: s.span, too_deep: false });
                    }
                    self.scope().globals.insert(n.clone());
                }
            }
            StmtKind::Nonlocal(names) => {
                if self.scopes[self.cur].kind == ScopeKind::Module {
                    self.errors.push(ScopeError {
                        message: "nonlocal declaration not allowed at module level".into(),
                        span: s.span,
                        too_deep: false,
                    });
                }
                for n in names {
                    let sc = &self.scopes[self.cur];
                    if sc.params.contains(n) {
                        self.errors.push(ScopeError {
                            message: format!("name '{n}' is parameter and nonlocal"),
                            span: s.span,
                            too_deep: false,
                        });
                    } else if sc.bound_set.contains(n) {
                        self.errors.push(ScopeError {
                            message: format!("name '{n}' is assigned to before nonlocal declaration"),
                            span: s.span,
                            too_deep: false,
                        });
                    }
                    self.scope().nonlocals.insert(n.clone());
                }
            }
            StmtKind::Assert { test, msg } => {
                self.expr(test);
                if let Some(m) = msg {
                    self.expr(m);
                }
            }
            StmtKind::Import(aliases) => {
                for a in aliases {
                    let name = match &a.asname {
                        Some(n) => n.clone(),
                        None => a.name.split('.').next().unwrap_or("").to_string(),
                    };
                    self.bind(&name, a.span);
                }
            }
            StmtKind::ImportFrom { names, .. } => match names {
                ImportNames::Star => {}
                ImportNames::Names(aliases) => {
                    for a in aliases {
                        let name = a.asname.clone().unwrap_or_else(|| a.name.clone());
                        self.bind(&name, a.span);
                    }
                }
            },
            StmtKind::If { test, body, orelse } | StmtKind::While { test, body, orelse } => {
                self.expr(test);
                self.stmts(body);
                self.stmts(orelse);
            }
            StmtKind::For { target, iter, body, orelse, .. } => {
                self.expr(iter);
                self.target(target);
                self.stmts(body);
                self.stmts(orelse);
            }
            StmtKind::Try { body, handlers, orelse, finalbody } => {
                self.stmts(body);
                for h in handlers {
                    if let Some(t) = &h.typ {
                        self.expr(t);
                    }
                    if let Some(n) = &h.name {
                        self.bind(n, h.span);
                    }
                    self.stmts(&h.body);
                }
                self.stmts(orelse);
                self.stmts(finalbody);
            }
            StmtKind::With { items, body, .. } => {
                for it in items {
                    self.expr(&it.context_expr);
                    if let Some(v) = &it.optional_vars {
                        self.target(v);
                    }
                }
                self.stmts(body);
            }
            StmtKind::FunctionDef(f) => {
                for d in &f.decorators {
                    self.expr(d);
                }
                self.params_defaults(&f.params);
                if let Some(r) = &f.returns {
                    self.expr(r);
                }
                self.bind(&f.name, f.name_span);
                let prev = self.push(ScopeKind::Function, &f.name, node_key(&**f), s.span);
                self.scope().is_coroutine = f.is_async;
                self.params(&f.params);
                self.stmts(&f.body);
                self.cur = prev;
            }
            StmtKind::ClassDef(c) => {
                for d in &c.decorators {
                    self.expr(d);
                }
                for b in &c.bases {
                    self.expr(b);
                }
                for k in &c.keywords {
                    self.expr(&k.value);
                }
                self.bind(&c.name, c.name_span);
                let prev = self.push(ScopeKind::Class, &c.name, node_key(&**c), s.span);
                self.stmts(&c.body);
                self.cur = prev;
            }
            StmtKind::Match { subject, cases } => {
                self.expr(subject);
                for c in cases {
                    self.pattern(&c.pattern);
                    if let Some(g) = &c.guard {
                        self.expr(g);
                    }
                    self.stmts(&c.body);
                }
            }
        }
    }

    /// A pattern binds its capture names and evaluates its values and class names.
    fn pattern(&mut self, p: &Pattern) {
        match &p.kind {
            PatternKind::Value(e) => self.expr(e),
            PatternKind::Singleton(_) => {}
            PatternKind::Sequence(items) | PatternKind::Or(items) => {
                for i in items {
                    self.pattern(i);
                }
            }
            PatternKind::Mapping { keys, patterns, rest } => {
                for k in keys {
                    self.expr(k);
                }
                for i in patterns {
                    self.pattern(i);
                }
                if let Some(n) = rest {
                    self.bind(n, p.span);
                }
            }
            PatternKind::Class { cls, patterns, kwd_patterns, .. } => {
                self.expr(cls);
                for i in patterns.iter().chain(kwd_patterns) {
                    self.pattern(i);
                }
            }
            PatternKind::Star(name) => {
                if let Some(n) = name {
                    self.bind(n, p.span);
                }
            }
            PatternKind::As { pattern, name } => {
                if let Some(inner) = pattern {
                    self.pattern(inner);
                }
                if let Some(n) = name {
                    self.bind(n, p.span);
                }
            }
        }
    }

    fn params_defaults(&mut self, p: &Parameters) {
        for param in p.posonly.iter().chain(&p.args).chain(&p.kwonly) {
            if let Some(d) = &param.default {
                self.expr(d);
            }
            if let Some(a) = &param.annotation {
                self.expr(a);
            }
        }
        for param in p.vararg.iter().chain(&p.kwarg) {
            if let Some(a) = &param.annotation {
                self.expr(a);
            }
        }
    }

    fn params(&mut self, p: &Parameters) {
        let all = p.posonly.iter().chain(&p.args).chain(&p.kwonly).chain(&p.vararg).chain(&p.kwarg);
        let names: Vec<(String, Span)> = all.map(|x| (x.name.clone(), x.span)).collect();
        // The parser has refused duplicate parameters already.
        for (n, span) in names {
            self.scope().params.push(n.clone());
            self.bind(&n, span);
        }
    }

    /// An assignment target: names are bound, other parts evaluated.
    fn target(&mut self, t: &Expr) {
        match &t.kind {
            ExprKind::Name(n) => self.bind(n, t.span),
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                for i in items {
                    self.target(i);
                }
            }
            ExprKind::Starred(e) => self.target(e),
            _ => self.target_subexprs(t),
        }
    }

    fn target_subexprs(&mut self, t: &Expr) {
        match &t.kind {
            ExprKind::Attribute { value, .. } => self.expr(value),
            ExprKind::Subscript { value, slice } => {
                self.expr(value);
                self.expr(slice);
            }
            _ => self.expr(t),
        }
    }

    fn comprehension(&mut self, e: &Expr, generators: &[Comprehension], elts: &[&Expr]) {
        // The outermost iterable is evaluated in the enclosing scope.
        if let Some(first) = generators.first() {
            self.expr(&first.iter);
        }
        let prev = self.push(ScopeKind::Comprehension, "<comprehension>", node_key(e), e.span);
        self.scope().params.push(".0".into());
        self.scope().bind(".0");
        for (i, g) in generators.iter().enumerate() {
            if i > 0 {
                self.expr(&g.iter);
            }
            if g.is_async {
                self.scope().is_coroutine = true;
            }
            self.target(&g.target);
            for cond in &g.ifs {
                self.expr(cond);
            }
        }
        for x in elts {
            self.expr(x);
        }
        let genexp = matches!(e.kind, ExprKind::GeneratorExp { .. });
        if genexp {
            self.scope().is_generator = true;
        }
        let awaited = self.scope().is_coroutine && !genexp;
        self.cur = prev;
        // An asynchronous list, set or dict comprehension is awaited where it
        // stands: a comprehension holding one is asynchronous too.
        if awaited && self.scope().kind == ScopeKind::Comprehension {
            self.scope().is_coroutine = true;
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Name(n) => {
                self.use_name(n);
                if n == "super" {
                    self.mark_super();
                }
            }
            ExprKind::Constant(_) => {}
            ExprKind::JoinedStr(parts) => self.fparts(parts),
            ExprKind::BoolOp { values, .. } => {
                for v in values {
                    self.expr(v);
                }
            }
            ExprKind::NamedExpr { target, value } => {
                self.expr(value);
                // The walrus binds in the nearest enclosing non-comprehension scope.
                let mut s = self.cur;
                while self.scopes[s].kind == ScopeKind::Comprehension {
                    match self.scopes[s].parent {
                        Some(p) => s = p,
                        None => break,
                    }
                }
                self.scopes[s].bind(target);
                if s != self.cur {
                    // Inside the comprehension it is a free variable of the owner.
                    let mut c = self.cur;
                    while c != s {
                        self.scopes[c].used.insert(target.clone());
                        self.scopes[c].nonlocals.insert(target.clone());
                        c = self.scopes[c].parent.unwrap_or(s);
                    }
                    if self.scopes[s].kind == ScopeKind::Module {
                        let mut c = self.cur;
                        while c != s {
                            self.scopes[c].nonlocals.remove(target);
                            self.scopes[c].globals.insert(target.clone());
                            c = self.scopes[c].parent.unwrap_or(s);
                        }
                    }
                }
            }
            ExprKind::BinOp { left, right, .. } => {
                self.expr(left);
                self.expr(right);
            }
            ExprKind::UnaryOp { operand, .. } => self.expr(operand),
            ExprKind::Lambda { params, body } => {
                self.params_defaults(params);
                let prev = self.push(ScopeKind::Function, "<lambda>", node_key(e), e.span);
                self.params(params);
                self.expr(body);
                self.cur = prev;
            }
            ExprKind::IfExp { test, body, orelse } => {
                self.expr(test);
                self.expr(body);
                self.expr(orelse);
            }
            ExprKind::Dict(items) => {
                for (k, v) in items {
                    if let Some(k) = k {
                        self.expr(k);
                    }
                    self.expr(v);
                }
            }
            ExprKind::Set(items) | ExprKind::List(items) | ExprKind::Tuple(items) => {
                for i in items {
                    self.expr(i);
                }
            }
            ExprKind::ListComp { elt, generators }
            | ExprKind::SetComp { elt, generators }
            | ExprKind::GeneratorExp { elt, generators } => {
                self.comprehension(e, generators, &[elt]);
            }
            ExprKind::DictComp { key, value, generators } => self.comprehension(e, generators, &[key, value]),
            ExprKind::Await(v) => {
                // Only `async def` makes a function a coroutine (an await anywhere
                // else is a SyntaxError, see the compiler); a comprehension awaiting
                // inside one is run as a coroutine.
                if self.scope().kind == ScopeKind::Comprehension {
                    self.scope().is_coroutine = true;
                }
                self.expr(v);
            }
            ExprKind::Yield(v) => {
                self.scope().is_generator = true;
                if let Some(v) = v {
                    self.expr(v);
                }
            }
            ExprKind::YieldFrom(v) => {
                self.scope().is_generator = true;
                self.expr(v);
            }
            ExprKind::Compare { left, comparators, .. } => {
                self.expr(left);
                for c in comparators {
                    self.expr(c);
                }
            }
            ExprKind::Call { func, args, keywords } => {
                self.expr(func);
                for a in args {
                    self.expr(a);
                }
                for k in keywords {
                    self.expr(&k.value);
                }
            }
            ExprKind::Attribute { value, .. } => self.expr(value),
            ExprKind::Subscript { value, slice } => {
                self.expr(value);
                self.expr(slice);
            }
            ExprKind::Starred(v) => self.expr(v),
            ExprKind::Slice { lower, upper, step } => {
                for x in [lower, upper, step].into_iter().flatten() {
                    self.expr(x);
                }
            }
        }
    }

    fn fparts(&mut self, parts: &[FStringPart]) {
        for p in parts {
            if let FStringPart::Field { expr, format_spec, .. } = p {
                self.expr(expr);
                if let Some(spec) = format_spec {
                    self.fparts(spec);
                }
            }
        }
    }

    /// `super` used in a function directly inside a class: the function needs the
    /// `__class__` cell of the class body.
    fn mark_super(&mut self) {
        let cur = self.cur;
        if self.scopes[cur].kind == ScopeKind::Function {
            if let Some(p) = self.scopes[cur].parent {
                if self.scopes[p].kind == ScopeKind::Class {
                    self.scopes[cur].used.insert("__class__".into());
                }
            }
        }
    }
}

/// Decides each name's kind, top-down with the names bound by enclosing functions;
/// returns the free variables the scope needs from its parent.
fn resolve(t: &mut SymbolTable, id: usize, enclosing: &HashSet<String>) -> Result<HashSet<String>, ScopeError> {
    let kind = t.scopes[id].kind;
    let mut symbols = HashMap::new();
    let mut names: Vec<String> = t.scopes[id].bound.clone();
    let mut used: Vec<String> = t.scopes[id].used.iter().cloned().collect();
    used.sort();
    for n in used {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    for n in t.scopes[id].nonlocals.iter() {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    let mut free = HashSet::new();
    for n in &names {
        let s = &t.scopes[id];
        let sym = if s.globals.contains(n) {
            Sym::GlobalExplicit
        } else if s.nonlocals.contains(n) {
            if !enclosing.contains(n) {
                return Err(ScopeError {
                    message: format!("no binding for nonlocal '{n}' found"),
                    span: s.span,
                    too_deep: false,
                });
            }
            free.insert(n.clone());
            Sym::Free
        } else if s.bound_set.contains(n) {
            match kind {
                ScopeKind::Module => Sym::GlobalExplicit,
                ScopeKind::Class => Sym::ClassName,
                _ => Sym::Local,
            }
        } else if (n == "__class__" && kind == ScopeKind::Function && enclosing_is_class(t, id))
            || enclosing.contains(n)
        {
            free.insert(n.clone());
            Sym::Free
        } else {
            Sym::GlobalImplicit
        };
        symbols.insert(n.clone(), sym);
    }
    // Names visible to children as enclosing-function bindings.
    let child_enclosing: HashSet<String> = match kind {
        ScopeKind::Module => HashSet::new(),
        ScopeKind::Class => {
            let mut e = enclosing.clone();
            e.insert("__class__".into());
            e
        }
        _ => {
            let mut e = enclosing.clone();
            for (n, s) in &symbols {
                if matches!(s, Sym::Local | Sym::Free) {
                    e.insert(n.clone());
                }
            }
            // A global declaration hides an enclosing binding.
            for n in &t.scopes[id].globals {
                e.remove(n);
            }
            e
        }
    };
    let children = t.scopes[id].children.clone();
    let mut cellvars = Vec::new();
    for c in children {
        let child_free = resolve(t, c, &child_enclosing)?;
        let mut cf: Vec<String> = child_free.into_iter().collect();
        cf.sort();
        for n in cf {
            match (kind, symbols.get(&n).copied()) {
                (ScopeKind::Function | ScopeKind::Comprehension, Some(Sym::Local)) => {
                    symbols.insert(n.clone(), Sym::Cell);
                    if !cellvars.contains(&n) {
                        cellvars.push(n);
                    }
                }
                (ScopeKind::Function | ScopeKind::Comprehension, Some(Sym::Cell)) => {}
                (ScopeKind::Class, _) if n == "__class__" => {
                    t.scopes[id].needs_class_cell = true;
                    if !cellvars.contains(&n) {
                        cellvars.push(n);
                    }
                }
                (ScopeKind::Class, Some(Sym::Free))
                | (ScopeKind::Function | ScopeKind::Comprehension, Some(Sym::Free)) => {
                    free.insert(n);
                }
                _ => {
                    // Passes through this scope to an enclosing function.
                    free.insert(n.clone());
                    if kind != ScopeKind::Class {
                        symbols.entry(n).or_insert(Sym::Free);
                    }
                }
            }
        }
    }
    let mut freevars: Vec<String> = free.iter().cloned().collect();
    freevars.sort();
    let s = &mut t.scopes[id];
    s.symbols = symbols;
    s.cellvars = cellvars;
    s.freevars = freevars;
    Ok(free)
}

fn enclosing_is_class(t: &SymbolTable, id: usize) -> bool {
    t.scopes[id].parent.map(|p| t.scopes[p].kind == ScopeKind::Class).unwrap_or(false)
}
