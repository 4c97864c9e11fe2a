//! Relaying a child process's stdout and stderr through the parent.
//!
//! At the REPL, text printed while the prompt is shown must go through the line
//! editor's printer (see `conc_interpreter::stdio::set_output_hook`), or it lands in the
//! middle of the line being typed. A child started by re-exec writes to its own
//! descriptors, so when the REPL asks for it (`stdio::relay_children`) the child writes
//! into pipes and a thread per pipe passes each line on to the parent's stdio.

use conc_interpreter::stdio;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

/// Points `cmd`'s stdout and stderr at pipes when relaying is asked for. The child is
/// made line-buffered (`PYTHONUNBUFFERED`) so its lines arrive as they are printed.
pub fn prepare(cmd: &mut Command) {
    if stdio::relay_children() {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).env("PYTHONUNBUFFERED", "1");
    }
}

/// Starts the relay threads for whatever outputs `prepare` made piped.
pub fn start(child: &mut Child) {
    if let Some(out) = child.stdout.take() {
        std::thread::spawn(move || {
            conc_interpreter::signals::block_async_signals();
            pump(out, stdio::write_stdout)
        });
    }
    if let Some(err) = child.stderr.take() {
        std::thread::spawn(move || {
            conc_interpreter::signals::block_async_signals();
            pump(err, stdio::write_stderr)
        });
    }
}

/// Copies `from` line by line until every writer has closed it.
fn pump(from: impl Read, write: fn(&str)) {
    let mut reader = BufReader::new(from);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                write(&String::from_utf8_lossy(&line));
                stdio::flush_stdout();
            }
        }
    }
}
