//! The `spawn_process` builtin (conc's own, so not a golden test against python3):
//! results and exceptions come back through `join()`, a child that dies without a
//! result raises ProcessError instead of hanging, a timeout raises TimeoutError, and
//! what cannot be sent is refused at once with a clear error.

mod mp_support;

use mp_support::run;
use std::time::Duration;

const SCRIPT: &str = r#"
import os
import time

def square(x, extra=0):
    return x * x + extra

def fail(msg):
    raise ValueError(msg)

def die():
    os._exit(7)

def getpid():
    return os.getpid()

def slow():
    time.sleep(0.5)
    return "late"

if __name__ == "__main__":
    h = spawn_process(square, 7, extra=1)
    print(h.join(), h.exitcode, h.is_alive(), h.join(), h.name)
    h = spawn_process(fail, "nope")
    try:
        h.join()
    except ValueError as e:
        print("raised", repr(e), h.exitcode)
    h = spawn_process(die)
    try:
        h.join()
    except Exception as e:
        print(type(e).__name__, e)
    h = spawn_process(getpid)
    print(h.join() == h.pid, h.pid != os.getpid())
    h = spawn_process(slow)
    try:
        h.join(timeout=0.01)
    except TimeoutError as e:
        print("TimeoutError", e)
    print(h.join())
    for bad in (lambda: 1, square):
        try:
            spawn_process(bad, os)
        except Exception as e:
            print(type(e).__name__, str(e).split(" at ")[0])
    import multiprocessing
    multiprocessing.set_start_method("fork")
    counter = [5]
    print("fork", spawn_process(lambda: counter[0] + 1).join())
"#;

#[test]
fn spawn_process_results_errors_and_deaths() {
    let (out, err, code) = run("spawn_process", SCRIPT, Duration::from_secs(30));
    assert_eq!(err, "");
    assert_eq!(code, 0);
    let expected = "\
50 0 False 50 Process-1 (square)
raised ValueError('nope') 1
ProcessError Process-3 (die) ended with exit code 7 without a result
True True
TimeoutError Process-5 (slow) did not finish within 0.01 seconds
late
PicklingError Can't pickle <function <lambda>
TypeError cannot pickle 'module' object
fork 6
";
    assert_eq!(out, expected);
}
