//! Sending a descriptor (a Connection) in a message, as CPython's resource_sharer:
//! the sender duplicates the descriptor and registers the copy under a number with a
//! small server thread listening on an abstract Unix socket of its own; the message
//! carries (address, number). The receiver connects, asks for the number and gets
//! the descriptor through SCM_RIGHTS. This works whatever carries the message (a
//! Queue's pipe, a Pipe, a manager), but the sender must still be running when the
//! receiver loads the message (CPython's condition too). A copy nobody fetches stays
//! open in the sender until it exits.

use super::handle::{adopt, connect_to, listen_at, unix_socket, write_all};
use parking_lot::Mutex;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};

struct Sharer {
    /// The server's address; empty until the server thread runs in this process.
    address: String,
    /// Registered copies by number, until a receiver fetches them.
    waiting: Vec<(u64, OwnedFd)>,
}

static SHARER: Mutex<Sharer> = Mutex::new(Sharer { address: String::new(), waiting: Vec::new() });
static NEXT: AtomicU64 = AtomicU64::new(1);

fn last_error() -> std::io::Error {
    std::io::Error::last_os_error()
}

/// Registers a duplicate of `fd`; returns (server address, number) for the message.
pub fn register(fd: RawFd) -> std::io::Result<(String, u64)> {
    // SAFETY: fcntl takes integers; F_DUPFD_CLOEXEC returns a new descriptor or -1.
    let copy = adopt(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) })?;
    let mut s = SHARER.lock();
    if s.address.is_empty() {
        s.address = start_server()?;
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
    // Dropping the copies closes this process's duplicates of them only.
    s.waiting.clear();
    s.address.clear();
}

fn start_server() -> std::io::Result<String> {
    let name = format!("conc-fd-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let listener = listen_at(&name, 64)?;
    std::thread::Builder::new().name("fd-sharer".into()).spawn(move || {
        conc_interpreter::signals::block_async_signals();
        serve(listener)
    })?;
    Ok(name)
}

/// The server thread: one request (a number) per connection, answered with the
/// descriptor, which this process then closes.
fn serve(listener: OwnedFd) {
    loop {
        // SAFETY: null address pointers ask accept4 for no peer address.
        let c = unsafe {
            libc::accept4(listener.as_raw_fd(), std::ptr::null_mut(), std::ptr::null_mut(), libc::SOCK_CLOEXEC)
        };
        let c = match adopt(c) {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return,
        };
        let mut id = [0u8; 8];
        if read_full(c.as_raw_fd(), &mut id) {
            let fd = {
                let mut s = SHARER.lock();
                let id = u64::from_le_bytes(id);
                let at = s.waiting.iter().position(|(i, _)| *i == id);
                at.map(|at| s.waiting.swap_remove(at).1)
            };
            // Unknown or already fetched: the receiver sees end of file.
            if let Some(fd) = fd {
                let _ = send_fd(c.as_raw_fd(), fd.as_raw_fd());
            }
        }
    }
}

fn read_full(fd: RawFd, buf: &mut [u8]) -> bool {
    let mut got = 0;
    while got < buf.len() {
        // SAFETY: `buf[got..]` is writable and `buf.len() - got` bytes long.
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

/// A message header with room for one descriptor of control data; `byte` and
/// `control` must outlive its use.
fn one_fd_header(iov: &mut libc::iovec, control: &mut [u8]) -> libc::msghdr {
    // SAFETY: msghdr is plain old data; all zeroes is an empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr() as *mut libc::c_void;
    msg.msg_controllen = control.len() as _;
    msg
}

/// The control buffer size for one descriptor.
fn one_fd_space() -> usize {
    // SAFETY: CMSG_SPACE only computes a size.
    unsafe { libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) as usize }
}

/// One byte of data carrying `fd` as SCM_RIGHTS.
fn send_fd(sock: RawFd, fd: RawFd) -> std::io::Result<()> {
    let mut byte = [b'F'];
    let mut iov = libc::iovec { iov_base: byte.as_mut_ptr() as *mut libc::c_void, iov_len: 1 };
    let mut control = vec![0u8; one_fd_space()];
    let msg = one_fd_header(&mut iov, &mut control);
    // SAFETY: `msg` describes `byte` and `control`, both alive here; the control
    // buffer has room for one header and one descriptor (CMSG_SPACE), so
    // CMSG_FIRSTHDR is non-null and CMSG_DATA points inside it.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<RawFd>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg) as *mut RawFd, fd);
        if libc::sendmsg(sock, &msg, libc::MSG_NOSIGNAL) < 0 {
            return Err(last_error());
        }
    }
    Ok(())
}

/// The receiver's side: the descriptor registered as `id` at `address`.
pub fn fetch(address: &str, id: u64) -> std::io::Result<OwnedFd> {
    let sock = unix_socket()?;
    connect_to(&sock, address)?;
    write_all(sock.as_raw_fd(), &id.to_le_bytes())?;
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec { iov_base: byte.as_mut_ptr() as *mut libc::c_void, iov_len: 1 };
    let mut control = vec![0u8; one_fd_space()];
    let mut msg = one_fd_header(&mut iov, &mut control);
    let n = loop {
        // SAFETY: `msg` describes `byte` and `control`, both alive and writable.
        let n = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if n < 0 && last_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        break n;
    };
    if n < 0 {
        return Err(last_error());
    }
    // SAFETY: recvmsg filled `msg`; CMSG_FIRSTHDR checks the length it reported, and
    // the data of an SCM_RIGHTS header of this size is one descriptor.
    let received = unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        if n == 1 && !cmsg.is_null() && (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS
        {
            Some(std::ptr::read_unaligned(libc::CMSG_DATA(cmsg) as *const RawFd))
        } else {
            None
        }
    };
    match received {
        // SAFETY: the kernel just installed this descriptor for us; nothing owns it yet.
        Some(fd) => Ok(unsafe { OwnedFd::from_raw_fd(fd) }),
        // The sender no longer has it (fetched already, or the sender ended).
        None => Err(std::io::Error::from_raw_os_error(libc::ENOENT)),
    }
}
