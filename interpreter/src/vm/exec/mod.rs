//! The instruction handlers, grouped by kind. `run.rs` holds the loop: one line per
//! instruction, calling the handler here. Each handler takes the running frame by
//! `&mut Box<Frame>` (a call or return replaces it with the callee or the caller) and
//! returns the error to raise at the instruction; handlers are `#[inline(always)]` so
//! that the loop compiles to one function, as if their bodies were written in it.

pub(super) mod arith;
mod asyncs;
mod attrs;
mod build;
mod calls;
mod except;
mod generators;
mod imports;
mod iterate;
mod jumps;
mod matching;
mod names;
mod stack;
mod subscr;
