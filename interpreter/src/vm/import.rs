//! `import`: `sys.modules`, native modules registered by the embedding, modules written
//! in conc that ship in the binary, and `.conc` and `.py` files found on `sys.path`.

use super::frame::{Frame, FrameKind};
use super::{FrameExit, PyResult, Vm};
use crate::compiler::{self, Mode};
use crate::native::Exc;
use crate::value::module::ModuleObj;
use crate::value::str::intern;
use crate::value::{ObjRef, Object, Value};

impl Vm {
    /// `ImportName`: imports `name` (and its parent packages); returns the top package
    /// when `fromlist` is None, else the named module.
    pub(crate) fn import_name(
        &mut self,
        name: &Value,
        level: u32,
        fromlist: &Value,
        importer: &'static ModuleObj,
    ) -> PyResult<Value> {
        let name = name.as_str().map(|s| s.as_str().to_string()).unwrap_or_default();
        let full = if level > 0 {
            let pkg = importer.globals.get("__package__");
            let pkg = pkg.as_str().map(|s| s.as_str().to_string()).unwrap_or_default();
            if pkg.is_empty() {
                return Err(self.error(Exc::ImportError, "attempted relative import with no known parent package"));
            }
            let mut parts: Vec<&str> = pkg.split('.').collect();
            for _ in 1..level {
                parts.pop();
            }
            let base = parts.join(".");
            if name.is_empty() {
                base
            } else {
                format!("{base}.{name}")
            }
        } else {
            name
        };
        let (top, leaf) = self.import_chain(&full)?;
        if fromlist.is_none() {
            return Ok(top);
        }
        // `from pkg import sub`: import submodules named in the fromlist.
        if let Some(t) = fromlist.as_tuple() {
            for item in t.items() {
                if let Some(s) = item.as_str() {
                    let n = s.as_str();
                    if n == "*" {
                        continue;
                    }
                    let has = match &leaf {
                        Value::Obj(o) => match &**o {
                            Object::Module(m) => !m.globals.get(n).is_null(),
                            _ => true,
                        },
                        _ => true,
                    };
                    if !has {
                        let sub = format!("{full}.{n}");
                        if self.module_exists(&sub) {
                            let m = self.import_module(&sub)?;
                            if let Some(Object::Module(pm)) = leaf.obj() {
                                pm.globals.set(&intern(n), m);
                            }
                        }
                    }
                }
            }
        }
        Ok(leaf)
    }

    /// `import a.b.c` by its full dotted name: imports each package on the way (so
    /// the submodule's relative imports find their parent) and makes each submodule
    /// an attribute of its package. Returns the top package and the leaf module.
    pub fn import_chain(&mut self, full: &str) -> PyResult<(Value, Value)> {
        let mut top = None;
        let mut leaf = Value::None;
        let mut prefix = String::new();
        for (i, part) in full.split('.').enumerate() {
            if i > 0 {
                prefix.push('.');
            }
            prefix.push_str(part);
            let m = self.import_module(&prefix)?;
            if i > 0 {
                // A submodule is an attribute of its package.
                if let Value::Obj(p) = &leaf {
                    if let Object::Module(pm) = &**p {
                        pm.globals.set(&intern(part), m.clone());
                    }
                }
            }
            if top.is_none() {
                top = Some(m.clone());
            }
            leaf = m;
        }
        Ok((top.unwrap_or(Value::None), leaf))
    }

    fn module_exists(&self, name: &str) -> bool {
        let i = crate::interp::interp();
        i.modules.contains_key(name)
            || i.native_modules.read().contains_key(name)
            || i.embedded_sources.read().contains_key(name)
            || find_file(name).is_some()
    }

    /// Imports one module by its full dotted name. A module another thread is
    /// still running is waited for (`import_lock.rs`).
    pub fn import_module(&mut self, name: &str) -> PyResult<Value> {
        let interp = crate::interp::interp();
        loop {
            if interp.modules.get(name).is_some() {
                super::import_lock::wait_ready(name);
                match interp.modules.get(name) {
                    Some(m) => return Ok(m),
                    // Its import failed in the other thread: try it here.
                    None => continue,
                }
            }
            if !super::import_lock::claim(name) {
                continue;
            }
            if let Some(m) = interp.modules.get(name) {
                super::import_lock::finish(name);
                return Ok(m);
            }
            let r = self.load_module(name);
            super::import_lock::finish(name);
            return r;
        }
    }

    /// Loads a module not in `sys.modules` (this thread holds its module lock).
    fn load_module(&mut self, name: &str) -> PyResult<Value> {
        let interp = crate::interp::interp();
        let native = interp.native_modules.read().get(name).copied();
        if let Some(init) = native {
            let m = ObjRef::new_immortal(Object::Module(Box::new(ModuleObj::new(name, None))));
            set_module_attrs(&m, name, None);
            interp.modules.insert(name, Value::Obj(m.clone()));
            if let Err(e) = init(self, &m) {
                interp.modules.remove(name);
                return Err(e);
            }
            return Ok(Value::Obj(m));
        }
        let embedded = interp.embedded_sources.read().get(name).copied();
        if let Some(e) = embedded {
            let file = format!("<conc-stdlib>/{}", e.path);
            let src = e.current_source();
            return self.exec_source_module(name, &file, &src, e.is_package).map(Value::Obj);
        }
        if let Some(path) = find_file(name) {
            let src = match std::fs::read_to_string(&path) {
                Ok(s) => s,
                Err(e) => return Err(self.error(Exc::ImportError, &format!("cannot read {path}: {e}"))),
            };
            let is_pkg = path.ends_with("/__init__.conc") || path.ends_with("/__init__.py");
            return self.exec_source_module(name, &path, &src, is_pkg).map(Value::Obj);
        }
        let cls = Exc::ModuleNotFoundError.class().clone();
        let e = self.new_exception(&cls, vec![Value::string(format!("No module named '{name}'"))]);
        if let Some(i) = e.exc.as_instance() {
            let n = intern("name");
            i.attrs().set_simple(crate::value::class::name_hash(&n), Value::Obj(n), Value::str(name));
        }
        Err(e)
    }

    /// Compiles and runs `source` as module `name`, registering it in `sys.modules`
    /// first (so circular imports see the partly initialised module).
    pub fn exec_source_module(&mut self, name: &str, file: &str, source: &str, is_pkg: bool) -> PyResult<ObjRef> {
        let m = ObjRef::new_immortal(Object::Module(Box::new(ModuleObj::new(name, Some(file.to_string())))));
        set_module_attrs(&m, name, Some(file));
        if is_pkg {
            if let Object::Module(mm) = &*m {
                mm.globals.set(&intern("__package__"), Value::str(name));
            }
        }
        let interp = crate::interp::interp();
        interp.modules.insert(name, Value::Obj(m.clone()));
        let r = self.exec_in_module(&m, file, source);
        if let Err(e) = r {
            interp.modules.remove(name);
            return Err(e);
        }
        Ok(m)
    }

    /// Parses, compiles and runs a module's own `source` in its namespace `m` (the
    /// code is immortal, as modules are).
    pub fn exec_in_module(&mut self, m: &ObjRef, file: &str, source: &str) -> PyResult<Value> {
        let Object::Module(module) = m.as_static() else {
            return Err(self.type_error("not a module"));
        };
        let code = self.compile_for(module, file, source, Mode::Exec, compiler::Lifetime::Module)?;
        self.run_module_code(&code, module)
    }

    /// Parses and compiles `source` for the globals of `module`.
    pub fn compile_for(
        &mut self,
        module: &ModuleObj,
        file: &str,
        source: &str,
        mode: Mode,
        lifetime: compiler::Lifetime,
    ) -> PyResult<ObjRef> {
        let ast = match conc_grammar::parse(source, file) {
            Ok(a) => a,
            Err(e) => {
                let kind = match e.kind {
                    conc_grammar::SyntaxErrorKind::SyntaxError => Exc::SyntaxError,
                    conc_grammar::SyntaxErrorKind::IndentationError => Exc::IndentationError,
                    conc_grammar::SyntaxErrorKind::TabError => Exc::TabError,
                };
                return Err(self.syntax_error(&e.message, kind, file, source, e.span));
            }
        };
        match compiler::compile(&ast, file, source, module, mode, lifetime) {
            Ok(c) => Ok(c),
            Err(e) if e.too_deep => Err(self.error(Exc::RecursionError, &e.message)),
            Err(e) => Err(self.syntax_error(&e.message, Exc::SyntaxError, file, source, e.span)),
        }
    }

    /// Runs compiled module-level code (a code object).
    pub fn run_module_code(&mut self, code_obj: &ObjRef, module: &'static ModuleObj) -> PyResult<Value> {
        // SAFETY: the frame holds `code_obj` when it is mortal (value/code.rs).
        let Some(code) = (unsafe { crate::value::code::code_static(code_obj) }) else {
            return Err(self.type_error("expected a code object"));
        };
        // Global reads and writes index the slots of the module the code was compiled
        // for: running it with other globals would reach the wrong variables.
        if code.module_addr != module as *const ModuleObj as usize {
            return Err(self.error(Exc::SystemError, "code object run outside the module it was compiled for"));
        }
        let mut frame = self.new_frame(code, module);
        frame.code_owner = crate::value::code::owner_if_mortal(code_obj);
        frame.values.resize(code.nlocals(), Value::Null);
        frame.kind = FrameKind::Boundary;
        match self.run_frame(frame)? {
            FrameExit::Return(v) => Ok(v),
            FrameExit::Yield(..) => Err(self.error(Exc::SystemError, "module yielded")),
        }
    }

    /// A SyntaxError exception with CPython's attributes (filename, lineno, offset, text).
    pub fn syntax_error(
        &mut self,
        msg: &str,
        kind: Exc,
        file: &str,
        source: &str,
        span: conc_grammar::Span,
    ) -> super::PyErr {
        let e = crate::builtins::syntax_error::from_span(kind, msg, file, source, span);
        super::PyErr { exc: e }
    }

    /// `ImportFrom`: `module.name`, importing a submodule if needed.
    pub(crate) fn import_from(&mut self, m: &Value, name: &ObjRef) -> PyResult<Value> {
        match self.get_attr_opt(m, name)? {
            Some(v) => Ok(v),
            None => {
                let mname = match m.obj() {
                    Some(Object::Module(mm)) => mm.name.clone(),
                    _ => "?".into(),
                };
                let file = match m.obj() {
                    Some(Object::Module(mm)) => mm.file.clone(),
                    _ => None,
                };
                let loc = match file {
                    Some(f) => format!(" ({f})"),
                    None => " (unknown location)".to_string(),
                };
                let msg = format!("cannot import name '{}' from '{}'{}", name.str_text(), mname, loc);
                Err(self.error(Exc::ImportError, &msg))
            }
        }
    }

    /// `from m import *`: public names (or `__all__`) into the importing namespace.
    pub(crate) fn import_star(&mut self, m: &Value, frame: &Frame) -> PyResult<()> {
        let Some(Object::Module(src)) = m.obj() else {
            return Err(self.type_error("import * from a non-module"));
        };
        let all = src.globals.get("__all__");
        let names: Vec<ObjRef> = if all.is_null() {
            src.globals.items().into_iter().map(|(k, _)| k).filter(|k| !k.str_text().starts_with('_')).collect()
        } else {
            self.collect(&all)?.iter().filter_map(|v| v.as_str().map(|s| intern(s.as_str()))).collect()
        };
        for n in names {
            let v = src.globals.get(n.str_text());
            if v.is_null() {
                continue;
            }
            match &frame.namespace {
                Some(ns) => self.set_item(ns, Value::Obj(n), v)?,
                None => frame.module.globals.set(&n, v),
            }
        }
        Ok(())
    }
}

/// Sets `__name__`, `__file__` and friends on a new module.
pub fn set_module_attrs(m: &ObjRef, name: &str, file: Option<&str>) {
    if let Object::Module(mm) = &**m {
        mm.globals.set(&intern("__name__"), Value::str(name));
        mm.globals.set(&intern("__doc__"), Value::None);
        let pkg = match name.rfind('.') {
            Some(i) => &name[..i],
            None => "",
        };
        mm.globals.set(&intern("__package__"), Value::str(pkg));
        if let Some(f) = file {
            mm.globals.set(&intern("__file__"), Value::str(f));
        }
    }
}

/// Finds a module's source on `sys.path`. In each directory, as in CPython, a package
/// (`name/__init__.conc` or `name/__init__.py`) comes before a module file
/// (`name.conc`, then `name.py`), so scripts written for Python import their sibling
/// `.py` files unchanged.
fn find_file(name: &str) -> Option<String> {
    let rel = name.replace('.', "/");
    let path = crate::interp::interp().path.lock().clone();
    for dir in path {
        let dir = if dir.is_empty() { ".".to_string() } else { dir };
        let candidates = [
            format!("{dir}/{rel}/__init__.conc"),
            format!("{dir}/{rel}/__init__.py"),
            format!("{dir}/{rel}.conc"),
            format!("{dir}/{rel}.py"),
        ];
        if let Some(f) = candidates.into_iter().find(|f| std::path::Path::new(f).is_file()) {
            return Some(f);
        }
    }
    None
}

/// What `conc -m NAME` runs: the source file of module `NAME`, or of `NAME.__main__`
/// when `NAME` is a package; conc's own library first, then `sys.path`, as `import`
/// looks. Returns (the file name to show, the source), or the message python3 prints
/// when there is nothing to run.
pub fn main_module_source(name: &str) -> Result<(String, String), String> {
    let interp = crate::interp::interp();
    let embedded = interp.embedded_sources.read().get(name).copied();
    if let Some(e) = embedded {
        if !e.is_package {
            return Ok((format!("<conc-stdlib>/{}", e.path), e.current_source().into_owned()));
        }
    } else if let Some(path) = find_file(name) {
        if !(path.ends_with("/__init__.conc") || path.ends_with("/__init__.py")) {
            return std::fs::read_to_string(&path)
                .map(|s| (path.clone(), s))
                .map_err(|e| format!("can't read {path}: {e}"));
        }
    } else if interp.native_modules.read().contains_key(name) {
        return Err(format!("No code object available for {name}"));
    } else {
        return Err(format!("No module named {name}"));
    }
    // A package: run its `__main__`.
    let main = format!("{name}.__main__");
    let embedded = interp.embedded_sources.read().get(&main).copied();
    if let Some(e) = embedded {
        return Ok((format!("<conc-stdlib>/{}", e.path), e.current_source().into_owned()));
    }
    match find_file(&main) {
        Some(path) => {
            std::fs::read_to_string(&path).map(|s| (path.clone(), s)).map_err(|e| format!("can't read {path}: {e}"))
        }
        None => Err(format!("No module named {main}; '{name}' is a package and cannot be directly executed")),
    }
}
