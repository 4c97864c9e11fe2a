//! Helpers for `tests/trace.rs`: running a script under `--trace` and a small JSON
//! reader for what it writes (the workspace has no JSON crate).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    List(Vec<Json>),
    Obj(BTreeMap<String, Json>),
}

impl Json {
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(m) => m.get(key),
            _ => None,
        }
    }
    pub fn str(&self, key: &str) -> &str {
        match self.get(key) {
            Some(Json::Str(s)) => s,
            _ => "",
        }
    }
    pub fn num(&self, key: &str) -> f64 {
        match self.get(key) {
            Some(Json::Num(n)) => *n,
            _ => f64::NAN,
        }
    }
    pub fn arg(&self, key: &str) -> &str {
        self.get("args").map_or("", |a| a.str(key))
    }
}

struct Reader<'a> {
    s: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn ws(&mut self) {
        while self.at < self.s.len() && self.s[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }
    fn eat(&mut self, c: u8) {
        self.ws();
        assert_eq!(self.s.get(self.at), Some(&c), "expected {:?} at byte {}", c as char, self.at);
        self.at += 1;
    }
    fn value(&mut self) -> Json {
        self.ws();
        match self.s[self.at] {
            b'{' => {
                self.at += 1;
                let mut m = BTreeMap::new();
                self.ws();
                if self.s[self.at] == b'}' {
                    self.at += 1;
                    return Json::Obj(m);
                }
                loop {
                    self.ws();
                    let Json::Str(k) = self.value() else { panic!("object key at {}", self.at) };
                    self.eat(b':');
                    let v = self.value();
                    m.insert(k, v);
                    self.ws();
                    self.at += 1;
                    if self.s[self.at - 1] == b'}' {
                        return Json::Obj(m);
                    }
                    assert_eq!(self.s[self.at - 1], b',', "at {}", self.at);
                }
            }
            b'[' => {
                self.at += 1;
                let mut v = Vec::new();
                self.ws();
                if self.s[self.at] == b']' {
                    self.at += 1;
                    return Json::List(v);
                }
                loop {
                    v.push(self.value());
                    self.ws();
                    self.at += 1;
                    if self.s[self.at - 1] == b']' {
                        return Json::List(v);
                    }
                    assert_eq!(self.s[self.at - 1], b',', "at {}", self.at);
                }
            }
            b'"' => {
                self.at += 1;
                let mut out = String::new();
                loop {
                    let c = self.s[self.at];
                    self.at += 1;
                    match c {
                        b'"' => return Json::Str(out),
                        b'\\' => {
                            let e = self.s[self.at];
                            self.at += 1;
                            match e {
                                b'n' => out.push('\n'),
                                b't' => out.push('\t'),
                                b'r' => out.push('\r'),
                                b'u' => {
                                    let hex = std::str::from_utf8(&self.s[self.at..self.at + 4]).unwrap();
                                    out.push(char::from_u32(u32::from_str_radix(hex, 16).unwrap()).unwrap());
                                    self.at += 4;
                                }
                                other => out.push(other as char),
                            }
                        }
                        _ => {
                            // Copy a whole UTF-8 sequence.
                            let start = self.at - 1;
                            let mut end = self.at;
                            while end < self.s.len() && (self.s[end] & 0xC0) == 0x80 {
                                end += 1;
                            }
                            out.push_str(std::str::from_utf8(&self.s[start..end]).unwrap());
                            self.at = end;
                        }
                    }
                }
            }
            b't' => {
                self.at += 4;
                Json::Bool(true)
            }
            b'f' => {
                self.at += 5;
                Json::Bool(false)
            }
            b'n' => {
                self.at += 4;
                Json::Null
            }
            _ => {
                let start = self.at;
                while self.at < self.s.len()
                    && matches!(self.s[self.at], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    self.at += 1;
                }
                Json::Num(std::str::from_utf8(&self.s[start..self.at]).unwrap().parse().unwrap())
            }
        }
    }
}

pub fn parse(text: &str) -> Json {
    let mut r = Reader { s: text.as_bytes(), at: 0 };
    let v = r.value();
    r.ws();
    assert_eq!(r.at, text.len(), "trailing text after the JSON value");
    v
}

/// A scratch folder for one test.
pub fn scratch(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("conc-trace-test-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes `source` as `script.py` in `dir` and runs it with `--trace dir/out`; returns
/// the process output and the trace file's path.
pub fn run_traced(dir: &std::path::Path, source: &str, out: &str) -> (Output, PathBuf) {
    let script = dir.join("script.py");
    std::fs::write(&script, source).unwrap();
    let trace = dir.join(out);
    let output = Command::new(env!("CARGO_BIN_EXE_conc"))
        .arg("--trace")
        .arg(&trace)
        .arg(&script)
        .current_dir(dir)
        .env_remove("CONC_TRACE_PARTS")
        .output()
        .unwrap();
    (output, trace)
}

/// The events of a JSON trace file.
pub fn events(trace: &std::path::Path) -> Vec<Json> {
    let text = std::fs::read_to_string(trace).unwrap_or_else(|e| panic!("{}: {e}", trace.display()));
    match parse(&text).get("traceEvents") {
        Some(Json::List(v)) => v.clone(),
        other => panic!("no traceEvents list: {other:?}"),
    }
}
