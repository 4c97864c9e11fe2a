//! `open()` and the file objects it returns (text and binary), plus the OSError
//! helpers every module that touches the file system uses: an `io::Error` becomes the
//! OSError subclass CPython picks for its errno, printed as `[Errno 2] ...: 'name'`.
//!
//! A file object's state sits behind its own mutex. Methods take the lock only around
//! the file operation itself and never while script code runs (arguments are
//! converted first, `writelines` collects its iterable before locking).
//!
//! Reads and writes are buffered. Scripts routinely rely on CPython flushing a file
//! they forgot to close, so every writable file is listed (weakly) in a registry
//! that an `atexit` handler flushes, besides the flush when the state is dropped.

use crate::interp::{add_natives, builtins_module, new_class};
use crate::native::{
    native, wrong_self, ArgRef, Exc, FromArg, FromSelf, NativeClass, NativePayload, Property, Signature,
};
use crate::value::class::{is_subclass, BaseKind};
use crate::value::function::BuiltinObj;
use crate::value::str::intern;
use crate::value::{ObjRef, Object, Value};
use crate::vm::{Args, PyErr, PyResult, Vm};
use parking_lot::Mutex;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::{Arc, OnceLock, Weak};

/// An OSError (of the subclass its errno selects) for a failed OS operation, with
/// `filename` set as CPython does.
pub fn os_error(vm: &mut Vm, e: &std::io::Error, filename: Option<&str>) -> PyErr {
    os_error_with(vm, e, filename.map(Value::str), None)
}

/// An OSError for a failed OS operation on `filename` (and `filename2`, the target
/// of a rename) as the script gave them: a str, bytes or a file descriptor.
pub fn os_error_with(vm: &mut Vm, e: &std::io::Error, filename: Option<Value>, filename2: Option<Value>) -> PyErr {
    let Some(code) = e.raw_os_error() else {
        return vm.error(Exc::OSError, &e.to_string());
    };
    // Rust renders OS errors as "strerror (os error N)"; keep the strerror part.
    let text = e.to_string();
    let suffix = format!(" (os error {code})");
    let strerror = text.strip_suffix(&suffix).unwrap_or(&text).to_string();
    let cls = Exc::for_errno(code as i64).unwrap_or(Exc::OSError).class();
    let err = vm.new_exception(cls, vec![Value::Int(code as i64), Value::string(strerror)]);
    if let Some(inst) = err.exc.as_instance() {
        for (k, v) in [("filename", filename), ("filename2", filename2)] {
            if let Some(v) = v {
                let n = intern(k);
                inst.attrs().set_simple(crate::value::class::name_hash(&n), Value::Obj(n), v);
            }
        }
    }
    err
}

/// `os.fspath(v)` for a value that is neither str nor bytes: the result of its
/// class's `__fspath__`, which must be a str or bytes.
pub fn fspath_of(vm: &mut Vm, v: &Value) -> PyResult<Value> {
    let cls = vm.class_of(v);
    let Some(f) = vm.lookup_type_attr(&cls, &intern("__fspath__")) else {
        let msg = format!("expected str, bytes or os.PathLike object, not {}", vm.type_name(v));
        return Err(vm.type_error(&msg));
    };
    let r = vm.call(&f, Args::new([v.clone()]))?;
    if matches!(r.unwrap_base().obj(), Some(Object::Str(_)) | Some(Object::Bytes(_))) {
        return Ok(r);
    }
    let msg = format!("expected {}.__fspath__() to return str or bytes, not {}", vm.type_name(v), vm.type_name(&r));
    Err(vm.type_error(&msg))
}

/// Return str(self).
#[native("OSError.__str__($self, /)", style = "slot")]
fn oserror_str(vm: &mut Vm, this: Value) -> PyResult<Value> {
    // `[Errno N] strerror: 'filename'` when those are known.
    let get = |k: &str| -> Value {
        this.as_instance()
            .and_then(|i| {
                let n = intern(k);
                i.attrs().get_simple(crate::value::class::name_hash(&n), &Value::Obj(n)).cloned()
            })
            .unwrap_or(Value::None)
    };
    let (errno, strerror, filename) = (get("errno"), get("strerror"), get("filename"));
    if !errno.is_none() && !strerror.is_none() {
        let e = vm.str_of(&errno)?;
        let s = vm.str_of(&strerror)?;
        if !filename.is_none() {
            let f = vm.repr_of(&filename)?;
            let filename2 = get("filename2");
            if !filename2.is_none() {
                let f2 = vm.repr_of(&filename2)?;
                return Ok(Value::string(format!("[Errno {e}] {s}: {f} -> {f2}")));
            }
            return Ok(Value::string(format!("[Errno {e}] {s}: {f}")));
        }
        return Ok(Value::string(format!("[Errno {e}] {s}")));
    }
    let a = crate::builtins::exceptions::exc_args(&this);
    Ok(Value::string(match a.len() {
        0 => String::new(),
        1 => vm.str_of(&a[0])?,
        _ => vm.repr_of(&Value::tuple(a))?,
    }))
}

#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    Utf8,
    Latin1,
    Ascii,
}

impl Encoding {
    fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Latin1 => "latin-1",
            Encoding::Ascii => "ascii",
        }
    }
}

/// What `newline=` asked for.
#[derive(Clone, PartialEq)]
enum Newline {
    /// None: universal newlines on input, '\n' on output.
    Universal,
    /// '': no translation on input (lines still end at any of the three), none out.
    Untranslated,
    /// '\n', '\r' or '\r\n': lines end there; '\n' written as it.
    Exact(&'static str),
}

struct FileState {
    file: Option<File>,
    /// Raw bytes read ahead (binary mode) or not yet decoded (text mode).
    raw: Vec<u8>,
    rpos: usize,
    /// Decoded text read ahead (text mode).
    text: String,
    tpos: usize,
    eof: bool,
    /// Bytes written but not yet handed to the OS.
    wbuf: Vec<u8>,
}

impl FileState {
    fn flush_w(&mut self) -> std::io::Result<()> {
        if self.wbuf.is_empty() {
            return Ok(());
        }
        let data = std::mem::take(&mut self.wbuf);
        match self.file.as_mut() {
            Some(f) => f.write_all(&data),
            None => Ok(()),
        }
    }
}

impl Drop for FileState {
    fn drop(&mut self) {
        let _ = self.flush_w();
    }
}

type Shared = Arc<Mutex<FileState>>;

/// Writable files whose buffers the exit handler flushes.
fn registry() -> &'static Mutex<Vec<Weak<Mutex<FileState>>>> {
    static R: OnceLock<Mutex<Vec<Weak<Mutex<FileState>>>>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(Vec::new()))
}

/// See `crate::fork::reset_in_child`.
pub(crate) unsafe fn release_registry_after_fork() {
    crate::fork::release_orphaned(registry());
}

fn register_writable(st: &Shared) {
    let mut r = registry().lock();
    if r.len() >= 64 && r.len().is_power_of_two() {
        r.retain(|w| w.strong_count() > 0);
    }
    r.push(Arc::downgrade(st));
}

extern "C" {
    fn atexit(cb: extern "C" fn()) -> std::os::raw::c_int;
}

/// Runs at process exit: flushes what scripts wrote to files they did not close.
/// Locks are only tried, so a thread stopped while holding one cannot hang exit.
extern "C" fn flush_all_at_exit() {
    let wait = std::time::Duration::from_millis(200);
    let Some(r) = registry().try_lock_for(wait) else {
        return;
    };
    for w in r.iter() {
        if let Some(st) = w.upgrade() {
            if let Some(mut st) = st.try_lock_for(wait) {
                let _ = st.flush_w();
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum WriteThrough {
    Buffered,
    Always,
    Lines,
}

/// The native payload of a file object.
pub struct FileObj {
    name: String,
    /// What `.name` gives: the path as given, or the descriptor `open(fd)` wrapped.
    name_value: Value,
    /// When writes go to the OS at once: never (buffered), every write
    /// (`buffering=0`), or each write that holds a newline (`buffering=1`, text).
    write_through: WriteThrough,
    mode: String,
    encoding_label: String,
    binary: bool,
    readable: bool,
    writable: bool,
    encoding: Encoding,
    errors: String,
    newline: Newline,
    state: Shared,
}

impl NativePayload for FileObj {
    const CLASS: &'static NativeClass = &TEXT_IO_WRAPPER;
}

/// `self` of a file method: the file object and its payload, checked against the
/// class the method was found on (so `BufferedReader.read(text_file)` is refused as
/// in CPython, whose message names that class).
pub struct FileRef<'a> {
    v: &'a Value,
    f: &'a FileObj,
}

impl<'a> FromSelf<'a> for FileRef<'a> {
    #[inline(always)]
    fn from_self(vm: &mut Vm, v: &'a Value, sig: &'static Signature, b: &BuiltinObj) -> PyResult<Self> {
        if let Some(inst) = v.as_instance() {
            if let Some(f) = inst.native::<FileObj>() {
                if b.owner.as_ref().is_none_or(|o| is_subclass(&inst.class, o)) {
                    return Ok(FileRef { v, f });
                }
            }
        }
        let owner = match b.owner.as_deref() {
            Some(Object::Class(c)) => format!("{}.{}", c.module, c.name),
            _ => "_io._IOBase".to_string(),
        };
        Err(wrong_self(vm, v, sig, &owner))
    }
}

/// `io._IOBase`: what every file object has (lines, context manager, iteration).
pub static IOBASE: NativeClass = NativeClass {
    name: "_IOBase",
    module: "_io",
    doc: "The abstract base class for all I/O classes.",
    methods: &[
        &b_readline::DEF,
        &readlines::DEF,
        &writelines::DEF,
        &__enter__::DEF,
        &__exit__::DEF,
        &__iter__::DEF,
        &__next__::DEF,
        &no_readable::DEF,
        &no_writable::DEF,
        &no_seekable::DEF,
    ],
    ..NativeClass::DEFAULT
};

fn iobase() -> ObjRef {
    IOBASE.class().clone()
}

/// `io._BufferedIOBase`: reading and writing are unsupported unless a subclass has them.
pub static BUFFERED_IOBASE: NativeClass = NativeClass {
    name: "_BufferedIOBase",
    module: "_io",
    doc: "Base class for buffered IO objects.",
    base: Some(iobase),
    methods: &[&unsupported_read::DEF, &unsupported_write::DEF],
    ..NativeClass::DEFAULT
};

fn buffered_iobase() -> ObjRef {
    BUFFERED_IOBASE.class().clone()
}

/// `io._TextIOBase`.
pub static TEXT_IOBASE: NativeClass = NativeClass {
    name: "_TextIOBase",
    module: "_io",
    doc: "Base class for text I/O.",
    base: Some(iobase),
    ..NativeClass::DEFAULT
};

fn text_iobase() -> ObjRef {
    TEXT_IOBASE.class().clone()
}

const FILE_PROPS: &[Property] = &[
    Property { name: "closed", get: &closed::DEF, set: None },
    Property { name: "name", get: &name::DEF, set: None },
    Property { name: "mode", get: &mode::DEF, set: None },
];

/// A file opened in text mode.
pub static TEXT_IO_WRAPPER: NativeClass = NativeClass {
    name: "TextIOWrapper",
    module: "_io",
    doc: "Character and line based layer over a BufferedIOBase object, buffer.",
    base: Some(text_iobase),
    methods: &[
        &close::DEF,
        &fileno::DEF,
        &flush::DEF,
        &isatty::DEF,
        &read::DEF,
        &readable::DEF,
        &t_readline::DEF,
        &t_seek::DEF,
        &seekable::DEF,
        &tell::DEF,
        &truncate::DEF,
        &writable::DEF,
        &write::DEF,
        &__next__::DEF,
        &__repr__::DEF,
    ],
    properties: &[
        Property { name: "closed", get: &closed::DEF, set: None },
        Property { name: "name", get: &name::DEF, set: None },
        Property { name: "mode", get: &mode::DEF, set: None },
        Property { name: "encoding", get: &encoding::DEF, set: None },
    ],
    ..NativeClass::DEFAULT
};

/// A file opened for reading in binary mode.
pub static BUFFERED_READER: NativeClass = NativeClass {
    name: "BufferedReader",
    module: "_io",
    doc: "Create a new buffered reader using the given readable raw IO object.",
    base: Some(buffered_iobase),
    methods: &[
        &close::DEF,
        &fileno::DEF,
        &flush::DEF,
        &isatty::DEF,
        &read::DEF,
        &readable::DEF,
        &b_readline::DEF,
        &b_seek::DEF,
        &seekable::DEF,
        &tell::DEF,
        &truncate::DEF,
        &__next__::DEF,
        &__repr__::DEF,
    ],
    properties: FILE_PROPS,
    ..NativeClass::DEFAULT
};

/// A file opened for writing in binary mode.
pub static BUFFERED_WRITER: NativeClass = NativeClass {
    name: "BufferedWriter",
    module: "_io",
    doc: "A buffer for a writeable sequential RawIO object.",
    base: Some(buffered_iobase),
    methods: &[
        &close::DEF,
        &fileno::DEF,
        &flush::DEF,
        &isatty::DEF,
        &b_seek::DEF,
        &seekable::DEF,
        &tell::DEF,
        &truncate::DEF,
        &writable::DEF,
        &write::DEF,
        &__repr__::DEF,
    ],
    properties: FILE_PROPS,
    ..NativeClass::DEFAULT
};

/// A file opened for reading and writing in binary mode.
pub static BUFFERED_RANDOM: NativeClass = NativeClass {
    name: "BufferedRandom",
    module: "_io",
    doc: "A buffered interface to random access streams.",
    base: Some(buffered_iobase),
    methods: &[
        &close::DEF,
        &fileno::DEF,
        &flush::DEF,
        &isatty::DEF,
        &read::DEF,
        &readable::DEF,
        &b_readline::DEF,
        &b_seek::DEF,
        &seekable::DEF,
        &tell::DEF,
        &truncate::DEF,
        &writable::DEF,
        &write::DEF,
        &__next__::DEF,
        &__repr__::DEF,
    ],
    properties: FILE_PROPS,
    ..NativeClass::DEFAULT
};

/// `io.UnsupportedOperation` (a subclass of OSError and ValueError, as in CPython).
pub fn unsupported_operation() -> ObjRef {
    static C: OnceLock<ObjRef> = OnceLock::new();
    C.get_or_init(|| {
        new_class(
            "UnsupportedOperation",
            "io",
            vec![Exc::OSError.class().clone(), Exc::ValueError.class().clone()],
            BaseKind::Exception,
            true,
            Default::default(),
        )
    })
    .clone()
}

pub fn register(_vm: &mut Vm) {
    for c in [&TEXT_IO_WRAPPER, &BUFFERED_READER, &BUFFERED_WRITER, &BUFFERED_RANDOM] {
        let _ = c.class();
    }
    let _ = unsupported_operation();
    builtins_module().globals.set(&intern("open"), crate::native::function_value(&open::DEF));
    add_natives(&Exc::OSError.class().clone(), &[&oserror_str::DEF]);
    static AT_EXIT: OnceLock<()> = OnceLock::new();
    AT_EXIT.get_or_init(|| {
        // SAFETY: registers a plain function with the C runtime once.
        unsafe { atexit(flush_all_at_exit) };
    });
}

fn closed_error(vm: &mut Vm) -> PyErr {
    vm.value_error("I/O operation on closed file.")
}

fn unsupported(vm: &mut Vm, msg: &str) -> PyErr {
    let cls = unsupported_operation();
    vm.new_exception(&cls, vec![Value::str(msg)])
}

/// A size or hint argument (CPython's `_Py_convert_optional_to_ssize_t`): an integer
/// or None (-1, no limit).
pub struct Size(i64);

impl<'a> FromArg<'a> for Size {
    fn from_arg(vm: &mut Vm, v: &'a Value, _at: ArgRef) -> PyResult<Self> {
        match v.unwrap_base() {
            Value::None => Ok(Size(-1)),
            Value::Int(i) => Ok(Size(*i)),
            Value::Bool(b) => Ok(Size(*b as i64)),
            b if matches!(b.obj(), Some(Object::BigInt(_))) => {
                Err(vm.error(Exc::OverflowError, "cannot fit 'int' into an index-sized integer"))
            }
            _ if v.as_instance().is_some() => vm.index_value(v).map(Size),
            _ => {
                let msg = format!("argument should be integer or None, not '{}'", vm.type_name(v));
                Err(vm.type_error(&msg))
            }
        }
    }
}

/// Parses an `open()` mode string as CPython's `_io.open` does.
struct Mode {
    read: bool,
    write: bool,
    append: bool,
    create: bool,
    plus: bool,
    binary: bool,
}

fn parse_mode(vm: &mut Vm, mode: &str) -> PyResult<Mode> {
    let mut seen = String::new();
    let invalid = |vm: &mut Vm| {
        let msg = format!("invalid mode: '{mode}'");
        vm.value_error(&msg)
    };
    for c in mode.chars() {
        if !"rwxabt+U".contains(c) || seen.contains(c) {
            return Err(invalid(vm));
        }
        seen.push(c);
    }
    let has = |c| seen.contains(c);
    let m =
        Mode { read: has('r'), write: has('w'), append: has('a'), create: has('x'), plus: has('+'), binary: has('b') };
    if has('U') {
        return Err(invalid(vm));
    }
    if has('t') && m.binary {
        return Err(vm.value_error("can't have text and binary mode at once"));
    }
    if [m.read, m.write, m.append, m.create].iter().filter(|b| **b).count() != 1 {
        return Err(vm.value_error("must have exactly one of create/read/write/append mode"));
    }
    Ok(m)
}

fn opt_str(vm: &mut Vm, v: Option<Value>, what: &str) -> PyResult<Option<String>> {
    match v {
        None | Some(Value::None) => Ok(None),
        Some(v) => match v.as_str() {
            Some(s) => Ok(Some(s.as_str().to_string())),
            None => {
                let msg = format!("open() argument '{what}' must be str or None, not {}", vm.type_name(&v));
                Err(vm.type_error(&msg))
            }
        },
    }
}

/// Open file and return a stream.  Raise OSError upon failure.
#[native("open(file, mode='r', buffering=-1, encoding=None, errors=None, newline=None, closefd=True, opener=None)")]
#[allow(clippy::too_many_arguments)]
fn open(
    vm: &mut Vm,
    file: &Value,
    mode: &str,
    buffering: i64,
    encoding: Option<Value>,
    errors: Option<Value>,
    newline: Option<Value>,
    closefd: i64,
    opener: Value,
) -> PyResult<Value> {
    let write_through = match buffering {
        0 => WriteThrough::Always,
        1 => WriteThrough::Lines,
        _ => WriteThrough::Buffered,
    };
    // An integer is a descriptor to wrap; an os.PathLike object gives its path.
    let fd_arg = match file.unwrap_base() {
        Value::Int(i) => Some(*i),
        Value::Bool(b) => Some(*b as i64),
        _ => None,
    };
    let file = &match file.unwrap_base().obj() {
        Some(Object::Str(_)) | Some(Object::Bytes(_)) => file.clone(),
        _ if fd_arg.is_some() => file.clone(),
        _ => fspath_of(vm, file)?,
    };
    let path = match (fd_arg, file.unwrap_base().obj()) {
        (Some(fd), _) => fd.to_string(),
        (None, Some(Object::Str(s))) => s.as_str().to_string(),
        (None, Some(Object::Bytes(b))) => String::from_utf8_lossy(b).into_owned(),
        _ => {
            let msg = format!("expected str, bytes or os.PathLike object, not {}", vm.type_name(file));
            return Err(vm.type_error(&msg));
        }
    };
    if fd_arg.is_some_and(|fd| fd < 0 || fd > i32::MAX as i64) {
        return Err(vm.value_error("negative file descriptor"));
    }
    if fd_arg.is_none() && closefd == 0 {
        return Err(vm.value_error("Cannot use closefd=False with file name"));
    }
    let mode_s = mode.to_string();
    let m = parse_mode(vm, &mode_s)?;
    let enc_s = opt_str(vm, encoding, "encoding")?;
    let errors_s = opt_str(vm, errors, "errors")?;
    let newline_s = opt_str(vm, newline, "newline")?;
    if buffering == 0 && !m.binary {
        return Err(vm.value_error("can't have unbuffered text I/O"));
    }
    if m.binary {
        if enc_s.is_some() {
            return Err(vm.value_error("binary mode doesn't take an encoding argument"));
        }
        if errors_s.is_some() {
            return Err(vm.value_error("binary mode doesn't take an errors argument"));
        }
        if newline_s.is_some() {
            return Err(vm.value_error("binary mode doesn't take a newline argument"));
        }
    }
    let newline = match newline_s.as_deref() {
        None => Newline::Universal,
        Some("") => Newline::Untranslated,
        Some("\n") => Newline::Exact("\n"),
        Some("\r") => Newline::Exact("\r"),
        Some("\r\n") => Newline::Exact("\r\n"),
        Some(other) => {
            let msg = format!("illegal newline value: {other}");
            return Err(vm.value_error(&msg));
        }
    };
    let encoding = match enc_s.as_deref().map(|e| e.to_ascii_lowercase().replace('_', "-")) {
        None => Encoding::Utf8,
        Some(e) => match e.as_str() {
            "utf-8" | "utf8" | "u8" | "utf" => Encoding::Utf8,
            "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" => Encoding::Latin1,
            "ascii" | "us-ascii" => Encoding::Ascii,
            _ => {
                let msg = format!("unknown encoding: {}", enc_s.clone().unwrap_or_default());
                return Err(vm.error(Exc::LookupError, &msg));
            }
        },
    };
    let mut opts = std::fs::OpenOptions::new();
    opts.read(m.read || m.plus)
        .write(m.write || m.append || m.create || m.plus)
        .append(m.append)
        .truncate(m.write)
        .create(m.write || m.append)
        .create_new(m.create);
    let f = if let Some(fd) = fd_arg {
        use std::os::unix::io::FromRawFd;
        // With closefd=False the file works on a duplicate, so closing it leaves the
        // caller's descriptor open (fileno() then names the duplicate).
        let fd = fd as i32;
        // SAFETY: fcntl(2) on a plain descriptor number.
        let own = if closefd == 0 { unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) } } else { fd };
        // SAFETY: fstat(2) only checks the descriptor is open.
        if own < 0 || unsafe { libc::fcntl(own, libc::F_GETFD) } < 0 {
            let e = std::io::Error::last_os_error();
            return Err(os_error_with(vm, &e, None, None));
        }
        // SAFETY: the script handed us this descriptor (or we made the duplicate);
        // the file owns it from now on, as CPython's FileIO does with closefd=True.
        unsafe { File::from_raw_fd(own) }
    } else if opener.is_none() {
        opts.open(&path).map_err(|e| os_error(vm, &e, Some(&path)))?
    } else {
        // `opener(file, flags)` returns an open descriptor, which the file then owns.
        use std::os::unix::io::FromRawFd;
        let mut flags = if m.plus {
            libc::O_RDWR
        } else if m.read {
            libc::O_RDONLY
        } else {
            libc::O_WRONLY
        };
        if m.write {
            flags |= libc::O_CREAT | libc::O_TRUNC;
        }
        if m.append {
            flags |= libc::O_CREAT | libc::O_APPEND;
        }
        if m.create {
            flags |= libc::O_CREAT | libc::O_EXCL;
        }
        flags |= libc::O_CLOEXEC;
        let fd = vm.call(&opener, Args::new([file.clone(), Value::Int(flags as i64)]))?;
        let fd = vm.index_value(&fd)?;
        if fd < 0 {
            let msg = format!("opener returned {fd}");
            return Err(vm.value_error(&msg));
        }
        // SAFETY: the opener handed us the descriptor; the file closes it.
        unsafe { File::from_raw_fd(fd as i32) }
    };
    if f.metadata().map(|md| md.is_dir()).unwrap_or(false) {
        let e = std::io::Error::from_raw_os_error(21);
        return Err(os_error(vm, &e, Some(&path)));
    }
    let readable = m.read || m.plus;
    let writable = m.write || m.append || m.create || m.plus;
    let shown_mode = if m.binary {
        // The mode FileIO reports: one letter of x/a/r/w, 'b', then '+'.
        let base = if m.create {
            "xb"
        } else if m.append {
            "ab"
        } else if m.read || m.plus {
            "rb"
        } else {
            "wb"
        };
        format!("{base}{}", if m.plus { "+" } else { "" })
    } else {
        mode_s.clone()
    };
    let cls = if !m.binary {
        &TEXT_IO_WRAPPER
    } else if m.plus {
        &BUFFERED_RANDOM
    } else if m.read {
        &BUFFERED_READER
    } else {
        &BUFFERED_WRITER
    };
    let obj = FileObj {
        name_value: file.clone(),
        write_through: if m.binary && write_through == WriteThrough::Lines {
            WriteThrough::Buffered
        } else {
            write_through
        },
        name: path,
        mode: shown_mode,
        encoding_label: enc_s.unwrap_or_else(|| "UTF-8".into()),
        binary: m.binary,
        readable,
        writable,
        encoding,
        errors: errors_s.unwrap_or_else(|| "strict".into()),
        newline,
        state: Arc::new(Mutex::new(FileState {
            file: Some(f),
            raw: Vec::new(),
            rpos: 0,
            text: String::new(),
            tpos: 0,
            eof: false,
            wbuf: Vec::new(),
        })),
    };
    if writable {
        register_writable(&obj.state);
    }
    Ok(cls.instance(obj))
}

// ---------------------------------------------------------------------------
// Reading

const CHUNK: usize = 64 * 1024;

enum ReadErr {
    Io(std::io::Error),
    Decode(String, String),
}

impl FileObj {
    /// Reads one more chunk of raw bytes; false at end of file.
    fn fill_raw(&self, st: &mut FileState) -> Result<bool, ReadErr> {
        st.flush_w().map_err(ReadErr::Io)?;
        if st.eof {
            return Ok(false);
        }
        if st.rpos > 0 {
            st.raw.drain(..st.rpos);
            st.rpos = 0;
        }
        let Some(f) = st.file.as_mut() else {
            return Ok(false);
        };
        let old = st.raw.len();
        st.raw.resize(old + CHUNK, 0);
        let n = loop {
            match f.read(&mut st.raw[old..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    st.raw.truncate(old);
                    return Err(ReadErr::Io(e));
                }
            }
        };
        st.raw.truncate(old + n);
        if n == 0 {
            st.eof = true;
        }
        Ok(n > 0)
    }

    /// Decodes the raw bytes read so far into `text` (text mode), keeping an
    /// incomplete UTF-8 sequence (and a trailing '\r' under universal newlines) for
    /// the next round.
    fn fill_text(&self, st: &mut FileState) -> Result<bool, ReadErr> {
        let got = self.fill_raw(st)?;
        let avail = &st.raw[st.rpos..];
        if avail.is_empty() {
            return Ok(got);
        }
        let (mut s, used) = self.decode(avail, st.eof)?;
        st.rpos += used;
        if self.newline == Newline::Universal {
            if s.ends_with('\r') && !st.eof {
                // A '\r' at the end of a chunk may be half of "\r\n": hold it back.
                s.pop();
                st.rpos -= 1;
            }
            if s.contains('\r') {
                s = s.replace("\r\n", "\n").replace('\r', "\n");
            }
        }
        if st.tpos > 0 {
            st.text.drain(..st.tpos);
            st.tpos = 0;
        }
        st.text.push_str(&s);
        Ok(got || !s.is_empty())
    }

    fn decode(&self, b: &[u8], at_eof: bool) -> Result<(String, usize), ReadErr> {
        match self.encoding {
            Encoding::Latin1 => Ok((b.iter().map(|&c| c as char).collect(), b.len())),
            Encoding::Ascii => {
                if let Some(p) = b.iter().position(|&c| c >= 0x80) {
                    match self.errors.as_str() {
                        "replace" => {
                            return Ok((
                                b.iter().map(|&c| if c < 0x80 { c as char } else { '\u{fffd}' }).collect(),
                                b.len(),
                            ))
                        }
                        "ignore" => {
                            return Ok((b.iter().filter(|c| **c < 0x80).map(|&c| c as char).collect(), b.len()))
                        }
                        _ => {
                            return Err(ReadErr::Decode(
                                "ascii".into(),
                                format!("can't decode byte {:#04x} in position {p}: ordinal not in range(128)", b[p]),
                            ))
                        }
                    }
                }
                Ok((b.iter().map(|&c| c as char).collect(), b.len()))
            }
            Encoding::Utf8 => match std::str::from_utf8(b) {
                Ok(s) => Ok((s.to_string(), b.len())),
                Err(e) => {
                    let good = e.valid_up_to();
                    if e.error_len().is_none() && !at_eof {
                        // An incomplete sequence at the end: wait for more bytes.
                        let s = std::str::from_utf8(&b[..good]).unwrap_or_default();
                        return Ok((s.to_string(), good));
                    }
                    match self.errors.as_str() {
                        "replace" => Ok((String::from_utf8_lossy(b).into_owned(), b.len())),
                        "ignore" => {
                            let s = String::from_utf8_lossy(b).replace('\u{fffd}', "");
                            Ok((s, b.len()))
                        }
                        _ => {
                            let byte = b[good];
                            let why = if e.error_len().is_none() {
                                "unexpected end of data"
                            } else if (0x80..0xc0).contains(&byte) || byte >= 0xf8 {
                                "invalid start byte"
                            } else {
                                "invalid continuation byte"
                            };
                            Err(ReadErr::Decode(
                                "utf-8".into(),
                                format!("can't decode byte {byte:#04x} in position {good}: {why}"),
                            ))
                        }
                    }
                }
            },
        }
    }
}

fn read_err(vm: &mut Vm, f: &FileObj, e: ReadErr) -> PyErr {
    match e {
        ReadErr::Io(e) => os_error(vm, &e, Some(&f.name)),
        ReadErr::Decode(codec, msg) => {
            let m = format!("'{codec}' codec {msg}");
            vm.error(Exc::UnicodeDecodeError, &m)
        }
    }
}

fn check_readable(vm: &mut Vm, f: &FileObj) -> PyResult<()> {
    if f.state.lock().file.is_none() {
        return Err(closed_error(vm));
    }
    if !f.readable {
        return Err(unsupported(vm, if f.binary { "read" } else { "not readable" }));
    }
    Ok(())
}

fn bytes_value(b: Vec<u8>) -> Value {
    Value::new(Object::Bytes(b.into_boxed_slice()))
}

/// Reads up to `n` characters (text) or bytes (binary); all when `n < 0`.
fn read_n(f: &FileObj, n: i64) -> Result<Value, ReadErr> {
    let mut st = f.state.lock();
    if f.binary {
        loop {
            let avail = st.raw.len() - st.rpos;
            if n >= 0 && avail >= n as usize {
                break;
            }
            if !f.fill_raw(&mut st)? {
                break;
            }
        }
        let avail = st.raw.len() - st.rpos;
        let take = if n < 0 { avail } else { avail.min(n as usize) };
        let out = st.raw[st.rpos..st.rpos + take].to_vec();
        st.rpos += take;
        return Ok(bytes_value(out));
    }
    loop {
        let rest = &st.text[st.tpos..];
        if n >= 0 && rest.chars().count() >= n as usize {
            break;
        }
        if !f.fill_text(&mut st)? {
            break;
        }
    }
    let rest = &st.text[st.tpos..];
    let end =
        if n < 0 { rest.len() } else { rest.char_indices().nth(n as usize).map(|(i, _)| i).unwrap_or(rest.len()) };
    let out = rest[..end].to_string();
    st.tpos += end;
    Ok(Value::string(out))
}

/// Reads one line (at most `limit` characters/bytes when `limit >= 0`).
fn read_line(f: &FileObj, limit: i64) -> Result<Value, ReadErr> {
    let mut st = f.state.lock();
    if f.binary {
        let mut scanned = 0;
        loop {
            let avail = &st.raw[st.rpos..];
            if let Some(i) = avail[scanned..].iter().position(|&c| c == b'\n') {
                let mut end = scanned + i + 1;
                if limit >= 0 {
                    end = end.min(limit as usize);
                }
                let out = avail[..end].to_vec();
                st.rpos += end;
                return Ok(bytes_value(out));
            }
            scanned = avail.len();
            if limit >= 0 && scanned >= limit as usize {
                break;
            }
            if !f.fill_raw(&mut st)? {
                break;
            }
        }
        let avail = st.raw.len() - st.rpos;
        let take = if limit >= 0 { avail.min(limit as usize) } else { avail };
        let out = st.raw[st.rpos..st.rpos + take].to_vec();
        st.rpos += take;
        return Ok(bytes_value(out));
    }
    let mut scanned = 0;
    loop {
        let rest = &st.text[st.tpos..];
        if let Some(end) = find_line_end(&f.newline, &rest[scanned..], st.eof) {
            let mut end = scanned + end;
            if limit >= 0 {
                end = rest.char_indices().nth(limit as usize).map(|(i, _)| i.min(end)).unwrap_or(end);
            }
            let out = rest[..end].to_string();
            st.tpos += end;
            return Ok(Value::string(out));
        }
        // Back off one byte so a "\r\n" split across chunks is seen whole.
        scanned = rest.len().saturating_sub(1);
        while !rest.is_char_boundary(scanned) {
            scanned -= 1;
        }
        if limit >= 0 && rest.chars().count() >= limit as usize {
            break;
        }
        if !f.fill_text(&mut st)? {
            break;
        }
    }
    let rest = &st.text[st.tpos..];
    let end = if limit >= 0 {
        rest.char_indices().nth(limit as usize).map(|(i, _)| i).unwrap_or(rest.len())
    } else {
        rest.len()
    };
    let out = rest[..end].to_string();
    st.tpos += end;
    Ok(Value::string(out))
}

/// The byte index just past the first line ending in `s`, if one is complete.
fn find_line_end(nl: &Newline, s: &str, eof: bool) -> Option<usize> {
    match nl {
        Newline::Universal | Newline::Exact("\n") => s.find('\n').map(|i| i + 1),
        Newline::Exact(sep) => s.find(sep).map(|i| i + sep.len()),
        Newline::Untranslated => {
            let i = s.find(['\r', '\n'])?;
            if s.as_bytes()[i] == b'\n' {
                return Some(i + 1);
            }
            match s.as_bytes().get(i + 1) {
                Some(b'\n') => Some(i + 2),
                Some(_) => Some(i + 1),
                None if eof => Some(i + 1),
                None => None,
            }
        }
    }
}

/// Read at most size characters (text) or bytes (binary), all of them by default.
#[native("read($self, size=-1{Size(-1)}, /)")]
fn read(vm: &mut Vm, this: FileRef, size: Size) -> PyResult<Value> {
    let f = this.f;
    if f.binary && f.state.lock().file.is_none() {
        return Err(vm.value_error("read of closed file"));
    }
    check_readable(vm, f)?;
    read_n(f, size.0).map_err(|e| read_err(vm, f, e))
}

/// Read until newline or EOF (at most size characters when size >= 0).
#[native("TextIOWrapper.readline($self, size=-1, /)")]
fn t_readline(vm: &mut Vm, this: FileRef, size: i64) -> PyResult<Value> {
    let f = this.f;
    check_readable(vm, f)?;
    read_line(f, size).map_err(|e| read_err(vm, f, e))
}

/// Read and return a line from the stream.
#[native("readline($self, size=-1{Size(-1)}, /)")]
fn b_readline(vm: &mut Vm, this: FileRef, size: Size) -> PyResult<Value> {
    let f = this.f;
    check_readable(vm, f)?;
    read_line(f, size.0).map_err(|e| read_err(vm, f, e))
}

fn is_empty_line(v: &Value) -> bool {
    match v.obj() {
        Some(Object::Str(s)) => s.as_str().is_empty(),
        Some(Object::Bytes(b)) => b.is_empty(),
        _ => true,
    }
}

fn line_len(v: &Value) -> usize {
    match v.obj() {
        Some(Object::Str(s)) => s.char_len(),
        Some(Object::Bytes(b)) => b.len(),
        _ => 0,
    }
}

/// Return a list of lines from the stream.
#[native("readlines($self, hint=-1{Size(-1)}, /)")]
fn readlines(vm: &mut Vm, this: FileRef, hint: Size) -> PyResult<Value> {
    let (f, hint) = (this.f, hint.0);
    check_readable(vm, f)?;
    let mut lines = Vec::new();
    let mut total = 0;
    loop {
        let line = read_line(f, -1).map_err(|e| read_err(vm, f, e))?;
        if is_empty_line(&line) {
            break;
        }
        total += line_len(&line);
        lines.push(line);
        if hint > 0 && total >= hint as usize {
            break;
        }
    }
    Ok(Value::list(lines))
}

/// Implement iter(self).
#[native("_IOBase.__iter__($self, /)", style = "slot")]
fn __iter__(vm: &mut Vm, this: FileRef) -> PyResult<Value> {
    if this.f.state.lock().file.is_none() {
        return Err(closed_error(vm));
    }
    Ok(this.v.clone())
}

/// Implement next(self).
#[native("__next__($self, /)", style = "slot")]
fn __next__(vm: &mut Vm, this: FileRef) -> PyResult<Value> {
    let f = this.f;
    check_readable(vm, f)?;
    let line = read_line(f, -1).map_err(|e| read_err(vm, f, e))?;
    if is_empty_line(&line) {
        let cls = Exc::StopIteration.class().clone();
        return Err(vm.new_exception(&cls, vec![]));
    }
    Ok(line)
}

// ---------------------------------------------------------------------------
// Writing

/// Puts the OS file position where the reader is, discarding read-ahead, so that a
/// write or a seek after reads acts at the logical position.
fn sync_position(f: &FileObj, st: &mut FileState) -> std::io::Result<()> {
    st.flush_w()?;
    let unread = if f.binary {
        (st.raw.len() - st.rpos) as i64
    } else {
        encoded_len(f, &st.text[st.tpos..]) as i64 + (st.raw.len() - st.rpos) as i64
    };
    if unread > 0 {
        if let Some(file) = st.file.as_mut() {
            file.seek(SeekFrom::Current(-unread))?;
        }
    }
    st.raw.clear();
    st.rpos = 0;
    st.text.clear();
    st.tpos = 0;
    st.eof = false;
    Ok(())
}

fn encoded_len(f: &FileObj, s: &str) -> usize {
    match f.encoding {
        Encoding::Utf8 => s.len(),
        _ => s.chars().count(),
    }
}

fn encode(vm: &mut Vm, f: &FileObj, s: &str) -> PyResult<Vec<u8>> {
    let s = match &f.newline {
        Newline::Exact(sep) if *sep != "\n" => s.replace('\n', sep),
        _ => s.to_string(),
    };
    match f.encoding {
        Encoding::Utf8 => Ok(s.into_bytes()),
        Encoding::Latin1 | Encoding::Ascii => {
            let limit = if f.encoding == Encoding::Ascii { 0x80 } else { 0x100 };
            let mut out = Vec::with_capacity(s.len());
            for (i, c) in s.chars().enumerate() {
                if (c as u32) < limit {
                    out.push(c as u8);
                } else if f.errors == "replace" {
                    out.push(b'?');
                } else if f.errors == "ignore" {
                } else {
                    let msg = format!(
                        "'{}' codec can't encode character {} in position {i}: ordinal not in range({limit})",
                        f.encoding.name(),
                        crate::builtins::repr::str_repr(&c.to_string())
                    );
                    return Err(vm.error(Exc::UnicodeEncodeError, &msg));
                }
            }
            Ok(out)
        }
    }
}

fn write_bytes(vm: &mut Vm, f: &FileObj, data: &[u8]) -> PyResult<()> {
    let mut st = f.state.lock();
    let res = (|| -> std::io::Result<()> {
        if !st.raw.is_empty() || !st.text.is_empty() {
            sync_position(f, &mut st)?;
        }
        st.wbuf.extend_from_slice(data);
        let now = match f.write_through {
            WriteThrough::Buffered => false,
            WriteThrough::Always => true,
            WriteThrough::Lines => data.contains(&b'\n'),
        };
        if now || st.wbuf.len() >= CHUNK {
            st.flush_w()?;
        }
        Ok(())
    })();
    drop(st);
    res.map_err(|e| os_error(vm, &e, Some(&f.name)))
}

fn check_writable(vm: &mut Vm, f: &FileObj) -> PyResult<()> {
    if f.state.lock().file.is_none() {
        return Err(closed_error(vm));
    }
    if !f.writable {
        return Err(unsupported(vm, if f.binary { "write" } else { "not writable" }));
    }
    Ok(())
}

/// The data of one `write` argument, checked against the file's kind.
fn write_data(vm: &mut Vm, f: &FileObj, v: &Value) -> PyResult<(Vec<u8>, usize)> {
    if f.binary {
        return match crate::builtins::bytes_like(v) {
            Some(b) => {
                let n = b.len();
                Ok((b, n))
            }
            None => {
                let msg = format!("a bytes-like object is required, not '{}'", vm.type_name(v));
                Err(vm.type_error(&msg))
            }
        };
    }
    match v.as_str() {
        Some(s) => {
            let n = s.char_len();
            let text = s.as_str().to_string();
            Ok((encode(vm, f, &text)?, n))
        }
        None => {
            let msg = format!("write() argument must be str, not {}", vm.type_name(v));
            Err(vm.type_error(&msg))
        }
    }
}

/// Write the given str (text) or bytes-like object (binary); return its length.
#[native("write($self, data, /)")]
fn write(vm: &mut Vm, this: FileRef, data: &Value) -> PyResult<usize> {
    let f = this.f;
    check_writable(vm, f)?;
    let (bytes, n) = write_data(vm, f, data)?;
    write_bytes(vm, f, &bytes)?;
    Ok(n)
}

/// Write a list of lines to stream.
#[native("_IOBase.writelines($self, lines, /)")]
fn writelines(vm: &mut Vm, this: FileRef, lines: &Value) -> PyResult<()> {
    let f = this.f;
    if f.state.lock().file.is_none() {
        return Err(closed_error(vm));
    }
    // Each line is written as it comes, as CPython's loop of `write` calls does.
    let it = vm.get_iter(lines)?;
    while let Some(line) = vm.iter_next(&it)? {
        check_writable(vm, f)?;
        let (bytes, _) = write_data(vm, f, &line)?;
        write_bytes(vm, f, &bytes)?;
    }
    Ok(())
}

/// Unsupported without a readable stream.
#[native("_BufferedIOBase.read($self, *args)")]
fn unsupported_read(vm: &mut Vm, _this: FileRef, args: &[Value]) -> PyResult<()> {
    let _ = args;
    Err(unsupported(vm, "read"))
}

/// Unsupported without a writable stream.
#[native("_BufferedIOBase.write($self, *args)")]
fn unsupported_write(vm: &mut Vm, _this: FileRef, args: &[Value]) -> PyResult<()> {
    let _ = args;
    Err(unsupported(vm, "write"))
}

// ---------------------------------------------------------------------------
// Positioning and the rest

/// Flush and close the IO object.
#[native("close($self, /)")]
fn close(vm: &mut Vm, this: FileRef) -> PyResult<()> {
    close_file(vm, this.f)
}

fn close_file(vm: &mut Vm, f: &FileObj) -> PyResult<()> {
    let mut st = f.state.lock();
    let flushed = st.flush_w();
    st.file = None;
    st.raw = Vec::new();
    st.text = String::new();
    st.rpos = 0;
    st.tpos = 0;
    drop(st);
    flushed.map_err(|e| os_error(vm, &e, Some(&f.name)))
}

/// Flush write buffers, if applicable.
#[native("flush($self, /)")]
fn flush(vm: &mut Vm, this: FileRef) -> PyResult<()> {
    let f = this.f;
    let mut st = f.state.lock();
    match st.file.as_mut() {
        None => {
            drop(st);
            Err(closed_error(vm))
        }
        Some(_) => {
            let r = st.flush_w();
            drop(st);
            r.map_err(|e| os_error(vm, &e, Some(&f.name)))
        }
    }
}

fn position(f: &FileObj, st: &mut FileState) -> std::io::Result<u64> {
    st.flush_w()?;
    let unread = if f.binary {
        (st.raw.len() - st.rpos) as u64
    } else {
        encoded_len(f, &st.text[st.tpos..]) as u64 + (st.raw.len() - st.rpos) as u64
    };
    let pos = match st.file.as_mut() {
        Some(file) => file.stream_position()?,
        None => 0,
    };
    Ok(pos.saturating_sub(unread))
}

/// Return the current stream position.
#[native("tell($self, /)")]
fn tell(vm: &mut Vm, this: FileRef) -> PyResult<i64> {
    let f = this.f;
    let mut st = f.state.lock();
    if st.file.is_none() {
        drop(st);
        return Err(closed_error(vm));
    }
    let r = position(f, &mut st);
    drop(st);
    let p = r.map_err(|e| os_error(vm, &e, Some(&f.name)))?;
    Ok(p as i64)
}

/// Change the stream position to the given offset (text files: a cookie from tell).
#[native("TextIOWrapper.seek($self, cookie, whence=0, /)")]
fn t_seek(vm: &mut Vm, this: FileRef, cookie: &Value, whence: i64) -> PyResult<i64> {
    // CPython compares the cookie with 0 first.
    if !matches!(cookie.unwrap_base(), Value::Int(_) | Value::Bool(_) | Value::Float(_))
        && !matches!(cookie.unwrap_base().obj(), Some(Object::BigInt(_)))
    {
        let msg = format!("'<' not supported between instances of '{}' and 'int'", vm.type_name(cookie));
        return Err(vm.type_error(&msg));
    }
    let off = vm.index_value(cookie)?;
    seek_file(vm, this.f, off, whence)
}

/// Change the stream position to the given byte offset.
#[native("seek($self, target, whence=0, /)")]
fn b_seek(vm: &mut Vm, this: FileRef, target: &Value, whence: i64) -> PyResult<i64> {
    if matches!(target.unwrap_base().obj(), Some(Object::BigInt(_))) {
        return Err(vm.value_error("cannot fit 'int' into an offset-sized integer"));
    }
    let off = vm.index_value(target)?;
    seek_file(vm, this.f, off, whence)
}

fn seek_file(vm: &mut Vm, f: &FileObj, off: i64, whence: i64) -> PyResult<i64> {
    if f.state.lock().file.is_none() {
        return Err(closed_error(vm));
    }
    if !f.binary {
        if whence == 1 && off != 0 {
            return Err(unsupported(vm, "can't do nonzero cur-relative seeks"));
        }
        if whence == 2 && off != 0 {
            return Err(unsupported(vm, "can't do nonzero end-relative seeks"));
        }
        if whence == 0 && off < 0 {
            let msg = format!("negative seek position {off}");
            return Err(vm.value_error(&msg));
        }
    }
    let target = match whence {
        0 => {
            if off < 0 {
                let e = std::io::Error::from_raw_os_error(22);
                return Err(os_error(vm, &e, None));
            }
            SeekFrom::Start(off as u64)
        }
        1 => SeekFrom::Current(off),
        2 => SeekFrom::End(off),
        _ => {
            let msg = if f.binary {
                format!("whence value {whence} unsupported")
            } else {
                format!("invalid whence ({whence}, should be 0, 1 or 2)")
            };
            return Err(vm.value_error(&msg));
        }
    };
    let mut st = f.state.lock();
    let r = (|| -> std::io::Result<u64> {
        sync_position(f, &mut st)?;
        match st.file.as_mut() {
            Some(file) => file.seek(target),
            None => Ok(0),
        }
    })();
    drop(st);
    let p = r.map_err(|e| os_error(vm, &e, None))?;
    Ok(p as i64)
}

/// Truncate the file to at most pos bytes (the current position by default).
#[native("truncate($self, pos=None, /)")]
fn truncate(vm: &mut Vm, this: FileRef, pos: Value) -> PyResult<i64> {
    let f = this.f;
    if f.binary && !f.writable {
        return Err(unsupported(vm, "truncate"));
    }
    check_writable(vm, f)?;
    let size = if pos.is_none() { None } else { Some(vm.index_value(&pos)?) };
    let mut st = f.state.lock();
    let r = (|| -> std::io::Result<u64> {
        sync_position(f, &mut st)?;
        let file = st.file.as_mut().expect("checked open");
        let n = match size {
            Some(n) => n as u64,
            None => file.stream_position()?,
        };
        file.set_len(n)?;
        Ok(n)
    })();
    drop(st);
    let n = r.map_err(|e| os_error(vm, &e, Some(&f.name)))?;
    Ok(n as i64)
}

/// Return the underlying file descriptor (an integer).
#[native("fileno($self, /)")]
fn fileno(vm: &mut Vm, this: FileRef) -> PyResult<i64> {
    use std::os::unix::io::AsRawFd;
    let fd = this.f.state.lock().file.as_ref().map(|f| f.as_raw_fd());
    match fd {
        Some(fd) => Ok(fd as i64),
        None => Err(closed_error(vm)),
    }
}

fn open_check(vm: &mut Vm, f: &FileObj) -> PyResult<()> {
    if f.state.lock().file.is_none() {
        return Err(vm.value_error("I/O operation on closed file"));
    }
    Ok(())
}

/// True if the file was opened for reading.
#[native("readable($self, /)")]
fn readable(vm: &mut Vm, this: FileRef) -> PyResult<bool> {
    open_check(vm, this.f)?;
    Ok(this.f.readable)
}

/// True if the file was opened for writing.
#[native("writable($self, /)")]
fn writable(vm: &mut Vm, this: FileRef) -> PyResult<bool> {
    open_check(vm, this.f)?;
    Ok(this.f.writable)
}

/// True: files support random access.
#[native("seekable($self, /)")]
fn seekable(vm: &mut Vm, this: FileRef) -> PyResult<bool> {
    open_check(vm, this.f)?;
    Ok(true)
}

/// Return whether object was opened for reading.
#[native("_IOBase.readable($self, /)")]
fn no_readable(_vm: &mut Vm, _this: FileRef) -> PyResult<bool> {
    Ok(false)
}

/// Return whether object was opened for writing.
#[native("_IOBase.writable($self, /)")]
fn no_writable(_vm: &mut Vm, _this: FileRef) -> PyResult<bool> {
    Ok(false)
}

/// Return whether object supports random access.
#[native("_IOBase.seekable($self, /)")]
fn no_seekable(_vm: &mut Vm, _this: FileRef) -> PyResult<bool> {
    Ok(false)
}

/// Return whether this is an 'interactive' stream.
#[native("isatty($self, /)")]
fn isatty(vm: &mut Vm, this: FileRef) -> PyResult<bool> {
    use std::io::IsTerminal;
    open_check(vm, this.f)?;
    Ok(this.f.state.lock().file.as_ref().map(|f| f.is_terminal()).unwrap_or(false))
}

/// Return self (a file must be open to enter a `with` block).
#[native("_IOBase.__enter__($self, /)")]
fn __enter__(vm: &mut Vm, this: FileRef) -> PyResult<Value> {
    if this.f.state.lock().file.is_none() {
        return Err(closed_error(vm));
    }
    Ok(this.v.clone())
}

/// Close the file on leaving a `with` block.
#[native("_IOBase.__exit__($self, *args)")]
fn __exit__(vm: &mut Vm, this: FileRef, args: &[Value]) -> PyResult<()> {
    let _ = args;
    close_file(vm, this.f)
}

/// Return repr(self).
#[native("__repr__($self, /)", style = "slot")]
fn __repr__(vm: &mut Vm, this: FileRef) -> PyResult<String> {
    let f = this.f;
    let cls = vm.class_of(this.v).class_name().to_string();
    let name = match f.name_value.unwrap_base() {
        Value::Int(_) | Value::Bool(_) => f.name.clone(),
        _ => crate::builtins::repr::str_repr(&f.name),
    };
    Ok(if f.binary {
        format!("<_io.{cls} name={name}>")
    } else {
        format!(
            "<_io.{cls} name={name} mode={} encoding={}>",
            crate::builtins::repr::str_repr(&f.mode),
            crate::builtins::repr::str_repr(&f.encoding_label)
        )
    })
}

/// True if the file is closed.
#[native("closed($self)")]
fn closed(_vm: &mut Vm, this: FileRef) -> PyResult<bool> {
    Ok(this.f.state.lock().file.is_none())
}

/// The file name given to open().
#[native("name($self)")]
fn name(_vm: &mut Vm, this: FileRef) -> PyResult<Value> {
    Ok(this.f.name_value.clone())
}

/// The mode given to open().
#[native("mode($self)")]
fn mode(_vm: &mut Vm, this: FileRef) -> PyResult<String> {
    Ok(this.f.mode.clone())
}

/// Encoding of the text stream.
#[native("encoding($self)")]
fn encoding(_vm: &mut Vm, this: FileRef) -> PyResult<String> {
    Ok(this.f.encoding_label.clone())
}
