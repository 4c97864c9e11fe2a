//! `sys.stdout` / `sys.stderr` objects (write, flush) and writing to any file-like
//! object for `print(file=...)`.

use crate::native::{native, Exc, NativeClass, NativePayload, Property};
use crate::value::instance::InstanceObj;
use crate::value::{ObjRef, Object, Value};
use crate::vm::{Args, PyResult, Vm};
use std::sync::OnceLock;

/// Which standard stream a stream object writes to.
pub struct StdStream {
    pub fd: u8,
}

impl NativePayload for StdStream {
    const CLASS: &'static NativeClass = &STD_STREAM;
}

/// The class of `sys.stdin`, `sys.stdout` and `sys.stderr` (CPython's
/// `_io.TextIOWrapper` over the standard descriptors).
pub static STD_STREAM: NativeClass = NativeClass {
    name: "TextIOWrapper",
    module: "_io",
    doc: "Character and line based layer over a BufferedIOBase object, buffer.",
    methods: &[&write::DEF, &flush::DEF, &fileno::DEF, &isatty::DEF, &readline::DEF],
    properties: &[Property { name: "name", get: &std_name::DEF, set: None }],
    ..NativeClass::DEFAULT
};

struct Streams {
    stdout: Value,
    stderr: Value,
    stdin: Value,
}

fn streams() -> &'static Streams {
    static S: OnceLock<Streams> = OnceLock::new();
    S.get_or_init(|| {
        let cls = STD_STREAM.class();
        let make = |fd: u8| {
            Value::Obj(ObjRef::new_immortal(Object::Instance(InstanceObj::with_native(
                cls.clone(),
                Box::new(StdStream { fd }),
            ))))
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
    if this.fd == 2 {
        crate::stdio::write_stderr(s.as_str());
    } else {
        crate::stdio::write_stdout(s.as_str());
    }
    Ok(s.char_len())
}

/// The stream's name as CPython shows it: `<stdin>`, `<stdout>`, `<stderr>`.
#[native("TextIOWrapper.name($self)")]
fn std_name(_vm: &mut Vm, this: &StdStream) -> PyResult<&'static str> {
    Ok(match this.fd {
        0 => "<stdin>",
        1 => "<stdout>",
        _ => "<stderr>",
    })
}

/// Flush write buffers, if applicable.
#[native("TextIOWrapper.flush($self, /)")]
fn flush(_vm: &mut Vm, _this: &StdStream) -> PyResult<()> {
    crate::stdio::flush_stdout();
    Ok(())
}

/// Return the underlying file descriptor (an integer).
#[native("TextIOWrapper.fileno($self, /)")]
fn fileno(_vm: &mut Vm, this: &StdStream) -> PyResult<i64> {
    Ok(this.fd as i64)
}

/// Return whether this is an 'interactive' stream.
#[native("TextIOWrapper.isatty($self, /)")]
fn isatty(_vm: &mut Vm, this: &StdStream) -> PyResult<bool> {
    use std::io::IsTerminal;
    Ok(match this.fd {
        0 => std::io::stdin().is_terminal(),
        2 => std::io::stderr().is_terminal(),
        _ => std::io::stdout().is_terminal(),
    })
}

/// Read until newline or EOF; at most `size` characters when `size >= 0`.
#[native("TextIOWrapper.readline($self, size=-1, /)")]
fn readline(vm: &mut Vm, _this: &StdStream, size: i64) -> PyResult<String> {
    use std::io::BufRead;
    let stdin = std::io::stdin();
    let mut lock = stdin.lock();
    let mut out: Vec<u8> = Vec::new();
    let mut chars = 0i64;
    loop {
        let buf = match lock.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(vm.error(Exc::OSError, &e.to_string())),
        };
        let Some(&c) = buf.first() else {
            break;
        };
        // A byte that is not a UTF-8 continuation starts a character.
        if c & 0xc0 != 0x80 {
            if size >= 0 && chars >= size {
                break;
            }
            chars += 1;
        }
        out.push(c);
        lock.consume(1);
        if c == b'\n' {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Writes `text` to a file-like object (`print(file=f)`).
pub fn write_to(vm: &mut Vm, file: &Value, text: &str) -> PyResult<()> {
    if let Some(s) = file.as_instance().and_then(|i| i.native::<StdStream>()) {
        if s.fd == 2 {
            crate::stdio::write_stderr(text);
        } else {
            crate::stdio::write_stdout(text);
        }
        return Ok(());
    }
    let w = crate::value::str::intern("write");
    let f = vm.get_attr(file, &w)?;
    vm.call(&f, Args::new([Value::str(text)]))?;
    Ok(())
}
