//! `_socket`: the native layer under `socket` (written in conc in
//! `stdlib/lib/socket.conc`, which adds `create_connection`, `create_server`,
//! `fromfd` and the enum-like constants' reprs).
//!
//! - `sock.rs`: the `socket.socket` class;
//! - `file.rs`: the files `makefile` returns;
//! - `wait.rs`: how operations wait (non-blocking descriptors, `poll` through the
//!   blocking layer, timeouts);
//! - `addr.rs`: addresses to and from `sockaddr`;
//! - `resolve.rs`: `getaddrinfo` and the host-name functions;
//! - this file: the module, its constants and the byte-order and address-text helpers.

pub mod addr;
pub mod file;
pub mod resolve;
pub mod sock;
pub mod wait;

use crate::util::{natives, set};
use conc_interpreter::interp::new_class;
use conc_interpreter::native::{native, BytesLike, Exc};
use conc_interpreter::value::class::BaseKind;
use conc_interpreter::{ObjRef, Object, PyResult, Value, Vm};
use sock::{Sock, SOCKET};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

/// `socket.gaierror`: resolver failures (`[Errno -2] Name or service not known`).
pub fn gaierror() -> &'static ObjRef {
    static C: OnceLock<ObjRef> = OnceLock::new();
    C.get_or_init(|| {
        new_class(
            "gaierror",
            "socket",
            vec![Exc::OSError.class().clone()],
            BaseKind::Exception,
            true,
            Default::default(),
        )
    })
}

/// `socket.herror`: host-database failures.
pub fn herror() -> &'static ObjRef {
    static C: OnceLock<ObjRef> = OnceLock::new();
    C.get_or_init(|| {
        new_class("herror", "socket", vec![Exc::OSError.class().clone()], BaseKind::Exception, true, Default::default())
    })
}

/// The integer constants, as Linux defines them (checked against python3).
const CONSTANTS: &[(&str, i64)] = &[
    ("AF_UNSPEC", libc::AF_UNSPEC as i64),
    ("AF_INET", libc::AF_INET as i64),
    ("AF_INET6", libc::AF_INET6 as i64),
    ("AF_UNIX", libc::AF_UNIX as i64),
    ("AF_NETLINK", libc::AF_NETLINK as i64),
    ("AF_PACKET", libc::AF_PACKET as i64),
    ("SOCK_STREAM", libc::SOCK_STREAM as i64),
    ("SOCK_DGRAM", libc::SOCK_DGRAM as i64),
    ("SOCK_RAW", libc::SOCK_RAW as i64),
    ("SOCK_SEQPACKET", libc::SOCK_SEQPACKET as i64),
    ("SOCK_NONBLOCK", libc::SOCK_NONBLOCK as i64),
    ("SOCK_CLOEXEC", libc::SOCK_CLOEXEC as i64),
    ("SOL_SOCKET", libc::SOL_SOCKET as i64),
    ("SOL_IP", 0),
    ("SOL_TCP", 6),
    ("SOL_UDP", 17),
    ("SOMAXCONN", 4096),
    ("SO_REUSEADDR", libc::SO_REUSEADDR as i64),
    ("SO_REUSEPORT", libc::SO_REUSEPORT as i64),
    ("SO_KEEPALIVE", libc::SO_KEEPALIVE as i64),
    ("SO_BROADCAST", libc::SO_BROADCAST as i64),
    ("SO_LINGER", libc::SO_LINGER as i64),
    ("SO_OOBINLINE", libc::SO_OOBINLINE as i64),
    ("SO_RCVBUF", libc::SO_RCVBUF as i64),
    ("SO_SNDBUF", libc::SO_SNDBUF as i64),
    ("SO_RCVLOWAT", libc::SO_RCVLOWAT as i64),
    ("SO_SNDLOWAT", libc::SO_SNDLOWAT as i64),
    ("SO_RCVTIMEO", libc::SO_RCVTIMEO as i64),
    ("SO_SNDTIMEO", libc::SO_SNDTIMEO as i64),
    ("SO_ERROR", libc::SO_ERROR as i64),
    ("SO_TYPE", libc::SO_TYPE as i64),
    ("SO_ACCEPTCONN", libc::SO_ACCEPTCONN as i64),
    ("SO_DOMAIN", libc::SO_DOMAIN as i64),
    ("SO_PROTOCOL", libc::SO_PROTOCOL as i64),
    ("IPPROTO_IP", libc::IPPROTO_IP as i64),
    ("IPPROTO_ICMP", libc::IPPROTO_ICMP as i64),
    ("IPPROTO_TCP", libc::IPPROTO_TCP as i64),
    ("IPPROTO_UDP", libc::IPPROTO_UDP as i64),
    ("IPPROTO_IPV6", libc::IPPROTO_IPV6 as i64),
    ("IPPROTO_RAW", libc::IPPROTO_RAW as i64),
    ("TCP_NODELAY", libc::TCP_NODELAY as i64),
    ("TCP_MAXSEG", libc::TCP_MAXSEG as i64),
    ("TCP_KEEPIDLE", libc::TCP_KEEPIDLE as i64),
    ("TCP_KEEPINTVL", libc::TCP_KEEPINTVL as i64),
    ("TCP_KEEPCNT", libc::TCP_KEEPCNT as i64),
    ("IP_TOS", libc::IP_TOS as i64),
    ("IP_TTL", libc::IP_TTL as i64),
    ("IP_MULTICAST_TTL", libc::IP_MULTICAST_TTL as i64),
    ("IP_MULTICAST_LOOP", libc::IP_MULTICAST_LOOP as i64),
    ("IP_ADD_MEMBERSHIP", libc::IP_ADD_MEMBERSHIP as i64),
    ("IP_DROP_MEMBERSHIP", libc::IP_DROP_MEMBERSHIP as i64),
    ("IPV6_V6ONLY", libc::IPV6_V6ONLY as i64),
    ("INADDR_ANY", 0),
    ("INADDR_LOOPBACK", 0x7f00_0001),
    ("INADDR_BROADCAST", 0xffff_ffff),
    ("INADDR_NONE", 0xffff_ffff),
    ("SHUT_RD", libc::SHUT_RD as i64),
    ("SHUT_WR", libc::SHUT_WR as i64),
    ("SHUT_RDWR", libc::SHUT_RDWR as i64),
    ("MSG_OOB", libc::MSG_OOB as i64),
    ("MSG_PEEK", libc::MSG_PEEK as i64),
    ("MSG_DONTWAIT", libc::MSG_DONTWAIT as i64),
    ("MSG_WAITALL", libc::MSG_WAITALL as i64),
    ("MSG_NOSIGNAL", libc::MSG_NOSIGNAL as i64),
    ("MSG_TRUNC", libc::MSG_TRUNC as i64),
    ("AI_PASSIVE", libc::AI_PASSIVE as i64),
    ("AI_CANONNAME", libc::AI_CANONNAME as i64),
    ("AI_NUMERICHOST", libc::AI_NUMERICHOST as i64),
    ("AI_NUMERICSERV", libc::AI_NUMERICSERV as i64),
    ("AI_ADDRCONFIG", libc::AI_ADDRCONFIG as i64),
    ("AI_V4MAPPED", libc::AI_V4MAPPED as i64),
    ("AI_ALL", libc::AI_ALL as i64),
    ("NI_NUMERICHOST", libc::NI_NUMERICHOST as i64),
    ("NI_NUMERICSERV", libc::NI_NUMERICSERV as i64),
    ("NI_NOFQDN", libc::NI_NOFQDN as i64),
    ("NI_NAMEREQD", libc::NI_NAMEREQD as i64),
    ("NI_DGRAM", libc::NI_DGRAM as i64),
    ("EAI_AGAIN", libc::EAI_AGAIN as i64),
    ("EAI_FAIL", libc::EAI_FAIL as i64),
    ("EAI_FAMILY", libc::EAI_FAMILY as i64),
    ("EAI_NONAME", libc::EAI_NONAME as i64),
    ("EAI_SERVICE", libc::EAI_SERVICE as i64),
    ("EAI_SOCKTYPE", libc::EAI_SOCKTYPE as i64),
];

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    for (name, v) in CONSTANTS {
        set(m, name, Value::Int(*v));
    }
    set(m, "has_ipv6", Value::Bool(true));
    set(m, "socket", Value::Obj(SOCKET.class().clone()));
    set(m, "SocketType", Value::Obj(SOCKET.class().clone()));
    set(m, "gaierror", Value::Obj(gaierror().clone()));
    set(m, "herror", Value::Obj(herror().clone()));
    natives(m, resolve::FUNCTIONS);
    natives(
        m,
        &[
            &inet_aton::DEF,
            &inet_ntoa::DEF,
            &inet_pton::DEF,
            &inet_ntop::DEF,
            &htons::DEF,
            &ntohs::DEF,
            &htonl::DEF,
            &ntohl::DEF,
            &getdefaulttimeout::DEF,
            &setdefaulttimeout::DEF,
            &socketpair::DEF,
            &close::DEF,
            &dup::DEF,
            &getservbyname::DEF,
            &getservbyport::DEF,
        ],
    );
    Ok(())
}

fn bytes_value(b: &[u8]) -> Value {
    Value::new(Object::Bytes(b.to_vec().into_boxed_slice()))
}

/// One part of a dotted address as the C library's `inet_aton` reads it: decimal,
/// octal with a leading 0, or hexadecimal with 0x.
fn aton_part(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    if digits.is_empty() {
        return (radix == 16).then_some(0);
    }
    u64::from_str_radix(digits, radix).ok().filter(|v| *v <= u32::MAX as u64)
}

/// The address `inet_aton` accepts: one to four parts, the last filling the rest;
/// anything after white space is ignored, as the C function does.
fn aton(s: &str) -> Option<u32> {
    let s = s.split([' ', '\t', '\n']).next().unwrap_or("");
    let parts: Vec<u64> = s.split('.').map(aton_part).collect::<Option<_>>()?;
    let (last, init) = parts.split_last()?;
    if parts.len() > 4 || init.iter().any(|p| *p > 255) {
        return None;
    }
    let rest_bits = 8 * (4 - init.len() as u32);
    if rest_bits < 32 && *last >= 1u64 << rest_bits {
        return None;
    }
    let mut v: u64 = 0;
    for p in init {
        v = (v << 8) | p;
    }
    Some(((v << rest_bits) | last) as u32)
}

/// inet_aton(string) -> bytes giving packed 32-bit IP representation
#[native("inet_aton(string, /)")]
fn inet_aton(vm: &mut Vm, string: &str) -> PyResult<Value> {
    match aton(string) {
        Some(v) => Ok(bytes_value(&v.to_be_bytes())),
        None => Err(vm.error(Exc::OSError, "illegal IP address string passed to inet_aton")),
    }
}

/// inet_ntoa(packed_ip) -> ip_address_string
#[native("inet_ntoa(packed_ip, /)")]
fn inet_ntoa(vm: &mut Vm, packed_ip: BytesLike) -> PyResult<String> {
    match <[u8; 4]>::try_from(&packed_ip[..]) {
        Ok(b) => Ok(Ipv4Addr::from(b).to_string()),
        Err(_) => Err(vm.error(Exc::OSError, "packed IP wrong length for inet_ntoa")),
    }
}

/// inet_pton(af, ip) -> packed IP address string
#[native("inet_pton(af, ip, /)")]
fn inet_pton(vm: &mut Vm, af: i64, ip: &str) -> PyResult<Value> {
    let bad = |vm: &mut Vm| vm.error(Exc::OSError, "illegal IP address string passed to inet_pton");
    match af as i32 {
        libc::AF_INET => match ip.parse::<Ipv4Addr>() {
            Ok(a) => Ok(bytes_value(&a.octets())),
            Err(_) => Err(bad(vm)),
        },
        libc::AF_INET6 => match ip.parse::<Ipv6Addr>() {
            Ok(a) => Ok(bytes_value(&a.octets())),
            Err(_) => Err(bad(vm)),
        },
        _ => Err(wait::errno_err(vm, libc::EAFNOSUPPORT)),
    }
}

/// inet_ntop(af, packed_ip) -> string formatted IP address
#[native("inet_ntop(af, packed_ip, /)")]
fn inet_ntop(vm: &mut Vm, af: i64, packed_ip: BytesLike) -> PyResult<String> {
    match af as i32 {
        libc::AF_INET => match <[u8; 4]>::try_from(&packed_ip[..]) {
            Ok(b) => Ok(Ipv4Addr::from(b).to_string()),
            Err(_) => Err(vm.value_error("invalid length of packed IP address string")),
        },
        libc::AF_INET6 => match <[u8; 16]>::try_from(&packed_ip[..]) {
            Ok(b) => Ok(Ipv6Addr::from(b).to_string()),
            Err(_) => Err(vm.value_error("invalid length of packed IP address string")),
        },
        other => {
            let msg = format!("unknown address family {other}");
            Err(vm.value_error(&msg))
        }
    }
}

fn u16_arg(vm: &mut Vm, x: &Value, name: &str) -> PyResult<u16> {
    let n = vm.index_value_big(x)?;
    if n.sign() == num_bigint::Sign::Minus {
        let msg = format!("{name}: can't convert negative Python int to C 16-bit unsigned integer");
        return Err(vm.error(Exc::OverflowError, &msg));
    }
    u16::try_from(&n).map_err(|_| {
        let msg = format!("{name}: Python int too large to convert to C 16-bit unsigned integer");
        vm.error(Exc::OverflowError, &msg)
    })
}

fn u32_arg(vm: &mut Vm, x: &Value) -> PyResult<u32> {
    let n = vm.index_value_big(x)?;
    if n.sign() == num_bigint::Sign::Minus {
        return Err(vm.error(Exc::OverflowError, "can't convert negative value to unsigned int"));
    }
    u32::try_from(&n).map_err(|_| vm.error(Exc::OverflowError, "int larger than 32 bits"))
}

/// Convert a 16-bit unsigned integer from host to network byte order.
#[native("htons(x, /)")]
fn htons(vm: &mut Vm, x: &Value) -> PyResult<i64> {
    Ok(u16_arg(vm, x, "htons")?.to_be() as i64)
}

/// Convert a 16-bit unsigned integer from network to host byte order.
#[native("ntohs(x, /)")]
fn ntohs(vm: &mut Vm, x: &Value) -> PyResult<i64> {
    Ok(u16::from_be(u16_arg(vm, x, "ntohs")?) as i64)
}

/// Convert a 32-bit unsigned integer from host to network byte order.
#[native("htonl(x, /)")]
fn htonl(vm: &mut Vm, x: &Value) -> PyResult<i64> {
    Ok(u32_arg(vm, x)?.to_be() as i64)
}

/// Convert a 32-bit unsigned integer from network to host byte order.
#[native("ntohl(x, /)")]
fn ntohl(vm: &mut Vm, x: &Value) -> PyResult<i64> {
    Ok(u32::from_be(u32_arg(vm, x)?) as i64)
}

/// getdefaulttimeout() -> timeout: the timeout new sockets start with (None: blocking).
#[native("getdefaulttimeout()")]
fn getdefaulttimeout(_vm: &mut Vm) -> PyResult<Option<f64>> {
    Ok(sock::default_timeout())
}

/// setdefaulttimeout(timeout): the timeout new sockets start with.
#[native("setdefaulttimeout(timeout, /)")]
fn setdefaulttimeout(vm: &mut Vm, timeout: &Value) -> PyResult<()> {
    let t = sock::timeout_arg(vm, timeout)?;
    sock::set_default_timeout(t);
    Ok(())
}

/// socketpair([family[, type [, proto]]]) -> (socket object, socket object)
#[native("socketpair(family=None, type=None, proto=0, /)")]
fn socketpair(vm: &mut Vm, family: Option<i64>, kind: Option<i64>, proto: i64) -> PyResult<Value> {
    let family = family.unwrap_or(libc::AF_UNIX as i64) as i32;
    let kind = kind.unwrap_or(libc::SOCK_STREAM as i64) as i32;
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors socketpair writes.
    let rc = unsafe {
        libc::socketpair(family, kind | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, proto as i32, fds.as_mut_ptr())
    };
    if rc < 0 {
        return Err(wait::os_err(vm, &std::io::Error::last_os_error()));
    }
    let a = SOCKET.instance(Sock::adopt(fds[0], family, kind, proto as i32));
    let b = SOCKET.instance(Sock::adopt(fds[1], family, kind, proto as i32));
    Ok(Value::tuple(vec![a, b]))
}

/// close(integer) -> None: close a socket descriptor.
#[native("close(fd, /)")]
fn close(vm: &mut Vm, fd: i64) -> PyResult<()> {
    // SAFETY: closing a descriptor number the script names, as CPython's does; a
    // descriptor owned by a socket object is the script's mistake, as there.
    if unsafe { libc::close(fd as i32) } < 0 {
        return Err(wait::os_err(vm, &std::io::Error::last_os_error()));
    }
    Ok(())
}

/// dup(integer) -> integer: a duplicate of a socket descriptor.
#[native("dup(fd, /)")]
fn dup(vm: &mut Vm, fd: i64) -> PyResult<i64> {
    // SAFETY: fcntl duplicating a descriptor number.
    let n = unsafe { libc::fcntl(fd as i32, libc::F_DUPFD_CLOEXEC, 0) };
    if n < 0 {
        return Err(wait::os_err(vm, &std::io::Error::last_os_error()));
    }
    Ok(n as i64)
}

/// getservbyname(servicename[, protocolname]) -> integer
#[native("getservbyname(servicename, protocolname=None, /)")]
fn getservbyname(vm: &mut Vm, servicename: &str, protocolname: Option<String>) -> PyResult<i64> {
    let kind = match protocolname.as_deref() {
        Some("udp") => libc::SOCK_DGRAM,
        _ => libc::SOCK_STREAM,
    };
    let found = resolve::lookup(vm, Some("127.0.0.1"), Some(servicename), libc::AF_INET, kind, 0, libc::AI_NUMERICHOST);
    match found {
        Ok(a) if !a.is_empty() => match a[0].addr.to_value().as_tuple().map(|t| t.items().to_vec()) {
            Some(items) if items.len() == 2 => vm.index_value(&items[1]),
            _ => Err(vm.error(Exc::OSError, "service/proto not found")),
        },
        _ => Err(vm.error(Exc::OSError, "service/proto not found")),
    }
}

/// getservbyport(port[, protocolname]) -> string
#[native("getservbyport(port, protocolname=None, /)")]
fn getservbyport(vm: &mut Vm, port: i64, protocolname: Option<String>) -> PyResult<String> {
    if !(0..=65535).contains(&port) {
        return Err(vm.error(Exc::OverflowError, "getservbyport: port must be 0-65535."));
    }
    let a = addr::SockAddr::v4(Ipv4Addr::LOCALHOST, port as u16);
    let mut serv = [0 as libc::c_char; 64];
    let flags = if protocolname.as_deref() == Some("udp") { libc::NI_DGRAM } else { 0 };
    // SAFETY: `a` is a valid address; `serv` is writable for its length; no host buffer.
    let rc = unsafe {
        libc::getnameinfo(a.as_ptr(), a.len, std::ptr::null_mut(), 0, serv.as_mut_ptr(), serv.len() as u32, flags)
    };
    // SAFETY: getnameinfo NUL-terminates what it writes into `serv`.
    let name = unsafe { std::ffi::CStr::from_ptr(serv.as_ptr()) }.to_string_lossy().into_owned();
    if rc != 0 || name.is_empty() || name.parse::<u16>().is_ok() {
        return Err(vm.error(Exc::OSError, "port/proto not found"));
    }
    Ok(name)
}
