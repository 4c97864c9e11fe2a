//! `socket.makefile()`: buffered file objects over a socket, binary or text. One
//! payload type serves the four classes CPython returns (`BufferedReader`,
//! `BufferedWriter`, `BufferedRWPair`, `TextIOWrapper`), named as CPython names them
//! so reprs match.
//!
//! The file holds its own share of the socket's descriptor (`wait::SockFd`): closing
//! the socket leaves the file working, and the descriptor closes when both are
//! closed, as CPython's `_io_refs` count does. Reads and writes have separate
//! buffers under separate locks, and no lock is held while the socket waits: a read
//! takes what is buffered, and when that is not enough, receives into a fresh chunk
//! with the buffer unlocked, then appends it.

use super::sock::{send_some, SharedTimeout, Sock};
use super::wait::{self, check, Deadline, SockFd};
use conc_interpreter::builtins::str_methods::{decode_bytes, encode_str};
use conc_interpreter::native::{native, Exc, NativeClass, NativePayload, Property};
use conc_interpreter::{Object, PyErr, PyResult, Value, Vm};
use parking_lot::Mutex;
use std::sync::Arc;

/// How much one receive asks for.
const CHUNK: usize = 65536;
/// Written data is sent once this much is waiting (or on flush).
const WRITE_BUFFER: usize = 8192;

struct ReadBuf {
    data: Vec<u8>,
    pos: usize,
}

impl ReadBuf {
    fn available(&self) -> &[u8] {
        &self.data[self.pos..]
    }

    /// Takes the first `n` available bytes.
    fn take(&mut self, n: usize) -> Vec<u8> {
        let out = self.data[self.pos..self.pos + n].to_vec();
        self.pos += n;
        if self.pos == self.data.len() {
            self.data.clear();
            self.pos = 0;
        }
        out
    }

    fn append(&mut self, chunk: &[u8]) {
        if self.pos > 0 && self.pos * 2 > self.data.len() {
            self.data.drain(..self.pos);
            self.pos = 0;
        }
        self.data.extend_from_slice(chunk);
    }
}

/// How text mode translates line endings (`newline=`).
#[derive(Clone, Copy, PartialEq)]
enum Newline {
    /// None: "\r\n" read as "\n"; "\n" written as it is.
    Universal,
    /// '' or '\n': nothing translated.
    Untranslated,
    /// '\r\n' or '\r': "\n" written as that ending.
    Write(&'static str),
}

pub struct SockFile {
    fd: Mutex<Option<Arc<SockFd>>>,
    timeout: SharedTimeout,
    readable: bool,
    writable: bool,
    /// Text mode: the encoding and error handler; None for binary files.
    text: Option<(String, String)>,
    newline: Newline,
    mode: String,
    number: i32,
    rbuf: Mutex<ReadBuf>,
    wbuf: Mutex<Vec<u8>>,
}

impl NativePayload for SockFile {
    const CLASS: &'static NativeClass = &BUFFERED_RWPAIR;
}

impl Drop for SockFile {
    fn drop(&mut self) {
        // A file dropped without close() still sends what it buffered, as CPython's
        // finaliser flushes: best effort, since no script thread can wait here.
        let pending = std::mem::take(self.wbuf.get_mut());
        if let Some(fd) = self.fd.get_mut().as_ref() {
            let mut done = 0;
            let mut tries = 0;
            while done < pending.len() && tries < 100 {
                let rest = &pending[done..];
                // SAFETY: `rest` is readable for its length.
                let n =
                    unsafe { libc::send(fd.raw, rest.as_ptr() as *const libc::c_void, rest.len(), libc::MSG_NOSIGNAL) };
                if n > 0 {
                    done += n as usize;
                } else if std::io::Error::last_os_error().kind() == std::io::ErrorKind::WouldBlock {
                    tries += 1;
                    wait::poll_one(fd.raw, libc::POLLOUT, std::time::Duration::from_millis(10));
                } else {
                    break;
                }
            }
        }
    }
}

const METHODS: &[&conc_interpreter::native::NativeDef] = &[
    &close::DEF,
    &detach_file::DEF,
    &fileno::DEF,
    &flush::DEF,
    &isatty::DEF,
    &read::DEF,
    &read1::DEF,
    &readable::DEF,
    &readline::DEF,
    &readlines::DEF,
    &seekable::DEF,
    &writable::DEF,
    &write::DEF,
    &writelines::DEF,
    &__enter__::DEF,
    &__exit__::DEF,
    &__iter__::DEF,
    &__next__::DEF,
    &__repr__::DEF,
];

const PROPS: &[Property] = &[
    Property { name: "closed", get: &closed::DEF, set: None },
    Property { name: "mode", get: &mode::DEF, set: None },
    Property { name: "name", get: &name::DEF, set: None },
];

pub static BUFFERED_READER: NativeClass = NativeClass {
    name: "BufferedReader",
    module: "_io",
    doc: "A buffered reader over a socket (socket.makefile('rb')).",
    methods: METHODS,
    properties: PROPS,
    ..NativeClass::DEFAULT
};

pub static BUFFERED_WRITER: NativeClass = NativeClass {
    name: "BufferedWriter",
    module: "_io",
    doc: "A buffered writer over a socket (socket.makefile('wb')).",
    methods: METHODS,
    properties: PROPS,
    ..NativeClass::DEFAULT
};

pub static BUFFERED_RWPAIR: NativeClass = NativeClass {
    name: "BufferedRWPair",
    module: "_io",
    doc: "A buffered reader and writer over a socket (socket.makefile('rwb')).",
    methods: METHODS,
    properties: PROPS,
    ..NativeClass::DEFAULT
};

pub static TEXT_IO_WRAPPER: NativeClass = NativeClass {
    name: "TextIOWrapper",
    module: "_io",
    doc: "A text file over a socket (socket.makefile('r'), 'w', 'rw').",
    methods: METHODS,
    properties: PROPS,
    ..NativeClass::DEFAULT
};

fn opt_text(vm: &mut Vm, v: &Option<Value>, what: &str) -> PyResult<Option<String>> {
    match v {
        None | Some(Value::None) => Ok(None),
        Some(v) => match v.as_str() {
            Some(s) => Ok(Some(s.as_str().to_string())),
            None => {
                let msg = format!("{what} must be str or None, not {}", vm.type_name(v));
                Err(vm.type_error(&msg))
            }
        },
    }
}

/// makefile(mode='r', buffering=None, *, encoding=None, errors=None, newline=None)
#[native(
    "socket.makefile($self, mode='r', buffering=None, *, encoding=None, errors=None, newline=None)",
    style = "python"
)]
pub fn makefile(
    vm: &mut Vm,
    this: &Sock,
    mode: &str,
    buffering: Option<Value>,
    encoding: Option<Value>,
    errors: Option<Value>,
    newline: Option<Value>,
) -> PyResult<Value> {
    let _ = buffering;
    if !mode.chars().all(|c| "rwb".contains(c)) {
        let msg = format!("invalid mode '{mode}' (only r, w, b allowed)");
        return Err(vm.value_error(&msg));
    }
    let readable = mode.contains('r');
    let writable = mode.contains('w');
    let readable = readable || !writable;
    let binary = mode.contains('b');
    let encoding = opt_text(vm, &encoding, "encoding")?;
    let errors = opt_text(vm, &errors, "errors")?;
    let newline = match opt_text(vm, &newline, "newline")?.as_deref() {
        None => Newline::Universal,
        Some("") | Some("\n") => Newline::Untranslated,
        Some("\r\n") => Newline::Write("\r\n"),
        Some("\r") => Newline::Write("\r"),
        Some(other) => {
            let msg = format!("illegal newline value: {other}");
            return Err(vm.value_error(&msg));
        }
    };
    if binary && (encoding.is_some() || errors.is_some() || newline != Newline::Universal) {
        let what = if encoding.is_some() {
            "encoding"
        } else if errors.is_some() {
            "errors"
        } else {
            "newline"
        };
        let msg = format!("binary mode doesn't take an {what} argument");
        return Err(vm.value_error(&msg));
    }
    let fd = this.open_fd(vm)?;
    let text =
        (!binary).then(|| (encoding.unwrap_or_else(|| "UTF-8".into()), errors.unwrap_or_else(|| "strict".into())));
    let mut shown = String::new();
    if readable {
        shown.push('r');
    }
    if writable {
        shown.push('w');
    }
    if binary {
        shown.push('b');
    }
    let f = SockFile {
        number: fd.raw,
        fd: Mutex::new(Some(fd)),
        timeout: this.timeout.clone(),
        readable,
        writable,
        text,
        newline,
        mode: shown,
        rbuf: Mutex::new(ReadBuf { data: Vec::new(), pos: 0 }),
        wbuf: Mutex::new(Vec::new()),
    };
    let class = match (binary, readable, writable) {
        (false, _, _) => &TEXT_IO_WRAPPER,
        (true, true, true) => &BUFFERED_RWPAIR,
        (true, true, false) => &BUFFERED_READER,
        (true, false, _) => &BUFFERED_WRITER,
    };
    Ok(NativeClass::instance_of(class.class(), f))
}

fn closed_error(vm: &mut Vm) -> PyErr {
    vm.value_error("I/O operation on closed file.")
}

fn unsupported(vm: &mut Vm, what: &str) -> PyErr {
    let cls = conc_interpreter::builtins::io::unsupported_operation();
    vm.new_exception(&cls, vec![Value::str(what)])
}

impl SockFile {
    fn open_fd(&self, vm: &mut Vm) -> PyResult<Arc<SockFd>> {
        match &*self.fd.lock() {
            Some(f) => Ok(f.clone()),
            None => Err(closed_error(vm)),
        }
    }

    /// CPython's message for operation `op` on the closed file.
    fn closed_message(&self, op: &str) -> &'static str {
        if self.text.is_some() {
            return "I/O operation on closed file.";
        }
        match op {
            "read" | "read1" => "read of closed file",
            "readline" if self.readable && self.writable => "peek of closed file",
            "readline" => "readline of closed file",
            "write" => "write to closed file",
            "flush" if self.writable => "flush of closed file",
            _ => "I/O operation on closed file.",
        }
    }

    /// The descriptor for operation `op`, refusing a closed file.
    fn open_for(&self, vm: &mut Vm, op: &str) -> PyResult<Arc<SockFd>> {
        match &*self.fd.lock() {
            Some(f) => Ok(f.clone()),
            None => Err(vm.value_error(self.closed_message(op))),
        }
    }

    /// The descriptor for reading operation `op`: a binary file that cannot read
    /// says so before it looks at being closed, a text file after.
    fn check_readable(&self, vm: &mut Vm, op: &str) -> PyResult<Arc<SockFd>> {
        if self.text.is_some() {
            let fd = self.open_for(vm, op)?;
            if !self.readable {
                return Err(unsupported(vm, "not readable"));
            }
            return Ok(fd);
        }
        if !self.readable {
            return Err(unsupported(vm, if op == "readline" { "read" } else { op }));
        }
        self.open_for(vm, op)
    }

    /// Receives one chunk into the read buffer; 0 at end of file.
    fn fill(&self, vm: &mut Vm, fd: &SockFd) -> PyResult<usize> {
        let mut chunk = vec![0u8; CHUNK];
        let mut deadline = Deadline::new(self.timeout.get());
        let closed = || self.fd.lock().is_none();
        let n = wait::run(vm, fd.raw, libc::POLLIN, &mut deadline, "socket file read", &closed, |fd| {
            // SAFETY: `chunk` is writable for its length.
            check(unsafe { libc::recv(fd, chunk.as_mut_ptr() as *mut libc::c_void, chunk.len(), 0) })
        })?;
        if n > 0 {
            self.rbuf.lock().append(&chunk[..n]);
        }
        Ok(n)
    }

    /// Bytes up to and including the next b"\n" (at most `limit` when >= 0), or
    /// what is left at end of file.
    fn read_line_bytes(&self, vm: &mut Vm, limit: i64) -> PyResult<Vec<u8>> {
        let fd = self.check_readable(vm, "readline")?;
        let mut searched = 0;
        loop {
            {
                let mut rb = self.rbuf.lock();
                let avail = rb.available();
                let cap = if limit >= 0 { (limit as usize).min(avail.len()) } else { avail.len() };
                if let Some(i) = avail[searched.min(cap)..cap].iter().position(|b| *b == b'\n') {
                    let n = searched.min(cap) + i + 1;
                    return Ok(rb.take(n));
                }
                if limit >= 0 && avail.len() >= limit as usize {
                    return Ok(rb.take(limit as usize));
                }
                searched = avail.len();
            }
            if self.fill(vm, &fd)? == 0 {
                let mut rb = self.rbuf.lock();
                let n = rb.available().len();
                return Ok(rb.take(n));
            }
        }
    }

    /// `n` bytes (all until end of file when negative), fewer only at end of file.
    fn read_bytes(&self, vm: &mut Vm, n: i64) -> PyResult<Vec<u8>> {
        let fd = self.check_readable(vm, "read")?;
        loop {
            {
                let mut rb = self.rbuf.lock();
                if n >= 0 && rb.available().len() >= n as usize {
                    return Ok(rb.take(n as usize));
                }
            }
            if self.fill(vm, &fd)? == 0 {
                let mut rb = self.rbuf.lock();
                let k = rb.available().len();
                return Ok(rb.take(k));
            }
        }
    }

    /// Text from bytes read, with line endings translated.
    fn decode(&self, vm: &mut Vm, b: &[u8]) -> PyResult<String> {
        let (enc, errors) = self.text.as_ref().map(|(e, r)| (e.clone(), r.clone())).unwrap_or_default();
        let s = decode_bytes(vm, b, &enc, &errors)?;
        Ok(if self.newline == Newline::Universal && s.contains('\r') { s.replace("\r\n", "\n") } else { s })
    }

    /// Reads one line as the file's kind: bytes, or str in text mode.
    fn line_value(&self, vm: &mut Vm, limit: i64) -> PyResult<Value> {
        let b = self.read_line_bytes(vm, limit)?;
        if self.text.is_some() {
            return Ok(Value::string(self.decode(vm, &b)?));
        }
        Ok(bytes_value(b))
    }

    fn flush_writes(&self, vm: &mut Vm) -> PyResult<()> {
        let pending = std::mem::take(&mut *self.wbuf.lock());
        if pending.is_empty() {
            return Ok(());
        }
        let fd = self.open_fd(vm)?;
        let mut deadline = Deadline::new(self.timeout.get());
        let closed = || self.fd.lock().is_none();
        let mut done = 0;
        while done < pending.len() {
            done += send_some(vm, &fd, &pending[done..], 0, &mut deadline, &closed)?;
        }
        Ok(())
    }

    fn write_bytes(&self, vm: &mut Vm, data: &[u8]) -> PyResult<()> {
        if self.text.is_some() {
            self.open_for(vm, "write")?;
            if !self.writable {
                return Err(unsupported(vm, "not writable"));
            }
        } else {
            if !self.writable {
                return Err(unsupported(vm, "write"));
            }
            self.open_for(vm, "write")?;
        }
        let full = {
            let mut w = self.wbuf.lock();
            w.extend_from_slice(data);
            w.len() >= WRITE_BUFFER
        };
        if full {
            self.flush_writes(vm)?;
        }
        Ok(())
    }
}

fn bytes_value(b: Vec<u8>) -> Value {
    Value::new(Object::Bytes(b.into_boxed_slice()))
}

/// A size argument: an int, or None for no limit.
fn size_arg(vm: &mut Vm, v: &Option<Value>) -> PyResult<i64> {
    match v {
        None | Some(Value::None) => Ok(-1),
        Some(v) => vm.index_value(v),
    }
}

#[native("SocketFile.close($self, /)")]
fn close(vm: &mut Vm, this: &SockFile) -> PyResult<()> {
    if this.fd.lock().is_none() {
        return Ok(());
    }
    let r = if this.writable { this.flush_writes(vm) } else { Ok(()) };
    this.fd.lock().take();
    r
}

#[native("SocketFile.detach($self, /)")]
fn detach_file(vm: &mut Vm, this: &SockFile) -> PyResult<()> {
    let _ = this;
    Err(unsupported(vm, "detach"))
}

#[native("SocketFile.fileno($self, /)")]
fn fileno(vm: &mut Vm, this: &SockFile) -> PyResult<i64> {
    Ok(this.open_fd(vm)?.raw as i64)
}

#[native("SocketFile.flush($self, /)")]
fn flush(vm: &mut Vm, this: &SockFile) -> PyResult<()> {
    this.open_for(vm, "flush")?;
    this.flush_writes(vm)
}

#[native("SocketFile.isatty($self, /)")]
fn isatty(vm: &mut Vm, this: &SockFile) -> PyResult<bool> {
    this.open_fd(vm)?;
    Ok(false)
}

#[native("SocketFile.read($self, size=-1, /)")]
fn read(vm: &mut Vm, this: &SockFile, size: Option<Value>) -> PyResult<Value> {
    let n = size_arg(vm, &size)?;
    if this.text.is_none() {
        return Ok(bytes_value(this.read_bytes(vm, n)?));
    }
    if n < 0 {
        let b = this.read_bytes(vm, -1)?;
        return Ok(Value::string(this.decode(vm, &b)?));
    }
    // `n` characters: read until that many are decodable (a UTF-8 character is
    // complete when its last byte is not a continuation byte).
    let mut out = Vec::new();
    loop {
        let chars = out.iter().filter(|b| (**b & 0xC0) != 0x80).count();
        let complete = out.last().is_none_or(|b| *b < 0x80);
        if chars >= n as usize && complete || out.len() > n as usize * 4 + 4 {
            break;
        }
        let more = this.read_bytes(vm, 1)?;
        if more.is_empty() {
            break;
        }
        out.extend(more);
    }
    Ok(Value::string(this.decode(vm, &out)?))
}

#[native("SocketFile.read1($self, size=-1, /)")]
fn read1(vm: &mut Vm, this: &SockFile, size: Option<Value>) -> PyResult<Value> {
    let n = size_arg(vm, &size)?;
    let fd = this.check_readable(vm, "read1")?;
    if this.rbuf.lock().available().is_empty() {
        this.fill(vm, &fd)?;
    }
    let mut rb = this.rbuf.lock();
    let k = if n < 0 { rb.available().len() } else { (n as usize).min(rb.available().len()) };
    Ok(bytes_value(rb.take(k)))
}

#[native("SocketFile.readable($self, /)")]
fn readable(vm: &mut Vm, this: &SockFile) -> PyResult<bool> {
    this.open_fd(vm)?;
    Ok(this.readable)
}

#[native("SocketFile.readline($self, size=-1, /)")]
fn readline(vm: &mut Vm, this: &SockFile, size: Option<Value>) -> PyResult<Value> {
    let n = size_arg(vm, &size)?;
    this.line_value(vm, n)
}

#[native("SocketFile.readlines($self, hint=-1, /)")]
fn readlines(vm: &mut Vm, this: &SockFile, hint: Option<Value>) -> PyResult<Value> {
    let hint = size_arg(vm, &hint)?;
    this.open_fd(vm)?;
    let mut lines = Vec::new();
    let mut total = 0usize;
    loop {
        let b = this.read_line_bytes(vm, -1)?;
        if b.is_empty() {
            break;
        }
        total += b.len();
        lines.push(if this.text.is_some() { Value::string(this.decode(vm, &b)?) } else { bytes_value(b) });
        if hint > 0 && total >= hint as usize {
            break;
        }
    }
    Ok(Value::list(lines))
}

#[native("SocketFile.seekable($self, /)")]
fn seekable(vm: &mut Vm, this: &SockFile) -> PyResult<bool> {
    this.open_fd(vm)?;
    Ok(false)
}

#[native("SocketFile.writable($self, /)")]
fn writable(vm: &mut Vm, this: &SockFile) -> PyResult<bool> {
    this.open_fd(vm)?;
    Ok(this.writable)
}

/// Writes a value of the file's kind (bytes, or str in text mode): its length.
fn write_value(vm: &mut Vm, this: &SockFile, data: &Value) -> PyResult<usize> {
    match &this.text {
        Some((enc, errors)) => {
            let Some(s) = data.as_str() else {
                let msg = format!("write() argument must be str, not {}", vm.type_name(data));
                return Err(vm.type_error(&msg));
            };
            let count = s.as_str().chars().count();
            let translated;
            let text = match this.newline {
                Newline::Write(end) if s.as_str().contains('\n') => {
                    translated = s.as_str().replace('\n', end);
                    translated.as_str()
                }
                _ => s.as_str(),
            };
            let (enc, errors) = (enc.clone(), errors.clone());
            let b = encode_str(vm, text, &enc, &errors)?;
            this.write_bytes(vm, &b)?;
            Ok(count)
        }
        None => {
            let b: Vec<u8> = match data.unwrap_base().obj() {
                Some(Object::Bytes(b)) => b.to_vec(),
                Some(Object::ByteArray(b)) => b.snapshot(),
                _ => {
                    let msg = format!("a bytes-like object is required, not '{}'", vm.type_name(data));
                    return Err(vm.type_error(&msg));
                }
            };
            this.write_bytes(vm, &b)?;
            Ok(b.len())
        }
    }
}

#[native("SocketFile.write($self, data, /)")]
fn write(vm: &mut Vm, this: &SockFile, data: &Value) -> PyResult<usize> {
    write_value(vm, this, data)
}

#[native("SocketFile.writelines($self, lines, /)")]
fn writelines(vm: &mut Vm, this: &SockFile, lines: &Value) -> PyResult<()> {
    for line in vm.collect(lines)? {
        write_value(vm, this, &line)?;
    }
    Ok(())
}

#[native("SocketFile.__enter__($self, /)")]
fn __enter__(vm: &mut Vm, (v, this): (&Value, &SockFile)) -> PyResult<Value> {
    this.open_fd(vm)?;
    Ok(v.clone())
}

#[native("SocketFile.__exit__($self, *args)")]
fn __exit__(vm: &mut Vm, this: &SockFile, args: &[Value]) -> PyResult<()> {
    let _ = args;
    close(vm, this)
}

#[native("SocketFile.__iter__($self, /)", style = "slot")]
fn __iter__(vm: &mut Vm, (v, this): (&Value, &SockFile)) -> PyResult<Value> {
    this.open_fd(vm)?;
    Ok(v.clone())
}

#[native("SocketFile.__next__($self, /)", style = "slot")]
fn __next__(vm: &mut Vm, this: &SockFile) -> PyResult<Value> {
    let line = this.line_value(vm, -1)?;
    let empty = match &line {
        Value::Obj(o) => match &**o {
            Object::Bytes(b) => b.is_empty(),
            _ => line.as_str().is_some_and(|s| s.as_str().is_empty()),
        },
        _ => false,
    };
    if empty {
        let cls = Exc::StopIteration.class().clone();
        return Err(vm.new_exception(&cls, vec![]));
    }
    Ok(line)
}

#[native("SocketFile.__repr__($self, /)", style = "slot")]
fn __repr__(_vm: &mut Vm, (v, this): (&Value, &SockFile)) -> PyResult<String> {
    let cls = match v.as_instance().map(|i| &*i.class) {
        Some(Object::Class(c)) => format!("{}.{}", c.module, c.name),
        _ => "_io.BufferedRWPair".into(),
    };
    Ok(match &this.text {
        Some((enc, _)) => format!("<{cls} name={} mode='{}' encoding='{enc}'>", this.number, this.mode),
        None if this.readable && this.writable => format!("<{cls} object at {:#x}>", v.id()),
        None => format!("<{cls} name={}>", this.number),
    })
}

#[native("SocketFile.closed($self)")]
fn closed(_vm: &mut Vm, this: &SockFile) -> PyResult<bool> {
    Ok(this.fd.lock().is_none())
}

#[native("SocketFile.mode($self)")]
fn mode(_vm: &mut Vm, this: &SockFile) -> PyResult<String> {
    Ok(this.mode.clone())
}

#[native("SocketFile.name($self)")]
fn name(_vm: &mut Vm, this: &SockFile) -> PyResult<i64> {
    Ok(this.number as i64)
}
