//! `_multiprocessing`: the native layer under `multiprocessing` (written in conc in
//! `stdlib/lib/multiprocessing/__init__.conc`).
//!
//! Decisions:
//! - **Start method `spawn` by re-execution.** `spawn()` flushes stdout, then forks and
//!   execs the conc binary (`current_exe()`) as `conc --multiprocessing-child FD`. The
//!   parent writes a start message into the pipe `FD` from a helper thread (so a large
//!   message never blocks `start()`): the main script's path, `sys.path`, `sys.argv`
//!   and the pickled `Process` object. The child imports the script as `__mp_main__`
//!   (so `if __name__ == "__main__":` blocks do not run, while module-level code does,
//!   as in CPython's spawn), aliases it as `sys.modules['__main__']`, and calls
//!   `multiprocessing._child_bootstrap`, whose return value is the exit code.
//! - **Descriptors travel by inheritance.** Every IPC object is built on descriptors
//!   (pipes, socket pairs, anonymous memory files); pickling one records its
//!   descriptor, and `spawn()` clears close-on-exec on exactly those in the child, so
//!   the numbers in the message are valid there. Children therefore hold only the
//!   descriptors they were given, and a Pipe peer sees EOF when the others close. An
//!   IPC object sent later through a Queue or Pipe is refused in the sender with
//!   CPython's RuntimeError ("Lock objects should only be shared between processes
//!   through inheritance"); a Connection can be sent, through the descriptor sharer
//!   (`share.rs`), as CPython's resource_sharer does.
//! - **Shared memory** is `memfd_create` + `MAP_SHARED` (see `shm.rs`): nothing is
//!   named in the file system, so nothing can leak. Locks and semaphores are POSIX
//!   semaphores living in such memory.
//! - **Messages** on a Connection are a u32 length (0xFFFFFFFF then a u64 for large
//!   ones) followed by the bytes; objects are encoded by `pickle.rs`.
//! - **Manager** sockets are Linux abstract Unix sockets (no file to clean up).
//! - **Waiting** (recv, poll, acquire, join) goes through `Vm::block_on` in slices: each
//!   slice blocks in the kernel (poll, sem_timedwait) for at most 50 ms, so Ctrl-C and
//!   the blocking layer's records work while the wake-up stays immediate.
//! - **Start method `fork`** (`fork.rs`): the child goes on in the forking thread's
//!   VM with the parent's whole state, and ends with `exit_child` (`_exit`).

pub mod fork;
pub mod handle;
pub mod pickle;
pub mod process;
mod relay;
pub mod share;
pub mod shm;
mod shm_named;

pub use handle::{handle_value, FdHandle};
pub use process::child_main;

use crate::util::{natives, set};
use conc_interpreter::blocking::WaitQueue;
use conc_interpreter::native::{native, ArgRef, Exc, FromArg};
use conc_interpreter::{ObjRef, Object, PyErr, PyResult, Value, Vm};
use parking_lot::Mutex;
use std::time::{Duration, Instant};

/// The longest a wait blocks in the kernel before the blocking layer looks at Ctrl-C.
const SLICE: Duration = Duration::from_millis(50);

/// Waits until `attempt` succeeds or `timeout` passes, through the blocking layer.
/// `attempt(d)` may block up to `d` in the kernel; it is first called with zero.
pub fn wait_for<R>(
    vm: &mut Vm,
    timeout: Option<Duration>,
    what: &str,
    mut attempt: impl FnMut(Duration) -> Option<R>,
) -> PyResult<Option<R>> {
    if let Some(r) = attempt(Duration::ZERO) {
        return Ok(Some(r));
    }
    let deadline = timeout.map(|t| Instant::now() + t);
    let m = Mutex::new(());
    let q = WaitQueue::new();
    loop {
        let now = Instant::now();
        let slice = match deadline {
            Some(d) if now >= d => return Ok(None),
            Some(d) => (d - now).min(SLICE),
            None => SLICE,
        };
        let mut g = m.lock();
        // block_on asks `ready` once before registering the wait; that first call must
        // not block, the second one waits in the kernel for one slice.
        let mut first = true;
        let r = vm.block_on(&mut g, &q, Some(Duration::from_micros(1)), &|| what.to_string(), |_| {
            if first {
                first = false;
                return None;
            }
            attempt(slice)
        })?;
        if let Some(r) = r {
            return Ok(Some(r));
        }
    }
}

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    natives(
        m,
        &[
            &dumps::DEF,
            &dumps_fds::DEF,
            &dumps_shared::DEF,
            &loads::DEF,
            &fork::fork::DEF,
            &fork::exit_child::DEF,
            &shm_named::shm_map::DEF,
        ],
    );
    natives(m, handle::FUNCTIONS);
    natives(m, process::FUNCTIONS);
    set(m, "Handle", Value::Obj(handle::HANDLE.class().clone()));
    set(m, "SemLock", Value::Obj(shm::SEMLOCK.class().clone()));
    set(m, "SharedArray", Value::Obj(shm::SHARED_ARRAY.class().clone()));
    set(m, "PickleError", Value::Obj(pickle::classes().base.clone()));
    set(m, "PicklingError", Value::Obj(pickle::classes().pickling.clone()));
    set(m, "UnpicklingError", Value::Obj(pickle::classes().unpickling.clone()));
    set(m, "SEM_VALUE_MAX", Value::Int(shm::SEM_VALUE_MAX as i64));
    set(m, "RECURSIVE_MUTEX", Value::Int(shm::RECURSIVE_MUTEX as i64));
    set(m, "SEMAPHORE", Value::Int(shm::SEMAPHORE as i64));
    Ok(())
}

fn os_error(vm: &mut Vm, e: std::io::Error) -> PyErr {
    conc_interpreter::builtins::io::os_error(vm, &e, None)
}

fn bytes_of<'a>(vm: &mut Vm, v: &'a Value) -> PyResult<&'a [u8]> {
    match v.obj() {
        Some(Object::Bytes(b)) => Ok(b),
        _ => Err(vm.type_error("a bytes-like object is required")),
    }
}

fn bytes_value(b: Vec<u8>) -> Value {
    Value::new(Object::Bytes(b.into_boxed_slice()))
}

/// A timeout argument in seconds (int or float; negative means zero); `None` inside
/// waits for ever. Declared `timeout=None` as `Option<Timeout>`.
pub struct Timeout(pub Option<Duration>);

impl<'a> FromArg<'a> for Timeout {
    fn from_arg(vm: &mut Vm, v: &'a Value, _at: ArgRef) -> PyResult<Self> {
        let secs = match v {
            Value::None => return Ok(Timeout(None)),
            Value::Int(i) => *i as f64,
            Value::Float(f) => *f,
            Value::Bool(b) => *b as i64 as f64,
            Value::Obj(o) if matches!(&**o, Object::BigInt(_)) => {
                return Err(vm.error(Exc::OverflowError, "timestamp too large to convert to C _PyTime_t"));
            }
            _ => {
                let msg = format!("'{}' object cannot be interpreted as an integer", vm.type_name(v));
                return Err(vm.type_error(&msg));
            }
        };
        // Negative waits are zero-length polls, as in CPython's multiprocessing.
        vm.seconds(secs.max(0.0)).map(|d| Timeout(Some(d)))
    }
}

// ---- serialisation ----

/// dumps(obj) -> bytes: obj in conc's pickle format.
#[native("_multiprocessing.dumps(obj, /)")]
fn dumps(vm: &mut Vm, obj: &Value) -> PyResult<Value> {
    let (b, _) = pickle::dumps(vm, obj)?;
    Ok(bytes_value(b))
}

/// dumps_fds(obj) -> (bytes, [fd, ...]): also the descriptors the message refers to.
#[native("_multiprocessing.dumps_fds(obj, /)")]
fn dumps_fds(vm: &mut Vm, obj: &Value) -> PyResult<Value> {
    let (b, fds) = pickle::dumps(vm, obj)?;
    Ok(Value::tuple(vec![bytes_value(b), Value::list(fds.into_iter().map(|f| Value::Int(f as i64)).collect())]))
}

/// dumps_shared(obj) -> bytes: for a Queue or Pipe (see `pickle::dumps_shared`).
#[native("_multiprocessing.dumps_shared(obj, /)")]
fn dumps_shared(vm: &mut Vm, obj: &Value) -> PyResult<Value> {
    Ok(bytes_value(pickle::dumps_shared(vm, obj)?))
}

/// loads(data) -> the object a message encodes.
#[native("_multiprocessing.loads(data, /)")]
fn loads(vm: &mut Vm, data: &Value) -> PyResult<Value> {
    let b = bytes_of(vm, data)?.to_vec();
    pickle::loads(vm, &b)
}
