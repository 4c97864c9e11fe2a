//! `sys.stdout` / `sys.stderr` objects (write, flush) and writing to any file-like
//! object for `print(file=...)`.

use crate::interp::{add_methods, new_class, types};
use crate::native::Exc;
use crate::value::class::BaseKind;
use crate::value::instance::InstanceObj;
use crate::value::{ObjRef, Object, Value};
use crate::vm::{Args, PyResult, Vm};
use std::sync::OnceLock;

/// Which standard stream a stream object writes to.
pub struct StdStream {
    pub fd: u8,
}

struct Streams {
    stdout: Value,
    stderr: Value,
    stdin: Value,
}

fn streams() -> &'static Streams {
    static S: OnceLock<Streams> = OnceLock::new();
    S.get_or_init(|| {
        let cls = new_class(
            "TextIOWrapper",
            "_io",
            vec![types().object.clone()],
            BaseKind::Builtin,
            true,
            Default::default(),
        );
        add_methods(
            &cls,
            &[("write", write), ("flush", flush), ("fileno", fileno), ("isatty", isatty), ("readline", readline)],
        );
        let make = |fd: u8| {
            Value::Obj(ObjRef::new_immortal(Object::Instance(InstanceObj::with_native(
                cls.clone(),
                Box::new(StdStream { fd }),
            ))))
        };
        Streams { stdin: make(0), stdout: make(1), stderr: make(2) }
    })
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

fn fd_of(args: &Args) -> u8 {
    args.pos.first().and_then(|v| v.as_instance()).and_then(|i| i.native::<StdStream>()).map(|s| s.fd).unwrap_or(1)
}

fn write(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let fd = fd_of(&args);
    let text = match args.pos.get(1).and_then(|v| v.as_str()) {
        Some(s) => s.as_str().to_string(),
        None => {
            let t = args.pos.get(1).map(|v| vm.type_name(v)).unwrap_or_default();
            let msg = format!("write() argument must be str, not {t}");
            return Err(vm.type_error(&msg));
        }
    };
    if fd == 2 {
        crate::stdio::write_stderr(&text);
    } else {
        crate::stdio::write_stdout(&text);
    }
    Ok(Value::Int(text.chars().count() as i64))
}

fn flush(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    crate::stdio::flush_stdout();
    Ok(Value::None)
}

fn fileno(_vm: &mut Vm, args: Args) -> PyResult<Value> {
    Ok(Value::Int(fd_of(&args) as i64))
}

fn isatty(_vm: &mut Vm, args: Args) -> PyResult<Value> {
    use std::io::IsTerminal;
    Ok(Value::Bool(match fd_of(&args) {
        0 => std::io::stdin().is_terminal(),
        2 => std::io::stderr().is_terminal(),
        _ => std::io::stdout().is_terminal(),
    }))
}

fn readline(vm: &mut Vm, _args: Args) -> PyResult<Value> {
    let mut line = String::new();
    match std::io::stdin().read_line(&mut line) {
        Ok(_) => Ok(Value::string(line)),
        Err(e) => Err(vm.error(Exc::OSError, &e.to_string())),
    }
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
