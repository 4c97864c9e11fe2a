//! Name lookups that are not slots: builtins (after an unbound global) and class-body
//! namespaces.

use super::frame::Frame;
use super::{Args, PyResult, Vm};
use crate::value::{ObjRef, Object, Value};

impl Vm {
    /// `LoadGlobal` of a name unbound in its module: the builtin, read through the
    /// slot remembered in `code.builtin_slots` (no lock), or as [`Vm::load_builtin`].
    pub(crate) fn load_builtin_at(&mut self, code: &crate::bytecode::Code, i: usize) -> PyResult<Value> {
        use std::sync::atomic::Ordering;
        let globals = &crate::interp::builtins_module().globals;
        let hint = &code.builtin_slots[i];
        let mut slot = hint.load(Ordering::Relaxed);
        if slot == u32::MAX {
            slot = globals.slot_for(&code.names[i]);
            hint.store(slot, Ordering::Relaxed);
        }
        let v = globals.slot(slot).get();
        if !v.is_null() {
            return Ok(v);
        }
        self.load_builtin(&code.names[i])
    }

    /// A global that is unbound in its module: the builtin of that name, or NameError.
    pub(crate) fn load_builtin(&mut self, name: &ObjRef) -> PyResult<Value> {
        let v = crate::interp::builtins_module().globals.get(name.str_text());
        if v.is_null() {
            // A builtin that a module provides (`spawn`, `Lock`, `Queue`...): import it
            // on first use and keep it in the builtins.
            let lazy = crate::interp::interp().lazy_builtins.read().get(name.str_text()).cloned();
            if let Some((module, attr)) = lazy {
                let m = self.import_module(&module)?;
                let v = self.get_attr(&m, &crate::value::str::intern(&attr))?;
                crate::interp::builtins_module().globals.set(name, v.clone());
                return Ok(v);
            }
            let msg = format!("name '{}' is not defined", name.str_text());
            return Err(self.name_error(&msg, name.str_text()));
        }
        Ok(v)
    }

    /// `LoadName`: the class namespace, then the module's globals, then builtins.
    pub(crate) fn load_name(&mut self, frame: &Frame, i: usize) -> PyResult<Value> {
        let name = &frame.code.names[i];
        if let Some(ns) = &frame.namespace {
            if let Some(v) = self.get_item_opt(ns, &Value::Obj(name.clone()))? {
                return Ok(v);
            }
        }
        let slot = frame.code.global_slots[i];
        let v = frame.module.globals.slot(slot).get();
        if !v.is_null() {
            return Ok(v);
        }
        self.load_builtin(name)
    }

    pub(crate) fn store_name(&mut self, frame: &Frame, i: usize, v: Value) -> PyResult<()> {
        let name = frame.code.names[i].clone();
        match &frame.namespace {
            Some(ns) => self.set_item(ns, Value::Obj(name), v),
            None => {
                frame.module.globals.slot(frame.code.global_slots[i]).set(v);
                Ok(())
            }
        }
    }

    pub(crate) fn delete_name(&mut self, frame: &Frame, i: usize) -> PyResult<()> {
        let name = frame.code.names[i].clone();
        match &frame.namespace {
            Some(ns) => {
                if self.dict_remove(ns, &Value::Obj(name.clone()))?.is_none() {
                    let msg = format!("name '{}' is not defined", name.str_text());
                    return Err(self.name_error(&msg, name.str_text()));
                }
                Ok(())
            }
            None => {
                if frame.module.globals.slot(frame.code.global_slots[i]).take().is_null() {
                    let msg = format!("name '{}' is not defined", name.str_text());
                    return Err(self.name_error(&msg, name.str_text()));
                }
                Ok(())
            }
        }
    }

    /// `with mgr`: returns the bound `__exit__` and the result of `__enter__()`.
    pub(crate) fn before_with(&mut self, mgr: &Value) -> PyResult<(Value, Value)> {
        let names = crate::interp::names();
        let cls = self.class_of(mgr);
        let enter = self.lookup_type_attr(&cls, &names.__enter__);
        let exit = self.lookup_type_attr(&cls, &names.__exit__);
        let (Some(enter), Some(exit)) = (enter, exit) else {
            // CPython names the missing method only when __enter__ is there.
            let missing =
                if self.lookup_type_attr(&cls, &names.__enter__).is_none() { "" } else { " (missed __exit__ method)" };
            let msg =
                format!("'{}' object does not support the context manager protocol{}", self.type_name(mgr), missing);
            return Err(self.type_error(&msg));
        };
        let entered = self.call_exit(&enter, std::slice::from_ref(mgr))?;
        Ok((exit, entered))
    }

    /// Calls a context manager's `__enter__` or `__exit__` found on its type, with the
    /// manager first: a native with a fast entry gets the arguments in place.
    /// (A slice, so that the manager is not reference-counted again: with threads
    /// sharing one lock, every count change moves a cache line between cores.)
    pub(crate) fn call_exit(&mut self, f: &Value, args: &[Value]) -> PyResult<Value> {
        if let Some(Object::Builtin(b)) = f.obj() {
            if b.has_fast() {
                return b.call_fast(self, args);
            }
        }
        self.call(f, Args::new(args.iter().cloned()))
    }

    /// `PrintExpr` (REPL): echoes repr(v) unless None, and keeps it in `_`.
    pub(crate) fn print_expr(&mut self, v: Value, module: &'static crate::value::module::ModuleObj) -> PyResult<()> {
        if v.is_none() {
            return Ok(());
        }
        let r = self.repr_of(&v)?;
        crate::stdio::write_stdout(&format!("{r}\n"));
        crate::interp::builtins_module().globals.set(&crate::value::str::intern("_"), v);
        let _ = module;
        Ok(())
    }
}
