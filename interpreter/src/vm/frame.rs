//! Frames as data: the instruction pointer, locals followed by the operand stack, cells,
//! and the stack of exceptions being handled. A generator keeps its frame while
//! suspended; a running thread keeps its callers' frames in `Vm::frames`.

use crate::bytecode::Code;
use crate::value::module::ModuleObj;
use crate::value::{ObjPtr, ObjRef, Value};

/// What happens when the frame returns (or yields).
///
/// The `gen` of every `Gen*` kind is a generator whose frame this thread claimed
/// (`Vm::start_resume` or `GeneratorObj::claim` succeeded) and whose claim is still
/// open: the kind is set on the frame `start_resume` returned, right after it, and is
/// taken out of the frame (replaced by `Call`) at most once, when the frame yields,
/// returns or unwinds. So whoever takes a `Gen*` kind out may call the `unsafe`
/// `finish_generator`/`store_generator_frame` once for it.
pub enum FrameKind {
    /// Push the return value on the caller's stack.
    Call,
    /// An `__init__` run by instantiation: the caller gets the instance (the return
    /// value must be None).
    Init(Value),
    /// The frame was started by Rust code (`Vm::run_frame`): return to it.
    Boundary,
    /// A generator resumed by `ForIter` in the caller: a yield pushes the value, a
    /// return ends the loop (pops the iterator, jumps to `exit`). The generator is
    /// not counted: the caller's stack holds it until this frame has left.
    GenForIter { gen: ObjPtr, exit: u32 },
    /// A generator resumed by `Send` in the caller (`yield from`/`await`): a yield
    /// pushes the value, a return replaces the iterator by the result and jumps to
    /// `exit`. Uncounted as for `GenForIter`.
    GenSend { gen: ObjPtr, exit: u32 },
    /// A generator resumed by `gen.send(v)` or `next(gen)` called from script code: a
    /// yield pushes the value on the caller's stack, a return raises StopIteration
    /// (carrying the value) in the caller.
    /// `owner` holds the count when the caller's stack gave the generator up; a
    /// generator resumed from a caller's local is not counted (the local keeps it).
    GenCall { gen: ObjPtr, owner: Option<ObjRef> },
    /// A generator resumed by Rust code (`next`, `send`, `throw`): yield and return go
    /// back to it. Uncounted: the Rust caller holds the generator while it runs.
    GenBoundary { gen: ObjPtr },
}

pub struct Frame {
    /// Read by every instruction; kept alive by `code_owner` when mortal.
    pub code: &'static Code,
    /// A counted reference to mortal code (compiled at run time), so that it outlives
    /// the function it came from for as long as this frame runs; None for immortal
    /// code (value/code.rs).
    pub code_owner: Option<ObjRef>,
    pub module: &'static ModuleObj,
    pub ip: usize,
    /// `code.nlocals()` locals, then the operand stack.
    pub values: Vec<Value>,
    /// Cells of `code.cellvars` then `code.freevars`.
    pub cells: Vec<ObjRef>,
    /// Exceptions being handled (innermost last), for bare `raise`, `sys.exc_info()`
    /// and implicit chaining.
    pub exc_stack: Vec<Value>,
    /// The namespace dict of a class body.
    pub namespace: Option<Value>,
    pub kind: FrameKind,
    /// Local 0 holds a reference that was not counted: the caller keeps the object
    /// alive while this frame runs (in a local of its own, or in this frame's
    /// `FrameKind::Init`), and the code has `CO_STABLE_SELF`. The reference is
    /// forgotten, not dropped, when the frame ends. Saves two atomic operations
    /// per method call and per instantiation.
    pub borrowed_self: bool,
}

impl Frame {
    /// Forgets a borrowed local 0 (see `borrowed_self`) before the locals are dropped.
    #[inline(always)]
    pub fn forget_borrowed(&mut self) {
        if self.borrowed_self {
            self.borrowed_self = false;
            if let Some(v) = self.values.first_mut() {
                std::mem::forget(std::mem::replace(v, Value::Null));
            }
        }
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        self.forget_borrowed();
    }
}

/// A `Value` as its two 8-byte halves. `Value` is `repr(u64)`, so the first half is
/// the tag, always initialised, and is read as a number; the second half is copied
/// as `MaybeUninit` without being read as one: for `Null`/`None` it is all padding,
/// and after a `Bool`'s byte come seven bytes of padding.
#[repr(C)]
struct Words {
    tag: u64,
    payload: std::mem::MaybeUninit<u64>,
}

// `write_words` and `Frame::pop` move a value as exactly these two words.
const _: () = assert!(std::mem::size_of::<Value>() == std::mem::size_of::<Words>());
const _: () = assert!(std::mem::align_of::<Value>() == std::mem::align_of::<Words>());

/// Writes `v` to `dst` as two 8-byte words read one by one. A value is usually built
/// with two 8-byte stores (tag, payload); copying it with one 16-byte load, as the
/// compiler otherwise does, cannot be served by store forwarding and stalls for about
/// a dozen cycles, which measured as 10-20% of simple loops.
///
/// # Safety
/// `dst` must be valid for writing a Value and aligned for it; its old contents are
/// overwritten, not dropped.
#[inline(always)]
unsafe fn write_words(dst: *mut Value, v: Value) {
    let v = std::mem::ManuallyDrop::new(v);
    let p = &*v as *const Value as *const Words;
    // SAFETY: `p` points to the 16 bytes of `v`, a live local laid out as `Words`
    // (size and alignment asserted above; the tag of a `repr(u64)` enum is its first
    // 8 bytes, always initialised); the payload half is copied as `MaybeUninit`, so
    // padding is never interpreted. The caller makes `dst` valid and aligned for the
    // same 16 bytes. `v` is not dropped (ManuallyDrop): its ownership moves to `dst`.
    unsafe {
        let tag = std::ptr::read_volatile(&raw const (*p).tag);
        let payload = std::ptr::read_volatile(&raw const (*p).payload);
        let d = dst as *mut Words;
        (&raw mut (*d).tag).write(tag);
        (&raw mut (*d).payload).write(payload);
    }
}

impl Frame {
    #[inline(always)]
    pub fn push(&mut self, v: Value) {
        let len = self.values.len();
        if len == self.values.capacity() {
            self.grow();
        }
        // SAFETY: there is room for one more value (checked above); the length
        // covers it only once it is written.
        unsafe {
            write_words(self.values.as_mut_ptr().add(len), v);
            self.values.set_len(len + 1);
        }
    }

    /// Frames are created with room for their locals and `code.max_stack`, so this
    /// runs only for native-built frames that under-reserve.
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        self.values.reserve(16);
    }

    /// Stores local `i`, dropping the old value after the new one is in place.
    #[inline(always)]
    pub fn set_local(&mut self, i: usize, v: Value) {
        let slot: *mut Value = &mut self.values[i];
        // SAFETY: `slot` is in bounds (indexed above); the old value is moved out
        // before being overwritten and dropped once, after the store.
        unsafe {
            let old = std::ptr::read(slot);
            write_words(slot, v);
            drop(old);
        }
    }

    #[inline(always)]
    pub fn pop(&mut self) -> Value {
        // The compiler guarantees the stack never underflows into the locals.
        let len = self.values.len();
        if len == 0 {
            return Value::Null;
        }
        // Read the value as two words: a value was usually just pushed as two 8-byte
        // stores, and one 16-byte load of it would stall on store forwarding.
        // SAFETY: index `len - 1` holds an initialised Value (it was below the
        // length); shortening the length first moves it out, so it is owned once, by
        // the result. Its tag is read as a number (always initialised) and its payload
        // as `MaybeUninit` (padding is never read as a number); put back together in
        // their places they are the very bytes of that Value, so a valid Value.
        unsafe {
            self.values.set_len(len - 1);
            let p = self.values.as_ptr().add(len - 1) as *const Words;
            let words = Words {
                tag: std::ptr::read_volatile(&raw const (*p).tag),
                payload: std::ptr::read_volatile(&raw const (*p).payload),
            };
            std::mem::transmute::<Words, Value>(words)
        }
    }

    #[inline(always)]
    pub fn top(&self) -> &Value {
        self.values.last().unwrap_or(&Value::Null)
    }

    #[inline(always)]
    pub fn peek(&self, depth: usize) -> &Value {
        &self.values[self.values.len() - 1 - depth]
    }

    /// Current operand stack depth (not counting locals).
    #[inline]
    pub fn stack_len(&self) -> usize {
        self.values.len() - self.code.nlocals()
    }

    /// The line being executed (for tracebacks and the blocking layer's records).
    pub fn line(&self) -> usize {
        self.code.line_of(self.ip.saturating_sub(1))
    }
}
