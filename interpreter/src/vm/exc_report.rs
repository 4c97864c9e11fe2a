//! The report CPython prints for an uncaught exception: its chain of causes and
//! contexts, each with its traceback and last line, and exception groups drawn as
//! nested boxes (`+-+---------------- 1 ----------------`), each level indented two
//! more columns with a margin (`|`, `+` before a top-level group's traceback).

use super::exc::exc_data;
use super::Vm;
use crate::value::Value;
use std::sync::atomic::Ordering;

/// CPython shows at most this many exceptions of one group ...
const MAX_GROUP_WIDTH: usize = 15;
/// ... and groups nested at most this deep.
const MAX_GROUP_DEPTH: usize = 10;

/// A report being written.
#[derive(Default)]
struct Report {
    out: String,
    /// How many group boxes the text being written is inside.
    depth: usize,
    /// The closing line of the box just finished is still owed: it is drawn after
    /// the last exception of a group unless a nested group drew its own.
    need_close: bool,
    /// Exceptions already shown, so a cycle of contexts ends.
    seen: Vec<usize>,
}

impl Report {
    fn indent(&self) -> String {
        " ".repeat(2 * self.depth)
    }

    /// Writes `text` with every line (empty ones too) behind the box margin.
    fn emit(&mut self, text: &str, margin: char) {
        if self.depth == 0 {
            self.out.push_str(text);
            return;
        }
        let prefix = format!("{}{margin} ", self.indent());
        for line in text.split_inclusive('\n') {
            self.out.push_str(&prefix);
            self.out.push_str(line);
        }
    }
}

impl Vm {
    /// The full report CPython prints for an uncaught exception (with its chain).
    pub fn format_exception(&mut self, exc: &Value) -> String {
        let mut r = Report::default();
        self.report_chain(exc, &mut r);
        r.out
    }

    fn report_chain(&mut self, exc: &Value, r: &mut Report) {
        r.seen.push(exc.id() as usize);
        if let Some(d) = exc_data(exc) {
            let cause = d.cause.lock().clone();
            let context = d.context.lock().clone();
            let suppress = d.suppress_context.load(Ordering::Relaxed);
            if !cause.is_none() && !r.seen.contains(&(cause.id() as usize)) {
                self.report_chain(&cause, r);
                r.emit("\nThe above exception was the direct cause of the following exception:\n\n", '|');
            } else if !suppress && !context.is_none() && !r.seen.contains(&(context.id() as usize)) {
                self.report_chain(&context, r);
                r.emit("\nDuring handling of the above exception, another exception occurred:\n\n", '|');
            }
        }
        match self.group_members(exc) {
            None => {
                let stack = self.format_stack_of(exc);
                if !stack.is_empty() {
                    r.emit("Traceback (most recent call last):\n", '|');
                    r.emit(&stack, '|');
                }
                let last = self.exc_last_line(exc);
                r.emit(&format!("{last}\n"), '|');
            }
            Some(_) if r.depth > MAX_GROUP_DEPTH => {
                r.emit(&format!("... (max_group_depth is {MAX_GROUP_DEPTH})\n"), '|');
            }
            Some(members) => self.report_group(exc, &members, r),
        }
    }

    fn report_group(&mut self, exc: &Value, members: &[Value], r: &mut Report) {
        let top = r.depth == 0;
        if top {
            r.depth = 1;
        }
        let stack = self.format_stack_of(exc);
        if !stack.is_empty() {
            r.emit("Exception Group Traceback (most recent call last):\n", if top { '+' } else { '|' });
            r.emit(&stack, '|');
        }
        let last = self.exc_last_line(exc);
        r.emit(&format!("{last}\n"), '|');
        let shown = members.len().min(MAX_GROUP_WIDTH + 1);
        r.need_close = false;
        for i in 0..shown {
            let is_last = i + 1 == shown;
            if is_last {
                r.need_close = true;
            }
            let truncated = i >= MAX_GROUP_WIDTH;
            let title = if truncated { "...".to_string() } else { (i + 1).to_string() };
            let corner = if i == 0 { "+-" } else { "  " };
            r.out.push_str(&format!("{}{corner}+---------------- {title} ----------------\n", r.indent()));
            r.depth += 1;
            if truncated {
                let more = members.len() - MAX_GROUP_WIDTH;
                let s = if more > 1 { "s" } else { "" };
                r.emit(&format!("and {more} more exception{s}\n"), '|');
            } else {
                self.report_chain(&members[i], r);
            }
            if is_last && r.need_close {
                r.out.push_str(&format!("{}+------------------------------------\n", r.indent()));
                r.need_close = false;
            }
            r.depth -= 1;
        }
        if top {
            r.depth = 0;
        }
    }

    /// The exceptions of an exception group (an instance of `BaseExceptionGroup`);
    /// None for other exceptions.
    pub(crate) fn group_members(&mut self, exc: &Value) -> Option<Vec<Value>> {
        // The classes live in a conc module: no group exists before it is loaded.
        let module = crate::interp::interp().modules.get("_exception_group")?;
        let cls = self.get_attr_opt(&module, &crate::value::str::intern("BaseExceptionGroup")).ok()??;
        let cls_ref = cls.as_objref()?;
        if !crate::value::class::is_subclass(&self.class_of(exc), cls_ref) {
            return None;
        }
        let members = self.get_attr_opt(exc, &crate::value::str::intern("exceptions")).ok()??;
        members.as_tuple().map(|t| t.items().to_vec())
    }

    /// The `File ..., line ...` lines of an exception's traceback, outermost first.
    fn format_stack_of(&mut self, exc: &Value) -> String {
        let mut out = String::new();
        let Some(d) = exc_data(exc) else {
            return out;
        };
        let tb = d.traceback.lock().clone();
        // As CPython: after three identical entries in a row (deep recursion),
        // the rest are counted rather than printed.
        const CUTOFF: usize = 3;
        let mut last: Option<(*const crate::bytecode::Code, usize)> = None;
        let mut repeats = 0usize;
        let flush = |out: &mut String, repeats: usize| {
            if repeats > CUTOFF {
                let n = repeats - CUTOFF;
                let s = if n == 1 { "" } else { "s" };
                out.push_str(&format!("  [Previous line repeated {n} more time{s}]\n"));
            }
        };
        for e in tb.iter().rev() {
            let line = e.code.line_of(e.ip as usize);
            let key = (e.code as *const crate::bytecode::Code, line);
            if last == Some(key) {
                repeats += 1;
            } else {
                flush(&mut out, repeats);
                last = Some(key);
                repeats = 1;
            }
            if repeats > CUTOFF {
                continue;
            }
            out.push_str(&format!("  File \"{}\", line {}, in {}\n", e.code.filename, line, e.code.name));
            // Source given on the command line, to exec() or at the prompt is
            // not shown again, as in CPython (it has no file to read it from).
            let text =
                if matches!(e.code.filename.as_str(), "<string>" | "<stdin>") { "" } else { e.code.line_text(line) };
            if !text.is_empty() {
                out.push_str(&format!("    {text}\n"));
            }
        }
        flush(&mut out, repeats);
        out
    }
}
