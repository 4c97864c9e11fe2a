//! What a parked thread waits on, in the script's terms: the kind of object (a lock,
//! an event, a queue...), its name in the script, where the script made it, the
//! script line of the wait and, for locks and joins, the thread that can end it.
//!
//! The kind comes from the first frame of conc's library below the script's own
//! frames (`Event.wait`, `Semaphore.acquire`...) or, for natives called directly, from
//! the native object the wait names; the object's name from the source line where the
//! script made it (`a = threading.Lock()` names it `a`).

use crate::thread::condition::CondData;
use crate::thread::locks::{LockData, RLockData};
use crate::thread::queue::QueueData;
use crate::thread::registry;
use conc_interpreter::blocking::WaitRecord;
use conc_interpreter::vm::frames::{is_library_file, FrameEntry};

/// The kinds of wait a report names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Lock,
    RLock,
    Condition,
    Event,
    Semaphore,
    Barrier,
    QueueGet,
    QueuePut,
    QueueJoin,
    Join,
    Future,
    Exit,
    EventLoop,
    Other,
}

/// One parked thread's wait, described.
pub struct Wait {
    pub thread: u64,
    pub thread_name: String,
    pub kind: Kind,
    /// The object's name in the script (`a`, `self.lock`), when its creation line
    /// tells it.
    pub name: Option<String>,
    /// Where the script made the object.
    pub site: Option<FrameEntry>,
    /// The thread that holds the lock, or the thread being joined.
    pub holder: Option<u64>,
    /// The script's frames, outermost first (library frames left out).
    pub frames: Vec<FrameEntry>,
    /// The blocking layer's own word for the wait (`Queue.get`), for kinds it alone knows.
    pub what: String,
}

impl Wait {
    pub fn of(r: &WaitRecord) -> Wait {
        let stack = &r.detail.stack;
        let first_script = stack.iter().position(|e| !is_library_file(&e.code.filename));
        // The library method the script called; with no script frame at all (a
        // thread whose target is `event.wait`), the outermost one of a known class.
        let api = match first_script {
            Some(i) if i > 0 => Some(stack[i - 1].code.qualname.as_str()),
            Some(_) => None,
            None => stack.iter().rev().map(|e| e.code.qualname.as_str()).find(|q| kind_of_api(q).is_some()),
        };
        let mut w = Wait {
            thread: r.thread,
            thread_name: r.thread_name.clone(),
            kind: Kind::Other,
            name: None,
            site: None,
            holder: None,
            frames: stack.iter().rev().filter(|e| !is_library_file(&e.code.filename)).cloned().collect(),
            what: r.what.clone(),
        };
        if let Some(subject) = &r.detail.subject {
            if let Some(inst) = subject.as_instance() {
                if let Some(l) = inst.native::<LockData>() {
                    w.kind = Kind::Lock;
                    w.site = l.site.clone();
                    w.holder = l.holder();
                } else if let Some(l) = inst.native::<RLockData>() {
                    w.kind = Kind::RLock;
                    w.site = l.site().cloned();
                    w.holder = l.holder();
                } else if let Some(c) = inst.native::<CondData>() {
                    w.kind = Kind::Condition;
                    w.site = c.site.clone();
                } else if let Some(q) = inst.native::<QueueData>() {
                    w.kind = queue_kind(&r.what);
                    w.site = q.site.clone();
                }
            }
            if let Some((ident, site)) = registry::handle_info(subject) {
                w.kind = Kind::Join;
                w.site = site;
                w.holder = ident;
            }
        }
        if r.what == "threading._shutdown" {
            w.kind = Kind::Exit;
        } else if r.what == "asyncio event loop" {
            w.kind = Kind::EventLoop;
        }
        // A library class around the native object names the kind the script sees.
        if let Some(api) = api {
            let method = api.rsplit('.').next().unwrap_or("");
            let kind = kind_of_api(api);
            if let Some(k) = kind {
                w.kind = k;
                w.holder = None;
            }
            if w.kind == Kind::Future {
                // A future's condition is made by its first waiter, not where the
                // future was made: name the future from the waiting call instead.
                w.site = None;
                w.name = w.frames.last().and_then(|f| name_from_call(f.code.line_text(f.line_no()), method));
                return w;
            }
        }
        w.name = w.site.as_ref().and_then(name_at);
        w
    }

    /// The object as the report names it: `lock a`, `thread worker`, `event done`.
    pub fn object(&self, name_of: &dyn Fn(u64) -> String) -> String {
        let noun = match self.kind {
            Kind::Lock => "lock",
            Kind::RLock => "RLock",
            Kind::Condition => "condition",
            Kind::Event => "event",
            Kind::Semaphore => "semaphore",
            Kind::Barrier => "barrier",
            Kind::QueueGet | Kind::QueuePut | Kind::QueueJoin => "queue",
            Kind::Future => "future",
            Kind::Join => {
                return match self.holder {
                    Some(t) => format!("thread {}", name_of(t)),
                    None => "a thread".to_string(),
                }
            }
            Kind::Exit => return "the non-daemon threads".to_string(),
            Kind::EventLoop => return "the asyncio event loop".to_string(),
            Kind::Other => return self.what.clone(),
        };
        match (&self.name, &self.site) {
            (Some(n), _) => format!("{noun} {n}"),
            (None, Some(s)) => format!("a {noun} made at line {}", s.line_no()),
            (None, None) => format!("a {noun}"),
        }
    }

    /// What the thread does, as a sentence's verb phrase.
    pub fn waits(&self, name_of: &dyn Fn(u64) -> String) -> String {
        let o = self.object(name_of);
        match self.kind {
            Kind::Lock | Kind::RLock | Kind::Semaphore => format!("waits to acquire {o}"),
            Kind::Condition => format!("waits to be notified on {o}"),
            Kind::Event => format!("waits for {o} to be set"),
            Kind::Barrier => format!("waits at {o} for the other parties"),
            Kind::QueueGet => format!("waits for an item from {o}"),
            Kind::QueuePut => format!("waits for room in {o}"),
            Kind::QueueJoin => format!("waits for the tasks of {o} to be done"),
            Kind::Join => format!("waits for {o} to end"),
            Kind::Future => format!("waits for the result of {o}"),
            Kind::Exit => "waits at interpreter exit for the non-daemon threads to end".to_string(),
            Kind::EventLoop => "runs an asyncio event loop with nothing scheduled".to_string(),
            Kind::Other => format!("waits in {o}"),
        }
    }
}

/// The kind of wait a library method (`Event.wait`, `LifoQueue.put`) stands for.
fn kind_of_api(qualname: &str) -> Option<Kind> {
    let class = qualname.split('.').next().unwrap_or("");
    let method = qualname.rsplit('.').next().unwrap_or("");
    match class {
        "Event" => Some(Kind::Event),
        "Semaphore" | "BoundedSemaphore" => Some(Kind::Semaphore),
        "Barrier" => Some(Kind::Barrier),
        "Future" => Some(Kind::Future),
        "Queue" | "LifoQueue" | "PriorityQueue" | "SimpleQueue" | "_Derived" => Some(match method {
            "put" | "put_nowait" => Kind::QueuePut,
            "join" => Kind::QueueJoin,
            _ => Kind::QueueGet,
        }),
        _ => None,
    }
}

fn queue_kind(what: &str) -> Kind {
    match what {
        "Queue.put" => Kind::QueuePut,
        "Queue.join" => Kind::QueueJoin,
        _ => Kind::QueueGet,
    }
}

/// The name a creation line gives its object: the target of `NAME = Call(...)` or
/// `self.NAME = Call(...)`; None for any other shape (several targets, a call inside
/// a larger expression).
pub(crate) fn name_at(site: &FrameEntry) -> Option<String> {
    let text = site.code.line_text(site.line_no());
    let (target, value) = text.split_once('=')?;
    let target = target.trim();
    let value = value.trim();
    if value.starts_with('=') || target.is_empty() {
        return None;
    }
    let is_name = |s: &str| {
        let mut chars = s.chars();
        chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || c == '_')
    };
    if !target.split('.').all(is_name) {
        return None;
    }
    // The value must be one call of a (dotted) name: `threading.Lock()`, `Queue(2)`.
    let open = value.find('(')?;
    if !value.ends_with(')') || !value[..open].split('.').all(is_name) {
        return None;
    }
    Some(target.to_string())
}

/// The object a call of `method` on the line is made on: `f` in `print(f.result())`.
fn name_from_call(text: &str, method: &str) -> Option<String> {
    let at = text.find(&format!(".{method}("))?;
    let start = text[..at].rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')).map_or(0, |i| i + 1);
    let name = &text[start..at];
    (!name.is_empty() && !name.starts_with('.')).then(|| name.to_string())
}

/// How a report names a thread that is not among those it lists: one that has
/// ended (still holding a lock), or one that runs.
pub fn unlisted_thread(ident: u64) -> String {
    if registry::live_idents().contains(&ident) {
        format!("thread {ident:#x}")
    } else {
        "a thread that has ended".to_string()
    }
}

/// `file:line` of a site, for "made at".
pub fn site_text(site: &FrameEntry) -> String {
    format!("{}:{}", site.code.filename, site.line_no())
}
