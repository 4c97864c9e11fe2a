//! `sys.stdout.buffer` and its siblings: the binary layer under the standard
//! streams (CPython's `_io.BufferedWriter` / `_io.BufferedReader`). Bytes written
//! here go into the same stdout buffer as the text layer's, so the two keep their
//! order; the open/closed state is the text stream's (closing one closes both).

use super::sys_io::{stream, StdStream};
use crate::native::{native, NativeClass, NativePayload, Property};
use crate::value::instance::InstanceObj;
use crate::value::{ObjRef, Object, Value};
use crate::vm::{PyResult, Vm};
use std::sync::OnceLock;

/// The binary layer of one standard stream.
pub struct StdBuffer {
    fd: u8,
}

impl NativePayload for StdBuffer {
    const CLASS: &'static NativeClass = &STD_BUFFER_WRITER;
}

/// The class of stdout's and stderr's buffers.
pub static STD_BUFFER_WRITER: NativeClass = NativeClass {
    name: "BufferedWriter",
    module: "_io",
    doc: "A buffer for a writeable sequential RawIO object.",
    methods: &[
        &b_write::DEF,
        &b_flush::DEF,
        &b_close::DEF,
        &b_fileno::DEF,
        &b_isatty::DEF,
        &b_readable::DEF,
        &b_writable::DEF,
        &b_repr::DEF,
    ],
    properties: &[
        Property { name: "closed", get: &b_closed::DEF, set: None },
        Property { name: "name", get: &b_name::DEF, set: None },
        Property { name: "mode", get: &b_mode::DEF, set: None },
    ],
    ..NativeClass::DEFAULT
};

/// The class of stdin's buffer (a separate payload type, so each class's methods
/// only accept its own objects).
pub static STD_BUFFER_READER: NativeClass = NativeClass {
    name: "BufferedReader",
    module: "_io",
    doc: "Create a new buffered reader using the given readable raw IO object.",
    methods: &[
        &r_read::DEF,
        &r_readline::DEF,
        &r_close::DEF,
        &r_fileno::DEF,
        &r_isatty::DEF,
        &r_readable::DEF,
        &r_writable::DEF,
        &r_repr::DEF,
    ],
    properties: &[
        Property { name: "closed", get: &r_closed::DEF, set: None },
        Property { name: "name", get: &r_name::DEF, set: None },
        Property { name: "mode", get: &r_mode::DEF, set: None },
    ],
    ..NativeClass::DEFAULT
};

/// stdin's binary layer.
pub struct StdInBuffer;

impl NativePayload for StdInBuffer {
    const CLASS: &'static NativeClass = &STD_BUFFER_READER;
}

/// The `buffer` of the standard stream on `fd` (one object per stream).
pub fn buffer_of(fd: u8) -> Value {
    static B: OnceLock<[Value; 3]> = OnceLock::new();
    let all = B.get_or_init(|| {
        let w = STD_BUFFER_WRITER.class();
        let make_w = |fd: u8| {
            Value::Obj(ObjRef::new_immortal(Object::Instance(InstanceObj::with_native(
                w.clone(),
                Box::new(StdBuffer { fd }),
            ))))
        };
        let r = STD_BUFFER_READER.class();
        let stdin = Value::Obj(ObjRef::new_immortal(Object::Instance(InstanceObj::with_native(
            r.clone(),
            Box::new(StdInBuffer),
        ))));
        [stdin, make_w(1), make_w(2)]
    });
    all[(fd as usize).min(2)].clone()
}

fn text(fd: u8) -> &'static StdStream {
    stream(fd)
}

fn buffer_name(fd: u8) -> &'static str {
    match fd {
        0 => "<stdin>",
        2 => "<stderr>",
        _ => "<stdout>",
    }
}

fn check_open(vm: &mut Vm, fd: u8) -> PyResult<()> {
    if text(fd).is_closed() {
        return Err(vm.value_error(if fd == 0 { "read of closed file" } else { "write to closed file" }));
    }
    Ok(())
}

/// Write the given buffer to the IO stream.
///
/// Returns the number of bytes written, which is always the length of b
/// in bytes.
#[native("BufferedWriter.write($self, buffer, /)")]
fn b_write(vm: &mut Vm, this: &StdBuffer, buffer: &Value) -> PyResult<usize> {
    let Some(data) = super::bytes_like(buffer) else {
        let msg = format!("a bytes-like object is required, not '{}'", vm.type_name(buffer));
        return Err(vm.type_error(&msg));
    };
    check_open(vm, this.fd)?;
    text(this.fd).write_bytes(vm, &data)?;
    Ok(data.len())
}

#[native("BufferedWriter.flush($self, /)")]
fn b_flush(vm: &mut Vm, this: &StdBuffer) -> PyResult<()> {
    if text(this.fd).is_closed() {
        return Err(vm.value_error("flush of closed file"));
    }
    text(this.fd).flush(vm)
}

#[native("BufferedWriter.close($self, /)")]
fn b_close(vm: &mut Vm, this: &StdBuffer) -> PyResult<()> {
    text(this.fd).close(vm)
}

#[native("BufferedWriter.fileno($self, /)")]
fn b_fileno(vm: &mut Vm, this: &StdBuffer) -> PyResult<i64> {
    check_open(vm, this.fd)?;
    Ok(this.fd as i64)
}

#[native("BufferedWriter.isatty($self, /)")]
fn b_isatty(vm: &mut Vm, this: &StdBuffer) -> PyResult<bool> {
    use std::io::IsTerminal;
    check_open(vm, this.fd)?;
    Ok(if this.fd == 2 { std::io::stderr().is_terminal() } else { std::io::stdout().is_terminal() })
}

#[native("BufferedWriter.readable($self, /)")]
fn b_readable(_vm: &mut Vm, _this: &StdBuffer) -> PyResult<bool> {
    Ok(false)
}

#[native("BufferedWriter.writable($self, /)")]
fn b_writable(_vm: &mut Vm, _this: &StdBuffer) -> PyResult<bool> {
    Ok(true)
}

#[native("BufferedWriter.__repr__($self, /)", style = "slot")]
fn b_repr(_vm: &mut Vm, this: &StdBuffer) -> PyResult<String> {
    Ok(format!("<_io.BufferedWriter name='{}'>", buffer_name(this.fd)))
}

#[native("closed($self)")]
fn b_closed(_vm: &mut Vm, this: &StdBuffer) -> PyResult<bool> {
    Ok(text(this.fd).is_closed())
}

#[native("name($self)")]
fn b_name(_vm: &mut Vm, this: &StdBuffer) -> PyResult<&'static str> {
    Ok(buffer_name(this.fd))
}

#[native("mode($self)")]
fn b_mode(_vm: &mut Vm, _this: &StdBuffer) -> PyResult<&'static str> {
    Ok("wb")
}

/// Reads bytes from stdin: at most `limit` (all when None), stopping after a
/// newline when `line`.
fn read_bytes(vm: &mut Vm, limit: Option<usize>, line: bool) -> PyResult<Vec<u8>> {
    use std::io::BufRead;
    let stdin = std::io::stdin();
    let mut lock = stdin.lock();
    let mut out = Vec::new();
    while limit.is_none_or(|n| out.len() < n) {
        let buf = match lock.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(super::io::os_error(vm, &e, None)),
        };
        if buf.is_empty() {
            break;
        }
        let room = limit.map_or(buf.len(), |n| (n - out.len()).min(buf.len()));
        let take = match line {
            true => buf[..room].iter().position(|&c| c == b'\n').map_or(room, |i| i + 1),
            false => room,
        };
        out.extend_from_slice(&buf[..take]);
        lock.consume(take);
        if line && out.last() == Some(&b'\n') {
            break;
        }
    }
    Ok(out)
}

fn bytes_value(data: Vec<u8>) -> Value {
    Value::new(Object::Bytes(data.into_boxed_slice()))
}

/// Read and return up to n bytes (all, to the end of the stream, when n is
/// negative or omitted).
#[native("BufferedReader.read($self, size=-1, /)")]
fn r_read(vm: &mut Vm, _this: &StdInBuffer, size: Option<i64>) -> PyResult<Value> {
    check_open(vm, 0)?;
    let size = size.unwrap_or(-1);
    if size < -1 {
        return Err(vm.value_error("read length must be non-negative or -1"));
    }
    Ok(bytes_value(read_bytes(vm, (size >= 0).then_some(size as usize), false)?))
}

#[native("BufferedReader.readline($self, size=-1, /)")]
fn r_readline(vm: &mut Vm, _this: &StdInBuffer, size: Option<i64>) -> PyResult<Value> {
    check_open(vm, 0)?;
    let size = size.unwrap_or(-1);
    Ok(bytes_value(read_bytes(vm, (size >= 0).then_some(size as usize), true)?))
}

#[native("BufferedReader.close($self, /)")]
fn r_close(vm: &mut Vm, _this: &StdInBuffer) -> PyResult<()> {
    text(0).close(vm)
}

#[native("BufferedReader.fileno($self, /)")]
fn r_fileno(vm: &mut Vm, _this: &StdInBuffer) -> PyResult<i64> {
    check_open(vm, 0)?;
    Ok(0)
}

#[native("BufferedReader.isatty($self, /)")]
fn r_isatty(vm: &mut Vm, _this: &StdInBuffer) -> PyResult<bool> {
    use std::io::IsTerminal;
    check_open(vm, 0)?;
    Ok(std::io::stdin().is_terminal())
}

#[native("BufferedReader.readable($self, /)")]
fn r_readable(_vm: &mut Vm, _this: &StdInBuffer) -> PyResult<bool> {
    Ok(true)
}

#[native("BufferedReader.writable($self, /)")]
fn r_writable(_vm: &mut Vm, _this: &StdInBuffer) -> PyResult<bool> {
    Ok(false)
}

#[native("BufferedReader.__repr__($self, /)", style = "slot")]
fn r_repr(_vm: &mut Vm, _this: &StdInBuffer) -> PyResult<String> {
    Ok("<_io.BufferedReader name='<stdin>'>".into())
}

#[native("closed($self)")]
fn r_closed(_vm: &mut Vm, _this: &StdInBuffer) -> PyResult<bool> {
    Ok(text(0).is_closed())
}

#[native("name($self)")]
fn r_name(_vm: &mut Vm, _this: &StdInBuffer) -> PyResult<&'static str> {
    Ok("<stdin>")
}

#[native("mode($self)")]
fn r_mode(_vm: &mut Vm, _this: &StdInBuffer) -> PyResult<&'static str> {
    Ok("rb")
}
