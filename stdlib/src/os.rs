//! `os` and `os.path`: process information, the environment, files and directories,
//! and POSIX path manipulation (the rules of CPython's posixpath).

use crate::sys::CInt;
use crate::util::{natives, set};
use conc_interpreter::builtins::io::os_error_with;
use conc_interpreter::native::{native, ArgRef, FromArg};
use conc_interpreter::value::dict::{DictData, DictObj};
use conc_interpreter::{ObjRef, Object, PyErr, PyResult, Value, Vm};
use std::os::unix::ffi::OsStrExt;

pub fn init(vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    set(m, "name", Value::str("posix"));
    set(m, "sep", Value::str("/"));
    set(m, "altsep", Value::None);
    set(m, "extsep", Value::str("."));
    set(m, "pathsep", Value::str(":"));
    set(m, "curdir", Value::str("."));
    set(m, "pardir", Value::str(".."));
    set(m, "devnull", Value::str("/dev/null"));
    set(m, "linesep", Value::str("\n"));
    let env = Value::new(Object::Dict(DictObj::new(DictData::new())));
    for (k, v) in std::env::vars_os() {
        let k = Value::string(k.to_string_lossy().into_owned());
        let v = Value::string(v.to_string_lossy().into_owned());
        vm.dict_set(&env, k, v)?;
    }
    set(m, "environ", env);
    natives(
        m,
        &[
            &getpid::DEF,
            &getppid::DEF,
            &cpu_count::DEF,
            &getenv::DEF,
            &getcwd::DEF,
            &chdir::DEF,
            &listdir::DEF,
            &remove::DEF,
            &unlink::DEF,
            &rmdir::DEF,
            &mkdir::DEF,
            &makedirs::DEF,
            &rename::DEF,
            &replace::DEF,
            &urandom::DEF,
            &_exit::DEF,
            &kill::DEF,
            &os_fspath::DEF,
            &crate::os_stat::stat::DEF,
            &crate::os_stat::lstat::DEF,
            &crate::os_stat::fstat::DEF,
            &crate::os_fd::pipe::DEF,
            &crate::os_fd::read::DEF,
            &crate::os_fd::write::DEF,
            &crate::os_fd::close::DEF,
            &crate::os_fd::dup::DEF,
            &crate::os_fd::dup2::DEF,
            &crate::os_fd::get_blocking::DEF,
            &crate::os_fd::set_blocking::DEF,
            &crate::os_fd::getuid::DEF,
            &crate::os_fd::getgid::DEF,
            &crate::os_fd::umask::DEF,
            &crate::os_fd::chmod::DEF,
            &crate::os_fd::utime::DEF,
            &crate::os_proc::fork::DEF,
            &crate::os_proc::waitpid::DEF,
            &crate::os_proc::system::DEF,
            &crate::os_proc::wifexited::DEF,
            &crate::os_proc::wexitstatus::DEF,
            &crate::os_proc::wifsignaled::DEF,
            &crate::os_proc::wtermsig::DEF,
        ],
    );
    set(m, "WNOHANG", Value::Int(libc::WNOHANG as i64));
    set(m, "stat_result", Value::Obj(crate::os_stat::STAT_RESULT.class().clone()));
    crate::os_more::init(vm, m)?;
    Ok(())
}

pub fn init_path(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    set(m, "sep", Value::str("/"));
    natives(
        m,
        &[
            &join::DEF,
            &exists::DEF,
            &isfile::DEF,
            &isdir::DEF,
            &isabs::DEF,
            &basename::DEF,
            &dirname::DEF,
            &abspath::DEF,
            &normpath::DEF,
            &realpath::DEF,
            &splitext::DEF,
            &split::DEF,
            &getsize::DEF,
            &getmtime::DEF,
            &islink::DEF,
            &expanduser::DEF,
            &normcase::DEF,
        ],
    );
    Ok(())
}

/// A path as the script gave it: its text (bytes decoded as UTF-8) and the value,
/// which errors name and which decides whether results are str or bytes.
pub struct Path {
    text: String,
    pub(crate) value: Value,
    bytes: bool,
}

impl Path {
    fn of(v: &Value) -> Option<Path> {
        match v.unwrap_base().obj() {
            Some(Object::Str(s)) => Some(Path { text: s.as_str().to_string(), value: v.clone(), bytes: false }),
            Some(Object::Bytes(b)) => {
                Some(Path { text: String::from_utf8_lossy(b).into_owned(), value: v.clone(), bytes: true })
            }
            _ => None,
        }
    }

    /// A result of the same kind as the path (str or bytes).
    fn out(&self, s: &str) -> Value {
        if self.bytes {
            Value::new(Object::Bytes(s.as_bytes().to_vec().into_boxed_slice()))
        } else {
            Value::str(s)
        }
    }

    pub(crate) fn is_bytes(&self) -> bool {
        self.bytes
    }

    pub(crate) fn error(&self, vm: &mut Vm, e: &std::io::Error) -> PyErr {
        os_error_with(vm, e, Some(self.value.clone()), None)
    }
}

/// `remove: path should be string, bytes or os.PathLike, not int` (CPython's
/// `path_t` converter names the function and the parameter).
fn path_type_error(vm: &mut Vm, at: ArgRef, v: &Value, allowed: &str) -> PyErr {
    let msg = format!("{}: {} should be {allowed}, not {}", at.sig.name, at.name(), vm.type_name(v));
    vm.type_error(&msg)
}

impl Path {
    /// A str or bytes path, or the path an os.PathLike object's `__fspath__` gives;
    /// None for other values (no `__fspath__`).
    pub(crate) fn of_pathlike(vm: &mut Vm, v: &Value) -> PyResult<Option<Path>> {
        if let Some(p) = Path::of(v) {
            return Ok(Some(p));
        }
        if !has_fspath(vm, v) {
            return Ok(None);
        }
        // Errors name the path the object stands for, as CPython's do.
        let r = conc_interpreter::builtins::io::fspath_of(vm, v)?;
        Ok(Path::of(&r))
    }
}

fn has_fspath(vm: &mut Vm, v: &Value) -> bool {
    if matches!(v, Value::Int(_) | Value::Bool(_) | Value::None) {
        return false;
    }
    let cls = vm.class_of(v);
    vm.lookup_type_attr(&cls, &conc_interpreter::value::str::intern("__fspath__")).is_some()
}

impl<'a> FromArg<'a> for Path {
    fn from_arg(vm: &mut Vm, v: &'a Value, at: ArgRef) -> PyResult<Self> {
        match Path::of_pathlike(vm, v)? {
            Some(p) => Ok(p),
            None => Err(path_type_error(vm, at, v, "string, bytes or os.PathLike")),
        }
    }
}

/// A path or an open file descriptor (`chdir`, `stat`).
pub enum PathOrFd {
    Path(Path),
    Fd(i32),
}

fn fd_of(vm: &mut Vm, v: &Value) -> PyResult<Option<i32>> {
    if !matches!(v.unwrap_base(), Value::Int(_) | Value::Bool(_))
        && !matches!(v.unwrap_base().obj(), Some(Object::BigInt(_)))
    {
        return Ok(None);
    }
    CInt::from_arg(vm, v, ArgRef { sig: &chdir::SIG, index: 0 }).map(|c| Some(c.0))
}

impl<'a> FromArg<'a> for PathOrFd {
    fn from_arg(vm: &mut Vm, v: &'a Value, at: ArgRef) -> PyResult<Self> {
        if let Some(p) = Path::of_pathlike(vm, v)? {
            return Ok(PathOrFd::Path(p));
        }
        match fd_of(vm, v)? {
            Some(fd) => Ok(PathOrFd::Fd(fd)),
            None => Err(path_type_error(vm, at, v, "string, bytes, os.PathLike or integer")),
        }
    }
}

/// `dir_fd=`: an integer or None.
pub struct DirFd(pub(crate) i32);

impl<'a> FromArg<'a> for DirFd {
    fn from_arg(vm: &mut Vm, v: &'a Value, _at: ArgRef) -> PyResult<Self> {
        match fd_of(vm, v)? {
            Some(fd) => Ok(DirFd(fd)),
            None => {
                let msg = format!("argument should be integer or None, not {}", vm.type_name(v));
                Err(vm.type_error(&msg))
            }
        }
    }
}

pub(crate) fn cstr(p: &Path) -> std::ffi::CString {
    std::ffi::CString::new(p.text.as_bytes()).unwrap_or_default()
}

/// Runs a libc call that returns -1 on failure (with errno set).
pub(crate) fn check(r: libc::c_int) -> std::io::Result<()> {
    if r == -1 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Return the current process id.
#[native("posix.getpid()")]
fn getpid(_vm: &mut Vm) -> PyResult<i64> {
    Ok(std::process::id() as i64)
}

/// Return the parent's process id.
#[native("posix.getppid()")]
fn getppid(_vm: &mut Vm) -> PyResult<i64> {
    Ok(std::os::unix::process::parent_id() as i64)
}

/// Return the number of CPUs in the system; return None if indeterminable.
#[native("posix.cpu_count()")]
fn cpu_count(_vm: &mut Vm) -> PyResult<Option<usize>> {
    Ok(std::thread::available_parallelism().ok().map(|n| n.get()))
}

/// Get an environment variable, return None if it doesn't exist.
#[native("getenv(key, default=None)", style = "python")]
fn getenv(vm: &mut Vm, key: &Value, default: Value) -> PyResult<Value> {
    let Some(k) = key.as_str() else {
        let msg = format!("str expected, not {}", vm.type_name(key));
        return Err(vm.type_error(&msg));
    };
    Ok(match std::env::var_os(k.as_str()) {
        Some(v) => Value::string(v.to_string_lossy().into_owned()),
        None => default,
    })
}

fn cwd() -> String {
    std::env::current_dir().map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|_| "/".into())
}

/// Return a unicode string representing the current working directory.
#[native("posix.getcwd()")]
fn getcwd(_vm: &mut Vm) -> PyResult<String> {
    Ok(cwd())
}

/// Change the current working directory to the specified path.
#[native("posix.chdir(path)")]
fn chdir(vm: &mut Vm, path: PathOrFd) -> PyResult<()> {
    match path {
        PathOrFd::Path(p) => std::env::set_current_dir(&p.text).map_err(|e| p.error(vm, &e)),
        PathOrFd::Fd(fd) => {
            // SAFETY: fchdir(2) takes a plain descriptor.
            check(unsafe { libc::fchdir(fd) }).map_err(|e| os_error_with(vm, &e, Some(Value::Int(fd as i64)), None))
        }
    }
}

/// What `listdir` lists: a path (None is '.'), or an open directory descriptor.
pub struct ListTarget(PathOrFd);

impl<'a> FromArg<'a> for ListTarget {
    fn from_arg(vm: &mut Vm, v: &'a Value, at: ArgRef) -> PyResult<Self> {
        if v.is_none() {
            return Ok(ListTarget(PathOrFd::Path(Path { text: ".".into(), value: Value::str("."), bytes: false })));
        }
        if let Some(p) = Path::of_pathlike(vm, v)? {
            return Ok(ListTarget(PathOrFd::Path(p)));
        }
        match fd_of(vm, v)? {
            Some(fd) => Ok(ListTarget(PathOrFd::Fd(fd))),
            None => Err(path_type_error(vm, at, v, "string, bytes, os.PathLike, integer or None")),
        }
    }
}

/// Return a list containing the names of the files in the directory.
#[native("posix.listdir(path=None)")]
fn listdir(vm: &mut Vm, path: Option<ListTarget>) -> PyResult<Value> {
    let target =
        path.map(|t| t.0).unwrap_or(PathOrFd::Path(Path { text: ".".into(), value: Value::str("."), bytes: false }));
    let (dir, shown, bytes) = match &target {
        PathOrFd::Path(p) => (p.text.clone(), p.value.clone(), p.bytes),
        PathOrFd::Fd(fd) => {
            // A descriptor must be an open directory; list it through /proc.
            // SAFETY: `struct stat` is plain C data (integers only); all-zero bytes
            // are a valid value.
            let mut st: libc::stat = unsafe { std::mem::zeroed() };
            // SAFETY: fstat(2) writes into the zeroed struct we own.
            let r = check(unsafe { libc::fstat(*fd, &mut st) }).and_then(|_| {
                if st.st_mode & libc::S_IFMT == libc::S_IFDIR {
                    Ok(())
                } else {
                    Err(std::io::Error::from_raw_os_error(libc::ENOTDIR))
                }
            });
            r.map_err(|e| os_error_with(vm, &e, Some(Value::Int(*fd as i64)), None))?;
            (format!("/proc/self/fd/{fd}"), Value::Int(*fd as i64), false)
        }
    };
    let rd = std::fs::read_dir(&dir).map_err(|e| os_error_with(vm, &e, Some(shown.clone()), None))?;
    let mut names = Vec::new();
    for ent in rd {
        let ent = ent.map_err(|e| os_error_with(vm, &e, Some(shown.clone()), None))?;
        let name = ent.file_name();
        names.push(if bytes {
            Value::new(Object::Bytes(name.as_bytes().to_vec().into_boxed_slice()))
        } else {
            Value::string(name.to_string_lossy().into_owned())
        });
    }
    Ok(Value::list(names))
}

/// unlink(2) or unlinkat(2) relative to `dir_fd`.
fn unlink_at(vm: &mut Vm, path: &Path, dir_fd: Option<DirFd>, flags: libc::c_int) -> PyResult<()> {
    let c = cstr(path);
    let fd = dir_fd.map(|d| d.0).unwrap_or(libc::AT_FDCWD);
    // SAFETY: unlinkat(2) reads the NUL-terminated path we own.
    check(unsafe { libc::unlinkat(fd, c.as_ptr(), flags) }).map_err(|e| path.error(vm, &e))
}

/// Remove a file (same as unlink()).
#[native("posix.remove(path, *, dir_fd=None)")]
fn remove(vm: &mut Vm, path: Path, dir_fd: Option<DirFd>) -> PyResult<()> {
    unlink_at(vm, &path, dir_fd, 0)
}

/// Remove a file (same as remove()).
#[native("posix.unlink(path, *, dir_fd=None)")]
fn unlink(vm: &mut Vm, path: Path, dir_fd: Option<DirFd>) -> PyResult<()> {
    unlink_at(vm, &path, dir_fd, 0)
}

/// Remove a directory.
#[native("posix.rmdir(path, *, dir_fd=None)")]
fn rmdir(vm: &mut Vm, path: Path, dir_fd: Option<DirFd>) -> PyResult<()> {
    unlink_at(vm, &path, dir_fd, libc::AT_REMOVEDIR)
}

/// Create a directory.
#[native("posix.mkdir(path, mode=511, *, dir_fd=None)")]
fn mkdir(vm: &mut Vm, path: Path, mode: CInt, dir_fd: Option<DirFd>) -> PyResult<()> {
    let c = cstr(&path);
    let fd = dir_fd.map(|d| d.0).unwrap_or(libc::AT_FDCWD);
    // SAFETY: mkdirat(2) reads the NUL-terminated path we own.
    check(unsafe { libc::mkdirat(fd, c.as_ptr(), mode.0 as libc::mode_t) }).map_err(|e| path.error(vm, &e))
}

/// makedirs(name [, mode=0o777][, exist_ok=False])
#[native("makedirs(name, mode=511, exist_ok=False)", style = "python")]
fn makedirs(vm: &mut Vm, name: &Value, mode: i64, exist_ok: bool) -> PyResult<()> {
    let p = fspath(vm, name)?;
    let path = std::path::Path::new(&p.text);
    if path.exists() {
        if exist_ok && path.is_dir() {
            return Ok(());
        }
        let e = std::io::Error::from_raw_os_error(libc::EEXIST);
        return Err(p.error(vm, &e));
    }
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(mode as u32).recursive(true).create(path).map_err(|e| p.error(vm, &e))
}

fn rename_at(
    vm: &mut Vm,
    src: &Path,
    dst: &Path,
    src_dir_fd: Option<DirFd>,
    dst_dir_fd: Option<DirFd>,
) -> PyResult<()> {
    let (a, b) = (cstr(src), cstr(dst));
    let fa = src_dir_fd.map(|d| d.0).unwrap_or(libc::AT_FDCWD);
    let fb = dst_dir_fd.map(|d| d.0).unwrap_or(libc::AT_FDCWD);
    // SAFETY: renameat(2) reads the two NUL-terminated paths we own.
    check(unsafe { libc::renameat(fa, a.as_ptr(), fb, b.as_ptr()) })
        .map_err(|e| os_error_with(vm, &e, Some(src.value.clone()), Some(dst.value.clone())))
}

/// Rename a file or directory.
#[native("posix.rename(src, dst, *, src_dir_fd=None, dst_dir_fd=None)")]
fn rename(vm: &mut Vm, src: Path, dst: Path, src_dir_fd: Option<DirFd>, dst_dir_fd: Option<DirFd>) -> PyResult<()> {
    rename_at(vm, &src, &dst, src_dir_fd, dst_dir_fd)
}

/// Rename a file or directory, overwriting the destination.
#[native("posix.replace(src, dst, *, src_dir_fd=None, dst_dir_fd=None)")]
fn replace(vm: &mut Vm, src: Path, dst: Path, src_dir_fd: Option<DirFd>, dst_dir_fd: Option<DirFd>) -> PyResult<()> {
    rename_at(vm, &src, &dst, src_dir_fd, dst_dir_fd)
}

/// Return a bytes object containing random bytes suitable for cryptographic use.
#[native("posix.urandom(size, /)")]
fn urandom(vm: &mut Vm, size: i64) -> PyResult<Value> {
    if size < 0 {
        return Err(vm.value_error("negative argument not allowed"));
    }
    let mut buf = vec![0u8; size as usize];
    let r = std::fs::File::open("/dev/urandom").and_then(|mut f| std::io::Read::read_exact(&mut f, &mut buf));
    r.map_err(|e| os_error_with(vm, &e, None, None))?;
    Ok(Value::new(Object::Bytes(buf.into_boxed_slice())))
}

/// Exit to the system with specified status, without normal exit processing.
#[native("posix._exit(status)")]
fn _exit(_vm: &mut Vm, status: CInt) -> PyResult<()> {
    conc_interpreter::stdio::flush_stdout();
    conc_interpreter::trace::flush();
    std::process::exit(status.0);
}

/// Kill a process with a signal.
#[native("posix.kill(pid, signal, /)", style = "tuple")]
fn kill(vm: &mut Vm, pid: CInt, signal: CInt) -> PyResult<()> {
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    check(unsafe { libc::kill(pid.0 as libc::pid_t, signal.0) }).map_err(|e| os_error_with(vm, &e, None, None))
}

// ---------------------------------------------------------------------------
// os.path (functions CPython writes in Python, so with Python's argument errors)

/// `os.fspath`: a str or bytes path, else "expected str, bytes or os.PathLike object".
fn fspath(vm: &mut Vm, v: &Value) -> PyResult<Path> {
    match Path::of_pathlike(vm, v)? {
        Some(mut p) => {
            // A path-like object's results are its path, not the object.
            p.value = p.out(&p.text.clone());
            Ok(p)
        }
        None => {
            let msg = format!("expected str, bytes or os.PathLike object, not {}", vm.type_name(v));
            Err(vm.type_error(&msg))
        }
    }
}

/// Return the file system path representation of the object.
///
/// If the object is str or bytes, then allow it to pass through as-is. If the
/// object defines __fspath__(), then return the result of that method. All other
/// types raise a TypeError.
#[native("os.fspath(path)")]
fn os_fspath(vm: &mut Vm, path: &Value) -> PyResult<Value> {
    if matches!(path.obj(), Some(Object::Str(_)) | Some(Object::Bytes(_))) {
        return Ok(path.clone());
    }
    let cls = vm.class_of(path);
    let name = conc_interpreter::value::str::intern("__fspath__");
    let Some(f) = vm.lookup_type_attr(&cls, &name) else {
        let msg = format!("expected str, bytes or os.PathLike object, not {}", vm.type_name(path));
        return Err(vm.type_error(&msg));
    };
    let r = vm.call(&f, conc_interpreter::Args::new([path.clone()]))?;
    if matches!(r.obj(), Some(Object::Str(_)) | Some(Object::Bytes(_))) || r.as_str().is_some() {
        return Ok(r);
    }
    let msg = format!("expected {}.__fspath__() to return str or bytes, not {}", vm.type_name(path), vm.type_name(&r));
    Err(vm.type_error(&msg))
}

/// Normalize case of pathname.  Has no effect under Posix
#[native("normcase(s)", style = "python")]
fn normcase(vm: &mut Vm, s: &Value) -> PyResult<Value> {
    Ok(fspath(vm, s)?.value)
}

/// Join two or more pathname components, inserting '/' as needed.
#[native("join(a, *p)", style = "python")]
fn join(vm: &mut Vm, a: &Value, p: &[Value]) -> PyResult<Value> {
    let first = fspath(vm, a)?;
    let mut path = first.text.clone();
    for v in p {
        let b = match Path::of_pathlike(vm, v)? {
            Some(b) if b.bytes == first.bytes => b.text,
            Some(_) => return Err(vm.type_error("Can't mix strings and bytes in path components")),
            None => {
                let msg =
                    format!("join() argument must be str, bytes, or os.PathLike object, not '{}'", vm.type_name(v));
                return Err(vm.type_error(&msg));
            }
        };
        if b.starts_with('/') {
            path = b;
        } else if path.is_empty() || path.ends_with('/') {
            path.push_str(&b);
        } else {
            path.push('/');
            path.push_str(&b);
        }
    }
    Ok(first.out(&path))
}

/// posixpath.split: (head, tail) with trailing slashes stripped from a head that is
/// not all slashes.
fn split_path(p: &str) -> (String, String) {
    let i = p.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (head, tail) = p.split_at(i);
    let mut head = head.to_string();
    if !head.is_empty() && !head.chars().all(|c| c == '/') {
        while head.ends_with('/') {
            head.pop();
        }
    }
    (head, tail.to_string())
}

/// Split a pathname.  Returns tuple "(head, tail)" where "tail" is
/// everything after the final slash.  Either part may be empty.
#[native("split(p)", style = "python")]
fn split(vm: &mut Vm, p: &Value) -> PyResult<Value> {
    let p = fspath(vm, p)?;
    let (h, t) = split_path(&p.text);
    Ok(Value::tuple(vec![p.out(&h), p.out(&t)]))
}

/// Returns the final component of a pathname
#[native("basename(p)", style = "python")]
fn basename(vm: &mut Vm, p: &Value) -> PyResult<Value> {
    let p = fspath(vm, p)?;
    Ok(p.out(&split_path(&p.text).1))
}

/// Returns the directory component of a pathname
#[native("dirname(p)", style = "python")]
fn dirname(vm: &mut Vm, p: &Value) -> PyResult<Value> {
    let p = fspath(vm, p)?;
    Ok(p.out(&split_path(&p.text).0))
}

/// Split the extension from a pathname.
#[native("splitext(p)", style = "python")]
fn splitext(vm: &mut Vm, p: &Value) -> PyResult<Value> {
    let path = fspath(vm, p)?;
    let p = &path.text;
    let sep = p.rfind('/').map(|i| i as isize).unwrap_or(-1);
    if let Some(dot) = p.rfind('.') {
        if dot as isize > sep {
            // A leading run of dots in the file name is not an extension.
            let start = (sep + 1) as usize;
            if p[start..dot].bytes().any(|c| c != b'.') {
                return Ok(Value::tuple(vec![path.out(&p[..dot]), path.out(&p[dot..])]));
            }
        }
    }
    Ok(Value::tuple(vec![path.out(p), path.out("")]))
}

/// posixpath.normpath.
fn normalize(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let initial = if p.starts_with("//") && !p.starts_with("///") {
        2
    } else if p.starts_with('/') {
        1
    } else {
        0
    };
    let mut comps: Vec<&str> = Vec::new();
    for c in p.split('/') {
        if c.is_empty() || c == "." {
            continue;
        }
        if c != ".." || (initial == 0 && comps.is_empty()) || comps.last() == Some(&"..") {
            comps.push(c);
        } else if !comps.is_empty() {
            comps.pop();
        }
    }
    let mut out = "/".repeat(initial);
    out.push_str(&comps.join("/"));
    if out.is_empty() {
        ".".into()
    } else {
        out
    }
}

/// Normalize path, eliminating double slashes, etc.
#[native("normpath(path)", style = "python")]
fn normpath(vm: &mut Vm, path: &Value) -> PyResult<Value> {
    let p = fspath(vm, path)?;
    Ok(p.out(&normalize(&p.text)))
}

fn absolute(p: &str) -> String {
    if p.starts_with('/') {
        normalize(p)
    } else {
        normalize(&format!("{}/{}", cwd(), p))
    }
}

/// Return an absolute path.
#[native("abspath(path)", style = "python")]
fn abspath(vm: &mut Vm, path: &Value) -> PyResult<Value> {
    let p = fspath(vm, path)?;
    Ok(p.out(&absolute(&p.text)))
}

/// Return the canonical path of the specified filename, eliminating any
/// symbolic links encountered in the path.
#[native("realpath(filename, *, strict=False)", style = "python")]
fn realpath(vm: &mut Vm, filename: &Value, strict: bool) -> PyResult<Value> {
    let p = fspath(vm, filename)?;
    match std::fs::canonicalize(&p.text) {
        Ok(r) => Ok(p.out(&r.to_string_lossy())),
        Err(e) if strict => Err(p.error(vm, &e)),
        Err(_) => Ok(p.out(&absolute(&p.text))),
    }
}

/// Test whether a path is absolute
#[native("isabs(s)", style = "python")]
fn isabs(vm: &mut Vm, s: &Value) -> PyResult<bool> {
    Ok(fspath(vm, s)?.text.starts_with('/'))
}

/// `os.stat` of a path or a descriptor, with CPython's "stat: path should be ..."
/// for anything else.
fn stat(vm: &mut Vm, v: &Value) -> PyResult<Result<std::fs::Metadata, (std::io::Error, Value)>> {
    if let Some(p) = Path::of_pathlike(vm, v)? {
        return Ok(std::fs::metadata(&p.text).map_err(|e| (e, p.value)));
    }
    match fd_of(vm, v)? {
        Some(fd) => Ok(std::fs::metadata(format!("/proc/self/fd/{fd}")).map_err(|e| (e, Value::Int(fd as i64)))),
        None => {
            let msg = format!("stat: path should be string, bytes, os.PathLike or integer, not {}", vm.type_name(v));
            Err(vm.type_error(&msg))
        }
    }
}

fn stat_or_raise(vm: &mut Vm, v: &Value) -> PyResult<std::fs::Metadata> {
    stat(vm, v)?.map_err(|(e, name)| os_error_with(vm, &e, Some(name), None))
}

/// Test whether a path exists.  Returns False for broken symbolic links
#[native("exists(path)", style = "python")]
fn exists(vm: &mut Vm, path: &Value) -> PyResult<bool> {
    Ok(stat(vm, path)?.is_ok())
}

/// Test whether a path is a regular file
#[native("isfile(path)", style = "python")]
fn isfile(vm: &mut Vm, path: &Value) -> PyResult<bool> {
    Ok(stat(vm, path)?.map(|m| m.is_file()).unwrap_or(false))
}

/// Return true if the pathname refers to an existing directory.
#[native("isdir(s)", style = "python")]
fn isdir(vm: &mut Vm, s: &Value) -> PyResult<bool> {
    Ok(stat(vm, s)?.map(|m| m.is_dir()).unwrap_or(false))
}

/// Return the size of a file, reported by os.stat().
#[native("getsize(filename)", style = "python")]
fn getsize(vm: &mut Vm, filename: &Value) -> PyResult<i64> {
    Ok(stat_or_raise(vm, filename)?.len() as i64)
}

/// Return the last modification time of a file, reported by os.stat().
#[native("getmtime(filename)", style = "python")]
fn getmtime(vm: &mut Vm, filename: &Value) -> PyResult<f64> {
    use std::os::unix::fs::MetadataExt;
    let m = stat_or_raise(vm, filename)?;
    Ok(m.mtime() as f64 + m.mtime_nsec() as f64 * 1e-9)
}

/// Test whether a path is a symbolic link
#[native("islink(path)", style = "python")]
fn islink(vm: &mut Vm, path: &Value) -> PyResult<bool> {
    let p = fspath(vm, path)?;
    Ok(std::fs::symlink_metadata(&p.text).map(|m| m.file_type().is_symlink()).unwrap_or(false))
}

/// Expand ~ and ~user constructions.  If user or $HOME is unknown,
/// do nothing.
#[native("expanduser(path)", style = "python")]
fn expanduser(vm: &mut Vm, path: &Value) -> PyResult<Value> {
    let path = fspath(vm, path)?;
    let p = &path.text;
    if p == "~" || p.starts_with("~/") {
        if let Some(home) = std::env::var_os("HOME") {
            let mut home = home.to_string_lossy().into_owned();
            while home.len() > 1 && home.ends_with('/') {
                home.pop();
            }
            return Ok(path.out(&format!("{home}{}", &p[1..])));
        }
    }
    Ok(path.value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normpath_matches_posixpath() {
        assert_eq!(normalize("a/./b/../c/"), "a/c");
        assert_eq!(normalize("/../x"), "/x");
        assert_eq!(normalize("../../x"), "../../x");
        assert_eq!(normalize("//a"), "//a");
        assert_eq!(normalize("///a"), "/a");
        assert_eq!(normalize(""), ".");
    }
}
