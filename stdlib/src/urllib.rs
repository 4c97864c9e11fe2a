//! `urllib`: `urllib.request.urlopen` for http and https, `urllib.error` and the basics
//! of `urllib.parse`.
//!
//! The transport is native (`_urllib`, on the `ureq` crate with rustls): it resolves
//! the host with the C library's `getaddrinfo` (so a name that does not resolve gives
//! CPython's `[Errno -2] Name or service not known`), connects, sends the request and
//! hands back the status line, the headers and a handle from which the body is read.
//! The objects a script sees (the response, the header message, `URLError`,
//! `HTTPError`, `Request`, `urlparse`'s result) are written in conc (`stdlib/lib/urllib/`)
//! as the modules `urllib.request`, `urllib.error` and `urllib.parse`, because they
//! must be ordinary script-level classes: exceptions a script subclasses and catches,
//! context managers, objects with attributes.
//!
//! A request runs on the calling thread and takes no interpreter-wide lock (there is
//! none), so other threads go on running while one waits on the network.

use crate::util::natives;
use conc_interpreter::native::{native, Exc};
use conc_interpreter::{ObjRef, Object, PyResult, Value, Vm};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::io::{ErrorKind, Read};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    natives(m, &[&open::DEF, &read::DEF, &close::DEF]);
    Ok(())
}

type Body = Box<dyn Read + Send + Sync>;

/// Open response bodies by handle. A reader is taken out of the table while it is
/// read, so a slow read blocks only its own thread and never the table.
fn bodies() -> &'static Mutex<HashMap<u64, Body>> {
    static B: OnceLock<Mutex<HashMap<u64, Body>>> = OnceLock::new();
    B.get_or_init(|| Mutex::new(HashMap::new()))
}

static NEXT_HANDLE: AtomicU64 = AtomicU64::new(1);

/// What went wrong before a response arrived, in the terms the conc layer turns into
/// CPython's exceptions.
enum Failure {
    /// `socket.gaierror(code, message)`.
    Gai(i32, String),
    /// `TimeoutError('timed out')`.
    Timeout,
    /// `OSError(errno, strerror)`.
    Os(i32, String),
    /// Any other failure, as a message.
    Other(String),
}

impl Failure {
    fn into_value(self) -> Value {
        let (kind, code, msg) = match self {
            Failure::Gai(c, m) => ("gaierror", c, m),
            Failure::Timeout => ("timeout", 0, "timed out".to_string()),
            Failure::Os(c, m) => ("oserror", c, m),
            Failure::Other(m) => ("other", 0, m),
        };
        Value::tuple(vec![Value::str("error"), Value::str(kind), Value::Int(code as i64), Value::string(msg)])
    }
}

/// Resolves `host:port` with getaddrinfo, as CPython's socket.create_connection does,
/// keeping the C library's error code and message.
fn resolve(netloc: &str) -> Result<Vec<SocketAddr>, (i32, String)> {
    let (host, port) = match netloc.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse::<u16>().map_err(|_| (libc::EAI_SERVICE, "Servname not supported for ai_socktype".to_string()))?,
        ),
        None => (netloc, 80),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let c_host = CString::new(host).map_err(|_| (libc::EAI_NONAME, "Name or service not known".to_string()))?;
    // SAFETY: `struct addrinfo` is plain C data, integers and pointers; all-zero
    // bytes are a valid value (0 and null pointers), and getaddrinfo reads zeroed
    // hints as "no constraint" besides the fields set below.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = libc::AF_UNSPEC;
    hints.ai_socktype = libc::SOCK_STREAM;
    let mut res: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: the host string and hints outlive the call; `res` is freed below.
    let rc = unsafe { libc::getaddrinfo(c_host.as_ptr(), std::ptr::null(), &hints, &mut res) };
    if rc != 0 {
        // SAFETY: gai_strerror returns a static C string for any code.
        let msg = unsafe { CStr::from_ptr(libc::gai_strerror(rc)) }.to_string_lossy().into_owned();
        return Err((rc, msg));
    }
    let mut out = Vec::new();
    let mut p = res;
    while !p.is_null() {
        // SAFETY: `p` walks the list getaddrinfo returned; each address has the
        // length its family says.
        unsafe {
            let ai = &*p;
            if !ai.ai_addr.is_null() {
                match ai.ai_family {
                    libc::AF_INET => {
                        let sa = &*(ai.ai_addr as *const libc::sockaddr_in);
                        let ip = std::net::Ipv4Addr::from(u32::from_be(sa.sin_addr.s_addr));
                        out.push(SocketAddr::new(IpAddr::V4(ip), port));
                    }
                    libc::AF_INET6 => {
                        let sa = &*(ai.ai_addr as *const libc::sockaddr_in6);
                        let ip = std::net::Ipv6Addr::from(sa.sin6_addr.s6_addr);
                        out.push(SocketAddr::new(IpAddr::V6(ip), port));
                    }
                    _ => {}
                }
            }
            p = ai.ai_next;
        }
    }
    // SAFETY: `res` came from a successful getaddrinfo.
    unsafe { libc::freeaddrinfo(res) };
    Ok(out)
}

fn strerror(code: i32) -> String {
    // SAFETY: strerror returns a valid C string for any code.
    unsafe { CStr::from_ptr(libc::strerror(code)) }.to_string_lossy().into_owned()
}

/// Classifies an I/O error the way CPython's socket layer reports it.
fn io_failure(e: &std::io::Error) -> Failure {
    if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) {
        return Failure::Timeout;
    }
    match e.raw_os_error() {
        Some(code) => Failure::Os(code, strerror(code)),
        None => Failure::Other(e.to_string()),
    }
}

/// Finds the innermost I/O error behind a ureq transport error.
fn transport_failure(t: &ureq::Transport, gai: &Mutex<Option<(i32, String)>>) -> Failure {
    if let Some((code, msg)) = gai.lock().take() {
        return Failure::Gai(code, msg);
    }
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(t);
    while let Some(e) = src {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                if let Some(inner_io) = inner.downcast_ref::<std::io::Error>() {
                    return io_failure(inner_io);
                }
            }
            return io_failure(io);
        }
        src = e.source();
    }
    match t.message() {
        Some(m) => Failure::Other(m.to_string()),
        None => Failure::Other(t.to_string()),
    }
}

/// open(url, method, data, headers, timeout) -> ("ok", status, reason, headers,
/// final_url, handle) or ("error", kind, code, message): performs one request.
///
/// Any response gives "ok" (error statuses too: the conc layer raises HTTPError);
/// "error" means no response arrived. `data` is the body (bytes-like) or None,
/// `headers` a tuple of (name, value) pairs, `timeout` seconds or None.
#[native("_urllib.open(url, method, data, headers, timeout, /)")]
fn open(vm: &mut Vm, url: &str, method: &str, data: Value, headers: Value, timeout: Value) -> PyResult<Value> {
    let data: Option<Vec<u8>> = conc_interpreter::builtins::bytes_like(&data);
    let mut pairs = Vec::new();
    if let Some(t) = headers.as_tuple() {
        for item in t.items() {
            if let Some(pair) = item.as_tuple() {
                let kv = pair.items();
                if let (Some(k), Some(v)) = (kv.first().and_then(|k| k.as_str()), kv.get(1).and_then(|v| v.as_str())) {
                    pairs.push((k.as_str().to_string(), v.as_str().to_string()));
                }
            }
        }
    }
    let headers = pairs;
    let timeout = match timeout {
        Value::Int(i) => Some(vm.seconds(i as f64)?),
        Value::Float(f) => Some(vm.seconds(f)?),
        _ => None,
    };

    // The resolver records getaddrinfo's error so the failure can be reported with
    // its code; ureq itself only keeps a message.
    let gai: Arc<Mutex<Option<(i32, String)>>> = Arc::new(Mutex::new(None));
    let gai_in = gai.clone();
    let mut builder = ureq::AgentBuilder::new()
        .resolver(move |netloc: &str| -> std::io::Result<Vec<SocketAddr>> {
            resolve(netloc).map_err(|(code, msg)| {
                *gai_in.lock() = Some((code, msg.clone()));
                std::io::Error::new(ErrorKind::NotFound, msg)
            })
        })
        .user_agent("Python-urllib/3.11");
    if let Some(t) = timeout {
        builder = builder.timeout_connect(t).timeout_read(t).timeout_write(t);
    }
    let agent = builder.build();
    let mut req = agent.request(method, url);
    for (k, v) in &headers {
        req = req.set(k, v);
    }
    let result = match data {
        Some(d) => req.send_bytes(&d),
        None => req.call(),
    };
    let resp = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(ureq::Error::Transport(t)) => {
            let f = transport_failure(&t, &gai);
            // CPython wraps only failures of connecting and sending in URLError; a
            // timeout while waiting for the status line escapes as a bare TimeoutError.
            if matches!(f, Failure::Timeout) && t.kind() != ureq::ErrorKind::ConnectionFailed {
                return Err(vm.error(Exc::TimeoutError, "timed out"));
            }
            return Ok(f.into_value());
        }
    };
    let status = resp.status() as i64;
    let reason = resp.status_text().to_string();
    let final_url = resp.get_url().to_string();
    let mut hs = Vec::new();
    for name in resp.headers_names() {
        for v in resp.all(&name) {
            hs.push(Value::tuple(vec![Value::string(name.clone()), Value::str(v)]));
        }
    }
    let handle = NEXT_HANDLE.fetch_add(1, Ordering::Relaxed);
    bodies().lock().insert(handle, Box::new(resp.into_reader()));
    Ok(Value::tuple(vec![
        Value::str("ok"),
        Value::Int(status),
        Value::string(reason),
        Value::tuple(hs),
        Value::string(final_url),
        Value::Int(handle as i64),
    ]))
}

/// read(handle, n=None) -> bytes: up to `n` bytes of the body (all of it when `n` is
/// None or negative); `b""` at the end or after close.
#[native("_urllib.read(handle, n=None, /)")]
fn read(vm: &mut Vm, handle: i64, n: Option<i64>) -> PyResult<Value> {
    let handle = handle as u64;
    let n = n.unwrap_or(-1);
    let Some(mut body) = bodies().lock().remove(&handle) else {
        return Ok(Value::new(Object::Bytes(Box::new([]))));
    };
    let mut buf = Vec::new();
    let r = if n < 0 {
        body.read_to_end(&mut buf).map(|_| ())
    } else {
        (&mut body).take(n as u64).read_to_end(&mut buf).map(|_| ())
    };
    bodies().lock().insert(handle, body);
    match r {
        Ok(()) => Ok(Value::new(Object::Bytes(buf.into_boxed_slice()))),
        Err(e) => match io_failure(&e) {
            Failure::Timeout => Err(vm.error(Exc::TimeoutError, "timed out")),
            Failure::Os(code, msg) => Err(vm.error(Exc::OSError, &format!("[Errno {code}] {msg}"))),
            Failure::Gai(_, msg) | Failure::Other(msg) => Err(vm.error(Exc::OSError, &msg)),
        },
    }
}

/// close(handle): drops the body (and with it the connection).
#[native("_urllib.close(handle, /)")]
fn close(_vm: &mut Vm, handle: i64) -> PyResult<()> {
    bodies().lock().remove(&(handle as u64));
    Ok(())
}
