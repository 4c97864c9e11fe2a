//! `ObjRef`: the reference-counted pointer to a heap object, with immortality.
//!
//! Why not `Arc<Object>`: objects that every thread reads on its hot path (module-level
//! functions and classes, code constants, builtins, interned names, modules) would have
//! their reference count written by every thread on every call, and the cache line
//! holding the count would bounce between cores. Such objects are made *immortal*: a bit
//! in the count says "never counted", so cloning and dropping them only *reads* the
//! count. Reads of a shared cache line do not contend.
//!
//! Soundness of the immortal bit: once set it is never cleared. A reference created
//! while the object was mortal was counted; if it is dropped after the bit was set the
//! decrement is skipped (the object leaks one count, which is harmless because it can
//! no longer die). A reference created after the bit was set was not counted, and its
//! drop observes the bit (the thread that handed the reference over saw the bit, and
//! read-read coherence carries that to the dropping thread), so no count is ever
//! decremented that was not incremented.
//!
//! Dropping a long chain (a linked list of a million nodes) would recurse in `Drop`;
//! a thread-local queue flattens that recursion (CPython calls this the trashcan).

use super::Object;
use std::cell::{Cell, RefCell};
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicUsize, Ordering};

const IMMORTAL: usize = 1 << (usize::BITS - 2);

#[repr(C)]
struct ObjBox {
    rc: AtomicUsize,
    obj: Object,
}

/// A counted (or immortal) reference to a heap [`Object`].
pub struct ObjRef {
    ptr: NonNull<ObjBox>,
}

// The impls below rest on this: the compiler checks here that every `Object` is Send +
// Sync (mutable objects carry their own locks), so adding a field that is not fails to
// build instead of silently making `ObjRef` unsound.
const _: fn() = || {
    fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<Object>();
};

// SAFETY: an `ObjRef` is a shared reference to an `Object` plus a share of its count.
// `Object` is Send + Sync (checked above), so handing the reference to another thread
// or using it from several is what `Arc<Object>` allows; the count is only changed by
// atomic operations, and the box is freed by the one thread that brings it to zero
// (after an Acquire fence that orders every other thread's last use before the free).
unsafe impl Send for ObjRef {}
// SAFETY: as for Send: `&ObjRef` only gives `&Object` (Sync) and atomic count updates.
unsafe impl Sync for ObjRef {}

impl ObjRef {
    pub fn new(obj: Object) -> ObjRef {
        let b = Box::new(ObjBox { rc: AtomicUsize::new(1), obj });
        ObjRef { ptr: NonNull::from(Box::leak(b)) }
    }

    /// A new object that is immortal from the start (never freed).
    pub fn new_immortal(obj: Object) -> ObjRef {
        let r = ObjRef::new(obj);
        r.make_immortal();
        r
    }

    #[inline(always)]
    fn inner(&self) -> &ObjBox {
        // SAFETY: `ptr` came from `Box::leak` (in `new`) and the box is freed only when
        // the count reaches zero, which cannot happen while `self` holds its share; an
        // immortal box is never freed. So the pointer is valid and the box is only
        // reached by shared reference (the count is atomic, the object immutable or
        // internally locked).
        unsafe { self.ptr.as_ref() }
    }

    /// Marks the object as never to be freed; clones and drops stop writing its count.
    pub fn make_immortal(&self) {
        self.inner().rc.fetch_or(IMMORTAL, Ordering::Relaxed);
    }

    #[inline(always)]
    pub fn is_immortal(&self) -> bool {
        self.inner().rc.load(Ordering::Relaxed) & IMMORTAL != 0
    }

    /// True when this is the only counted reference (for in-place optimisations of
    /// immutable objects nobody else can observe).
    #[inline]
    pub fn is_unique(&self) -> bool {
        self.inner().rc.load(Ordering::Acquire) == 1
    }

    /// The address, used for `id()` and identity (`is`).
    #[inline(always)]
    pub fn addr(&self) -> usize {
        self.ptr.as_ptr() as usize
    }

    #[inline(always)]
    pub fn ptr_eq(&self, other: &ObjRef) -> bool {
        self.ptr == other.ptr
    }

    /// A `&'static` view of an immortal object. Panics if the object is mortal, since
    /// the reference could then outlive it.
    pub fn as_static(&self) -> &'static Object {
        assert!(self.is_immortal(), "as_static on a mortal object");
        // SAFETY: the object is immortal (asserted above) and the immortal bit is never
        // cleared, so the box is never freed and a reference to it is valid for ever.
        unsafe { &(*self.ptr.as_ptr()).obj }
    }

    /// Turns the reference into a raw word (for lock-free slots). The count travels
    /// with the word; [`ObjRef::from_raw`] takes it back.
    pub fn into_raw(self) -> usize {
        let p = self.ptr.as_ptr() as usize;
        std::mem::forget(self);
        p
    }

    /// # Safety
    /// `raw` must come from [`ObjRef::into_raw`] and be taken back once.
    pub unsafe fn from_raw(raw: usize) -> ObjRef {
        // `into_raw` produced `raw` from a NonNull, so it is not null.
        ObjRef { ptr: NonNull::new_unchecked(raw as *mut ObjBox) }
    }

    /// # Safety
    /// `raw` must come from [`ObjRef::into_raw`] and still be owned by someone; this
    /// makes a new counted reference without taking ownership of `raw`.
    pub unsafe fn clone_from_raw(raw: usize) -> ObjRef {
        let r = std::mem::ManuallyDrop::new(ObjRef::from_raw(raw));
        (*r).clone()
    }
}

impl Clone for ObjRef {
    #[inline(always)]
    fn clone(&self) -> ObjRef {
        let rc = &self.inner().rc;
        if rc.load(Ordering::Relaxed) & IMMORTAL == 0 {
            rc.fetch_add(1, Ordering::Relaxed);
        }
        ObjRef { ptr: self.ptr }
    }
}

thread_local! {
    static DROPPING: Cell<bool> = const { Cell::new(false) };
    static PENDING: RefCell<Vec<NonNull<ObjBox>>> = const { RefCell::new(Vec::new()) };
}

impl Drop for ObjRef {
    #[inline]
    fn drop(&mut self) {
        let rc = &self.inner().rc;
        if rc.load(Ordering::Relaxed) & IMMORTAL != 0 {
            return;
        }
        if rc.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        fence(Ordering::Acquire);
        free_box(self.ptr);
    }
}

/// Frees a box whose count reached zero, without recursing deeper than one level: a
/// drop that happens while another is running is queued and handled by the outer one.
#[cold]
fn free_box(ptr: NonNull<ObjBox>) {
    let nested = match DROPPING.try_with(|d| d.replace(true)) {
        Ok(n) => n,
        // The thread is tearing down its thread-locals: drop directly.
        Err(_) => {
            // SAFETY: as below: the count reached zero, so this thread holds the only
            // reference to a box that came from `Box::leak`.
            unsafe { drop(Box::from_raw(ptr.as_ptr())) };
            return;
        }
    };
    if nested {
        PENDING.with(|p| p.borrow_mut().push(ptr));
        return;
    }
    // SAFETY: the caller (`ObjRef::drop`) brought the count from one to zero after an
    // Acquire fence, so no other reference exists or can be made (making one needs a
    // reference), and every other thread's use happened before. The box came from
    // `Box::leak` in `ObjRef::new`, so `Box::from_raw` takes it back with its layout.
    unsafe { drop(Box::from_raw(ptr.as_ptr())) };
    loop {
        let next = PENDING.with(|p| p.borrow_mut().pop());
        match next {
            // SAFETY: queued above by a nested `free_box`, whose count had reached zero:
            // the queue holds the only reference, and each entry is popped once.
            Some(p) => unsafe { drop(Box::from_raw(p.as_ptr())) },
            None => break,
        }
    }
    DROPPING.with(|d| d.set(false));
}

/// A reference that was not counted and is never uncounted: it borrows an object that
/// something else keeps alive for as long as the `ObjPtr` is used (for a generator
/// run by `for` or `yield from`, the caller's operand stack, which holds the
/// generator until the generator's frame has left). Cloning a shared object's count
/// is an atomic read-modify-write; this avoids two of them per resumption.
pub struct ObjPtr(std::mem::ManuallyDrop<ObjRef>);

impl ObjPtr {
    /// # Safety
    /// The caller guarantees that `o` outlives every use of the result.
    #[inline(always)]
    pub unsafe fn borrow(o: &ObjRef) -> ObjPtr {
        ObjPtr(std::mem::ManuallyDrop::new(ObjRef { ptr: o.ptr }))
    }
}

impl std::ops::Deref for ObjPtr {
    type Target = ObjRef;
    #[inline(always)]
    fn deref(&self) -> &ObjRef {
        &self.0
    }
}

impl std::ops::Deref for ObjRef {
    type Target = Object;
    #[inline(always)]
    fn deref(&self) -> &Object {
        &self.inner().obj
    }
}

impl std::fmt::Debug for ObjRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ObjRef({:#x})", self.addr())
    }
}
