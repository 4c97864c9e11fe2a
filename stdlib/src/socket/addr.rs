//! Socket addresses: the Python forms scripts pass and receive (`(host, port)` for
//! AF_INET, `(host, port, flowinfo, scope_id)` for AF_INET6, a path for AF_UNIX)
//! converted to and from the kernel's `sockaddr` structures.

use super::resolve;
use conc_interpreter::native::Exc;
use conc_interpreter::{Object, PyResult, Value, Vm};
use std::net::{Ipv4Addr, Ipv6Addr};

/// A kernel socket address and its length.
pub struct SockAddr {
    pub storage: libc::sockaddr_storage,
    pub len: libc::socklen_t,
}

impl SockAddr {
    pub fn empty() -> SockAddr {
        // SAFETY: sockaddr_storage is plain data for which all zero bytes is valid.
        let storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        SockAddr { storage, len: std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t }
    }

    pub fn as_ptr(&self) -> *const libc::sockaddr {
        &self.storage as *const libc::sockaddr_storage as *const libc::sockaddr
    }

    pub fn as_mut_ptr(&mut self) -> *mut libc::sockaddr {
        &mut self.storage as *mut libc::sockaddr_storage as *mut libc::sockaddr
    }

    pub fn v4(ip: Ipv4Addr, port: u16) -> SockAddr {
        let mut a = SockAddr::empty();
        // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
        let sin = unsafe { &mut *(a.as_mut_ptr() as *mut libc::sockaddr_in) };
        sin.sin_family = libc::AF_INET as libc::sa_family_t;
        sin.sin_port = port.to_be();
        sin.sin_addr = libc::in_addr { s_addr: u32::from(ip).to_be() };
        a.len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        a
    }

    pub fn v6(ip: Ipv6Addr, port: u16, flowinfo: u32, scope_id: u32) -> SockAddr {
        let mut a = SockAddr::empty();
        // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
        let sin6 = unsafe { &mut *(a.as_mut_ptr() as *mut libc::sockaddr_in6) };
        sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
        sin6.sin6_port = port.to_be();
        sin6.sin6_flowinfo = flowinfo.to_be();
        sin6.sin6_addr = libc::in6_addr { s6_addr: ip.octets() };
        sin6.sin6_scope_id = scope_id;
        a.len = std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t;
        a
    }

    /// A Unix address; a path starting with a NUL byte is in the abstract namespace.
    pub fn unix(path: &[u8]) -> Option<SockAddr> {
        let mut a = SockAddr::empty();
        // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_un.
        let sun = unsafe { &mut *(a.as_mut_ptr() as *mut libc::sockaddr_un) };
        if path.len() >= sun.sun_path.len() {
            return None;
        }
        sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
        for (d, s) in sun.sun_path.iter_mut().zip(path) {
            *d = *s as libc::c_char;
        }
        let base = std::mem::size_of::<libc::sa_family_t>();
        // A pathname address counts its terminating NUL; an abstract one does not.
        let extra = if path.first() == Some(&0) { 0 } else { 1 };
        a.len = (base + path.len() + extra) as libc::socklen_t;
        Some(a)
    }

    pub fn family(&self) -> i32 {
        self.storage.ss_family as i32
    }

    /// The address as Python shows it.
    pub fn to_value(&self) -> Value {
        match self.family() {
            libc::AF_INET => {
                // SAFETY: the kernel wrote a sockaddr_in (its family says so).
                let sin = unsafe { &*(self.as_ptr() as *const libc::sockaddr_in) };
                let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
                Value::tuple(vec![Value::string(ip.to_string()), Value::Int(u16::from_be(sin.sin_port) as i64)])
            }
            libc::AF_INET6 => {
                // SAFETY: the kernel wrote a sockaddr_in6 (its family says so).
                let sin6 = unsafe { &*(self.as_ptr() as *const libc::sockaddr_in6) };
                let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
                Value::tuple(vec![
                    Value::string(ip.to_string()),
                    Value::Int(u16::from_be(sin6.sin6_port) as i64),
                    Value::Int(u32::from_be(sin6.sin6_flowinfo) as i64),
                    Value::Int(sin6.sin6_scope_id as i64),
                ])
            }
            libc::AF_UNIX => {
                // SAFETY: the kernel wrote a sockaddr_un (its family says so).
                let sun = unsafe { &*(self.as_ptr() as *const libc::sockaddr_un) };
                let base = std::mem::size_of::<libc::sa_family_t>();
                let n = (self.len as usize).saturating_sub(base).min(sun.sun_path.len());
                let raw: Vec<u8> = sun.sun_path[..n].iter().map(|c| *c as u8).collect();
                if raw.first() == Some(&0) {
                    return Value::new(Object::Bytes(raw.into_boxed_slice()));
                }
                let end = raw.iter().position(|b| *b == 0).unwrap_or(raw.len());
                Value::string(String::from_utf8_lossy(&raw[..end]).into_owned())
            }
            // An unbound or unknown address: CPython shows the family and raw bytes;
            // an empty address is the common case (an unbound socket pair).
            _ => Value::None,
        }
    }
}

/// The host part of an address: str, bytes or bytearray, as text.
fn host_text(vm: &mut Vm, v: &Value) -> PyResult<String> {
    if let Some(s) = v.as_str() {
        return Ok(s.as_str().to_string());
    }
    match v.unwrap_base().obj() {
        Some(Object::Bytes(b)) => Ok(String::from_utf8_lossy(b).into_owned()),
        Some(Object::ByteArray(b)) => Ok(String::from_utf8_lossy(&b.snapshot()).into_owned()),
        _ => {
            let msg = format!("str, bytes or bytearray expected, not {}", vm.type_name(v));
            Err(vm.type_error(&msg))
        }
    }
}

fn port_of(vm: &mut Vm, v: &Value, op: &str) -> PyResult<u16> {
    let p = vm.index_value(v)?;
    if !(0..=65535).contains(&p) {
        let msg = format!("{op}(): port must be 0-65535.");
        return Err(vm.error(Exc::OverflowError, &msg));
    }
    Ok(p as u16)
}

fn u32_of(vm: &mut Vm, v: &Value, what: &str, op: &str) -> PyResult<u32> {
    let n = vm.index_value(v)?;
    u32::try_from(n).map_err(|_| {
        let msg = format!("{op}(): {what} must be 0-4294967295.");
        vm.error(Exc::OverflowError, &msg)
    })
}

/// The address `v` of a socket of `family`, for the operation `op` (named in errors).
pub fn parse(vm: &mut Vm, family: i32, v: &Value, op: &str) -> PyResult<SockAddr> {
    match family {
        libc::AF_INET => {
            let Some(t) = v.as_tuple() else {
                let msg = format!("{op}(): AF_INET address must be tuple, not {}", vm.type_name(v));
                return Err(vm.type_error(&msg));
            };
            let items = t.items();
            if items.len() != 2 {
                return Err(vm.type_error("AF_INET address must be a pair (host, port)"));
            }
            let host = host_text(vm, &items[0])?;
            let port = port_of(vm, &items[1], op)?;
            let ip = resolve::ipv4_of(vm, &host)?;
            Ok(SockAddr::v4(ip, port))
        }
        libc::AF_INET6 => {
            let items = match v.as_tuple() {
                Some(t) if (2..=4).contains(&t.len()) => t.items().to_vec(),
                Some(_) => {
                    return Err(vm.type_error("AF_INET6 address must be a tuple (host, port[, flowinfo[, scopeid]])"))
                }
                None => {
                    let msg = format!("{op}(): AF_INET6 address must be tuple, not {}", vm.type_name(v));
                    return Err(vm.type_error(&msg));
                }
            };
            let host = host_text(vm, &items[0])?;
            let port = port_of(vm, &items[1], op)?;
            let flow = match items.get(2) {
                Some(f) => u32_of(vm, f, "flowinfo", op)?,
                None => 0,
            };
            let scope = match items.get(3) {
                Some(s) => u32_of(vm, s, "scope_id", op)?,
                None => 0,
            };
            let ip = resolve::ipv6_of(vm, &host)?;
            Ok(SockAddr::v6(ip, port, flow, scope))
        }
        libc::AF_UNIX => {
            let path: Vec<u8> = if let Some(s) = v.as_str() {
                s.as_str().as_bytes().to_vec()
            } else {
                match v.unwrap_base().obj() {
                    Some(Object::Bytes(b)) => b.to_vec(),
                    Some(Object::ByteArray(b)) => b.snapshot(),
                    _ => {
                        let msg = format!("a bytes-like object is required, not '{}'", vm.type_name(v));
                        return Err(vm.type_error(&msg));
                    }
                }
            };
            SockAddr::unix(&path).ok_or_else(|| vm.error(Exc::OSError, "AF_UNIX path too long"))
        }
        _ => {
            let msg = format!("{op}(): bad family");
            Err(vm.error(Exc::OSError, &msg))
        }
    }
}
