//! python3's command line: each option's effect, checked against what python3 3.11
//! prints for the same command (the expected texts were recorded from python3).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn conc_in(dir: Option<&PathBuf>, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_conc"));
    c.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for k in ["PYTHONPATH", "PYTHONINSPECT", "PYTHONOPTIMIZE", "PYTHONSAFEPATH", "PYTHONWARNINGS"] {
        c.env_remove(k);
    }
    c.envs(env.iter().copied());
    if let Some(d) = dir {
        c.current_dir(d);
    }
    let mut child = c.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn conc(args: &[&str]) -> Output {
    conc_in(None, args, "", &[])
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh folder holding `files` (path, text).
fn scratch(tag: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("conc-cli-options-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

#[test]
fn dash_c_argv_and_path() {
    let o = conc(&["-c", "import sys; print(sys.argv, sys.path[0] == '')", "a", "-i"]);
    assert_eq!(out(&o), "['-c', 'a', '-i'] True\n");
    // Grouped letters, the code attached to -c.
    let o = conc(&["-qcprint('x')"]);
    assert_eq!((out(&o).as_str(), o.status.code()), ("x\n", Some(0)));
}

#[test]
fn optimize_removes_asserts() {
    let code = "assert False, 'boom'\nimport sys\nprint(__debug__, sys.flags.optimize)";
    assert_eq!(out(&conc(&["-O", "-c", code])), "False 1\n");
    assert_eq!(out(&conc(&["-OO", "-c", code])), "False 2\n");
    let o = conc(&["-c", code]);
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).ends_with("AssertionError: boom\n"), "{}", err(&o));
    let o = conc_in(None, &["-c", code], "", &[("PYTHONOPTIMIZE", "1")]);
    assert_eq!(out(&o), "False 1\n");
    // -E ignores the variable.
    let o = conc_in(None, &["-E", "-c", code], "", &[("PYTHONOPTIMIZE", "1")]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn warnoptions_and_xoptions() {
    let o = conc(&[
        "-W",
        "error",
        "-Wignore::DeprecationWarning",
        "-X",
        "dev",
        "-Xa=b",
        "-c",
        "import sys; print(sys.warnoptions, sys._xoptions)",
    ]);
    assert_eq!(out(&o), "['error', 'ignore::DeprecationWarning'] {'dev': True, 'a': 'b'}\n");
}

#[test]
fn skip_first_line_keeps_line_numbers() {
    let dir = scratch("x", &[("s.py", "not python at all\nx = 1\n1/0\n")]);
    let o = conc_in(Some(&dir), &["-x", "s.py"], "", &[]);
    assert!(err(&o).contains("line 3, in <module>"), "{}", err(&o));
    assert!(err(&o).ends_with("ZeroDivisionError: division by zero\n"));
}

#[test]
fn program_from_stdin() {
    let o = conc_in(None, &["-", "a"], "import sys\nprint(sys.argv, __name__)\n", &[]);
    assert_eq!(out(&o), "['-', 'a'] __main__\n");
}

#[test]
fn inspect_after_the_program() {
    // With stdin not a terminal, -i runs it as prompt entries: values are echoed.
    let o = conc_in(None, &["-i", "-c", "x = 41"], "x + 1\n", &[]);
    assert_eq!(out(&o), "42\n");
    // Also after an uncaught exception, whose traceback comes first.
    let o = conc_in(None, &["-i", "-c", "x = 1\n1/0"], "x\n", &[]);
    assert_eq!(out(&o), "1\n");
    assert!(err(&o).contains("ZeroDivisionError"));
}

#[test]
fn dash_m_runs_modules_and_packages() {
    let dir = scratch(
        "m",
        &[
            ("helper.py", "import sys\nprint(__name__, sys.argv[0].endswith('helper.py'), sys.argv[1:])\n"),
            ("pkg/__init__.py", "print('init', __name__)\n"),
            ("pkg/__main__.py", "print('main', __name__, __package__)\n"),
            ("pkg/sub.py", "from . import sibling\nprint('sub', __name__, __package__, sibling.X)\n"),
            ("pkg/sibling.py", "X = 7\n"),
        ],
    );
    assert_eq!(out(&conc_in(Some(&dir), &["-m", "helper", "a", "-v"], "", &[])), "__main__ True ['a', '-v']\n");
    assert_eq!(out(&conc_in(Some(&dir), &["-m", "pkg"], "", &[])), "init pkg\nmain __main__ pkg\n");
    assert_eq!(out(&conc_in(Some(&dir), &["-m", "pkg.sub"], "", &[])), "init pkg\nsub __main__ pkg 7\n");
    let o = conc_in(Some(&dir), &["-m", "nosuch"], "", &[]);
    assert_eq!((err(&o).as_str(), o.status.code()), ("conc: No module named nosuch\n", Some(1)));
    let o = conc(&["-m", "json"]);
    assert_eq!(err(&o), "conc: No module named json.__main__; 'json' is a package and cannot be directly executed\n");
}

#[test]
fn safe_path_and_pythonpath() {
    let dir = scratch(
        "p",
        &[("s.py", "import sys\nprint(sys.path[0].endswith('-p'))\nimport lib\n"), ("extra/lib.py", "print('lib')\n")],
    );
    let extra = dir.join("extra").display().to_string();
    let o = conc_in(Some(&dir), &["s.py"], "", &[("PYTHONPATH", &extra)]);
    assert_eq!(out(&o), "True\nlib\n");
    let o = conc_in(Some(&dir), &["-P", "s.py"], "", &[("PYTHONPATH", &extra)]);
    assert_eq!(out(&o), "False\nlib\n");
    let o = conc_in(Some(&dir), &["-E", "s.py"], "", &[("PYTHONPATH", &extra)]);
    assert!(err(&o).ends_with("ModuleNotFoundError: No module named 'lib'\n"), "{}", err(&o));
}

#[test]
fn usage_errors_name_the_option() {
    for (args, first) in [
        (&["-Z"][..], "Unknown option: -Z"),
        (&["--foo"][..], "unknown option --foo"),
        (&["-c"][..], "Argument expected for the -c option"),
        (&["-m"][..], "Argument expected for the -m option"),
        (&["-W"][..], "Argument expected for the -W option"),
    ] {
        let o = conc(args);
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(err(&o).lines().next(), Some(first));
        assert!(err(&o).contains("usage: conc [option] ..."));
    }
}

#[test]
fn help_and_version() {
    let o = conc(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let help = out(&o);
    for opt in [
        "-b ",
        "-B ",
        "-c cmd",
        "-d ",
        "-E ",
        "-h ",
        "-i ",
        "-I ",
        "-m mod",
        "-O ",
        "-OO",
        "-P ",
        "-q ",
        "-s ",
        "-S ",
        "-u ",
        "-v ",
        "-V ",
        "-W arg",
        "-x ",
        "-X opt",
        "--help-env",
        "check FILE",
        "test [PATH",
    ] {
        assert!(help.lines().any(|l| l.starts_with(opt)), "{opt} missing from --help");
    }
    for v in ["-V", "--version"] {
        let o = conc(&[v]);
        assert!(out(&o).starts_with("conc "), "{}", out(&o));
    }
}

#[test]
fn scripts_named_like_commands_run() {
    let dir = scratch("cmd", &[("check", "print('ran check')\n"), ("test", "print('ran test')\n")]);
    assert_eq!(out(&conc_in(Some(&dir), &["--", "check"], "", &[])), "ran check\n");
    assert_eq!(out(&conc_in(Some(&dir), &["./test"], "", &[])), "ran test\n");
}

#[test]
fn check_of_a_missing_file_exits_2() {
    let o = conc(&["check", "/nonexistent/conc-missing.py"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(err(&o), "conc: can't open file '/nonexistent/conc-missing.py': [Errno 2] No such file or directory\n");
}

#[test]
fn uncaught_keyboard_interrupt_ends_by_sigint() {
    use std::os::unix::process::ExitStatusExt;
    let o = conc(&["-c", "raise KeyboardInterrupt"]);
    assert_eq!(o.status.signal(), Some(libc::SIGINT), "{:?}", o.status);
    assert!(err(&o).ends_with("KeyboardInterrupt\n"));
    // With a handler of the script's own, the exit is an ordinary status 1.
    let o = conc(&["-c", "import signal\nsignal.signal(signal.SIGINT, lambda s, f: None)\nraise KeyboardInterrupt"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn an_inherited_ignored_sigint_stays_ignored() {
    use std::os::unix::process::CommandExt;
    let code = "import os, signal, time\nprint(signal.getsignal(signal.SIGINT))\nos.kill(os.getpid(), signal.SIGINT)\ntime.sleep(0.05)\nprint('alive')";
    let mut c = Command::new(env!("CARGO_BIN_EXE_conc"));
    c.args(["-c", code]);
    // SAFETY: between fork and exec the closure only calls signal(2), which is
    // async-signal-safe.
    unsafe {
        c.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            Ok(())
        });
    }
    let o = c.output().unwrap();
    assert_eq!(out(&o), "1\nalive\n");
}

/// Functions and classes of a `-c` program or a script on stdin are spawn targets:
/// the child runs the parent's definitions (not its other statements, so nothing is
/// printed twice and no process is started again).
#[test]
fn spawn_targets_defined_without_a_file() {
    let program = "import multiprocessing as mp\nN = 3\nSEEN = []\n\ndef register(f):\n    SEEN.append(f)\n    return f\n\n@register\ndef sq(x):\n    return x * x * N\n\nclass Job:\n    def __init__(self, k):\n        self.k = k\n    def run(self):\n        return sq(self.k)\n\ndef work(j):\n    return j.run()\n\nprint('parent only')\nwith mp.Pool(2) as p:\n    print(p.map(work, [Job(1), Job(2)]))\nq = mp.Process(target=sq, args=(2,))\nq.start()\nq.join()\nprint(q.exitcode)\n";
    let o = conc(&["-c", program]);
    assert_eq!(out(&o), "parent only\n[3, 12]\n0\n", "stderr: {}", err(&o));
    let o = conc_in(None, &["-"], program, &[]);
    assert_eq!(out(&o), "parent only\n[3, 12]\n0\n", "stderr: {}", err(&o));
}

/// A class pickled by reference from a submodule imported alone (`concurrent.futures
/// .process` in a worker whose main imported nothing) is found: the unpickler imports
/// the packages on the way, as `import a.b` does.
#[test]
fn process_pool_from_dash_c() {
    let program = "import concurrent.futures as cf\nwith cf.ProcessPoolExecutor(2) as ex:\n    print(list(ex.map(abs, [-1, -2])))\n";
    let o = conc(&["-c", program]);
    assert_eq!(out(&o), "[1, 2]\n", "stderr: {}", err(&o));
}
