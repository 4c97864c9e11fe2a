//! `sys.stdin`, `sys.stdout` and `sys.stderr` (CPython's `_io.TextIOWrapper` over the
//! standard descriptors) and writing to any file-like object for `print(file=...)`.
//!
//! The text itself goes through `crate::stdio` (one buffer for stdout, shared with
//! `print`). Write errors are the script's: a closed pipe is BrokenPipeError, a full
//! disk OSError, at the write that hit them or, for text still buffered at exit, as
//! CPython's "Exception ignored" report with exit status 120 (`flush_at_exit`).
//! The binary layer (`.buffer`) is in `sys_io_buffer.rs`.

use crate::builtins::io::{os_error, unsupported_operation};
use crate::native::{native, Exc, NativeClass, NativePayload, Property};
use crate::value::instance::InstanceObj;
use crate::value::{ObjRef, Object, Value};
use crate::vm::{Args, PyErr, PyResult, Vm};
use parking_lot::Mutex;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// One standard stream: its descriptor and the state a script can change.
pub struct StdStream {
    pub fd: u8,
    closed: AtomicBool,
    /// The error handler's name (`errors`), as `reconfigure` last set it.
    errors: Mutex<String>,
    /// `line_buffering` as CPython reports it (the stdout buffer's own mode is in
    /// `crate::stdio`).
    line_buffering: AtomicBool,
}

impl NativePayload for StdStream {
    const CLASS: &'static NativeClass = &STD_STREAM;
}

/// The class of the three standard streams.
pub static STD_STREAM: NativeClass = NativeClass {
    name: "TextIOWrapper",
    module: "_io",
    doc: "Character and line based layer over a BufferedIOBase object, buffer.",
    methods: &[
        &write::DEF,
        &flush::DEF,
        &close::DEF,
        &fileno::DEF,
        &isatty::DEF,
        &read::DEF,
        &readline::DEF,
        &readlines::DEF,
        &readable::DEF,
        &writable::DEF,
        &seekable::DEF,
        &reconfigure::DEF,
        &__iter__::DEF,
        &__next__::DEF,
        &__repr__::DEF,
    ],
    properties: &[
        Property { name: "closed", get: &closed::DEF, set: None },
        Property { name: "name", get: &name::DEF, set: None },
        Property { name: "mode", get: &mode::DEF, set: None },
        Property { name: "encoding", get: &encoding::DEF, set: None },
        Property { name: "errors", get: &errors::DEF, set: None },
        Property { name: "line_buffering", get: &line_buffering::DEF, set: None },
        Property { name: "newlines", get: &newlines::DEF, set: None },
        Property { name: "buffer", get: &buffer::DEF, set: None },
    ],
    ..NativeClass::DEFAULT
};

struct Streams {
    stdout: Value,
    stderr: Value,
    stdin: Value,
}

/// CPython's error handler for stdin and stdout: `surrogateescape` under the C or
/// POSIX locale and under the UTF-8 locales it coerces those to (PEP 538), else
/// `strict`; stderr always uses `backslashreplace`.
fn default_errors(fd: u8) -> &'static str {
    if fd == 2 {
        return "backslashreplace";
    }
    let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.is_empty())
        .unwrap_or_default();
    if locale.is_empty() || ["C", "POSIX", "C.UTF-8", "C.utf8", "UTF-8"].contains(&locale.as_str()) {
        "surrogateescape"
    } else {
        "strict"
    }
}

fn streams() -> &'static Streams {
    static S: OnceLock<Streams> = OnceLock::new();
    S.get_or_init(|| {
        let cls = STD_STREAM.class();
        let make = |fd: u8| {
            // CPython: line buffered when buffered at all and a terminal (stderr:
            // always); PYTHONUNBUFFERED writes through instead.
            let unbuffered = std::env::var_os("PYTHONUNBUFFERED").is_some_and(|v| !v.is_empty());
            let line = !unbuffered && (fd == 2 || (fd == 1 && std::io::stdout().is_terminal()));
            let payload = StdStream {
                fd,
                closed: AtomicBool::new(false),
                errors: Mutex::new(default_errors(fd).into()),
                line_buffering: AtomicBool::new(line),
            };
            Value::Obj(ObjRef::new_immortal(Object::Instance(InstanceObj::with_native(cls.clone(), Box::new(payload)))))
        };
        Streams { stdin: make(0), stdout: make(1), stderr: make(2) }
    })
}

/// The `sys` module and the index of its `stdout` slot, recorded when `sys` is
/// initialised, so `print()` without `file=` can follow a script that rebinds
/// `sys.stdout` (`contextlib.redirect_stdout`, `sys.stdout = f`).
static SYS_STDOUT: OnceLock<(ObjRef, u32)> = OnceLock::new();

/// Makes `print()` write to whatever `sys.stdout` of module `sys` is bound to.
pub fn follow_sys_stdout(sys: &ObjRef) {
    if let Object::Module(m) = &**sys {
        let slot = m.globals.slot_for(&crate::value::str::intern("stdout"));
        let _ = SYS_STDOUT.set((sys.clone(), slot));
    }
}

/// What `sys.stdout` is bound to if a script replaced the standard stream, else
/// None. The standard stream is immortal, so the common case reads the slot
/// without writing anything.
pub fn replaced_stdout() -> Option<Value> {
    let (sys, slot) = SYS_STDOUT.get()?;
    let Object::Module(m) = &**sys else {
        return None;
    };
    let current = m.globals.slot(*slot).get();
    match (&current, &streams().stdout) {
        (Value::Null, _) => None,
        (Value::Obj(a), Value::Obj(b)) if a.ptr_eq(b) => None,
        _ => Some(current),
    }
}

pub fn register(_vm: &mut Vm) {
    let _ = streams();
}

pub fn stdout() -> Value {
    streams().stdout.clone()
}

pub fn stderr() -> Value {
    streams().stderr.clone()
}

pub fn stdin() -> Value {
    streams().stdin.clone()
}

/// The payload of a standard stream by descriptor.
pub(crate) fn stream(fd: u8) -> &'static StdStream {
    let s = streams();
    let v = match fd {
        0 => &s.stdin,
        2 => &s.stderr,
        _ => &s.stdout,
    };
    v.as_instance().and_then(|i| i.native::<StdStream>()).expect("standard stream payload")
}

fn closed_error(vm: &mut Vm) -> PyErr {
    vm.value_error("I/O operation on closed file.")
}

fn unsupported(vm: &mut Vm, msg: &str) -> PyErr {
    let cls = unsupported_operation();
    vm.new_exception(&cls, vec![Value::str(msg)])
}

impl StdStream {
    fn check_open(&self, vm: &mut Vm) -> PyResult<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(closed_error(vm));
        }
        Ok(())
    }

    /// Writes bytes to this stream (stdout or stderr), raising what the write hit.
    pub(crate) fn write_bytes(&self, vm: &mut Vm, data: &[u8]) -> PyResult<()> {
        self.check_open(vm)?;
        let r = match self.fd {
            0 => return Err(unsupported(vm, "not writable")),
            2 => crate::stdio::try_write_stderr(data),
            _ => crate::stdio::try_write_stdout(data),
        };
        r.map_err(|e| os_error(vm, &e, None))
    }

    pub(crate) fn flush(&self, vm: &mut Vm) -> PyResult<()> {
        self.check_open(vm)?;
        if self.fd == 1 {
            crate::stdio::try_flush_stdout().map_err(|e| os_error(vm, &e, None))?;
        }
        Ok(())
    }

    /// Flushes, then marks the stream closed even when the flush failed (the
    /// unwritten text is dropped), raising the flush's error as CPython's close does.
    pub(crate) fn close(&self, vm: &mut Vm) -> PyResult<()> {
        if self.closed.load(Ordering::Acquire) {
            return Ok(());
        }
        let r = self.flush(vm);
        if self.fd == 1 {
            crate::stdio::discard_stdout();
        }
        self.closed.store(true, Ordering::Release);
        r
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// The check of the methods CPython's text layer passes to the raw file, whose
    /// message has no full stop.
    fn check_open_raw(&self, vm: &mut Vm) -> PyResult<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(vm.value_error("I/O operation on closed file"));
        }
        Ok(())
    }

    fn check_readable(&self, vm: &mut Vm) -> PyResult<()> {
        self.check_open(vm)?;
        if self.fd != 0 {
            return Err(unsupported(vm, "not readable"));
        }
        Ok(())
    }
}

/// `print()` to the standard output (no `file=`): CPython's errors for a closed
/// stream and for a failed write.
pub fn print_to_stdout(vm: &mut Vm, text: &str) -> PyResult<()> {
    stream(1).write_bytes(vm, text.as_bytes())
}

/// At exit: flushes what stdout still holds. A failure is reported as CPython does
/// ("Exception ignored in: <stdout's repr>" and the error) and makes the exit
/// status 120; else `status` is kept.
pub fn flush_at_exit(vm: &mut Vm, status: i32) -> i32 {
    let out = stream(1);
    if out.is_closed() {
        return status;
    }
    match crate::stdio::try_flush_stdout() {
        Ok(()) => status,
        Err(e) => {
            crate::stdio::discard_stdout();
            let err = os_error(vm, &e, None);
            let text = vm.format_exception(&err.exc);
            crate::stdio::write_stderr(&format!("Exception ignored in: {}\n{text}", stream_repr(1)));
            120
        }
    }
}

fn stream_name(fd: u8) -> &'static str {
    match fd {
        0 => "<stdin>",
        2 => "<stderr>",
        _ => "<stdout>",
    }
}

fn stream_repr(fd: u8) -> String {
    let mode = if fd == 0 { "r" } else { "w" };
    format!("<_io.TextIOWrapper name='{}' mode='{mode}' encoding='utf-8'>", stream_name(fd))
}

/// Write string s to stream.
///
/// Return the number of characters written
/// (which is always equal to the length of the string).
#[native("TextIOWrapper.write($self, text, /)")]
fn write(vm: &mut Vm, this: &StdStream, text: &Value) -> PyResult<usize> {
    let Some(s) = text.as_str() else {
        let msg = format!("write() argument must be str, not {}", vm.type_name(text));
        return Err(vm.type_error(&msg));
    };
    this.write_bytes(vm, s.as_str().as_bytes())?;
    Ok(s.char_len())
}

/// Flush write buffers, if applicable.
#[native("TextIOWrapper.flush($self, /)")]
fn flush(vm: &mut Vm, this: &StdStream) -> PyResult<()> {
    this.flush(vm)
}

/// Flush and close the IO object.
///
/// This method has no effect if the file is already closed.
#[native("TextIOWrapper.close($self, /)")]
fn close(vm: &mut Vm, this: &StdStream) -> PyResult<()> {
    this.close(vm)
}

/// Return the underlying file descriptor (an integer).
#[native("TextIOWrapper.fileno($self, /)")]
fn fileno(vm: &mut Vm, this: &StdStream) -> PyResult<i64> {
    this.check_open_raw(vm)?;
    Ok(this.fd as i64)
}

/// Return whether this is an 'interactive' stream.
#[native("TextIOWrapper.isatty($self, /)")]
fn isatty(vm: &mut Vm, this: &StdStream) -> PyResult<bool> {
    this.check_open_raw(vm)?;
    Ok(match this.fd {
        0 => std::io::stdin().is_terminal(),
        2 => std::io::stderr().is_terminal(),
        _ => std::io::stdout().is_terminal(),
    })
}

/// Reads characters from stdin: at most `limit` (all when None), stopping after a
/// newline when `line`.
fn read_chars(vm: &mut Vm, limit: Option<usize>, line: bool) -> PyResult<String> {
    use std::io::BufRead;
    let stdin = std::io::stdin();
    let mut lock = stdin.lock();
    let mut out: Vec<u8> = Vec::new();
    let mut chars = 0usize;
    'fill: loop {
        let buf = match lock.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(os_error(vm, &e, None)),
        };
        if buf.is_empty() {
            break;
        }
        let mut used = 0;
        for &c in buf {
            // A byte that is not a UTF-8 continuation starts a character.
            if c & 0xc0 != 0x80 {
                if limit.is_some_and(|n| chars >= n) {
                    lock.consume(used);
                    break 'fill;
                }
                chars += 1;
            }
            out.push(c);
            used += 1;
            if line && c == b'\n' {
                lock.consume(used);
                break 'fill;
            }
        }
        lock.consume(used);
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn size_limit(size: i64) -> Option<usize> {
    (size >= 0).then_some(size as usize)
}

/// Read at most size characters from stream.
///
/// Read from underlying buffer until we have size characters or we hit EOF.
/// If size is negative or omitted, read until EOF.
#[native("TextIOWrapper.read($self, size=-1, /)")]
fn read(vm: &mut Vm, this: &StdStream, size: Option<i64>) -> PyResult<String> {
    this.check_readable(vm)?;
    read_chars(vm, size_limit(size.unwrap_or(-1)), false)
}

/// Read until newline or EOF; at most `size` characters when `size >= 0`.
#[native("TextIOWrapper.readline($self, size=-1, /)")]
fn readline(vm: &mut Vm, this: &StdStream, size: i64) -> PyResult<String> {
    this.check_readable(vm)?;
    read_chars(vm, size_limit(size), true)
}

/// Return a list of lines from the stream.
///
/// hint can be specified to control the number of lines read: no more
/// lines will be read if the total size (in bytes/characters) of all
/// lines so far exceeds hint.
#[native("TextIOWrapper.readlines($self, hint=-1, /)")]
fn readlines(vm: &mut Vm, this: &StdStream, hint: Option<i64>) -> PyResult<Value> {
    this.check_readable(vm)?;
    let hint = hint.unwrap_or(-1);
    let mut lines = Vec::new();
    let mut total = 0usize;
    loop {
        let l = read_chars(vm, None, true)?;
        if l.is_empty() {
            break;
        }
        total += l.chars().count();
        lines.push(Value::string(l));
        if hint > 0 && total >= hint as usize {
            break;
        }
    }
    Ok(Value::list(lines))
}

/// Return whether object was opened for reading.
#[native("TextIOWrapper.readable($self, /)")]
fn readable(vm: &mut Vm, this: &StdStream) -> PyResult<bool> {
    this.check_open_raw(vm)?;
    Ok(this.fd == 0)
}

/// Return whether object was opened for writing.
#[native("TextIOWrapper.writable($self, /)")]
fn writable(vm: &mut Vm, this: &StdStream) -> PyResult<bool> {
    this.check_open_raw(vm)?;
    Ok(this.fd != 0)
}

/// Return whether object supports random access.
#[native("TextIOWrapper.seekable($self, /)")]
fn seekable(vm: &mut Vm, this: &StdStream) -> PyResult<bool> {
    this.check_open_raw(vm)?;
    // SAFETY: lseek on one of the process's standard descriptors only asks where
    // it stands; it moves nothing (offset 0 from the current position).
    Ok(unsafe { libc::lseek(this.fd as libc::c_int, 0, libc::SEEK_CUR) } >= 0)
}

/// Reconfigure the text stream with new parameters.
///
/// This also does an implicit stream flush.
#[native(
    "TextIOWrapper.reconfigure($self, *, encoding=None, errors=None, newline=None, line_buffering=None, write_through=None)"
)]
fn reconfigure(
    vm: &mut Vm,
    this: &StdStream,
    encoding: Option<&Value>,
    errors: Option<&Value>,
    newline: Option<&Value>,
    line_buffering: Option<&Value>,
    write_through: Option<&Value>,
) -> PyResult<()> {
    let text_arg = |vm: &mut Vm, name: &str, v: Option<&Value>| -> PyResult<Option<String>> {
        match v {
            None | Some(Value::None) => Ok(None),
            Some(v) => match v.as_str() {
                Some(s) => Ok(Some(s.as_str().to_string())),
                None => {
                    let msg = format!("reconfigure() argument '{name}' must be str or None, not {}", vm.type_name(v));
                    Err(vm.type_error(&msg))
                }
            },
        }
    };
    let encoding = text_arg(vm, "encoding", encoding)?;
    let errors = text_arg(vm, "errors", errors)?;
    let newline = text_arg(vm, "newline", newline)?;
    this.check_open(vm)?;
    if let Some(enc) = &encoding {
        let norm = enc.to_ascii_lowercase().replace('_', "-");
        if norm != "utf-8" && norm != "utf8" {
            let msg = format!("conc's standard streams only write UTF-8, not {enc:?}");
            return Err(vm.error(Exc::NotImplementedError, &msg));
        }
    }
    if let Some(nl) = &newline {
        if !["", "\n", "\r", "\r\n"].contains(&nl.as_str()) {
            let msg = format!("illegal newline value: {nl}");
            return Err(vm.value_error(&msg));
        }
    }
    let line = match line_buffering {
        None | Some(Value::None) => None,
        Some(v) => Some(vm.truthy(v)?),
    };
    if let Some(v) = write_through {
        vm.truthy(v)?;
    }
    this.flush(vm)?;
    if let Some(e) = errors {
        *this.errors.lock() = e;
    } else if encoding.is_some() {
        // As CPython: a new encoding without errors= resets the handler.
        *this.errors.lock() = "strict".into();
    }
    if let Some(on) = line {
        this.line_buffering.store(on, Ordering::Release);
        if this.fd == 1 {
            crate::stdio::set_line_buffered(on);
        }
    }
    Ok(())
}

/// Implement iter(self).
#[native("TextIOWrapper.__iter__($self, /)", style = "slot")]
fn __iter__(vm: &mut Vm, this: &StdStream) -> PyResult<Value> {
    this.check_open(vm)?;
    Ok(match this.fd {
        0 => stdin(),
        2 => stderr(),
        _ => stdout(),
    })
}

/// Implement next(self).
#[native("TextIOWrapper.__next__($self, /)", style = "slot")]
fn __next__(vm: &mut Vm, this: &StdStream) -> PyResult<Value> {
    this.check_readable(vm)?;
    let line = read_chars(vm, None, true)?;
    if line.is_empty() {
        let cls = Exc::StopIteration.class().clone();
        return Err(vm.new_exception(&cls, vec![]));
    }
    Ok(Value::string(line))
}

/// Return repr(self).
#[native("TextIOWrapper.__repr__($self, /)", style = "slot")]
fn __repr__(_vm: &mut Vm, this: &StdStream) -> PyResult<String> {
    Ok(stream_repr(this.fd))
}

#[native("closed($self)")]
fn closed(_vm: &mut Vm, this: &StdStream) -> PyResult<bool> {
    Ok(this.is_closed())
}

#[native("name($self)")]
fn name(_vm: &mut Vm, this: &StdStream) -> PyResult<&'static str> {
    Ok(stream_name(this.fd))
}

#[native("mode($self)")]
fn mode(_vm: &mut Vm, this: &StdStream) -> PyResult<&'static str> {
    Ok(if this.fd == 0 { "r" } else { "w" })
}

/// Encoding of the text stream.
#[native("encoding($self)")]
fn encoding(_vm: &mut Vm, _this: &StdStream) -> PyResult<&'static str> {
    Ok("utf-8")
}

/// The error setting of the decoder or encoder.
#[native("errors($self)")]
fn errors(_vm: &mut Vm, this: &StdStream) -> PyResult<String> {
    Ok(this.errors.lock().clone())
}

#[native("line_buffering($self)")]
fn line_buffering(_vm: &mut Vm, this: &StdStream) -> PyResult<bool> {
    Ok(this.line_buffering.load(Ordering::Acquire))
}

#[native("newlines($self)")]
fn newlines(_vm: &mut Vm, _this: &StdStream) -> PyResult<Value> {
    Ok(Value::None)
}

/// The binary stream under the text layer.
#[native("buffer($self)")]
fn buffer(_vm: &mut Vm, this: &StdStream) -> PyResult<Value> {
    Ok(super::sys_io_buffer::buffer_of(this.fd))
}

/// Writes `text` to a file-like object (`print(file=f)`).
pub fn write_to(vm: &mut Vm, file: &Value, text: &str) -> PyResult<()> {
    if let Some(s) = file.as_instance().and_then(|i| i.native::<StdStream>()) {
        return s.write_bytes(vm, text.as_bytes());
    }
    let w = crate::value::str::intern("write");
    let f = vm.get_attr(file, &w)?;
    vm.call(&f, Args::new([Value::str(text)]))?;
    Ok(())
}
