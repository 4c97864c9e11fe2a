//! The virtual machine: one `Vm` per OS thread, running frames held as data.
//!
//! The loop keeps the running frame in a local variable and its callers in
//! `Vm::frames`; a call from script to script pushes and switches frames without Rust
//! recursion. Rust code that calls back into script code (a key function, `__repr__`,
//! `__init__` from a native constructor) runs a nested loop with [`Vm::run_frame`];
//! the total depth of both is bounded by the recursion limit, so deep recursion raises
//! `RecursionError` instead of overflowing the Rust stack.

pub mod attr;
mod attr_cache;
mod bytearray;
pub mod call;
pub mod containers;
pub mod exc;
mod exc_report;
mod exec;
pub mod frame;
pub mod frames;
pub mod gen;
pub mod import;
pub(crate) mod import_lock;
pub mod iter;
mod memory;
pub mod names;
pub mod ops;
pub mod panics;
pub mod run;
mod safepoint;
mod stack;
pub mod subscript;

use crate::value::{ObjRef, Value};
use frame::Frame;
use smallvec::SmallVec;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The recursion limit of the interpreter (`sys.setrecursionlimit`), shared by every
/// thread as in CPython. Each VM keeps a copy for its hot checks and reloads it when
/// the copy says the limit is reached (`limit_reached`). Script frames live on the
/// heap and native recursions also stop at the end of the thread's stack, so any
/// limit is safe.
pub static RECURSION_LIMIT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1000);

/// An exception being raised: the exception instance.
#[derive(Clone)]
pub struct PyErr {
    pub exc: Value,
}

impl std::fmt::Debug for PyErr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PyErr({})", exc::exc_summary(&self.exc))
    }
}

pub type PyResult<T> = Result<T, PyErr>;

/// Arguments of a native call: positional (with `self` first for methods) and keywords.
#[derive(Default)]
pub struct Args {
    pub pos: SmallVec<[Value; 6]>,
    pub kw: Vec<(ObjRef, Value)>,
}

impl Args {
    pub fn new(pos: impl IntoIterator<Item = Value>) -> Args {
        Args { pos: pos.into_iter().collect(), kw: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.pos.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pos.is_empty() && self.kw.is_empty()
    }

    /// Positional argument `i`, if given.
    pub fn get(&self, i: usize) -> Option<&Value> {
        self.pos.get(i)
    }
}

/// A hasher for keys that are already well-mixed pointers.
#[derive(Default)]
pub struct PtrHasher(u64);

impl Hasher for PtrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x100000001b3);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0 ^ n as u64).wrapping_mul(0x9E3779B97F4A7C15).rotate_left(29);
    }
}

pub type PtrMap<K, V> = HashMap<K, V, BuildHasherDefault<PtrHasher>>;

/// How a frame run by [`Vm::run_frame`] ended.
pub enum FrameExit {
    Return(Value),
    /// A generator frame yielded; the frame is handed back for the generator to keep.
    Yield(Value, Box<Frame>),
}

/// Per-thread interpreter state.
pub struct Vm {
    /// Callers of the running frame (the running frame is a local of the loop).
    /// Boxed so that switching frames moves one pointer, not the whole frame.
    #[allow(clippy::vec_box)]
    pub frames: Vec<Box<Frame>>,
    /// Reusable frames (with their value buffers), so calls do not allocate.
    #[allow(clippy::vec_box)]
    pool: Vec<Box<Frame>>,
    /// Per-thread cache of class attribute lookups: (class, name) -> (version, value).
    pub(crate) attr_cache: attr_cache::AttrCache,
    /// Per-thread cache of module attribute slots: (module, interned name) -> slot.
    /// Slot numbers never change once given, so no validation is needed.
    pub(crate) module_cache: PtrMap<(usize, usize), u32>,
    /// Number of frames alive on this thread (script frames and native re-entries).
    pub depth: usize,
    pub recursion_limit: usize,
    /// The lowest stack address this thread may reach before a call or a native
    /// recursion (repr, comparison, hashing of nested containers) raises
    /// RecursionError: the thread's stack end plus a margin for the code that
    /// runs between checks. Whatever the recursion limit, the stack cannot
    /// overflow (see `stack_exhausted`).
    stack_floor: usize,
    /// The frame of the script code that called the running native function. Null,
    /// or a frame of this thread that is alive and not handed to anyone else: the loop
    /// sets it to its running frame before calling out, a nested loop restores the
    /// value it found, and a frame that is released (`release_frame`) or stored back
    /// into its generator (`store_generator_frame`) clears it if it points there, so it
    /// never dangles nor points at a frame another thread may resume.
    caller: *const Frame,
    /// Running frames of the loops that nested loops were started from (innermost
    /// last), for exception chaining across native re-entry, each with the length
    /// `frames` had when its nested loop started (so the whole stack can be walked
    /// in order, `frames.rs`).
    pub(crate) outer_frames: Vec<(*const Frame, usize)>,
    /// Thread-specific data owned by the embedding (the threading module keeps the
    /// current Thread object here).
    pub thread_data: Option<Value>,
    /// The script-level name of this thread (for wait records and messages).
    pub thread_name: String,
    /// Containers whose repr is being built on this thread (for `[...]`).
    pub(crate) repr_guard: Vec<usize>,
    /// A reusable buffer for building str values (`BuildString`).
    pub(crate) text_buf: String,
}

// A Vm is not Send: its raw frame pointers (`caller`, `outer_frames`) make it !Send,
// and it needs no exemption, since each thread builds its own Vm and keeps it.

impl Default for Vm {
    fn default() -> Self {
        Vm::new()
    }
}

impl Vm {
    /// True when this thread's stack is nearly used up (see `stack_floor`).
    #[inline(always)]
    pub fn stack_exhausted(&self) -> bool {
        stack::approximate_sp() < self.stack_floor
    }

    /// Enters one level of a native recursion over nested values (repr of a list
    /// of lists, comparing or hashing nested tuples): counts against the recursion
    /// limit like a call, and refuses when the stack is nearly used up, with
    /// CPython's RecursionError ("maximum recursion depth exceeded{what}"). Pair
    /// with [`Vm::leave_native_recursion`].
    pub fn enter_native_recursion(&mut self, what: &str) -> PyResult<()> {
        if (self.depth >= self.recursion_limit && self.limit_reached()) || self.stack_exhausted() {
            let msg = format!("maximum recursion depth exceeded{what}");
            return Err(self.error(crate::native::Exc::RecursionError, &msg));
        }
        self.depth += 1;
        Ok(())
    }

    /// Called when `depth` reached this VM's copy of the recursion limit: takes the
    /// current limit (another thread may have raised it) and says whether it holds.
    #[cold]
    #[inline(never)]
    pub(crate) fn limit_reached(&mut self) -> bool {
        self.recursion_limit = RECURSION_LIMIT.load(std::sync::atomic::Ordering::Relaxed);
        self.depth >= self.recursion_limit
    }

    pub fn leave_native_recursion(&mut self) {
        self.depth -= 1;
    }

    pub fn new() -> Vm {
        panics::enter_vm_thread();
        Vm {
            frames: Vec::new(),
            pool: Vec::new(),
            attr_cache: attr_cache::AttrCache::default(),
            module_cache: PtrMap::default(),
            depth: 0,
            recursion_limit: RECURSION_LIMIT.load(std::sync::atomic::Ordering::Relaxed),
            stack_floor: stack::floor_of_this_thread(),
            caller: std::ptr::null(),
            thread_data: None,
            outer_frames: Vec::new(),
            repr_guard: Vec::new(),
            text_buf: String::new(),
            thread_name: "MainThread".to_string(),
        }
    }

    /// A fresh frame for `code` (from the pool when possible), with room for its
    /// locals and operand stack; locals are not yet filled in.
    #[inline]
    pub(crate) fn new_frame(
        &mut self,
        code: &'static crate::bytecode::Code,
        module: &'static crate::value::module::ModuleObj,
    ) -> Box<Frame> {
        let n = code.nlocals() + code.max_stack as usize;
        match self.pool.pop() {
            Some(mut f) => {
                f.code = code;
                f.module = module;
                f.ip = 0;
                f.kind = frame::FrameKind::Call;
                f.values.reserve(n);
                f
            }
            None => Box::new(Frame {
                code,
                code_owner: None,
                module,
                ip: 0,
                values: Vec::with_capacity(n.max(16)),
                cells: Vec::new(),
                exc_stack: Vec::new(),
                namespace: None,
                kind: frame::FrameKind::Call,
                borrowed_self: false,
            }),
        }
    }

    /// Returns a finished frame to the pool (its values are dropped first).
    #[inline]
    pub(crate) fn release_frame(&mut self, mut frame: Box<Frame>) {
        self.forget_caller(&frame);
        frame.forget_borrowed();
        frame.values.clear();
        if !frame.cells.is_empty() {
            frame.cells.clear();
        }
        if !frame.exc_stack.is_empty() {
            frame.exc_stack.clear();
        }
        frame.namespace = None;
        frame.code_owner = None;
        frame.kind = frame::FrameKind::Call;
        if self.pool.len() < 64 && frame.values.capacity() <= 1024 {
            self.pool.push(frame);
        }
    }

    /// Clears `caller` when it points at `frame`, which is leaving this thread's hands
    /// (released to the pool or freed, or stored back into its generator).
    #[inline(always)]
    pub(crate) fn forget_caller(&mut self, frame: &Frame) {
        if std::ptr::eq(self.caller, frame) {
            self.caller = std::ptr::null();
        }
    }

    /// The script frame that called the running native function.
    pub fn caller_frame(&self) -> Option<&Frame> {
        if self.caller.is_null() {
            None
        } else {
            // SAFETY: a non-null `caller` is a live frame of this thread that nobody
            // else holds (see the field): frames leaving this thread clear it. The
            // loop that owns that frame is suspended below us on this thread's stack
            // (it called the native that is running) or is this Vm's caller in
            // `frames`, so nothing writes the frame while the returned borrow of
            // `self` lasts.
            Some(unsafe { &*self.caller })
        }
    }

    /// The module of the calling script code (for `globals()`, `exec`, ...).
    pub fn caller_module(&self) -> Option<&'static crate::value::module::ModuleObj> {
        self.caller_frame().map(|f| f.module)
    }
}
