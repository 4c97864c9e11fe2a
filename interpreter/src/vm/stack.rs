//! Where this thread's stack ends, so that deep recursion (script calls, and the
//! native recursions over nested values) raises RecursionError before the stack
//! overflows, in every thread and whatever `sys.setrecursionlimit` says.

/// Room left below the floor for the code that runs between two checks (a
/// native function's own frames, raising and unwinding the error).
const MARGIN: usize = 256 << 10;

/// The current stack pointer, near enough: the address of a local.
#[inline(always)]
pub(super) fn approximate_sp() -> usize {
    let marker = 0u8;
    std::ptr::addr_of!(marker) as usize
}

/// The lowest address this thread's code may use before refusing to go deeper:
/// the end of its stack mapping plus `MARGIN` (0, never refusing, when the
/// system does not say where the stack is).
pub(super) fn floor_of_this_thread() -> usize {
    let (low, size) = match stack_bounds() {
        Some(b) => b,
        None => return 0,
    };
    // A stack smaller than twice the margin keeps half of itself as margin.
    low + MARGIN.min(size / 2)
}

/// (lowest address, size) of the calling thread's stack.
fn stack_bounds() -> Option<(usize, usize)> {
    // SAFETY: pthread_attr_t is plain old data that pthread_getattr_np fills in;
    // it is destroyed once, after the two out-parameters have been read.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let r = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        if r != 0 || addr.is_null() {
            return None;
        }
        Some((addr as usize, size))
    }
}
