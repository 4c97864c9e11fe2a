//! Name resolution through the C library's `getaddrinfo` (which reads /etc/hosts
//! and asks DNS): `getaddrinfo`, `gethostbyname`, `gethostname`, and the host part
//! of the addresses scripts give to `bind`/`connect`. Failures are `socket.gaierror`
//! with the resolver's code and text, as in CPython.

use super::addr::SockAddr;
use super::gaierror;
use conc_interpreter::native::{native, Exc};
use conc_interpreter::{Object, PyErr, PyResult, Value, Vm};
use std::ffi::{CStr, CString};
use std::net::{Ipv4Addr, Ipv6Addr};

/// One answer of the resolver.
pub struct Answer {
    pub family: i32,
    pub kind: i32,
    pub proto: i32,
    pub canon: String,
    pub addr: SockAddr,
}

fn gai_error(vm: &mut Vm, code: i32) -> PyErr {
    if code == libc::EAI_SYSTEM {
        return conc_interpreter::builtins::io::os_error(vm, &std::io::Error::last_os_error(), None);
    }
    // SAFETY: gai_strerror returns a pointer to a static NUL-terminated string.
    let text = unsafe { CStr::from_ptr(libc::gai_strerror(code)) }.to_string_lossy().into_owned();
    vm.new_exception(gaierror(), vec![Value::Int(code as i64), Value::string(text)])
}

/// Asks the resolver; `host`/`service` None are left to it (both None is an error).
pub fn lookup(
    vm: &mut Vm,
    host: Option<&str>,
    service: Option<&str>,
    family: i32,
    kind: i32,
    proto: i32,
    flags: i32,
) -> PyResult<Vec<Answer>> {
    let chost = match host.map(CString::new) {
        Some(Ok(c)) => Some(c),
        Some(Err(_)) => return Err(vm.value_error("embedded null character")),
        None => None,
    };
    let cserv = match service.map(CString::new) {
        Some(Ok(c)) => Some(c),
        Some(Err(_)) => return Err(vm.value_error("embedded null character")),
        None => None,
    };
    // SAFETY: addrinfo is plain data; all zero is the documented "no hints" value.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = family;
    hints.ai_socktype = kind;
    hints.ai_protocol = proto;
    hints.ai_flags = flags;
    let mut res: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: the strings are NUL-terminated and outlive the call; `res` receives a
    // list that is freed below with freeaddrinfo.
    let rc = unsafe {
        libc::getaddrinfo(
            chost.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()),
            cserv.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()),
            &hints,
            &mut res,
        )
    };
    if rc != 0 {
        return Err(gai_error(vm, rc));
    }
    let mut out = Vec::new();
    let mut p = res;
    while !p.is_null() {
        // SAFETY: `p` walks the list getaddrinfo returned, which is valid until freed.
        let ai = unsafe { &*p };
        let mut addr = SockAddr::empty();
        let n = (ai.ai_addrlen as usize).min(std::mem::size_of::<libc::sockaddr_storage>());
        if !ai.ai_addr.is_null() {
            // SAFETY: ai_addr points to ai_addrlen bytes; at most the storage's size is copied.
            unsafe { std::ptr::copy_nonoverlapping(ai.ai_addr as *const u8, addr.as_mut_ptr() as *mut u8, n) };
        }
        addr.len = n as libc::socklen_t;
        let canon = if ai.ai_canonname.is_null() {
            String::new()
        } else {
            // SAFETY: a non-null canonical name is a NUL-terminated string in the list.
            unsafe { CStr::from_ptr(ai.ai_canonname) }.to_string_lossy().into_owned()
        };
        out.push(Answer { family: ai.ai_family, kind: ai.ai_socktype, proto: ai.ai_protocol, canon, addr });
        p = ai.ai_next;
    }
    // SAFETY: `res` came from a successful getaddrinfo and is freed once.
    unsafe { libc::freeaddrinfo(res) };
    Ok(out)
}

/// The IPv4 address a host names: '' is any address, '<broadcast>' the broadcast one.
pub fn ipv4_of(vm: &mut Vm, host: &str) -> PyResult<Ipv4Addr> {
    match host {
        "" => return Ok(Ipv4Addr::UNSPECIFIED),
        "<broadcast>" => return Ok(Ipv4Addr::BROADCAST),
        _ => {}
    }
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return Ok(ip);
    }
    let answers = lookup(vm, Some(host), None, libc::AF_INET, 0, 0, 0)?;
    match answers.first().map(|a| a.addr.to_value()) {
        Some(Value::Obj(o)) => match &*o {
            Object::Tuple(t) => match t.items().first().and_then(|h| h.as_str().map(|s| s.as_str().to_string())) {
                Some(s) => s.parse().map_err(|_| vm.error(Exc::OSError, "bad address")),
                None => Err(vm.error(Exc::OSError, "bad address")),
            },
            _ => Err(vm.error(Exc::OSError, "bad address")),
        },
        _ => Err(gai_error(vm, libc::EAI_NONAME)),
    }
}

/// The IPv6 address a host names ('' is any address).
pub fn ipv6_of(vm: &mut Vm, host: &str) -> PyResult<Ipv6Addr> {
    if host.is_empty() {
        return Ok(Ipv6Addr::UNSPECIFIED);
    }
    // A scope suffix ("fe80::1%eth0") is left to the resolver.
    if let Ok(ip) = host.parse::<Ipv6Addr>() {
        return Ok(ip);
    }
    let answers = lookup(vm, Some(host), None, libc::AF_INET6, 0, 0, 0)?;
    for a in answers {
        if a.addr.family() == libc::AF_INET6 {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let sin6 = unsafe { &*(a.addr.as_ptr() as *const libc::sockaddr_in6) };
            return Ok(Ipv6Addr::from(sin6.sin6_addr.s6_addr));
        }
    }
    Err(gai_error(vm, libc::EAI_NONAME))
}

/// A host argument: None, str, bytes or bytearray.
fn opt_host(vm: &mut Vm, v: &Value) -> PyResult<Option<String>> {
    if v.is_none() {
        return Ok(None);
    }
    if let Some(s) = v.as_str() {
        return Ok(Some(s.as_str().to_string()));
    }
    match v.unwrap_base().obj() {
        Some(Object::Bytes(b)) => Ok(Some(String::from_utf8_lossy(b).into_owned())),
        Some(Object::ByteArray(b)) => Ok(Some(String::from_utf8_lossy(&b.snapshot()).into_owned())),
        _ => Err(vm.type_error("getaddrinfo() argument 1 must be string or None")),
    }
}

/// getaddrinfo(host, port, family=0, type=0, proto=0, flags=0) -> list of (family,
/// type, proto, canonname, sockaddr)
#[native("getaddrinfo(host, port, family=0, type=0, proto=0, flags=0)")]
fn getaddrinfo(
    vm: &mut Vm,
    host: Value,
    port: Value,
    family: i64,
    kind: i64,
    proto: i64,
    flags: i64,
) -> PyResult<Value> {
    let host = opt_host(vm, &host)?;
    let service = match &port {
        Value::None => None,
        Value::Int(i) => Some(i.to_string()),
        v if v.as_str().is_some() => v.as_str().map(|s| s.as_str().to_string()),
        v => match v.unwrap_base().obj() {
            Some(Object::Bytes(b)) => Some(String::from_utf8_lossy(b).into_owned()),
            _ => return Err(vm.error(Exc::OSError, "Int or String expected")),
        },
    };
    let answers =
        lookup(vm, host.as_deref(), service.as_deref(), family as i32, kind as i32, proto as i32, flags as i32)?;
    let items = answers
        .into_iter()
        .map(|a| {
            Value::tuple(vec![
                Value::Int(a.family as i64),
                Value::Int(a.kind as i64),
                Value::Int(a.proto as i64),
                Value::string(a.canon),
                a.addr.to_value(),
            ])
        })
        .collect();
    Ok(Value::list(items))
}

/// gethostbyname(host) -> address: the IPv4 address of a host name, as a string.
#[native("gethostbyname(hostname, /)")]
fn gethostbyname(vm: &mut Vm, hostname: &str) -> PyResult<String> {
    Ok(ipv4_of(vm, hostname)?.to_string())
}

/// gethostbyname_ex(host) -> (name, aliaslist, addresslist)
#[native("gethostbyname_ex(hostname, /)")]
fn gethostbyname_ex(vm: &mut Vm, hostname: &str) -> PyResult<Value> {
    let answers = lookup(vm, Some(hostname), None, libc::AF_INET, libc::SOCK_STREAM, 0, libc::AI_CANONNAME)?;
    let name = answers.iter().find(|a| !a.canon.is_empty()).map(|a| a.canon.clone());
    let mut addrs: Vec<String> = Vec::new();
    for a in &answers {
        if let Value::Obj(o) = a.addr.to_value() {
            if let Object::Tuple(t) = &*o {
                if let Some(s) = t.items().first().and_then(|h| h.as_str()) {
                    if !addrs.iter().any(|x| x == s.as_str()) {
                        addrs.push(s.as_str().to_string());
                    }
                }
            }
        }
    }
    Ok(Value::tuple(vec![
        Value::string(name.unwrap_or_else(|| hostname.to_string())),
        Value::list(Vec::new()),
        Value::list(addrs.into_iter().map(Value::string).collect()),
    ]))
}

/// gethostname() -> string: the host name of this machine.
#[native("gethostname()")]
fn gethostname(vm: &mut Vm) -> PyResult<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is writable for its length.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr() as *mut libc::c_char, buf.len()) };
    if rc != 0 {
        return Err(conc_interpreter::builtins::io::os_error(vm, &std::io::Error::last_os_error(), None));
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    Ok(String::from_utf8_lossy(&buf[..end]).into_owned())
}

pub const FUNCTIONS: &[&conc_interpreter::native::NativeDef] =
    &[&getaddrinfo::DEF, &gethostbyname::DEF, &gethostbyname_ex::DEF, &gethostname::DEF];
