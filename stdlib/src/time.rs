//! `time`: time, sleep, monotonic, perf_counter, and the calendar functions (ctime,
//! localtime, gmtime, mktime, asctime, strftime) through the C library, so the TZ
//! environment variable is respected exactly as CPython respects it.

use crate::util::functions;
use conc_interpreter::{Args, ObjRef, PyResult, Value, Vm};
use std::time::{SystemTime, UNIX_EPOCH};

pub fn init(vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    calendar_init(vm, m)?;
    functions(
        m,
        &[
            ("time", time),
            ("time_ns", time_ns),
            ("sleep", sleep),
            ("monotonic", monotonic),
            ("monotonic_ns", monotonic_ns),
            ("perf_counter", monotonic),
            ("perf_counter_ns", monotonic_ns),
            ("process_time", process_time),
        ],
    );
    Ok(())
}

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

fn time(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(Value::Float(now()))
}

fn time_ns(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    let ns = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    Ok(Value::Int(ns as i64))
}

fn start() -> std::time::Instant {
    static S: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *S.get_or_init(std::time::Instant::now)
}

fn monotonic(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(Value::Float(start().elapsed().as_secs_f64() + 1000.0))
}

fn monotonic_ns(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(Value::Int(start().elapsed().as_nanos() as i64 + 1_000_000_000_000))
}

fn process_time(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(Value::Float(start().elapsed().as_secs_f64()))
}

fn sleep(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let secs = match args.pos.first().map(|v| v.unwrap_base()) {
        Some(Value::Int(i)) => *i as f64,
        Some(Value::Float(f)) => *f,
        Some(Value::Bool(b)) => *b as i64 as f64,
        Some(v) => {
            let msg = format!("'{}' object cannot be interpreted as an integer", vm.type_name(v));
            return Err(vm.type_error(&msg));
        }
        None => return Err(vm.type_error("sleep() takes exactly one argument (0 given)")),
    };
    if secs < 0.0 || secs.is_nan() {
        return Err(vm.value_error("sleep length must be non-negative"));
    }
    vm.sleep(secs)?;
    Ok(Value::None)
}

// ---------------------------------------------------------------------------
// Calendar time: struct_time and the functions converting to and from it.

use crate::util::set;
use conc_interpreter::interp::{add_methods, new_class, types};
use conc_interpreter::native::Exc;
use conc_interpreter::value::class::BaseKind;
use conc_interpreter::value::instance::InstanceObj;
use conc_interpreter::value::str::intern;
use conc_interpreter::Object;
use std::sync::OnceLock;

extern "C" {
    // Not bound by the libc crate; POSIX, always present in the C library.
    fn tzset();
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

fn struct_time_class() -> &'static ObjRef {
    static C: OnceLock<ObjRef> = OnceLock::new();
    C.get_or_init(|| {
        let cls =
            new_class("struct_time", "time", vec![types().object.clone()], BaseKind::Builtin, true, Default::default());
        add_methods(
            &cls,
            &[
                ("__new__", st_new),
                ("__getitem__", st_getitem),
                ("__len__", st_len),
                ("__iter__", st_iter),
                ("__repr__", st_repr),
                ("__eq__", st_eq),
            ],
        );
        cls
    })
}

fn make_struct_time(st: StructTime) -> Value {
    let inst = InstanceObj::with_native(struct_time_class().clone(), Box::new(st.clone()));
    {
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
    Value::new(Object::Instance(inst))
}

fn st_of(v: &Value) -> Option<&StructTime> {
    v.as_instance().and_then(|i| i.native::<StructTime>())
}

fn st_tuple(st: &StructTime) -> Value {
    Value::tuple(st.f.iter().map(|v| Value::Int(*v)).collect())
}

fn st_self<'a>(vm: &mut Vm, args: &'a Args) -> PyResult<&'a StructTime> {
    match args.pos.first().and_then(st_of) {
        Some(s) => Ok(s),
        None => Err(vm.type_error("descriptor requires a 'time.struct_time' object")),
    }
}

/// `time.struct_time(seq)`: from a sequence of 9 to 11 items.
fn st_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let Some(seq) = args.pos.get(1) else {
        return Err(vm.type_error("structseq() missing required argument 'sequence' (pos 1)"));
    };
    let items = vm.collect(seq)?;
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

fn st_getitem(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let t = st_tuple(st_self(vm, &args)?);
    let key = args.pos.get(1).cloned().unwrap_or(Value::None);
    vm.get_item(&t, &key)
}

fn st_len(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(Value::Int(9))
}

fn st_iter(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let t = st_tuple(st_self(vm, &args)?);
    vm.get_iter(&t)
}

fn st_repr(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let st = st_self(vm, &args)?;
    let parts: Vec<String> = FIELDS.iter().zip(st.f).map(|(n, v)| format!("{n}={v}")).collect();
    Ok(Value::string(format!("time.struct_time({})", parts.join(", "))))
}

fn st_eq(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = st_tuple(st_self(vm, &args)?);
    let other = args.pos.get(1).cloned().unwrap_or(Value::None);
    let b = match st_of(&other) {
        Some(s) => st_tuple(s),
        None if other.as_tuple().is_some() => other,
        None => return Ok(conc_interpreter::interp::not_implemented()),
    };
    Ok(Value::Bool(vm.eq(&a, &b)?))
}

fn calendar_init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    unsafe { tzset() };
    set(m, "struct_time", Value::Obj(struct_time_class().clone()));
    functions(
        m,
        &[
            ("localtime", localtime),
            ("gmtime", gmtime),
            ("mktime", mktime),
            ("asctime", asctime),
            ("ctime", ctime),
            ("strftime", strftime),
        ],
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
        unsafe { libc::mktime(&mut tm) }
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

/// Seconds since the epoch as a C `time_t`, rounding toward minus infinity.
fn secs_arg(vm: &mut Vm, args: &Args) -> PyResult<libc::time_t> {
    match args.pos.first() {
        None | Some(Value::None) => Ok(now().floor() as libc::time_t),
        Some(Value::Float(f)) => {
            if f.is_nan() {
                return Err(vm.value_error("Invalid value NaN (not a number)"));
            }
            if !f.is_finite() || f.abs() > 1e18 {
                return Err(vm.error(Exc::OverflowError, "timestamp out of range for platform time_t"));
            }
            Ok(f.floor() as libc::time_t)
        }
        Some(v) => {
            let v = v.clone();
            match v {
                Value::Int(_) | Value::Bool(_) => Ok(vm.index_value(&v)? as libc::time_t),
                _ => {
                    let f = conc_interpreter::builtins::constructors::to_float(vm, &v)?;
                    Ok(f.floor() as libc::time_t)
                }
            }
        }
    }
}

fn to_struct(t: libc::time_t, local: bool) -> Option<StructTime> {
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
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
        Some(unsafe { std::ffi::CStr::from_ptr(tm.tm_zone) }.to_string_lossy().into_owned())
    };
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
        gmtoff: Some(tm.tm_gmtoff as i64),
    })
}

/// A C `struct tm` from Python's fields (tm_zone is left null; callers that need
/// it keep the string alive themselves).
fn to_tm(st: &StructTime) -> libc::tm {
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
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

fn timestamp_struct(vm: &mut Vm, args: &Args, local: bool) -> PyResult<StructTime> {
    let t = secs_arg(vm, args)?;
    match to_struct(t, local) {
        Some(s) => Ok(s),
        None => Err(vm.error(Exc::OverflowError, "timestamp out of range for platform time_t")),
    }
}

fn localtime(vm: &mut Vm, args: Args) -> PyResult<Value> {
    Ok(make_struct_time(timestamp_struct(vm, &args, true)?))
}

fn gmtime(vm: &mut Vm, args: Args) -> PyResult<Value> {
    Ok(make_struct_time(timestamp_struct(vm, &args, false)?))
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

fn mktime(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let Some(v) = args.pos.first().cloned() else {
        return Err(vm.type_error("time.mktime() takes exactly one argument (0 given)"));
    };
    let st = tuple_arg(vm, &v, "mktime")?;
    let mut tm = to_tm(&st);
    // mktime(3) reports an error as -1 with tm_wday untouched; a sentinel tells
    // that apart from the valid time one second before the epoch.
    tm.tm_wday = -1;
    let t = unsafe { libc::mktime(&mut tm) };
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

fn asctime(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let st = match args.pos.first().cloned() {
        None => timestamp_struct(vm, &Args::default(), true)?,
        Some(v) => tuple_arg(vm, &v, "asctime")?,
    };
    Ok(Value::string(asctime_of(&st)))
}

fn ctime(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let st = timestamp_struct(vm, &args, true)?;
    Ok(Value::string(asctime_of(&st)))
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

fn strftime(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let fmt = match args.pos.first().and_then(|v| v.as_str()) {
        Some(s) => s.as_str().to_string(),
        None => {
            let t = args.pos.first().map(|v| vm.type_name(v)).unwrap_or_default();
            let msg = if args.pos.is_empty() {
                "strftime() takes at least 1 argument (0 given)".to_string()
            } else {
                format!("strftime() argument 1 must be str, not {t}")
            };
            return Err(vm.type_error(&msg));
        }
    };
    let mut st = match args.pos.get(1).cloned() {
        None => timestamp_struct(vm, &Args::default(), true)?,
        Some(v) => tuple_arg(vm, &v, "strftime")?,
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
    let mut tm = to_tm(&st);
    tm.tm_zone = zone.as_ptr();
    let cfmt = std::ffi::CString::new(fmt.clone()).unwrap_or_default();
    let mut size = 1024usize;
    loop {
        let mut buf = vec![0u8; size];
        let n = unsafe { libc::strftime(buf.as_mut_ptr() as *mut libc::c_char, size, cfmt.as_ptr(), &tm) };
        if n > 0 || fmt.is_empty() || size > 256 * fmt.len() + 1024 {
            buf.truncate(n);
            return Ok(Value::string(String::from_utf8_lossy(&buf).into_owned()));
        }
        size *= 2;
    }
}
