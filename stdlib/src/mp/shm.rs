//! Shared memory between processes: anonymous memory files (`memfd_create`) mapped
//! `MAP_SHARED`. A child inherits the descriptor and maps the same pages. Nothing is
//! named in the file system, so nothing can be left behind when processes die.
//!
//! On top: `SemLock` (a POSIX semaphore living in its own region, the base of Lock,
//! RLock, Semaphore, BoundedSemaphore, and through them Condition and Event) and
//! `SharedArray` (the storage of Value and Array).

use super::wait_for;
use crate::util::{arg_timeout, self_native};
use conc_interpreter::blocking::current_ident;
use conc_interpreter::interp::{add_methods, new_class, types};
use conc_interpreter::native::Exc;
use conc_interpreter::value::class::BaseKind;
use conc_interpreter::value::instance::InstanceObj;
use conc_interpreter::{Args, ObjRef, Object, PyResult, Value, Vm};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

/// One mapped memory file.
pub struct ShmRegion {
    pub fd: i32,
    ptr: *mut u8,
    size: usize,
}

// The mapping is plain shared memory; every access goes through atomics or a
// semaphore, or is a racy read/write of a scalar that scripts guard with the lock.
unsafe impl Send for ShmRegion {}
unsafe impl Sync for ShmRegion {}

impl Drop for ShmRegion {
    fn drop(&mut self) {
        unsafe {
            libc::munmap(self.ptr as *mut libc::c_void, self.size);
            libc::close(self.fd);
        }
        regions().lock().remove(&self.fd);
    }
}

/// Regions mapped in this process by descriptor, so that loading the same object twice
/// shares one mapping (and one descriptor, closed once).
fn regions() -> &'static Mutex<HashMap<i32, Weak<ShmRegion>>> {
    static R: OnceLock<Mutex<HashMap<i32, Weak<ShmRegion>>>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(HashMap::new()))
}

/// See `conc_interpreter::fork::reset_in_child`.
pub(super) unsafe fn release_registry_after_fork() {
    conc_interpreter::fork::release_orphaned(regions());
}

fn map(fd: i32, size: usize) -> std::io::Result<Arc<ShmRegion>> {
    let ptr = unsafe {
        libc::mmap(std::ptr::null_mut(), size.max(1), libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd, 0)
    };
    if ptr == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    let r = Arc::new(ShmRegion { fd, ptr: ptr as *mut u8, size: size.max(1) });
    regions().lock().insert(fd, Arc::downgrade(&r));
    Ok(r)
}

/// A new zero-filled region.
pub fn new_region(size: usize) -> std::io::Result<Arc<ShmRegion>> {
    let name = c"conc-mp";
    let fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if unsafe { libc::ftruncate(fd, size.max(1) as libc::off_t) } != 0 {
        let e = std::io::Error::last_os_error();
        unsafe { libc::close(fd) };
        return Err(e);
    }
    map(fd, size)
}

/// The region behind an inherited descriptor.
pub fn region_from_fd(fd: i32) -> std::io::Result<Arc<ShmRegion>> {
    if let Some(r) = regions().lock().get(&fd).and_then(Weak::upgrade) {
        return Ok(r);
    }
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    map(fd, st.st_size as usize)
}

fn os_error(vm: &mut Vm, e: std::io::Error) -> conc_interpreter::PyErr {
    let msg = format!("[Errno {}] {}", e.raw_os_error().unwrap_or(0), e);
    vm.error(Exc::OSError, &msg)
}

pub const RECURSIVE_MUTEX: i32 = 0;
pub const SEMAPHORE: i32 = 1;
pub const SEM_VALUE_MAX: i32 = i32::MAX;

/// Bumped in every child made by fork: the holder and count a SemLock records were
/// the parent's, which in the child owns none of them (CPython resets the count in
/// `SemLock._after_fork`). Owners are recorded as `owner_token()`, which includes
/// the epoch, so a record from before the fork is recognised as stale.
static FORK_EPOCH: AtomicU64 = AtomicU64::new(0);

pub fn after_fork_in_child() {
    FORK_EPOCH.fetch_add(1, Ordering::SeqCst);
}

/// The calling thread in this process, as recorded in `SemLock::owner`. Thread
/// idents stay below 2^52 (see `current_ident`).
fn owner_token() -> u64 {
    current_ident() ^ (FORK_EPOCH.load(Ordering::Relaxed) << 52)
}

/// A semaphore shared between processes, plus this process's view of who holds it
/// (owner thread and recursion count, as CPython's SemLock keeps them).
pub struct SemLock {
    pub region: Arc<ShmRegion>,
    pub kind: i32,
    pub maxvalue: i32,
    owner: AtomicU64,
    count: AtomicU32,
}

impl SemLock {
    fn sem(&self) -> *mut libc::sem_t {
        self.region.ptr as *mut libc::sem_t
    }
    fn is_mine(&self) -> bool {
        self.count.load(Ordering::Relaxed) > 0 && self.owner.load(Ordering::Relaxed) == owner_token()
    }
    /// Forgets a holder and count recorded before a fork (see `FORK_EPOCH`).
    fn drop_stale_owner(&self) {
        let epoch = FORK_EPOCH.load(Ordering::Relaxed);
        let owner = self.owner.load(Ordering::Relaxed);
        if owner != 0 && owner >> 52 != epoch & 0xfff {
            self.owner.store(0, Ordering::Relaxed);
            self.count.store(0, Ordering::Relaxed);
        }
    }
    fn value(&self) -> i32 {
        let mut v = 0;
        unsafe { libc::sem_getvalue(self.sem(), &mut v) };
        v.max(0)
    }
    fn try_wait(&self) -> bool {
        unsafe { libc::sem_trywait(self.sem()) == 0 }
    }
    /// Waits at most `d` for the semaphore.
    fn timed_wait(&self, d: Duration) -> bool {
        if d.is_zero() {
            return self.try_wait();
        }
        let mut now: libc::timespec = unsafe { std::mem::zeroed() };
        unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut now) };
        let mut ns = now.tv_nsec as i64 + d.subsec_nanos() as i64;
        let mut s = now.tv_sec as i64 + d.as_secs() as i64;
        if ns >= 1_000_000_000 {
            ns -= 1_000_000_000;
            s += 1;
        }
        let ts = libc::timespec { tv_sec: s as libc::time_t, tv_nsec: ns as _ };
        unsafe { libc::sem_timedwait(self.sem(), &ts) == 0 }
    }
}

pub struct Classes {
    pub semlock: ObjRef,
    pub array: ObjRef,
}

pub fn classes() -> &'static Classes {
    static C: OnceLock<Classes> = OnceLock::new();
    C.get_or_init(|| {
        let o = types().object.clone();
        let semlock =
            new_class("SemLock", "_multiprocessing", vec![o.clone()], BaseKind::Builtin, true, Default::default());
        add_methods(
            &semlock,
            &[
                ("__new__", semlock_new),
                ("acquire", sem_acquire),
                ("release", sem_release),
                ("__enter__", sem_acquire),
                ("__exit__", sem_exit),
                ("_count", sem_count),
                ("_is_mine", sem_is_mine),
                ("_get_value", sem_get_value),
                ("_is_zero", sem_is_zero),
                ("_kind", sem_kind),
                ("_maxvalue", sem_maxvalue),
            ],
        );
        let array = new_class("SharedArray", "_multiprocessing", vec![o], BaseKind::Builtin, true, Default::default());
        add_methods(
            &array,
            &[
                ("__new__", array_new),
                ("get", array_get),
                ("set", array_set),
                ("__len__", array_len),
                ("typecode", array_typecode),
            ],
        );
        Classes { semlock, array }
    })
}

fn semlock_value(region: Arc<ShmRegion>, kind: i32, maxvalue: i32) -> Value {
    let s = SemLock { region, kind, maxvalue, owner: AtomicU64::new(0), count: AtomicU32::new(0) };
    Value::new(Object::Instance(InstanceObj::with_native(classes().semlock.clone(), Box::new(s))))
}

/// `SemLock(kind, value, maxvalue)`.
fn semlock_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let int = |i: usize| args.pos.get(i).and_then(|v| if let Value::Int(n) = v { Some(*n) } else { None });
    let (kind, value, maxvalue) =
        (int(1).unwrap_or(SEMAPHORE as i64), int(2).unwrap_or(1), int(3).unwrap_or(SEM_VALUE_MAX as i64));
    if value < 0 || value > SEM_VALUE_MAX as i64 {
        return Err(vm.value_error("invalid value"));
    }
    let region = new_region(std::mem::size_of::<libc::sem_t>()).map_err(|e| os_error(vm, e))?;
    if unsafe { libc::sem_init(region.ptr as *mut libc::sem_t, 1, value as u32) } != 0 {
        return Err(os_error(vm, std::io::Error::last_os_error()));
    }
    Ok(semlock_value(region, kind as i32, maxvalue.clamp(0, SEM_VALUE_MAX as i64) as i32))
}

pub fn semlock_from_fd(vm: &mut Vm, fd: i32, kind: i32, maxvalue: i32) -> PyResult<Value> {
    let region = region_from_fd(fd).map_err(|e| os_error(vm, e))?;
    Ok(semlock_value(region, kind, maxvalue))
}

fn sem_acquire(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let blocking = match args.take(1, "block").or_else(|| args.take_kw("blocking")) {
        Some(b) => vm.truthy(&b)?,
        None => true,
    };
    let timeout = match args.take(2, "timeout") {
        Some(t) => arg_timeout(vm, &t, false)?,
        None => None,
    };
    let s: &SemLock = self_native(vm, &args, "SemLock")?;
    s.drop_stale_owner();
    let me = owner_token();
    if s.kind == RECURSIVE_MUTEX && s.is_mine() {
        s.count.fetch_add(1, Ordering::Relaxed);
        return Ok(Value::Bool(true));
    }
    let got = if s.try_wait() {
        true
    } else if !blocking {
        false
    } else {
        let what = if s.kind == RECURSIVE_MUTEX {
            "multiprocessing.RLock"
        } else if s.maxvalue == 1 {
            "multiprocessing.Lock"
        } else {
            "multiprocessing.Semaphore"
        };
        wait_for(vm, timeout, what, |d| if s.timed_wait(d) { Some(()) } else { None })?.is_some()
    };
    if got {
        s.owner.store(me, Ordering::Relaxed);
        s.count.fetch_add(1, Ordering::Relaxed);
    }
    Ok(Value::Bool(got))
}

fn sem_release(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s: &SemLock = self_native(vm, &args, "SemLock")?;
    s.drop_stale_owner();
    if s.kind == RECURSIVE_MUTEX {
        if !s.is_mine() {
            return Err(vm.error(Exc::AssertionError, "attempt to release recursive lock not owned by thread"));
        }
        if s.count.load(Ordering::Relaxed) > 1 {
            s.count.fetch_sub(1, Ordering::Relaxed);
            return Ok(Value::None);
        }
    } else if s.maxvalue != SEM_VALUE_MAX && s.value() >= s.maxvalue {
        return Err(vm.value_error("semaphore or lock released too many times"));
    }
    if unsafe { libc::sem_post(s.sem()) } != 0 {
        return Err(vm.value_error("semaphore or lock released too many times"));
    }
    let _ = s.count.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |c| Some(c.saturating_sub(1)));
    Ok(Value::None)
}

fn sem_exit(vm: &mut Vm, args: Args) -> PyResult<Value> {
    sem_release(vm, Args::new(args.pos.into_iter().take(1)))?;
    Ok(Value::Bool(false))
}

fn sem_count(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s: &SemLock = self_native(vm, &args, "SemLock")?;
    s.drop_stale_owner();
    Ok(Value::Int(if s.owner.load(Ordering::Relaxed) == owner_token() {
        s.count.load(Ordering::Relaxed) as i64
    } else {
        0
    }))
}

fn sem_is_mine(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s: &SemLock = self_native(vm, &args, "SemLock")?;
    Ok(Value::Bool(s.is_mine()))
}

fn sem_get_value(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s: &SemLock = self_native(vm, &args, "SemLock")?;
    Ok(Value::Int(s.value() as i64))
}

fn sem_is_zero(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s: &SemLock = self_native(vm, &args, "SemLock")?;
    Ok(Value::Bool(s.value() == 0))
}

fn sem_kind(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s: &SemLock = self_native(vm, &args, "SemLock")?;
    Ok(Value::Int(s.kind as i64))
}

fn sem_maxvalue(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s: &SemLock = self_native(vm, &args, "SemLock")?;
    Ok(Value::Int(s.maxvalue as i64))
}

/// A typed array in shared memory (the storage of Value and Array).
pub struct SharedArray {
    pub region: Arc<ShmRegion>,
    pub typecode: u8,
    pub len: usize,
}

pub fn itemsize(tc: u8) -> Option<usize> {
    Some(match tc {
        b'c' | b'b' | b'B' | b'?' => 1,
        b'h' | b'H' => 2,
        b'i' | b'I' | b'f' | b'u' => 4,
        b'l' | b'L' | b'q' | b'Q' | b'd' => 8,
        _ => return None,
    })
}

fn array_value(region: Arc<ShmRegion>, typecode: u8, len: usize) -> Value {
    let a = SharedArray { region, typecode, len };
    Value::new(Object::Instance(InstanceObj::with_native(classes().array.clone(), Box::new(a))))
}

/// `SharedArray(typecode, length)`: zero-filled.
fn array_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let tc = args.pos.get(1).and_then(|v| v.as_str()).map(|s| s.as_str().to_string()).unwrap_or_default();
    let len = match args.pos.get(2) {
        Some(Value::Int(n)) if *n >= 0 => *n as usize,
        _ => return Err(vm.type_error("SharedArray(typecode, length)")),
    };
    let Some(size) = (if tc.len() == 1 { itemsize(tc.as_bytes()[0]) } else { None }) else {
        let msg = format!("bad typecode (must be b, B, u, h, H, i, I, l, L, q, Q, f or d), got {tc:?}");
        return Err(vm.value_error(&msg));
    };
    let region = new_region(size * len).map_err(|e| os_error(vm, e))?;
    Ok(array_value(region, tc.as_bytes()[0], len))
}

pub fn array_from_fd(vm: &mut Vm, fd: i32, tc: u8, len: usize) -> PyResult<Value> {
    let region = region_from_fd(fd).map_err(|e| os_error(vm, e))?;
    Ok(array_value(region, tc, len))
}

fn index(vm: &mut Vm, a: &SharedArray, v: Option<&Value>) -> PyResult<usize> {
    match v {
        Some(Value::Int(i)) => {
            let i = if *i < 0 { *i + a.len as i64 } else { *i };
            if i < 0 || i >= a.len as i64 {
                return Err(vm.error(Exc::IndexError, "invalid index"));
            }
            Ok(i as usize)
        }
        _ => Err(vm.type_error("indices must be integers")),
    }
}

fn array_get(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a: &SharedArray = self_native(vm, &args, "SharedArray")?;
    let i = index(vm, a, args.pos.get(1))?;
    let sz = itemsize(a.typecode).unwrap_or(1);
    unsafe {
        let p = a.region.ptr.add(i * sz);
        Ok(match a.typecode {
            b'c' => Value::new(Object::Bytes(vec![*p].into_boxed_slice())),
            b'?' => Value::Bool(*p != 0),
            b'b' => Value::Int(*(p as *const i8) as i64),
            b'B' => Value::Int(*p as i64),
            b'h' => Value::Int((p as *const i16).read_unaligned() as i64),
            b'H' => Value::Int((p as *const u16).read_unaligned() as i64),
            b'i' => Value::Int((p as *const i32).read_unaligned() as i64),
            b'I' => Value::Int((p as *const u32).read_unaligned() as i64),
            b'l' | b'q' => Value::Int((p as *const i64).read_unaligned()),
            b'L' | b'Q' => {
                let u = (p as *const u64).read_unaligned();
                if u <= i64::MAX as u64 {
                    Value::Int(u as i64)
                } else {
                    Value::bigint(num_bigint::BigInt::from(u))
                }
            }
            b'f' => Value::Float((p as *const f32).read_unaligned() as f64),
            b'd' => Value::Float((p as *const f64).read_unaligned()),
            b'u' => {
                let c = (p as *const u32).read_unaligned();
                Value::string(char::from_u32(c).unwrap_or('\u{fffd}').to_string())
            }
            _ => Value::None,
        })
    }
}

fn array_set(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a: &SharedArray = self_native(vm, &args, "SharedArray")?;
    let i = index(vm, a, args.pos.get(1))?;
    let v = args.pos.get(2).cloned().unwrap_or(Value::None);
    let sz = itemsize(a.typecode).unwrap_or(1);
    let p = unsafe { a.region.ptr.add(i * sz) };
    let int = |vm: &mut Vm, v: &Value| -> PyResult<i64> {
        match v {
            Value::Int(n) => Ok(*n),
            Value::Bool(b) => Ok(*b as i64),
            _ => {
                let msg = format!("int expected instead of {} instance", vm.type_name(v));
                Err(vm.type_error(&msg))
            }
        }
    };
    unsafe {
        match a.typecode {
            b'c' => match v.obj() {
                Some(Object::Bytes(b)) if b.len() == 1 => *p = b[0],
                None if matches!(v, Value::Int(0..=255)) => *p = int(vm, &v)? as u8,
                _ => return Err(vm.type_error("one character bytes, bytearray or integer expected")),
            },
            b'?' => *p = vm.truthy(&v)? as u8,
            b'b' | b'B' => *p = int(vm, &v)? as u8,
            b'h' | b'H' => (p as *mut u16).write_unaligned(int(vm, &v)? as u16),
            b'i' | b'I' => (p as *mut u32).write_unaligned(int(vm, &v)? as u32),
            b'l' | b'q' | b'L' | b'Q' => (p as *mut i64).write_unaligned(int(vm, &v)?),
            b'f' | b'd' => {
                let f = match &v {
                    Value::Float(f) => *f,
                    Value::Int(n) => *n as f64,
                    Value::Bool(b) => *b as i64 as f64,
                    _ => {
                        let msg = format!("must be real number, not {}", vm.type_name(&v));
                        return Err(vm.type_error(&msg));
                    }
                };
                if a.typecode == b'f' {
                    (p as *mut f32).write_unaligned(f as f32)
                } else {
                    (p as *mut f64).write_unaligned(f)
                }
            }
            b'u' => {
                let c = v.as_str().and_then(|s| s.as_str().chars().next()).unwrap_or('\0');
                (p as *mut u32).write_unaligned(c as u32)
            }
            _ => {}
        }
    }
    Ok(Value::None)
}

fn array_len(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a: &SharedArray = self_native(vm, &args, "SharedArray")?;
    Ok(Value::Int(a.len as i64))
}

fn array_typecode(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a: &SharedArray = self_native(vm, &args, "SharedArray")?;
    Ok(Value::string((a.typecode as char).to_string()))
}
