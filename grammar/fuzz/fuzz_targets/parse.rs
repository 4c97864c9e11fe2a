//! Any text must parse or fail with a syntax error whose report renders, and never
//! panic or hang.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(source) = std::str::from_utf8(data) {
        if let Err(e) = conc_grammar::parse(source, "fuzz.conc") {
            let report = conc_grammar::render(&e, source, "fuzz.conc");
            assert!(report.ends_with(&format!("{}\n", e.summary())));
        }
        let _ = conc_grammar::is_incomplete(source);
    }
});
