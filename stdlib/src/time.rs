//! `time`: time, sleep, monotonic, perf_counter, ctime, localtime, strftime.

use crate::util::functions;
use conc_interpreter::{Args, ObjRef, PyResult, Value, Vm};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
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
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn time(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(Value::Float(now()))
}

fn time_ns(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    let ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
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
    Ok(Value::Int(
        start().elapsed().as_nanos() as i64 + 1_000_000_000_000,
    ))
}

fn process_time(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(Value::Float(start().elapsed().as_secs_f64()))
}

fn sleep(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let secs = match args.pos.first() {
        Some(Value::Int(i)) => *i as f64,
        Some(Value::Float(f)) => *f,
        Some(Value::Bool(b)) => *b as i64 as f64,
        Some(v) => {
            let msg = format!(
                "'{}' object cannot be interpreted as an integer",
                vm.type_name(v)
            );
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
