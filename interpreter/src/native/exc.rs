//! [`Exc`]: every built-in exception class by name, so natives raise by type
//! (`vm.error(Exc::ValueError, msg)`) and a misspelt class is a compile error, not a
//! panic at run time.

use crate::value::ObjRef;

macro_rules! exceptions {
    ($($name:ident : $parent:tt),* $(,)?) => {
        /// A built-in exception class.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Exc {
            $($name),*
        }

        impl Exc {
            /// Every class, each after its parent (the order classes are made in).
            pub const ALL: &'static [Exc] = &[$(Exc::$name),*];

            /// The class name (`"ValueError"`).
            pub fn name(self) -> &'static str {
                match self {
                    $(Exc::$name => stringify!($name)),*
                }
            }

            /// The base class, None for `BaseException`.
            pub fn parent(self) -> Option<Exc> {
                match self {
                    $(Exc::$name => exceptions!(@parent $parent)),*
                }
            }
        }
    };
    (@parent -) => { None };
    (@parent $p:ident) => { Some(Exc::$p) };
}

// CPython 3.11's hierarchy: each class with its base.
exceptions! {
    BaseException: -,
    SystemExit: BaseException,
    KeyboardInterrupt: BaseException,
    GeneratorExit: BaseException,
    Exception: BaseException,
    StopIteration: Exception,
    StopAsyncIteration: Exception,
    ArithmeticError: Exception,
    FloatingPointError: ArithmeticError,
    OverflowError: ArithmeticError,
    ZeroDivisionError: ArithmeticError,
    AssertionError: Exception,
    AttributeError: Exception,
    BufferError: Exception,
    EOFError: Exception,
    ImportError: Exception,
    ModuleNotFoundError: ImportError,
    LookupError: Exception,
    IndexError: LookupError,
    KeyError: LookupError,
    MemoryError: Exception,
    NameError: Exception,
    UnboundLocalError: NameError,
    OSError: Exception,
    BlockingIOError: OSError,
    ChildProcessError: OSError,
    ConnectionError: OSError,
    BrokenPipeError: ConnectionError,
    ConnectionAbortedError: ConnectionError,
    ConnectionRefusedError: ConnectionError,
    ConnectionResetError: ConnectionError,
    FileExistsError: OSError,
    FileNotFoundError: OSError,
    InterruptedError: OSError,
    IsADirectoryError: OSError,
    NotADirectoryError: OSError,
    PermissionError: OSError,
    ProcessLookupError: OSError,
    TimeoutError: OSError,
    ReferenceError: Exception,
    RuntimeError: Exception,
    NotImplementedError: RuntimeError,
    RecursionError: RuntimeError,
    SyntaxError: Exception,
    IndentationError: SyntaxError,
    TabError: IndentationError,
    SystemError: Exception,
    TypeError: Exception,
    ValueError: Exception,
    UnicodeError: ValueError,
    UnicodeDecodeError: UnicodeError,
    UnicodeEncodeError: UnicodeError,
    Warning: Exception,
    DeprecationWarning: Warning,
    PendingDeprecationWarning: Warning,
    RuntimeWarning: Warning,
    SyntaxWarning: Warning,
    UserWarning: Warning,
    FutureWarning: Warning,
    ImportWarning: Warning,
    UnicodeWarning: Warning,
    BytesWarning: Warning,
    ResourceWarning: Warning,
}

impl Exc {
    /// The OSError subclass CPython raises for an errno (`OSError(2, ...)` is a
    /// FileNotFoundError), None for errnos plain OSError covers.
    pub fn for_errno(errno: i64) -> Option<Exc> {
        Some(match errno {
            1 | 13 => Exc::PermissionError,
            2 => Exc::FileNotFoundError,
            3 => Exc::ProcessLookupError,
            4 => Exc::InterruptedError,
            10 => Exc::ChildProcessError,
            11 | 114 | 115 => Exc::BlockingIOError,
            17 => Exc::FileExistsError,
            20 => Exc::NotADirectoryError,
            21 => Exc::IsADirectoryError,
            32 | 108 => Exc::BrokenPipeError,
            103 => Exc::ConnectionAbortedError,
            104 => Exc::ConnectionResetError,
            110 => Exc::TimeoutError,
            111 => Exc::ConnectionRefusedError,
            _ => return None,
        })
    }

    /// The class object (made at start-up, immortal).
    pub fn class(self) -> &'static ObjRef {
        &crate::interp::interp().exc_classes[self as usize]
    }
}
