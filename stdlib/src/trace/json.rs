//! The Chrome Trace Event format: one JSON object per event, metadata events naming
//! each process and thread track.

use conc_interpreter::trace::Event;
use std::fmt::Write;

/// `s` as a JSON string literal. `<` is escaped too, so the text can sit inside an
/// HTML `<script>` element.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn args_object(args: &[(&'static str, String)]) -> String {
    let fields: Vec<String> = args.iter().map(|(k, v)| format!("{}:{}", quote(k), quote(v))).collect();
    format!("{{{}}}", fields.join(","))
}

/// This process's events, one JSON object per line: its name, each track's name, then
/// the tracks' events.
pub fn event_lines(pid: u32, process: &str, tracks: Vec<(u64, String, Vec<Event>)>) -> Vec<String> {
    let mut lines = vec![format!(
        "{{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":{pid},\"tid\":0,\"args\":{{\"name\":{}}}}}",
        quote(&format!("{process} {pid}"))
    )];
    for (tid, name, events) in tracks {
        let name = if name.is_empty() { format!("thread {tid}") } else { name };
        lines.push(format!(
            "{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":{pid},\"tid\":{tid},\"args\":{{\"name\":{}}}}}",
            quote(&name)
        ));
        lines.push(format!(
            "{{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":{pid},\"tid\":{tid},\"args\":{{\"sort_index\":{tid}}}}}"
        ));
        for e in events {
            let mut line = format!(
                "{{\"ph\":\"{}\",\"name\":{},\"cat\":{},\"pid\":{pid},\"tid\":{tid},\"ts\":{:.3}",
                e.ph,
                quote(&e.name),
                quote(e.cat),
                e.ts
            );
            match e.ph {
                'X' => {
                    let _ = write!(line, ",\"dur\":{:.3}", e.dur);
                }
                'i' => line.push_str(",\"s\":\"t\""),
                'b' | 'e' => {
                    let _ = write!(line, ",\"id\":{}", e.id);
                }
                _ => {}
            }
            let _ = write!(line, ",\"args\":{}}}", args_object(&e.args));
            lines.push(line);
        }
    }
    lines
}

/// The whole JSON file.
pub fn document(lines: &[String]) -> String {
    format!("{{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n{}\n]}}\n", lines.join(",\n"))
}
