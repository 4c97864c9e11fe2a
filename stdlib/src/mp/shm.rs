//! Shared memory between processes: anonymous memory files (`memfd_create`) mapped
//! `MAP_SHARED`. A child inherits the descriptor and maps the same pages. Nothing is
//! named in the file system, so nothing can be left behind when processes die.
//!
//! On top: `SemLock` (a POSIX semaphore living in its own region, the base of Lock,
//! RLock, Semaphore, BoundedSemaphore, and through them Condition and Event) and
//! `SharedArray` (the storage of Value and Array).

use super::handle::adopt;
use super::{wait_for, Timeout};
use conc_interpreter::blocking::current_ident;
use conc_interpreter::native::{native, Exc, NativeClass, NativePayload};
use conc_interpreter::{Object, PyResult, Value, Vm};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

/// One mapped memory file. The mapping lives as long as the region; the
/// descriptor is kept so that the region can be handed to children.
pub struct ShmRegion {
    fd: OwnedFd,
    ptr: *mut u8,
    size: usize,
}

// SAFETY: the mapping is plain shared memory, valid until the region drops; every
// access goes through a semaphore (whose operations are thread-safe), or is a racy
// read or write of one scalar that scripts guard with a lock, as in CPython.
unsafe impl Send for ShmRegion {}
// SAFETY: as for Send: shared access only through thread-safe operations.
unsafe impl Sync for ShmRegion {}

impl ShmRegion {
    /// The descriptor number (what a message records).
    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl Drop for ShmRegion {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`size` are the mapping made in `map`, unmapped only here,
        // when no reference to the region (and so to the memory) is left.
        unsafe { libc::munmap(self.ptr as *mut libc::c_void, self.size) };
        regions().lock().remove(&self.fd());
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

fn map(fd: OwnedFd, size: usize) -> std::io::Result<Arc<ShmRegion>> {
    // SAFETY: a new shared mapping of `fd`; no existing memory is touched.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            size.max(1),
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd.as_raw_fd(),
            0,
        )
    };
    if ptr == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    let n = fd.as_raw_fd();
    let r = Arc::new(ShmRegion { fd, ptr: ptr as *mut u8, size: size.max(1) });
    regions().lock().insert(n, Arc::downgrade(&r));
    Ok(r)
}

/// A new zero-filled region.
pub fn new_region(size: usize) -> std::io::Result<Arc<ShmRegion>> {
    let name = c"conc-mp";
    // SAFETY: `name` is a NUL-terminated string that outlives the call.
    let fd = adopt(unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) })?;
    // SAFETY: ftruncate on a descriptor this function owns; no memory is passed.
    if unsafe { libc::ftruncate(fd.as_raw_fd(), size.max(1) as libc::off_t) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    map(fd, size)
}

/// The region behind an inherited descriptor.
pub fn region_from_fd(fd: RawFd) -> std::io::Result<Arc<ShmRegion>> {
    if let Some(r) = regions().lock().get(&fd).and_then(Weak::upgrade) {
        return Ok(r);
    }
    // SAFETY: stat is plain old data; fstat fills it in.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid stat for fstat to write.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a region descriptor named in a message and not mapped in this process
    // was inherited from the parent for this object (spawn clears close-on-exec on
    // exactly those); nothing else here owns it (fstat just showed it open).
    map(unsafe { OwnedFd::from_raw_fd(fd) }, st.st_size as usize)
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
        // SAFETY: `sem()` points at the semaphore initialised in this region (see
        // `semlock_new`), valid while the region lives; `v` is a valid int to write.
        unsafe { libc::sem_getvalue(self.sem(), &mut v) };
        v.max(0)
    }
    fn try_wait(&self) -> bool {
        // SAFETY: as in `value`.
        unsafe { libc::sem_trywait(self.sem()) == 0 }
    }
    /// Waits at most `d` for the semaphore.
    fn timed_wait(&self, d: Duration) -> bool {
        if d.is_zero() {
            return self.try_wait();
        }
        // SAFETY: timespec is plain old data; clock_gettime fills it in.
        let mut now: libc::timespec = unsafe { std::mem::zeroed() };
        // SAFETY: `now` is a valid timespec to write.
        unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut now) };
        let mut ns = now.tv_nsec as i64 + d.subsec_nanos() as i64;
        let mut s = now.tv_sec as i64 + d.as_secs() as i64;
        if ns >= 1_000_000_000 {
            ns -= 1_000_000_000;
            s += 1;
        }
        let ts = libc::timespec { tv_sec: s as libc::time_t, tv_nsec: ns as _ };
        // SAFETY: as in `value`; `ts` is a valid timespec.
        unsafe { libc::sem_timedwait(self.sem(), &ts) == 0 }
    }
    /// Posts the semaphore; false if it would overflow.
    fn post(&self) -> bool {
        // SAFETY: as in `value`.
        unsafe { libc::sem_post(self.sem()) == 0 }
    }
}

impl NativePayload for SemLock {
    const CLASS: &'static NativeClass = &SEMLOCK;
}

pub static SEMLOCK: NativeClass = NativeClass {
    name: "SemLock",
    module: "_multiprocessing",
    doc: "A semaphore in memory shared between processes.",
    methods: &[
        &semlock_new::DEF,
        &acquire::DEF,
        &release::DEF,
        &exit::DEF,
        &count::DEF,
        &is_mine::DEF,
        &get_value::DEF,
        &is_zero::DEF,
        &kind::DEF,
        &maxvalue::DEF,
    ],
    aliases: &[("__enter__", &acquire::DEF)],
    ..NativeClass::DEFAULT
};

fn semlock_value(region: Arc<ShmRegion>, kind: i32, maxvalue: i32) -> Value {
    SEMLOCK.instance(SemLock { region, kind, maxvalue, owner: AtomicU64::new(0), count: AtomicU32::new(0) })
}

/// SemLock(kind, value, maxvalue): a new semaphore of `kind` (RECURSIVE_MUTEX or
/// SEMAPHORE) holding `value`.
#[native("SemLock.__new__($cls, kind, value, maxvalue, /)")]
fn semlock_new(vm: &mut Vm, _cls: &Value, kind: i64, value: i64, maxvalue: i64) -> PyResult<Value> {
    if value < 0 || value > SEM_VALUE_MAX as i64 {
        return Err(vm.value_error("invalid value"));
    }
    let region = new_region(std::mem::size_of::<libc::sem_t>()).map_err(|e| os_error(vm, e))?;
    // SAFETY: the region is at least one sem_t, fresh and private to this object;
    // pshared=1 because the memory is shared with children.
    if unsafe { libc::sem_init(region.ptr as *mut libc::sem_t, 1, value as u32) } != 0 {
        return Err(os_error(vm, std::io::Error::last_os_error()));
    }
    Ok(semlock_value(region, kind as i32, maxvalue.clamp(0, SEM_VALUE_MAX as i64) as i32))
}

pub fn semlock_from_fd(vm: &mut Vm, fd: RawFd, kind: i32, maxvalue: i32) -> PyResult<Value> {
    let region = region_from_fd(fd).map_err(|e| os_error(vm, e))?;
    Ok(semlock_value(region, kind, maxvalue))
}

/// acquire(block=True, timeout=None) -> whether the semaphore was taken.
#[native("SemLock.acquire($self, block=True, timeout=None)")]
fn acquire(vm: &mut Vm, s: &SemLock, block: bool, timeout: Option<Timeout>) -> PyResult<bool> {
    s.drop_stale_owner();
    let me = owner_token();
    if s.kind == RECURSIVE_MUTEX && s.is_mine() {
        s.count.fetch_add(1, Ordering::Relaxed);
        return Ok(true);
    }
    let got = if s.try_wait() {
        true
    } else if !block {
        false
    } else {
        let what = if s.kind == RECURSIVE_MUTEX {
            "multiprocessing.RLock"
        } else if s.maxvalue == 1 {
            "multiprocessing.Lock"
        } else {
            "multiprocessing.Semaphore"
        };
        wait_for(vm, timeout.and_then(|t| t.0), what, |d| if s.timed_wait(d) { Some(()) } else { None })?.is_some()
    };
    if got {
        s.owner.store(me, Ordering::Relaxed);
        s.count.fetch_add(1, Ordering::Relaxed);
    }
    Ok(got)
}

/// release(): gives the semaphore back.
#[native("SemLock.release($self, /)")]
fn release(vm: &mut Vm, s: &SemLock) -> PyResult<()> {
    s.drop_stale_owner();
    if s.kind == RECURSIVE_MUTEX {
        if !s.is_mine() {
            return Err(vm.error(Exc::AssertionError, "attempt to release recursive lock not owned by thread"));
        }
        if s.count.load(Ordering::Relaxed) > 1 {
            s.count.fetch_sub(1, Ordering::Relaxed);
            return Ok(());
        }
    } else if s.maxvalue != SEM_VALUE_MAX && s.value() >= s.maxvalue {
        return Err(vm.value_error("semaphore or lock released too many times"));
    }
    if !s.post() {
        return Err(vm.value_error("semaphore or lock released too many times"));
    }
    let _ = s.count.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |c| Some(c.saturating_sub(1)));
    Ok(())
}

/// __exit__(*args): releases the semaphore.
#[native("SemLock.__exit__($self, *args)")]
fn exit(vm: &mut Vm, s: &SemLock, _args: &[Value]) -> PyResult<bool> {
    release(vm, s)?;
    Ok(false)
}

/// _count() -> how many times the calling thread holds it.
#[native("SemLock._count($self, /)")]
fn count(_vm: &mut Vm, s: &SemLock) -> PyResult<i64> {
    s.drop_stale_owner();
    Ok(if s.owner.load(Ordering::Relaxed) == owner_token() { s.count.load(Ordering::Relaxed) as i64 } else { 0 })
}

/// _is_mine() -> whether the calling thread holds it.
#[native("SemLock._is_mine($self, /)")]
fn is_mine(_vm: &mut Vm, s: &SemLock) -> PyResult<bool> {
    Ok(s.is_mine())
}

/// _get_value() -> the semaphore's value.
#[native("SemLock._get_value($self, /)")]
fn get_value(_vm: &mut Vm, s: &SemLock) -> PyResult<i64> {
    Ok(s.value() as i64)
}

/// _is_zero() -> whether the semaphore's value is zero.
#[native("SemLock._is_zero($self, /)")]
fn is_zero(_vm: &mut Vm, s: &SemLock) -> PyResult<bool> {
    Ok(s.value() == 0)
}

/// _kind() -> RECURSIVE_MUTEX or SEMAPHORE.
#[native("SemLock._kind($self, /)")]
fn kind(_vm: &mut Vm, s: &SemLock) -> PyResult<i64> {
    Ok(s.kind as i64)
}

/// _maxvalue() -> the largest value.
#[native("SemLock._maxvalue($self, /)")]
fn maxvalue(_vm: &mut Vm, s: &SemLock) -> PyResult<i64> {
    Ok(s.maxvalue as i64)
}

/// A typed array in shared memory (the storage of Value and Array).
pub struct SharedArray {
    pub region: Arc<ShmRegion>,
    pub typecode: u8,
    pub len: usize,
}

impl NativePayload for SharedArray {
    const CLASS: &'static NativeClass = &SHARED_ARRAY;
}

pub static SHARED_ARRAY: NativeClass = NativeClass {
    name: "SharedArray",
    module: "_multiprocessing",
    doc: "A typed array in memory shared between processes.",
    methods: &[&array_new::DEF, &array_get::DEF, &array_set::DEF, &array_len::DEF, &array_typecode::DEF],
    ..NativeClass::DEFAULT
};

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
    SHARED_ARRAY.instance(SharedArray { region, typecode, len })
}

/// SharedArray(typecode, length): zero-filled.
#[native("SharedArray.__new__($cls, typecode, length, /)")]
fn array_new(vm: &mut Vm, _cls: &Value, typecode: &str, length: i64) -> PyResult<Value> {
    let Some(size) = (if typecode.len() == 1 { itemsize(typecode.as_bytes()[0]) } else { None }) else {
        let msg = format!("bad typecode (must be b, B, u, h, H, i, I, l, L, q, Q, f or d), got {typecode:?}");
        return Err(vm.value_error(&msg));
    };
    if length < 0 {
        return Err(vm.value_error("negative array length"));
    }
    let bytes = (length as usize).checked_mul(size).ok_or_else(|| vm.error(Exc::MemoryError, ""))?;
    let region = new_region(bytes).map_err(|e| os_error(vm, e))?;
    Ok(array_value(region, typecode.as_bytes()[0], length as usize))
}

pub fn array_from_fd(vm: &mut Vm, fd: RawFd, tc: u8, len: usize) -> PyResult<Value> {
    let region = region_from_fd(fd).map_err(|e| os_error(vm, e))?;
    Ok(array_value(region, tc, len))
}

/// The item at index `i` (negative from the end), checked.
fn index(vm: &mut Vm, a: &SharedArray, i: &Value) -> PyResult<usize> {
    match i {
        Value::Int(i) => {
            let i = if *i < 0 { *i + a.len as i64 } else { *i };
            if i < 0 || i >= a.len as i64 {
                return Err(vm.error(Exc::IndexError, "invalid index"));
            }
            Ok(i as usize)
        }
        _ => Err(vm.type_error("indices must be integers")),
    }
}

/// The address of item `i` (checked by `index`).
fn item_ptr(a: &SharedArray, i: usize) -> *mut u8 {
    let sz = itemsize(a.typecode).unwrap_or(1);
    // SAFETY: `i < a.len` (checked by `index`) and the region holds `a.len` items of
    // `sz` bytes, so the offset stays inside the mapping.
    unsafe { a.region.ptr.add(i * sz) }
}

/// get(i) -> the item at index i.
#[native("SharedArray.get($self, index, /)")]
fn array_get(vm: &mut Vm, a: &SharedArray, index_v: &Value) -> PyResult<Value> {
    let p = item_ptr(a, index(vm, a, index_v)?);
    // SAFETY: `p` points at one whole item of the array's typecode inside the live
    // mapping (see `item_ptr`); unaligned reads make no alignment assumption.
    unsafe {
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

fn int_item(vm: &mut Vm, v: &Value) -> PyResult<i64> {
    match v {
        Value::Int(n) => Ok(*n),
        Value::Bool(b) => Ok(*b as i64),
        _ => {
            let msg = format!("int expected instead of {} instance", vm.type_name(v));
            Err(vm.type_error(&msg))
        }
    }
}

fn float_item(vm: &mut Vm, v: &Value) -> PyResult<f64> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(n) => Ok(*n as f64),
        Value::Bool(b) => Ok(*b as i64 as f64),
        _ => {
            let msg = format!("must be real number, not {}", vm.type_name(v));
            Err(vm.type_error(&msg))
        }
    }
}

/// set(i, value): stores value at index i.
#[native("SharedArray.set($self, index, value, /)")]
fn array_set(vm: &mut Vm, a: &SharedArray, index_v: &Value, v: &Value) -> PyResult<()> {
    let p = item_ptr(a, index(vm, a, index_v)?);
    // Convert first, then write: the unsafe block below only stores.
    enum Item {
        Byte(u8),
        U16(u16),
        U32(u32),
        I64(i64),
        F32(f32),
        F64(f64),
    }
    let item = match a.typecode {
        b'c' => match v.obj() {
            Some(Object::Bytes(b)) if b.len() == 1 => Item::Byte(b[0]),
            None if matches!(v, Value::Int(0..=255)) => Item::Byte(int_item(vm, v)? as u8),
            _ => return Err(vm.type_error("one character bytes, bytearray or integer expected")),
        },
        b'?' => Item::Byte(vm.truthy(v)? as u8),
        b'b' | b'B' => Item::Byte(int_item(vm, v)? as u8),
        b'h' | b'H' => Item::U16(int_item(vm, v)? as u16),
        b'i' | b'I' => Item::U32(int_item(vm, v)? as u32),
        b'l' | b'q' | b'L' | b'Q' => Item::I64(int_item(vm, v)?),
        b'f' => Item::F32(float_item(vm, v)? as f32),
        b'd' => Item::F64(float_item(vm, v)?),
        b'u' => Item::U32(v.as_str().and_then(|s| s.as_str().chars().next()).unwrap_or('\0') as u32),
        _ => return Ok(()),
    };
    // SAFETY: `p` points at one whole item of the array's typecode inside the live
    // mapping (see `item_ptr`), and each arm writes exactly that item's size.
    unsafe {
        match item {
            Item::Byte(b) => *p = b,
            Item::U16(x) => (p as *mut u16).write_unaligned(x),
            Item::U32(x) => (p as *mut u32).write_unaligned(x),
            Item::I64(x) => (p as *mut i64).write_unaligned(x),
            Item::F32(x) => (p as *mut f32).write_unaligned(x),
            Item::F64(x) => (p as *mut f64).write_unaligned(x),
        }
    }
    Ok(())
}

/// __len__() -> the number of items.
#[native("SharedArray.__len__($self, /)", style = "slot")]
fn array_len(_vm: &mut Vm, a: &SharedArray) -> PyResult<i64> {
    Ok(a.len as i64)
}

/// typecode() -> the array's typecode.
#[native("SharedArray.typecode($self, /)")]
fn array_typecode(_vm: &mut Vm, a: &SharedArray) -> PyResult<String> {
    Ok((a.typecode as char).to_string())
}
