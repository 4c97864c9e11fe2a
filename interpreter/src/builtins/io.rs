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

use crate::interp::{add_methods, builtins_module, native, new_class, set_class_attr, types};
use crate::native::Exc;
use crate::value::class::BaseKind;
use crate::value::function::PropertyObj;
use crate::value::instance::InstanceObj;
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

/// `OSError.__str__`: `[Errno N] strerror: 'filename'` when those are known.
fn oserror_str(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let this = args.pos.first().cloned().unwrap_or(Value::None);
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

/// The native payload of a file object.
pub struct FileObj {
    name: String,
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

struct Classes {
    text: ObjRef,
    reader: ObjRef,
    writer: ObjRef,
    random: ObjRef,
    unsupported: ObjRef,
}

fn classes() -> &'static Classes {
    static C: OnceLock<Classes> = OnceLock::new();
    C.get_or_init(|| {
        let mk = |name: &str| {
            let cls = new_class(name, "_io", vec![types().object.clone()], BaseKind::Builtin, true, Default::default());
            add_methods(&cls, METHODS);
            for (pname, f) in PROPS {
                let p = PropertyObj {
                    fget: native(pname, pname, *f),
                    fset: Value::None,
                    fdel: Value::None,
                    doc: Value::None,
                };
                set_class_attr(&cls, pname, Value::Obj(ObjRef::new_immortal(Object::Property(p))));
            }
            cls
        };
        let unsupported = new_class(
            "UnsupportedOperation",
            "io",
            vec![Exc::OSError.class().clone(), Exc::ValueError.class().clone()],
            BaseKind::Exception,
            true,
            Default::default(),
        );
        Classes {
            text: mk("TextIOWrapper"),
            reader: mk("BufferedReader"),
            writer: mk("BufferedWriter"),
            random: mk("BufferedRandom"),
            unsupported,
        }
    })
}

/// `io.UnsupportedOperation` (a subclass of OSError and ValueError, as in CPython).
pub fn unsupported_operation() -> ObjRef {
    classes().unsupported.clone()
}

const METHODS: &[(&str, crate::value::function::NativeFn)] = &[
    ("read", read),
    ("readline", readline),
    ("readlines", readlines),
    ("write", write),
    ("writelines", writelines),
    ("close", close),
    ("flush", flush),
    ("seek", seek),
    ("tell", tell),
    ("truncate", truncate),
    ("fileno", fileno),
    ("readable", readable),
    ("writable", writable),
    ("seekable", seekable),
    ("isatty", isatty),
    ("__iter__", iter),
    ("__next__", next),
    ("__enter__", enter),
    ("__exit__", exit),
    ("__repr__", repr),
];

const PROPS: &[(&str, crate::value::function::NativeFn)] =
    &[("closed", closed), ("name", name), ("mode", mode), ("encoding", encoding)];

pub fn register(_vm: &mut Vm) {
    let _ = classes();
    builtins_module().globals.set(&intern("open"), native("open", "open", open));
    add_methods(&Exc::OSError.class().clone(), &[("__str__", oserror_str)]);
    static AT_EXIT: OnceLock<()> = OnceLock::new();
    AT_EXIT.get_or_init(|| {
        // SAFETY: registers a plain function with the C runtime once.
        unsafe { atexit(flush_all_at_exit) };
    });
}

fn this_file<'a>(vm: &mut Vm, args: &'a Args) -> PyResult<&'a FileObj> {
    match args.pos.first().and_then(|v| v.as_instance()).and_then(|i| i.native::<FileObj>()) {
        Some(f) => Ok(f),
        None => Err(vm.type_error("descriptor requires a file object")),
    }
}

fn closed_error(vm: &mut Vm) -> PyErr {
    vm.value_error("I/O operation on closed file.")
}

fn unsupported(vm: &mut Vm, msg: &str) -> PyErr {
    let cls = unsupported_operation();
    vm.new_exception(&cls, vec![Value::str(msg)])
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

/// `open(file, mode='r', buffering=-1, encoding=None, errors=None, newline=None)`.
fn open(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let file = args.take(0, "file");
    let mode = args.take(1, "mode");
    let _buffering = args.take(2, "buffering");
    let encoding = args.take(3, "encoding");
    let errors = args.take(4, "errors");
    let newline = args.take(5, "newline");
    let _closefd = args.take(6, "closefd");
    if let Some((k, _)) = args.kw.first() {
        let msg = format!("'{}' is an invalid keyword argument for open()", k.str_text());
        return Err(vm.type_error(&msg));
    }
    let Some(file) = file else {
        return Err(vm.type_error("open() missing required argument 'file' (pos 1)"));
    };
    let path = match file.unwrap_base().obj() {
        Some(Object::Str(s)) => s.as_str().to_string(),
        Some(Object::Bytes(b)) => String::from_utf8_lossy(b).into_owned(),
        _ => {
            let msg = format!("expected str, bytes or os.PathLike object, not {}", vm.type_name(&file));
            return Err(vm.type_error(&msg));
        }
    };
    let mode_s = opt_str(vm, mode, "mode")?.unwrap_or_else(|| "r".into());
    let m = parse_mode(vm, &mode_s)?;
    let enc_s = opt_str(vm, encoding, "encoding")?;
    let errors_s = opt_str(vm, errors, "errors")?;
    let newline_s = opt_str(vm, newline, "newline")?;
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
            let msg = format!("illegal newline value: {}", crate::builtins::repr::str_repr(other));
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
    let f = opts.open(&path).map_err(|e| os_error(vm, &e, Some(&path)))?;
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
        classes().text.clone()
    } else if m.plus {
        classes().random.clone()
    } else if m.read {
        classes().reader.clone()
    } else {
        classes().writer.clone()
    };
    let obj = FileObj {
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
    Ok(Value::new(Object::Instance(InstanceObj::with_native(cls, Box::new(obj)))))
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

fn size_arg(vm: &mut Vm, args: &mut Args, name: &str) -> PyResult<i64> {
    match args.take(1, name) {
        None | Some(Value::None) => Ok(-1),
        Some(v) => vm.index_value(&v),
    }
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

fn read(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let n = size_arg(vm, &mut args, "size")?;
    let f = this_file(vm, &args)?;
    check_readable(vm, f)?;
    read_n(f, n).map_err(|e| read_err(vm, f, e))
}

fn readline(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let n = size_arg(vm, &mut args, "size")?;
    let f = this_file(vm, &args)?;
    check_readable(vm, f)?;
    read_line(f, n).map_err(|e| read_err(vm, f, e))
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

fn readlines(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let hint = size_arg(vm, &mut args, "hint")?;
    let f = this_file(vm, &args)?;
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

fn iter(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let f = this_file(vm, &args)?;
    if f.state.lock().file.is_none() {
        return Err(closed_error(vm));
    }
    Ok(args.pos[0].clone())
}

fn next(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let f = this_file(vm, &args)?;
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
        if st.wbuf.len() >= CHUNK {
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

fn write(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let f = this_file(vm, &args)?;
    check_writable(vm, f)?;
    let Some(v) = args.pos.get(1) else {
        return Err(vm.type_error("write() takes exactly one argument (0 given)"));
    };
    let (data, n) = write_data(vm, f, v)?;
    write_bytes(vm, f, &data)?;
    Ok(Value::Int(n as i64))
}

fn writelines(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let f = this_file(vm, &args)?;
    check_writable(vm, f)?;
    let Some(src) = args.pos.get(1) else {
        return Err(vm.type_error("writelines() takes exactly one argument (0 given)"));
    };
    let items = vm.collect(src)?;
    let mut all = Vec::new();
    for it in &items {
        all.extend(write_data(vm, f, it)?.0);
    }
    write_bytes(vm, f, &all)?;
    Ok(Value::None)
}

// ---------------------------------------------------------------------------
// Positioning and the rest

fn close(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let f = this_file(vm, &args)?;
    let mut st = f.state.lock();
    let flushed = st.flush_w();
    st.file = None;
    st.raw = Vec::new();
    st.text = String::new();
    st.rpos = 0;
    st.tpos = 0;
    drop(st);
    flushed.map_err(|e| os_error(vm, &e, Some(&f.name)))?;
    Ok(Value::None)
}

fn flush(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let f = this_file(vm, &args)?;
    let mut st = f.state.lock();
    match st.file.as_mut() {
        None => {
            drop(st);
            Err(closed_error(vm))
        }
        Some(_) => {
            let r = st.flush_w();
            drop(st);
            r.map_err(|e| os_error(vm, &e, Some(&f.name)))?;
            Ok(Value::None)
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

fn tell(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let f = this_file(vm, &args)?;
    let mut st = f.state.lock();
    if st.file.is_none() {
        drop(st);
        return Err(closed_error(vm));
    }
    let r = position(f, &mut st);
    drop(st);
    let p = r.map_err(|e| os_error(vm, &e, Some(&f.name)))?;
    Ok(Value::Int(p as i64))
}

fn seek(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let off = match args.take(1, "cookie").or_else(|| args.take_kw("offset")) {
        Some(v) => vm.index_value(&v)?,
        None => return Err(vm.type_error("seek expected at least 1 argument, got 0")),
    };
    let whence = match args.take(2, "whence") {
        Some(v) => vm.index_value(&v)?,
        None => 0,
    };
    let f = this_file(vm, &args)?;
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
    Ok(Value::Int(p as i64))
}

fn truncate(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let size = args.take(1, "size");
    let f = this_file(vm, &args)?;
    check_writable(vm, f)?;
    let size = match size {
        Some(v) if !v.is_none() => Some(vm.index_value(&v)?),
        _ => None,
    };
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
    Ok(Value::Int(n as i64))
}

fn fileno(vm: &mut Vm, args: Args) -> PyResult<Value> {
    use std::os::unix::io::AsRawFd;
    let f = this_file(vm, &args)?;
    let fd = f.state.lock().file.as_ref().map(|f| f.as_raw_fd());
    match fd {
        Some(fd) => Ok(Value::Int(fd as i64)),
        None => Err(closed_error(vm)),
    }
}

fn open_check(vm: &mut Vm, f: &FileObj) -> PyResult<()> {
    if f.state.lock().file.is_none() {
        return Err(vm.value_error("I/O operation on closed file"));
    }
    Ok(())
}

fn readable(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let f = this_file(vm, &args)?;
    open_check(vm, f)?;
    Ok(Value::Bool(f.readable))
}

fn writable(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let f = this_file(vm, &args)?;
    open_check(vm, f)?;
    Ok(Value::Bool(f.writable))
}

fn seekable(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let f = this_file(vm, &args)?;
    open_check(vm, f)?;
    Ok(Value::Bool(true))
}

fn isatty(vm: &mut Vm, args: Args) -> PyResult<Value> {
    use std::io::IsTerminal;
    let f = this_file(vm, &args)?;
    open_check(vm, f)?;
    let t = f.state.lock().file.as_ref().map(|f| f.is_terminal()).unwrap_or(false);
    Ok(Value::Bool(t))
}

fn enter(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let f = this_file(vm, &args)?;
    if f.state.lock().file.is_none() {
        return Err(closed_error(vm));
    }
    Ok(args.pos[0].clone())
}

fn exit(vm: &mut Vm, args: Args) -> PyResult<Value> {
    close(vm, Args::new([args.pos[0].clone()]))?;
    Ok(Value::None)
}

fn repr(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let f = this_file(vm, &args)?;
    let cls = vm.class_of(&args.pos[0]).class_name().to_string();
    let name = crate::builtins::repr::str_repr(&f.name);
    Ok(Value::string(if f.binary {
        format!("<_io.{cls} name={name}>")
    } else {
        format!(
            "<_io.{cls} name={name} mode={} encoding={}>",
            crate::builtins::repr::str_repr(&f.mode),
            crate::builtins::repr::str_repr(&f.encoding_label)
        )
    }))
}

fn closed(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let f = this_file(vm, &args)?;
    Ok(Value::Bool(f.state.lock().file.is_none()))
}

fn name(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let f = this_file(vm, &args)?;
    Ok(Value::str(&f.name))
}

fn mode(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let f = this_file(vm, &args)?;
    Ok(Value::str(&f.mode))
}

fn encoding(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let f = this_file(vm, &args)?;
    if f.binary {
        let msg = format!("'{}' object has no attribute 'encoding'", vm.type_name(&args.pos[0]));
        return Err(vm.error(Exc::AttributeError, &msg));
    }
    Ok(Value::str(&f.encoding_label))
}
