//! What the command line told the interpreter: `sys.flags`, `sys.warnoptions`,
//! `sys._xoptions` and `sys.orig_argv`. The `conc` command records them with
//! [`set_launch`] before the runtime starts; embedders that do not get the defaults
//! of a plain `python3 script.py`.

use std::sync::OnceLock;

use crate::util::set;
use conc_interpreter::native::{native, NativeClass, NativePayload};
use conc_interpreter::value::dict::{DictData, DictObj};
use conc_interpreter::value::str::intern;
use conc_interpreter::{ObjRef, Object, PyResult, Value, Vm};

/// The command line's settings, as `sys` shows them.
#[derive(Clone, Debug, Default)]
pub struct Launch {
    pub debug: i64,
    pub inspect: i64,
    pub interactive: i64,
    pub optimize: i64,
    pub no_user_site: i64,
    pub no_site: i64,
    pub ignore_environment: i64,
    pub verbose: i64,
    pub bytes_warning: i64,
    pub quiet: i64,
    pub isolated: i64,
    pub safe_path: bool,
    pub warnoptions: Vec<String>,
    pub xoptions: Vec<String>,
    pub orig_argv: Vec<String>,
}

static LAUNCH: OnceLock<Launch> = OnceLock::new();

/// Records the command line's settings; the first call wins.
pub fn set_launch(launch: Launch) {
    let _ = LAUNCH.set(launch);
}

/// The recorded settings (the defaults when nothing was recorded).
pub fn launch() -> Launch {
    LAUNCH.get().cloned().unwrap_or_default()
}

/// The fields of `sys.flags`, in CPython 3.11's order, with their values. Flags conc
/// has no use for hold CPython's values for a default run (`dont_write_bytecode` is 1
/// because conc never writes bytecode files; hash randomization is off: conc's str
/// hashes are not seeded).
fn fields(l: &Launch) -> Vec<(&'static str, Value)> {
    let i = Value::Int;
    vec![
        ("debug", i(l.debug)),
        ("inspect", i(l.inspect)),
        ("interactive", i(l.interactive)),
        ("optimize", i(l.optimize)),
        ("dont_write_bytecode", i(1)),
        ("no_user_site", i(l.no_user_site)),
        ("no_site", i(l.no_site)),
        ("ignore_environment", i(l.ignore_environment)),
        ("verbose", i(l.verbose)),
        ("bytes_warning", i(l.bytes_warning)),
        ("quiet", i(l.quiet)),
        ("hash_randomization", i(0)),
        ("isolated", i(l.isolated)),
        ("dev_mode", Value::Bool(false)),
        ("utf8_mode", i(1)),
        ("warn_default_encoding", i(0)),
        ("safe_path", Value::Bool(l.safe_path)),
        ("int_max_str_digits", i(-1)),
    ]
}

/// The payload of the `sys.flags` object: its field values in order.
pub struct Flags(Vec<(&'static str, Value)>);

impl NativePayload for Flags {
    const CLASS: &'static NativeClass = &FLAGS;
}

/// `sys.flags`: a structseq in CPython, here an instance whose payload holds the
/// values, also set as attributes.
pub static FLAGS: NativeClass = NativeClass {
    name: "flags",
    module: "sys",
    doc: "sys.flags\n\nFlags provided through command line arguments or environment vars.",
    methods: &[&__getitem__::DEF, &__len__::DEF, &__iter__::DEF, &__repr__::DEF],
    ..NativeClass::DEFAULT
};

fn as_tuple(f: &Flags) -> Value {
    Value::tuple(f.0.iter().map(|(_, v)| v.clone()).collect())
}

/// Return self[key].
#[native("flags.__getitem__($self, key, /)", style = "slot")]
fn __getitem__(vm: &mut Vm, this: &Flags, key: &Value) -> PyResult<Value> {
    let t = as_tuple(this);
    vm.get_item(&t, key)
}

/// Return len(self).
#[native("flags.__len__($self, /)", style = "slot")]
fn __len__(_vm: &mut Vm, this: &Flags) -> PyResult<usize> {
    Ok(this.0.len())
}

/// Implement iter(self).
#[native("flags.__iter__($self, /)", style = "slot")]
fn __iter__(vm: &mut Vm, this: &Flags) -> PyResult<Value> {
    let t = as_tuple(this);
    vm.get_iter(&t)
}

/// Return repr(self).
#[native("flags.__repr__($self, /)", style = "slot")]
fn __repr__(vm: &mut Vm, this: &Flags) -> PyResult<String> {
    let mut parts = Vec::with_capacity(this.0.len());
    for (name, v) in &this.0 {
        parts.push(format!("{name}={}", vm.repr_of(v)?));
    }
    Ok(format!("sys.flags({})", parts.join(", ")))
}

/// `-X name=value` is `{'name': 'value'}`, `-X name` is `{'name': True}`.
fn xoptions(vm: &mut Vm, opts: &[String]) -> PyResult<Value> {
    let d = Value::new(Object::Dict(DictObj::new(DictData::new())));
    for o in opts {
        let (k, v) = match o.split_once('=') {
            Some((k, v)) => (k, Value::str(v)),
            None => (o.as_str(), Value::Bool(true)),
        };
        vm.set_item(&d, Value::str(k), v)?;
    }
    Ok(d)
}

/// Sets `sys.flags`, `sys.warnoptions`, `sys._xoptions` and `sys.orig_argv`.
pub fn init(vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    let l = launch();
    let values = fields(&l);
    let flags = FLAGS.instance(Flags(values.clone()));
    if let Some(inst) = flags.as_instance() {
        let mut attrs = inst.attrs();
        for (name, v) in values {
            let n = intern(name);
            attrs.set_simple(conc_interpreter::value::class::name_hash(&n), Value::Obj(n), v);
        }
    }
    set(m, "flags", flags);
    set(m, "warnoptions", Value::list(l.warnoptions.iter().map(|s| Value::str(s)).collect()));
    set(m, "_xoptions", xoptions(vm, &l.xoptions)?);
    let orig = if l.orig_argv.is_empty() { std::env::args().collect() } else { l.orig_argv.clone() };
    set(m, "orig_argv", Value::list(orig.iter().map(|s| Value::str(s)).collect()));
    Ok(())
}
