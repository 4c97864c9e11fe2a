//! What a thread does at a backward jump when `blocking::interrupt_pending()` says
//! something waits for it: run the main thread's signal handlers, or leave its stack
//! for a thread dump (`crate::deadlock`).

use super::frame::Frame;
use super::{PyResult, Vm};

impl Vm {
    /// The slow side of the check at backward jumps; `frame` is the running frame.
    #[cold]
    #[inline(never)]
    pub(crate) fn interrupt_at_jump(&mut self, frame: &Frame) -> PyResult<()> {
        if crate::blocking::dump_requested() {
            // The running frame is a local of the loop: name it as the caller for
            // the walk, then put back what was there.
            let saved = self.caller;
            self.caller = frame;
            let stack = self.stack_entries();
            self.caller = saved;
            self.answer_dump(stack);
        }
        if crate::blocking::take_interrupt() {
            self.run_pending_signals()?;
        }
        Ok(())
    }
}
