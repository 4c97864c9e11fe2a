//! `urllib.request.urlopen` against an HTTP server this test starts on 127.0.0.1: a
//! 200 response, a 404 (HTTPError with CPython's message), a server slower than the
//! client's timeout, and a host name that does not resolve. The expected output is
//! what python3 prints for `tests/fixtures/urlopen/local_server.conc` against the same
//! server.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Reads the request head and answers by path; `/slow` answers only after the
/// client's timeout has passed.
fn handle(mut c: TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match c.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let path = text.split_whitespace().nth(1).unwrap_or("").to_string();
    let reply: &[u8] = match path.as_str() {
        "/ok" => b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nX-Test: yes\r\nConnection: close\r\n\r\nhello\n",
        "/slow" => {
            std::thread::sleep(Duration::from_secs(3));
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        }
        _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope",
    };
    let _ = c.write_all(reply);
}

fn start_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for c in listener.incoming().flatten() {
            std::thread::spawn(move || handle(c));
        }
    });
    port
}

#[test]
fn urlopen_against_local_server() {
    let port = start_server();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/urlopen/local_server.conc");
    let out = Command::new(env!("CARGO_BIN_EXE_conc")).arg(script).arg(port.to_string()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    let expected = "200 OK yes b'hello\\n' True\n\
                    HTTP Error 404: Not Found | <HTTPError 404: 'Not Found'> | 404 Not Found b'nope'\n\
                    TimeoutError timed out\n\
                    <urlopen error [Errno -2] Name or service not known>\n";
    assert_eq!(stdout, expected, "stderr:\n{stderr}");
}
