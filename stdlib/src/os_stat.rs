//! `os.stat`, `os.lstat`, `os.fstat` and the `os.stat_result` they return.

use crate::os::{check, cstr, DirFd, PathOrFd};
use conc_interpreter::builtins::io::os_error_with;
use conc_interpreter::native::{native, NativeClass, NativePayload};
use conc_interpreter::value::str::intern;
use conc_interpreter::{PyResult, Value, Vm};

/// The ten fields that indexing and iteration show (times as whole seconds).
const SEQ_FIELDS: [&str; 10] =
    ["st_mode", "st_ino", "st_dev", "st_nlink", "st_uid", "st_gid", "st_size", "st_atime", "st_mtime", "st_ctime"];

/// The payload of an `os.stat_result`: the raw `struct stat` numbers we keep.
#[derive(Clone)]
pub struct StatResult {
    seq: [i64; 10],
}

impl NativePayload for StatResult {
    const CLASS: &'static NativeClass = &STAT_RESULT;
}

/// `os.stat_result`: a structseq in CPython; here an instance whose payload holds the
/// ten sequence fields and whose attributes hold every named field.
pub static STAT_RESULT: NativeClass = NativeClass {
    name: "stat_result",
    module: "os",
    doc: "stat_result: Result from stat, fstat, or lstat.",
    methods: &[&__getitem__::DEF, &__len__::DEF, &__iter__::DEF, &__repr__::DEF, &__eq__::DEF],
    ..NativeClass::DEFAULT
};

fn seq_tuple(s: &StatResult) -> Value {
    Value::tuple(s.seq.iter().map(|v| Value::Int(*v)).collect())
}

/// Builds the script value from a filled `struct stat`.
fn make(st: &libc::stat) -> Value {
    let times = [(st.st_atime, st.st_atime_nsec), (st.st_mtime, st.st_mtime_nsec), (st.st_ctime, st.st_ctime_nsec)];
    let seq = [
        st.st_mode as i64,
        st.st_ino as i64,
        st.st_dev as i64,
        st.st_nlink as i64,
        st.st_uid as i64,
        st.st_gid as i64,
        st.st_size,
        times[0].0,
        times[1].0,
        times[2].0,
    ];
    let v = STAT_RESULT.instance(StatResult { seq });
    if let Some(inst) = v.as_instance() {
        let mut attrs = inst.attrs();
        let mut put = |k: &str, v: Value| {
            let n = intern(k);
            attrs.set_simple(conc_interpreter::value::class::name_hash(&n), Value::Obj(n), v);
        };
        for (name, v) in SEQ_FIELDS.iter().zip(seq).take(7) {
            put(name, Value::Int(v));
        }
        for (i, which) in ["atime", "mtime", "ctime"].iter().enumerate() {
            let (s, ns) = times[i];
            put(&format!("st_{which}"), Value::Float(s as f64 + ns as f64 * 1e-9));
            // Nanoseconds can pass i64 only in the year 2262; keep the value exact
            // below that and saturate beyond.
            put(&format!("st_{which}_ns"), Value::Int(s.saturating_mul(1_000_000_000).saturating_add(ns)));
        }
        put("st_blksize", Value::Int(st.st_blksize));
        put("st_blocks", Value::Int(st.st_blocks));
        put("st_rdev", Value::Int(st.st_rdev as i64));
    }
    v
}

/// stat(2), lstat(2) (through fstatat) or fstat(2) into a zeroed struct.
/// `fstat` names no file in its errors; `stat(fd)` names the descriptor.
fn raw_stat(vm: &mut Vm, path: &PathOrFd, dir_fd: Option<DirFd>, follow: bool, named: bool) -> PyResult<Value> {
    // SAFETY: `struct stat` is plain C data (integers only); all-zero bytes are valid.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    match path {
        PathOrFd::Path(p) => {
            let c = cstr(p);
            let fd = dir_fd.map(|d| d.0).unwrap_or(libc::AT_FDCWD);
            let flags = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
            // SAFETY: fstatat(2) reads the NUL-terminated path we own and writes the struct we own.
            check(unsafe { libc::fstatat(fd, c.as_ptr(), &mut st, flags) }).map_err(|e| p.error(vm, &e))?;
        }
        PathOrFd::Fd(fd) => {
            // SAFETY: fstat(2) writes into the struct we own.
            check(unsafe { libc::fstat(*fd, &mut st) })
                .map_err(|e| os_error_with(vm, &e, named.then_some(Value::Int(*fd as i64)), None))?;
        }
    }
    Ok(make(&st))
}

/// Perform a stat system call on the given path.
#[native("posix.stat(path, *, dir_fd=None, follow_symlinks=True)")]
pub fn stat(vm: &mut Vm, path: PathOrFd, dir_fd: Option<DirFd>, follow_symlinks: bool) -> PyResult<Value> {
    raw_stat(vm, &path, dir_fd, follow_symlinks, true)
}

/// Perform a stat system call on the given path, without following symbolic links.
#[native("posix.lstat(path, *, dir_fd=None)")]
pub fn lstat(vm: &mut Vm, path: crate::os::Path, dir_fd: Option<DirFd>) -> PyResult<Value> {
    raw_stat(vm, &PathOrFd::Path(path), dir_fd, false, true)
}

/// Perform a stat system call on the given file descriptor.
#[native("posix.fstat(fd)")]
pub fn fstat(vm: &mut Vm, fd: crate::sys::CInt) -> PyResult<Value> {
    raw_stat(vm, &PathOrFd::Fd(fd.0), None, true, false)
}

/// Return self[key].
#[native("stat_result.__getitem__($self, key, /)", style = "slot")]
fn __getitem__(vm: &mut Vm, this: &StatResult, key: &Value) -> PyResult<Value> {
    let t = seq_tuple(this);
    vm.get_item(&t, key)
}

/// Return len(self).
#[native("stat_result.__len__($self, /)", style = "slot")]
fn __len__(_vm: &mut Vm, _this: &StatResult) -> PyResult<i64> {
    Ok(10)
}

/// Implement iter(self).
#[native("stat_result.__iter__($self, /)", style = "slot")]
fn __iter__(vm: &mut Vm, this: &StatResult) -> PyResult<Value> {
    let t = seq_tuple(this);
    vm.get_iter(&t)
}

/// Return repr(self).
#[native("stat_result.__repr__($self, /)", style = "slot")]
fn __repr__(_vm: &mut Vm, this: &StatResult) -> PyResult<String> {
    let parts: Vec<String> = SEQ_FIELDS.iter().zip(this.seq).map(|(n, v)| format!("{n}={v}")).collect();
    Ok(format!("os.stat_result({})", parts.join(", ")))
}

/// Return self==value.
#[native("stat_result.__eq__($self, value, /)", style = "slot")]
fn __eq__(vm: &mut Vm, this: &StatResult, value: &Value) -> PyResult<Value> {
    let a = seq_tuple(this);
    let b = match value.as_instance().and_then(|i| i.native::<StatResult>()) {
        Some(s) => seq_tuple(s),
        None if value.as_tuple().is_some() => value.clone(),
        None => return Ok(conc_interpreter::interp::not_implemented()),
    };
    Ok(Value::Bool(vm.eq(&a, &b)?))
}
