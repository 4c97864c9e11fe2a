//! The modules a conc script can import, one file per module. [`install`] registers
//! them all with the interpreter (the interpreter itself knows no module by name).

pub mod collections;
mod conc_helpers;
pub mod math;
pub mod mp;
pub mod os;
pub mod random;
pub mod sys;
pub mod thread;
pub mod time;
pub mod urllib;
mod util;

use conc_interpreter::interp::{interp, ModuleInit};

/// Every native module: (import name, initialiser).
const MODULES: &[(&str, ModuleInit)] = &[
    ("sys", sys::init),
    ("_thread", thread::init),
    ("_conc", conc_helpers::init),
    ("time", time::init),
    ("math", math::init),
    ("random", random::init),
    ("os", os::init),
    ("os.path", os::init_path),
    ("_urllib", urllib::init),
    ("_multiprocessing", mp::init),
    ("_collections", collections::init),
];

/// Modules written in conc, shipped inside the binary: (import name, source).
const SOURCES: &[(&str, &str)] = &[
    ("_sync_errors", include_str!("../lib/_sync_errors.conc")),
    // CPython's queue.Empty is `_queue.Empty`: pickles name that module.
    ("_queue", "from _sync_errors import Empty\n"),
    ("threading", include_str!("../lib/threading.conc")),
    ("queue", include_str!("../lib/queue.conc")),
    ("collections", include_str!("../lib/collections/__init__.conc")),
    ("collections.abc", include_str!("../lib/collections/abc.conc")),
    ("itertools", include_str!("../lib/itertools.conc")),
    ("operator", include_str!("../lib/operator.conc")),
    ("functools", include_str!("../lib/functools.conc")),
    ("heapq", include_str!("../lib/heapq.conc")),
    ("bisect", include_str!("../lib/bisect.conc")),
    ("contextlib", include_str!("../lib/contextlib.conc")),
    ("copy", include_str!("../lib/copy.conc")),
    ("concurrent", include_str!("../lib/concurrent/__init__.conc")),
    ("concurrent.futures", include_str!("../lib/concurrent/futures/__init__.conc")),
    ("concurrent.futures._base", include_str!("../lib/concurrent/futures/_base.conc")),
    ("concurrent.futures.thread", include_str!("../lib/concurrent/futures/thread.conc")),
    ("concurrent.futures.process", include_str!("../lib/concurrent/futures/process.conc")),
    ("urllib", urllib::PACKAGE_SOURCE),
    ("urllib.request", urllib::REQUEST_SOURCE),
    ("urllib.error", urllib::ERROR_SOURCE),
    ("urllib.parse", urllib::PARSE_SOURCE),
    ("multiprocessing", include_str!("../lib/multiprocessing/__init__.conc")),
    ("multiprocessing.managers", include_str!("../lib/multiprocessing/managers.conc")),
    ("multiprocessing.pool", include_str!("../lib/multiprocessing/pool.conc")),
    ("multiprocessing._pool_worker", include_str!("../lib/multiprocessing/_pool_worker.conc")),
    ("multiprocessing.handle", include_str!("../lib/multiprocessing/handle.conc")),
];

/// Registers the standard library with the interpreter.
pub fn install() {
    {
        let mut m = interp().native_modules.write();
        for (name, init) in MODULES {
            m.insert(name.to_string(), *init);
        }
    }
    // conc's short forms: concurrency without imports (the same objects as in the
    // threading and queue modules), imported on first use.
    {
        let mut lazy = interp().lazy_builtins.write();
        for (name, module) in [
            ("spawn", "threading"),
            ("spawn_process", "multiprocessing.handle"),
            ("Lock", "threading"),
            ("RLock", "threading"),
            ("Semaphore", "threading"),
            ("BoundedSemaphore", "threading"),
            ("Event", "threading"),
            ("Condition", "threading"),
            ("Barrier", "threading"),
            ("Queue", "queue"),
        ] {
            lazy.insert(name.to_string(), (module.to_string(), name.to_string()));
        }
    }
    let mut s = interp().embedded_sources.write();
    for (name, src) in SOURCES {
        s.insert(name.to_string(), src);
    }
}
