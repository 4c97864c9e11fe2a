//! The mapping behind `multiprocessing.shared_memory.SharedMemory`: a file under
//! `/dev/shm` (what `shm_open` opens on Linux), opened by the conc module, mapped
//! here `MAP_SHARED` and handed to scripts as a writable memoryview. Other
//! processes (conc or not) attach by name and see the same pages.

use conc_interpreter::builtins::memoryview::{raw_view, RawBuffer};
use conc_interpreter::native::{native, Exc};
use conc_interpreter::{PyResult, Value, Vm};
use std::sync::Arc;

/// One mapping; unmapped when the last view on it is gone.
struct Mapping {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the mapping is plain shared memory, valid until `Drop`; views read and
// write it without Rust references outliving a call (shared memory is racy by
// design, as in CPython).
unsafe impl Send for Mapping {}
// SAFETY: as for Send.
unsafe impl Sync for Mapping {}

impl RawBuffer for Mapping {
    fn ptr(&self) -> *mut u8 {
        self.ptr
    }
    fn len(&self) -> usize {
        self.len
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: `ptr`/`len` are the mapping made in `shm_map`, unmapped only here,
            // when no view (and so no access) is left.
            unsafe { libc::munmap(self.ptr as *mut libc::c_void, self.len) };
        }
    }
}

/// shm_map(fd, size) -> a writable memoryview on the first `size` bytes of the file
/// open at `fd` (which the caller may close afterwards).
#[native("_multiprocessing.shm_map(fd, size, /)")]
pub(super) fn shm_map(vm: &mut Vm, fd: i64, size: i64) -> PyResult<Value> {
    if size < 0 {
        return Err(vm.value_error("'size' must be a positive integer"));
    }
    let len = size as usize;
    let ptr = if len == 0 {
        std::ptr::NonNull::<u8>::dangling().as_ptr()
    } else {
        // SAFETY: a new shared mapping of `fd`; no existing memory is touched.
        let p = unsafe {
            libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd as i32, 0)
        };
        if p == libc::MAP_FAILED {
            let e = std::io::Error::last_os_error();
            let msg = format!("[Errno {}] {}", e.raw_os_error().unwrap_or(0), e);
            return Err(vm.error(Exc::OSError, &msg));
        }
        p as *mut u8
    };
    let mapping: Arc<dyn RawBuffer> = Arc::new(Mapping { ptr, len });
    Ok(raw_view(mapping, Value::None, false))
}
