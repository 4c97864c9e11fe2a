//! python3's command line: `conc [option] ... [-c cmd | -m mod | file | -] [arg] ...`.
//!
//! Options are parsed as CPython parses them: single letters may be grouped (`-iq`),
//! `-c`, `-m`, `-W` and `-X` take the rest of their group or the next argument (`-cCODE`,
//! `-c CODE`), `-c` and `-m` end the option list, and so do `-` (the program on stdin),
//! `--` and the first argument that is not an option (the script). Everything after the
//! program goes to `sys.argv[1:]` untouched.

/// Where the program comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Program {
    /// No program: the REPL (or stdin run as a script when it is not a terminal).
    Default,
    /// `-` : the program read from stdin.
    Stdin,
    /// `-c CODE`.
    Code(String),
    /// `-m MODULE`.
    Module(String),
    /// A script file.
    File(String),
}

/// The parsed command line. Counters (`optimize`, `verbose`, ...) count repeated letters,
/// as `sys.flags` shows them.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub program: Option<Program>,
    /// `sys.argv[1:]`.
    pub args: Vec<String>,
    pub inspect: bool,
    pub quiet: bool,
    pub unbuffered: bool,
    pub optimize: u8,
    pub verbose: u8,
    pub bytes_warning: u8,
    pub debug: bool,
    pub dont_write_bytecode: bool,
    pub ignore_environment: bool,
    pub isolated: bool,
    pub safe_path: bool,
    pub no_site: bool,
    pub no_user_site: bool,
    pub skip_first_line: bool,
    pub warnoptions: Vec<String>,
    pub xoptions: Vec<String>,
    /// `--deadlock=report|exit|hang`: what a deadlock does (conc's own option).
    pub deadlock: Option<String>,
    /// `--trace FILE.json|FILE.html`: write a timeline of the run (conc's own option).
    pub trace: Option<String>,
}

/// What the command line asks for when it does not run a program.
#[derive(Debug, PartialEq)]
pub enum Stop {
    /// `-h`, `-V`, ...: print this on stdout, exit 0.
    Print(String),
    /// A usage error: print this on stderr followed by the usage lines, exit 2.
    Usage(String),
}

pub const USAGE: &str = "usage: conc [option] ... [-c cmd | -m mod | file | -] [arg] ...";

/// The two lines CPython prints after a usage error.
pub fn usage_error(message: &str) -> String {
    format!("{message}\n{USAGE}\nTry `conc -h' for more information.\n")
}

/// Parses the arguments after the program name.
pub fn parse(argv: &[String]) -> Result<Options, Stop> {
    let mut o = Options::default();
    let mut i = 0;
    while i < argv.len() {
        let arg = &argv[i];
        i += 1;
        if arg == "--" {
            if i < argv.len() {
                o.program = Some(Program::File(argv[i].clone()));
                i += 1;
            }
            break;
        }
        if arg == "-" {
            o.program = Some(Program::Stdin);
            break;
        }
        if let Some(long) = arg.strip_prefix("--") {
            match long {
                "help" => return Err(Stop::Print(help())),
                "help-all" => return Err(Stop::Print(format!("{}\n{}\n{}", help(), HELP_ENV, HELP_X))),
                "help-env" => return Err(Stop::Print(HELP_ENV.to_string())),
                "help-xoptions" => return Err(Stop::Print(HELP_X.to_string())),
                "version" => return Err(Stop::Print(version(1))),
                l if l.starts_with("deadlock=") => match &l["deadlock=".len()..] {
                    v @ ("report" | "exit" | "hang") => o.deadlock = Some(v.to_string()),
                    _ => return Err(Stop::Usage("--deadlock must be 'report', 'exit' or 'hang'".into())),
                },
                l if l.starts_with("trace=") => o.trace = Some(l["trace=".len()..].to_string()),
                "trace" => {
                    let Some(v) = argv.get(i) else {
                        return Err(Stop::Usage("Argument expected for the --trace option".into()));
                    };
                    o.trace = Some(v.clone());
                    i += 1;
                }
                "check-hash-based-pycs" => {
                    // conc writes no bytecode files; the value is still checked.
                    let Some(v) = argv.get(i) else {
                        return Err(Stop::Usage("Argument expected for the --check-hash-based-pycs option".into()));
                    };
                    if !matches!(v.as_str(), "always" | "default" | "never") {
                        return Err(Stop::Usage(
                            "--check-hash-based-pycs must be one of 'default', 'always', or 'never'".into(),
                        ));
                    }
                    i += 1;
                }
                _ => return Err(Stop::Usage(format!("unknown option {arg}"))),
            }
            continue;
        }
        let Some(letters) = arg.strip_prefix('-') else {
            o.program = Some(Program::File(arg.clone()));
            break;
        };
        let mut versions = 0;
        for (at, letter) in letters.char_indices() {
            let rest = &letters[at + letter.len_utf8()..];
            match letter {
                'c' | 'm' | 'W' | 'X' => {
                    let value = if !rest.is_empty() {
                        rest.to_string()
                    } else if i < argv.len() {
                        i += 1;
                        argv[i - 1].clone()
                    } else {
                        return Err(Stop::Usage(format!("Argument expected for the -{letter} option")));
                    };
                    match letter {
                        'c' => o.program = Some(Program::Code(value)),
                        'm' => o.program = Some(Program::Module(value)),
                        'W' => o.warnoptions.push(value),
                        _ => o.xoptions.push(value),
                    }
                    break;
                }
                'b' => o.bytes_warning += 1,
                'B' => o.dont_write_bytecode = true,
                'd' => o.debug = true,
                'E' => o.ignore_environment = true,
                'h' | '?' => return Err(Stop::Print(help())),
                'i' => o.inspect = true,
                'I' => {
                    o.isolated = true;
                    o.ignore_environment = true;
                    o.no_user_site = true;
                    o.safe_path = true;
                }
                'O' => o.optimize += 1,
                'P' => o.safe_path = true,
                'q' => o.quiet = true,
                's' => o.no_user_site = true,
                'S' => o.no_site = true,
                'u' => o.unbuffered = true,
                'v' => o.verbose += 1,
                'V' => versions += 1,
                'x' => o.skip_first_line = true,
                other => return Err(Stop::Usage(format!("Unknown option: -{other}"))),
            }
        }
        if versions > 0 {
            return Err(Stop::Print(version(versions)));
        }
        if matches!(o.program, Some(Program::Code(_) | Program::Module(_))) {
            break;
        }
    }
    o.args = argv[i..].to_vec();
    Ok(o)
}

/// `conc -V` (and `-VV`, which adds what conc was built with).
fn version(level: u32) -> String {
    let base = format!("conc {} (Python 3.11 compatible)", env!("CARGO_PKG_VERSION"));
    if level > 1 {
        format!("{base} [no GIL; {} {}]\n", std::env::consts::OS, std::env::consts::ARCH)
    } else {
        format!("{base}\n")
    }
}

fn help() -> String {
    format!("{USAGE}\n{HELP}")
}

const HELP: &str = "\
Options (and the environment variables that also set them, ignored with -E):
-b     : accepted for python3 compatibility; conc does not warn about str(bytes)
-B     : accepted; conc never writes bytecode files (sys.flags.dont_write_bytecode)
-c cmd : program passed in as string (ends the option list)
-d     : accepted; parser debugging output is not available
-E     : ignore the PYTHON* environment variables (PYTHONPATH, PYTHONINSPECT, ...)
-h     : print this help message and exit (also -? or --help)
-i     : after the program, enter the interactive prompt with its globals; also
         when stdin is not a terminal; also PYTHONINSPECT=x
-I     : isolate from the user's environment (implies -E, -P and -s)
-m mod : run a module found on sys.path (or in conc's library) as __main__
         (ends the option list)
-O     : remove assert statements and make __debug__ False; also PYTHONOPTIMIZE=x
-OO    : as -O (conc keeps docstrings)
-P     : don't prepend the script's folder (or the current one) to sys.path;
         also PYTHONSAFEPATH=x
-q     : don't print the version line when the interactive prompt starts
-s     : accepted; conc has no user site directory
-S     : accepted; conc has no site module to import
-u     : write stdout and stderr through without buffering; also PYTHONUNBUFFERED=x
-v     : accepted; import tracing is not available (sys.flags.verbose counts it)
-V     : print conc's version and exit (also --version; -VV adds build details)
-W arg : warning control (action:message:category:module:lineno), kept in
         sys.warnoptions; also PYTHONWARNINGS=arg
-x     : skip the first line of the source (for non-Unix forms of #!cmd)
-X opt : set an implementation option, kept in sys._xoptions
--check-hash-based-pycs always|default|never:
         accepted; conc writes no .pyc files
--trace FILE.json|FILE.html:
         write a timeline of the run: Chrome Trace Event JSON, or an HTML page
--deadlock=report|exit|hang:
         what a deadlock does: report it on stderr and go on waiting as python3
         does (the default), report it and exit 1 (conc test's default), or hang
         silently; also CONC_DEADLOCK=MODE
--help-env      : print help about the environment variables and exit
--help-xoptions : print help about -X options and exit
--help-all      : print complete help information and exit
Arguments:
file   : program read from script file
-      : program read from stdin (default; interactive mode if a tty)
arg ...: arguments passed to program in sys.argv[1:]
Commands (as the first argument; `conc -- check` runs a script named check):
check FILE...      parse and compile files, print diagnostics, run nothing
dis FILE | -c CODE print the bytecode conc compiles
test [PATH...]     run golden tests (see the README)
repl               the interactive prompt
";

const HELP_ENV: &str = "\
Environment variables (ignored with -E or -I):
PYTHONPATH       : ':'-separated folders put in sys.path after the script's folder
PYTHONINSPECT    : as -i
PYTHONOPTIMIZE   : as -O (an integer sets the level)
PYTHONSAFEPATH   : as -P
PYTHONUNBUFFERED : as -u
PYTHONWARNINGS   : as -W (comma-separated)
conc's own:
CONC_STDLIB_DIR  : read conc's library modules from this folder instead of the binary
";

const HELP_X: &str = "\
-X options: conc accepts any -X option and keeps it in sys._xoptions
(`-X name=value` as {'name': 'value'}, `-X name` as {'name': True});
none changes conc's behaviour yet.
";

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Options, Stop> {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn groups_and_attached_values() {
        let o = p(&["-iqcprint(1)", "a", "-b"]).unwrap();
        assert!(o.inspect && o.quiet);
        assert_eq!(o.program, Some(Program::Code("print(1)".into())));
        assert_eq!(o.args, vec!["a", "-b"]);
        let o = p(&["-W", "error", "-Xdev", "-OO", "-m", "json.tool", "x"]).unwrap();
        assert_eq!(o.warnoptions, vec!["error"]);
        assert_eq!(o.xoptions, vec!["dev"]);
        assert_eq!(o.optimize, 2);
        assert_eq!(o.program, Some(Program::Module("json.tool".into())));
        assert_eq!(o.args, vec!["x"]);
    }

    #[test]
    fn program_ends_options() {
        let o = p(&["-u", "s.py", "-i"]).unwrap();
        assert!(o.unbuffered && !o.inspect);
        assert_eq!(o.program, Some(Program::File("s.py".into())));
        assert_eq!(o.args, vec!["-i"]);
        let o = p(&["--", "-i"]).unwrap();
        assert_eq!(o.program, Some(Program::File("-i".into())));
        let o = p(&["-", "x"]).unwrap();
        assert_eq!((o.program, o.args), (Some(Program::Stdin), vec!["x".to_string()]));
        assert_eq!(p(&["-q"]).unwrap().program, None);
    }

    #[test]
    fn errors_name_the_option() {
        assert_eq!(p(&["-Z"]).unwrap_err(), Stop::Usage("Unknown option: -Z".into()));
        assert_eq!(p(&["--foo"]).unwrap_err(), Stop::Usage("unknown option --foo".into()));
        assert_eq!(p(&["-c"]).unwrap_err(), Stop::Usage("Argument expected for the -c option".into()));
        assert!(matches!(p(&["-V"]).unwrap_err(), Stop::Print(s) if s.starts_with("conc ")));
    }
}
