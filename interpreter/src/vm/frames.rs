//! Frames and tracebacks as script values: `sys._getframe()`, `frame.f_back`,
//! `exc.__traceback__` with `tb_frame` and `tb_next`.
//!
//! conc's running frames are plain data owned by each thread's loop, never shared,
//! so a script sees a *view*: a snapshot of the call stack (or of an exception's
//! recorded entries) taken when it asks, shared by every view made from it (so
//! walking `f_back` or `tb_next` copies nothing). A view shows where each frame was
//! at that moment; it does not follow the frame as it goes on running, and locals
//! are not part of it.

use super::{PyResult, Vm};
use crate::bytecode::Code;
use crate::native::{native, Exc, NativeClass, NativePayload, Property};
use crate::value::module::ModuleObj;
use crate::value::{ObjRef, Value};
use std::sync::Arc;

/// One frame as a view shows it.
#[derive(Clone)]
pub struct FrameEntry {
    pub code: &'static Code,
    /// Keeps mortal code (and through it a mortal `exec` namespace) alive.
    pub owner: Option<ObjRef>,
    pub module: &'static ModuleObj,
    /// The instruction running (a call, in a caller).
    pub ip: u32,
}

impl FrameEntry {
    fn line(&self) -> i64 {
        self.code.line_of(self.ip as usize) as i64
    }

    /// Where `f` is now (the instruction running, a call in a caller).
    pub fn of(f: &super::frame::Frame) -> FrameEntry {
        FrameEntry { code: f.code, owner: f.code_owner.clone(), module: f.module, ip: f.ip.saturating_sub(1) as u32 }
    }

    /// The line of the instruction this entry stands at.
    pub fn line_no(&self) -> usize {
        self.code.line_of(self.ip as usize)
    }
}

/// Whether `filename` names a module of conc's own library (embedded in the binary),
/// whose frames reports of waits skip to show the script's line.
pub fn is_library_file(filename: &str) -> bool {
    filename.starts_with("<conc-stdlib>")
}

/// A `frame` object: entry `index` of a stack snapshot, innermost first, so its
/// caller (`f_back`) is the next entry.
pub struct FrameView {
    stack: Arc<Vec<FrameEntry>>,
    index: usize,
}

impl NativePayload for FrameView {
    const CLASS: &'static NativeClass = &FRAME;
}

pub static FRAME: NativeClass = NativeClass {
    name: "frame",
    module: "builtins",
    methods: &[&frame_repr::DEF],
    properties: &[
        Property { name: "f_code", get: &f_code::DEF, set: None },
        Property { name: "f_lineno", get: &f_lineno::DEF, set: None },
        Property { name: "f_lasti", get: &f_lasti::DEF, set: None },
        Property { name: "f_back", get: &f_back::DEF, set: None },
        Property { name: "f_globals", get: &f_globals::DEF, set: None },
        Property { name: "f_builtins", get: &f_builtins::DEF, set: None },
    ],
    ..NativeClass::DEFAULT
};

impl FrameView {
    fn entry(&self) -> &FrameEntry {
        &self.stack[self.index]
    }
}

/// The code a frame runs, as `frame.f_code` shows it: its names and where it starts.
pub struct CodeView {
    code: &'static Code,
    _owner: Option<ObjRef>,
}

impl NativePayload for CodeView {
    const CLASS: &'static NativeClass = &CODE_VIEW;
}

pub static CODE_VIEW: NativeClass = NativeClass {
    name: "code",
    module: "builtins",
    methods: &[&code_repr::DEF],
    properties: &[
        Property { name: "co_name", get: &co_name::DEF, set: None },
        Property { name: "co_qualname", get: &co_qualname::DEF, set: None },
        Property { name: "co_filename", get: &co_filename::DEF, set: None },
        Property { name: "co_firstlineno", get: &co_firstlineno::DEF, set: None },
    ],
    ..NativeClass::DEFAULT
};

/// A `traceback` object: entry `index` of an exception's recorded entries (innermost
/// first, in the order the frames were unwound), so the next one toward the error
/// (`tb_next`) is the entry before.
pub struct TracebackView {
    entries: Arc<Vec<FrameEntry>>,
    index: usize,
}

impl NativePayload for TracebackView {
    const CLASS: &'static NativeClass = &TRACEBACK;
}

pub static TRACEBACK: NativeClass = NativeClass {
    name: "traceback",
    module: "builtins",
    properties: &[
        Property { name: "tb_frame", get: &tb_frame::DEF, set: None },
        Property { name: "tb_lineno", get: &tb_lineno::DEF, set: None },
        Property { name: "tb_lasti", get: &tb_lasti::DEF, set: None },
        Property { name: "tb_next", get: &tb_next::DEF, set: None },
    ],
    ..NativeClass::DEFAULT
};

/// The traceback object heading `entries` (the outermost recorded frame), or None.
pub fn traceback_of(entries: Vec<FrameEntry>) -> Value {
    if entries.is_empty() {
        return Value::None;
    }
    let index = entries.len() - 1;
    TRACEBACK.instance(TracebackView { entries: Arc::new(entries), index })
}

/// The entries from a traceback object on (for `exc.__traceback__ = tb`), innermost
/// first; None when `v` is no traceback.
pub fn entries_of(v: &Value) -> Option<Vec<FrameEntry>> {
    let tb = v.as_instance()?.native::<TracebackView>()?;
    Some(tb.entries[..=tb.index].to_vec())
}

impl Vm {
    /// The script frames of this thread, innermost (the caller of the running
    /// native) first. Loops nested through native calls are walked in order: each
    /// nested loop's frames, then the frame that made the native call it came from.
    pub fn stack_entries(&self) -> Vec<FrameEntry> {
        let mut out = Vec::new();
        self.walk_frames(|f| {
            out.push(FrameEntry::of(f));
            true
        });
        out
    }

    /// Calls `visit` on each script frame of this thread, innermost first (the order
    /// of `stack_entries`), until it returns false. Allocates nothing.
    pub fn walk_frames(&self, mut visit: impl FnMut(&super::frame::Frame) -> bool) {
        let Some(cur) = self.caller_frame() else { return };
        let empty = crate::interp::empty_code() as *const Code;
        let mut push = |f: &super::frame::Frame| std::ptr::eq(f.code, empty) || visit(f);
        if !push(cur) {
            return;
        }
        let mut top = self.frames.len();
        for &(outer, base) in self.outer_frames.iter().rev() {
            let base = base.min(top);
            for f in self.frames[base..top].iter().rev() {
                if !push(f) {
                    return;
                }
            }
            // SAFETY: each pointer is the running frame of a loop further down this
            // thread's Rust stack, alive while the nested loops run (see exc.rs).
            if !push(unsafe { &*outer }) {
                return;
            }
            top = base;
        }
        for f in self.frames[..top].iter().rev() {
            if !push(f) {
                return;
            }
        }
    }

    /// The innermost frame of the script's own code (not of conc's library), as a
    /// creation site: where the script made the lock, queue or thread being created.
    pub fn user_site(&self) -> Option<FrameEntry> {
        let mut site = None;
        self.walk_frames(|f| {
            if is_library_file(&f.code.filename) {
                return true;
            }
            site = Some(FrameEntry::of(f));
            false
        });
        site
    }

    /// `sys._getframe(depth)`.
    pub fn frame_at(&mut self, depth: usize) -> PyResult<Value> {
        let stack = self.stack_entries();
        if depth >= stack.len() {
            return Err(self.error(Exc::ValueError, "call stack is not deep enough"));
        }
        Ok(FRAME.instance(FrameView { stack: Arc::new(stack), index: depth }))
    }
}

#[native("frame.f_code($self)")]
fn f_code(_vm: &mut Vm, this: &FrameView) -> PyResult<Value> {
    let e = this.entry();
    Ok(CODE_VIEW.instance(CodeView { code: e.code, _owner: e.owner.clone() }))
}

#[native("frame.f_lineno($self)")]
fn f_lineno(_vm: &mut Vm, this: &FrameView) -> PyResult<i64> {
    Ok(this.entry().line())
}

#[native("frame.f_lasti($self)")]
fn f_lasti(_vm: &mut Vm, this: &FrameView) -> PyResult<i64> {
    Ok(this.entry().ip as i64 * 2)
}

#[native("frame.f_back($self)")]
fn f_back(_vm: &mut Vm, this: &FrameView) -> PyResult<Value> {
    if this.index + 1 >= this.stack.len() {
        return Ok(Value::None);
    }
    Ok(FRAME.instance(FrameView { stack: this.stack.clone(), index: this.index + 1 }))
}

/// The frame's module namespace, as a dict taken when asked (as `globals()`).
#[native("frame.f_globals($self)")]
fn f_globals(vm: &mut Vm, this: &FrameView) -> PyResult<Value> {
    module_dict(vm, this.entry().module)
}

#[native("frame.f_builtins($self)")]
fn f_builtins(vm: &mut Vm, _this: &FrameView) -> PyResult<Value> {
    module_dict(vm, crate::interp::builtins_module())
}

fn module_dict(vm: &mut Vm, m: &ModuleObj) -> PyResult<Value> {
    let d = Value::new(crate::value::Object::Dict(crate::value::dict::DictObj::new(Default::default())));
    for (k, v) in m.globals.items() {
        vm.dict_set(&d, Value::Obj(k), v)?;
    }
    Ok(d)
}

#[native("frame.__repr__($self, /)")]
fn frame_repr(_vm: &mut Vm, this: &FrameView) -> PyResult<String> {
    let e = this.entry();
    let at = Arc::as_ptr(&this.stack) as usize + this.index;
    Ok(format!("<frame at {at:#x}, file '{}', line {}, code {}>", e.code.filename, e.line(), e.code.name))
}

#[native("code.co_name($self)")]
fn co_name(_vm: &mut Vm, this: &CodeView) -> PyResult<String> {
    Ok(this.code.name.to_string())
}

#[native("code.co_qualname($self)")]
fn co_qualname(_vm: &mut Vm, this: &CodeView) -> PyResult<String> {
    Ok(this.code.qualname.to_string())
}

#[native("code.co_filename($self)")]
fn co_filename(_vm: &mut Vm, this: &CodeView) -> PyResult<String> {
    Ok(this.code.filename.to_string())
}

#[native("code.co_firstlineno($self)")]
fn co_firstlineno(_vm: &mut Vm, this: &CodeView) -> PyResult<i64> {
    Ok(this.code.first_line as i64)
}

#[native("code.__repr__($self, /)")]
fn code_repr(_vm: &mut Vm, this: &CodeView) -> PyResult<String> {
    let c = this.code;
    Ok(format!(
        "<code object {} at {:#x}, file \"{}\", line {}>",
        c.name, c as *const Code as usize, c.filename, c.first_line
    ))
}

/// The frame of this entry; its `f_back` is the next entry out (the entries are
/// innermost first, as a stack snapshot's), None past the outermost recorded.
#[native("traceback.tb_frame($self)")]
fn tb_frame(_vm: &mut Vm, this: &TracebackView) -> PyResult<Value> {
    Ok(FRAME.instance(FrameView { stack: this.entries.clone(), index: this.index }))
}

#[native("traceback.tb_lineno($self)")]
fn tb_lineno(_vm: &mut Vm, this: &TracebackView) -> PyResult<i64> {
    Ok(this.entries[this.index].line())
}

#[native("traceback.tb_lasti($self)")]
fn tb_lasti(_vm: &mut Vm, this: &TracebackView) -> PyResult<i64> {
    Ok(this.entries[this.index].ip as i64 * 2)
}

#[native("traceback.tb_next($self)")]
fn tb_next(_vm: &mut Vm, this: &TracebackView) -> PyResult<Value> {
    if this.index == 0 {
        return Ok(Value::None);
    }
    Ok(TRACEBACK.instance(TracebackView { entries: this.entries.clone(), index: this.index - 1 }))
}
