//! Generators: a suspended frame kept as data, behind the generator's own lock. The
//! lock is held only to take the frame out or put it back, never while the frame
//! runs; a generator whose frame is out is running, and resuming it then raises
//! `ValueError: generator already executing`, from whichever thread.

use crate::vm::frame::Frame;
use parking_lot::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenState {
    /// Created, not started: only `send(None)` / `next` may start it.
    Created,
    /// Paused at a `yield`.
    Suspended,
    /// Its frame is out, running on some thread.
    Running,
    Finished,
}

pub struct GenInner {
    pub state: GenState,
    pub frame: Option<Box<Frame>>,
}

pub struct GeneratorObj {
    pub name: String,
    pub qualname: String,
    pub inner: Mutex<GenInner>,
}

impl GeneratorObj {
    pub fn new(frame: Box<Frame>, name: String, qualname: String) -> GeneratorObj {
        GeneratorObj { name, qualname, inner: Mutex::new(GenInner { state: GenState::Created, frame: Some(frame) }) }
    }
}
