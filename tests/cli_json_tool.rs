//! `conc -m json.tool` fed on stdin and given files; every expected output, message
//! and exit code was recorded from `python3 -m json.tool` with the same input.

use std::io::Write;
use std::process::{Command, Stdio};

struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

fn tool(args: &[&str], input: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_conc"))
        .args(["-m", "json.tool"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        code: out.status.code().unwrap(),
    }
}

const SAMPLE: &str = r#"{"b":[1,2.5,null,{}],"a":"\u00e9x"}"#;

const USAGE: &str = "usage: python -m json.tool [-h] [--sort-keys] [--no-ensure-ascii]
                           [--json-lines]
                           [--indent INDENT | --tab | --no-indent | --compact]
                           [infile] [outfile]
";

fn ok(args: &[&str], input: &str, want: &str) {
    let r = tool(args, input);
    assert_eq!((r.stdout.as_str(), r.stderr.as_str(), r.code), (want, "", 0), "args {args:?}");
}

fn usage_error(args: &[&str], message: &str) {
    let r = tool(args, SAMPLE);
    let want = format!("{USAGE}python -m json.tool: error: {message}\n");
    assert_eq!((r.stdout.as_str(), r.stderr.as_str(), r.code), ("", want.as_str(), 2), "args {args:?}");
}

#[test]
fn pretty_prints_with_four_spaces_by_default() {
    ok(
        &[],
        SAMPLE,
        "{\n    \"b\": [\n        1,\n        2.5,\n        null,\n        {}\n    ],\n    \"a\": \"\\u00e9x\"\n}\n",
    );
}

#[test]
fn layout_and_key_options() {
    ok(&["--sort-keys", "--compact"], SAMPLE, "{\"a\":\"\\u00e9x\",\"b\":[1,2.5,null,{}]}\n");
    ok(&["--no-ensure-ascii", "--no-indent"], SAMPLE, "{\"b\": [1, 2.5, null, {}], \"a\": \"éx\"}\n");
    ok(&["--tab"], SAMPLE, "{\n\t\"b\": [\n\t\t1,\n\t\t2.5,\n\t\tnull,\n\t\t{}\n\t],\n\t\"a\": \"\\u00e9x\"\n}\n");
    // Unambiguous prefixes of long options are accepted, as argparse does.
    ok(&["--sort", "--comp"], "{\"b\": 1, \"a\": 2}", "{\"a\":2,\"b\":1}\n");
}

#[test]
fn json_lines_with_indent() {
    ok(&["--json-lines", "--indent", "1"], "1\n{\"k\": [true]}\n", "1\n{\n \"k\": [\n  true\n ]\n}\n");
    ok(&["--json-lines", "--indent=0"], "[1]\n", "[\n1\n]\n");
}

#[test]
fn invalid_json_exits_with_one() {
    let r = tool(&[], "");
    assert_eq!((r.stdout.as_str(), r.stderr.as_str(), r.code), ("", "Expecting value: line 1 column 1 (char 0)\n", 1));
    let r = tool(&[], "{\"a\" 1}");
    assert_eq!(r.stderr, "Expecting ':' delimiter: line 1 column 6 (char 5)\n");
    assert_eq!(r.code, 1);
    // Lines before the bad one are already written.
    let r = tool(&["--json-lines"], "1\nbad\n");
    assert_eq!(
        (r.stdout.as_str(), r.stderr.as_str(), r.code),
        ("1\n", "Expecting value: line 1 column 1 (char 0)\n", 1)
    );
}

#[test]
fn command_line_errors_exit_with_two() {
    usage_error(&["--bogus", "-x"], "unrecognized arguments: --bogus -x");
    usage_error(&["--indent"], "argument --indent: expected one argument");
    usage_error(&["--indent", "x"], "argument --indent: invalid int value: 'x'");
    usage_error(&["--tab", "--compact"], "argument --compact: not allowed with argument --tab");
    usage_error(&["--no"], "ambiguous option: --no could match --no-ensure-ascii, --no-indent");
    usage_error(
        &["/nonexistent/in.json"],
        "argument infile: can't open '/nonexistent/in.json': [Errno 2] No such file or directory: '/nonexistent/in.json'",
    );
}

#[test]
fn help_goes_to_stdout() {
    let r = tool(&["-h"], "");
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with(USAGE), "{}", r.stdout);
    assert!(r.stdout.contains("\n  --compact          suppress all whitespace separation (most compact)\n"));
    assert_eq!(r.stderr, "");
}

#[test]
fn reads_and_writes_files() {
    let dir = std::env::temp_dir().join(format!("conc_json_tool_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let infile = dir.join("in.json");
    let outfile = dir.join("out.json");
    std::fs::write(&infile, "[1, {\"x\": \"\\u00e9\"}]").unwrap();
    let r = tool(&["--compact", "--no-ensure-ascii", infile.to_str().unwrap(), outfile.to_str().unwrap()], "");
    assert_eq!((r.stdout.as_str(), r.stderr.as_str(), r.code), ("", "", 0));
    assert_eq!(std::fs::read_to_string(&outfile).unwrap(), "[1,{\"x\":\"é\"}]\n");
    std::fs::remove_dir_all(&dir).unwrap();
}
