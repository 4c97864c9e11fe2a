//! `os` and `os.path`: process information, the environment, files and directories,
//! and POSIX path manipulation (the rules of CPython's posixpath).

use crate::util::{functions, set};
use conc_interpreter::builtins::io::os_error;
use conc_interpreter::value::dict::{DictData, DictObj};
use conc_interpreter::{Args, ObjRef, Object, PyResult, Value, Vm};

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
    functions(
        m,
        &[
            ("getpid", getpid),
            ("getppid", getppid),
            ("cpu_count", cpu_count),
            ("getenv", getenv),
            ("getcwd", getcwd),
            ("chdir", chdir),
            ("listdir", listdir),
            ("remove", remove),
            ("unlink", remove),
            ("rmdir", rmdir),
            ("mkdir", mkdir),
            ("makedirs", makedirs),
            ("rename", rename),
            ("replace", rename),
            ("urandom", urandom),
            ("_exit", exit_now),
            ("kill", kill),
        ],
    );
    let path = vm.import_module("os.path")?;
    set(m, "path", path);
    Ok(())
}

pub fn init_path(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    set(m, "sep", Value::str("/"));
    functions(
        m,
        &[
            ("join", join),
            ("exists", exists),
            ("isfile", isfile),
            ("isdir", isdir),
            ("isabs", isabs),
            ("basename", basename),
            ("dirname", dirname),
            ("abspath", abspath),
            ("normpath", normpath_fn),
            ("realpath", realpath),
            ("splitext", splitext),
            ("split", split),
            ("getsize", getsize),
            ("getmtime", getmtime),
            ("expanduser", expanduser),
        ],
    );
    Ok(())
}

/// A path argument (str only: conc has no os.PathLike objects yet).
fn path_arg(vm: &mut Vm, args: &Args, i: usize, fname: &str) -> PyResult<String> {
    match args.pos.get(i) {
        Some(v) => match v.as_str() {
            Some(s) => Ok(s.as_str().to_string()),
            None => {
                let msg = format!("{fname}: path should be string, bytes or os.PathLike, not {}", vm.type_name(v));
                Err(vm.type_error(&msg))
            }
        },
        None => {
            let msg = format!("{fname}() missing required argument 'path' (pos {})", i + 1);
            Err(vm.type_error(&msg))
        }
    }
}

fn getpid(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(Value::Int(std::process::id() as i64))
}

/// `os.kill(pid, sig)`: sends a signal (the fault tests kill children with SIGKILL).
fn kill(vm: &mut Vm, args: Args) -> PyResult<Value> {
    if args.pos.len() != 2 {
        let msg = format!("kill expected 2 arguments, got {}", args.pos.len());
        return Err(vm.type_error(&msg));
    }
    let pid = vm.index_value(&args.pos[0])?;
    let sig = vm.index_value(&args.pos[1])?;
    if unsafe { libc::kill(pid as libc::pid_t, sig as libc::c_int) } != 0 {
        let e = std::io::Error::last_os_error();
        let (name, text) = match e.raw_os_error() {
            Some(libc::ESRCH) => ("ProcessLookupError", "No such process"),
            Some(libc::EPERM) => ("PermissionError", "Operation not permitted"),
            _ => ("OSError", "Invalid argument"),
        };
        let msg = format!("[Errno {}] {text}", e.raw_os_error().unwrap_or(0));
        return Err(vm.new_error(name, &msg));
    }
    Ok(Value::None)
}

fn getppid(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(Value::Int(std::os::unix::process::parent_id() as i64))
}

fn cpu_count(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(match std::thread::available_parallelism() {
        Ok(n) => Value::Int(n.get() as i64),
        Err(_) => Value::None,
    })
}

fn getenv(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let key = args.take(0, "key");
    let default = args.take(1, "default").unwrap_or(Value::None);
    let Some(key) = key else {
        return Err(vm.type_error("getenv() missing 1 required positional argument: 'key'"));
    };
    let Some(k) = key.as_str() else {
        let msg = format!("str expected, not {}", vm.type_name(&key));
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

fn getcwd(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(Value::string(cwd()))
}

fn chdir(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let p = path_arg(vm, &args, 0, "chdir")?;
    std::env::set_current_dir(&p).map_err(|e| os_error(vm, &e, Some(&p)))?;
    Ok(Value::None)
}

fn listdir(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let p =
        if args.pos.is_empty() || args.pos[0].is_none() { ".".to_string() } else { path_arg(vm, &args, 0, "listdir")? };
    let rd = std::fs::read_dir(&p).map_err(|e| os_error(vm, &e, Some(&p)))?;
    let mut names = Vec::new();
    for ent in rd {
        let ent = ent.map_err(|e| os_error(vm, &e, Some(&p)))?;
        names.push(Value::string(ent.file_name().to_string_lossy().into_owned()));
    }
    Ok(Value::list(names))
}

fn remove(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let p = path_arg(vm, &args, 0, "remove")?;
    // unlink(2) on a directory gives EISDIR on Linux, as CPython reports.
    let meta = std::fs::symlink_metadata(&p);
    if matches!(&meta, Ok(m) if m.is_dir()) {
        let e = std::io::Error::from_raw_os_error(21);
        return Err(os_error(vm, &e, Some(&p)));
    }
    std::fs::remove_file(&p).map_err(|e| os_error(vm, &e, Some(&p)))?;
    Ok(Value::None)
}

fn rmdir(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let p = path_arg(vm, &args, 0, "rmdir")?;
    std::fs::remove_dir(&p).map_err(|e| os_error(vm, &e, Some(&p)))?;
    Ok(Value::None)
}

fn mkdir(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let p = path_arg(vm, &args, 0, "mkdir")?;
    let mode = match args.take(1, "mode") {
        Some(v) => vm.index_value(&v)? as u32,
        None => 0o777,
    };
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(mode).create(&p).map_err(|e| os_error(vm, &e, Some(&p)))?;
    Ok(Value::None)
}

fn makedirs(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let p = path_arg(vm, &args, 0, "makedirs")?;
    let mode = match args.take(1, "mode") {
        Some(v) => vm.index_value(&v)? as u32,
        None => 0o777,
    };
    let exist_ok = match args.take(2, "exist_ok") {
        Some(v) => vm.truthy(&v)?,
        None => false,
    };
    if std::path::Path::new(&p).exists() {
        if exist_ok && std::path::Path::new(&p).is_dir() {
            return Ok(Value::None);
        }
        let e = std::io::Error::from_raw_os_error(17);
        return Err(os_error(vm, &e, Some(&p)));
    }
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(mode).recursive(true).create(&p).map_err(|e| os_error(vm, &e, Some(&p)))?;
    Ok(Value::None)
}

fn rename(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = path_arg(vm, &args, 0, "rename")?;
    let b = path_arg(vm, &args, 1, "rename")?;
    std::fs::rename(&a, &b).map_err(|e| os_error(vm, &e, Some(&a)))?;
    Ok(Value::None)
}

fn urandom(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let n = match args.pos.first() {
        Some(v) => vm.index_value(v)?,
        None => return Err(vm.type_error("urandom() missing required argument 'size' (pos 1)")),
    };
    if n < 0 {
        return Err(vm.value_error("negative argument not allowed"));
    }
    let mut buf = vec![0u8; n as usize];
    let r = std::fs::File::open("/dev/urandom").and_then(|mut f| std::io::Read::read_exact(&mut f, &mut buf));
    r.map_err(|e| os_error(vm, &e, None))?;
    Ok(Value::new(Object::Bytes(buf.into_boxed_slice())))
}

fn exit_now(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let code = match args.pos.first() {
        Some(v) => vm.index_value(v)?,
        None => return Err(vm.type_error("_exit() missing required argument 'status' (pos 1)")),
    };
    conc_interpreter::stdio::flush_stdout();
    std::process::exit(code as i32);
}

// ---------------------------------------------------------------------------
// os.path

fn str_args(vm: &mut Vm, args: &Args, fname: &str) -> PyResult<Vec<String>> {
    let mut out = Vec::with_capacity(args.pos.len());
    for v in args.pos.iter() {
        match v.as_str() {
            Some(s) => out.push(s.as_str().to_string()),
            None => {
                let msg =
                    format!("{fname}() argument must be str, bytes, or os.PathLike object, not '{}'", vm.type_name(v));
                return Err(vm.type_error(&msg));
            }
        }
    }
    Ok(out)
}

fn join(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let parts = str_args(vm, &args, "join")?;
    let Some((first, rest)) = parts.split_first() else {
        return Err(vm.type_error("join() missing 1 required positional argument: 'a'"));
    };
    let mut path = first.clone();
    for b in rest {
        if b.starts_with('/') {
            path = b.clone();
        } else if path.is_empty() || path.ends_with('/') {
            path.push_str(b);
        } else {
            path.push('/');
            path.push_str(b);
        }
    }
    Ok(Value::string(path))
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

fn one_path(vm: &mut Vm, args: &Args, fname: &str) -> PyResult<String> {
    if args.pos.len() != 1 {
        let msg = format!("{fname}() takes 1 positional argument but {} were given", args.pos.len());
        return Err(vm.type_error(&msg));
    }
    Ok(str_args(vm, args, fname)?.remove(0))
}

fn split(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let p = one_path(vm, &args, "split")?;
    let (h, t) = split_path(&p);
    Ok(Value::tuple(vec![Value::string(h), Value::string(t)]))
}

fn basename(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let p = one_path(vm, &args, "basename")?;
    Ok(Value::string(split_path(&p).1))
}

fn dirname(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let p = one_path(vm, &args, "dirname")?;
    Ok(Value::string(split_path(&p).0))
}

fn splitext(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let p = one_path(vm, &args, "splitext")?;
    let sep = p.rfind('/').map(|i| i as isize).unwrap_or(-1);
    if let Some(dot) = p.rfind('.') {
        if dot as isize > sep {
            // A leading run of dots in the file name is not an extension.
            let start = (sep + 1) as usize;
            if p[start..dot].bytes().any(|c| c != b'.') {
                return Ok(Value::tuple(vec![Value::str(&p[..dot]), Value::str(&p[dot..])]));
            }
        }
    }
    Ok(Value::tuple(vec![Value::string(p), Value::str("")]))
}

/// posixpath.normpath.
fn normpath(p: &str) -> String {
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

fn normpath_fn(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let p = one_path(vm, &args, "normpath")?;
    Ok(Value::string(normpath(&p)))
}

fn absolute(p: &str) -> String {
    if p.starts_with('/') {
        normpath(p)
    } else {
        normpath(&format!("{}/{}", cwd(), p))
    }
}

fn abspath(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let p = one_path(vm, &args, "abspath")?;
    Ok(Value::string(absolute(&p)))
}

fn realpath(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let p = one_path(vm, &args, "realpath")?;
    Ok(Value::string(match std::fs::canonicalize(&p) {
        Ok(r) => r.to_string_lossy().into_owned(),
        Err(_) => absolute(&p),
    }))
}

fn isabs(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let p = one_path(vm, &args, "isabs")?;
    Ok(Value::Bool(p.starts_with('/')))
}

fn exists(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let p = one_path(vm, &args, "exists")?;
    Ok(Value::Bool(std::fs::metadata(p).is_ok()))
}

fn isfile(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let p = one_path(vm, &args, "isfile")?;
    Ok(Value::Bool(std::fs::metadata(p).map(|m| m.is_file()).unwrap_or(false)))
}

fn isdir(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let p = one_path(vm, &args, "isdir")?;
    Ok(Value::Bool(std::fs::metadata(p).map(|m| m.is_dir()).unwrap_or(false)))
}

fn getsize(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let p = one_path(vm, &args, "getsize")?;
    let m = std::fs::metadata(&p).map_err(|e| os_error(vm, &e, Some(&p)))?;
    Ok(Value::Int(m.len() as i64))
}

fn getmtime(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let p = one_path(vm, &args, "getmtime")?;
    let m = std::fs::metadata(&p).map_err(|e| os_error(vm, &e, Some(&p)))?;
    use std::os::unix::fs::MetadataExt;
    Ok(Value::Float(m.mtime() as f64 + m.mtime_nsec() as f64 * 1e-9))
}

fn expanduser(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let p = one_path(vm, &args, "expanduser")?;
    if p == "~" || p.starts_with("~/") {
        if let Some(home) = std::env::var_os("HOME") {
            let mut home = home.to_string_lossy().into_owned();
            while home.len() > 1 && home.ends_with('/') {
                home.pop();
            }
            return Ok(Value::string(format!("{home}{}", &p[1..])));
        }
    }
    Ok(Value::string(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normpath_matches_posixpath() {
        assert_eq!(normpath("a/./b/../c/"), "a/c");
        assert_eq!(normpath("/../x"), "/x");
        assert_eq!(normpath("../../x"), "../../x");
        assert_eq!(normpath("//a"), "//a");
        assert_eq!(normpath("///a"), "/a");
        assert_eq!(normpath(""), ".");
    }
}
