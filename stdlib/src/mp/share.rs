//! Sending a descriptor (a Connection) in a message, as CPython's resource_sharer:
//! the sender duplicates the descriptor and registers the copy under a number with a
//! small server thread listening on an abstract Unix socket of its own; the message
//! carries (address, number). The receiver connects, asks for the number and gets
//! the descriptor through SCM_RIGHTS. This works whatever carries the message (a
//! Queue's pipe, a Pipe, a manager), but the sender must still be running when the
//! receiver loads the message (CPython's condition too). A copy nobody fetches stays
//! open in the sender until it exits.

use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

struct Sharer {
    /// The server's address; empty until the server thread runs in this process.
    address: String,
    waiting: Vec<(u64, i32)>,
}

static SHARER: Mutex<Sharer> = Mutex::new(Sharer { address: String::new(), waiting: Vec::new() });
static NEXT: AtomicU64 = AtomicU64::new(1);

fn last_error() -> std::io::Error {
    std::io::Error::last_os_error()
}

/// Registers a duplicate of `fd`; returns (server address, number) for the message.
pub fn register(fd: i32) -> std::io::Result<(String, u64)> {
    let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if copy < 0 {
        return Err(last_error());
    }
    let mut s = SHARER.lock();
    if s.address.is_empty() {
        match start_server() {
            Ok(a) => s.address = a,
            Err(e) => {
                unsafe { libc::close(copy) };
                return Err(e);
            }
        }
    }
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    s.waiting.push((id, copy));
    Ok((s.address.clone(), id))
}

/// In a child made by fork: the server thread is the parent's, and so are the
/// registered copies (still served by the parent); this process starts its own.
///
/// # Safety
/// Only in a child right after fork, before it starts a thread.
pub unsafe fn after_fork_in_child() {
    conc_interpreter::fork::release_orphaned(&SHARER);
    let mut s = SHARER.lock();
    for (_, fd) in s.waiting.drain(..) {
        libc::close(fd);
    }
    s.address.clear();
}

fn start_server() -> std::io::Result<String> {
    let name = format!("conc-fd-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let listener = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if listener < 0 {
        return Err(last_error());
    }
    let (a, len) = super::abstract_addr(&name);
    let ok = unsafe {
        libc::bind(listener, &a as *const _ as *const libc::sockaddr, len) == 0 && libc::listen(listener, 64) == 0
    };
    if !ok {
        let e = last_error();
        unsafe { libc::close(listener) };
        return Err(e);
    }
    std::thread::Builder::new().name("fd-sharer".into()).spawn(move || serve(listener))?;
    Ok(name)
}

/// The server thread: one request (a number) per connection, answered with the
/// descriptor, which this process then closes.
fn serve(listener: i32) {
    loop {
        let c = unsafe { libc::accept4(listener, std::ptr::null_mut(), std::ptr::null_mut(), libc::SOCK_CLOEXEC) };
        if c < 0 {
            if last_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        let mut id = [0u8; 8];
        if read_full(c, &mut id) {
            let fd = {
                let mut s = SHARER.lock();
                let id = u64::from_le_bytes(id);
                let at = s.waiting.iter().position(|(i, _)| *i == id);
                at.map(|at| s.waiting.swap_remove(at).1)
            };
            match fd {
                Some(fd) => {
                    let _ = send_fd(c, fd);
                    unsafe { libc::close(fd) };
                }
                None => {
                    // Unknown or already fetched: the receiver sees end of file.
                }
            }
        }
        unsafe { libc::close(c) };
    }
}

fn read_full(fd: i32, buf: &mut [u8]) -> bool {
    let mut got = 0;
    while got < buf.len() {
        let n = unsafe { libc::read(fd, buf[got..].as_mut_ptr() as *mut libc::c_void, buf.len() - got) };
        if n < 0 && last_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        if n <= 0 {
            return false;
        }
        got += n as usize;
    }
    true
}

/// One byte of data carrying `fd` as SCM_RIGHTS.
fn send_fd(sock: i32, fd: i32) -> std::io::Result<()> {
    let mut byte = [b'F'];
    let mut iov = libc::iovec { iov_base: byte.as_mut_ptr() as *mut libc::c_void, iov_len: 1 };
    let space = unsafe { libc::CMSG_SPACE(std::mem::size_of::<i32>() as u32) } as usize;
    let mut control = vec![0u8; space];
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr() as *mut libc::c_void;
    msg.msg_controllen = space as _;
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<i32>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg) as *mut i32, fd);
        if libc::sendmsg(sock, &msg, libc::MSG_NOSIGNAL) < 0 {
            return Err(last_error());
        }
    }
    Ok(())
}

/// The receiver's side: the descriptor registered as `id` at `address`.
pub fn fetch(address: &str, id: u64) -> std::io::Result<i32> {
    let sock = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if sock < 0 {
        return Err(last_error());
    }
    let r = fetch_on(sock, address, id);
    unsafe { libc::close(sock) };
    r
}

fn fetch_on(sock: i32, address: &str, id: u64) -> std::io::Result<i32> {
    let (a, len) = super::abstract_addr(address);
    if unsafe { libc::connect(sock, &a as *const _ as *const libc::sockaddr, len) } != 0 {
        return Err(last_error());
    }
    super::write_all(sock, &id.to_le_bytes())?;
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec { iov_base: byte.as_mut_ptr() as *mut libc::c_void, iov_len: 1 };
    let space = unsafe { libc::CMSG_SPACE(std::mem::size_of::<i32>() as u32) } as usize;
    let mut control = vec![0u8; space];
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr() as *mut libc::c_void;
    msg.msg_controllen = space as _;
    let n = loop {
        let n = unsafe { libc::recvmsg(sock, &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if n < 0 && last_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        break n;
    };
    if n < 0 {
        return Err(last_error());
    }
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        if n == 1 && !cmsg.is_null() && (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS
        {
            return Ok(std::ptr::read_unaligned(libc::CMSG_DATA(cmsg) as *const i32));
        }
    }
    // The sender no longer has it (fetched already, or the sender ended).
    Err(std::io::Error::from_raw_os_error(libc::ENOENT))
}
