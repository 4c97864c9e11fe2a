//! `_asyncio_waker`: what an asyncio event loop waits on when it has nothing ready.
//! `Waker.wait(timeout)` blocks through the blocking layer (so Ctrl-C interrupts the
//! loop, and the wait is recorded) until `timeout` seconds pass or another thread
//! calls `wake()` (`call_soon_threadsafe`, a finished executor job). Each loop owns
//! its waker: loops in different threads share nothing here.

use crate::util::{natives, set};
use conc_interpreter::blocking::WaitQueue;
use conc_interpreter::native::{native, NativeClass, NativePayload};
use conc_interpreter::{ObjRef, PyResult, Value, Vm};
use parking_lot::Mutex;
use std::cell::RefCell;

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    set(m, "Waker", Value::Obj(WAKER.class().clone()));
    natives(m, &[&get_running_loop::DEF, &set_running_loop::DEF]);
    Ok(())
}

thread_local! {
    /// The event loop running on this thread (None when none runs): a loop is found
    /// without any lookup shared with other threads.
    static RUNNING: RefCell<Value> = const { RefCell::new(Value::None) };
}

/// Return the event loop running in this thread, or None.
#[native("_asyncio_waker.get_running_loop()")]
fn get_running_loop(_vm: &mut Vm) -> PyResult<Value> {
    Ok(RUNNING.with(|r| r.borrow().clone()))
}

/// Record the event loop running in this thread (None when it stops).
#[native("_asyncio_waker.set_running_loop(loop, /)")]
fn set_running_loop(_vm: &mut Vm, r#loop: Value) -> PyResult<()> {
    let old = RUNNING.with(|r| std::mem::replace(&mut *r.borrow_mut(), r#loop));
    // Dropped outside the borrow: freeing a loop may run code that reads the cell.
    drop(old);
    Ok(())
}

struct Waker {
    /// Set by `wake()`, cleared when a wait returns.
    woken: Mutex<bool>,
    queue: WaitQueue,
}

impl NativePayload for Waker {
    const CLASS: &'static NativeClass = &WAKER;
}

static WAKER: NativeClass = NativeClass {
    name: "Waker",
    module: "_asyncio_waker",
    doc: "Waker()\n\nWhat an event loop sleeps on: wait(timeout) until a wake() from any thread.",
    methods: &[&w_new::DEF, &w_wait::DEF, &w_wake::DEF],
    ..NativeClass::DEFAULT
};

#[native("Waker.__new__($cls, /)")]
fn w_new(_vm: &mut Vm, cls: &ObjRef) -> PyResult<Value> {
    Ok(NativeClass::instance_of(cls, Waker { woken: Mutex::new(false), queue: WaitQueue::new() }))
}

/// Wait until wake() is called or timeout seconds pass (None: no limit). Return
/// True if woken.
#[native("Waker.wait($self, timeout=None, /)")]
fn w_wait(vm: &mut Vm, this: &Waker, timeout: Option<f64>) -> PyResult<bool> {
    let limit = match timeout {
        Some(t) => Some(vm.seconds(t)?),
        None => None,
    };
    let mut g = this.woken.lock();
    let r = vm.block_on(&mut g, &this.queue, limit, &|| "asyncio event loop".to_string(), |woken| {
        if *woken {
            Some(())
        } else {
            None
        }
    })?;
    *g = false;
    Ok(r.is_some())
}

/// Wake the thread waiting in wait() (or make its next wait return at once).
#[native("Waker.wake($self, /)")]
fn w_wake(_vm: &mut Vm, this: &Waker) -> PyResult<()> {
    let mut g = this.woken.lock();
    *g = true;
    this.queue.notify_all();
    drop(g);
    Ok(())
}
