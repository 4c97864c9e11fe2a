//! Child processes: starting one by re-executing conc (`spawn`), waiting for it,
//! signalling it, and the child's side of the start (`child_main`).

use super::handle::{adopt, fd_ready, write_all};
use super::{bytes_of, bytes_value, os_error, wait_for, Timeout};
use conc_interpreter::interp::interp;
use conc_interpreter::native::native;
use conc_interpreter::{Args, Object, PyResult, Value, Vm};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::OnceLock;
use std::time::Duration;

fn put_field(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u64).to_le_bytes());
    out.extend_from_slice(b);
}

fn str_list(items: &[String]) -> Vec<u8> {
    items.join("\0").into_bytes()
}

/// A pipe whose two ends are closed on exec: (read end, write end).
fn cloexec_pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut p = [0 as RawFd; 2];
    // SAFETY: `p` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(p.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok((adopt(p[0])?, adopt(p[1])?))
}

/// The path of the main script, as children re-import it; empty for `-c` and the
/// REPL.
fn main_file() -> String {
    let file = interp()
        .modules
        .get("__main__")
        .and_then(|m| match m.obj() {
            Some(Object::Module(mm)) => mm.globals.get("__file__").as_str().map(|s| s.as_str().to_string()),
            _ => None,
        })
        .unwrap_or_default();
    if file.starts_with('<') {
        String::new()
    } else {
        file
    }
}

/// spawn(process_message, fds) -> pid: starts `conc --multiprocessing-child`, hands
/// it the start message and the descriptors `fds` (a list of ints).
#[native("_multiprocessing.spawn(message, fds, /)")]
fn spawn(vm: &mut Vm, message: &Value, fds: &Value) -> PyResult<i64> {
    let message = bytes_of(vm, message)?.to_vec();
    let mut keep: Vec<RawFd> = Vec::new();
    for v in vm.collect(fds)? {
        keep.push(vm.index_value(&v)? as RawFd);
    }
    let path = interp().path.lock().clone();
    let argv = interp().argv.lock().clone();
    let mut start = Vec::new();
    put_field(&mut start, main_file().as_bytes());
    put_field(&mut start, &str_list(&path));
    put_field(&mut start, &str_list(&argv));
    put_field(&mut start, &(std::process::id() as u64).to_le_bytes());
    put_field(&mut start, &message);
    let definitions =
        if main_file().is_empty() { conc_interpreter::interactive_main::definitions() } else { String::new() };
    put_field(&mut start, definitions.as_bytes());

    let (r, w) = cloexec_pipe().map_err(|e| os_error(vm, e))?;
    keep.push(r.as_raw_fd());
    let exe = std::env::current_exe().map_err(|e| os_error(vm, e))?;
    conc_interpreter::stdio::flush_stdout();
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("--multiprocessing-child").arg(r.as_raw_fd().to_string());
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec the closure only calls fcntl, which is
    // async-signal-safe, on descriptors the parent keeps open during spawn() (`r`
    // lives until after `cmd.spawn()`, the others belong to objects the caller holds),
    // and clears the signal mask (async-signal-safe too): a child started from a
    // worker thread must see terminate()'s SIGTERM.
    unsafe {
        cmd.pre_exec(move || {
            for &fd in &keep {
                libc::fcntl(fd, libc::F_SETFD, 0);
            }
            conc_interpreter::signals::clear_mask_for_exec();
            Ok(())
        });
    }
    super::relay::prepare(&mut cmd);
    let spawned = cmd.spawn();
    drop(r);
    let mut child = spawned.map_err(|e| os_error(vm, e))?;
    let pid = child.id() as i32;
    super::relay::start(&mut child);
    // The Child is not waited through std: wait_pid reaps it.
    drop(child);
    // A pid reused by a new child must not report an old child's exit code.
    reaped().remove(&pid);
    std::thread::spawn(move || {
        conc_interpreter::signals::block_async_signals();
        // Length first: the child reads exactly the message rather than up to end of
        // file, which a process forked meanwhile (holding a copy of `w`) would delay.
        let _ = write_all(w.as_raw_fd(), &(start.len() as u64).to_le_bytes());
        let _ = write_all(w.as_raw_fd(), &start);
    });
    Ok(pid as i64)
}

/// Exit codes of children already reaped, so every waiter sees the code.
pub(super) fn reaped_lock() -> &'static Mutex<HashMap<i32, i32>> {
    static R: OnceLock<Mutex<HashMap<i32, i32>>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(HashMap::new()))
}

pub(super) fn reaped() -> parking_lot::MutexGuard<'static, HashMap<i32, i32>> {
    reaped_lock().lock()
}

/// The exit code if the child has ended: its status, or minus the killing signal.
fn try_reap(pid: i32) -> Option<i32> {
    if let Some(c) = reaped().get(&pid) {
        return Some(*c);
    }
    let mut status = 0;
    // SAFETY: `status` is a valid int for waitpid to write.
    let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    if r == pid {
        let code = if libc::WIFSIGNALED(status) { -libc::WTERMSIG(status) } else { libc::WEXITSTATUS(status) };
        reaped().insert(pid, code);
        return Some(code);
    }
    if r < 0 {
        // Reaped by another thread in the meantime, or not our child.
        return Some(reaped().get(&pid).copied().unwrap_or(255));
    }
    None
}

/// check_not_importing_main(): raises CPython's RuntimeError when a spawned child
/// tries to start a process while it is still importing the main script.
#[native("_multiprocessing.check_not_importing_main()")]
fn check_not_importing_main(vm: &mut Vm) -> PyResult<()> {
    if !IMPORTING_MAIN.load(std::sync::atomic::Ordering::SeqCst) {
        return Ok(());
    }
    let msg = "\n        An attempt has been made to start a new process before the\n        \
current process has finished its bootstrapping phase.\n\n        This probably means that you \
are not using fork to start your\n        child processes and you have forgotten to use the \
proper idiom\n        in the main module:\n\n            if __name__ == '__main__':\n                \
freeze_support()\n                ...\n\n        The \"freeze_support()\" line can be omitted if \
the program\n        is not going to be frozen to produce an executable.\n\n        To fix this \
issue, refer to the \"Safe importing of main module\"\n        section in \
https://docs.python.org/3/library/multiprocessing.html\n        ";
    Err(vm.error(conc_interpreter::native::Exc::RuntimeError, msg))
}

/// poll_pid(pid) -> the exit code if the child has ended, else None.
#[native("_multiprocessing.poll_pid(pid, /)")]
fn poll_pid(_vm: &mut Vm, pid: i64) -> PyResult<Option<i64>> {
    Ok(try_reap(pid as i32).map(|c| c as i64))
}

/// A pidfd for `pid`: readable once the child ends (None on kernels without it).
fn pidfd(pid: i32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes two integers and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as RawFd;
    adopt(fd).ok()
}

/// wait_pid(pid, timeout=None) -> the exit code, or None on timeout.
#[native("_multiprocessing.wait_pid(pid, timeout=None, /)")]
fn wait_pid(vm: &mut Vm, pid: i64, timeout: Option<Timeout>) -> PyResult<Option<i64>> {
    let pid = pid as i32;
    // A pidfd becomes readable when the child ends: the wait wakes at once.
    let pidfd = pidfd(pid);
    let r = wait_for(vm, timeout.and_then(|t| t.0), "Process.join", |d| {
        if let Some(c) = try_reap(pid) {
            return Some(c);
        }
        if d.is_zero() {
            return None;
        }
        match &pidfd {
            Some(fd) => {
                fd_ready(fd.as_raw_fd(), d);
            }
            None => std::thread::sleep(d.min(Duration::from_millis(5))),
        }
        try_reap(pid)
    })?;
    Ok(r.map(|c| c as i64))
}

/// kill(pid, sig=SIGTERM): signals a child not yet reaped.
#[native("_multiprocessing.kill(pid, sig=15, /)")]
fn kill(_vm: &mut Vm, pid: i64, sig: i64) -> PyResult<()> {
    let pid = pid as i32;
    // Never signal a pid that was already reaped (it may belong to someone else now).
    if reaped().contains_key(&pid) {
        return Ok(());
    }
    // SAFETY: kill(2) takes two integers.
    unsafe { libc::kill(pid, sig as i32) };
    Ok(())
}

/// cpu_count() -> the number of processors online.
#[native("_multiprocessing.cpu_count()")]
fn cpu_count(_vm: &mut Vm) -> PyResult<i64> {
    // SAFETY: sysconf takes an integer.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    Ok(n.max(1) as i64)
}

/// The natives of this file registered in the module.
pub(super) const FUNCTIONS: &[&conc_interpreter::native::NativeDef] =
    &[&spawn::DEF, &check_not_importing_main::DEF, &poll_pid::DEF, &wait_pid::DEF, &kill::DEF, &cpu_count::DEF];

// ---- the child side ----

fn take_field<'a>(data: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let n = u64::from_le_bytes(data.get(*pos..*pos + 8)?.try_into().ok()?) as usize;
    *pos += 8;
    let f = data.get(*pos..*pos + n)?;
    *pos += n;
    Some(f)
}

fn split_list(b: &[u8]) -> Vec<String> {
    if b.is_empty() {
        return Vec::new();
    }
    String::from_utf8_lossy(b).split('\0').map(str::to_string).collect()
}

/// Reads the start message from the inherited pipe `fd` (and closes it).
fn read_start_message(fd: RawFd) -> Result<Vec<u8>, &'static str> {
    use std::io::Read;
    use std::os::fd::FromRawFd;
    // SAFETY: the parent passed the number of the pipe it cleared close-on-exec on
    // for this child (see `spawn`); nothing else in this fresh process owns it.
    let mut f = unsafe { std::fs::File::from_raw_fd(fd) };
    let mut len = [0u8; 8];
    f.read_exact(&mut len).map_err(|_| "no start message from the parent process")?;
    let mut data = vec![0; u64::from_le_bytes(len) as usize];
    f.read_exact(&mut data).map_err(|_| "incomplete start message from the parent process")?;
    // `f` is dropped here: the pipe's number is free again for the script.
    Ok(data)
}

/// Entry point of `conc --multiprocessing-child FD`; returns the exit code.
pub fn child_main(args: &[String]) -> i32 {
    let fd: RawFd = match args.first().and_then(|a| a.parse().ok()) {
        Some(f) => f,
        None => {
            eprintln!("conc: --multiprocessing-child needs a descriptor");
            return 2;
        }
    };
    let data = match read_start_message(fd) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("conc: {e}");
            return 1;
        }
    };
    let mut pos = 0;
    let (Some(main_file), Some(path), Some(argv), Some(_ppid), Some(message), Some(definitions)) = (
        take_field(&data, &mut pos),
        take_field(&data, &mut pos),
        take_field(&data, &mut pos),
        take_field(&data, &mut pos),
        take_field(&data, &mut pos),
        take_field(&data, &mut pos),
    ) else {
        eprintln!("conc: bad start message from the parent process");
        return 1;
    };
    let main_file = String::from_utf8_lossy(main_file).to_string();
    let message = message.to_vec();
    let definitions = String::from_utf8_lossy(definitions).to_string();
    // The child's bootstrap (`multiprocessing._child_bootstrap`) joins its threads and
    // reports to the parent itself, so the runtime's shutdown sequence is not run.
    crate::runtime::RuntimeBuilder::new()
        .argv(split_list(argv))
        .path(split_list(path))
        .without_shutdown()
        .run(move |vm| child_run(vm, &main_file, &definitions, &message))
}

fn child_run(vm: &mut Vm, main_file: &str, definitions: &str, message: &[u8]) -> i32 {
    match run_child(vm, main_file, definitions, message) {
        Ok(Value::Int(c)) => c as i32,
        Ok(_) => 0,
        Err(e) => {
            let text = vm.format_exception(&e.exc);
            conc_interpreter::stdio::write_stderr(&text);
            1
        }
    }
}

/// Set while a spawned child runs its parent's main script as `__mp_main__`: a process
/// started then comes from module-level code without the `if __name__ == '__main__'`
/// guard, and would start children without end.
static IMPORTING_MAIN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn run_child(vm: &mut Vm, main_file: &str, definitions: &str, message: &[u8]) -> PyResult<Value> {
    use std::sync::atomic::Ordering;
    if !main_file.is_empty() {
        let src = std::fs::read_to_string(main_file).map_err(|e| os_error(vm, e))?;
        IMPORTING_MAIN.store(true, Ordering::SeqCst);
        let m = vm.exec_source_module("__mp_main__", main_file, &src, false);
        IMPORTING_MAIN.store(false, Ordering::SeqCst);
        interp().modules.insert("__main__", Value::Obj(m?));
    } else if !definitions.is_empty() {
        // The parent's main has no file (REPL, -c, stdin): its definitions were sent
        // instead (`conc_interpreter::interactive_main`).
        IMPORTING_MAIN.store(true, Ordering::SeqCst);
        let m = vm.exec_source_module("__mp_main__", "<stdin>", definitions, false);
        IMPORTING_MAIN.store(false, Ordering::SeqCst);
        interp().modules.insert("__main__", Value::Obj(m?));
    }
    let mp = vm.import_module("multiprocessing")?;
    let boot = vm.get_attr(&mp, &conc_interpreter::value::str::intern("_child_bootstrap"))?;
    vm.call(&boot, Args::new(vec![bytes_value(message.to_vec())]))
}
