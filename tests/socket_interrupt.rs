//! Ctrl-C reaches a main thread blocked in a socket or select call: each of
//! `accept`, `recv`, `select.select`, `poll` and `epoll.poll` waits through the
//! blocking layer and raises KeyboardInterrupt on SIGINT, as in CPython.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SCRIPT: &str = r#"
import select, socket, sys
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen()
a, b = socket.socketpair()
p = select.poll(); p.register(a, select.POLLIN)
e = select.epoll(); e.register(a, select.EPOLLIN)
for name, call in [("accept", srv.accept), ("recv", lambda: a.recv(10)),
                   ("select", lambda: select.select([a], [], [])),
                   ("poll", p.poll), ("epoll", e.poll)]:
    print("waiting", name, flush=True)
    try:
        call()
    except KeyboardInterrupt:
        print("interrupted", name, flush=True)
print("done", flush=True)
"#;

#[test]
fn sigint_interrupts_blocking_socket_calls() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_conc"))
        .args(["-c", SCRIPT])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let start = Instant::now();
    let mut seen = Vec::new();
    while let Some(Ok(line)) = lines.next() {
        assert!(start.elapsed() < Duration::from_secs(30), "took too long: {seen:?}");
        if line.starts_with("waiting") {
            // Give the call time to block before interrupting it.
            std::thread::sleep(Duration::from_millis(200));
            Command::new("kill").args(["-INT", &pid]).status().unwrap();
        }
        let done = line == "done";
        seen.push(line);
        if done {
            break;
        }
    }
    let status = child.wait().unwrap();
    let expected: Vec<String> = ["accept", "recv", "select", "poll", "epoll"]
        .iter()
        .flat_map(|n| [format!("waiting {n}"), format!("interrupted {n}")])
        .chain(["done".to_string()])
        .collect();
    assert_eq!(seen, expected);
    assert!(status.success());
}
