//! `time`: time, sleep, monotonic, perf_counter, and the calendar functions (ctime,
//! localtime, gmtime, mktime, asctime, strftime) through the C library, so the TZ
//! environment variable is respected exactly as CPython respects it.

use crate::util::natives;
use conc_interpreter::native::{native, Exc, NativeClass, NativePayload};
use conc_interpreter::{ObjRef, PyResult, Value, Vm};
use std::time::{SystemTime, UNIX_EPOCH};

pub fn init(vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    calendar_init(vm, m)?;
    natives(
        m,
        &[
            &time::DEF,
            &time_ns::DEF,
            &sleep::DEF,
            &monotonic::DEF,
            &monotonic_ns::DEF,
            &perf_counter::DEF,
            &perf_counter_ns::DEF,
            &process_time::DEF,
        ],
    );
    Ok(())
}

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// time() -> floating point number
#[native("time.time()")]
fn time(_vm: &mut Vm) -> PyResult<f64> {
    Ok(now())
}

/// time_ns() -> int
#[native("time.time_ns()")]
fn time_ns(_vm: &mut Vm) -> PyResult<i64> {
    let ns = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    Ok(ns as i64)
}

fn start() -> std::time::Instant {
    static S: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *S.get_or_init(std::time::Instant::now)
}

fn monotonic_secs() -> f64 {
    start().elapsed().as_secs_f64() + 1000.0
}

fn monotonic_nanos() -> i64 {
    start().elapsed().as_nanos() as i64 + 1_000_000_000_000
}

/// monotonic() -> float
#[native("time.monotonic()")]
fn monotonic(_vm: &mut Vm) -> PyResult<f64> {
    Ok(monotonic_secs())
}

/// monotonic_ns() -> int
#[native("time.monotonic_ns()")]
fn monotonic_ns(_vm: &mut Vm) -> PyResult<i64> {
    Ok(monotonic_nanos())
}

/// perf_counter() -> float
#[native("time.perf_counter()")]
fn perf_counter(_vm: &mut Vm) -> PyResult<f64> {
    Ok(monotonic_secs())
}

/// perf_counter_ns() -> int
#[native("time.perf_counter_ns()")]
fn perf_counter_ns(_vm: &mut Vm) -> PyResult<i64> {
    Ok(monotonic_nanos())
}

/// process_time() -> float
#[native("time.process_time()")]
fn process_time(_vm: &mut Vm) -> PyResult<f64> {
    Ok(start().elapsed().as_secs_f64())
}

/// The seconds of `time.sleep`, as CPython's `_PyTime_FromSecondsObject` reads them: a
/// float (NaN is a ValueError, beyond the nanosecond clock an OverflowError) or an
/// integer by `__index__` whose nanoseconds must fit in 64 bits.
fn sleep_seconds(vm: &mut Vm, v: &Value) -> PyResult<f64> {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2**63 nanoseconds
    if let Value::Float(f) = v.unwrap_base() {
        let f = *f;
        if f.is_nan() {
            return Err(vm.value_error("Invalid value NaN (not a number)"));
        }
        let ns = f * 1e9;
        if !(-LIMIT..LIMIT).contains(&ns) {
            return Err(vm.error(Exc::OverflowError, "timestamp out of range for platform time_t"));
        }
        return Ok(f);
    }
    let n = vm.index_value_big(v)?;
    let ns = i64::try_from(n).ok().and_then(|s| s.checked_mul(1_000_000_000));
    match ns {
        Some(ns) => Ok(ns as f64 / 1e9),
        None => Err(vm.error(Exc::OverflowError, "timestamp too large to convert to C _PyTime_t")),
    }
}

/// sleep(seconds)
///
/// Delay execution for a given number of seconds.  The argument may be
/// a floating point number for subsecond precision.
#[native("time.sleep(seconds, /)")]
fn sleep(vm: &mut Vm, seconds: &Value) -> PyResult<()> {
    let secs = sleep_seconds(vm, seconds)?;
    if secs < 0.0 {
        return Err(vm.value_error("sleep length must be non-negative"));
    }
    // Through the blocking layer: other threads run and Ctrl-C interrupts.
    vm.sleep(secs)
}

// ---------------------------------------------------------------------------
// Calendar time: struct_time and the functions converting to and from it.

use crate::util::set;
use conc_interpreter::value::str::intern;

extern "C" {
    // Not bound by the libc crate; POSIX, always present in the C library.
    fn tzset();
}

// The C library's calendar functions, each called from one safe function below that
// holds the argument for the call.

/// Rereads the TZ variable into the C library's zone state (`tzset(3)`).
fn reset_zone() {
    // SAFETY: tzset takes no arguments and writes only the C library's own zone
    // variables, under the C library's lock. It reads the environment, which would
    // race with a thread changing it; nothing in conc changes the environment after
    // start-up (there is no putenv, and the one setenv in `main` runs before any
    // other thread exists).
    unsafe { tzset() }
}

/// A `struct tm` with every field zero and `tm_zone` null.
fn blank_tm() -> libc::tm {
    // SAFETY: `struct tm` is plain C data, integers and one `const char *`
    // (`tm_zone`); all-zero bytes are a valid value of each (0, a null pointer).
    unsafe { std::mem::zeroed() }
}

/// `t` broken down into local time or UTC (`localtime_r`/`gmtime_r`) and the zone's
/// abbreviation, or None when the C library cannot represent `t`. The returned
/// `tm_zone` is null: the name is copied out, so no pointer into the C library
/// leaves this function.
fn broken_down(t: libc::time_t, local: bool) -> Option<(libc::tm, Option<String>)> {
    let mut tm = blank_tm();
    // SAFETY: both pointers are to live locals of the types the functions take; the
    // reentrant `_r` forms write only `*tm` (and localtime_r the C library's zone
    // state, under its lock, as `reset_zone`, with the same argument about the
    // environment).
    let r = unsafe {
        if local {
            libc::localtime_r(&t, &mut tm)
        } else {
            libc::gmtime_r(&t, &mut tm)
        }
    };
    if r.is_null() {
        return None;
    }
    let zone = if tm.tm_zone.is_null() {
        None
    } else {
        // SAFETY: a successful localtime_r/gmtime_r sets `tm_zone` to null (checked
        // above) or to a NUL-terminated abbreviation the C library keeps for the life
        // of the process (glibc never frees its zone strings); it is copied at once.
        Some(unsafe { std::ffi::CStr::from_ptr(tm.tm_zone) }.to_string_lossy().into_owned())
    };
    tm.tm_zone = std::ptr::null();
    Some((tm, zone))
}

/// `mktime(3)`: normalises the fields of `tm` in place and returns the local time
/// they name, -1 on error (with `tm_wday` left as it was).
fn make_time(tm: &mut libc::tm) -> libc::time_t {
    // SAFETY: `tm` is a valid, exclusive `struct tm`. mktime reads its integer
    // fields (never `tm_zone` or `tm_gmtoff`, which glibc ignores on input) and
    // rewrites them all, `tm_zone` with a pointer to a zone string of its own.
    unsafe { libc::mktime(tm) }
}

/// `strftime(3)` of `tm` (whose `tm_zone` is replaced by `zone`, for `%Z`) with the
/// C format `fmt`, into a buffer grown until the text fits; `limit` bounds the
/// buffer (an empty result may be a real one, as for `%p` in some locales).
fn format_tm(fmt: &std::ffi::CStr, tm: &libc::tm, zone: &std::ffi::CStr, limit: usize) -> Vec<u8> {
    let mut tm = *tm;
    tm.tm_zone = zone.as_ptr();
    let mut size = 1024usize;
    loop {
        let mut buf = vec![0u8; size];
        // SAFETY: `buf` is valid for `size` bytes and strftime writes at most that
        // many; `fmt` and `zone` are NUL-terminated strings that outlive the call,
        // and `tm_zone` is the only pointer in `tm`. glibc's strftime checks the
        // range of every field it uses as an index, so any field values are safe.
        let n = unsafe { libc::strftime(buf.as_mut_ptr() as *mut libc::c_char, size, fmt.as_ptr(), &tm) };
        if n > 0 || size > limit {
            buf.truncate(n);
            return buf;
        }
        size *= 2;
    }
}

const FIELDS: [&str; 9] =
    ["tm_year", "tm_mon", "tm_mday", "tm_hour", "tm_min", "tm_sec", "tm_wday", "tm_yday", "tm_isdst"];
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// The native payload of a `time.struct_time`: the nine fields in Python's
/// conventions (year in full, months and days of the year from 1, Monday = 0).
#[derive(Clone)]
pub struct StructTime {
    f: [i64; 9],
    zone: Option<String>,
    gmtoff: Option<i64>,
}

impl NativePayload for StructTime {
    const CLASS: &'static NativeClass = &STRUCT_TIME;
}

/// `time.struct_time`: a structseq in CPython, here an instance whose payload holds
/// the fields (also set as its attributes `tm_year`...).
pub static STRUCT_TIME: NativeClass = NativeClass {
    name: "struct_time",
    module: "time",
    doc: "The time value as returned by gmtime(), localtime(), and strptime(), and\n accepted by asctime(), mktime() and strftime().",
    methods: &[&st_new::DEF, &__getitem__::DEF, &__len__::DEF, &__iter__::DEF, &__repr__::DEF, &__eq__::DEF],
    ..NativeClass::DEFAULT
};

fn make_struct_time(st: StructTime) -> Value {
    let v = STRUCT_TIME.instance(st.clone());
    if let Some(inst) = v.as_instance() {
        let mut attrs = inst.attrs();
        let mut put = |k: &str, v: Value| {
            let n = intern(k);
            attrs.set_simple(conc_interpreter::value::class::name_hash(&n), Value::Obj(n), v);
        };
        for (name, v) in FIELDS.iter().zip(st.f) {
            put(name, Value::Int(v));
        }
        put("tm_zone", st.zone.map(Value::string).unwrap_or(Value::None));
        put("tm_gmtoff", st.gmtoff.map(Value::Int).unwrap_or(Value::None));
    }
    v
}

fn st_of(v: &Value) -> Option<&StructTime> {
    v.as_instance().and_then(|i| i.native::<StructTime>())
}

fn st_tuple(st: &StructTime) -> Value {
    Value::tuple(st.f.iter().map(|v| Value::Int(*v)).collect())
}

/// Create and return a new object.  See help(type) for accurate signature.
#[native("struct_time.__new__($cls, sequence, dict=None)", message_name = "structseq")]
fn st_new(vm: &mut Vm, _cls: &ObjRef, sequence: &Value, dict: Value) -> PyResult<Value> {
    if vm.get_iter(sequence).is_err() {
        return Err(vm.type_error("constructor requires a sequence"));
    }
    if !dict.is_none() && dict.as_dict().is_none() {
        return Err(vm.type_error("time.struct_time() takes a dict as second arg, if any"));
    }
    let items = vm.collect(sequence)?;
    if items.len() < 9 {
        let msg = format!("time.struct_time() takes an at least 9-sequence ({}-sequence given)", items.len());
        return Err(vm.type_error(&msg));
    }
    if items.len() > 11 {
        let msg = format!("time.struct_time() takes an at most 11-sequence ({}-sequence given)", items.len());
        return Err(vm.type_error(&msg));
    }
    let mut f = [0i64; 9];
    for (i, v) in items.iter().take(9).enumerate() {
        f[i] = vm.index_value(v)?;
    }
    let zone = items.get(9).and_then(|v| v.as_str().map(|s| s.as_str().to_string()));
    let gmtoff = match items.get(10) {
        Some(Value::Int(i)) => Some(*i),
        _ => None,
    };
    Ok(make_struct_time(StructTime { f, zone, gmtoff }))
}

/// Return self[key].
#[native("struct_time.__getitem__($self, key, /)", style = "slot")]
fn __getitem__(vm: &mut Vm, this: &StructTime, key: &Value) -> PyResult<Value> {
    let t = st_tuple(this);
    vm.get_item(&t, key)
}

/// Return len(self).
#[native("struct_time.__len__($self, /)", style = "slot")]
fn __len__(_vm: &mut Vm, _this: &StructTime) -> PyResult<i64> {
    Ok(9)
}

/// Implement iter(self).
#[native("struct_time.__iter__($self, /)", style = "slot")]
fn __iter__(vm: &mut Vm, this: &StructTime) -> PyResult<Value> {
    let t = st_tuple(this);
    vm.get_iter(&t)
}

/// Return repr(self).
#[native("struct_time.__repr__($self, /)", style = "slot")]
fn __repr__(_vm: &mut Vm, this: &StructTime) -> PyResult<String> {
    let parts: Vec<String> = FIELDS.iter().zip(this.f).map(|(n, v)| format!("{n}={v}")).collect();
    Ok(format!("time.struct_time({})", parts.join(", ")))
}

/// Return self==value.
#[native("struct_time.__eq__($self, value, /)", style = "slot")]
fn __eq__(vm: &mut Vm, this: &StructTime, value: &Value) -> PyResult<Value> {
    let a = st_tuple(this);
    let b = match st_of(value) {
        Some(s) => st_tuple(s),
        None if value.as_tuple().is_some() => value.clone(),
        None => return Ok(conc_interpreter::interp::not_implemented()),
    };
    Ok(Value::Bool(vm.eq(&a, &b)?))
}

/// Parse a string to a time tuple according to a format specification.
/// The parsing is the conc module `_strptime`, shared with `datetime.strptime`.
#[native("time.strptime(string, format=None, /)")]
fn strptime(vm: &mut Vm, string: Value, format: Option<Value>) -> PyResult<Value> {
    let module = vm.import_module("_strptime")?;
    let parse = vm.get_attr(&module, &conc_interpreter::value::str::intern("_strptime_time"))?;
    let mut args = vec![string];
    args.extend(format);
    vm.call1(&parse, args)
}

fn calendar_init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    reset_zone();
    set(m, "struct_time", Value::Obj(STRUCT_TIME.class().clone()));
    natives(
        m,
        &[&localtime::DEF, &gmtime::DEF, &mktime::DEF, &asctime::DEF, &ctime::DEF, &strftime::DEF, &strptime::DEF],
    );
    // timezone/altzone/tzname from January and July of this year, as CPython does
    // when the C library has tm_gmtoff.
    let now = now() as libc::time_t;
    let year_start = {
        let t = to_struct(now, true).unwrap_or_else(|| to_struct(0, true).unwrap());
        let mut tm = to_tm(&t);
        tm.tm_mon = 0;
        tm.tm_mday = 1;
        tm.tm_hour = 0;
        tm.tm_min = 0;
        tm.tm_sec = 0;
        tm.tm_isdst = -1;
        make_time(&mut tm)
    };
    let jan = to_struct(year_start, true);
    let jul = to_struct(year_start + 183 * 86400, true);
    if let (Some(jan), Some(jul)) = (jan, jul) {
        let janzone = -jan.gmtoff.unwrap_or(0);
        let julzone = -jul.gmtoff.unwrap_or(0);
        let janname = jan.zone.unwrap_or_default();
        let julname = jul.zone.unwrap_or_default();
        let (tz, alt, names) = if janzone < julzone {
            (julzone, janzone, (julname, janname))
        } else {
            (janzone, julzone, (janname, julname))
        };
        set(m, "timezone", Value::Int(tz));
        set(m, "altzone", Value::Int(alt));
        set(m, "daylight", Value::Int((janzone != julzone) as i64));
        set(m, "tzname", Value::tuple(vec![Value::string(names.0), Value::string(names.1)]));
    }
    Ok(())
}

/// Seconds since the epoch as a C `time_t`, rounding toward minus infinity (None:
/// now), as CPython's `_PyTime_ObjectToTime_t`: a float, or an integer by `__index__`.
fn secs_arg(vm: &mut Vm, v: Option<&Value>) -> PyResult<libc::time_t> {
    let out_of_range = |vm: &mut Vm| vm.error(Exc::OverflowError, "timestamp out of range for platform time_t");
    match v.map(|v| v.unwrap_base()) {
        None | Some(Value::None) => Ok(now().floor() as libc::time_t),
        Some(Value::Float(f)) => {
            if f.is_nan() {
                return Err(vm.value_error("Invalid value NaN (not a number)"));
            }
            if !f.is_finite() || f.abs() > 1e18 {
                return Err(out_of_range(vm));
            }
            Ok(f.floor() as libc::time_t)
        }
        Some(v) => {
            let n = vm.index_value_big(v)?;
            i64::try_from(n).map(|n| n as libc::time_t).map_err(|_| out_of_range(vm))
        }
    }
}

fn to_struct(t: libc::time_t, local: bool) -> Option<StructTime> {
    let (tm, zone) = broken_down(t, local)?;
    Some(StructTime {
        f: [
            tm.tm_year as i64 + 1900,
            tm.tm_mon as i64 + 1,
            tm.tm_mday as i64,
            tm.tm_hour as i64,
            tm.tm_min as i64,
            tm.tm_sec as i64,
            (tm.tm_wday as i64 + 6) % 7,
            tm.tm_yday as i64 + 1,
            tm.tm_isdst as i64,
        ],
        zone,
        gmtoff: Some(tm.tm_gmtoff),
    })
}

/// A C `struct tm` from Python's fields (tm_zone is left null; callers that need
/// it keep the string alive themselves).
fn to_tm(st: &StructTime) -> libc::tm {
    let mut tm = blank_tm();
    tm.tm_year = (st.f[0] - 1900) as i32;
    tm.tm_mon = (st.f[1] - 1) as i32;
    tm.tm_mday = st.f[2] as i32;
    tm.tm_hour = st.f[3] as i32;
    tm.tm_min = st.f[4] as i32;
    tm.tm_sec = st.f[5] as i32;
    tm.tm_wday = ((st.f[6] + 1) % 7) as i32;
    tm.tm_yday = (st.f[7] - 1) as i32;
    tm.tm_isdst = st.f[8] as i32;
    tm.tm_gmtoff = st.gmtoff.unwrap_or(0) as _;
    tm
}

fn timestamp_struct(vm: &mut Vm, secs: Option<&Value>, local: bool) -> PyResult<StructTime> {
    let t = secs_arg(vm, secs)?;
    match to_struct(t, local) {
        Some(s) => Ok(s),
        None => Err(vm.error(Exc::OverflowError, "timestamp out of range for platform time_t")),
    }
}

/// localtime([seconds]) -> (tm_year,tm_mon,tm_mday,tm_hour,tm_min,
#[native("localtime(seconds=None, /)", style = "tuple")]
fn localtime(vm: &mut Vm, seconds: Option<&Value>) -> PyResult<Value> {
    Ok(make_struct_time(timestamp_struct(vm, seconds, true)?))
}

/// gmtime([seconds]) -> (tm_year, tm_mon, tm_mday, tm_hour, tm_min,
#[native("gmtime(seconds=None, /)", style = "tuple")]
fn gmtime(vm: &mut Vm, seconds: Option<&Value>) -> PyResult<Value> {
    Ok(make_struct_time(timestamp_struct(vm, seconds, false)?))
}

/// A struct_time or a 9-tuple argument.
fn tuple_arg(vm: &mut Vm, v: &Value, fname: &str) -> PyResult<StructTime> {
    if let Some(st) = st_of(v) {
        return Ok(st.clone());
    }
    if v.as_tuple().is_none() {
        return Err(vm.type_error("Tuple or struct_time argument required"));
    }
    let items = vm.collect(v)?;
    if items.len() != 9 {
        let msg = format!("{fname}(): illegal time tuple argument");
        return Err(vm.type_error(&msg));
    }
    let mut f = [0i64; 9];
    for (i, x) in items.iter().enumerate() {
        f[i] = vm.index_value(x)?;
    }
    Ok(StructTime { f, zone: None, gmtoff: None })
}

/// mktime(tuple) -> floating point number
#[native("time.mktime(tuple, /)")]
fn mktime(vm: &mut Vm, tuple: &Value) -> PyResult<Value> {
    let v = tuple;
    let st = tuple_arg(vm, v, "mktime")?;
    let mut tm = to_tm(&st);
    // mktime(3) reports an error as -1 with tm_wday untouched; a sentinel tells
    // that apart from the valid time one second before the epoch.
    tm.tm_wday = -1;
    let t = make_time(&mut tm);
    if t == -1 && tm.tm_wday == -1 {
        return Err(vm.error(Exc::OverflowError, "mktime argument out of range"));
    }
    Ok(Value::Float(t as f64))
}

fn asctime_of(st: &StructTime) -> String {
    let day = DAYS[st.f[6].rem_euclid(7) as usize];
    let mon = MONTHS[(st.f[1] - 1).clamp(0, 11) as usize];
    format!("{day} {mon}{:>3} {:02}:{:02}:{:02} {}", st.f[2], st.f[3], st.f[4], st.f[5], st.f[0])
}

/// asctime([tuple]) -> string
#[native("asctime(tuple=None, /)")]
fn asctime(vm: &mut Vm, tuple: Option<&Value>) -> PyResult<String> {
    let st = match tuple {
        None => timestamp_struct(vm, None, true)?,
        Some(v) => tuple_arg(vm, v, "asctime")?,
    };
    Ok(asctime_of(&st))
}

/// ctime(seconds) -> string
#[native("ctime(seconds=None, /)", style = "tuple")]
fn ctime(vm: &mut Vm, seconds: Option<&Value>) -> PyResult<String> {
    let st = timestamp_struct(vm, seconds, true)?;
    Ok(asctime_of(&st))
}

/// CPython's range checks of strftime's time tuple (0 is accepted for the month,
/// day of month and day of year and means the first).
fn check_tm(vm: &mut Vm, st: &mut StructTime) -> PyResult<()> {
    let f = &mut st.f;
    for i in [1usize, 2, 7] {
        if f[i] == 0 {
            f[i] = 1;
        }
    }
    let checks: [(usize, i64, i64, &str); 6] = [
        (1, 1, 12, "month out of range"),
        (2, 1, 31, "day of month out of range"),
        (3, 0, 23, "hour out of range"),
        (4, 0, 59, "minute out of range"),
        (5, 0, 61, "seconds out of range"),
        (7, 1, 366, "day of year out of range"),
    ];
    for (i, lo, hi, msg) in checks {
        if f[i] < lo || f[i] > hi {
            return Err(vm.value_error(msg));
        }
    }
    if f[6] < 0 {
        return Err(vm.value_error("day of week out of range"));
    }
    f[6] %= 7;
    f[8] = f[8].clamp(-1, 1);
    Ok(())
}

/// strftime(format[, tuple]) -> string
#[native("strftime(format, tuple=<unrepresentable>, /)", style = "tuple")]
fn strftime(vm: &mut Vm, format: &str, tuple: Option<&Value>) -> PyResult<Value> {
    let fmt = format.to_string();
    let mut st = match tuple {
        None => timestamp_struct(vm, None, true)?,
        Some(v) => tuple_arg(vm, v, "strftime")?,
    };
    check_tm(vm, &mut st)?;
    if st.zone.is_none() {
        // A plain tuple carries no zone: take the local zone for its DST flag.
        let now = to_struct(now() as libc::time_t, true);
        if let Some(n) = now {
            if n.f[8] == st.f[8] || st.f[8] < 0 {
                st.zone = n.zone;
                st.gmtoff = n.gmtoff;
            }
        }
    }
    if fmt.contains('\0') {
        return Err(vm.value_error("embedded null character"));
    }
    let zone = std::ffi::CString::new(st.zone.clone().unwrap_or_default()).unwrap_or_default();
    let tm = to_tm(&st);
    let cfmt = std::ffi::CString::new(fmt.clone()).unwrap_or_default();
    // An empty format gives empty text at once; otherwise the buffer may grow to 256
    // bytes per format byte before an empty result is taken as the answer.
    let limit = if fmt.is_empty() { 0 } else { 256 * fmt.len() + 1024 };
    let buf = format_tm(&cfmt, &tm, &zone, limit);
    Ok(Value::string(String::from_utf8_lossy(&buf).into_owned()))
}
