//! The modules a conc script can import.
