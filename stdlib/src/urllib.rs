//! `urllib`: `urllib.request.urlopen` for http and https, `urllib.error` and the basics
//! of `urllib.parse`.
//!
//! The transport is native (`_urllib`, on the `ureq` crate with rustls): it resolves
//! the host with the C library's `getaddrinfo` (so a name that does not resolve gives
//! CPython's `[Errno -2] Name or service not known`), connects, sends the request and
//! hands back the status line, the headers and a handle from which the body is read.
//! The objects a script sees (the response, the header message, `URLError`,
//! `HTTPError`, `Request`, `urlparse`'s result) are written in conc below and embedded
//! as the sources of `urllib.request`, `urllib.error` and `urllib.parse`, because they
//! must be ordinary script-level classes: exceptions a script subclasses and catches,
//! context managers, objects with attributes.
//!
//! A request runs on the calling thread and takes no interpreter-wide lock (there is
//! none), so other threads go on running while one waits on the network.

use crate::util::functions;
use conc_interpreter::{Args, ObjRef, Object, PyResult, Value, Vm};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::io::{ErrorKind, Read};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    functions(m, &[("open", open), ("read", read), ("close", close)]);
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

fn str_arg(vm: &mut Vm, v: Option<&Value>, what: &str) -> PyResult<String> {
    match v.and_then(|v| v.as_str()) {
        Some(s) => Ok(s.as_str().to_string()),
        None => Err(vm.type_error(&format!("_urllib.open: {what} must be a str"))),
    }
}

/// `open(url, method, data, headers, timeout)`: performs one request.
///
/// Returns `("ok", status, reason, ((name, value), ...), final_url, handle)` for any
/// response (error statuses included: the conc layer raises HTTPError), or
/// `("error", kind, code, message)` when no response arrived.
fn open(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let url = str_arg(vm, args.pos.first(), "url")?;
    let method = str_arg(vm, args.pos.get(1), "method")?;
    let data: Option<Vec<u8>> = args.pos.get(2).and_then(conc_interpreter::builtins::bytes_like);
    let mut headers = Vec::new();
    if let Some(t) = args.pos.get(3).and_then(|v| v.as_tuple()) {
        for item in t.items() {
            if let Some(pair) = item.as_tuple() {
                let kv = pair.items();
                if let (Some(k), Some(v)) = (kv.first().and_then(|k| k.as_str()), kv.get(1).and_then(|v| v.as_str())) {
                    headers.push((k.as_str().to_string(), v.as_str().to_string()));
                }
            }
        }
    }
    let timeout = match args.pos.get(4) {
        Some(Value::Int(i)) => Some(Duration::from_secs_f64((*i).max(0) as f64)),
        Some(Value::Float(f)) if f.is_finite() => Some(Duration::from_secs_f64(f.max(0.0))),
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
    let mut req = agent.request(&method, &url);
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
                return Err(vm.new_error("TimeoutError", "timed out"));
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

/// `read(handle, n)`: up to `n` bytes of the body (all of it when `n` is negative);
/// `b""` at the end or after close.
fn read(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let handle = match args.pos.first() {
        Some(Value::Int(h)) => *h as u64,
        _ => return Err(vm.type_error("_urllib.read: handle must be an int")),
    };
    let n = match args.pos.get(1) {
        Some(Value::Int(n)) => *n,
        _ => -1,
    };
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
            Failure::Timeout => Err(vm.new_error("TimeoutError", "timed out")),
            Failure::Os(code, msg) => Err(vm.new_error("OSError", &format!("[Errno {code}] {msg}"))),
            Failure::Gai(_, msg) | Failure::Other(msg) => Err(vm.new_error("OSError", &msg)),
        },
    }
}

/// `close(handle)`: drops the body (and with it the connection).
fn close(_vm: &mut Vm, args: Args) -> PyResult<Value> {
    if let Some(Value::Int(h)) = args.pos.first() {
        bodies().lock().remove(&(*h as u64));
    }
    Ok(Value::None)
}

/// The `urllib` package itself.
pub const PACKAGE_SOURCE: &str = r#""""urllib: request (urlopen), error and parse."""
"#;

/// `urllib.error`: the exceptions urlopen raises.
pub const ERROR_SOURCE: &str = r#""""Exceptions raised by urllib.request."""

__all__ = ['URLError', 'HTTPError', 'ContentTooShortError']


class URLError(OSError):
    """A failure to open a URL; `reason` says why (often an OSError)."""

    def __init__(self, reason, filename=None):
        self.args = (reason,)
        self.reason = reason
        if filename is not None:
            self.filename = filename

    def __str__(self):
        return '<urlopen error %s>' % self.reason


class HTTPError(URLError):
    """An HTTP error status; also a response whose body can be read."""

    def __init__(self, url, code, msg, hdrs, fp):
        self.args = (url, code, msg, hdrs, fp)
        self.code = code
        self.msg = msg
        self.hdrs = hdrs
        self.fp = fp
        self.filename = url
        self.url = url

    def __str__(self):
        return 'HTTP Error %s: %s' % (self.code, self.msg)

    def __repr__(self):
        return '<HTTPError %s: %r>' % (self.code, self.msg)

    @property
    def reason(self):
        return self.msg

    @property
    def headers(self):
        return self.hdrs

    @property
    def status(self):
        return self.code

    def getcode(self):
        return self.code

    def geturl(self):
        return self.url

    def info(self):
        return self.hdrs

    def read(self, amt=None):
        if self.fp is None:
            return b''
        return self.fp.read(amt)

    def close(self):
        if self.fp is not None:
            self.fp.close()


class ContentTooShortError(URLError):
    """Fewer bytes arrived than the Content-Length announced."""

    def __init__(self, message, content):
        URLError.__init__(self, message)
        self.content = content
"#;

/// `urllib.request`: urlopen, Request and the response objects.
pub const REQUEST_SOURCE: &str = r#""""Open http and https URLs (urlopen) on the native _urllib transport."""

import _urllib
from urllib.error import URLError, HTTPError

__all__ = ['Request', 'urlopen', 'URLError', 'HTTPError']

# The default of urlopen's timeout: no timeout, as socket._GLOBAL_DEFAULT_TIMEOUT.
_GLOBAL_DEFAULT_TIMEOUT = object()


class gaierror(OSError):
    """What the resolver raises (socket.gaierror in CPython)."""


gaierror.__module__ = 'socket'


class HTTPMessage:
    """The headers of a response, looked up without regard to case."""

    def __init__(self, items):
        self._headers = list(items)

    def get(self, name, failobj=None):
        lname = name.lower()
        for k, v in self._headers:
            if k.lower() == lname:
                return v
        return failobj

    def __getitem__(self, name):
        return self.get(name)

    def __contains__(self, name):
        lname = name.lower()
        for k, v in self._headers:
            if k.lower() == lname:
                return True
        return False

    def get_all(self, name, failobj=None):
        lname = name.lower()
        values = [v for k, v in self._headers if k.lower() == lname]
        if not values:
            return failobj
        return values

    def keys(self):
        return [k for k, v in self._headers]

    def values(self):
        return [v for k, v in self._headers]

    def items(self):
        return list(self._headers)

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self._headers)

    def get_content_type(self):
        value = self.get('content-type')
        if value is None:
            return 'text/plain'
        ctype = value.split(';')[0].strip().lower()
        if ctype.count('/') != 1:
            return 'text/plain'
        return ctype

    def get_content_charset(self, failobj=None):
        value = self.get('content-type')
        if value is None:
            return failobj
        for part in value.split(';')[1:]:
            key, sep, val = part.strip().partition('=')
            if sep and key.strip().lower() == 'charset':
                return val.strip().strip('"').lower()
        return failobj

    def as_string(self):
        return ''.join('%s: %s\n' % (k, v) for k, v in self._headers) + '\n'

    def __str__(self):
        return self.as_string()


class HTTPResponse:
    """A response: status line, headers, and a body read on demand."""

    def __init__(self, status, reason, headers, url, handle):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.msg = headers
        self.url = url
        self.version = 11
        self._handle = handle
        self.closed = False

    def read(self, amt=None):
        if self.closed:
            return b''
        if amt is None:
            amt = -1
        data = _urllib.read(self._handle, amt)
        if amt < 0:
            self.close()
        return data

    def readline(self, limit=-1):
        line = bytearray()
        while limit < 0 or len(line) < limit:
            ch = self.read(1)
            if not ch:
                break
            line += ch
            if ch == b'\n':
                break
        return bytes(line)

    def readlines(self, hint=-1):
        lines = []
        while True:
            line = self.readline()
            if not line:
                break
            lines.append(line)
        return lines

    def __iter__(self):
        return iter(self.readlines())

    def close(self):
        if not self.closed:
            self.closed = True
            _urllib.close(self._handle)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, tb):
        self.close()

    @property
    def code(self):
        return self.status

    def getcode(self):
        return self.status

    def geturl(self):
        return self.url

    def info(self):
        return self.headers

    def getheader(self, name, default=None):
        values = self.headers.get_all(name)
        if values is None:
            return default
        return ', '.join(values)

    def getheaders(self):
        return self.headers.items()


class Request:
    """An HTTP request: URL, optional body, headers and method."""

    def __init__(self, url, data=None, headers={}, origin_req_host=None,
                 unverifiable=False, method=None):
        self.full_url = url
        self.data = data
        self.headers = {}
        for key, value in headers.items():
            self.add_header(key, value)
        self.method = method

    def get_method(self):
        if self.method is not None:
            return self.method
        return 'POST' if self.data is not None else 'GET'

    def get_full_url(self):
        return self.full_url

    def add_header(self, key, val):
        self.headers[key.capitalize()] = val

    def has_header(self, header_name):
        return header_name in self.headers

    def get_header(self, header_name, default=None):
        return self.headers.get(header_name, default)

    def header_items(self):
        return list(self.headers.items())

    @property
    def type(self):
        scheme, sep, rest = self.full_url.partition(':')
        return scheme if sep else None


_ERRNO_CLASSES = {111: ConnectionRefusedError, 104: ConnectionResetError,
                  103: ConnectionAbortedError, 32: BrokenPipeError, 110: TimeoutError}


def _reason_error(kind, code, message):
    if kind == 'gaierror':
        return gaierror(code, message)
    if kind == 'timeout':
        return TimeoutError('timed out')
    if kind == 'oserror':
        # CPython's OSError(errno, ...) picks the subclass itself; conc's does not.
        cls = _ERRNO_CLASSES.get(code, OSError)
        return cls(code, message)
    return OSError(message)


def urlopen(url, data=None, timeout=_GLOBAL_DEFAULT_TIMEOUT, *, cafile=None,
            capath=None, cadefault=False, context=None):
    """Opens an http or https URL (a str or a Request) and returns the response.

    Raises HTTPError for an error status and URLError when no response arrives.
    """
    if isinstance(url, Request):
        req = url
        if data is not None:
            req.data = data
    else:
        req = Request(url, data)
    full_url = req.full_url
    if ':' not in full_url or '//' not in full_url:
        raise ValueError('unknown url type: %r' % full_url)
    scheme = full_url.split(':', 1)[0].lower()
    if scheme not in ('http', 'https'):
        raise URLError('unknown url type: %s' % scheme)
    body = req.data
    if isinstance(body, str):
        raise TypeError('POST data should be bytes, an iterable of bytes, or a '
                        'file object. It cannot be of type str.')
    if body is not None and not isinstance(body, bytes):
        body = bytes(body)
    headers = dict(req.headers)
    if body is not None and 'Content-type' not in headers:
        headers['Content-type'] = 'application/x-www-form-urlencoded'
    headers['Connection'] = 'close'
    if timeout is _GLOBAL_DEFAULT_TIMEOUT:
        timeout = None
    r = _urllib.open(full_url, req.get_method(), body, tuple(headers.items()), timeout)
    if r[0] == 'error':
        raise URLError(_reason_error(r[1], r[2], r[3]))
    status, reason, header_items, final_url, handle = r[1:]
    resp = HTTPResponse(status, reason, HTTPMessage(header_items), final_url, handle)
    if not (200 <= status < 300):
        raise HTTPError(final_url, status, reason, resp.headers, resp)
    return resp
"#;

/// `urllib.parse`: quoting, urlencode and splitting URLs.
pub const PARSE_SOURCE: &str = r#""""Parse URLs into components and quote their parts."""

__all__ = ['urlparse', 'urlsplit', 'urlunparse', 'urlunsplit', 'urljoin', 'quote',
           'quote_plus', 'unquote', 'unquote_plus', 'urlencode', 'parse_qs',
           'parse_qsl', 'ParseResult', 'SplitResult']

_ALWAYS_SAFE = frozenset(b'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
                         b'abcdefghijklmnopqrstuvwxyz'
                         b'0123456789'
                         b'_.-~')
_SCHEME_CHARS = ('abcdefghijklmnopqrstuvwxyz'
                 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
                 '0123456789'
                 '+-.')
uses_params = ['', 'ftp', 'hdl', 'prospero', 'http', 'imap', 'https', 'shttp',
               'rtsp', 'rtspu', 'sip', 'sips', 'mms', 'sftp', 'tel']


class _NetlocMixin:
    @property
    def username(self):
        userinfo, sep, _ = self.netloc.rpartition('@')
        if not sep:
            return None
        return userinfo.partition(':')[0]

    @property
    def password(self):
        userinfo, sep, _ = self.netloc.rpartition('@')
        if not sep:
            return None
        user, has_pw, pw = userinfo.partition(':')
        return pw if has_pw else None

    @property
    def hostname(self):
        hostinfo = self.netloc.rpartition('@')[2]
        if hostinfo.startswith('['):
            host = hostinfo[1:].partition(']')[0]
        else:
            host = hostinfo.partition(':')[0]
        if not host:
            return None
        return host.lower()

    @property
    def port(self):
        hostinfo = self.netloc.rpartition('@')[2]
        if hostinfo.startswith('['):
            port = hostinfo.partition(']')[2].partition(':')[2]
        else:
            port = hostinfo.partition(':')[2]
        if not port:
            return None
        if not port.isdigit():
            raise ValueError("Port could not be cast to integer value as %r" % port)
        port = int(port)
        if not (0 <= port <= 65535):
            raise ValueError("Port out of range 0-65535")
        return port


class _ResultBase(_NetlocMixin):
    """A named tuple by hand (conc cannot subclass tuple yet)."""

    _fields = ()

    def __init__(self, *values):
        if len(values) != len(self._fields):
            raise TypeError('%s() takes %d arguments' % (type(self).__name__, len(self._fields)))
        self._items = tuple(values)

    def __getattr__(self, name):
        fields = type(self)._fields
        if name in fields:
            return self._items[fields.index(name)]
        raise AttributeError("'%s' object has no attribute '%s'" % (type(self).__name__, name))

    def __getitem__(self, i):
        return self._items[i]

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)

    def __eq__(self, other):
        if isinstance(other, _ResultBase):
            other = other._items
        return self._items == other

    def __hash__(self):
        return hash(self._items)

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, ', '.join(
            '%s=%r' % (f, v) for f, v in zip(self._fields, self._items)))

    def _replace(self, **kw):
        return type(self)(*[kw.get(f, v) for f, v in zip(self._fields, self._items)])

    def _asdict(self):
        return dict(zip(self._fields, self._items))


class SplitResult(_ResultBase):
    _fields = ('scheme', 'netloc', 'path', 'query', 'fragment')

    def geturl(self):
        return urlunsplit(self)


class ParseResult(_ResultBase):
    _fields = ('scheme', 'netloc', 'path', 'params', 'query', 'fragment')

    def geturl(self):
        return urlunparse(self)


def urlsplit(url, scheme='', allow_fragments=True):
    netloc = query = fragment = ''
    i = url.find(':')
    if i > 0 and url[0].isascii() and url[0].isalpha():
        for c in url[:i]:
            if c not in _SCHEME_CHARS:
                break
        else:
            scheme, url = url[:i].lower(), url[i+1:]
    if url[:2] == '//':
        delim = len(url)
        for c in '/?#':
            wdelim = url.find(c, 2)
            if wdelim >= 0:
                delim = min(delim, wdelim)
        netloc, url = url[2:delim], url[delim:]
        if (('[' in netloc and ']' not in netloc) or
                (']' in netloc and '[' not in netloc)):
            raise ValueError("Invalid IPv6 URL")
    if allow_fragments and '#' in url:
        url, fragment = url.split('#', 1)
    if '?' in url:
        url, query = url.split('?', 1)
    return SplitResult(scheme, netloc, url, query, fragment)


def urlparse(url, scheme='', allow_fragments=True):
    scheme, netloc, url, query, fragment = urlsplit(url, scheme, allow_fragments)
    params = ''
    if scheme in uses_params and ';' in url:
        if '/' in url:
            i = url.find(';', url.rfind('/'))
        else:
            i = url.find(';')
        if i >= 0:
            url, params = url[:i], url[i+1:]
    return ParseResult(scheme, netloc, url, params, query, fragment)


def urlunsplit(components):
    scheme, netloc, url, query, fragment = components
    if netloc or (scheme and url[:2] != '//'):
        if url and url[:1] != '/':
            url = '/' + url
        if netloc or scheme in ('http', 'https', 'ftp', 'file'):
            url = '//' + (netloc or '') + url
    if scheme:
        url = scheme + ':' + url
    if query:
        url = url + '?' + query
    if fragment:
        url = url + '#' + fragment
    return url


def urlunparse(components):
    scheme, netloc, url, params, query, fragment = components
    if params:
        url = "%s;%s" % (url, params)
    return urlunsplit((scheme, netloc, url, query, fragment))


def urljoin(base, url, allow_fragments=True):
    if not base:
        return url
    if not url:
        return base
    bscheme, bnetloc, bpath, bparams, bquery, bfragment = urlparse(base, '', allow_fragments)
    scheme, netloc, path, params, query, fragment = urlparse(url, bscheme, allow_fragments)
    if not scheme:
        scheme = bscheme
    if scheme != bscheme or scheme not in ('http', 'https', ''):
        return url
    if netloc:
        return urlunparse((scheme, netloc, path, params, query, fragment))
    netloc = bnetloc
    if not path and not params:
        path = bpath
        params = bparams
        if not query:
            query = bquery
        return urlunparse((scheme, netloc, path, params, query, fragment))
    base_parts = bpath.split('/')
    if base_parts[-1] != '':
        del base_parts[-1]
    if path[:1] == '/':
        segments = path.split('/')
    else:
        segments = base_parts + path.split('/')
        segments[1:-1] = [s for s in segments[1:-1] if s]
    resolved = []
    for seg in segments:
        if seg == '..':
            if len(resolved) > 1:
                resolved.pop()
        elif seg != '.':
            resolved.append(seg)
    if segments[-1] in ('.', '..'):
        resolved.append('')
    return urlunparse((scheme, netloc, '/'.join(resolved) or '/', params, query, fragment))


def quote(string, safe='/', encoding=None, errors=None):
    if isinstance(string, str):
        if not string:
            return string
        string = string.encode(encoding or 'utf-8', errors or 'strict')
    if isinstance(safe, str):
        safe = safe.encode('ascii', 'ignore')
    safe_set = _ALWAYS_SAFE | frozenset(safe)
    out = []
    for b in string:
        if b in safe_set:
            out.append(chr(b))
        else:
            out.append('%%%02X' % b)
    return ''.join(out)


def quote_plus(string, safe='', encoding=None, errors=None):
    if ((isinstance(string, str) and ' ' not in string) or
            (isinstance(string, bytes) and b' ' not in string)):
        return quote(string, safe, encoding, errors)
    if isinstance(safe, str):
        space = ' '
    else:
        space = b' '
    string = quote(string, safe + space, encoding, errors)
    return string.replace(' ', '+')


def unquote(string, encoding='utf-8', errors='replace'):
    if '%' not in string:
        return string
    out = bytearray()
    i = 0
    n = len(string)
    while i < n:
        c = string[i]
        if c == '%' and i + 2 < n:
            h = string[i+1:i+3]
            if len(h) == 2 and all(ch in '0123456789abcdefABCDEF' for ch in h):
                out.append(int(h, 16))
                i += 3
                continue
        out += c.encode(encoding, errors)
        i += 1
    return bytes(out).decode(encoding, errors)


def unquote_plus(string, encoding='utf-8', errors='replace'):
    return unquote(string.replace('+', ' '), encoding, errors)


def _quote_value(v, safe, encoding, errors, quote_via):
    if isinstance(v, bytes):
        return quote_via(v, safe)
    return quote_via(str(v), safe, encoding, errors)


def urlencode(query, doseq=False, safe='', encoding=None, errors=None,
              quote_via=quote_plus):
    if hasattr(query, 'items'):
        query = query.items()
    parts = []
    for k, v in query:
        k = _quote_value(k, safe, encoding, errors, quote_via)
        if doseq and not isinstance(v, (str, bytes)):
            try:
                items = list(v)
            except TypeError:
                parts.append(k + '=' + _quote_value(v, safe, encoding, errors, quote_via))
            else:
                for elt in items:
                    parts.append(k + '=' + _quote_value(elt, safe, encoding, errors, quote_via))
        else:
            parts.append(k + '=' + _quote_value(v, safe, encoding, errors, quote_via))
    return '&'.join(parts)


def parse_qsl(qs, keep_blank_values=False, strict_parsing=False,
              encoding='utf-8', errors='replace', separator='&'):
    r = []
    for field in qs.split(separator):
        if not field:
            continue
        name, has_eq, value = field.partition('=')
        if not has_eq and strict_parsing:
            raise ValueError("bad query field: %r" % (field,))
        if value or keep_blank_values:
            r.append((unquote_plus(name, encoding, errors),
                      unquote_plus(value, encoding, errors)))
    return r


def parse_qs(qs, keep_blank_values=False, strict_parsing=False,
             encoding='utf-8', errors='replace', separator='&'):
    result = {}
    for name, value in parse_qsl(qs, keep_blank_values, strict_parsing,
                                 encoding, errors, separator):
        if name in result:
            result[name].append(value)
        else:
            result[name] = [value]
    return result
"#;
